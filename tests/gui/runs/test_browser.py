"""The runs browser lists the runs folder; rename and delete (asked first) act on the folders."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QMessageBox


def test_list_rename_delete(qtbot, window, record_run, tmp_path: Path, monkeypatch) -> None:
    home = Path(os.environ["RNNVIZ_RUNS_DIR"])
    record_run(home / "first", epochs=1)
    window.runs.show_browser()
    browser = window.runs.browser
    qtbot.waitUntil(lambda: browser.table.rowCount() == 1, timeout=10_000)
    assert [browser.table.item(0, c).text() for c in (0, 1, 3, 5)] == ["first", "lm", "1", "completed"]
    with qtbot.waitSignal(browser.table.model().modelReset, timeout=10_000, raising=False):
        target = browser.rename(home / "first", "lecture 3")
    assert target == home / "lecture 3" and target.is_dir()
    qtbot.waitUntil(lambda: browser.table.rowCount() == 1 and browser.table.item(0, 0).text() == "lecture 3",
                    timeout=10_000)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    browser.delete_selected()  # answered No: kept
    assert target.is_dir()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    browser.delete_selected()
    assert not target.exists()
    qtbot.waitUntil(lambda: browser.table.rowCount() == 0, timeout=10_000)
    browser.close()
