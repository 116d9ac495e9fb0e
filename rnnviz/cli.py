"""The ``rnnviz`` command: no subcommand opens the desktop app; subcommands work headless.

Every user-facing failure is an RnnvizError whose message is printed as it is;
no traceback reaches the user unless RNNVIZ_DEBUG=1 asks for one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from rnnviz import __version__
from rnnviz.core.errors import RnnvizError


class ProgressBar:
    """A one-line download progress bar on a stream (redrawn at most 10 times a second)."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.stream, self.width = label, stream or sys.stderr, width
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now
        if total:
            filled = int(self.width * done / total)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"{self.label} [{bar}] {done / total:4.0%} {done / 1e6:.1f}/{total / 1e6:.1f} MB"
        else:
            line = f"{self.label} {done / 1e6:.1f} MB"
        self.stream.write("\r" + line)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


#: Modules adding subcommands; each has ``add_commands(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = ("rnnviz.cli_models", "rnnviz.cli_stack", "rnnviz.cli_beam", "rnnviz.cli_gates")


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_data_list(args: argparse.Namespace) -> int:
    from rnnviz.core.data.corpora import availability, list_corpora

    rows = [(c.name, c.task_name, c.source, c.size_bytes, availability(c), c.title) for c in list_corpora()]
    if args.json:
        keys = ("name", "task", "source", "size_bytes", "status", "title")
        _print_json([dict(zip(keys, row)) for row in rows])
        return 0
    print(f"{'name':<15}{'task':<17}{'source':<10}{'size':>10}  {'status':<16}title")
    for name, task, source, size, status, title in rows:
        print(f"{name:<15}{task:<17}{source:<10}{size / 1e3:>8.0f}kB  {status:<16}{title}")
    print("\nAny UTF-8 text file (language model) or tab-separated pairs (translation) "
          "works too: rnnviz data info PATH")
    return 0


def _fetch(name: str, quiet: bool):
    from rnnviz.core.data import hub
    from rnnviz.core.data.corpora import get_info

    info = get_info(name)
    if info.remote is None:
        return None
    bar = None if quiet else ProgressBar(f"fetching {info.remote.filename}")
    try:
        return hub.fetch(info.remote, bar)
    finally:
        if bar:
            bar.close()


def cmd_data_fetch(args: argparse.Namespace) -> int:
    path = _fetch(args.name, args.quiet)
    print(f"{args.name}: built into rnnviz, nothing to fetch" if path is None else f"{args.name}: {path}")
    return 0


def cmd_data_info(args: argparse.Namespace) -> int:
    from rnnviz.core.data.corpora import get_info, load_corpus
    from rnnviz.core.data.stats import LmStats, corpus_stats, stats_to_dict

    registered = True
    try:
        get_info(args.corpus)
    except RnnvizError:
        registered = False
    if registered:
        _fetch(args.corpus, quiet=args.json)
    corpus = load_corpus(args.corpus, args.task)
    stats = corpus_stats(corpus)
    summary = stats_to_dict(stats, top=args.top)
    if args.json:
        _print_json(summary)
        return 0
    print(f"{summary['name']} — {summary['title']} ({corpus.info.task_name})")
    print(f"  provenance  {summary['provenance']}")
    print(f"  size        {summary['size_bytes']:,} bytes")
    if isinstance(stats, LmStats):
        print(f"  text        {stats.n_words:,} words, {stats.n_chars:,} characters after cleaning ({stats.cleaning})")
        print(f"  vocabulary  {stats.char_vocab_size} characters, {stats.word_vocab_size:,} words (<unk> included)")
        for label, key in (("top words", "top_words"), ("bigrams", "top_bigrams"), ("trigrams", "top_trigrams")):
            print(f"  {label:<11} " + ", ".join(f"{w} {n}" for w, n in summary[key]))
        return 0
    print(f"  pairs       {stats.n_pairs:,}")
    print(f"  tokens      {stats.src_tokens:,} source, {stats.tgt_tokens:,} target")
    print(f"  vocabulary  {stats.src_vocab_size:,} source, {stats.tgt_vocab_size:,} target "
          "(tokens seen at least twice, plus <pad> <bos> <eos> <unk>)")
    print("  top source  " + ", ".join(f"{w} {n}" for w, n in summary["top_source_tokens"]))
    print("  top target  " + ", ".join(f"{w} {n}" for w, n in summary["top_target_tokens"]))
    hist = summary["length_histogram"]
    peak = max(max(hist["source"]), max(hist["target"]), 1)
    print("  tokens per sentence (source | target)")
    for length, src, tgt in zip(hist["lengths"], hist["source"], hist["target"]):
        if src or tgt:
            print(f"  {length:>4} {src:>8,} {'#' * round(20 * src / peak):<20} | {tgt:>8,} {'#' * round(20 * tgt / peak)}")
    return 0


def _screen_problem() -> str | None:
    """Why Qt could not open a window here, before Qt aborts the process itself."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("there is no screen to open the app on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
            "Run rnnviz from a desktop session, or use the headless commands (rnnviz data ...).")


def _import_gui(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise RnnvizError(
            f"the desktop app needs PySide6 and pyqtgraph ({exc}). Install them with "
            "`pip install PySide6-Essentials pyqtgraph`; the headless commands (rnnviz data ...) "
            "work without them."
        ) from None


def cmd_self_test(args: argparse.Namespace) -> int:
    return _import_gui("rnnviz.gui.selftest").run_self_test()


def cmd_gui(args: argparse.Namespace) -> int:
    problem = _screen_problem()
    if problem:
        raise RnnvizError(problem)
    return _import_gui("rnnviz.gui.app").main(args.qt_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnviz",
        description="A visual explorer for the recurrent networks of Dive into Deep Learning. "
                    "With no command it opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"rnnviz {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="build every panel offscreen, train a few steps, translate, save a checkpoint; exit 0 if all works")
    parser.set_defaults(func=cmd_gui, qt_args=[])
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("qt_args", nargs=argparse.REMAINDER, help="options passed on to Qt")
    gui.set_defaults(func=cmd_gui)

    data = commands.add_parser("data", help="corpora: list, fetch the book's data sets, statistics")
    data.set_defaults(func=lambda _args: (data.print_help(), 0)[1])
    data_commands = data.add_subparsers(title="data commands", metavar="ACTION")
    listing = data_commands.add_parser("list", help="every corpus rnnviz knows, and where it would be read from")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_data_list)
    fetch = data_commands.add_parser("fetch", help="download one of the book's data sets (SHA-1 verified)")
    fetch.add_argument("name", help="a corpus name, e.g. time-machine or fra-eng")
    fetch.add_argument("--quiet", action="store_true", help="no progress bar")
    fetch.set_defaults(func=cmd_data_fetch)
    info = data_commands.add_parser("info", help="statistics of a corpus or a text file")
    info.add_argument("corpus", metavar="NAME|PATH", help="a corpus name or the path of a text file")
    info.add_argument("--task", choices=("lm", "mt"), help="for files: language model or translation "
                      "(default: translation if the file is .tsv or its first line has a TAB)")
    info.add_argument("--top", type=int, default=10, help="how many frequent tokens to show")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=cmd_data_info)

    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # first, for the frozen (PyInstaller) app
    args = build_parser().parse_args(argv)
    if args.self_test:
        args.func = cmd_self_test
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
