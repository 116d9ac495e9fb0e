"""Recurrent stacks: the scratch loops reproduce torch's fused kernels, parameter for parameter."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import Tensor

from rnnviz.config import StackSpec
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.stacks import (
    FusedStack, RecurrentStack, ScratchStack, State, build_stack, layer_weights, parameter_names)

T, B, I = 7, 3, 5
TOL = {"atol": 1e-5, "rtol": 0.0}


def spec(cell: str = "gru", layers: int = 1, bidirectional: bool = False, **kwargs) -> StackSpec:
    return StackSpec(cell=cell, hidden_sizes=kwargs.pop("hidden_sizes", (6,) * layers),  # type: ignore[arg-type]
                     bidirectional=bidirectional, **kwargs)


def twins(s: StackSpec, seed: int = 0) -> tuple[FusedStack, ScratchStack]:
    """A fused stack and a scratch stack of the same spec, sharing the fused one's parameters."""
    torch.manual_seed(seed)
    fused = FusedStack(replace(s, implementation="fused"), I)
    scratch = ScratchStack(replace(s, implementation="scratch"), I)
    scratch.load_state_dict(fused.state_dict())
    return fused, scratch


def random_state(s: StackSpec, seed: int = 1) -> State:
    gen = torch.Generator().manual_seed(seed)
    state: State = []
    for hidden in s.hidden_sizes:
        for _ in range(s.num_directions):
            h = torch.randn(B, hidden, generator=gen)
            state.append((h, torch.randn(B, hidden, generator=gen)) if s.cell == "lstm" else h)
    return state


def flat(state: State) -> list[Tensor]:
    return [t for entry in state for t in (entry if isinstance(entry, tuple) else (entry,))]


def assert_states_close(a: State, b: State) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert isinstance(x, tuple) == isinstance(y, tuple)
    for x, y in zip(flat(a), flat(b)):
        torch.testing.assert_close(x, y, **TOL)


def inputs(seed: int = 2) -> Tensor:
    return torch.randn(T, B, I, generator=torch.Generator().manual_seed(seed))  # (T, B, I)


# --- parity with torch ----------------------------------------------------------------


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@torch.no_grad()
def test_scratch_matches_fused(cell: str, layers: int, bidirectional: bool, with_state: bool) -> None:
    s = spec(cell, layers, bidirectional)
    fused, scratch = twins(s)
    x = inputs()
    state = random_state(s) if with_state else None
    fused_out, fused_state = fused(x, state)
    scratch_out, scratch_state = scratch(x, state)
    assert fused_out.shape == scratch_out.shape == (T, B, s.output_size)
    torch.testing.assert_close(scratch_out, fused_out, **TOL)
    assert_states_close(scratch_state, fused_state)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_scratch_gradients_match_fused(cell: str) -> None:
    s = spec(cell, 2, bidirectional=True)
    fused, scratch = twins(s)
    x = inputs()
    weights = torch.randn(T, B, s.output_size)  # a loss that weighs every output differently
    for stack in (fused, scratch):
        out, final = stack(x, random_state(s))
        loss = (out * weights).sum() + sum(t.square().sum() for t in flat(final))
        loss.backward()
    scratch_grads = dict(scratch.named_parameters())
    for name, param in fused.named_parameters():
        torch.testing.assert_close(scratch_grads[name].grad, param.grad, **TOL, msg=name)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@torch.no_grad()
def test_state_dict_round_trips_from_scratch_to_fused(cell: str) -> None:
    s = spec(cell, 2, bidirectional=True)
    torch.manual_seed(3)
    scratch = ScratchStack(replace(s, implementation="scratch"), I)
    fused = FusedStack(s, I)
    assert {k: v.shape for k, v in scratch.state_dict().items()} == {k: v.shape for k, v in fused.state_dict().items()}
    fused.load_state_dict(scratch.state_dict())
    x, state = inputs(), random_state(s)
    scratch_out, scratch_state = scratch(x, state)
    fused_out, fused_state = fused(x, state)
    torch.testing.assert_close(fused_out, scratch_out, **TOL)
    assert_states_close(fused_state, scratch_state)


def test_parameter_names_are_torchs() -> None:
    fused, scratch = twins(spec("lstm", 2, bidirectional=True))
    assert list(scratch.state_dict()) == list(fused.state_dict())  # same names, same order
    assert "rnn.weight_ih_l1_reverse" in scratch.state_dict()
    assert parameter_names(1, 1) == ("weight_ih_l1_reverse", "weight_hh_l1_reverse",
                                     "bias_ih_l1_reverse", "bias_hh_l1_reverse")


# --- scratch-only stacks --------------------------------------------------------------


@pytest.mark.parametrize("cell", ["gru-book", "lstm"])
@torch.no_grad()
def test_scratch_with_unequal_hidden_sizes(cell: str) -> None:
    s = spec(cell, hidden_sizes=(8, 5), bidirectional=True)
    stack = build_stack(s, I)
    assert isinstance(stack, ScratchStack)
    gates = 4 if cell == "lstm" else 3
    assert stack.rnn.weight_ih_l1.shape == (gates * 5, 2 * 8)  # layer 1 reads both directions of layer 0
    assert stack.rnn.weight_hh_l0_reverse.shape == (gates * 8, 8)
    out, final = stack(inputs())
    assert out.shape == (T, B, 10)
    assert [t.shape for t in flat(final)] == [
        (B, h) for h in (8, 8, 5, 5) for _ in range(2 if cell == "lstm" else 1)]


def test_scratch_initialisation_is_torchs_per_layer() -> None:
    torch.manual_seed(0)
    stack = ScratchStack(spec("gru", hidden_sizes=(4, 100)), I)
    for layer, hidden in enumerate((4, 100)):
        for name in parameter_names(layer, 0):
            values = getattr(stack.rnn, name)
            bound = 1 / math.sqrt(hidden)
            assert values.abs().max() <= bound
            assert values.abs().max() > 0.8 * bound  # spread over the range, not left at zero


@torch.no_grad()
def test_scratch_last_state_is_the_last_output_of_each_direction() -> None:
    s = spec("gru-book", 1, bidirectional=True)
    out, final = build_stack(s, I)(inputs())
    torch.testing.assert_close(final[0], out[-1, :, :6])  # forward ends at t = T - 1
    torch.testing.assert_close(final[1], out[0, :, 6:])  # backward ends at t = 0


# --- dropout --------------------------------------------------------------------------


@torch.no_grad()
def test_dropout_only_in_training_and_only_between_layers() -> None:
    torch.manual_seed(0)
    stack = ScratchStack(spec("gru", 2, dropout=0.5, implementation="scratch"), I)
    x = inputs()
    stack.eval()
    eval_out, _ = stack(x)
    torch.testing.assert_close(stack(x)[0], eval_out, rtol=0, atol=0)  # deterministic
    stack.train()
    assert (stack(x)[0] - eval_out).abs().max() > 1e-3


@torch.no_grad()
def test_no_dropout_after_the_last_layer() -> None:
    torch.manual_seed(0)
    stack = ScratchStack(spec("lstm", 1, dropout=0.5, implementation="scratch"), I)
    x = inputs()
    torch.testing.assert_close(stack.train()(x)[0], stack.eval()(x)[0], rtol=0, atol=0)


@torch.no_grad()
def test_eval_mode_with_dropout_still_matches_fused() -> None:
    fused, scratch = twins(spec("gru", 3, bidirectional=True, dropout=0.3))
    fused.eval(), scratch.eval()
    torch.testing.assert_close(scratch(inputs())[0], fused(inputs())[0], **TOL)


# --- building, state and weights ------------------------------------------------------


def test_build_stack_follows_the_resolved_implementation() -> None:
    assert isinstance(build_stack(spec("gru", 2), I), FusedStack)
    assert isinstance(build_stack(spec("gru", 2, implementation="scratch"), I), ScratchStack)
    assert isinstance(build_stack(spec("gru-book", 2), I), ScratchStack)
    assert isinstance(build_stack(spec("rnn", hidden_sizes=(4, 6)), I), ScratchStack)


def test_fused_stack_refuses_a_spec_it_cannot_run() -> None:
    with pytest.raises(ConfigError, match="scratch"):
        FusedStack(spec("gru-book"), I)


@pytest.mark.parametrize("implementation", ["fused", "scratch"])
def test_init_state_is_zeros_in_the_forward_layout(implementation: str) -> None:
    s = spec("lstm", 2, bidirectional=True, implementation=implementation)
    stack = build_stack(s, I)
    state = stack.init_state(B, dtype=torch.float64)
    assert len(state) == 4 and all(isinstance(entry, tuple) for entry in state)
    assert all(t.shape == (B, 6) and t.dtype == torch.float64 and not t.any() for t in flat(state))
    with torch.no_grad():
        torch.testing.assert_close(stack(inputs(), stack.init_state(B))[0], stack(inputs())[0])


@pytest.mark.parametrize("implementation", ["fused", "scratch"])
def test_bad_inputs_and_states_are_refused(implementation: str) -> None:
    stack: RecurrentStack = build_stack(spec("gru", 2, implementation=implementation), I)
    with pytest.raises(ValueError, match="inputs"):
        stack(torch.zeros(T, B, I + 1))
    with pytest.raises(ValueError, match="entries"):
        stack(inputs(), stack.init_state(B)[:1])


def test_layer_weights_are_the_same_for_both_implementations() -> None:
    s = spec("lstm", 2, bidirectional=True)
    fused, scratch = twins(s)
    for layer in range(2):
        for direction in range(2):
            a, b = layer_weights(fused, layer, direction), layer_weights(scratch, layer, direction)
            for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
                assert torch.equal(getattr(a, name), getattr(b, name)), (layer, direction, name)
    suffix = parameter_names(1, 1)[0]
    assert layer_weights(fused, 1, 1).w_ih is getattr(fused.rnn, suffix)  # the parameter itself
    assert not torch.equal(layer_weights(fused, 1, 0).w_ih, layer_weights(fused, 1, 1).w_ih)
    with pytest.raises(IndexError):
        layer_weights(fused, 2, 0)
    with pytest.raises(IndexError):
        layer_weights(build_stack(spec("gru"), I), 0, 1)
