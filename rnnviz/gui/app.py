"""The desktop app's entry: one QApplication, one main window.

Nothing here imports torch: the window paints first, and torch loads when
the first training job, checkpoint or device list needs it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QDeadlineTimer
from PySide6.QtWidgets import QApplication

from rnnviz import __version__

#: Once the app quits, how long it waits for what a closed window left running (a slow training
#: step, a preparation phase such as torch's first import, a background job) before exiting anyway.
#: Each of them ends at its next check; the window itself is hidden at once.
EXIT_WAIT_MS = 10_000


def make_app(qt_args: Sequence[str] = ()) -> QApplication:
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("rnnviz")
    app.setOrganizationName("rnnviz")
    app.setApplicationVersion(__version__)
    # The GUI thread gets the interpreter back within 1 ms (not 5) while the worker runs Python.
    sys.setswitchinterval(0.001)
    if not hasattr(app, "_rnnviz_gc"):
        # Python's collector may run on any thread; freeing a Qt object from the training
        # thread or the thread pool crashes Qt. Collect on a GUI-thread timer instead.
        from pyqtgraph.util.garbage_collector import GarbageCollector

        app._rnnviz_gc = GarbageCollector(interval=0.5)
        app._rnnviz_gc.timer.setObjectName("rnnviz-app-gc")  # the app's own, for as long as it runs
        # Python must not begin to exit while another thread still runs Python in it: torch, imported
        # there, would register exit hooks too late, and the app's objects would be deleted under it.
        app.aboutToQuit.connect(lambda: finish_threads(EXIT_WAIT_MS))
    return app


def finish_threads(timeout_ms: int) -> bool:
    """Ask every training thread to end, and wait for them and for background jobs; True if none is left.

    Each thread ends at its next check (between two steps or two phases of a preparation) and
    emits nothing more. Runs when the app quits, before ``app.exec()`` returns.
    """
    from rnnviz.gui import concurrency
    from rnnviz.gui.gc_guard import LIVE, release_gc_if_unused

    deadline = QDeadlineTimer(max(int(timeout_ms), 0))
    for handle in list(LIVE):
        handle.abort.set()
        handle.thread.quit()
    for handle in list(LIVE):
        handle.thread.wait(deadline)
    concurrency.wait_for_jobs(max(deadline.remainingTime(), 0))
    release_gc_if_unused()  # forgets the threads that have ended
    return not threads_left()


def threads_left() -> bool:
    """A training thread or a background job of rnnviz still runs."""
    from rnnviz.gui import concurrency
    from rnnviz.gui.gc_guard import LIVE

    return any(handle.thread.isRunning() for handle in LIVE) or concurrency.active_jobs() > 0


def main(qt_args: Sequence[str] = ()) -> int:
    app = make_app(qt_args)
    from rnnviz.gui.main_window import MainWindow

    window = MainWindow()
    # A quit that does not go through closeEvent (a session ending) still stops training first.
    app.aboutToQuit.connect(lambda: window.controller.shutdown(1000))
    if os.environ.get("RNNVIZ_EXIT_AFTER_FIRST_PAINT"):
        _exit_after_first_paint(app, window)
    window.show()
    code = app.exec()
    if not finish_threads(EXIT_WAIT_MS):  # again: a job may have started as the app quit
        # Still running after EXIT_WAIT_MS: letting Python finalize under it would abort the process
        # ("QThread: Destroyed while thread is still running"). Everything worth keeping is written:
        # the settings at close, checkpoints atomically.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _exit_after_first_paint(app: QApplication, window) -> None:
    """For timing the start (scripts/build_and_check.sh, the frozen app): at the main window's
    first paint, print ``first-paint <time.time()> torch=<loaded>`` and quit."""
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Paint and not self.seen:
                self.seen = True
                print(f"first-paint {time.time():.3f} torch={'torch' in sys.modules}", flush=True)
                QTimer.singleShot(0, app.quit)
            return False

    window._first_paint_watch = FirstPaint(window)
    window.installEventFilter(window._first_paint_watch)
