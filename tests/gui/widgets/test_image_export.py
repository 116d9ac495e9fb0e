"""Export through the file dialog: a failure becomes a dialog, never an exception."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from rnnviz.core.errors import RnnvizError
from rnnviz.gui.widgets.image_export import ask_and_export


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
