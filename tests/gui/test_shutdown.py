"""Stop and close are prompt in every state: Stop and Esc abandon a preparation, and closing the
window hides it at once, leaves the controller idle and ends the training thread at its next check
(a slow preparation phase and a step that takes a second included) without a signal afterwards."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, Qt, QThread

import rnnviz.core.data.datasets as datasets
from rnnviz.core.events import Step
from rnnviz.core.models import factory
from rnnviz.core.models.lm import RNNLM
from rnnviz.gui.main_window import MainWindow
from tests.gui.test_main_window import make_window, wait_state

SLOW_S = 1.0  # a step, or a phase of the preparation, as slow as the issue's
ENDS_WITHIN_MS = 3000  # the thread's end after a close: the design says ~1 s; generous for a loaded 2-core machine
QUIET_MS = 300  # listening for something that must not happen


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = make_window(qtbot, tmp_path)
    yield window
    window.controller.shutdown(5000)


class _HideWatch(QObject):
    """When the window was hidden, and whether its training thread was still running then."""

    def __init__(self, window: MainWindow, thread: QThread | None) -> None:
        super().__init__(window)
        self.thread = thread
        self.hidden_at: float | None = None
        self.thread_ran_at_hide = False
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Hide and self.hidden_at is None:
            self.hidden_at = time.perf_counter()
            self.thread_ran_at_hide = self.thread is not None and self.thread.isRunning()
        return False


@dataclass
class Closed:
    thread: QThread | None
    hidden_after_s: float
    returned_after_s: float
    thread_ran_at_hide: bool
    heard_after: list[str] = field(default_factory=list)  # what the controller emitted after close() returned


def close(window: MainWindow) -> Closed:
    """Close the window as the user does, and note what happened when."""
    controller = window.controller
    thread = controller.worker_thread
    watch = _HideWatch(window, thread)
    started = time.perf_counter()
    window.close()
    returned = time.perf_counter()
    assert watch.hidden_at is not None and not window.isVisible()
    closed = Closed(thread, watch.hidden_at - started, returned - started, watch.thread_ran_at_hide)
    for name in ("sig_state", "sig_events", "sig_finished", "sig_error", "sig_run_started", "sig_sample"):
        getattr(controller, name).connect(lambda *args, name=name: closed.heard_after.append(name))
    return closed


def assert_ends_quietly(qtbot, window: MainWindow, closed: Closed) -> None:
    """The controller is idle, the thread ends within the bound, and nothing comes from it any more."""
    assert window.controller.state == "idle" and window.controller.worker_thread is None
    assert closed.returned_after_s < ENDS_WITHIN_MS / 1000  # close() waits ~1 s at most
    if closed.thread is not None:
        qtbot.waitUntil(closed.thread.isFinished, timeout=ENDS_WITHIN_MS)
    qtbot.wait(QUIET_MS)  # anything the thread might have sent is delivered now
    assert closed.heard_after == []


def slow_phase(monkeypatch, *, release: threading.Event | None = None) -> threading.Event:
    """Reading the corpus takes SLOW_S (or until ``release``); the returned event is set once it began."""
    entered, original = threading.Event(), datasets.build_data

    def build_data(*args, **kwargs):
        entered.set()
        if release is None:
            time.sleep(SLOW_S)  # a large corpus: no check can interrupt it
        else:
            assert release.wait(30)
        return original(*args, **kwargs)
    monkeypatch.setattr(datasets, "build_data", build_data)
    return entered


def count_models_built(monkeypatch) -> list[int]:
    built, original = [], factory.bundle_for

    def bundle_for(*args, **kwargs):
        built.append(1)
        return original(*args, **kwargs)
    monkeypatch.setattr(factory, "bundle_for", bundle_for)
    return built


# ---- Stop and Esc while preparing -------------------------------------------------------------


@pytest.mark.parametrize("how", ["Stop button", "Esc"])
def test_stop_and_esc_while_preparing_end_the_run_as_stopped(qtbot, window: MainWindow, monkeypatch, how) -> None:
    release = threading.Event()
    entered = slow_phase(monkeypatch, release=release)
    built = count_models_built(monkeypatch)
    steps: list[Step] = []
    window.controller.sig_events.connect(lambda events: steps.extend(e for e in events if isinstance(e, Step)))
    window.act_train.trigger()
    qtbot.waitUntil(entered.is_set, timeout=30_000)
    assert window.controller.state == "preparing" and window.act_stop.isEnabled()
    with qtbot.waitSignal(window.controller.sig_finished, timeout=30_000) as finished:
        if how == "Esc":
            qtbot.keyClick(window, Qt.Key.Key_Escape)
        else:
            window.act_stop.trigger()
        release.set()  # the phase ends; the preparation goes no further
    assert finished.args[0].reason == "stopped"
    wait_state(qtbot, window, "idle")
    qtbot.wait(QUIET_MS)
    assert built == [] and steps == [] and window.controller.bundle is None  # nothing built, nothing trained
    assert not window.act_stop.isEnabled() and window.act_train.isEnabled()
    assert window.status_state.text() == "idle"


# ---- closing in every state -------------------------------------------------------------------


def test_closing_while_preparing_hides_at_once_and_builds_nothing(qtbot, window: MainWindow, monkeypatch) -> None:
    entered = slow_phase(monkeypatch)
    built = count_models_built(monkeypatch)
    window.act_train.trigger()
    qtbot.waitUntil(entered.is_set, timeout=30_000)
    closed = close(window)
    assert closed.thread_ran_at_hide  # the window went while the slow phase still ran
    assert_ends_quietly(qtbot, window, closed)
    assert built == []  # the closing was heard before the next phase


def test_closing_during_a_one_second_step_hides_at_once(qtbot, window: MainWindow, monkeypatch) -> None:
    in_step, original = threading.Event(), RNNLM.batch_loss

    def slow_loss(self, batch):
        in_step.set()
        time.sleep(SLOW_S)  # a model whose step takes a second: no check can interrupt it
        return original(self, batch)
    monkeypatch.setattr(RNNLM, "batch_loss", slow_loss)
    window.config_panel.epochs.setValue(50)
    window.act_train.trigger()
    qtbot.waitUntil(in_step.is_set, timeout=30_000)
    closed = close(window)
    assert closed.thread_ran_at_hide  # hidden mid-step, not after it
    assert_ends_quietly(qtbot, window, closed)


def test_closing_while_paused_ends_the_thread_before_close_returns(qtbot, window: MainWindow) -> None:
    window.config_panel.epochs.setValue(50)
    window.act_train.trigger()
    wait_state(qtbot, window, "running")
    window.act_pause.trigger()
    wait_state(qtbot, window, "paused")
    closed = close(window)
    assert closed.thread is not None and closed.thread.isFinished()  # a paused worker looks up every 50 ms
    assert_ends_quietly(qtbot, window, closed)


def test_closing_when_idle_after_a_run_ends_the_thread(qtbot, window: MainWindow) -> None:
    window.config_panel.epochs.setValue(1)
    with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000):
        window.act_train.trigger()
    wait_state(qtbot, window, "idle")
    closed = close(window)
    assert closed.thread is not None and closed.thread.isFinished()
    assert_ends_quietly(qtbot, window, closed)
