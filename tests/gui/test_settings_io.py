"""The app's settings hold plain values only: a crafted settings file runs nothing (rnnviz.gui.settings_io).

The payload is real: PySide6 writes a Python object as a pickle, and the pickle here creates a
marker folder when it is loaded. A control run checks that plain QSettings does run it, in a
subprocess (an unpickling error inside Qt kills the process).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, QSize

from rnnviz.gui import settings_io
from rnnviz.gui.main_window import MainWindow

#: The keys MainWindow and its files read.
APP_KEYS = (settings_io.GEOMETRY, settings_io.WINDOW_STATE, settings_io.PANELS, settings_io.OFFLINE_DIR,
            settings_io.LAST_DIR)


class _MakesMarker:
    """Pickled, it loads as ``os.mkdir(path)``: proof that the pickle ran."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # noqa: ANN204 (pickle's protocol)
        return os.mkdir, (self.path,)


def pickled_value(folder: Path, marker: Path) -> str:
    """The ini text PySide6 writes for a Python object: ``@Variant(...PyObjectWrapper...)``."""
    template = folder / f"template-{marker.name}.ini"
    writer = QSettings(str(template), QSettings.Format.IniFormat)
    writer.setValue("k", _MakesMarker(str(marker)))
    writer.sync()
    value = re.search(r"^k=(.*)$", template.read_text(encoding="utf-8"), re.M).group(1)
    assert value.startswith("@Variant(") and "PySide::PyObjectWrapper" in value
    template.unlink()
    return value


def crafted_file(folder: Path, path: Path, prefix: str) -> list[Path]:
    """A settings file with a pickle in every key the app reads, each disguised another way Qt
    still unescapes into a typed value; returns the markers the pickles would create."""
    markers = [folder / f"{prefix}-{i}" for i in range(len(APP_KEYS))]
    plain, quoted, escaped, listed, continued = (pickled_value(folder, m) for m in markers)
    path.write_text("[window]\n"
                    f"geometry={plain}\n"
                    f'state="{quoted}"\n'
                    "[panels]\n"
                    f"config=\\x40{escaped[1:]}\n"  # \x40 is "@"
                    "[data]\n"
                    f"offline_dir=somewhere, {listed}\n"  # a list: every item is converted
                    "[files]\n"
                    f"last_dir={continued[:5]}\\\n{continued[5:]}\n",  # a line continued
                    encoding="utf-8")
    return markers


def open_window(qtbot, path: Path) -> MainWindow:
    window = MainWindow(QSettings(str(path), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert window.data_panel.wait_idle(30_000)
    return window


def test_a_pickle_in_every_key_runs_nothing_and_the_window_opens_with_defaults(
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    path = tmp_path / "settings.ini"
    markers = crafted_file(tmp_path, path, "window")
    with caplog.at_level(logging.WARNING, logger="rnnviz"):
        window = open_window(qtbot, path)
    assert not any(marker.exists() for marker in markers), "a pickle from the settings file ran"
    note = " ".join(r.getMessage() for r in caplog.records if r.name == "rnnviz")
    assert "not plain values" in note and "'config'" in note and "'geometry'" in note
    reference = open_window(qtbot, tmp_path / "empty.ini")
    assert window.panels_state() == reference.panels_state()
    assert window.size() == reference.size()
    assert os.environ.get("RNNVIZ_DATA_DIR") is None
    assert window.files.last_dir("") == str(Path.home())
    # Cleaned, with the original kept: no "@" or backslash is left for Qt to turn into a typed value.
    assert "@" not in path.read_text(encoding="utf-8") and "\\" not in path.read_text(encoding="utf-8")
    assert "PyObjectWrapper" in (tmp_path / "settings.ini.rejected").read_text(encoding="utf-8")
    window.close()  # saving goes through the same checks
    assert not any(marker.exists() for marker in markers)
    for controller in (window.controller, reference.controller):
        controller.shutdown(3000)

    # Control: the payloads are live. QSettings alone, on the same disguises, runs every one.
    control = tmp_path / "control.ini"
    controls = crafted_file(tmp_path, control, "control")
    code = ("import sys\nfrom PySide6.QtCore import QSettings\n"
            "QSettings(sys.argv[1], QSettings.Format.IniFormat).allKeys()")
    subprocess.run([sys.executable, "-c", code, str(control)], timeout=60, check=False)
    assert [marker.exists() for marker in controls] == [True] * len(APP_KEYS)


def test_a_pickle_in_the_organisation_wide_fallback_file_runs_nothing(qtbot, tmp_path: Path) -> None:
    """Qt also parses ORG.ini beside the application's folder unless fallbacks are off."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    try:
        marker = tmp_path / "fallback-marker"
        value = pickled_value(tmp_path, marker)
        (tmp_path / "rnnviz-test.ini").write_text(f"[panels]\nconfig={value}\n", encoding="utf-8")
        window = MainWindow(QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "rnnviz-test", "app"))
        qtbot.addWidget(window)
        window.close()
        assert not marker.exists()
        window.controller.shutdown(3000)
    finally:  # Qt's default on Linux
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                          os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config"))


def test_settings_written_by_older_rnnviz_are_ignored_with_a_note(
        qtbot, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Older versions stored the panels' state as a QVariant (a pickle for what Qt has no type for)."""
    path = tmp_path / "settings.ini"
    marker = tmp_path / "old-marker"
    old = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    old.setValue("panels/config", {"epochs": 7, "builder": {"vocab_sizes": {1: _MakesMarker(str(marker))}}})
    old.setValue("files/last_dir", str(tmp_path))  # a plain string: still read
    old.sync()
    path.write_bytes((tmp_path / "old.ini").read_bytes())
    with caplog.at_level(logging.WARNING, logger="rnnviz"):
        window = open_window(qtbot, path)
    assert not marker.exists()
    assert window.config_panel.epochs.value() != 7
    assert "'config'" in caplog.text
    assert window.files.last_dir("") == str(tmp_path)
    window.controller.shutdown(3000)


def test_plain_values_round_trip(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    path = tmp_path / "settings.ini"
    first = open_window(qtbot, path)
    first.show()
    qtbot.waitExposed(first)
    size = QSize(first.width() + 40, first.height() + 30)  # the offscreen screen is small: stay inside it
    first.resize(size)
    first.move(QPoint(10, 5))
    assert first.size() == size
    first.builder.encoder.set_hidden(77)
    first.config_panel.epochs.setValue(12)
    first.translate_panel.set_options(beam_size=3)
    odd = tmp_path / "a@b, c\\d é"  # "@", a comma, a backslash and an accent stay plain text
    odd.mkdir()
    first.set_offline_folder(str(odd))
    settings_io.write(first.settings, {settings_io.LAST_DIR: str(odd)})
    saved = first.panels_state()
    first.close()
    first.controller.shutdown(3000)
    text = path.read_text(encoding="utf-8")
    assert "@" not in text and "\\" not in text
    assert all(line.split("=", 1)[1].startswith(settings_io.PREFIX)
               for line in text.splitlines() if "=" in line)

    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    second = open_window(qtbot, path)
    assert second.panels_state() == saved
    assert second.builder.encoder.spec().hidden_sizes[0] == 77
    assert second.size() == size != open_window(qtbot, tmp_path / "empty.ini").size()
    assert os.environ.get("RNNVIZ_DATA_DIR") == str(odd)
    assert second.files.last_dir("") == str(odd)
    assert not (tmp_path / "settings.ini.rejected").exists()  # nothing of ours is ever rejected
    second.controller.shutdown(3000)


def test_entries_of_the_wrong_kind_are_ignored_with_a_note(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    path = tmp_path / "settings.ini"
    path.write_text("[window]\n"
                    f"geometry={settings_io.encode(123)}\n"
                    f"state={settings_io.PREFIX}!!!\n"
                    "[panels]\n"
                    f"config={settings_io.encode({'epochs': 7, 'lr': 1e9})}\n"
                    "[data]\n"
                    f"offline_dir={settings_io.encode({'a': 1})}\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rnnviz"):
        window = open_window(qtbot, path)
    for key, why in ((settings_io.GEOMETRY, "not base64 text"), (settings_io.WINDOW_STATE, "cannot be read as JSON"),
                     (settings_io.PANELS, "config.lr is 1000000000.0; allowed"), (settings_io.OFFLINE_DIR, "not text")):
        assert any(key in r.getMessage() and why in r.getMessage() for r in caplog.records), key
    reference = open_window(qtbot, tmp_path / "empty.ini")
    assert window.panels_state() == reference.panels_state()  # epochs 7 came with a wrong lr: none of it
    assert os.environ.get("RNNVIZ_DATA_DIR") is None
    for controller in (window.controller, reference.controller):
        controller.shutdown(3000)


@pytest.mark.parametrize(("config", "why"), [
    ([1, 2], "not a JSON object"),
    ({"builder": {"model": {"task": "lm", "stack": {"hidden_sizes": [10**9]}}}},
     "config.builder.model.stack.hidden_sizes[0] is 1000000000"),
    ({"gates": {"speed": "fast"}}, "config.gates.speed is 'fast'"),
])
def test_a_panels_state_that_fails_the_checks_is_not_applied(tmp_path: Path, config: object, why: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "settings.ini"
    path.write_text(f"[panels]\nconfig={settings_io.encode(config)}\n", encoding="utf-8")
    applied: list[dict] = []
    with caplog.at_level(logging.WARNING, logger="rnnviz"):
        assert not settings_io.restore_panels(QSettings(str(path), QSettings.Format.IniFormat), applied.append)
    assert not applied and why in caplog.text


def test_stores_that_cannot_be_checked_become_an_ini_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Windows registry and macOS plists are parsed by Qt before rnnviz could look: not used."""
    native = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "rnnviz-test", "app")
    assert settings_io.file_backed(native) is native  # Linux: the native store is an ini file
    monkeypatch.setattr(sys, "platform", "win32")
    replaced = settings_io.file_backed(native)
    assert replaced.format() == QSettings.Format.IniFormat
    assert (replaced.organizationName(), replaced.applicationName()) == ("rnnviz-test", "app")
    assert settings_io.read_text(native, settings_io.LAST_DIR) is None  # never read unchecked
