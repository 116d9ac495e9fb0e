"""Short training runs for the exercises: a preset (or a variant of it) trained a budget of steps.

A small run trains on the built-in phrasebook (no download) in short windows for a
few dozen steps: seconds on a laptop, enough for a perplexity that moves and a
trace or a gradient with some structure. A full run (``small=False``) uses the
preset's own corpus and recipe, for a budget of steps a few minutes long.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass
from typing import Any

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.exercises.records import Progress, ShouldStop

#: The small runs' language-model data: the built-in phrasebook in windows of 16 characters.
SMALL_LM = {"corpus": "phrasebook-en", "num_steps": 16, "batch_size": 32}
SMALL_STEPS = 40  # optimizer steps of a small run
FULL_STEPS = 1500  # of a full run (minutes on a laptop's CPU)
VAL_BATCHES = 8  # validation batches read for the perplexity of a run (all of them would take longer)


@dataclass(frozen=True)
class Trained:
    """A model after a short run, and what the run measured."""

    label: str
    bundle: Any  # ModelBundle, on the CPU
    data: Any  # LmData / MemoryData it trained on
    steps: int
    seconds: float  # training time, pauses excluded
    tokens_per_s: float
    val_loss: float | None
    metric: str | None  # "accuracy" for recall/copy, None for a language model
    metric_value: float | None
    parameters: int
    stopped: bool

    @property
    def perplexity(self) -> float | None:
        import math

        return None if self.val_loss is None else math.exp(min(self.val_loss, 50.0))


def data_config(preset: Any, small: bool, **changes: Any) -> DataConfig:
    """The data a run of ``preset`` trains on: the small phrasebook windows or the preset's own."""
    config = preset.data_config()
    if small and config.task == "lm":
        config = DataConfig(task="lm", token_level=config.token_level, lm_sampling="random-offset", **SMALL_LM)
    elif small and config.memory_task is not None:
        config = dataclasses.replace(config, num_train=min(config.num_train or 2000, 1000),
                                     num_val=min(config.num_val or 256, 128))
    return dataclasses.replace(config, **changes) if changes else config


def model_config(preset: Any, cell: str | None = None, hidden: tuple[int, ...] | None = None) -> ModelConfig:
    """The preset's model with another cell or hidden sizes (the rest as the preset has it)."""
    stack: StackSpec = preset.config.stack
    changes: dict[str, Any] = {}
    if cell is not None:
        changes["cell"] = cell
    if hidden is not None:
        changes.update(hidden_sizes=hidden, backward_sizes=None)
    return dataclasses.replace(preset.config, stack=dataclasses.replace(stack, **changes)) if changes \
        else preset.config


def build_data(config: DataConfig) -> Any:
    from rnnviz.core.data.datasets import build_data as build

    return build(config)


def train_short(preset_name: str, small: bool, *, label: str = "", cell: str | None = None,
                hidden: tuple[int, ...] | None = None, lr: float | None = None, data: Any = None,
                data_changes: dict[str, Any] | None = None, steps: int | None = None,
                progress: Progress | None = None, span: tuple[float, float] = (0.0, 1.0),
                stop: ShouldStop | None = None) -> Trained:
    """Train ``preset_name`` (optionally another cell, hidden sizes or lr) for a budget of steps.

    ``progress`` hears fractions within ``span`` (a comparison gives each run its share);
    ``stop()`` is asked after every step and ends the run early (``stopped``).
    """
    from rnnviz.core.events import Finished, NonFinite, Step, Stop
    from rnnviz.core.models.presets import get_preset
    from rnnviz.core.session import TrainingSession
    from rnnviz.core.train import resolve_device, validate

    preset = get_preset(preset_name)
    budget = steps or (SMALL_STEPS if small else FULL_STEPS)
    dconfig = data_config(preset, small, **(data_changes or {}))
    train = preset.train_config()
    train = dataclasses.replace(train, device="cpu", epochs=max(train.epochs, 1000),
                                **({"lr": lr} if lr is not None else {}))
    session = TrainingSession(dconfig, model_config(preset, cell, hidden), train,
                              data=data, label=label or preset_name)
    session.prepare()
    done, stopped, rate, elapsed = 0, False, 0.0, 0.0
    started = time.perf_counter()
    events = session.start()
    assert events is not None  # no Stop was given before the first step
    try:
        event = next(events)
        while True:
            command = None
            if isinstance(event, Step):
                done, rate = event.step, event.tokens_per_s
                if progress is not None:
                    progress(span[0] + (span[1] - span[0]) * done / budget, f"{label or preset_name}: step {done}")
                if stop is not None and stop():
                    stopped, command = True, Stop()
                elif done >= budget:
                    command = Stop()
            if isinstance(event, (Finished, NonFinite)):
                elapsed = getattr(event, "elapsed", time.perf_counter() - started)
                break
            event = events.send(command)
    finally:
        events.close()
    bundle = session.bundle
    bundle.model.eval()
    check = validate(bundle.model, itertools.islice(session.data.val_batches(), VAL_BATCHES), resolve_device("cpu"))
    return Trained(label or preset_name, bundle, session.data, done, float(elapsed), float(rate), check.loss,
                   check.metric, check.value, bundle.parameter_count(), stopped)
