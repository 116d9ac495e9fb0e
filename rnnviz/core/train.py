"""Training as a generator of frozen events that takes commands through ``send``.

The tests drive it directly; the CLI and the GUI's worker drive it through
:class:`rnnviz.core.session.TrainingSession`, which builds the data and the model
and keeps a continued model's history going::

    run = train(bundle, data, TrainConfig(epochs=5))
    event = next(run)
    while not isinstance(event, Finished):
        event = run.send(None)          # or Pause(), Resume(), StepOnce(), Stop(), SetLearningRate(0.5)

A run ends with ``Finished(reason)``: "completed", "stopped" (a Stop command) or "diverged" (the
loss stayed far above any healthy run's, see :data:`DIVERGED_LOSS`; ``diverged_message`` says
what to do).

Nothing here knows which model it trains: a model supplies ``batch_loss`` and
``count_tokens``; the data supplies ``train_batches(epoch)`` and ``val_batches()``.
A model that measures more than its loss (a memory task) also has ``metric_name``
("accuracy" or "mse") and ``batch_metric(batch) -> (sum, count)``: each EpochEnd then
carries ``metric`` and ``val_metric`` (:func:`validate`).

Each Step carries the gradient's norm before clipping (``grad_norm``), what clipping
multiplied it by (``clip_scale``, 1.0 when it did not act) and the threshold (``clip``),
and each parameter group's norm (``groups``, ``group_norms``: each gate's W_x, W_h and b
per layer and direction, the embedding, the output layer; :mod:`rnnviz.core.gradients.norms`).
While the generator is suspended the weights are not changing, so a caller may
copy them between two events.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from torch import nn

from rnnviz.core.config import TrainConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.limits import LEARNING_RATE
from rnnviz.core.events import (  # noqa: F401 (re-exported: the generator's vocabulary)
    Command, EpochEnd, Event, Finished, History, NonFinite, Pause, Paused, Resume, SetLearningRate, Step,
    StepOnce, Stop, diverged_message, nonfinite_message,
)
from rnnviz.core.gradients.norms import GradientMeter, clip_as_the_book, clip_scale
from rnnviz.core.metrics import perplexity

#: Measure the parameter groups' gradient norms on every step (1), or every k-th (``train``'s
#: ``group_norms_every``). Every step is cheap: on one CPU thread the grouped norms cost about 0.16 ms a
#: step more than clip_grad_norm_ for the book's GRU (hidden 32; 10 groups), 1.5% of a batch of 32 and
#: 0.2% of the book's batch of 1024, and 0.6 ms (0.2%) for a 2-layer bidirectional LSTM of 256 (50 groups).
GROUP_NORMS_EVERY = 1


class Trainable(Protocol):
    def batch_loss(self, batch: list[torch.Tensor]) -> torch.Tensor: ...
    def count_tokens(self, batch: tuple[np.ndarray, ...]) -> int: ...


class Measured(Trainable, Protocol):
    """A model that measures more than its loss (the memory tasks): ``metric_name`` is "accuracy" or
    "mse", and ``batch_metric`` returns (the sum over the batch's items, how many items)."""

    metric_name: str | None

    def batch_metric(self, batch: list[torch.Tensor]) -> tuple[float, int]: ...


def model_metric(model: nn.Module) -> str | None:
    """The model's metric ("accuracy", "mse"), or None when it has none (a language or translation model)."""
    name = getattr(model, "metric_name", None)
    if name is None or not callable(getattr(model, "batch_metric", None)):
        return None
    return str(name)


class Batches(Protocol):
    def num_train_batches(self) -> int: ...
    def train_batches(self, epoch: int) -> Iterable[tuple[np.ndarray, ...]]: ...
    def val_batches(self) -> Iterable[tuple[np.ndarray, ...]]: ...


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: cuda, then mps, then cpu. A named device must exist here."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps.") from None
    if device.type == "cuda" and (not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()):
        found = torch.cuda.device_count() if torch.cuda.is_available() else 0
        raise ConfigError(f"device {name!r} is not available here ({found} CUDA device(s)); use auto or cpu.")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("device 'mps' is not available here; use auto or cpu.")
    return device


def make_optimizer(params: Iterable[nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr)
    return torch.optim.SGD(params, lr=config.lr)


def to_device(batch: tuple[np.ndarray, ...], device: torch.device) -> list[torch.Tensor]:
    return [torch.from_numpy(np.ascontiguousarray(a)).to(device, non_blocking=True) for a in batch]


@dataclass(frozen=True)
class Validation:
    """A model's loss on the validation batches and, when it has one, its metric (None: no data)."""

    loss: float | None
    metric: str | None = None
    value: float | None = None


@torch.no_grad()
def validate(model: nn.Module, batches: Iterable[tuple[np.ndarray, ...]], device: torch.device) -> Validation:
    """Mean loss per token over the batches and the model's metric (sum / count of ``batch_metric``), in one pass."""
    metric = model_metric(model)
    was_training = model.training
    model.eval()
    total, tokens, metric_sum, items = 0.0, 0, 0.0, 0
    try:
        for batch in batches:
            count = model.count_tokens(batch)  # type: ignore[operator]
            tensors = to_device(batch, device)
            total += float(model.batch_loss(tensors)) * count  # type: ignore[operator]
            tokens += count
            if metric is not None:
                value, n = model.batch_metric(tensors)  # type: ignore[operator]
                metric_sum, items = metric_sum + float(value), items + int(n)
    finally:
        model.train(was_training)
    return Validation(total / tokens if tokens else None, metric, metric_sum / items if items else None)


def evaluate(model: nn.Module, batches: Iterable[tuple[np.ndarray, ...]], device: torch.device) -> float | None:
    """Mean loss per token over the batches, or None when there are none."""
    return validate(model, batches, device).loss


@dataclass
class _Clock:
    """Training time with pauses left out."""

    spent: float = 0.0
    since: float | None = None

    def start(self) -> None:
        if self.since is None:
            self.since = time.perf_counter()

    def stop(self) -> None:
        if self.since is not None:
            self.spent += time.perf_counter() - self.since
            self.since = None

    def now(self) -> float:
        return self.spent + (time.perf_counter() - self.since if self.since is not None else 0.0)


#: A run has diverged when its loss (mean cross-entropy per token, in nats) stays above this. A model
#: that guesses uniformly scores log(V): 3.3 for the book's 28 characters, about 9 for the largest word
#: vocabularies here; a fresh model starts near that and a healthy one only goes down. The book's recipes
#: (SGD lr 1 to 4 with the gradient clipped to norm 1; Adam lr 0.005 for the seq2seq) stay far below 50,
#: which is a perplexity of 5e21 (the uniform guess over 5e21 tokens): only blown-up weights get there.
DIVERGED_LOSS = 50.0
#: How many consecutive steps are judged together, by their median: one wild batch is not a divergence.
#: An epoch shorter than this is judged by all of its steps at its end.
DIVERGED_STEPS = 10
#: A slower blow-up: the median step loss of an epoch more than this many nats above the run's first
#: step (a perplexity 22,000 times worse) for DIVERGED_EPOCHS epochs in a row. Even lr 20 on a toy
#: text, which wobbles up by 10 to 15 nats for a few steps, comes back within an epoch; the book's
#: recipes never rise above their first step at all.
DIVERGED_RISE = 10.0
DIVERGED_EPOCHS = 2


@dataclass
class _Divergence:
    """Watches the step losses for a divergence (see :data:`DIVERGED_LOSS` and :data:`DIVERGED_RISE`).
    Medians throughout: one wild batch moves neither rule."""

    recent: deque[float] = field(default_factory=lambda: deque(maxlen=DIVERGED_STEPS))
    epoch: list[float] = field(default_factory=list)  # this epoch's step losses
    start: float | None = None  # the run's first step loss
    risen_epochs: int = 0
    loss: float | None = None  # the loss that showed it

    def step(self, loss: float) -> bool:
        self.start = loss if self.start is None else self.start
        self.recent.append(loss)
        self.epoch.append(loss)
        return len(self.recent) == DIVERGED_STEPS and self._found(statistics.median(self.recent), DIVERGED_LOSS)

    def epoch_end(self) -> bool:
        losses, self.epoch = self.epoch, []
        if not losses or self.start is None:
            return False
        typical = statistics.median(losses)
        if len(losses) < DIVERGED_STEPS and self._found(typical, DIVERGED_LOSS):
            return True  # an epoch shorter than the window, judged whole
        self.risen_epochs = self.risen_epochs + 1 if typical > self.start + DIVERGED_RISE else 0
        return self.risen_epochs >= DIVERGED_EPOCHS and self._found(typical, self.start + DIVERGED_RISE)

    def _found(self, typical: float, bound: float) -> bool:
        if typical > bound:
            self.loss = typical
            return True
        return False


@dataclass
class _Control:
    paused: bool = False
    step_once: bool = False
    stop: bool = False

    def apply(self, command: Command | None, optimizer: torch.optim.Optimizer) -> None:
        if command is None:
            return
        if isinstance(command, Pause):
            self.paused = True
        elif isinstance(command, Resume):
            self.paused, self.step_once = False, False
        elif isinstance(command, StepOnce):
            self.step_once = True
        elif isinstance(command, Stop):
            self.stop = True
        elif isinstance(command, SetLearningRate):
            LEARNING_RATE.check(command.lr)  # the range a TrainConfig has: nan, inf and 0 are refused
            for group in optimizer.param_groups:
                group["lr"] = command.lr
        else:
            raise TypeError(f"not a training command: {command!r}")


def _clip_only(params: list[nn.Parameter], clip: float | None) -> float:
    """The total gradient norm, clipped to ``clip`` when given (the book's way), without the groups' norms."""
    return clip_as_the_book([p.grad for p in params if p.grad is not None], clip)


def train(model: nn.Module, data: Batches, config: TrainConfig, *, start_paused: bool = False,
          group_norms_every: int | None = None) -> Generator[Event, Command | None, None]:
    """Train ``model`` on ``data``; yields events, receives commands (see the module doc).

    Every ``group_norms_every``-th step (counted from the run's first) also reports each parameter
    group's gradient norm (``Step.group_norms``; None: :data:`GROUP_NORMS_EVERY`); the total norm and
    the clip scale come every step."""
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    model.to(device)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(params, config)
    meter = GradientMeter(model)
    groups = meter.groups  # one tuple, shared by every Step
    every = max(1, int(GROUP_NORMS_EVERY if group_norms_every is None else group_norms_every))
    control = _Control(paused=start_paused)
    clock = _Clock()
    divergence = _Divergence()
    diverged = False
    step = 0

    for epoch in range(1, config.epochs + 1):
        epoch_loss, epoch_tokens, epoch_time = 0.0, 0, 0.0
        batches = list(data.train_batches(epoch - 1))  # its exact length, for the progress bar
        batches_per_epoch = len(batches)
        for index, batch in enumerate(batches, start=1):
            while control.paused and not control.step_once and not control.stop:
                clock.stop()
                control.apply((yield Paused(step, epoch, clock.now())), optimizer)
            if control.stop:
                break
            clock.start()
            started = time.perf_counter()
            tokens = model.count_tokens(batch)  # type: ignore[operator]
            loss = model.batch_loss(to_device(batch, device))  # type: ignore[operator]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            # The book's clipping rescales the gradient to norm <= theta; the groups' norms come from the same pass.
            reading = meter.measure_and_clip(config.grad_clip) if step % every == 0 else None
            if reading is not None:
                grad_norm, scale, norms = reading.total, reading.scale, reading.norms
            else:
                grad_norm = _clip_only(params, config.grad_clip)
                scale, norms = clip_scale(grad_norm, config.grad_clip), ()
            loss_value = loss.item()
            lr = optimizer.param_groups[0]["lr"]
            if not (math.isfinite(loss_value) and math.isfinite(grad_norm)):
                # Skip the update: the weights stay those of the last good step.
                clock.stop()
                control.paused, control.step_once = True, False
                message = nonfinite_message(step, epoch, loss_value, grad_norm, lr, config.grad_clip is not None)
                control.apply((yield NonFinite(step, epoch, loss_value, grad_norm, lr, message)), optimizer)
                continue
            optimizer.step()
            step += 1
            epoch_time += time.perf_counter() - started
            epoch_loss += loss_value * tokens
            epoch_tokens += tokens
            control.step_once = False
            control.apply((yield Step(step, epoch, index, batches_per_epoch, loss_value, perplexity(loss_value),
                                      grad_norm, lr, epoch_tokens / max(epoch_time, 1e-9), clock.now(),
                                      scale, config.grad_clip, groups if norms else (), norms)), optimizer)
            diverged = divergence.step(loss_value)
            if control.stop or diverged:
                break
        if control.stop or diverged:
            break
        if model_metric(model) is None:
            validation = Validation(evaluate(model, data.val_batches(), device))
        else:  # one pass for the loss and the metric
            validation = validate(model, data.val_batches(), device)
        val_loss = validation.loss
        clock.stop()
        train_loss = epoch_loss / max(epoch_tokens, 1)
        control.apply((yield EpochEnd(step, epoch, train_loss, perplexity(train_loss), val_loss,
                                      None if val_loss is None else perplexity(val_loss),
                                      epoch_tokens / max(epoch_time, 1e-9), clock.now(),
                                      validation.metric, validation.value)), optimizer)
        diverged = divergence.epoch_end()
        if control.stop or diverged:
            break
    clock.stop()
    if diverged:  # it wins over a Stop sent at the same moment: the weights are useless either way
        yield Finished("diverged", step, epoch, clock.now(), divergence.loss, optimizer.param_groups[0]["lr"])
    else:
        yield Finished("stopped" if control.stop else "completed", step, epoch, clock.now())


def run(generator: Generator[Event, Command | None, None], on_event=None) -> Finished | NonFinite:
    """Drive a training generator to its end with no commands; stops at a non-finite loss."""
    event = next(generator)
    while True:
        if on_event is not None:
            on_event(event)
        if isinstance(event, Finished):
            return event
        if isinstance(event, NonFinite):
            generator.close()
            return event
        event = generator.send(None)
