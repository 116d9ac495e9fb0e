"""The Exercises menu and dock: choosing an exercise sets up its data, model and view and shows its question;
Run works off the GUI thread and Stop stops a comparison."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from rnnviz.core.exercises import get_exercise
from rnnviz.gui.main_window import MainWindow
from rnnviz.gui.panels.exercises import ExercisesPanel


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.data_panel.wait_idle(30_000)
    yield window
    window.controller.shutdown(3000)


def test_the_menu_lists_every_section_and_exercise(window: MainWindow) -> None:
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert "Exercises" in titles and titles.index("Exercises") < titles.index("Help")
    assert len(window.exercises.actions) == 29
    assert "needs:" in window.exercises.actions["lstm-5"].text()


def test_choosing_an_exercise_sets_up_data_model_and_view(qtbot, window: MainWindow) -> None:
    window.exercises.actions["gru-2"].trigger()
    qtbot.waitUntil(lambda: window.store.task == "recall", timeout=10_000)
    assert window.builder.model_config().stack.cell == "gru"
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Gates"
    panel = window.exercises.panel
    assert window.exercises.dock.isVisible()
    assert get_exercise("gru-2").question in panel.question.text()

    window.exercises.actions["rnn-1"].trigger()
    qtbot.waitUntil(lambda: window.store.task == "lm", timeout=30_000)
    assert window.builder.model_config().stack.cell == "rnn"
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Builder"
    assert "Builder" in panel.status.text()


def test_an_exercise_that_needs_a_capability_says_so(window: MainWindow) -> None:
    window.exercises.choose("s2s-3")
    panel = window.exercises.panel
    assert "needs: the padding mask" in panel.status.text() and not panel.run_button.isEnabled()


def test_run_shows_the_result(qtbot) -> None:
    panel = ExercisesPanel()
    qtbot.addWidget(panel)
    panel.show_exercise(get_exercise("beam-1"))
    with qtbot.waitSignal(panel.sig_finished, timeout=30_000) as blocker:
        panel.run_button.click()
    assert blocker.args[0] is not None and "exhaustive" in panel.output.toPlainText()
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()


def test_stop_stops_a_running_comparison(qtbot) -> None:
    panel = ExercisesPanel()
    qtbot.addWidget(panel)
    panel.show_exercise(get_exercise("gru-4"))
    assert panel.run_button.text() == "Run the comparison"
    with qtbot.waitSignal(panel.sig_finished, timeout=60_000) as blocker:
        panel.run_button.click()
        assert panel.stop_button.isEnabled()
        panel.stop_button.click()
    result = blocker.args[0]
    assert result is not None and result.stopped and len(result.table("runs").rows) < 3
    assert "stopped" in panel.progress_text.text()
