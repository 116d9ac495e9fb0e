"""g, G, the input attribution and the LSTM cell's gradients against finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.core.gradients import lm_step_loss, through_time
from rnnviz.core.models.stacks import layer_weights
from tests.core.gradients.models import CELL_IMPLEMENTATIONS, VOCAB, finite_difference_norms, small_lm

IDS = torch.tensor([0, 3, 1, 4, 2, 2, 1])  # n = 7 tokens: 6 steps, 6 losses
STEPS = 6
CHECKED = (0, 2, 4, 5)  # columns t checked, on both sides of the time-block boundary (block 4)


def _compare(values: np.ndarray, reference: torch.Tensor, what: str) -> None:
    """A column of a map against finite differences: NaN exactly where the difference is 0."""
    for s, (value, fd) in enumerate(zip(values.tolist(), reference.tolist())):
        if np.isnan(value):
            assert fd == pytest.approx(0.0, abs=1e-9), f"{what}: NaN at row {s + 1} but ∂ℓ/∂· = {fd}"
        else:
            assert value == pytest.approx(fd, rel=1e-5, abs=1e-9), f"{what}, row {s + 1}"


@pytest.mark.parametrize("bidirectional", [False, True], ids=["unidirectional", "bidirectional"])
@pytest.mark.parametrize("cell, implementation", CELL_IMPLEMENTATIONS)
def test_maps_match_finite_differences(cell: str, implementation: str, bidirectional: bool) -> None:
    model = small_lm(cell, implementation, bidirectional)
    inputs = F.one_hot(IDS[:-1], VOCAB).double()  # (T, V)
    result = through_time(model.stack, inputs, lm_step_loss(model.output, IDS[1:]), block=4)
    spec = model.stack.spec
    assert (result.num_layers, result.num_directions) == (2, spec.num_directions)
    for layer in range(2):
        for d in range(spec.num_directions):
            record = result.get(layer + 1, d)
            size = layer_weights(model.stack, layer, d).hidden_size
            for t in CHECKED:
                what = f"{cell} {implementation} layer {layer + 1} {record.direction} t={t + 1}"
                _compare(record.G[:, t], finite_difference_norms(model, IDS, (layer, d, "h", t), size), "H " + what)
                if cell == "lstm":
                    _compare(record.cell_G[:, t], finite_difference_norms(model, IDS, (layer, d, "c", t), size),
                             "C " + what)
                else:
                    assert record.cell_G is None and record.cell_g is None
    for t in CHECKED:
        _compare(result.stack.X[:, t], finite_difference_norms(model, IDS, ("x", t), VOCAB), f"X t={t + 1}")


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_one_layer_g_matches_finite_differences_at_every_step(cell: str) -> None:
    model = small_lm(cell, "scratch", bidirectional=False, layers=1)
    inputs = F.one_hot(IDS[:-1], VOCAB).double()
    result = through_time(model.stack, inputs, lm_step_loss(model.output, IDS[1:]), maps=False)
    g = result.get(1).g
    for t in range(STEPS):
        fd = finite_difference_norms(model, IDS, (0, 0, "h", t), 4)[-1]  # the last loss
        assert g[t] == pytest.approx(float(fd), rel=1e-5, abs=1e-9)
