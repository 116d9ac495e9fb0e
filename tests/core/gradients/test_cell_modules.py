"""∂ℓ_s/∂H_t recomputed independently with torch's own cell modules (nn.RNNCell, GRUCell, LSTMCell)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.core.gradients import lm_step_loss, through_time
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.models.stacks import layer_weights
from tests.core.gradients.models import VOCAB, small_lm

_CELLS = {"rnn": nn.RNNCell, "gru": nn.GRUCell, "lstm": nn.LSTMCell}


def _cell_module(model: RNNLM, layer: int, direction: int) -> nn.Module:
    w = layer_weights(model.stack, layer, direction)
    module = _CELLS[model.stack.spec.cell](w.input_size, w.hidden_size).double()
    with torch.no_grad():
        for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (w.w_ih, w.w_hh, w.b_ih, w.b_hh)):
            getattr(module, name).copy_(value)
    return module


def cell_module_maps(model: RNNLM, ids: Tensor) -> tuple[dict[tuple[int, int], np.ndarray], np.ndarray]:
    """G per (layer, direction) and the input map X, by autograd through a zero leaf added to each state."""
    spec = model.stack.spec
    x = F.one_hot(ids[:-1], VOCAB).double()  # (T, V)
    T = x.shape[0]
    x_leaf = torch.zeros_like(x, requires_grad=True)
    layer_in = x + x_leaf
    leaves: dict[tuple[int, int], list[Tensor]] = {}
    for layer in range(spec.num_layers):
        outputs = []
        for d in range(spec.num_directions):
            module = _cell_module(model, layer, d)
            H = module.hidden_size
            h = torch.zeros(1, H, dtype=torch.float64)
            c = torch.zeros(1, H, dtype=torch.float64)
            hs: list[Tensor] = [torch.empty(0)] * T
            deltas = leaves[layer, d] = [torch.zeros(1, H, dtype=torch.float64, requires_grad=True) for _ in range(T)]
            for t in (range(T - 1, -1, -1) if d == 1 else range(T)):
                if spec.cell == "lstm":
                    h, c = module(layer_in[t:t + 1], (h, c))
                else:
                    h = module(layer_in[t:t + 1], h)
                h = h + deltas[t]  # ∂ℓ/∂delta_t is ∂ℓ/∂H_t
                hs[t] = h
            outputs.append(torch.cat(hs))
        layer_in = torch.cat(outputs, dim=1)
    losses = F.cross_entropy(model.output(layer_in), ids[1:], reduction="none")  # (T,)
    maps = {key: np.zeros((T, T)) for key in leaves}
    inputs = np.zeros((T, T))
    for s in range(T):
        flat = [leaf for key in leaves for leaf in leaves[key]]
        grads = torch.autograd.grad(losses[s], [*flat, x_leaf], retain_graph=True)
        index = 0
        for key in leaves:
            for t in range(T):
                maps[key][s, t] = float(grads[index].norm())
                index += 1
        inputs[s] = grads[-1].norm(dim=1).numpy()
    return maps, inputs


@pytest.mark.parametrize("bidirectional", [False, True], ids=["unidirectional", "bidirectional"])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_maps_match_torch_cell_modules(cell: str, bidirectional: bool) -> None:
    model = small_lm(cell, "fused", bidirectional, seed=3)
    ids = torch.tensor([1, 0, 4, 4, 2, 3, 0, 1, 2])  # 8 steps
    result = through_time(model.stack, F.one_hot(ids[:-1], VOCAB).double(), lm_step_loss(model.output, ids[1:]),
                          block=3)
    maps, inputs = cell_module_maps(model, ids)
    for (layer, d), expected in maps.items():
        got = result.get(layer + 1, d).G
        reachable = ~np.isnan(got)
        np.testing.assert_allclose(got[reachable], expected[reachable], rtol=1e-5, atol=1e-12)
        assert np.all(expected[~reachable] == 0.0)  # NaN only where the gradient is exactly zero
    got = result.stack.X
    np.testing.assert_allclose(got[~np.isnan(got)], inputs[~np.isnan(got)], rtol=1e-5, atol=1e-12)
    assert np.all(inputs[np.isnan(got)] == 0.0)
