"""The one way to run work off the GUI thread (training has its own: ``rnnviz.gui.training``).

:func:`run_in_background` runs ``fn()`` on the app's one thread pool and calls
``on_done(result)`` or ``on_error(message, details)`` back on the GUI thread,
through queued signals. With ``progress``, ``fn`` gets a ``report(value)``
callable whose values reach ``progress(value)`` on the GUI thread. With an
``owner``, nothing is delivered once the owner (a panel, a dialog) is gone.

:class:`LatestJob` is the "latest request wins" option: one job at a time for
its owner, the newest waiting request replaces older ones, and only the answer
to the newest request is delivered.

:func:`active_jobs` and :func:`wait_for_jobs` let the window's close and the
tests know whether background work is still running.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, QRunnable, QThreadPool, Signal
from shiboken6 import isValid

from rnnviz.core.errors import RnnvizError
from rnnviz.gui import gc_guard

#: Threads of the pool: corpus loads, traces, searches and file reads; a slow load (fra-eng's
#: statistics take seconds) must not hold up a trace, nor the pool take every core from training.
MAX_THREADS = max(2, min(4, os.cpu_count() or 2))


class _Relay(QObject):
    """Lives in the GUI thread; its signals carry the job's outcome back there."""

    sig_done = Signal(object)
    sig_failed = Signal(str, str)  # the message for the user, the details (a traceback for a bug)
    sig_progress = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[..., Any], relay: _Relay, with_report: bool) -> None:
        super().__init__()
        self.fn, self.relay, self.with_report = fn, relay, with_report

    def run(self) -> None:
        relay = self.relay
        try:
            result = self.fn(relay.sig_progress.emit) if self.with_report else self.fn()
        except RnnvizError as exc:
            _emit(relay.sig_failed, str(exc), "")
        except Exception as exc:  # a bug: the user sees a message, the details keep the traceback
            _emit(relay.sig_failed, f"Unexpected error: {type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            _emit(relay.sig_done, result)


def _emit(signal: Any, *args: Any) -> None:
    try:
        signal.emit(*args)
    except RuntimeError:  # the app is going away: nobody is left to tell
        pass


_pool: QThreadPool | None = None
_live: set[_Relay] = set()  # each relay lives until its job has reported
_lock = threading.Lock()


def pool() -> QThreadPool:
    """The app's thread pool for everything but training (created at first use)."""
    global _pool
    if _pool is None or not isValid(_pool):
        _pool = QThreadPool(QCoreApplication.instance())
        _pool.setObjectName("rnnviz-background")
        _pool.setMaxThreadCount(MAX_THREADS)
    return _pool


def run_in_background(fn: Callable[..., Any], on_done: Callable[[Any], None],
                      on_error: Callable[[str, str], None], *, owner: QObject | None = None,
                      progress: Callable[[Any], None] | None = None) -> None:
    """Run ``fn()`` (``fn(report)`` with ``progress``) off the GUI thread; callbacks on the GUI thread."""
    relay = _Relay()
    with _lock:
        _live.add(relay)
    gc_guard.add_busy_check(_busy)
    gc_guard.guard_gc()  # the job's thread must never run the cyclic collector over Qt objects

    def alive() -> bool:
        return owner is None or isValid(owner)

    def finish() -> None:
        with _lock:
            _live.discard(relay)
        relay.deleteLater()
        gc_guard.release_gc_if_unused()

    def done(result: Any) -> None:
        finish()
        if alive():
            on_done(result)

    def failed(message: str, details: str) -> None:
        finish()
        if alive():
            on_error(message, details)

    relay.sig_done.connect(done)
    relay.sig_failed.connect(failed)
    if progress is not None:
        relay.sig_progress.connect(lambda value: progress(value) if alive() else None)
    pool().start(_Job(fn, relay, progress is not None))


def _busy() -> bool:
    return bool(_live)


def active_jobs() -> int:
    """Jobs started whose outcome has not been delivered yet."""
    with _lock:
        return len(_live)


def wait_for_jobs(timeout_ms: int) -> bool:
    """Wait for the pool's jobs to end and deliver their outcomes; True if none is left."""
    deadline = QDeadlineTimer(max(int(timeout_ms), 0))
    while active_jobs():
        if _pool is not None and isValid(_pool):
            _pool.waitForDone(max(min(deadline.remainingTime(), 50), 0))
        QCoreApplication.processEvents()
        if deadline.hasExpired():
            break
    return active_jobs() == 0


class LatestJob:
    """One job at a time for ``owner``; only the newest request's answer is delivered.

    ``on_done(result)`` and ``on_error(message)`` run on the GUI thread, and
    only while ``owner`` still exists. A request made while a job runs waits;
    a newer one replaces it, and the running job's answer is dropped.
    """

    def __init__(self, owner: QObject, on_done: Callable[[Any], None], on_error: Callable[[str], None]) -> None:
        self._owner, self._on_done, self._on_error = owner, on_done, on_error
        self._ticket = 0
        self._waiting: tuple[int, Callable[[], Any]] | None = None
        self._busy = False

    @property
    def busy(self) -> bool:
        """A job is running or waiting."""
        return self._busy or self._waiting is not None

    def submit(self, fn: Callable[[], Any]) -> None:
        """Ask for ``fn()``; a job still running will have its answer dropped."""
        self._ticket += 1
        self._waiting = (self._ticket, fn)
        if not self._busy:
            self._start()

    def cancel(self) -> None:
        """Drop the answers of every job asked for so far (the owner shows something else)."""
        self._ticket += 1
        self._waiting = None

    def _start(self) -> None:
        assert self._waiting is not None
        ticket, fn = self._waiting
        self._waiting = None
        self._busy = True
        run_in_background(fn, lambda result: self._finished(ticket, result, None),
                          lambda message, details: self._finished(ticket, None, message))

    def _finished(self, ticket: int, result: Any, error: str | None) -> None:
        self._busy = False
        if not isValid(self._owner):  # the owner was closed while its job ran
            return
        if self._waiting is not None:  # a newer request is waiting: this answer is stale
            self._start()
            return
        if ticket != self._ticket:
            return
        if error is None:
            self._on_done(result)
        else:
            self._on_error(error)

