"""Gradients through time of a model of a task that needs memory, on one of its validation sequences.

The sequence is generated again from the model's own data settings (the same seed gives the same
sequences, as :func:`rnnviz.core.introspect.memory.trace_memory` reads them). Step t reads the
sequence's t-th input; ℓ_s is the loss the model is trained on, at the steps that have a target:

- **recall** at lag L: ℓ_s is the cross-entropy of the input of step s − L, for s > L. The state
  that holds that symbol was written at step s − L, so the lesson is the cell ``G[s, s − L]``:
  how much of ℓ_s still reaches the step whose input it asks for.
- **copy**: ℓ_s for the last k steps (after the go marker), each scoring one of the k symbols
  shown at the start; they reach back over the delay to steps 1 … k.
- **adding**: one loss, the squared error of the answer read at the last step; ``G`` has that one
  row (the others are NaN, no loss there), and ``g`` says how much each step's state matters to
  it: the two marked steps are the ones that should.

Rows of steps without a loss are NaN in every map, as are their ``losses``, as ``through_time``
does with ``loss_steps``. ``tokens`` are the T step labels (symbols; for adding the values to two
decimals, the marked ones starred) followed by the last step's target (a symbol, or "=1.23" for
adding): n = T + 1 names as the records want, but unlike a language model's, the target of step s
is not token s + 1 (the result's notices say what it is).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import Tensor

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.data.memory_tasks import IGNORE, validation_set
from rnnviz.core.errors import DataError
from rnnviz.core.gradients.engine import DEFAULT_METHOD, StepLoss, lm_step_loss, through_time
from rnnviz.core.gradients.records import Gradients
from rnnviz.core.gradients.unrolled import DEFAULT_BLOCK
from rnnviz.core.models.factory import ModelBundle


def squared_error_loss(output: torch.nn.Module, target: float) -> StepLoss:
    """ℓ_s = (output(H_s) − target)²: the adding model's error were its answer read at step s."""
    def loss(top: Tensor, steps: slice) -> Tensor:
        return (output(top).squeeze(-1) - target) ** 2  # (len,)

    return loss


def _lesson(task: str, lag: int, copy_length: int) -> str:
    if task == "recall":
        return (f"recall at lag {lag}: the loss at step s scores the input of step s − {lag}; the cells "
                f"G[s, s − {lag}] show how much of it reaches back to that step.")
    if task == "copy":
        return (f"copy: the last {copy_length} steps' losses score the {copy_length} symbols shown at the start; "
                "their rows show how much reaches back over the delay.")
    return "adding: one loss, the squared error of the answer read at the last step; g shows which steps it reaches."


def gradients_memory(bundle: ModelBundle, index: int = 0, *, maps: bool = True, method: str = DEFAULT_METHOD,
                     block: int = DEFAULT_BLOCK) -> Gradients:
    """g, G, x (and the LSTM's cell) of ``bundle``'s memory model reading validation sequence ``index``
    (from 0), for the losses it is trained on (see the module's doc).

    Raises DataError for a language or translation model and for an index outside the validation set.
    """
    task = bundle.task
    if task not in MEMORY_TASKS:
        raise DataError(f"this is a {'translation' if task == 'mt' else 'language'} model, not one of a task "
                        "that needs memory; compute its gradients over a text (gradients_lm or "
                        "gradients_translation).")
    data = validation_set(bundle.data_config)
    count = len(data.val_inputs)
    if not 0 <= index < count:
        raise DataError(f"the model's task has {count} validation sequences; choose one from 1 to {count} "
                        f"(index 0 to {count - 1}), not index {index}.")
    config = data.config
    labels = list(data.step_labels(index))
    model = bundle.model
    parameter = next(model.parameters())
    with torch.no_grad():
        sequence = torch.from_numpy(np.ascontiguousarray(data.val_inputs[index:index + 1])).to(parameter.device)
        inputs = model.embed(sequence)[:, 0].to(parameter.dtype)  # (T, E): one-hot, embedding, or two numbers
    if task == "adding":
        target = float(data.val_targets[index])
        has = np.zeros(len(labels), bool)
        has[-1] = True  # the answer is read at the last step only
        step_loss = squared_error_loss(model.output, target)
        last = f"={target:.2f}"
        wanted = f"the marked values sum to {target:.2f}"
    else:
        assert data.vocab is not None
        targets = data.val_targets[index]  # (T,) ids, IGNORE where there is none
        has = targets != IGNORE
        step_loss = lm_step_loss(model.output, torch.from_numpy(targets).to(parameter.device))
        last = data.vocab.to_tokens(int(targets[-1])) if has[-1] else "·"
        wanted = "targets (· none): " + " ".join("·" if t == IGNORE else data.vocab.to_tokens(int(t))
                                                 for t in targets)
    result = through_time(model.stack, inputs, step_loss, tokens=[*labels, last], loss_steps=has, maps=maps,
                          method=method, block=block)
    notices = (_lesson(task, int(config.lag or 0), int(config.copy_length or 0)), wanted)
    return replace(result, notices=notices)


def recall_reach(result: Gradients, lag: int, layer: int = 1, direction: str = "forward") -> np.ndarray:
    """G[s, s − lag] for every s that has it (s > lag), of one layer-direction: (T − lag,). NaN without maps."""
    record = result.get(layer, direction)
    if record.G is None:
        return np.full(max(result.stack.steps - lag, 0), np.nan, np.float32)
    rows = np.arange(lag, result.stack.steps)
    return record.G[rows, rows - lag]
