"""Models for the tasks that need memory (``rnnviz.core.data.memory_tasks``).

- :class:`SymbolRNN` (recall, copy): the language model's shape, symbols in (one-hot or embedded),
  the stack, a linear output over the vocabulary at every step; an :class:`RNNLM`, so that
  ``core.introspect`` and the Gates tab trace it unchanged. Its loss and metric skip the steps
  without a target (IGNORE, −1).
- :class:`AddingRNN` (the adding problem): two numbers per step (a value and a marker), the stack,
  a linear output of one number read at the last step; mean squared error.

Both offer the training loop's metric hook: ``metric_name`` and ``batch_metric(batch)`` returning
(sum over items, item count): correct targeted steps for accuracy, squared errors for "mse".
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.core.config import ADDING_INPUTS, ModelConfig
from rnnviz.core.data.memory_tasks import IGNORE
from rnnviz.core.models.initialisation import initialise
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.models.stacks import State, build_stack


class SymbolRNN(RNNLM):
    """Per-step classification over symbols (recall, copy): an RNNLM whose targets may be IGNORE."""

    metric_name: str | None = "accuracy"

    def loss(self, logits: Tensor, targets: Tensor) -> Tensor:
        """Mean cross-entropy over the steps that have a target; (B, T, V) logits, (B, T) targets."""
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)

    def count_tokens(self, batch: tuple[np.ndarray, ...]) -> int:
        """The steps with a target: the loss is their mean, so the loop weighs batches by them."""
        return int((batch[1] != IGNORE).sum())

    @torch.no_grad()
    def batch_metric(self, batch: list[Tensor]) -> tuple[float, int]:
        """(correct targeted steps, targeted steps) of one batch."""
        inputs, targets = batch  # (B, T) each
        predicted = self(inputs)[0].argmax(-1)  # (B, T)
        targeted = targets != IGNORE  # (B, T)
        return float(((predicted == targets) & targeted).sum()), int(targeted.sum())


class AddingRNN(nn.Module):
    """The adding problem: (B, T, 2) values and markers -> the stack -> one number per step, the
    last one being the answer. Attributes as an RNNLM's (``stack``, ``output``, ``embed``)."""

    metric_name: str | None = "mse"

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.stack = build_stack(config.stack, ADDING_INPUTS)
        self.output = nn.Linear(config.stack.output_size, 1)
        initialise(self, config)

    def embed(self, inputs: Tensor) -> Tensor:
        """(B, T, 2) -> (T, B, 2), time first as the stacks expect: the numbers are the inputs."""
        return inputs.transpose(0, 1).float()

    def forward(self, inputs: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        outputs, state = self.stack(self.embed(inputs), state)  # (T, B, stack.output_size)
        return self.output(outputs).squeeze(-1).transpose(0, 1), state  # (B, T): a reading at every step

    def predict(self, inputs: Tensor) -> Tensor:
        """The answers: the output at the last step, (B,)."""
        return self(inputs)[0][:, -1]

    def batch_loss(self, batch: list[Tensor]) -> Tensor:
        inputs, targets = batch  # (B, T, 2), (B,)
        return F.mse_loss(self.predict(inputs), targets.float())

    def count_tokens(self, batch: tuple[np.ndarray, ...]) -> int:
        """Sequences: each has one answer, so the loop weighs batches by their size."""
        return int(batch[0].shape[0])

    @torch.no_grad()
    def batch_metric(self, batch: list[Tensor]) -> tuple[float, int]:
        """(sum of squared errors, sequences) of one batch."""
        inputs, targets = batch
        return float(((self.predict(inputs) - targets.float()) ** 2).sum()), int(targets.shape[0])


@torch.no_grad()
def evaluate_metric(model: nn.Module, batches, device: torch.device | str = "cpu") -> float | None:
    """The model's metric over the batches (accuracy or mean squared error), or None when it has none
    or there are no items. The training loop's own evaluation is another helper's (core.train); this
    is what the CLI's comparison table and the tests read."""
    if getattr(model, "metric_name", None) is None:
        return None
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for batch in batches:
        tensors = [torch.from_numpy(np.ascontiguousarray(a)).to(device) for a in batch]
        value, items = model.batch_metric(tensors)  # type: ignore[operator]
        total, count = total + value, count + items
    model.train(was_training)
    return total / count if count else None
