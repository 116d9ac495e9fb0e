"""Recurrent stacks built from a ``StackSpec``: torch's fused kernels or the book's scratch loops.

Both implementations keep their parameters on a child module named ``rnn``
under torch's own names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), so a
``state_dict`` moves between them unchanged, and both take and return the
state as a list with one entry per (layer, direction) at ``layer * D + direction``.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from rnnviz.core.config import GATES, StackSpec
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.cells import CellState, CellWeights, cell_step, state_after

#: One entry per (layer, direction), index ``layer * D + direction``: a (B, h) tensor, or (h, c) for the LSTM.
State = list[CellState]

_FUSED_MODULES: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def parameter_names(layer: int, direction: int) -> tuple[str, str, str, str]:
    """torch's names for one layer-direction: w_ih, w_hh, b_ih, b_hh."""
    suffix = f"l{layer}" + ("_reverse" if direction == 1 else "")
    return f"weight_ih_{suffix}", f"weight_hh_{suffix}", f"bias_ih_{suffix}", f"bias_hh_{suffix}"


class RecurrentStack(nn.Module):
    """Base of both implementations: ``forward(inputs (T, B, I), state) -> (outputs, state)``."""

    spec: StackSpec
    input_size: int
    rnn: nn.Module

    def __init__(self, spec: StackSpec, input_size: int) -> None:
        super().__init__()
        if input_size < 1:
            raise ValueError(f"input_size must be at least 1, not {input_size}.")
        self.spec = spec
        self.input_size = input_size

    @property
    def is_lstm(self) -> bool:
        return self.spec.cell == "lstm"

    def forward(self, inputs: Tensor, state: Optional[State] = None) -> tuple[Tensor, State]:
        raise NotImplementedError

    def init_state(self, batch_size: int, device: torch.device | str | None = None,
                   dtype: torch.dtype | None = None) -> State:
        """Zeros, shaped as ``forward`` takes them; device and dtype default to the parameters'."""
        reference = next(self.parameters())
        device = reference.device if device is None else device
        dtype = reference.dtype if dtype is None else dtype
        state: State = []
        for layer in range(self.spec.num_layers):
            for hidden in self.spec.direction_sizes(layer):  # forward, then backward
                zeros = torch.zeros(batch_size, hidden, device=device, dtype=dtype)  # (B, h)
                state.append((zeros, zeros.clone()) if self.is_lstm else zeros)
        return state

    def _check(self, inputs: Tensor, state: Optional[State]) -> None:
        if inputs.dim() != 3 or int(inputs.shape[-1]) != self.input_size:
            raise ValueError(f"inputs must be (T, B, {self.input_size}), not {tuple(inputs.shape)}.")
        expected = self.spec.num_layers * self.spec.num_directions
        if state is None:
            return
        if len(state) != expected:
            raise ValueError(f"state must have {expected} entries (layers × directions), not {len(state)}.")
        # Directions may differ in size (backward_sizes): say which entry is wrong, not a matmul error.
        for index, entry in enumerate(state):
            layer, direction = divmod(index, self.spec.num_directions)
            width = int((entry[0] if isinstance(entry, tuple) else entry).shape[-1])
            size = self.spec.hidden_size(layer, direction)
            if width != size:
                name = ("backward" if direction else "forward") if self.spec.bidirectional else "state"
                raise ValueError(f"state entry {index} (layer {layer + 1}, {name}) has {width} features; "
                                 f"that layer-direction has hidden size {size}.")


# --- fused ----------------------------------------------------------------------------


def _to_torch_layout(state: State, lstm: bool) -> Tensor | tuple[Tensor, Tensor]:
    if lstm:
        hs = torch.stack([h for h, _ in state])  # (L*D, B, H)
        cs = torch.stack([c for _, c in state])  # (L*D, B, H)
        return hs, cs
    return torch.stack(state)  # type: ignore[arg-type]  # (L*D, B, H)


def _from_torch_layout(final: Tensor | tuple[Tensor, Tensor], lstm: bool) -> State:
    if lstm:
        hs, cs = final  # (L*D, B, H) each
        return list(zip(hs.unbind(0), cs.unbind(0)))
    return list(final.unbind(0))  # type: ignore[union-attr]  # L*D × (B, H)


class FusedStack(RecurrentStack):
    """One ``torch.nn.RNN`` / ``GRU`` / ``LSTM`` in ``self.rnn``; needs one hidden size for all layers."""

    def __init__(self, spec: StackSpec, input_size: int) -> None:
        super().__init__(spec, input_size)
        if not spec.fusable:
            raise ConfigError(f"torch has no fused kernel for this stack ({spec.cell}, hidden sizes "
                              f"{list(spec.hidden_sizes)}); build it with implementation='scratch'.")
        # torch warns about dropout on a single layer, where it has no effect anyway.
        dropout = spec.dropout if spec.num_layers > 1 else 0.0
        self.rnn = _FUSED_MODULES[spec.cell](
            input_size, spec.hidden_sizes[0], num_layers=spec.num_layers,
            bidirectional=spec.bidirectional, dropout=dropout)

    def forward(self, inputs: Tensor, state: Optional[State] = None) -> tuple[Tensor, State]:
        self._check(inputs, state)
        initial = None if state is None else _to_torch_layout(state, self.is_lstm)
        outputs, final = self.rnn(inputs, initial)  # (T, B, D*H)
        return outputs, _from_torch_layout(final, self.is_lstm)


# --- scratch --------------------------------------------------------------------------


class ScratchParameters(nn.Module):
    """The scratch stack's parameters, under torch's names and shapes, in torch's order.

    ``backward_sizes`` (None: as ``hidden_sizes``) gives the backward direction
    its own hidden size per layer; each layer-direction's tensors are shaped
    by its own size, and layer k reads both directions of layer k - 1.
    """

    def __init__(self, cell: str, input_size: int, hidden_sizes: tuple[int, ...], num_directions: int,
                 backward_sizes: tuple[int, ...] | None = None) -> None:
        super().__init__()
        gates = len(GATES[cell])
        self.hidden_sizes = tuple(hidden_sizes)
        self.num_directions = num_directions
        backward = tuple(backward_sizes) if backward_sizes is not None else self.hidden_sizes
        # One tuple of direction sizes per layer: (h,) or (h_forward, h_backward).
        self.direction_sizes: tuple[tuple[int, ...], ...] = tuple(
            (fwd, bwd)[:num_directions] for fwd, bwd in zip(self.hidden_sizes, backward))
        for layer, sizes in enumerate(self.direction_sizes):
            # Layer k reads both directions of layer k - 1, concatenated.
            layer_input = input_size if layer == 0 else sum(self.direction_sizes[layer - 1])
            for direction, hidden in enumerate(sizes):
                shapes = ((gates * hidden, layer_input), (gates * hidden, hidden), (gates * hidden,), (gates * hidden,))
                for name, shape in zip(parameter_names(layer, direction), shapes):
                    self.register_parameter(name, nn.Parameter(torch.empty(shape)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: uniform in ±1/sqrt(h), h being that layer-direction's hidden size."""
        for layer, sizes in enumerate(self.direction_sizes):
            for direction, hidden in enumerate(sizes):
                bound = 1.0 / math.sqrt(hidden)
                for name in parameter_names(layer, direction):
                    nn.init.uniform_(getattr(self, name), -bound, bound)


def run_direction(cell: str, inputs: Tensor, state: CellState, weights: CellWeights,
                  reverse: bool = False) -> tuple[Tensor, CellState]:
    """One layer-direction over a sequence; ``reverse`` reads it backwards and re-reverses the outputs."""
    sequence = inputs.flip(0) if reverse else inputs  # (T, B, I)
    hs: list[Tensor] = []
    for x in sequence.unbind(0):  # (B, I)
        step = cell_step(cell, x, state, weights)
        state = state_after(step)
        hs.append(step.h)  # (B, h)
    outputs = torch.stack(hs)  # (T, B, h)
    # Re-reversed so that outputs[t] of both directions belong to the same input step.
    return (outputs.flip(0) if reverse else outputs), state


class ScratchStack(RecurrentStack):
    """The book's StackedRNNScratch and BiRNNScratch: Python loops over layers, directions and time."""

    def __init__(self, spec: StackSpec, input_size: int) -> None:
        super().__init__(spec, input_size)
        self.rnn = ScratchParameters(spec.cell, input_size, spec.hidden_sizes, spec.num_directions,
                                     spec.backward_sizes)

    def forward(self, inputs: Tensor, state: Optional[State] = None) -> tuple[Tensor, State]:
        self._check(inputs, state)
        if state is None:
            state = self.init_state(inputs.shape[1], inputs.device, inputs.dtype)
        layer_input = inputs  # (T, B, I)
        final: State = []
        for layer in range(self.spec.num_layers):
            layer_output, layer_final = self._run_layer(layer, layer_input, state)  # (T, B, h_fwd + h_bwd)
            final.extend(layer_final)
            layer_input = self._between_layers(layer, layer_output)
        return layer_input, final

    def _run_layer(self, layer: int, inputs: Tensor, state: State) -> tuple[Tensor, State]:
        outputs: list[Tensor] = []
        final: State = []
        for direction in range(self.spec.num_directions):
            entry = state[layer * self.spec.num_directions + direction]
            ys, last = run_direction(self.spec.cell, inputs, entry, layer_weights(self, layer, direction),
                                     reverse=direction == 1)  # (T, B, h)
            outputs.append(ys)
            final.append(last)
        # Forward first, as torch; the sizes may differ when backward_sizes is set.
        return torch.cat(outputs, dim=-1), final  # (T, B, h_fwd + h_bwd)

    def _between_layers(self, layer: int, outputs: Tensor) -> Tensor:
        # As torch: dropout on every layer's output but the last, and only while training.
        if layer < self.spec.num_layers - 1 and self.training and self.spec.dropout > 0:
            return F.dropout(outputs, self.spec.dropout, training=True)  # (T, B, h_fwd + h_bwd)
        return outputs


# --- helpers --------------------------------------------------------------------------


def build_stack(spec: StackSpec, input_size: int) -> RecurrentStack:
    """The stack ``spec.resolved_implementation`` names."""
    if spec.resolved_implementation == "fused":
        return FusedStack(spec, input_size)
    return ScratchStack(spec, input_size)


def layer_weights(stack: RecurrentStack, layer: int, direction: int) -> CellWeights:
    """One layer-direction's parameters themselves (not copies), from either implementation."""
    if not 0 <= layer < stack.spec.num_layers:
        raise IndexError(f"layer {layer} out of range for {stack.spec.num_layers} layer(s).")
    if not 0 <= direction < stack.spec.num_directions:
        raise IndexError(f"direction {direction} out of range for {stack.spec.num_directions} direction(s).")
    return CellWeights(*(getattr(stack.rnn, name) for name in parameter_names(layer, direction)))
