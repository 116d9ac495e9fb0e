"""Before a run of more than about ten minutes starts, the window says so and offers a smaller one."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from rnnviz.gui.main_window import MainWindow
from tests.gui.test_main_window import make_window, wait_state


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = make_window(qtbot, tmp_path)
    window.config_panel.epochs.setValue(20_000)  # hours on a CPU
    yield window
    window.controller.shutdown(3000)


def _answer(monkeypatch, starts_with: str, seen: list[str]) -> None:
    def exec_(box: QMessageBox) -> int:
        seen.append(box.text())
        next(b for b in box.buttons() if b.text().startswith(starts_with)).click()
        return 0
    monkeypatch.setattr(QMessageBox, "exec", exec_)


def test_a_long_run_is_announced_and_the_smaller_one_taken(qtbot, window: MainWindow, monkeypatch) -> None:
    seen: list[str] = []
    suggestion = window.config_panel.suggestion()
    assert suggestion is not None
    _answer(monkeypatch, suggestion.label[:8], seen)
    window.act_train.trigger()
    assert seen and "would take about 1 h" in seen[0]  # said before it starts, with the time
    assert window.config_panel.epochs.value() < 20_000  # the offered run, not the long one
    assert window.config_panel.long_run_warning(window.store.corpus) is None
    qtbot.waitUntil(lambda: window.controller.state in ("running", "paused", "idle"), timeout=30_000)
    window.controller.stop()
    wait_state(qtbot, window, "idle", 60_000)


def test_cancel_starts_nothing(qtbot, window: MainWindow, monkeypatch) -> None:
    seen: list[str] = []
    _answer(monkeypatch, "Cancel", seen)
    window.act_train.trigger()
    assert seen and window.controller.state == "idle" and window.store.current_run() is None
    assert window.config_panel.epochs.value() == 20_000
