"""One step of each cell, against independent recomputations and torch's own cells."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from rnnviz.core.config import CELLS, GATES
from rnnviz.core.models.cells import (
    EQUATIONS, STEP_TYPES, CellWeights, GruStep, LstmStep, cell_step, gru_reset_step, gru_step, gru_update_step,
    lstm_step, rnn_step, state_after)

B, I, H = 4, 5, 6


def random_weights(gates: int, seed: int = 0, scale: float = 0.5) -> CellWeights:
    gen = torch.Generator().manual_seed(seed)
    shapes = ((gates * H, I), (gates * H, H), (gates * H,), (gates * H,))
    return CellWeights(*(scale * torch.randn(shape, generator=gen) for shape in shapes))


def random_inputs(seed: int = 1) -> tuple[Tensor, Tensor, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(B, n, generator=gen) for n in (I, H, H))  # x, h, c


def block(t: Tensor, k: int) -> Tensor:
    """Gate block k of a torch-layout tensor, sliced here independently of CellWeights."""
    return t[k * H:(k + 1) * H]


def book_matrices(w: CellWeights, k: int) -> tuple[Tensor, Tensor, Tensor]:
    """The book's separate W_x·, W_h· (column-major: X W) and single bias for gate block k."""
    return block(w.w_ih, k).T, block(w.w_hh, k).T, block(w.b_ih, k) + block(w.b_hh, k)


# --- each step against a recomputation ------------------------------------------------


def test_rnn_step_matches_the_book_equation() -> None:
    w = random_weights(1)
    x, h, _ = random_inputs()
    W_xh, W_hh, b_h = book_matrices(w, 0)
    step = rnn_step(x, h, w)
    torch.testing.assert_close(step.pre, x @ W_xh + h @ W_hh + b_h)
    torch.testing.assert_close(step.h, torch.tanh(x @ W_xh + h @ W_hh + b_h))


def test_gru_book_step_matches_the_book_equations() -> None:
    w = random_weights(3)
    X, Hs, _ = random_inputs()
    W_xr, W_hr, b_r = book_matrices(w, 0)
    W_xz, W_hz, b_z = book_matrices(w, 1)
    W_xh, W_hh, b_h = book_matrices(w, 2)
    R = torch.sigmoid(X @ W_xr + Hs @ W_hr + b_r)
    Z = torch.sigmoid(X @ W_xz + Hs @ W_hz + b_z)
    H_tilde = torch.tanh(X @ W_xh + (R * Hs) @ W_hh + b_h)
    step = gru_step(X, Hs, w, "book")
    torch.testing.assert_close(step.r, R)
    torch.testing.assert_close(step.z, Z)
    torch.testing.assert_close(step.n, H_tilde)
    torch.testing.assert_close(step.h, Z * Hs + (1 - Z) * H_tilde)


def test_gru_torch_step_matches_torch_documented_equations() -> None:
    w = random_weights(3)
    x, h, _ = random_inputs()
    lin = [(x @ block(w.w_ih, k).T + block(w.b_ih, k), h @ block(w.w_hh, k).T + block(w.b_hh, k)) for k in range(3)]
    r = torch.sigmoid(lin[0][0] + lin[0][1])
    z = torch.sigmoid(lin[1][0] + lin[1][1])
    n = torch.tanh(lin[2][0] + r * lin[2][1])
    step = gru_step(x, h, w, "torch")
    torch.testing.assert_close(step, GruStep(r, z, n, (1 - z) * n + z * h))


def test_lstm_step_matches_the_book_equations() -> None:
    w = random_weights(4)
    x, h, c = random_inputs()
    pre = [x @ W_x + h @ W_h + b for W_x, W_h, b in (book_matrices(w, k) for k in range(4))]
    i, f, o = torch.sigmoid(pre[0]), torch.sigmoid(pre[1]), torch.sigmoid(pre[3])
    g = torch.tanh(pre[2])
    c_new = f * c + i * g
    step = lstm_step(x, (h, c), w)
    torch.testing.assert_close(step, LstmStep(i, f, g, o, c_new, o * torch.tanh(c_new)))


# --- the two GRU variants -------------------------------------------------------------


def test_gru_variants_differ_on_random_weights() -> None:
    w = random_weights(3)
    x, h, _ = random_inputs()
    torch_step, book_step = gru_step(x, h, w, "torch"), gru_step(x, h, w, "book")
    torch.testing.assert_close(torch_step.r, book_step.r)  # the gates do not depend on the variant
    assert (torch_step.n - book_step.n).abs().max() > 1e-2


def test_gru_variants_agree_when_the_order_of_reset_and_matmul_cannot_matter() -> None:
    # r ⊙ (W h + b) = W (r ⊙ h) + b for every r exactly when W_hn is diagonal and b_hn = 0.
    w = random_weights(3)
    w_hh, b_hh = w.w_hh.clone(), w.b_hh.clone()
    w_hh[2 * H:] = torch.diag(torch.randn(H))
    b_hh[2 * H:] = 0.0
    diagonal = CellWeights(w.w_ih, w_hh, w.b_ih, b_hh)
    x, h, _ = random_inputs()
    torch.testing.assert_close(gru_step(x, h, diagonal, "torch"), gru_step(x, h, diagonal, "book"))


def test_gru_variants_agree_when_the_reset_gate_is_fully_open() -> None:
    # r = 1 (a large reset bias, no reset weights): both become tanh(W_in x + b_in + W_hn h + b_hn).
    w = random_weights(3)
    w_ih, w_hh, b_ih = w.w_ih.clone(), w.w_hh.clone(), w.b_ih.clone()
    w_ih[:H], w_hh[:H], b_ih[:H] = 0.0, 0.0, 40.0
    open_reset = CellWeights(w_ih, w_hh, b_ih, w.b_hh)
    x, h, _ = random_inputs()
    torch_step, book_step = gru_step(x, h, open_reset, "torch"), gru_step(x, h, open_reset, "book")
    assert torch.equal(torch_step.r, torch.ones(B, H))
    torch.testing.assert_close(torch_step, book_step)


def test_unknown_gru_variant_is_refused() -> None:
    x, h, _ = random_inputs()
    with pytest.raises(ValueError, match="variant"):
        gru_step(x, h, random_weights(3), "keras")  # type: ignore[arg-type]


# --- torch's own cells ----------------------------------------------------------------


def torch_cell_weights(module: torch.nn.Module) -> CellWeights:
    return CellWeights(module.weight_ih, module.weight_hh, module.bias_ih, module.bias_hh)


@torch.no_grad()
def test_rnn_step_agrees_with_torch_rnncell() -> None:
    torch.manual_seed(0)
    module = torch.nn.RNNCell(I, H)
    x, h, _ = random_inputs()
    torch.testing.assert_close(rnn_step(x, h, torch_cell_weights(module)).h, module(x, h), atol=1e-6, rtol=0)


@torch.no_grad()
def test_gru_step_agrees_with_torch_grucell() -> None:
    torch.manual_seed(0)
    module = torch.nn.GRUCell(I, H)
    x, h, _ = random_inputs()
    torch.testing.assert_close(gru_step(x, h, torch_cell_weights(module)).h, module(x, h), atol=1e-6, rtol=0)


@torch.no_grad()
def test_lstm_step_agrees_with_torch_lstmcell() -> None:
    torch.manual_seed(0)
    module = torch.nn.LSTMCell(I, H)
    x, h, c = random_inputs()
    step = lstm_step(x, (h, c), torch_cell_weights(module))
    expected_h, expected_c = module(x, (h, c))
    torch.testing.assert_close(step.h, expected_h, atol=1e-6, rtol=0)
    torch.testing.assert_close(step.c, expected_c, atol=1e-6, rtol=0)


# --- dispatch, weights and equations --------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_cell_step_dispatches_to_the_named_cell(cell: str) -> None:
    w = random_weights(len(GATES[cell]))
    x, h, c = random_inputs()
    state = (h, c) if cell == "lstm" else h
    direct = {
        "rnn": lambda: rnn_step(x, h, w),
        "gru": lambda: gru_step(x, h, w, "torch"),
        "gru-book": lambda: gru_step(x, h, w, "book"),
        "gru-reset": lambda: gru_reset_step(x, h, w),
        "gru-update": lambda: gru_update_step(x, h, w),
        "lstm": lambda: lstm_step(x, (h, c), w),
    }[cell]()
    step = cell_step(cell, x, state, w)
    assert isinstance(step, STEP_TYPES[cell])
    assert all(torch.equal(a, b) for a, b in zip(step, direct))
    carried = state_after(step)
    if cell == "lstm":
        assert carried[0] is step.h and carried[1] is step.c
    else:
        assert carried is step.h


def test_cell_step_refuses_an_unknown_cell() -> None:
    x, h, _ = random_inputs()
    with pytest.raises(ValueError, match="unknown cell"):
        cell_step("transformer", x, h, random_weights(1))


def test_mismatched_weights_are_refused_with_a_clear_message() -> None:
    x, h, _ = random_inputs()
    with pytest.raises(ValueError, match="gate block"):
        gru_step(x, h, random_weights(4))  # LSTM-sized weights
    with pytest.raises(ValueError, match="features"):
        rnn_step(torch.zeros(B, I + 1), h, random_weights(1))


def test_cell_weights_blocks_are_torch_order_views() -> None:
    w = random_weights(4)
    assert (w.input_size, w.hidden_size, w.num_gates) == (I, H, 4)
    g = w.blocks(2)
    assert torch.equal(g.w_ih, w.w_ih[2 * H:3 * H]) and torch.equal(g.b_hh, w.b_hh[2 * H:3 * H])
    assert w.blocks(0, 2).w_hh.shape == (2 * H, H)
    with pytest.raises(IndexError):
        w.blocks(4)


@pytest.mark.parametrize("cell", CELLS)
def test_equations_name_exactly_the_values_a_step_returns(cell: str) -> None:
    lhs = [equation.split(" = ")[0] for equation in EQUATIONS[cell]]
    assert lhs == [f"{name}_t" for name in STEP_TYPES[cell]._fields]
    assert not any("\\" in equation or "$" in equation for equation in EQUATIONS[cell])  # plain text


def test_gru_equations_say_where_the_reset_gate_acts() -> None:
    assert "r_t ⊙ (W_hn h_{t-1} + b_hn)" in EQUATIONS["gru"][2]
    assert "W_hn (r_t ⊙ h_{t-1})" in EQUATIONS["gru-book"][2]
    assert EQUATIONS["gru"][3] == EQUATIONS["gru-book"][3] == "h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ n_t"


def test_steps_carry_gradients_to_the_weights() -> None:
    w = CellWeights(*(t.requires_grad_() for t in (
        torch.randn(3 * H, I), torch.randn(3 * H, H), torch.randn(3 * H), torch.randn(3 * H))))
    x, h, _ = random_inputs()
    gru_step(x, h, w, "book").h.sum().backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in (w.w_ih, w.w_hh, w.b_ih, w.b_hh))
