"""Small language models for the gradient tests, and an independent step-by-step reference forward.

The reference runs the stack with ``rnnviz.core.models.cells.cell_step`` (the
scratch cells' code, not the unrolled stack under test) and adds a given
perturbation to any state as it leaves its step: to H_t, to C_t before H_t is
computed from it, or to the input X_t. Finite differences over it give ∂ℓ/∂·
without autograd.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.models.cells import cell_step
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.models.stacks import layer_weights

VOCAB = 5
#: (cell, implementation): gru-book has no fused kernel.
CELL_IMPLEMENTATIONS = [("rnn", "scratch"), ("rnn", "fused"), ("gru", "scratch"), ("gru", "fused"),
                        ("gru-book", "scratch"), ("lstm", "scratch"), ("lstm", "fused")]

#: A perturbation: (layer 0-based, direction 0/1, "h" or "c", step 0-based) or ("x", step) -> (H,) or (d,)
Perturbation = dict[tuple, Tensor]


def small_lm(cell: str, implementation: str, bidirectional: bool, layers: int = 2, seed: int = 0) -> RNNLM:
    """A float64 RNNLM with one-hot inputs; a scratch stack gets layers of different sizes."""
    sizes = (4, 3)[:layers] if implementation == "scratch" else (4,) * layers
    config = ModelConfig("lm", StackSpec(cell, sizes, bidirectional=bidirectional, implementation=implementation))
    torch.manual_seed(seed)
    return RNNLM(config, VOCAB).double().eval()


def reference_losses(model: RNNLM, ids: Tensor, perturb: Perturbation | None = None) -> Tensor:
    """ℓ_s for s = 1 … n−1 of ``ids`` (n,), the states perturbed as ``perturb`` says. (n−1,)"""
    perturb = perturb or {}
    spec = model.stack.spec
    cell = spec.cell
    x = F.one_hot(ids[:-1], VOCAB).double()  # (T, V)
    x = torch.stack([x[t] + perturb.get(("x", t), 0.0) for t in range(len(x))])
    T = x.shape[0]
    layer_in = x
    for layer in range(spec.num_layers):
        outputs = []
        for d in range(spec.num_directions):
            w = layer_weights(model.stack, layer, d)
            H = w.hidden_size
            h = torch.zeros(1, H, dtype=torch.float64)
            c = torch.zeros(1, H, dtype=torch.float64)
            hs: list[Tensor] = [torch.empty(0)] * T
            for t in (range(T - 1, -1, -1) if d == 1 else range(T)):
                step = cell_step(cell, layer_in[t:t + 1], (h, c) if cell == "lstm" else h, w)
                if cell == "lstm":
                    c = step.c + perturb.get((layer, d, "c", t), 0.0)
                    h = step.o * torch.tanh(c)  # H_t follows the perturbed C_t, as the cell computes it
                else:
                    h = step.h
                h = h + perturb.get((layer, d, "h", t), 0.0)
                hs[t] = h
            outputs.append(torch.cat(hs))
        layer_in = torch.cat(outputs, dim=1)  # (T, D*H)
    return F.cross_entropy(model.output(layer_in), ids[1:], reduction="none")


def finite_difference_norms(model: RNNLM, ids: Tensor, node: tuple, size: int, eps: float = 1e-6) -> Tensor:
    """‖∂ℓ_s/∂node‖ for every loss s, by central differences unit by unit (float64). (n−1,)"""
    columns = []
    with torch.no_grad():
        for i in range(size):
            e = torch.zeros(size, dtype=torch.float64)
            e[i] = eps
            up = reference_losses(model, ids, {node: e})
            down = reference_losses(model, ids, {node: -e})
            columns.append((up - down) / (2 * eps))  # (n−1,) ∂ℓ_s/∂node_i for every s
    return torch.stack(columns, dim=1).norm(dim=1)
