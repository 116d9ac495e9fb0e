"""Where a model in memory came from: shipped with rnnviz, trained here, opened from a file, or new.

Every view names the model it shows (DESIGN.md §6); :meth:`ModelOrigin.describe`
is the words it uses. The origin describes the object in memory, not the
weights: it is not saved in checkpoints (a checkpoint opened again is
"opened FILE"). Its ``notes`` are what a user should be told about the file it
came from (an older file without a checksum, a corpus that has moved); the CLI
and the app show them when the model is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

OriginKind = Literal["shipped", "trained", "opened", "new"]
ORIGIN_KINDS: tuple[str, ...] = ("shipped", "trained", "opened", "new")


@dataclass(frozen=True)
class ModelOrigin:
    """Where a model came from; ``describe()`` says it in words."""

    kind: OriginKind = "new"
    path: str | None = None  # the file it was opened from (kind "opened"), or shipped as
    run: int | None = None  # the run of this window that trained it (kind "trained"), from 1
    step: int | None = None  # the training step its weights are from (kind "trained")
    corpus: str | None = None  # the corpus it was trained on (kind "shipped")
    notes: tuple[str, ...] = ()  # sentences to show the user about the file it came from
    epoch: int | None = None  # kind "opened" from a run folder (``path``): the epoch its weights are from

    def __post_init__(self) -> None:
        if self.kind not in ORIGIN_KINDS:
            raise ValueError(f"unknown model origin {self.kind!r}; choose one of {', '.join(ORIGIN_KINDS)}.")

    def describe(self) -> str:
        """"shipped phrasebook model", "trained here, run 2, step 650", "opened lm.pt" or "new model"."""
        if self.kind == "shipped":
            return f"shipped {self.corpus} model" if self.corpus else "shipped model"
        if self.kind == "trained":
            parts = ["trained here"]
            if self.run is not None:
                parts.append(f"run {self.run}")
            if self.step is not None:
                parts.append(f"step {self.step}")
            return ", ".join(parts)
        if self.kind == "opened" and self.epoch is not None and self.path:  # a run folder's epoch (or step)
            at = f"step {self.step}" if self.step is not None else f"epoch {self.epoch}"
            return f"opened run {Path(self.path).name}, {at}"
        if self.kind == "opened":
            return f"opened {Path(self.path).name}" if self.path else "opened from a file"
        return "new model"

    @classmethod
    def shipped(cls, corpus: str | None, path: str | None = None, notes: tuple[str, ...] = ()) -> ModelOrigin:
        return cls("shipped", path=path, corpus=corpus, notes=tuple(notes))

    @classmethod
    def trained(cls, run: int | None, step: int | None) -> ModelOrigin:
        return cls("trained", run=run, step=step)

    @classmethod
    def opened(cls, path: str | Path, notes: tuple[str, ...] = ()) -> ModelOrigin:
        return cls("opened", path=str(path), notes=tuple(notes))

    @classmethod
    def opened_run(cls, folder: str | Path, epoch: int, step: int | None = None,
                   notes: tuple[str, ...] = ()) -> ModelOrigin:
        """Weights from a run folder (``rnnviz.core.runs``): an epoch's, or a step's within ``epoch``."""
        return cls("opened", path=str(folder), epoch=epoch, step=step, notes=tuple(notes))

