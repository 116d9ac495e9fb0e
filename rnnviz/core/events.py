"""What the training generator yields and accepts: plain, frozen values, no torch.

Kept apart from ``train`` so that the GUI can handle events without importing
torch (the first window must paint before torch loads).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np


# ---- events (immutable, plain Python values: safe to send across threads) ----

@dataclass(frozen=True)
class GradientGroup:
    """One group of parameters whose gradient norm a Step reports (``rnnviz.core.gradients.norms``).

    ``name`` is what a student reads, e.g. "layer 1 · update gate z · W_x" or "encoder · embedding".
    """

    name: str
    kind: str  # "W_x", "W_h", "b" (a gate's two biases together), "embedding", "output layer", "bridge", ...
    part: str | None = None  # "encoder" / "decoder" in a translation model; None in a language model
    layer: int | None = None  # from 1, for a recurrent layer's groups
    direction: str | None = None  # "forward" / "backward", for a recurrent layer's groups
    gate: str | None = None  # the Gates tab's name ("update", "forget", "candidate", ...); None for the RNN


@dataclass(frozen=True)
class Step:
    step: int  # optimizer steps so far
    epoch: int  # 1-based
    batch: int  # 1-based, within the epoch
    batches: int  # batches in this epoch
    loss: float  # mean cross-entropy per token, this batch
    perplexity: float
    grad_norm: float  # before clipping
    lr: float
    tokens_per_s: float  # this epoch so far
    elapsed: float  # seconds of training, pauses excluded
    # Clipping: the gradient was multiplied by ``clip_scale`` (1.0: not clipped; always 1.0 without
    # clipping); ``clip`` is the threshold θ (None: clipping off). After clipping the norm is
    # ``grad_norm * clip_scale``, and so is every group's.
    clip_scale: float = 1.0
    clip: float | None = None
    # Per-group gradient norms before clipping, in the order of ``groups`` (one tuple shared by all
    # the steps of a run); both empty on a step that did not measure them.
    groups: tuple[GradientGroup, ...] = ()
    group_norms: tuple[float, ...] = ()

    @property
    def clipped(self) -> bool:
        """Clipping shrank this step's gradient."""
        return self.clip_scale < 1.0

    @property
    def clipped_norm(self) -> float:
        """The gradient norm after clipping: what the update used."""
        return self.grad_norm * self.clip_scale

    @property
    def group_norms_clipped(self) -> tuple[float, ...]:
        """The groups' norms after clipping (each shrinks by the same factor)."""
        return tuple(norm * self.clip_scale for norm in self.group_norms)


@dataclass(frozen=True)
class EpochEnd:
    step: int
    epoch: int
    train_loss: float
    train_perplexity: float
    val_loss: float | None  # None when there is no validation data
    val_perplexity: float | None
    tokens_per_s: float
    elapsed: float
    # A model that measures more than its loss (a memory task's accuracy or mean squared error, see
    # ``rnnviz.core.train.model_metric``): its name and its value on the validation data.
    metric: str | None = None  # "accuracy" (a fraction, 0 to 1) or "mse"
    val_metric: float | None = None


@dataclass(frozen=True)
class Paused:
    step: int
    epoch: int
    elapsed: float


@dataclass(frozen=True)
class NonFinite:
    """The loss or the gradient was inf or NaN: the update was skipped and training paused."""

    step: int
    epoch: int
    loss: float
    grad_norm: float
    lr: float
    message: str


@dataclass(frozen=True)
class Finished:
    reason: str  # "completed", "stopped", or "diverged" (see ``core.train.DIVERGED_LOSS``)
    step: int
    epoch: int
    elapsed: float
    loss: float | None = None  # "diverged": the typical (median) loss of the steps that showed it
    lr: float | None = None  # "diverged": the learning rate then


Event = Union[Step, EpochEnd, Paused, NonFinite, Finished]


def metric_text(metric: str | None, value: float | None) -> str:
    """A metric as a person reads it: "accuracy 93.1%", "mse 0.0123"; '' without one."""
    if metric is None or value is None:
        return ""
    if metric == "accuracy":
        return f"accuracy {100 * value:.1f}%"
    return f"{metric} {value:.4g}"


def nonfinite_message(step: int, epoch: int, loss: float, grad_norm: float, lr: float, clipped: bool) -> str:
    """What a NonFinite event says: the failed step is ``step + 1``; the weights stay those of ``step``."""
    what = "loss" if not math.isfinite(loss) else "gradient norm"
    return (f"the {what} became {loss if what == 'loss' else grad_norm} at step {step + 1} (epoch {epoch}); "
            f"the update was skipped and training paused with the weights of step {step}. Lower the learning "
            f"rate (now {lr:g})" + ("." if clipped else " or turn on gradient clipping."))


def diverged_message(event: Finished, clipped: bool) -> str:
    """What to tell the user about a run that ended as "diverged" (``event.reason``)."""
    lr = "" if event.lr is None else f" (now {event.lr:g})"
    return (f"training diverged: by step {event.step} (epoch {event.epoch}) the loss had risen to "
            f"{event.loss:.4g} nats per token and stayed there; the weights are useless. "
            f"Lower the learning rate{lr}" + (" and train again." if clipped else
                                              " or turn on gradient clipping, and train again."))


@dataclass(frozen=True)
class ClippingSummary:
    """How often clipping acted over a run's steps, and by how much."""

    steps: int  # steps with a known scale
    clipped: int  # steps clipping shrank
    largest: float  # the largest shrink factor, 1 / scale (1.0: never clipped)
    median: float  # the median shrink factor of the clipped steps (1.0: none)

    @property
    def share(self) -> float:
        return self.clipped / self.steps if self.steps else 0.0

    def sentence(self, clip: float | None = None) -> str:
        """"clipping at norm 1 acted on 37% of steps (370 of 1,000), shrinking the gradient by up to 12×
        (median 2.1×)"; ``clip``: the threshold, named when given."""
        subject = "clipping" if clip is None else f"clipping at norm {clip:g}"
        if not self.steps:
            return f"{subject}: no step yet"
        if not self.clipped:
            return f"{subject} never acted ({self.steps:,} steps)"
        return (f"{subject} acted on {_percent(self.share)} of steps ({self.clipped:,} of {self.steps:,}), "
                f"shrinking the gradient by up to {_factor(self.largest)} (median {_factor(self.median)})")


def summarize_clipping(scales: Iterable[float | None] | np.ndarray) -> ClippingSummary:
    """The summary of per-step clip scales (``Step.clip_scale``; None and NaN: unknown, left out).
    Vectorised: a million steps take milliseconds."""
    values = np.asarray(scales if isinstance(scales, np.ndarray) else list(scales), dtype=np.float64)
    known = values[np.isfinite(values) & (values > 0)]
    shrinks = 1.0 / known[known < 1.0]
    if not len(shrinks):
        return ClippingSummary(len(known), 0, 1.0, 1.0)
    return ClippingSummary(len(known), len(shrinks), float(shrinks.max()), float(np.median(shrinks)))


def _percent(share: float) -> str:
    value = 100 * share
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1g}%"


def _factor(factor: float) -> str:
    return f"{factor:.1f}×" if factor < 10 else f"{factor:,.0f}×"


# ---- commands ----

@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class StepOnce:
    """While paused: take one optimizer step, then pause again."""


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class SetLearningRate:
    lr: float


Command = Union[Pause, Resume, StepOnce, Stop, SetLearningRate]


@dataclass
class History:
    """The curves of a run, as plain lists (what a checkpoint stores)."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    # Per step: the factor clipping multiplied the gradient by (1.0: not clipped); None for the steps
    # of a model saved before rnnviz kept it.
    clip_scale: list[float | None] = field(default_factory=list)
    # Per epoch: the model's metric ("accuracy", "mse") and its validation value; None without one.
    metric: list[str | None] = field(default_factory=list)
    val_metric: list[float | None] = field(default_factory=list)

    def add(self, event: Event) -> None:
        if isinstance(event, Step):
            self.step.append(event.step)
            self.loss.append(event.loss)
            self.grad_norm.append(event.grad_norm)
            self.clip_scale.append(event.clip_scale)
        elif isinstance(event, EpochEnd):
            self.epoch.append(event.epoch)
            self.train_loss.append(event.train_loss)
            self.val_loss.append(event.val_loss)
            self.elapsed.append(event.elapsed)
            self.metric.append(event.metric)
            self.val_metric.append(event.val_metric)

    def to_dict(self) -> dict[str, list[Any]]:
        return {name: list(values) for name, values in vars(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, list[Any]]) -> History:
        history = cls(**{name: list(data.get(name, [])) for name in vars(cls()).keys()})
        # An older history lacks the later curves: None in front keeps them aligned with its steps and epochs.
        for name, along in (("clip_scale", history.step), ("metric", history.epoch), ("val_metric", history.epoch)):
            values = getattr(history, name)
            values[:0] = [None] * max(0, len(along) - len(values))
        return history
