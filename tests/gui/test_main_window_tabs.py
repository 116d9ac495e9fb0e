"""The model tabs in the main window: shipped models first, the trained model after, live gates."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnviz.gui.main_window import MainWindow
from tests.gui.test_main_window import make_window, wait_state


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = make_window(qtbot, tmp_path)
    yield window
    window.controller.shutdown(3000)


def test_the_model_tabs_start_on_the_shipped_models(qtbot, window: MainWindow) -> None:
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Training", "Builder", "Gates", "Gradients", "Translate", "Generate", "Beam search"]
    window.tabs.setCurrentWidget(window.gates_panel)
    store = window.store
    qtbot.waitUntil(lambda: store.model("lm") is not None and store.model("mt") is not None, timeout=60_000)
    assert store.is_shipped("lm") and store.is_shipped("mt")
    qtbot.waitUntil(lambda: window.gates_panel.trace() is not None, timeout=30_000)
    assert window.gates_panel.bundle().task == "lm"  # the data panel's task
    assert window.followers["gates"].banner.text().startswith("shipped phrasebook-en model")
    assert window.translate_panel.bundle() is None  # a hidden tab gets its model when shown
    window.tabs.setCurrentWidget(window.translate_panel)
    assert window.translate_panel.bundle() is store.model("mt")
    assert window.followers["translate"].banner.text().startswith("shipped phrasebook model")
    window.tabs.setCurrentWidget(window.generate_panel)
    assert window.generate_panel.bundle() is store.model("lm")


def test_gates_follow_training_and_then_show_the_trained_model(qtbot, window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.gates_panel)  # snapshots are taken for a Gates tab in view
    window.gates_panel.set_follow_training(True)
    window.gates_panel.set_probe("the girls are happy")
    traces = []
    window.gates_panel.sig_trace_ready.connect(traces.append)
    window.config_panel.epochs.setValue(2)
    with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000):
        window.act_train.trigger()
    wait_state(qtbot, window, "idle")
    qtbot.waitUntil(lambda: window.gates_panel.bundle() is not None
                    and window.gates_panel.bundle().model_config == window.controller.bundle.model_config,
                    timeout=30_000)
    qtbot.waitUntil(lambda: len(traces) >= 2, timeout=30_000)  # a snapshot during training, the trained model after
    shown = window.gates_panel.bundle()
    assert shown is not window.controller.bundle  # a copy: the panel never reads weights that train
    qtbot.waitUntil(lambda: not window.store.is_shipped("lm"), timeout=30_000)  # the trained model replaced the shipped one
    run = window.store.current_run()
    assert (run.number, run.state) == (1, "completed")
    # the last snapshot asked for while following may still come first; the trained model comes last
    qtbot.waitUntil(lambda: window.store.model_label("lm") == f"trained here, run 1, step {run.step}", timeout=30_000)
    assert window.followers["gates"].banner.text().startswith(f"trained here, run 1, step {run.step}")
    assert run.parameters == window.builder.anatomy().total_params  # one count, the Builder's and the run's
    window.tabs.setCurrentWidget(window.generate_panel)  # a tab shown later gets the trained model, and says so
    assert window.generate_panel.bundle() is window.store.model("lm")
    assert window.followers["generate"].banner.text().startswith("trained here, run 1")
    window.followers["generate"].banner.shipped_button.click()  # and back to the shipped one
    assert window.store.is_shipped("lm") and window.generate_panel.bundle() is window.store.model("lm")
    assert window.followers["generate"].banner.text().startswith("shipped phrasebook-en model")


def test_show_beam_tree_from_the_translate_tab(qtbot, window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.translate_panel)
    qtbot.waitUntil(lambda: window.store.model("mt") is not None, timeout=60_000)
    panel = window.translate_panel
    panel.set_sentence("The girls are happy.")
    with qtbot.waitSignal(panel.sig_translated, timeout=30_000):
        panel.translate_now()
    with qtbot.waitSignal(window.beam_panel.sig_result_shown, timeout=30_000):
        panel.tree_button.click()
    assert window.tabs.currentWidget() is window.beam_panel
    assert window.beam_panel.source() == "model"


def test_right_arrow_steps_time_in_the_gates_tab_and_trains_elsewhere(qtbot, window: MainWindow) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window.tabs.setCurrentWidget(window.gates_panel)
    qtbot.waitUntil(lambda: window.gates_panel.trace() is not None and not window.gates_panel.is_busy(),
                    timeout=60_000)
    window.activateWindow()
    window.gates_panel.heatmaps.setFocus()
    step = window.gates_panel.step()
    QTest.keyClick(window.gates_panel.heatmaps, Qt.Key.Key_Right)
    assert window.gates_panel.step() == step + 1
    assert window.controller.state == "idle"  # the arrow did not take a training step
    window.tabs.setCurrentWidget(window.training_view)
    assert window.act_step.shortcut().toString() == "Right"


def test_the_gates_tab_follows_a_change_of_task_without_a_stale_step(qtbot, window: MainWindow) -> None:
    """From a character-level language model to translation: new tokens, a step inside them, no error."""
    window.tabs.setCurrentWidget(window.gates_panel)
    panel = window.gates_panel
    qtbot.waitUntil(lambda: panel.trace() is not None and not panel.is_busy(), timeout=60_000)
    lm_tokens = panel.trace().tokens
    panel.set_step(len(lm_tokens) - 1)  # the last of ~55 characters
    with qtbot.waitSignal(window.store.sig_selection_changed, timeout=30_000):
        window.data_panel.set_selection("phrasebook", "mt")
    qtbot.waitUntil(lambda: panel.trace() is not None and panel.bundle().task == "mt" and not panel.is_busy(),
                    timeout=60_000)
    assert panel.trace().tokens != lm_tokens
    assert 0 <= panel.step() < panel.num_steps()
    assert window.followers["gates"].banner.text().startswith("shipped phrasebook model")
    panel.next_step()  # the step view reads the new trace
    panel.previous_step()
