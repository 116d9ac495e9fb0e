"""The cost table: its formulas against real models and a hand count, and a measurement that returns numbers."""

from __future__ import annotations

import math

import pytest
import torch

from rnnviz.core import costs
from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.costs import COST_CELLS, cell_cost, cell_costs, formula_table, forward_flops, measure_cell
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.anatomy import anatomy
from rnnviz.core.models.stacks import build_stack, layer_weights


@pytest.mark.parametrize("cell", COST_CELLS)
@pytest.mark.parametrize("d, h", [(3, 5), (16, 16), (40, 7)])
def test_parameter_counts_are_what_torch_allocates(cell: str, d: int, h: int) -> None:
    row = cell_cost(cell, h, d)
    stack = build_stack(StackSpec(cell, (h,), implementation="fused"), d)  # type: ignore[arg-type]
    assert row.params == sum(p.numel() for p in stack.parameters())
    layer = anatomy(ModelConfig("lm", StackSpec(cell, (h,)), embed_size=d), (10,)).layers[0]  # type: ignore[arg-type]
    assert (row.params, row.book_params) == (layer.torch_params, layer.book_params)
    assert row.params_formula.endswith(f"= {row.params:,}")


# --- FLOPs by hand: every scalar operation of one step counted as it is done ------------------


class Counter:
    def __init__(self) -> None:
        self.ops = 0


class Num:
    """A number that counts each +, −, × it takes part in, and each σ or tanh (one each)."""

    def __init__(self, value: float, counter: Counter) -> None:
        self.value, self.counter = value, counter

    def _other(self, other: object) -> float:
        return other.value if isinstance(other, Num) else float(other)  # type: ignore[arg-type]

    def _op(self, value: float) -> Num:
        self.counter.ops += 1
        return Num(value, self.counter)

    def __add__(self, other: object) -> Num:
        return self._op(self.value + self._other(other))

    def __sub__(self, other: object) -> Num:
        return self._op(self.value - self._other(other))

    def __rsub__(self, other: object) -> Num:
        return self._op(self._other(other) - self.value)

    def __mul__(self, other: object) -> Num:
        return self._op(self.value * self._other(other))

    def tanh(self) -> Num:
        return self._op(math.tanh(self.value))

    def sigmoid(self) -> Num:
        return self._op(1 / (1 + math.exp(-self.value)))


def _affine(w_ih, w_hh, b_ih, b_hh, x: list[Num], h: list[Num], row: int, counter: Counter) -> tuple[Num, Num]:
    """(W_ih x + b_ih, W_hh h + b_hh) for one row: a multiply and an add per weight."""
    xs, hs = Num(0.0, counter), Num(0.0, counter)
    for k, xk in enumerate(x):
        xs = xs + xk * float(w_ih[row, k])
    for k, hk in enumerate(h):
        hs = hs + hk * float(w_hh[row, k])
    return xs + float(b_ih[row]), hs + float(b_hh[row])


def _counted_step(cell: str, w, x: list[Num], h: list[Num], c: list[Num], counter: Counter) -> list[Num]:
    H = len(h)
    pre = [_affine(w.w_ih, w.w_hh, w.b_ih, w.b_hh, x, h, row, counter) for row in range(w.w_ih.shape[0])]
    if cell == "rnn":
        return [(a + b).tanh() for a, b in pre]
    if cell == "gru":  # torch's: r ⊙ (W_hn h + b_hn)
        out = []
        for j in range(H):
            r = (pre[j][0] + pre[j][1]).sigmoid()
            z = (pre[H + j][0] + pre[H + j][1]).sigmoid()
            n = (pre[2 * H + j][0] + r * pre[2 * H + j][1]).tanh()
            out.append(n + z * (h[j] - n))
        return out
    out = []
    for j in range(H):  # LSTM: blocks i, f, g, o
        i, f, o = ((pre[k * H + j][0] + pre[k * H + j][1]).sigmoid() for k in (0, 1, 3))
        g = (pre[2 * H + j][0] + pre[2 * H + j][1]).tanh()
        c_new = f * c[j] + i * g
        out.append(o * c_new.tanh())
    return out


@pytest.mark.parametrize("cell", COST_CELLS)
def test_the_flops_formula_equals_a_count_of_every_operation_of_a_tiny_step(cell: str) -> None:
    d, h = 2, 3
    torch.manual_seed(0)
    stack = build_stack(StackSpec(cell, (h,), implementation="fused"), d).double()  # type: ignore[arg-type]
    w = layer_weights(stack, 0, 0).detach()
    counter = Counter()
    x0, h0, c0 = torch.randn(d, dtype=torch.float64), torch.randn(h, dtype=torch.float64), torch.randn(h, dtype=torch.float64)
    wrap = [[Num(float(v), counter) for v in t] for t in (x0, h0, c0)]
    counted = _counted_step(cell, w, *wrap, counter)
    assert counter.ops == forward_flops(cell, d, h) == cell_cost(cell, h, d).flops
    # The counted step is the real one: its values are the fused kernel's.
    state = (h0[None, None], c0[None, None]) if cell == "lstm" else h0[None, None]
    with torch.no_grad():
        out, _ = stack.rnn(x0[None, None], state)  # (1, 1, h)
    assert [n.value for n in counted] == pytest.approx(out[0, 0].tolist(), abs=1e-12)


def test_training_flops_and_ratios_follow_the_formulas() -> None:
    table = formula_table(256)
    assert [r.cell for r in table.rows] == ["rnn", "gru", "lstm"]
    for row in table.rows:
        assert row.train_flops == costs.TRAIN_FACTOR * row.flops and row.measured is None
        assert table.time_ratio(row.cell, "train") is None
    assert table.flops_ratio("rnn") == 1.0
    assert 3.0 < table.flops_ratio("gru") < 3.02 and 4.0 < table.flops_ratio("lstm") < 4.02
    data = table.to_dict()
    assert data["rows"][2]["flops_ratio"] == table.flops_ratio("lstm") and data["rows"][2]["measured"] is None


def test_sizes_out_of_range_and_other_cells_are_refused() -> None:
    with pytest.raises(ConfigError, match="hidden size"):
        cell_cost("gru", 0)
    with pytest.raises(ConfigError, match="compares rnn, gru, lstm"):
        cell_cost("gru-book", 8)
    with pytest.raises(ConfigError, match="measuring time"):
        measure_cell("rnn", 8, seconds=0.0)


# --- the measurement ----------------------------------------------------------------------------


def test_the_measurement_gives_positive_finite_rates_for_every_cell() -> None:
    seen: list[tuple[float, str]] = []
    table = cell_costs(8, batch_size=4, num_steps=5, seconds=0.1, progress=lambda f, text: seen.append((f, text)))
    assert not table.stopped and "torch" in table.machine
    for row in table.rows:
        m = row.measured
        assert m is not None and m.train_batches >= costs.ROUNDS and m.infer_batches >= costs.ROUNDS
        for rate in (m.train_tokens_per_s, m.infer_tokens_per_s):
            assert math.isfinite(rate) and rate > 0
        ratio = table.time_ratio(row.cell, "infer")
        assert ratio is not None and math.isfinite(ratio) and ratio > 0
    assert seen[0][0] == 0.0 and seen[-1] == (1.0, "done") and "GRU" in seen[1][1]


def test_a_stop_returns_the_rows_measured_so_far() -> None:
    now = {"text": ""}  # Stop pressed as soon as the GRU's measurement starts
    table = cell_costs(8, batch_size=2, num_steps=3, seconds=0.1, should_stop=lambda: "GRU" in now["text"],
                       progress=lambda fraction, text: now.update(text=text))
    assert table.stopped
    assert table.row("rnn").measured is not None
    assert table.row("gru").measured is None and table.row("lstm").measured is None
    assert table.time_ratio("gru", "train") is None
