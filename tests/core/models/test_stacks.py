"""Recurrent stacks: the scratch loops reproduce torch's fused kernels, parameter for parameter."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
import torch
from torch import Tensor

from rnnviz.core.config import StackSpec
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.stacks import (
    FusedStack, RecurrentStack, ScratchStack, State, build_stack, layer_weights, parameter_names, run_direction)

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
    for layer in range(s.num_layers):
        for hidden in s.direction_sizes(layer):
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


# --- unequal directions (the book's exercise in section 10.4) ----------------------------


def unequal(cell: str = "gru", **kwargs) -> StackSpec:
    """Forward 8 then 5, backward 3 then 4."""
    return StackSpec(cell=cell, hidden_sizes=(8, 5), bidirectional=True, backward_sizes=(3, 4), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs, message", [
    ({"hidden_sizes": (8,), "backward_sizes": (4,)}, "not bidirectional"),
    ({"hidden_sizes": (8, 8), "bidirectional": True, "backward_sizes": (4,)},
     "backward_sizes has 1 entries but the stack has 2 layer"),
    ({"hidden_sizes": (8,), "bidirectional": True, "backward_sizes": (0,)}, "layer 1 has backward hidden size 0"),
    ({"hidden_sizes": (8,), "bidirectional": True, "backward_sizes": 4}, "backward_sizes must be whole numbers"),
    ({"hidden_sizes": (8,), "bidirectional": True, "backward_sizes": (4,), "implementation": "fused"},
     "same hidden size in both directions"),
])
def test_stack_spec_refuses_impossible_backward_sizes(kwargs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        StackSpec(**kwargs)


def test_stack_spec_direction_sizes() -> None:
    s = unequal("lstm")
    assert s.backward_sizes == (3, 4) and not s.equal_directions
    assert s.direction_sizes(0) == (8, 3) and s.direction_sizes(1) == (5, 4) and s.direction_sizes(-1) == (5, 4)
    assert s.hidden_size(1, 1) == 4 and s.hidden_size(0) == 8
    assert s.layer_output_size(0) == 11
    assert s.layer_input_size(0, I) == I and s.layer_input_size(1, I) == 11
    assert s.output_size == 9  # the top layer's directions, concatenated
    assert not s.fusable and s.resolved_implementation == "scratch"
    assert spec("gru", 2).direction_sizes(1) == (6,)
    assert spec("gru", 2, bidirectional=True).direction_sizes(1) == (6, 6)
    with pytest.raises(IndexError):
        s.direction_sizes(2)
    with pytest.raises(IndexError):
        spec("gru").hidden_size(0, 1)


def test_equal_backward_sizes_are_the_same_stack() -> None:
    # Sizes equal to the forward ones mean "same as forward": stored as None, fusable, equal specs.
    s = StackSpec(hidden_sizes=[6, 6], bidirectional=True, backward_sizes=[6, "6"])  # type: ignore[arg-type]
    assert s.backward_sizes is None and s.fusable
    assert s == spec("gru", 2, bidirectional=True)


def test_stack_spec_with_backward_sizes_round_trips() -> None:
    s = unequal("gru-book", dropout=0.25)
    data = s.to_dict()
    assert data["backward_sizes"] == [3, 4]
    assert StackSpec.from_dict(json.loads(json.dumps(data))) == s
    old = {k: v for k, v in spec("gru", 2).to_dict().items() if k != "backward_sizes"}  # saved before the field
    assert StackSpec.from_dict(old) == spec("gru", 2)
    assert spec("gru").to_dict()["backward_sizes"] is None


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-book", "lstm"])
@torch.no_grad()
def test_unequal_directions_shapes(cell: str) -> None:
    s = unequal(cell)
    stack = build_stack(s, I)
    assert isinstance(stack, ScratchStack)
    g = {"rnn": 1, "lstm": 4}.get(cell, 3)
    shapes = {name: tuple(p.shape) for name, p in stack.rnn.named_parameters()}
    assert shapes["weight_ih_l0"] == (g * 8, I) and shapes["weight_ih_l0_reverse"] == (g * 3, I)
    assert shapes["weight_hh_l0_reverse"] == (g * 3, 3) and shapes["bias_hh_l0_reverse"] == (g * 3,)
    # Layer 1 reads both directions of layer 0: 8 + 3 features.
    assert shapes["weight_ih_l1"] == (g * 5, 11) and shapes["weight_ih_l1_reverse"] == (g * 4, 11)
    assert shapes["weight_hh_l1_reverse"] == (g * 4, 4)
    out, final = stack(inputs())
    assert out.shape == (T, B, 9)
    per_entry = 2 if cell == "lstm" else 1
    assert [t.shape for t in flat(final)] == [(B, h) for h in (8, 3, 5, 4) for _ in range(per_entry)]
    assert [t.shape for t in flat(stack.init_state(B))] == [t.shape for t in flat(final)]
    out_given, _ = stack(inputs(), random_state(s))
    assert out_given.shape == (T, B, 9)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@torch.no_grad()
def test_unequal_directions_are_two_independent_rnns(cell: str) -> None:
    # Each half of a bidirectional layer is the plain recurrence over the input, read one way.
    stack = build_stack(StackSpec(cell=cell, hidden_sizes=(7,), bidirectional=True, backward_sizes=(4,)), I)  # type: ignore[arg-type]
    x = inputs()
    out, final = stack(x)
    state = stack.init_state(B)
    fwd, fwd_last = run_direction(cell, x, state[0], layer_weights(stack, 0, 0))
    bwd, bwd_last = run_direction(cell, x, state[1], layer_weights(stack, 0, 1), reverse=True)
    torch.testing.assert_close(out, torch.cat([fwd, bwd], dim=-1))
    assert_states_close(final, [fwd_last, bwd_last])
    # The backward direction is a torch GRU/LSTM of hidden 4 run over the reversed sequence.
    torch.manual_seed(0)
    single = FusedStack(StackSpec(cell=cell, hidden_sizes=(4,)), I)  # type: ignore[arg-type]
    for ours, theirs in zip(parameter_names(0, 1), parameter_names(0, 0)):
        getattr(single.rnn, theirs).copy_(getattr(stack.rnn, ours))
    reference, _ = single(x.flip(0))
    torch.testing.assert_close(out[..., 7:], reference.flip(0), **TOL)


def test_unequal_directions_initialise_per_direction() -> None:
    torch.manual_seed(0)
    stack = build_stack(StackSpec(hidden_sizes=(4,), bidirectional=True, backward_sizes=(100,)), I)
    for direction, hidden in ((0, 4), (1, 100)):
        values = torch.cat([getattr(stack.rnn, n).flatten() for n in parameter_names(0, direction)])
        bound = 1 / math.sqrt(hidden)
        assert values.abs().max() <= bound and values.abs().max() > 0.8 * bound


def test_unequal_directions_take_gradients_everywhere() -> None:
    stack = build_stack(unequal("lstm", dropout=0.2), I)
    out, final = stack(inputs(), random_state(unequal("lstm")))
    (out.square().sum() + sum(t.sum() for t in flat(final))).backward()
    for name, param in stack.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_a_state_of_the_wrong_width_is_refused_by_name() -> None:
    s = unequal("gru")
    stack = build_stack(s, I)
    state = random_state(s)
    state[3] = torch.zeros(B, 5)  # layer 2 backward is 4 wide
    with pytest.raises(ValueError, match=r"state entry 3 \(layer 2, backward\) has 5 features.*hidden size 4"):
        stack(inputs(), state)
