"""The Exercises menu and dock: choosing an exercise sets up its data, model and view and shows its question;
Run works off the GUI thread and Stop stops a comparison."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from rnnviz.core.exercises import EXERCISES, get_exercise
from rnnviz.gui.main_window import MainWindow
from rnnviz.gui.panels.exercises import ExercisesPanel
from rnnviz.gui.panels.exercises.user_files import csv_header
from rnnviz.gui.style import PRESENTATION
from tests.gui.panels import exercise_fakes


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
    for e in EXERCISES:  # one not ready yet says what it needs
        assert ("needs:" in window.exercises.actions[e.id].text()) == (not e.ready)


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


def test_an_exercise_with_its_own_data_leaves_the_tabs_theirs(qtbot, window: MainWindow) -> None:
    window.exercises.actions["rnn-1"].trigger()
    qtbot.waitUntil(lambda: window.store.task == "lm", timeout=30_000)
    cell, tab = window.builder.model_config().stack.cell, window.tabs.currentIndex()
    for exercise_id in ("lstm-5", "bi-3"):  # a time series and a classifier: no task of the tabs
        window.exercises.choose(exercise_id)
        panel = window.exercises.panel
        assert window.store.task == "lm" and window.builder.model_config().stack.cell == cell
        assert window.tabs.currentIndex() == tab
        assert "its own" in panel.status.text() and panel.run_button.isEnabled()
        assert not panel.file_button.isHidden()  # both run on a user's file too


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
    assert panel.run_button.text() == "Compare"
    with qtbot.waitSignal(panel.sig_finished, timeout=60_000) as blocker:
        panel.run_button.click()
        assert panel.stop_button.isEnabled()
        panel.stop_button.click()
    result = blocker.args[0]
    assert result is not None and result.stopped and len(result.table("runs").rows) < 3
    assert "stopped" in panel.progress_text.text()


def test_a_result_with_plots_is_drawn_in_tabs(qtbot) -> None:
    panel = ExercisesPanel()
    qtbot.addWidget(panel)
    panel.show_exercise(exercise_fakes.exercise())
    with qtbot.waitSignal(panel.sig_finished, timeout=30_000):
        panel.run_button.click()
    assert panel.results.tab_titles() == ["forecast", "accuracy per class", "Text"]
    assert len(panel.results.plot_views[0].curves) == 3
    assert "ran on built-in data" in panel.results.summary.text()


def test_run_on_a_file_offers_the_csv_columns_and_runs_on_it(qtbot, tmp_path: Path) -> None:
    panel = ExercisesPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_exercise(exercise_fakes.exercise())
    assert panel.file_button.isVisible() and panel.column_box.isVisible()
    data = tmp_path / "sales.csv"
    data.write_text("month,sales\n1,3\n2,5\n")
    panel.set_files((str(data),))
    assert [panel.column_box.itemText(i) for i in range(panel.column_box.count())] == ["month", "sales"]
    assert panel.column() is None  # offered, not guessed
    panel.column_box.setCurrentText("sales")
    with qtbot.waitSignal(panel.sig_finished, timeout=30_000):
        panel.file_button.click()
    assert "ran on sales.csv, column sales" in panel.results.summary.text()


def test_a_bad_file_says_why_and_keeps_the_last_result(qtbot, tmp_path: Path) -> None:
    panel = ExercisesPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_exercise(exercise_fakes.exercise())
    with qtbot.waitSignal(panel.sig_finished, timeout=30_000):
        panel.run_button.click()
    good = panel.result
    bad = tmp_path / "bad.csv"
    bad.write_text("x\nbad\n")
    panel.set_files((str(bad),))
    panel.column_box.setCurrentText("x")
    with qtbot.waitSignal(panel.sig_finished, timeout=30_000) as blocker:
        panel.run_on_file()
    assert blocker.args[0] is None
    assert panel.message.isVisible() and "holds text, not numbers; choose a numeric column" in panel.message.text()
    assert "Traceback" not in panel.message.text()
    assert panel.result is good and "ran on built-in data" in panel.results.summary.text()
    assert "last good one" in panel.progress_text.text() and panel.run_button.isEnabled()
    with qtbot.waitSignal(panel.sig_finished, timeout=30_000):
        panel.run_button.click()  # a good run clears the message
    assert not panel.message.isVisible()


def test_csv_header_offers_names_or_numbers(tmp_path: Path) -> None:
    named, numbers, empty = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    named.write_text('date,"value, in €"\n2020,1\n')
    numbers.write_text("1.5,2,3\n4,5,6\n")
    empty.write_text("")
    assert csv_header(named) == ["date", "value, in €"]
    assert csv_header(numbers) == ["1", "2", "3"]
    assert csv_header(empty) == [] and csv_header(tmp_path / "none.csv") == []


def test_the_dock_follows_presentation_mode(qtbot, window: MainWindow) -> None:
    window.exercises.choose("beam-1")
    panel = window.exercises.panel
    panel.results.show_result(exercise_fakes.result())
    normal_pt = panel.font().pointSizeF()
    width = panel.results.plot_views[0].curves[0].opts["pen"].widthF()
    window.toggle_presentation(True)
    try:
        assert window.exercises.dock.isVisible()  # the question stays beside the view on the projector
        assert panel.font().pointSizeF() == pytest.approx(normal_pt * PRESENTATION.font_scale)
        assert panel.results.plot_views[0].curves[0].opts["pen"].widthF() == PRESENTATION.line_width > width
        assert panel.results.tables[0].font().pointSizeF() == pytest.approx(normal_pt * PRESENTATION.font_scale)
    finally:
        window.toggle_presentation(False)
    assert panel.font().pointSizeF() == pytest.approx(normal_pt)


def test_the_dock_leaves_the_tabs_their_width(qtbot, window: MainWindow) -> None:
    window.resize(1280, 720)
    window.exercises.choose("gru-2")
    qtbot.waitUntil(lambda: window.exercises.dock.width() > 0)
    qtbot.wait(50)
    assert window.exercises.dock.width() <= window.width() * 0.4
    assert window.tabs.width() >= window.tabs.currentWidget().minimumSizeHint().width()


def test_the_model_a_run_trained_can_be_shown_in_the_tabs(qtbot, window: MainWindow) -> None:
    window.exercises.choose("gru-2")
    qtbot.waitUntil(lambda: window.store.task == "recall", timeout=10_000)
    panel = window.exercises.panel
    assert not panel.show_model_button.isVisible()
    with qtbot.waitSignal(panel.sig_finished, timeout=60_000) as blocker:
        panel.run_button.click()
    trained = blocker.args[0].models[0]
    assert panel.show_model_button.isVisible()
    panel.show_model_button.click()
    shown = window.store.model("recall")
    assert shown is not None and shown.model is trained.model
    assert shown.origin.describe() == f"trained here, step {trained.history.step[-1]}"
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Gates"
    assert "exercise gru-2 trained" in window.statusBar().currentMessage()


def test_a_result_without_a_model_offers_none(qtbot) -> None:
    panel = ExercisesPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_exercise(exercise_fakes.exercise())
    with qtbot.waitSignal(panel.sig_finished, timeout=30_000):
        panel.run_button.click()
    assert panel.model() is None and not panel.show_model_button.isVisible()


def test_a_run_that_trained_several_models_offers_each(qtbot) -> None:
    from types import SimpleNamespace

    from rnnviz.core.exercises import ExerciseResult

    def bundle(name: str, corpus: str, task: str = "mt") -> SimpleNamespace:
        return SimpleNamespace(task=task, display_name=name, data_config=SimpleNamespace(corpus=corpus))

    masked, unmasked = bundle("GRU 2×32 encoder–decoder", "toy-reverse"), bundle("GRU 2×32 unmasked", "toy-reverse")
    panel = ExercisesPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_exercise(exercise_fakes.exercise())
    panel._done(ExerciseResult("fake-1", "two runs", models=(masked, bundle("a classifier", "x", "classify"),
                                                                unmasked)))
    menu = panel.show_model_button.menu()
    assert panel.show_model_button.isVisible() and menu is not None
    assert [a.text() for a in menu.actions()] == ["1. GRU 2×32 encoder–decoder on toy-reverse",
                                                  "2. GRU 2×32 unmasked on toy-reverse"]  # the tabs show no classifier
    with qtbot.waitSignal(panel.sig_show_model) as blocker:
        menu.actions()[1].trigger()
    assert blocker.args[0] is unmasked


@pytest.mark.parametrize("content", ["date;price\n2024-01-01;101.5\n2024-01-02;102\n2024-01-03;99\n",
                                     "\ufeffdate,price\n2024-01-01,101.5\n2024-01-02,102\n2024-01-03,99\n",
                                     "date\tprice\n2024-01-01\t101.5\n2024-01-02\t102\n2024-01-03\t99\n"])
def test_every_column_offered_is_one_the_run_finds(tmp_path: Path, content: str) -> None:
    """A semicolon or TAB CSV (a European spreadsheet's export), or one with a byte-order mark: the dock offers
    the columns the run reads, not 'date;price' as one name the run then cannot find."""
    from rnnviz.core.series import read_csv_column

    path = tmp_path / "prices.csv"
    path.write_text(content, encoding="utf-8")
    offered = csv_header(path)
    assert offered == ["date", "price"]
    series = read_csv_column(path, offered[1], tau=1)
    assert list(series.values) == [101.5, 102.0, 99.0]
