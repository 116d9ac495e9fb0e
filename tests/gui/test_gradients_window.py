"""The Gradients tab in the main window: it follows training on snapshots, the lecture keys move its
loss row wherever the focus is, and presentation mode gives its plots the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.memory_tasks import build_memory_data
from rnnviz.core.models.factory import bundle_for
from rnnviz.gui.main_window import MainWindow
from tests.gui.test_main_window import make_window, wait_state
from tests.gui.test_presentation_sizes import present_at


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = make_window(qtbot, tmp_path)
    yield window
    window.controller.shutdown(3000)


def _ready(qtbot, window: MainWindow) -> None:
    panel = window.gradients_panel
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.result() is not None and not panel.is_busy(), timeout=60_000)


def test_the_tab_sits_after_gates_and_shows_the_shipped_model(qtbot, window: MainWindow) -> None:
    tabs = window.tabs
    assert tabs.tabText(tabs.indexOf(window.gradients_panel)) == "Gradients"
    assert tabs.indexOf(window.gradients_panel) == tabs.indexOf(window.gates_panel) + 1
    _ready(qtbot, window)
    assert window.followers["gradients"].banner.text().startswith("shipped phrasebook-en model")


def test_it_follows_training_on_snapshots_and_keeps_the_run_to_overlay(qtbot, window: MainWindow) -> None:
    _ready(qtbot, window)
    panel = window.gradients_panel
    shown: list[str] = []
    panel.sig_result_ready.connect(lambda result: shown.append(window.followers["gradients"].banner.text()))
    window.config_panel.epochs.setValue(3)
    with qtbot.waitSignal(window.controller.sig_finished, timeout=120_000):
        window.act_train.trigger()
    wait_state(qtbot, window, "idle")
    run = window.store.current_run()
    qtbot.waitUntil(lambda: any(f"step {run.step}" in text for text in shown) and not panel.is_busy(),
                    timeout=60_000)
    assert all(text.startswith("trained here, run 1, step ") for text in shown)  # every result names its step
    assert len(shown) >= 2  # at least one snapshot while training, and the trained model after
    assert panel.bundle() is window.store.model("lm") and panel.bundle() is not window.controller.bundle
    assert "GRU 1×128, shipped" in panel.overlays()  # the shipped model, shown before, is overlaid


def test_keys_move_the_loss_row_unless_a_text_field_wants_them(qtbot, window: MainWindow) -> None:
    _ready(qtbot, window)
    panel = window.gradients_panel
    panel.set_row(3)
    edit = panel.controls.text_edit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    edit.setCursorPosition(2)
    QTest.keyClick(edit, Qt.Key.Key_Right)
    assert edit.cursorPosition() == 3 and panel.row() == 3  # typing: the arrow is the text's
    QTest.keyClick(edit, Qt.Key.Key_PageDown)
    assert panel.row() == 4  # a text field has no use for PageDown
    data = build_memory_data(DataConfig(corpus="recall", num_train=8, num_val=6, num_steps=10, lag=2, symbols=2))
    panel.set_bundle(bundle_for(data, ModelConfig("recall", StackSpec("gru", (8,)))))
    qtbot.waitUntil(lambda: panel.result() is not None and panel.result().stack.steps == 10
                    and not panel.is_busy(), timeout=30_000)
    spin = panel.controls.sequence_spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    row = panel.row()
    QTest.keyClick(spin, Qt.Key.Key_Left)
    assert panel.row() == row - 1 and spin.value() == 1  # ← is the lecture's, in a spin box too
    QTest.keyClick(spin, Qt.Key.Key_Up)  # Up is the spin box's own
    assert spin.value() == 2
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=30_000)


def test_presentation_mode_gives_the_plots_the_screen_at_1280x720(qtbot, window: MainWindow) -> None:
    _ready(qtbot, window)
    panel = window.gradients_panel
    present_at(qtbot, window, 1280, 720)
    qtbot.wait(100)
    assert panel.fold_button.folded() and not panel.controls.view_box.isVisible()
    for plot in (panel.plots.g_plot, panel.plots.map_plot):
        assert plot.getViewBox().height() >= 250, "a plot is squeezed"
    assert panel.plots.map_plot.getViewBox().width() >= 350
    readout = panel.readout
    assert readout.height() >= readout.heightForWidth(readout.width())  # the sentence is not cut off
    assert panel.plots.g_axis.style["tickFont"].pointSizeF() > 12  # type a room can read
    window.toggle_presentation(False)
