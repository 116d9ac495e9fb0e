"""The app's state, with one owner: what every view shows follows from here.

:class:`AppStore` holds the data the app uses now (corpus and task), the model
of each task with where it came from (``ModelBundle.origin``: shipped with
rnnviz, trained in this window as run N at step S, opened from a file), and the
runs of this window. Every change is announced by a ``sig_*`` signal; views
subscribe and ask the store, never another view, what to show.

The store knows no widget and runs no model: the main window and the training
bridge tell it what happened, the panels read it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from rnnviz.core.models.origin import ModelOrigin

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle

#: A language model, translation, and the tasks that need memory (each its own corpus, generated).
TASKS = ("lm", "mt", "recall", "adding", "copy")


@dataclass(frozen=True)
class RunRecord:
    """One training run of this window, numbered from 1 in the order they started."""

    number: int
    label: str  # e.g. "GRU 1×32, sgd lr 4"
    task: str
    description: str = ""  # the model as checkpoint.describe() names it; empty while preparing
    parameters: int = 0
    device: str = ""
    epochs: int = 0
    batches_per_epoch: int = 0
    state: str = "preparing"  # preparing | running | paused | completed | stopped | diverged | failed
    step: int = 0  # the last step seen, counted over the model's whole history
    epoch: int = 0
    folder: str = ""  # the run folder it is recorded into ('' when not recorded; rnnviz.gui.runs)

    @property
    def ended(self) -> bool:
        return self.state in ("completed", "stopped", "diverged", "failed")


class AppStore(QObject):
    """The one owner of the app's state. Signals (all in the GUI thread):

    - ``sig_selection_changed(str, str)``: (corpus, task) the app uses now.
    - ``sig_model_changed(str)``: the model of this task changed (or went back to none);
      read it with :meth:`model` and its origin with :meth:`origin`.
    - ``sig_run_changed(RunRecord)``: a run of this window started, advanced a state or ended.
    """

    #: (corpus, task): the data the app uses now, after a successful load.
    sig_selection_changed = Signal(str, str)
    #: task: the model of this task changed; read :meth:`model` / :meth:`origin`.
    sig_model_changed = Signal(str)
    #: RunRecord: a run started, changed state, or ended.
    sig_run_changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._corpus = ""
        self._task = "lm"
        self._models: dict[str, ModelBundle] = {}  # trained here or opened
        self._shipped: dict[str, ModelBundle] = {}  # the small models that come with rnnviz
        self._runs: list[RunRecord] = []
        self._run_last: dict[str, int] = {}  # an opened run folder -> its last epoch (the banner's "of N")

    # ---- data ----

    @property
    def task(self) -> str:
        """The task of the data in use: "lm", "mt", or a task that needs memory ("recall", "adding", "copy")."""
        return self._task

    @property
    def corpus(self) -> str:
        """The corpus in use: a registered name or a file path ('' before the first load)."""
        return self._corpus

    def set_selection(self, corpus: str, task: str) -> None:
        """The Data dock loaded ``corpus`` for ``task``."""
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}")
        if (corpus, task) == (self._corpus, self._task):
            return
        self._corpus, self._task = corpus, task
        self.sig_selection_changed.emit(corpus, task)

    # ---- models ----

    def model(self, task: str | None = None) -> ModelBundle | None:
        """The model the views show for ``task`` (default: the data's): trained here or opened,
        else the shipped one once loaded, else None."""
        task = task or self._task
        return self._models.get(task) or self._shipped.get(task)

    def own_model(self, task: str | None = None) -> ModelBundle | None:
        """The model trained here or opened for ``task``, if any (never the shipped one)."""
        return self._models.get(task or self._task)

    def origin(self, task: str | None = None) -> ModelOrigin | None:
        """Where the model of ``task`` came from, or None without a model."""
        bundle = self.model(task)
        return None if bundle is None else bundle.origin

    def model_label(self, task: str | None = None) -> str:
        """What a view says about its model: "shipped phrasebook model", "trained here, run 2, step 650"…"""
        origin = self.origin(task)
        return "no model yet" if origin is None else self.describe(origin)

    def describe(self, origin: ModelOrigin) -> str:
        """What a view calls a model from ``origin``: an opened run's epoch as "run NAME · epoch K of N"."""
        if origin.kind == "opened" and origin.epoch is not None and origin.path in self._run_last:
            at = f"step {origin.step} (epoch {origin.epoch})" if origin.step is not None else f"epoch {origin.epoch}"
            return f"run {Path(origin.path or '').name} · {at} of {self._run_last[origin.path or '']}"
        return origin.describe()

    def set_run_last_epoch(self, folder: str, last: int) -> None:
        """The last epoch of the opened run in ``folder`` (planned, or reached), for the views' "of N"."""
        self._run_last[folder] = int(last)

    def set_model(self, bundle: ModelBundle) -> None:
        """``bundle`` (its ``origin`` set) becomes the model of its task; the views follow."""
        if not isinstance(getattr(bundle, "origin", None), ModelOrigin):
            raise TypeError("a model given to the store says where it came from (bundle.origin).")
        self._models[bundle.task] = bundle
        self.sig_model_changed.emit(bundle.task)

    def clear_model(self, task: str) -> None:
        """Forget the trained or opened model of ``task``: the views go back to the shipped one."""
        if self._models.pop(task, None) is not None:
            self.sig_model_changed.emit(task)

    def set_shipped(self, bundle: ModelBundle) -> None:
        """The shipped model of its task, loaded; the views show it while the task has no other."""
        self._shipped[bundle.task] = bundle
        if bundle.task not in self._models:
            self.sig_model_changed.emit(bundle.task)

    def has_shipped(self, task: str) -> bool:
        return task in self._shipped

    def is_shipped(self, task: str | None = None) -> bool:
        """The views of ``task`` show the shipped model."""
        origin = self.origin(task)
        return origin is not None and origin.kind == "shipped"

    # ---- runs ----

    def runs(self) -> tuple[RunRecord, ...]:
        """The runs of this window, oldest first."""
        return tuple(self._runs)

    def current_run(self) -> RunRecord | None:
        """The last run started (running or ended), or None."""
        return self._runs[-1] if self._runs else None

    def start_run(self, label: str, task: str) -> RunRecord:
        """A new run is being prepared; it gets the next number."""
        record = RunRecord(len(self._runs) + 1, label, task)
        self._runs.append(record)
        self.sig_run_changed.emit(record)
        return record

    def update_run(self, **changes: Any) -> RunRecord | None:
        """Change fields of the current run (its facts once built, its state, its step)."""
        if not self._runs:
            return None
        record = dataclasses.replace(self._runs[-1], **changes)
        if record != self._runs[-1]:
            self._runs[-1] = record
            self.sig_run_changed.emit(record)
        return record

    def trained_origin(self, step: int) -> ModelOrigin:
        """The origin of a model trained by the current run, at ``step``."""
        run = self.current_run()
        return ModelOrigin("trained", run=run.number if run else None, step=int(step), corpus=self._corpus or None)
