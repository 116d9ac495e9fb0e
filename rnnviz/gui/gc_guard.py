"""Garbage collection only in the GUI thread while other threads run Python, and training
threads that must outlive their controller.

Python's cyclic collector runs in whichever thread happens to allocate when a
threshold is crossed; the training thread and the background jobs allocate a
lot. If one of them collects a cycle holding a QObject of the GUI thread (a
widget, a timer, a closure connected to a signal), Qt deletes that object from
the wrong thread: it deadlocks on Qt's locks or crashes later in the GUI thread.
So while a training thread exists or a background job runs, automatic
collection is off and a GUI-thread timer collects instead (what pyqtgraph's
GarbageCollector does); the previous setting comes back when the last of them
has ended.

A QThread destroyed while it runs aborts the process ("QThread: Destroyed while
thread is still running"): every started training thread is listed in
``LIVE`` until it is seen to finish, and an atexit hook stops those left.
"""

from __future__ import annotations

import atexit
import gc
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, QThread, QTimer

#: How often the GUI thread collects while automatic collection is off.
GC_INTERVAL_MS = 500


@dataclass(eq=False)
class Handle:
    """A training thread and its worker, as long as the thread may run."""

    thread: QThread
    worker: QObject
    abort: threading.Event
    orphan: bool = False  # its controller gave up waiting for it at shutdown


LIVE: list[Handle] = []  # training threads started and not yet seen to finish


@atexit.register
def _stop_live_threads() -> None:
    """Last resort for a controller that was never shut down."""
    for handle in list(LIVE):
        handle.abort.set()
        handle.thread.quit()
    for handle in list(LIVE):
        handle.thread.wait(QDeadlineTimer(2000))
    LIVE.clear()


_gc_timer: QTimer | None = None
_gc_was_enabled = True
_busy_checks: list[Callable[[], bool]] = []  # other users: each says whether its threads still run Python


def add_busy_check(is_busy: Callable[[], bool]) -> None:
    """Keep collection in the GUI thread while ``is_busy()`` (e.g. background jobs are running)."""
    if is_busy not in _busy_checks:
        _busy_checks.append(is_busy)


def guard_gc() -> None:
    """Automatic collection off, a GUI-thread timer collecting instead (call in the GUI thread)."""
    global _gc_timer, _gc_was_enabled
    if _gc_timer is not None and _gc_timer.isActive():
        return
    _gc_was_enabled = gc.isenabled()
    gc.disable()
    if _gc_timer is None:
        _gc_timer = QTimer(QCoreApplication.instance())
        _gc_timer.setObjectName("rnnviz-app-gc")  # the application's, not a test's
        _gc_timer.setInterval(GC_INTERVAL_MS)
        _gc_timer.timeout.connect(_gc_tick)
    _gc_timer.start()


def release_gc_if_unused() -> None:
    """Automatic collection back as it was, once no training thread and no other user is left."""
    # No loop variable may keep the last finished handle alive past gc.enable(): freeing its Qt
    # objects then could run a collection inside a Qt destructor.
    LIVE[:] = [h for h in LIVE if not (h.orphan and h.thread.isFinished())]
    if LIVE or any(check() for check in _busy_checks) or _gc_timer is None or not _gc_timer.isActive():
        return
    _gc_timer.stop()
    if _gc_was_enabled:
        gc.enable()


def _gc_tick() -> None:
    """Collect the generations whose thresholds were crossed, as the automatic collector would."""
    threshold = gc.get_threshold()
    count = gc.get_count()
    if count[0] > threshold[0]:
        gc.collect(0)
        if count[1] > threshold[1]:
            gc.collect(1)
            if count[2] > threshold[2]:
                gc.collect(2)
    release_gc_if_unused()
