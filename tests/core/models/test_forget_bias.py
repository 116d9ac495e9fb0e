"""init="forget-bias": an LSTM whose forget gates start open (not the book's), named and kept apart."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.memory_tasks import build_memory_data
from rnnviz.core.introspect.memory import trace_memory
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.models.init_scheme import FORGET_BIAS, describe_init
from rnnviz.core.models.memory_presets import MEMORY_PRESETS

DATA = build_memory_data(DataConfig(corpus="recall", lag=4, symbols=3, num_train=8, num_val=4))


def _forget_gate(cell: str, init: str, implementation: str = "fused") -> np.ndarray:
    stack = StackSpec(cell, (16,), implementation=implementation)  # type: ignore[arg-type]
    config = ModelConfig("recall", stack, init=init)  # type: ignore[arg-type]
    trace = trace_memory(bundle_for(DATA, config, seed=3), 0)
    return trace.direction(0, "forward").gates["forget"]  # (T, H)


@pytest.mark.parametrize("implementation", ["fused", "scratch"])
def test_a_fresh_lstm_keeps_what_it_holds(implementation: str) -> None:
    opened = _forget_gate("lstm", "forget-bias", implementation)
    book = _forget_gate("lstm", "book", implementation)
    sigmoid = 1 / (1 + np.exp(-FORGET_BIAS))
    assert opened.mean() > 0.9 and abs(opened.mean() - sigmoid) < 0.05  # f ≈ σ(3) from the first step
    assert book.mean() < 0.7  # the book's start: about half of the cell is lost each step


def test_other_cells_and_weights_are_as_the_books() -> None:
    for cell in ("rnn", "gru"):
        a = bundle_for(DATA, ModelConfig("recall", StackSpec(cell, (8,)), init="book"), seed=1).model
        b = bundle_for(DATA, ModelConfig("recall", StackSpec(cell, (8,)), init="forget-bias"), seed=1).model
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    lstm = {init: bundle_for(DATA, ModelConfig("recall", StackSpec("lstm", (8,)), init=init), seed=1).model
            for init in ("book", "forget-bias")}
    opened = lstm["forget-bias"].state_dict()
    changed = [k for k, v in lstm["book"].state_dict().items() if not torch.equal(v, opened[k])]
    assert sorted(changed) == ["stack.rnn.bias_hh_l0", "stack.rnn.bias_ih_l0"]


def test_it_is_said_where_it_is_used() -> None:
    preset = MEMORY_PRESETS["recall-lstm"]
    assert preset.config.init == "forget-bias" and "forget gate open" in preset.note.lower().replace("its ", "")
    assert "not the book's" in describe_init(preset.config)
    assert MEMORY_PRESETS["recall-gru"].config.init == "book"
    assert ModelConfig.from_dict(preset.config.to_dict()) == preset.config
    # The one difference from the GRU's preset besides the cell: the initialisation.
    assert dataclasses.replace(preset.config, init="book") == ModelConfig("recall", StackSpec("lstm", (64,)))
