"""GUI tests: live samples after every epoch, so that tests can count them; no test leaves a
thread, a pool job or a timer running."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _runs_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The window records every training run: into the test's folder, never the user's runs folder."""
    monkeypatch.setenv("RNNVIZ_RUNS_DIR", str(tmp_path / "recorded-runs"))


@pytest.fixture(autouse=True)
def _sample_every_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    import rnnviz.gui.training.worker as worker

    monkeypatch.setattr(worker, "SAMPLE_MIN_GAP_S", 0.0)


# ---- no test leaves work running ---------------------------------------------------------------
#
# A thread, a pool job or a timer that outlives its test runs into the next one, where it touches
# objects already deleted: the crash then shows up far from its cause. After every GUI test (and
# after pytest-qt has closed its widgets) these must all be idle.


@pytest.fixture(autouse=True)
def _no_work_left_running(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    from PySide6.QtCore import QCoreApplication, QEvent, QThread, QThreadPool, QTimer
    from shiboken6 import isValid

    from rnnviz.gui import concurrency

    timers: weakref.WeakKeyDictionary[QTimer, str] = weakref.WeakKeyDictionary()
    threads: weakref.WeakKeyDictionary[QThread, str] = weakref.WeakKeyDictionary()
    timer_start, thread_start = QTimer.start, QThread.start

    def start_timer(self: QTimer, *args: object) -> None:
        timers[self] = _caller()
        timer_start(self, *args)

    def start_thread(self: QThread, *args: object) -> None:
        threads[self] = _caller()
        thread_start(self, *args)

    monkeypatch.setattr(QTimer, "start", start_timer)
    monkeypatch.setattr(QThread, "start", start_thread)
    yield
    if QCoreApplication.instance() is None:
        return
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)  # widgets closed by pytest-qt
    left: list[str] = []
    if concurrency.active_jobs():
        left.append(f"{concurrency.active_jobs()} background job(s) of rnnviz.gui.concurrency")
        concurrency.wait_for_jobs(5000)  # do not let them run into the next test
    if QThreadPool.globalInstance().activeThreadCount():
        left.append("a job on Qt's global thread pool")
        QThreadPool.globalInstance().waitForDone(5000)
    for thread, where in list(threads.items()):
        if isValid(thread) and thread.isRunning():
            left.append(f"the thread {thread.objectName() or thread!r} started at {where}")
    for timer, where in list(timers.items()):
        if isValid(timer) and timer.isActive() and not _is_app_timer(timer):
            left.append(f"the timer {timer.objectName() or timer!r} started at {where}")
    assert not left, ("the test left work running (wait for it, stop it, or close what owns it):\n  "
                      + "\n  ".join(left))


def _caller() -> str:
    """Where in rnnviz or the tests a thread or timer was started (file:line)."""
    for frame in inspect.stack()[2:12]:
        if "/rnnviz/" in frame.filename or "/tests/" in frame.filename:
            return f"{Path(frame.filename).name}:{frame.lineno}"
    return "?"


def _is_app_timer(timer: object) -> bool:
    """Timers that belong to the application, not to a test: the GUI-thread garbage collector."""
    return timer.objectName().startswith("rnnviz-app")
