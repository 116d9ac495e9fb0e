"""One unit's arithmetic at one step: recomputed in float64, it equals what the tracer stored."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.config import StackSpec
from rnnviz.core.introspect import GATE_NAMES, trace_sequence
from rnnviz.core.introspect.unit_equations import MINUS, equations_html, fmt, previous_state, unit_step
from rnnviz.core.models.stacks import build_stack


def traced(cell: str, bidirectional: bool = False):
    torch.manual_seed(2)
    stack = build_stack(StackSpec(cell, (5,), bidirectional), 4).eval()
    with torch.no_grad():
        for p in stack.parameters():
            p.mul_(3.0)  # gates away from 0.5, so the variants differ visibly
    return trace_sequence(stack, torch.randn(6, 4))


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-book", "lstm"])
def test_every_line_equals_the_traced_value(cell: str) -> None:
    for direction in traced(cell, bidirectional=True):
        for step in range(direction.num_steps):
            for unit in range(direction.hidden_size):
                values = unit_step(direction, cell, step, unit).values()
                for name in GATE_NAMES[cell]:
                    assert values[name] == pytest.approx(float(direction.gates[name][step, unit]), abs=1e-5)


def test_the_backward_direction_reads_the_state_after_the_next_position() -> None:
    backward = traced("lstm", bidirectional=True)[1]
    h, c = previous_state(backward, 2)
    np.testing.assert_array_equal(h, backward.gates["hidden"][3])
    np.testing.assert_array_equal(c, backward.gates["cell"][3])
    h_last, c_last = previous_state(backward, backward.num_steps - 1)  # the first step it takes
    np.testing.assert_array_equal(h_last, backward.h0)
    assert unit_step(backward, "lstm", 2, 1).h_prev == pytest.approx(float(backward.gates["hidden"][3, 1]))


def test_out_of_range_and_unknown_cells_are_refused() -> None:
    forward = traced("gru")[0]
    with pytest.raises(IndexError, match="step 6"):
        unit_step(forward, "gru", 6, 0)
    with pytest.raises(IndexError, match="unit 5"):
        unit_step(forward, "gru", 0, 5)
    with pytest.raises(ValueError, match="unknown cell"):
        unit_step(forward, "tanh-net", 0, 0)


def test_numbers_are_printed_with_a_real_minus_and_no_negative_zero() -> None:
    assert fmt(-0.25) == f"{MINUS}0.250"
    assert fmt(-0.0001) == "0.000"
    assert fmt(1.23456, 2) == "1.23"


def test_the_html_names_the_unit_the_token_and_the_variant() -> None:
    forward = traced("gru")[0]
    step = unit_step(forward, "gru", 3, 2)
    text = equations_html(step, "<cat>", "torch variant", {"hidden": "#123456"})
    assert "unit j = 2" in text and "step t = 3" in text and "&lt;cat&gt;" in text
    assert "torch variant" in text and "color:#123456" in text
    assert f"<b>{fmt(step.value('hidden'))}</b>" in text
    assert "after" in text  # the note: torch applies the reset gate after the matmul
