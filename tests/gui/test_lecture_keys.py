"""The lecture's keys mean the same wherever the focus is: the tab bar, a spin box, a combo box,
a button; a text field being typed in keeps its text keys. Real key events, as a remote sends them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTabBar

from rnnviz.gui.lecture_keys import KEYS, ShortcutSheet
from rnnviz.gui.main_window import MainWindow
from tests.gui.test_main_window import make_window, wait_state


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = make_window(qtbot, tmp_path)
    window.activateWindow()
    yield window
    window.controller.shutdown(3000)


def _press(widget, key: Qt.Key, text: str = "") -> None:
    """A key as the system delivers it: to the focused widget, shortcuts first."""
    widget.setFocus()
    QTest.keyClick(widget, key)


def _gates_ready(qtbot, window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.gates_panel)
    qtbot.waitUntil(lambda: window.gates_panel.trace() is not None and not window.gates_panel.is_busy(),
                    timeout=60_000)


def test_arrows_and_page_keys_step_time_with_the_focus_on_the_tab_bar(qtbot, window: MainWindow) -> None:
    _gates_ready(qtbot, window)
    bar = window.tabs.findChild(QTabBar)
    index, step = window.tabs.currentIndex(), window.gates_panel.step()
    for key, expected in ((Qt.Key.Key_Right, step + 1), (Qt.Key.Key_PageDown, step + 2),
                          (Qt.Key.Key_Left, step + 1), (Qt.Key.Key_PageUp, step)):
        _press(bar, key)
        assert window.gates_panel.step() == expected
        assert window.tabs.currentIndex() == index  # the tab bar did not switch tab
    assert window.controller.state == "idle"  # and no training step was taken


def test_a_focused_spin_box_or_combo_box_keeps_its_value(qtbot, window: MainWindow) -> None:
    _gates_ready(qtbot, window)
    epochs = window.config_panel.epochs
    value, step = epochs.value(), window.gates_panel.step()
    _press(epochs, Qt.Key.Key_PageDown)
    _press(epochs, Qt.Key.Key_PageUp)
    _press(epochs, Qt.Key.Key_Right)
    assert epochs.value() == value
    assert window.gates_panel.step() == step + 1  # down, up, then one more: the keys went to the Gates tab
    combo = window.device_box
    current = combo.currentIndex()
    _press(combo, Qt.Key.Key_PageDown)
    assert combo.currentIndex() == current


def test_space_trains_from_a_spin_box_and_esc_stops(qtbot, window: MainWindow) -> None:
    epochs = window.config_panel.epochs
    epochs.setValue(50)
    _press(epochs, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=30_000)
    assert epochs.value() == 50
    _press(window.tabs.findChild(QTabBar), Qt.Key.Key_Space)  # pause, from the tab bar
    wait_state(qtbot, window, "paused")
    with qtbot.waitSignal(window.controller.sig_finished, timeout=30_000):
        _press(window.tabs.findChild(QTabBar), Qt.Key.Key_Escape)
    wait_state(qtbot, window, "idle")


def test_a_text_field_keeps_space_and_arrows_but_not_page_keys(qtbot, window: MainWindow) -> None:
    edit = window.training_view.probe_edit
    edit.setText("the")
    edit.setCursorPosition(3)
    _press(edit, Qt.Key.Key_Space)
    QTest.keyClicks(edit, "b.?")
    assert edit.text() == "the b.?"  # typed, not train / blank / help
    _press(edit, Qt.Key.Key_Left)
    assert edit.cursorPosition() == 6 and window.controller.state == "idle"
    assert not window.presentation.blank.isVisible()
    _gates_ready(qtbot, window)
    probe = window.gates_panel.probe_edit
    step = window.gates_panel.step()
    _press(probe, Qt.Key.Key_PageDown)  # a text field has no use for PageDown: it steps
    assert window.gates_panel.step() == step + 1


def test_right_in_a_tab_without_steps_starts_nothing(qtbot, window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.translate_panel)
    _press(window.tabs.findChild(QTabBar), Qt.Key.Key_Right)
    assert window.controller.state == "idle"
    assert "no steps" in window.statusBar().currentMessage()
    assert window.tabs.currentWidget() is window.translate_panel
    window.tabs.setCurrentWidget(window.builder)  # the message spoke of the Translate tab: it goes
    assert window.statusBar().currentMessage() == ""


def test_right_in_the_training_tab_takes_one_step_as_the_step_button_says(qtbot, window: MainWindow) -> None:
    assert "starts a paused run" in window.act_step.statusTip()
    with qtbot.waitSignal(window.controller.sig_events, timeout=30_000):
        _press(window.tabs.findChild(QTabBar), Qt.Key.Key_Right)
    wait_state(qtbot, window, "paused")
    window.controller.stop()
    wait_state(qtbot, window, "idle")


def test_blank_screen_and_back_with_b_dot_and_esc(qtbot, window: MainWindow) -> None:
    blank = window.presentation.blank
    bar = window.tabs.findChild(QTabBar)
    _press(bar, Qt.Key.Key_B)
    assert blank.isVisible() and blank.geometry() == window.rect()
    _press(window.config_panel.epochs, Qt.Key.Key_Period)
    assert not blank.isVisible()
    _press(bar, Qt.Key.Key_B)
    _press(bar, Qt.Key.Key_Escape)
    assert not blank.isVisible() and window.controller.state == "idle"


def test_f1_and_question_mark_show_every_key(qtbot, window: MainWindow, monkeypatch) -> None:
    shown: list[list[tuple[str, str]]] = []
    monkeypatch.setattr(ShortcutSheet, "exec", lambda self: shown.append(self.rows()) or 0)
    _press(window.tabs.findChild(QTabBar), Qt.Key.Key_F1)
    _press(window.config_panel.epochs, Qt.Key.Key_Question)
    assert len(shown) == 2
    listed = {keys for keys, _ in shown[0]}
    assert {entry.label for entry in KEYS} <= listed and "F11" in listed
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert "Keys…" in [a.text() for a in help_menu.actions()]


def test_f5_enters_and_leaves_presentation_mode_restoring_the_window(qtbot, window: MainWindow) -> None:
    window.setGeometry(20, 30, window.minimumSizeHint().width() + 60, 660)
    qtbot.wait(50)
    before = window.geometry()
    docks = [window.data_dock.isVisible(), window.config_dock.isVisible()]
    _press(window.tabs.findChild(QTabBar), Qt.Key.Key_F5)
    assert window.presentation.on and window.act_present.isChecked()
    assert not window.data_dock.isVisible()
    _press(window.tabs.findChild(QTabBar), Qt.Key.Key_F5)
    assert not window.presentation.on
    qtbot.waitUntil(lambda: window.geometry() == before, timeout=5000)  # not the large type's larger size
    assert [window.data_dock.isVisible(), window.config_dock.isVisible()] == docks
