"""Image export: through the file dialog a failure becomes a dialog; ``save_image`` writes atomically."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox

from rnnviz.core.errors import DataError, RnnvizError
from rnnviz.gui.widgets import image_export
from rnnviz.gui.widgets.image_export import ask_and_export, save_image


def test_a_failed_export_is_shown_and_the_cancelled_one_does_nothing(qtbot, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))

    def fail(path: str):
        raise RnnvizError(f"Could not save the image to {path}: disk full")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "x.png"), ""))
    assert ask_and_export(parent, "Save", "x.png", "PNG (*.png)", fail) is None
    assert shown and "disk full" in shown[0]
    assert ask_and_export(parent, "Save", "x.png", "PNG (*.png)", lambda path: Path(path)) == tmp_path / "x.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    assert ask_and_export(parent, "Save", "x.png", "PNG (*.png)", fail) is None and len(shown) == 1


# ---------------------------------------------------------------- save_image: atomic, 0644, clear errors


@pytest.fixture
def plots(qtbot) -> pg.GraphicsLayoutWidget:
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.addPlot().plot([0.0, 1.0, 4.0, 9.0])
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_png_and_svg_are_ordinary_files(plots: pg.GraphicsLayoutWidget, tmp_path: Path, umask_022) -> None:
    for name, head in (("plots.png", b"\x89PNG\r\n\x1a\n"), ("plots.svg", None)):
        target = tmp_path / name
        target.write_bytes(b"an older image")
        assert save_image(plots.ci, target) == target
        data = target.read_bytes()
        if head is not None:
            assert data[:8] == head
        else:
            assert b"<svg" in data
        assert stat.S_IMODE(target.stat().st_mode) == 0o644  # as any saved file, not private (0600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots.png", "plots.svg"]


def test_a_png_qt_cannot_write_keeps_the_old_file_and_names_it(plots: pg.GraphicsLayoutWidget, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "plots.png"
    target.write_bytes(b"the good image")
    monkeypatch.setattr(QImage, "save", lambda self, *args: False)  # Qt says only "no"
    with pytest.raises(DataError) as failure:
        save_image(plots.ci, target, "the plots")
    assert f"could not save the plots to {target}: Qt could not write the PNG image" in str(failure.value)
    assert "previous file" in str(failure.value)
    assert target.read_bytes() == b"the good image"
    assert [p.name for p in tmp_path.iterdir()] == ["plots.png"]  # no temporary file left


def test_an_svg_on_a_full_disk_keeps_the_old_file_and_says_why(plots: pg.GraphicsLayoutWidget, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "plots.svg"
    target.write_bytes(b"the good drawing")

    def full(fd: int) -> None:  # the data reach the disk only at fsync on some file systems
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(DataError, match="the disk is full") as failure:
        save_image(plots.ci, target, "the plots")
    assert str(target) in str(failure.value)
    assert target.read_bytes() == b"the good drawing"
    assert [p.name for p in tmp_path.iterdir()] == ["plots.svg"]


def test_a_path_that_cannot_be_written_is_refused_before_rendering(plots: pg.GraphicsLayoutWidget, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def no_render(item):
        raise AssertionError("rendered for a path that cannot be saved")

    monkeypatch.setattr(image_export, "svg_bytes", no_render)
    missing = tmp_path / "gone" / "plots.svg"
    with pytest.raises(DataError, match=re.escape(f"the folder {missing.parent} does not exist")):
        save_image(plots.ci, missing)
    assert not missing.parent.exists()  # refused, not created
    folder = tmp_path / "a folder.svg"
    folder.mkdir()
    with pytest.raises(DataError, match=re.escape(f"'{folder}' is a folder; give a file name for the plots")):
        save_image(plots.ci, folder, "the plots")
    assert folder.is_dir() and not any(folder.iterdir())
