"""Where the Gradients tab's work runs: :func:`compute` (Qt-free) on the app's pool, latest request wins.

One job computes the current model's gradients with their maps (``rnnviz.core.gradients``: a
language model reading the text, a translation model scoring a reference, a memory task's model
reading a validation sequence) and, for each model to overlay that has no curve for this input yet,
its ``g`` alone (one backward pass). A translation without a typed reference is scored on the
model's own greedy translation, which the outcome carries back to the reference box.

Bad input comes back as an :class:`Outcome` with ``error`` set (the core's words), never raised;
``unknown`` says the error is about tokens the vocabulary lacks, so that the panel can offer to
read them as ``<unk>``. :class:`Computer` runs jobs through ``rnnviz.gui.concurrency.LatestJob``:
while one runs, a newer request replaces any waiting one, and only the newest answer arrives.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.errors import RnnvizError
from rnnviz.gui.concurrency import LatestJob

if TYPE_CHECKING:
    from rnnviz.core.gradients import Gradients
    from rnnviz.core.models.factory import ModelBundle

_UNKNOWN = "vocabulary lacks"  # in the core's message for unknown tokens


@dataclass(frozen=True)
class GradientsRequest:
    """What the model reads: a text (a translation's source), a reference, or a validation sequence."""

    text: str = ""
    reference: str = ""  # translation: "" = the model's own greedy translation
    sequence: int = 0  # a memory task's validation sequence, from 0
    allow_unknown: bool = False

    def same_input(self, task: str, other: GradientsRequest) -> bool:
        """Whether two requests make a model of ``task`` read the same thing."""
        if task in MEMORY_TASKS:
            return self.sequence == other.sequence
        return (self.text, self.reference, self.allow_unknown) == (other.text, other.reference, other.allow_unknown)


@dataclass(frozen=True)
class Overlay:
    """Another model's g on the same input (``result``: maps=False), or why it has none (``error``)."""

    key: str
    label: str
    result: Gradients | None
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    request: GradientsRequest
    bundle: Any  # the ModelBundle it was computed for
    result: Gradients | None
    error: str = ""
    unknown: bool = False  # the error names tokens the vocabulary lacks: <unk> may be offered
    reference: str = ""  # translation: the reference scored
    greedy: bool = False  # that reference is the model's own greedy translation
    overlays: tuple[Overlay, ...] = field(default_factory=tuple)
    seconds: float = 0.0


def _one(bundle: ModelBundle, request: GradientsRequest, maps: bool, reference: str) -> Gradients:
    from rnnviz.core.gradients import gradients_lm, gradients_memory, gradients_translation

    if bundle.task in MEMORY_TASKS:
        return gradients_memory(bundle, request.sequence, maps=maps)
    if bundle.task == "mt":
        return gradients_translation(bundle, request.text, reference, allow_unknown=request.allow_unknown, maps=maps)
    return gradients_lm(bundle, request.text, allow_unknown=request.allow_unknown, maps=maps)


def _greedy_reference(bundle: ModelBundle, source: str) -> str:
    from rnnviz.core.decoding.greedy import translate

    if not source.strip():
        return ""
    return translate(bundle, source).text


def compute(bundle: ModelBundle, request: GradientsRequest,
            others: Sequence[tuple[str, str, ModelBundle]] = ()) -> Outcome:
    """The current model's gradients with maps, and ``others`` ((key, label, bundle)) g alone, on the
    same input. Bad input becomes the outcome's ``error``; an overlay's own failure its ``error``."""
    start = time.perf_counter()
    reference, greedy = request.reference, False
    try:
        if bundle.task == "mt" and not reference.strip():
            reference, greedy = _greedy_reference(bundle, request.text), True
            if not reference.strip():
                raise RnnvizError("the model's own translation of this sentence is empty, so there is no reference "
                                  "to score: type a reference translation.")
        result = _one(bundle, request, True, reference)
    except RnnvizError as error:
        return Outcome(request, bundle, None, str(error), _UNKNOWN in str(error), reference, greedy,
                       seconds=time.perf_counter() - start)
    overlays = []
    for key, label, other in others:
        try:
            overlays.append(Overlay(key, label, _one(other, request, False, reference)))
        except RnnvizError as error:
            overlays.append(Overlay(key, label, None, str(error)))
    return Outcome(request, bundle, result, "", False, reference, greedy, tuple(overlays),
                   time.perf_counter() - start)


class Computer(QObject):
    """Runs :func:`compute` off the GUI thread, one job at a time; only the newest request's answer arrives."""

    #: A job started (True) or the last one came back (False).
    sig_busy = Signal(bool)
    #: The answer to the newest request: an Outcome.
    sig_done = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = LatestJob(self, self._on_done, self._on_error)
        self._request: tuple[Any, GradientsRequest] | None = None

    def is_busy(self) -> bool:
        return self._job.busy

    def submit(self, bundle: ModelBundle, request: GradientsRequest,
               others: Sequence[tuple[str, str, ModelBundle]] = ()) -> None:
        others = tuple(others)
        self._request = (bundle, request)
        self.sig_busy.emit(True)
        self._job.submit(lambda: compute(bundle, request, others))

    def cancel(self) -> None:
        """Drop the answers of every job asked for so far (the panel shows no model)."""
        self._job.cancel()
        self._request = None
        self.sig_busy.emit(False)

    def _on_done(self, outcome: Outcome) -> None:
        self.sig_busy.emit(self._job.busy)
        self.sig_done.emit(outcome)

    def _on_error(self, message: str) -> None:  # a bug in the job: said as an outcome, never a traceback
        self.sig_busy.emit(self._job.busy)
        if self._request is not None:
            bundle, request = self._request
            self.sig_done.emit(Outcome(request, bundle, None, message))
