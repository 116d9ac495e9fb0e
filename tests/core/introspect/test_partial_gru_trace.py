"""Gate traces of the GRUs with one gate: the model's own forward, a recomputation in numpy
written here, the step view's equations, and the NPZ file."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.config import StackSpec
from rnnviz.core.introspect import GATE_NAMES, GateTrace, equations_for, trace_sequence
from rnnviz.core.introspect.unit_equations import VARIANT_NOTES, equations_html, unit_step
from rnnviz.core.models.stacks import build_stack

PARTIAL = ("gru-reset", "gru-update")
ATOL = 2e-5


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _reference(cell: str, x: np.ndarray, w_ih, w_hh, b_ih, b_hh, h0: np.ndarray, reverse: bool) -> dict:
    """The exercise's equations step by step in float64, rows in input order."""
    T, H = x.shape[0], h0.shape[0]
    gate, n_all, h_all = np.zeros((T, H)), np.zeros((T, H)), np.zeros((T, H))
    h = h0.astype(np.float64)
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        a_in = w_ih @ x[t] + b_ih  # (2H,) the gate's rows, then the candidate's
        if cell == "gru-reset":
            r = _sigmoid(a_in[:H] + w_hh[:H] @ h + b_hh[:H])
            n = np.tanh(a_in[H:] + w_hh[H:] @ (r * h) + b_hh[H:])
            gate[t], h = r, n
        else:
            z = _sigmoid(a_in[:H] + w_hh[:H] @ h + b_hh[:H])
            n = np.tanh(a_in[H:] + w_hh[H:] @ h + b_hh[H:])
            gate[t], h = z, z * h + (1 - z) * n
        n_all[t], h_all[t] = n, h
    return {("reset" if cell == "gru-reset" else "update"): gate, "candidate": n_all, "hidden": h_all}


def _stack(cell: str, seed: int = 0):
    torch.manual_seed(seed)
    stack = build_stack(StackSpec(cell, (6, 4), bidirectional=True, backward_sizes=(5, 3)), 3).eval()
    with torch.no_grad():
        for p in stack.parameters():
            p.mul_(3.0)  # gates away from 0.5, so a wrong formula shows
    return stack


@pytest.mark.parametrize("cell", PARTIAL)
def test_the_trace_equals_the_models_forward_and_a_recomputation(cell: str) -> None:
    stack = _stack(cell)
    inputs = torch.randn(9, 1, 3)  # (T, 1, d)
    traces = trace_sequence(stack, inputs)
    with torch.no_grad():
        outputs, final = stack(inputs)  # (T, 1, 5 + 3)
    top = np.concatenate([traces[2].hidden, traces[3].hidden], axis=1)  # (T, 8)
    np.testing.assert_allclose(top, outputs[:, 0].numpy(), atol=ATOL)
    for trace, state in zip(traces, final):
        np.testing.assert_allclose(trace.final_hidden, state[0].numpy(), atol=ATOL)
    for trace in traces:
        assert tuple(trace.gates) == GATE_NAMES[cell]
        weights = [a.astype(np.float64) for a in (trace.weight_ih, trace.weight_hh, trace.bias_ih, trace.bias_hh)]
        expected = _reference(cell, trace.x.astype(np.float64), *weights, trace.h0,
                              reverse=trace.direction == "backward")
        for name, values in expected.items():
            np.testing.assert_allclose(trace.gates[name], values, atol=ATOL, err_msg=f"{cell} {name}")


@pytest.mark.parametrize("cell", PARTIAL)
def test_the_step_view_recomputes_the_traced_numbers_with_the_cells_equations(cell: str) -> None:
    stack = _stack(cell, seed=1)
    traces = trace_sequence(stack, torch.randn(6, 3))
    for trace in (traces[0], traces[1]):  # forward and backward
        for step in (0, 3, 5):
            for unit in range(trace.hidden_size):
                values = unit_step(trace, cell, step, unit).values()
                assert set(values) == set(GATE_NAMES[cell])
                for name, value in values.items():
                    assert value == pytest.approx(float(trace.gates[name][step, unit]), abs=1e-5)
    text = equations_html(unit_step(traces[0], cell, 2, 1), "a", cell)
    if cell == "gru-reset":
        assert "(no update gate)" in text and "r<sub>t</sub> ⊙ h<sub>t" in text and "z<sub>t</sub>" not in text
    else:
        assert "z<sub>t</sub>" in text and "r<sub>t</sub>" not in text
    assert VARIANT_NOTES[cell] in text


@pytest.mark.parametrize("cell", PARTIAL)
def test_equations_and_npz_name_the_cell(cell: str, tmp_path) -> None:
    stack = _stack(cell, seed=2)
    trace = GateTrace(("a", "b", "c"), cell, "lm", tuple(trace_sequence(stack, torch.randn(3, 3))))
    assert set(trace.equations) == set(GATE_NAMES[cell])
    assert trace.equations["hidden"] == ("h_t = n_t" if cell == "gru-reset"
                                         else "h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ n_t")
    assert "only" in trace.variant_description
    assert equations_for(cell)["candidate"].startswith("n_t = tanh(")
    back = GateTrace.from_npz(trace.to_npz(tmp_path / "t.npz"))
    assert back.cell_variant == cell
    np.testing.assert_array_equal(back.get(1, "backward", "candidate"), trace.get(1, "backward", "candidate"))
