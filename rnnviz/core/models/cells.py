"""One time step of each recurrent cell, computed from weights in torch.nn's layout.

Weights are stored as torch stores them: ``w_ih (G*H, I)``, ``w_hh (G*H, H)``,
``b_ih (G*H,)``, ``b_hh (G*H,)``, with the G gate blocks stacked in torch's
order (``rnnviz.core.config.GATES``). Inputs are rows, so the code computes
``x W_ihᵀ``; ``EQUATIONS`` writes the same thing in the book's column form
``W_ih x``. Each step returns a NamedTuple of every intermediate value, so the
app can show the gates, not only the new state.

The GRUs with one gate (``gru-reset``, ``gru-update``; the book's exercise 4 of
section 10.2) have no torch module; they follow the same convention with two
blocks, (r, n) and (z, n): the full GRU's rows with the missing gate's taken out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple, Union

import torch
from torch import Tensor
from torch.nn import functional as F

from rnnviz.core.config import GATES

#: The state one layer-direction carries: h, or (h, c) for the LSTM.
CellState = Union[Tensor, tuple[Tensor, Tensor]]
GruVariant = Literal["torch", "book"]


@dataclass(frozen=True, eq=False)
class CellWeights:
    """One layer-direction's parameters, gate blocks stacked as torch stacks them."""

    w_ih: Tensor  # (G*H, I)
    w_hh: Tensor  # (G*H, H)
    b_ih: Tensor  # (G*H,)
    b_hh: Tensor  # (G*H,)

    @property
    def hidden_size(self) -> int:
        return int(self.w_hh.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.w_ih.shape[1])

    @property
    def num_gates(self) -> int:
        return int(self.w_hh.shape[0]) // self.hidden_size

    def blocks(self, start: int, stop: int | None = None) -> CellWeights:
        """Gate blocks ``start`` to ``stop`` (exclusive; default: ``start`` alone), as views."""
        stop = start + 1 if stop is None else stop
        if not 0 <= start < stop <= self.num_gates:
            raise IndexError(f"gate blocks {start}:{stop} out of range for {self.num_gates} blocks.")
        rows = slice(start * self.hidden_size, stop * self.hidden_size)
        return CellWeights(self.w_ih[rows], self.w_hh[rows], self.b_ih[rows], self.b_hh[rows])

    def detach(self) -> CellWeights:
        """A copy cut from autograd, for display."""
        return CellWeights(self.w_ih.detach(), self.w_hh.detach(), self.b_ih.detach(), self.b_hh.detach())


class RnnStep(NamedTuple):
    pre: Tensor  # (B, H) the pre-activation
    h: Tensor  # (B, H) the new hidden state


class GruStep(NamedTuple):
    r: Tensor  # (B, H) reset gate
    z: Tensor  # (B, H) update gate (weight of the OLD state)
    n: Tensor  # (B, H) candidate state (the book's H̃)
    h: Tensor  # (B, H) new hidden state


class GruResetStep(NamedTuple):
    """A GRU with a reset gate only (``gru-reset``): no update gate, the new state is the candidate."""

    r: Tensor  # (B, H) reset gate
    n: Tensor  # (B, H) candidate state (the book's H̃)
    h: Tensor  # (B, H) new hidden state (= n)


class GruUpdateStep(NamedTuple):
    """A GRU with an update gate only (``gru-update``): no reset gate, the candidate reads all of h."""

    z: Tensor  # (B, H) update gate (weight of the OLD state)
    n: Tensor  # (B, H) candidate state (the book's H̃)
    h: Tensor  # (B, H) new hidden state


class LstmStep(NamedTuple):
    i: Tensor  # (B, H) input gate
    f: Tensor  # (B, H) forget gate
    g: Tensor  # (B, H) input node (the book's C̃)
    o: Tensor  # (B, H) output gate
    c: Tensor  # (B, H) new memory cell
    h: Tensor  # (B, H) new hidden state


Step = Union[RnnStep, GruStep, GruResetStep, GruUpdateStep, LstmStep]

#: The record each cell's step returns; its fields are the left-hand sides of ``EQUATIONS``.
STEP_TYPES: dict[str, type] = {"rnn": RnnStep, "gru": GruStep, "gru-book": GruStep, "gru-reset": GruResetStep,
                               "gru-update": GruUpdateStep, "lstm": LstmStep}

#: Plain-text equations, exactly what the step functions compute (σ is the logistic sigmoid).
EQUATIONS: dict[str, list[str]] = {
    "rnn": [
        "pre_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh",
        "h_t = tanh(pre_t)",
    ],
    "gru": [
        "r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)",
        "z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)",
        "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))",
        "h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ n_t",
    ],
    "gru-book": [
        "r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)",
        "z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)",
        "n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)",
        "h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ n_t",
    ],
    # Two gate blocks each (r, n) and (z, n); the reset gate where the book puts it, before the matmul.
    "gru-reset": [
        "r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)",
        "n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)",
        "h_t = n_t",
    ],
    "gru-update": [
        "z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)",
        "n_t = tanh(W_in x_t + b_in + W_hn h_{t-1} + b_hn)",
        "h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ n_t",
    ],
    "lstm": [
        "i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)",
        "f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)",
        "g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)",
        "o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)",
        "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t",
        "h_t = o_t ⊙ tanh(c_t)",
    ],
}


def _check_weights(w: CellWeights, gates: int, x: Tensor, h: Tensor) -> None:
    # A clear message beats a matmul shape error deep inside F.linear.
    hidden = int(h.shape[-1])
    if tuple(w.w_hh.shape) != (gates * hidden, hidden) or int(w.w_ih.shape[0]) != gates * hidden:
        raise ValueError(f"weights of shape w_ih {tuple(w.w_ih.shape)}, w_hh {tuple(w.w_hh.shape)} do not "
                         f"hold {gates} gate block(s) for hidden size {hidden}.")
    if int(x.shape[-1]) != w.input_size:
        raise ValueError(f"input has {x.shape[-1]} features but the weights expect {w.input_size}.")


def _from_input(x: Tensor, w: CellWeights) -> Tensor:
    return F.linear(x, w.w_ih, w.b_ih)  # (B, G*H)


def _from_hidden(h: Tensor, w: CellWeights) -> Tensor:
    return F.linear(h, w.w_hh, w.b_hh)  # (B, G*H)


def rnn_step(x: Tensor, h: Tensor, w: CellWeights) -> RnnStep:
    """pre = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh; h' = tanh(pre)."""
    _check_weights(w, 1, x, h)
    pre = _from_input(x, w) + _from_hidden(h, w)  # (B, H)
    return RnnStep(pre=pre, h=torch.tanh(pre))


def _gru_candidate_torch(xn: Tensor, h: Tensor, r: Tensor, w: CellWeights) -> Tensor:
    hn = _from_hidden(h, w.blocks(2))  # (B, H) W_hn h + b_hn, reset applied after the matmul
    return torch.tanh(xn + r * hn)  # (B, H)


def _gru_candidate_book(xn: Tensor, h: Tensor, r: Tensor, w: CellWeights) -> Tensor:
    hn = _from_hidden(r * h, w.blocks(2))  # (B, H) W_hn (r ⊙ h) + b_hn, reset applied before
    return torch.tanh(xn + hn)  # (B, H)


def gru_step(x: Tensor, h: Tensor, w: CellWeights, variant: GruVariant = "torch") -> GruStep:
    """One GRU step; ``variant`` says where the reset gate acts (see ``EQUATIONS``)."""
    if variant not in ("torch", "book"):
        raise ValueError(f"unknown GRU variant {variant!r}; use 'torch' or 'book'.")
    _check_weights(w, 3, x, h)
    xr, xz, xn = _from_input(x, w).chunk(3, dim=-1)  # 3 × (B, H)
    # Only the r and z blocks of W_hh see h directly in both variants.
    hr, hz = _from_hidden(h, w.blocks(0, 2)).chunk(2, dim=-1)  # 2 × (B, H)
    r = torch.sigmoid(xr + hr)  # (B, H)
    z = torch.sigmoid(xz + hz)  # (B, H)
    candidate = _gru_candidate_torch if variant == "torch" else _gru_candidate_book
    n = candidate(xn, h, r, w)  # (B, H)
    h_new = z * h + (1 - z) * n  # (B, H) z keeps the old state, 1 - z takes the candidate
    return GruStep(r=r, z=z, n=n, h=h_new)


def gru_reset_step(x: Tensor, h: Tensor, w: CellWeights) -> GruResetStep:
    """A GRU without its update gate (blocks r, n): h' = n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)."""
    _check_weights(w, 2, x, h)
    xr, xn = _from_input(x, w).chunk(2, dim=-1)  # 2 × (B, H)
    r = torch.sigmoid(xr + _from_hidden(h, w.blocks(0)))  # (B, H)
    n = torch.tanh(xn + _from_hidden(r * h, w.blocks(1)))  # (B, H) W_hn (r ⊙ h) + b_hn: reset before, as the book
    return GruResetStep(r=r, n=n, h=n)


def gru_update_step(x: Tensor, h: Tensor, w: CellWeights) -> GruUpdateStep:
    """A GRU without its reset gate (blocks z, n): n = tanh(W_in x + b_in + W_hn h + b_hn), h' = z ⊙ h + (1 - z) ⊙ n."""
    _check_weights(w, 2, x, h)
    blocks = (_from_input(x, w) + _from_hidden(h, w)).chunk(2, dim=-1)  # 2 × (B, H): no gate sits inside
    z = torch.sigmoid(blocks[0])  # (B, H)
    n = torch.tanh(blocks[1])  # (B, H)
    return GruUpdateStep(z=z, n=n, h=z * h + (1 - z) * n)  # (B, H)


def lstm_step(x: Tensor, state: tuple[Tensor, Tensor], w: CellWeights) -> LstmStep:
    """One LSTM step: c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c')."""
    h, c = state  # (B, H), (B, H)
    _check_weights(w, 4, x, h)
    blocks = (_from_input(x, w) + _from_hidden(h, w)).chunk(4, dim=-1)  # 4 × (B, H)
    i, f, o = (torch.sigmoid(blocks[k]) for k in (0, 1, 3))  # (B, H) each
    g = torch.tanh(blocks[2])  # (B, H)
    c_new = f * c + i * g  # (B, H)
    h_new = o * torch.tanh(c_new)  # (B, H)
    return LstmStep(i=i, f=f, g=g, o=o, c=c_new, h=h_new)


def cell_step(cell: str, x: Tensor, state: CellState, weights: CellWeights) -> Step:
    """One step of ``cell`` (a name from ``rnnviz.core.config.CELLS``); "gru" is torch's variant."""
    if cell == "rnn":
        return rnn_step(x, state, weights)  # type: ignore[arg-type]
    if cell in ("gru", "gru-book"):
        return gru_step(x, state, weights, "torch" if cell == "gru" else "book")  # type: ignore[arg-type]
    if cell == "gru-reset":
        return gru_reset_step(x, state, weights)  # type: ignore[arg-type]
    if cell == "gru-update":
        return gru_update_step(x, state, weights)  # type: ignore[arg-type]
    if cell == "lstm":
        return lstm_step(x, state, weights)  # type: ignore[arg-type]
    raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(GATES)}.")


def state_after(step: Step) -> CellState:
    """The state to carry to the next step: h, or (h, c) for the LSTM."""
    if isinstance(step, LstmStep):
        return step.h, step.c
    return step.h
