"""The desktop app's entry: one QApplication, one main window."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from rnnviz import __version__
from rnnviz.gui.main_window import MainWindow


def main(qt_args: Sequence[str] = ()) -> int:
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("rnnviz")
    app.setOrganizationName("rnnviz")
    app.setApplicationVersion(__version__)
    window = MainWindow()
    window.show()
    return app.exec()
