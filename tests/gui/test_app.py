"""The desktop app opens: `rnnviz` with no command shows the main window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from rnnviz.cli import main
from rnnviz.gui.main_window import MainWindow


def test_main_window_lists_the_corpora(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    table = window.corpora_table
    names = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert names[:3] == ["phrasebook", "phrasebook-en", "phrasebook-fr"]
    assert "time-machine" in names and "fra-eng" in names
    statuses = {table.item(row, 0).text(): table.item(row, 2).text() for row in range(table.rowCount())}
    assert statuses["phrasebook"] == "built-in"
    assert statuses["time-machine"] == "not downloaded"


def test_no_subcommand_launches_the_gui(qapp: QApplication) -> None:
    shown: list[str] = []

    def look_and_quit() -> None:
        shown.extend(w.windowTitle() for w in QApplication.topLevelWidgets()
                     if isinstance(w, MainWindow) and w.isVisible())
        for widget in QApplication.topLevelWidgets():
            widget.close()
        qapp.quit()

    QTimer.singleShot(200, look_and_quit)
    assert main([]) == 0
    assert shown and shown[0].startswith("rnnviz")


@pytest.fixture(autouse=True)
def _no_leaked_windows(qapp: QApplication):
    yield
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
