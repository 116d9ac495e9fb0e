"""The desktop app's entry: one QApplication, one main window.

Nothing here imports torch: the window paints first, and torch loads when
the first training job, checkpoint or device list needs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from rnnviz import __version__


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
    return app


def main(qt_args: Sequence[str] = ()) -> int:
    app = make_app(qt_args)
    from rnnviz.gui.main_window import MainWindow

    window = MainWindow()
    # A quit that does not go through closeEvent (a session ending) still stops training first.
    app.aboutToQuit.connect(lambda: window.controller.shutdown(1000))
    if os.environ.get("RNNVIZ_EXIT_AFTER_FIRST_PAINT"):
        _exit_after_first_paint(app, window)
    window.show()
    return app.exec()


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
