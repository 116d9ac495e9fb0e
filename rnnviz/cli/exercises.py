"""``rnnviz exercises``: the book's exercises, listed, shown and run headless.

``list`` the exercises by section with their status; ``show ID`` one exercise's
paraphrase, question, setup and the file it accepts; ``run ID`` its work at a small size
(seconds; ``--full`` at the book's size, minutes), printed as tables or as JSON (with its
plots' numbers). ``run ID --file F [--file F2 ...] [--column C]`` runs an exercise that
accepts a user's file on that file instead of its built-in data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnnviz.cli.common import _print_json
from rnnviz.core.errors import DataError


def cmd_list(args: argparse.Namespace) -> int:
    from rnnviz.core.exercises import EXERCISES, by_section

    if args.json:
        _print_json([e.to_dict() for e in EXERCISES])
        return 0
    for section, exercises in by_section().items():
        print(section)
        for e in exercises:
            also = "" if e.accepts is None else f" · also on your {e.accepts.kind} file{'s' if e.accepts.many else ''}"
            print(f"  {e.id:<8}{e.title:<40}{e.status}{also}")
    print("\nShow one: rnnviz exercises show ID; run it: rnnviz exercises run ID [--json] "
          "[--file F [--column C]]")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from rnnviz.core.exercises import get_exercise

    e = get_exercise(args.id)
    if args.json:
        _print_json(e.to_dict())
        return 0
    s = e.setup
    print(f"{e.id}: {e.title}  [{e.section}, exercise {e.number}]")
    print(f"\n{e.paraphrase}")
    if e.question:
        print(f"\nLook for: {e.question}")
    print(f"\nstatus    {e.status}")
    if e.meanwhile:
        print(f"meanwhile {e.meanwhile}")
    if s.in_dock:
        print(f"data      {s.corpus} ({s.task}: the run brings its own data and model)\nview      the run's plots")
    else:
        print(f"data      {s.corpus} ({s.task})\nmodel     {s.preset or '(the current one)'}\nview      {s.view}")
    if s.compares:
        print(f"compares  {', '.join(s.compares)}")
    a = e.accepts
    if a is not None:
        what = f"{'one or more' if a.many else 'one'} {a.kind.upper()} file{'s' if a.many else ''}"
        print(f"your file {what} (--file): {a.description}")
        if a.column:
            print("column    --column: the column's name in the header, or its number from 1")
    if e.ready:
        print(f"\nRun it: rnnviz exercises run {e.id}")
        if a is not None:
            print(f"On your file: rnnviz exercises run {e.id} --file PATH" + (" --file PATH2 ..." if a.many else "")
                  + (" --column NAME" if a.column else ""))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from rnnviz.core.exercises import get_exercise

    e = get_exercise(args.id)

    def progress(fraction: float, text: str) -> None:
        if not args.json:
            print(f"\r{100 * fraction:3.0f}% {text:<50}", end="", file=sys.stderr, flush=True)

    files = tuple(args.file or ())
    for path in files:
        if Path(path).is_dir():
            raise DataError(f"--file {path} is a folder; give the path of a file in it.")
        if not Path(path).is_file():
            raise DataError(f"--file {path}: no such file; give the path of an existing file.")
    result = e.run(small=not args.full, progress=progress, files=files, column=args.column)
    if not args.json:
        print("\r" + " " * 56 + "\r", end="", file=sys.stderr)
        print(f"{e.id}: {e.title}\n")
        print(result.to_text())
    else:
        _print_json(result.to_dict())
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("exercises", help="the book's exercises: list, show one, run one headless",
                                 description="The exercises of the chapters on recurrent networks (sections "
                                             "9.4–10.8 of Dive into Deep Learning), each with the data, model and "
                                             "view it needs and a run that does its work.")
    sub = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every exercise by section, with its status")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="one exercise: paraphrase, question, setup")
    show.add_argument("id", metavar="ID", help="an exercise id, e.g. gru-4")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_show)
    run = sub.add_parser("run", help="do an exercise's work headless and print what to look at")
    run.add_argument("id", metavar="ID", help="an exercise id, e.g. gru-1")
    run.add_argument("--full", action="store_true",
                     help="the book's corpus and a longer run (minutes) instead of the small one (seconds)")
    run.add_argument("--file", action="append", metavar="PATH",
                     help="run on your own file instead of the exercise's data (`show ID` says which kind); "
                          "repeat it for an exercise that takes several")
    run.add_argument("--column", metavar="C", help="the column of your CSV to use: its name or its number from 1")
    run.add_argument("--json", action="store_true", help="print JSON: tables, arrays, texts, plots")
    run.set_defaults(func=cmd_run)
