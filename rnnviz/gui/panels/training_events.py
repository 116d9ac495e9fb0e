"""A batch of training events, sorted for the training panel: curve rows, the last of each kind, the status.

The panel receives the training generator's events in tuples (``rnnviz.gui.training``
coalesces them, losing none); this turns one tuple into what it draws. No Qt, no torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.events import EpochEnd, Finished, NonFinite, Paused, Step


@dataclass
class EventBatch:
    """One batch of events: rows in ``curves.STEP_COLUMNS`` / ``EPOCH_COLUMNS`` order (``epoch_x`` left 0)."""

    step_rows: list[tuple[float, ...]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    epoch_rows: list[tuple[float, ...]] = field(default_factory=list)
    metric: str | None = None  # the model's metric, when an epoch brought one
    last_step: Step | None = None
    last_epoch: EpochEnd | None = None
    status: tuple[str, bool] | None = None  # (text, is an error); ("", False) once steps come again

    @classmethod
    def of(cls, events: Iterable[object]) -> EventBatch:
        batch = cls()
        for event in events:
            if isinstance(event, Step):
                batch.step_rows.append((event.step, event.epoch, event.batch, event.batches, 0.0, event.elapsed,
                                        event.loss, event.perplexity, event.grad_norm, event.lr, event.tokens_per_s,
                                        event.clip_scale))
                batch.steps.append(event)
                batch.last_step, batch.status = event, ("", False)
            elif isinstance(event, EpochEnd):
                batch.epoch_rows.append((event.step, event.epoch, event.elapsed, event.train_loss,
                                         event.train_perplexity, _nan(event.val_loss), _nan(event.val_perplexity),
                                         event.tokens_per_s, _nan(event.val_metric)))
                batch.metric = event.metric if event.metric is not None else batch.metric
                batch.last_epoch = event
            elif isinstance(event, Paused):
                batch.status = (f"paused at step {event.step:,}", False)
            elif isinstance(event, NonFinite):
                batch.status = (f"non-finite {'loss' if not math.isfinite(event.loss) else 'gradient'} at step "
                                f"{event.step + 1:,}: update skipped, paused", True)
            elif isinstance(event, Finished):
                batch.status = (f"finished ({event.reason}) at step {event.step:,}", False)
        return batch

    def __bool__(self) -> bool:
        return bool(self.step_rows or self.epoch_rows or self.status)

    def step_array(self) -> np.ndarray:
        return np.array(self.step_rows, dtype=np.float64)

    def epoch_array(self) -> np.ndarray:
        return np.array(self.epoch_rows, dtype=np.float64)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
