"""What a student reads off the maps: where NaN is, g as the last row of G, the methods agreeing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.core.gradients import Gradients, lm_step_loss, through_time
from tests.core.gradients.models import VOCAB, small_lm

IDS = torch.tensor([2, 0, 3, 1, 4, 0, 2, 3, 1, 1, 4])  # 10 steps
STEPS = 10


def _run(cell: str = "lstm", bidirectional: bool = False, **options) -> Gradients:
    model = small_lm(cell, "scratch", bidirectional)
    inputs = F.one_hot(IDS[:-1], VOCAB).double()
    return through_time(model.stack, inputs, lm_step_loss(model.output, IDS[1:]), **options)


def test_a_causal_stack_is_nan_exactly_above_the_diagonal() -> None:
    result = _run("lstm")
    above = np.triu(np.ones((STEPS, STEPS), bool), k=1)
    for layer in result.stack:
        for values in (layer.G, layer.cell_G):
            assert np.array_equal(np.isnan(values), above)
            assert np.all(values[~above] > 0)  # every reachable state has a gradient here
    assert np.array_equal(np.isnan(result.stack.X), above)


def test_a_bidirectional_stack_is_nan_where_no_path_exists() -> None:
    result = _run("gru", bidirectional=True)
    above = np.triu(np.ones((STEPS, STEPS), bool), k=1)
    below = np.tril(np.ones((STEPS, STEPS), bool), k=-1)
    assert np.array_equal(np.isnan(result.get(2, "forward").G), above)
    assert np.array_equal(np.isnan(result.get(2, "backward").G), below)
    for direction in ("forward", "backward"):  # the top layer reads both directions of layer 1 at every step
        assert not np.isnan(result.get(1, direction).G).any()
    assert not np.isnan(result.stack.X).any()
    g = result.get(2, "backward").g  # the last loss reaches the top backward direction only at the last step
    assert np.isnan(g[:-1]).all() and g[-1] > 0


@pytest.mark.parametrize("cell", ["rnn", "gru-book", "lstm"])
def test_g_is_the_last_row_of_G(cell: str) -> None:
    result = _run(cell, bidirectional=True)
    for layer in result.stack:
        np.testing.assert_array_equal(layer.g, layer.G[-1])
        if layer.cell_G is not None:
            np.testing.assert_array_equal(layer.cell_g, layer.cell_G[-1])
    np.testing.assert_array_equal(result.stack.x, result.stack.X[-1])


def test_g_alone_is_the_same_without_the_maps() -> None:
    full, alone = _run("lstm"), _run("lstm", maps=False)
    assert alone.stack.X is None and not alone.stack.has_maps
    for a, b in zip(full.stack, alone.stack):
        assert b.G is None and b.cell_G is None
        np.testing.assert_allclose(b.g, a.g, rtol=1e-6)
        np.testing.assert_allclose(b.cell_g, a.cell_g, rtol=1e-6)
    np.testing.assert_allclose(alone.stack.x, full.stack.x, rtol=1e-6)
    np.testing.assert_allclose(alone.losses, full.losses, rtol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-book", "lstm"])
def test_the_methods_and_block_sizes_agree(cell: str, bidirectional: bool) -> None:
    """One pass per loss (plain tanh in the graph) and batched passes (tanh through σ) give one map."""
    reference = _run(cell, bidirectional, method="loop", block=3)
    for options in ({"method": "batched", "block": 3}, {"method": "batched", "block": 64},
                    {"method": "loop", "block": 1}):
        other = _run(cell, bidirectional, **options)
        for a, b in zip(reference.stack, other.stack):
            np.testing.assert_allclose(b.G, a.G, rtol=1e-6, atol=1e-12)
            if a.cell_G is not None:
                np.testing.assert_allclose(b.cell_G, a.cell_G, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(other.stack.X, reference.stack.X, rtol=1e-6, atol=1e-12)
    with pytest.raises(ValueError, match="unknown method"):
        _run("gru", method="fast")


def test_steps_without_a_loss_have_nan_rows() -> None:
    has = np.array([False, True] * 5)
    result = _run("rnn", loss_steps=has)
    G = result.get(1).G
    assert np.isnan(G[~has]).all() and not np.isnan(np.diag(G)[has]).any()
    assert np.isnan(result.losses[~has]).all()
    assert (result.losses[has] > 0).all()
    alone = _run("rnn", loss_steps=np.array([True] * 9 + [False]), maps=False)
    assert np.isnan(alone.get(1).g[-1])  # g belongs to the last step that has a loss, step 9
    assert not np.isnan(alone.get(1).g[:-1]).any()


def test_the_result_is_immutable_data() -> None:
    result = _run("lstm")
    layer = result.get(1)
    for array in (layer.g, layer.G, layer.cell_g, layer.cell_G, result.stack.x, result.stack.X, result.losses):
        assert array.dtype == np.float32 and not array.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.losses = np.zeros(3)  # type: ignore[misc]
    with pytest.raises(KeyError, match="layers count from 1"):
        result.get(0)


def test_tokens_name_the_steps() -> None:
    result = _run("rnn", tokens=list("abcdefghijk"))
    assert result.tokens == tuple("abcdefghijk")
    assert result.stack.inputs == tuple("abcdefghij") and result.stack.targets == tuple("bcdefghijk")
    with pytest.raises(ValueError, match="tokens must name"):
        _run("rnn", tokens=["a"])


def _flushing() -> bool:
    return float(torch.tensor([1e-39], dtype=torch.float32) * 1.0) == 0.0  # a denormal survives unless flushed


@pytest.mark.parametrize("before", [False, True])
def test_denormals_are_flushed_while_computing_and_the_setting_restored(before: bool) -> None:
    from rnnviz.core.gradients.engine import no_denormals

    torch.set_flush_denormal(before)
    try:
        with no_denormals():
            assert _flushing()
        assert _flushing() == before
    finally:
        torch.set_flush_denormal(False)
