"""Tracing a model of a task that needs memory on one of its validation sequences (the Gates tab's input).

The sequence is generated again from the model's own data settings (same seed, same sequences), so a
saved model traces what it was validated on. Steps are labelled by their symbols, or for the adding
problem by their values with the two marked ones starred ("*0.42"); ``predicted`` holds the output
after each step (a symbol, or the running answer of the adding model).
"""

from __future__ import annotations

import numpy as np
import torch

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.data.memory_tasks import IGNORE, DESCRIPTIONS, validation_set
from rnnviz.core.errors import DataError
from rnnviz.core.introspect.kernels import trace_sequence
from rnnviz.core.introspect.records import GateTrace
from rnnviz.core.models.factory import ModelBundle


def trace_memory(bundle: ModelBundle, index: int = 0) -> GateTrace:
    """Trace ``bundle``'s model over validation sequence ``index`` of its own task."""
    task = bundle.task
    if task not in MEMORY_TASKS:
        raise DataError(f"this is not a model of a task that needs memory ({task}); trace it with trace_lm or "
                        "trace_translation.")
    data = validation_set(bundle.data_config)
    if not 0 <= index < len(data.val_inputs):
        raise DataError(f"the model's task has {len(data.val_inputs)} validation sequences; choose one from 0 to "
                        f"{len(data.val_inputs) - 1}, not {index}.")
    model = bundle.model
    device = next(model.parameters()).device
    with torch.inference_mode():
        inputs = torch.from_numpy(np.ascontiguousarray(data.val_inputs[index:index + 1])).to(device)  # (1, T[, 2])
        embedded = model.embed(inputs)[:, 0]  # (T, E): one-hot symbols, an embedding, or the two numbers
    directions = trace_sequence(model.stack, embedded)
    top = np.concatenate([d.hidden for d in directions[-model.stack.spec.num_directions:]], axis=1)  # (T, D*H)
    with torch.inference_mode():
        outputs = model.output(torch.from_numpy(top).to(device, next(model.output.parameters()).dtype))  # (T, V|1)
    if task == "adding":
        predicted = tuple(f"{v:.2f}" for v in outputs[:, 0].tolist())
        target = float(data.val_targets[index])
        notice = f"the answer is read at the last step: the marked values sum to {target:.2f}."
    else:
        assert data.vocab is not None
        predicted = tuple(data.vocab.to_tokens(outputs.argmax(-1).tolist()))
        targets = data.val_targets[index]  # (T,)
        wanted = " ".join("·" if t == IGNORE else data.vocab.to_tokens(int(t)) for t in targets)
        notice = f"targets (· none): {wanted}"
    return GateTrace(data.step_labels(index), model.stack.spec.cell, "lm", tuple(directions),
                     (DESCRIPTIONS[task], notice), predicted)
