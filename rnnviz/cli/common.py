"""What the commands share: progress lines, JSON output, and loading a model (a file or the shipped one)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO


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
        val = "" if event.val_loss is None else f"  val loss {event.val_loss:.3f} (perplexity {event.val_perplexity:.2f})"
        self.stream.write(("\r" if self.live else "") + f"epoch {event.epoch}/{self.epochs}  train loss "
                          f"{event.train_loss:.3f} (perplexity {event.train_perplexity:.2f}){val}  "
                          f"{event.tokens_per_s:,.0f} tok/s  {event.elapsed:.1f} s\n")
        self.stream.flush()


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def load_model(checkpoint: str | None, task: str | None, default_task: str = "lm"):
    """The ModelBundle of ``checkpoint``, or the shipped model of ``task`` (``default_task`` if None).

    With a checkpoint and ``task=None`` the file's own task is taken; with a
    task, a checkpoint of the other task is refused by ``load_checkpoint``.
    """
    if checkpoint is not None:
        from rnnviz.core.checkpoint import load_checkpoint

        return load_checkpoint(checkpoint, task)
    from rnnviz.core.models.shipped import load_shipped

    return load_shipped(task or default_task)  # a broken install without it: a message, not a traceback
