"""What the commands share: progress lines, JSON output, loading a model (a file or the shipped one),
and the argparse types that hold every number to its range (:mod:`rnnviz.core.limits`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from rnnviz.core.limits import Limit


def in_range(limit: Limit, *, special: bool = False) -> Callable[[str], int | float]:
    """An argparse ``type`` that reads a number and refuses it outside ``limit``, in argparse's own
    words (``rnnviz: error: argument --hidden: ...``, exit 2), before any work starts.

    ``special``: the limit's special value is accepted (``--temperature 0`` means greedy).
    NaN and infinities are refused whatever the range (with the limit's own message).
    """
    def parse(text: str) -> int | float:
        try:
            value: int | float = int(text) if limit.integer else float(text)
        except ValueError:
            kind = "a whole number" if limit.integer else "a number"
            raise argparse.ArgumentTypeError(f"{limit.name} must be {kind}, not {text!r} "
                                             f"(allowed: {limit.range_text()}).") from None
        if not limit.contains(value, special=special):  # NaN is in no range; infinities are past the ends
            raise argparse.ArgumentTypeError(limit.message(value))
        return value

    parse.__name__ = limit.name  # what argparse calls the type in its own messages
    parse.limit = limit  # type: ignore[attr-defined]  # for the test that every number has a range
    return parse


def ranged(limit: Limit, text: str) -> str:
    """Help text with the range: "tokens to generate (1 to 10,000)"."""
    return f"{text} ({limit.range_text()})"


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


class EpochBar:
    """One progress line per epoch on stderr: batches done, loss, tokens/s."""

    def __init__(self, epochs: int, stream: TextIO | None = None, width: int = 24) -> None:
        self.epochs, self.stream, self.width = epochs, stream or sys.stderr, width
        self.live = self.stream.isatty()

    def step(self, event) -> None:
        if not self.live or (event.batch % 5 and event.batch != event.batches):
            return
        filled = int(self.width * event.batch / event.batches)
        self.stream.write(f"\repoch {event.epoch}/{self.epochs} [{'#' * filled}{'-' * (self.width - filled)}] "
                          f"loss {event.loss:.3f}  {event.tokens_per_s:,.0f} tok/s ")
        self.stream.flush()

    def epoch(self, event) -> None:
        metric = getattr(event, "val_metric", None)
        if metric is not None:  # a memory task: its accuracy or mse says it; a perplexity would mean nothing
            loss = f"train loss {event.train_loss:.3f}"
            val = f"  val {metric_words(event.metric, metric)}"
        else:
            loss = f"train loss {event.train_loss:.3f} (perplexity {event.train_perplexity:.2f})"
            val = "" if event.val_loss is None else \
                f"  val loss {event.val_loss:.3f} (perplexity {event.val_perplexity:.2f})"
        self.stream.write(("\r" if self.live else "") + f"epoch {event.epoch}/{self.epochs}  {loss}{val}  "
                          f"{event.tokens_per_s:,.0f} tok/s  {event.elapsed:.1f} s\n")
        self.stream.flush()


def metric_words(metric: str | None, value: float | None) -> str:
    """A memory task's metric as the CLI prints it; the adding problem's names its baseline, the error of
    always guessing 1 ("mse 0.0123 (guessing 1: 0.167)")."""
    from rnnviz.core.events import metric_text

    text = metric_text(metric, value)
    if metric == "mse" and text:
        from rnnviz.core.data.memory_tasks import ADDING_BASELINE_MSE

        text += f" (guessing 1: {ADDING_BASELINE_MSE:.3f})"
    return text


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """``--run DIR`` and ``--epoch K``: a model from a recorded run, instead of ``--checkpoint``."""
    from rnnviz.core.limits import RUN_EPOCH

    parser.add_argument("--run", metavar="DIR", help="a run folder (rnnviz train ... --run-dir DIR): the model "
                                                     "at --epoch K of it, instead of --checkpoint")
    parser.add_argument("--epoch", type=in_range(RUN_EPOCH), metavar="K",
                        help=ranged(RUN_EPOCH, "with --run: the epoch whose weights to use, 0 for the weights "
                                               "before training (default: the last complete epoch)"))


def load_run_model(run: str, epoch: int | None, task: str | None):
    """The ModelBundle of ``run`` (a run folder) at ``epoch`` (None: its last complete one), as
    ``load_model`` opens a checkpoint: checked, and refused when it is not of ``task``. The run's
    notices (an epoch skipped, a note of its recorder) are printed on stderr."""
    from rnnviz.core.errors import DataError
    from rnnviz.core.runs import open_run

    opened = open_run(run)
    try:
        bundle = opened.bundle_at(epoch)
    finally:
        for notice in opened.notices:
            print(f"rnnviz: note: the run {opened.name}: {notice}", file=sys.stderr)
    if task is not None and bundle.task != task:
        words = {"lm": "a language model", "mt": "a translation model"}
        raise DataError(f"the run {opened.name} trained {words.get(bundle.task, 'a ' + bundle.task + ' model')}, "
                        f"but {words.get(task, task)} is needed here; give a run of that task.")
    print(f"rnnviz: using {bundle.origin.describe()} ({opened.status}, epochs "
          f"{opened.epochs()[0]}–{opened.epochs()[-1]})", file=sys.stderr)
    return bundle


def load_model(checkpoint: str | None, task: str | None, default_task: str = "lm", *,
               run: str | None = None, epoch: int | None = None):
    """The ModelBundle of ``checkpoint``, of ``run`` at ``epoch`` (see :func:`load_run_model`), or the
    shipped model of ``task`` (``default_task`` if None).

    With a checkpoint and ``task=None`` the file's own task is taken; with a
    task, a checkpoint of the other task is refused by ``load_checkpoint``.
    """
    from rnnviz.core.errors import ConfigError

    if run is not None and checkpoint is not None:
        raise ConfigError("give --checkpoint FILE or --run DIR, not both.")
    if epoch is not None and run is None:
        raise ConfigError("--epoch picks an epoch of a recorded run: add --run DIR.")
    if run is not None:
        return load_run_model(run, epoch, task)
    if checkpoint is not None:
        from rnnviz.core.checkpoint import load_checkpoint

        bundle = load_checkpoint(checkpoint, task)
    else:
        from rnnviz.core.models.shipped import load_shipped

        bundle = load_shipped(task or default_task)  # a broken install without it: a message, not a traceback
    for note in bundle.origin.notes:  # an unverified old file, a corpus that moved: said, not hidden
        print(f"rnnviz: note: {note}", file=sys.stderr)
    return bundle
