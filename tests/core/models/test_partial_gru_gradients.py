"""The GRUs with one gate in core.gradients: the maps against finite differences, the norm groups by gate."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.gradients import lm_step_loss, through_time
from rnnviz.core.gradients.norms import GradientMeter, group_names
from rnnviz.core.gradients.unrolled import run_stack
from rnnviz.core.models.lm import RNNLM
from tests.core.gradients.models import VOCAB, finite_difference_norms, small_lm

IDS = torch.tensor([0, 3, 1, 4, 2, 2, 1])  # 6 steps, 6 losses


@pytest.mark.parametrize("bidirectional", [False, True], ids=["unidirectional", "bidirectional"])
@pytest.mark.parametrize("cell", ["gru-reset", "gru-update"])
def test_the_gradient_maps_match_finite_differences(cell: str, bidirectional: bool) -> None:
    model = small_lm(cell, "scratch", bidirectional)  # float64, layers of sizes 4 and 3
    inputs = F.one_hot(IDS[:-1], VOCAB).double()  # (T, V)
    result = through_time(model.stack, inputs, lm_step_loss(model.output, IDS[1:]), block=4)
    for layer, size in ((0, 4), (1, 3)):
        for d in range(model.stack.spec.num_directions):
            record = result.get(layer + 1, d)
            for t in (0, 3, 5):
                fd = finite_difference_norms(model, IDS, (layer, d, "h", t), size)
                for s, (value, expected) in enumerate(zip(record.G[:, t].tolist(), fd.tolist())):
                    if math.isnan(value):  # no path from H_t to loss s
                        assert expected == pytest.approx(0.0, abs=1e-9)
                    else:
                        assert value == pytest.approx(expected, rel=1e-5, abs=1e-9), (layer, d, t, s)


@pytest.mark.parametrize("cell", ["gru-reset", "gru-update"])
@pytest.mark.parametrize("batchable", [True, False])
def test_the_unrolled_stack_computes_the_models_forward(cell: str, batchable: bool) -> None:
    model = small_lm(cell, "scratch", bidirectional=True)
    inputs = F.one_hot(IDS[:-1], VOCAB).double()
    run = run_stack(model.stack, inputs, batchable=batchable)
    with torch.no_grad():
        expected, _ = model.stack(inputs[:, None])  # (T, 1, 2 * 3)
    torch.testing.assert_close(torch.cat(run.top).detach(), expected[:, 0])


def test_norm_groups_name_the_gates_each_cell_has() -> None:
    reset = group_names(RNNLM(ModelConfig("lm", StackSpec("gru-reset", (8,))), 10))
    assert reset == ("layer 1 · reset gate r · W_x", "layer 1 · reset gate r · W_h", "layer 1 · reset gate r · b",
                     "layer 1 · candidate n · W_x", "layer 1 · candidate n · W_h", "layer 1 · candidate n · b",
                     "output layer")
    update = group_names(RNNLM(ModelConfig("lm", StackSpec("gru-update", (8,))), 10))
    assert "layer 1 · update gate z · W_h" in update and not any("reset" in name for name in update)


@pytest.mark.parametrize("cell", ["gru-reset", "gru-update"])
def test_group_norms_cover_every_gradient(cell: str) -> None:
    torch.manual_seed(0)
    model = RNNLM(ModelConfig("lm", StackSpec(cell, (6, 5), True), embed_size=4), 9)
    logits, _ = model(torch.randint(0, 9, (2, 7)))
    model.loss(logits, torch.randint(0, 9, (2, 7))).backward()
    reading = GradientMeter(model).measure()
    total = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])
    assert math.sqrt(sum(n * n for n in reading.norms)) == pytest.approx(float(total), rel=1e-6)
