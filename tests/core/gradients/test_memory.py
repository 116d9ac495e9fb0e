"""gradients_memory: a memory model's losses where it is trained, against finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.memory_tasks import IGNORE, build_memory_data
from rnnviz.core.errors import DataError
from rnnviz.core.gradients import export_gradients, gradients_memory, read_npz, recall_reach
from rnnviz.core.models.cells import cell_step
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.models.shipped import load_shipped
from rnnviz.core.models.stacks import layer_weights


def _bundle(task: str, cell: str, sizes: tuple[int, ...] = (4, 3), **settings: int) -> ModelBundle:
    data = build_memory_data(DataConfig(corpus=task, num_train=8, num_val=6, **settings))
    bundle = bundle_for(data, ModelConfig(task, StackSpec(cell, sizes, implementation="scratch")), seed=3)
    bundle.model.double().eval()
    return bundle


def _reference_losses(bundle: ModelBundle, index: int, node: tuple[int, str, int] | None,
                      delta: Tensor | None) -> Tensor:
    """Every step's loss of validation sequence ``index`` by the scratch cells step by step, the state
    ``node`` = (layer, "h" or "c", step) nudged by ``delta`` as it leaves its step. (T,)"""
    model, task = bundle.model, bundle.task
    data = build_memory_data(bundle.data_config)
    with torch.no_grad():
        x = model.embed(torch.from_numpy(data.val_inputs[index:index + 1]))[:, 0].double()  # (T, E)
    cell = model.stack.spec.cell
    T = x.shape[0]
    layer_in = x
    for layer in range(model.stack.spec.num_layers):
        w = layer_weights(model.stack, layer, 0)
        h = torch.zeros(1, w.hidden_size, dtype=torch.float64)
        c = torch.zeros_like(h)
        hs = []
        for t in range(T):
            step = cell_step(cell, layer_in[t:t + 1], (h, c) if cell == "lstm" else h, w)
            if cell == "lstm":
                c = step.c + (delta if node == (layer, "c", t) else 0.0)
                h = step.o * torch.tanh(c)
            else:
                h = step.h
            h = h + (delta if node == (layer, "h", t) else 0.0)
            hs.append(h)
        layer_in = torch.cat(hs)  # (T, H)
    out = model.output(layer_in)  # (T, V) or (T, 1)
    if task == "adding":
        return (out[:, 0] - float(data.val_targets[index])) ** 2
    targets = torch.from_numpy(data.val_targets[index])
    return F.cross_entropy(out, targets, reduction="none", ignore_index=IGNORE)


def _fd_norms(bundle: ModelBundle, index: int, node: tuple[int, str, int], size: int,
             eps: float = 1e-6) -> np.ndarray:
    """‖∂ℓ_s/∂node‖ for every step s by central differences, unit by unit. (T,)"""
    columns = []
    with torch.no_grad():
        for i in range(size):
            e = torch.zeros(size, dtype=torch.float64)
            e[i] = eps
            up, down = _reference_losses(bundle, index, node, e), _reference_losses(bundle, index, node, -e)
            columns.append((up - down) / (2 * eps))
    return torch.stack(columns, dim=1).norm(dim=1).numpy()  # (T,)


@pytest.mark.parametrize("task, cell, settings", [
    ("recall", "gru", {"num_steps": 7, "lag": 3, "symbols": 3}),
    ("recall", "lstm", {"num_steps": 6, "lag": 2, "symbols": 2}),
    ("copy", "rnn", {"copy_length": 2, "lag": 1, "symbols": 3}),
    ("adding", "lstm", {"num_steps": 6}),
])
def test_maps_match_finite_differences_where_the_task_has_losses(task: str, cell: str, settings: dict) -> None:
    bundle = _bundle(task, cell, **settings)
    result = gradients_memory(bundle, 2)
    data = build_memory_data(bundle.data_config)
    T = data.num_steps
    has = np.arange(T) == T - 1 if task == "adding" else data.val_targets[2] != IGNORE  # the steps with a loss
    losses = _reference_losses(bundle, 2, None, None).detach().numpy()
    np.testing.assert_allclose(result.losses[has], losses[has], rtol=1e-6)
    assert np.isnan(result.losses[~has]).all()  # no target there: no loss
    for layer, size in enumerate((4, 3)):
        record = result.get(layer + 1)
        for t in (0, T // 2, T - 1):
            for kind, values in (("h", record.G), ("c", record.cell_G)):
                if kind == "c" and cell != "lstm":
                    assert record.cell_G is None
                    continue
                fd = _fd_norms(bundle, 2, (layer, kind, t), size)
                column = values[:, t]
                for s in range(T):
                    if not has[s] or s < t:  # no loss at s, or a later state: no path
                        assert np.isnan(column[s]), (kind, layer, s, t)
                    else:
                        assert column[s] == pytest.approx(fd[s], rel=1e-5, abs=1e-9), (kind, layer, s, t)
        np.testing.assert_array_equal(record.g, record.G[np.flatnonzero(has)[-1]])  # g: the last loss's row


def test_recall_reach_is_the_diagonal_lag_steps_back() -> None:
    bundle = _bundle("recall", "gru", num_steps=8, lag=3, symbols=2)
    result = gradients_memory(bundle, 0)
    reach = recall_reach(result, 3)
    G = result.get(1).G
    assert reach.shape == (5,) and reach[0] == G[3, 0] and reach[-1] == G[7, 4]
    assert np.isfinite(reach).all() and (reach > 0).all()
    assert "lag 3" in result.notices[0] and "G[s, s − 3]" in result.notices[0]


def test_tokens_are_the_steps_then_the_last_target_and_the_record_round_trips(tmp_path) -> None:
    bundle = _bundle("adding", "gru", num_steps=6)
    result = gradients_memory(bundle, 1, maps=False)
    data = build_memory_data(bundle.data_config)
    assert result.tokens[:-1] == data.step_labels(1)
    assert result.tokens[-1] == f"={float(data.val_targets[1]):.2f}"
    assert result.get(1).G is None and np.isfinite(result.get(1).g).all()
    (path,) = export_gradients(result, npz=tmp_path / "adding.npz")
    again = read_npz(path)
    assert again.tokens == result.tokens
    np.testing.assert_array_equal(again.get(2).g, result.get(2).g)


def test_other_models_and_bad_indices_are_refused() -> None:
    with pytest.raises(DataError, match="not one of a task that needs memory.*gradients_lm"):
        gradients_memory(load_shipped("lm"), 0)
    bundle = _bundle("recall", "rnn", num_steps=5, lag=1, symbols=2)
    with pytest.raises(DataError, match="6 validation sequences; choose one from 1 to 6"):
        gradients_memory(bundle, 6)
