"""The ``rnnviz`` command: no subcommand opens the desktop app; subcommands work headless.

One module per command group, each with ``add_commands(subparsers)``:
``data`` (list, fetch, info), ``train``, ``decode`` (generate, translate),
``stack``, ``beam``, ``gates``, ``grads``, ``runs``, ``exercises``, ``classify`` (classify, context),
``series``, and ``app`` (the desktop app: ``gui`` and ``--self-test``; the only module here that imports ``rnnviz.gui``).

Every user-facing failure is an RnnvizError whose message is printed as it is;
no traceback reaches the user unless RNNVIZ_DEBUG=1 asks for one.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rnnviz import __version__
from rnnviz.cli import app, beam, classify, data, decode, exercises, gates, grads, runs, series, stack, train
from rnnviz.core.errors import RnnvizError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

#: The command groups, in the order ``rnnviz --help`` lists them.
COMMAND_MODULES = (app, data, train, decode, stack, beam, gates, grads, runs, exercises, classify, series)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnviz",
        description="A visual explorer for the recurrent networks of Dive into Deep Learning. "
                    "With no command it opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"rnnviz {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="build every panel offscreen, train a few steps, translate, save a checkpoint; exit 0 if all works")
    parser.set_defaults(func=app.cmd_gui, qt_args=[])
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # first, for the frozen (PyInstaller) app
    args = build_parser().parse_args(argv)
    if args.self_test:
        args.func = app.cmd_self_test
    try:
        return int(args.func(args) or 0)
    except RnnvizError as exc:
        print(f"rnnviz: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader stopped listening (`rnnviz data info x | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("rnnviz: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly, the traceback only on request
        if os.environ.get("RNNVIZ_DEBUG"):
            raise
        print(f"rnnviz: unexpected error ({type(exc).__name__}: {exc}). This is a bug in rnnviz; "
              "run again with RNNVIZ_DEBUG=1 to see the details, and please report them.", file=sys.stderr)
        return 1
