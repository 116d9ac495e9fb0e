"""``rnnviz`` with no command, ``rnnviz gui`` and ``rnnviz --self-test``: launch the desktop app.

The only module of the CLI that imports ``rnnviz.gui``, and only inside the
functions that launch it, so the headless commands work without Qt
(import-linter's contracts in pyproject.toml hold the CLI to this).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rnnviz.core.errors import RnnvizError


def _screen_problem() -> str | None:
    """Why Qt could not open a window here, before Qt aborts the process itself."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("there is no screen to open the app on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
            "Run rnnviz from a desktop session, or use the headless commands (rnnviz data ...).")


@contextmanager
def _gui_needed() -> Iterator[None]:
    """Turn a missing PySide6/pyqtgraph into a message that says what to install."""
    try:
        yield
    except ImportError as exc:
        raise RnnvizError(
            f"the desktop app needs PySide6 and pyqtgraph ({exc}). Install them with "
            "`pip install PySide6-Essentials pyqtgraph`; the headless commands (rnnviz data ...) "
            "work without them."
        ) from None


def cmd_self_test(args: argparse.Namespace) -> int:
    with _gui_needed():
        from rnnviz.gui.selftest import run_self_test
    return run_self_test()


def cmd_gui(args: argparse.Namespace) -> int:
    problem = _screen_problem()
    if problem:
        raise RnnvizError(problem)
    with _gui_needed():
        from rnnviz.gui.app import main as gui_main
    return gui_main(args.qt_args)


def add_commands(commands: argparse._SubParsersAction) -> None:
    gui = commands.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("qt_args", nargs=argparse.REMAINDER, help="options passed on to Qt")
    gui.set_defaults(func=cmd_gui)
