"""Gradients through time as data: per layer-direction vectors and maps, for one stack or a whole model.

Indices: a language model (or a decoder) reads ``n`` tokens; its steps are
``t = 1 … n−1`` (step t reads token t and is scored on token t+1 by the loss
ℓ_t), stored at array index ``t − 1``. An encoder's steps are its source
positions. Maps are ``(rows, steps)``: row ``s`` is the loss ℓ_s, column ``t``
the state H_t. Every array is float32 and read-only, so a record can cross
threads as an immutable value. NaN marks a gradient that is zero by the
model's structure (the loss cannot depend on that state): see
:mod:`rnnviz.core.gradients` for which cells those are.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DIRECTIONS: tuple[str, str] = ("forward", "backward")
PARTS: tuple[str, ...] = ("lm", "decoder", "encoder")
TASKS: tuple[str, ...] = ("lm", "mt")
#: A paragraph, as the gate traces; the G map of 500 steps has 250,000 cells per layer-direction.
DEFAULT_MAX_TOKENS = 500


def frozen(array: np.ndarray) -> np.ndarray:
    """A float32 copy (or the array itself when it already is one), made read-only."""
    array = np.asarray(array)
    if array.dtype != np.float32:
        array = array.astype(np.float32)
    array.flags.writeable = False
    return array


def _check(name: str, array: np.ndarray | None, shape: tuple[int, ...]) -> None:
    if array is not None and array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}; expected {shape}.")


@dataclass(frozen=True, eq=False)
class LayerGradients:
    """One layer-direction. ``g`` (T,) is ‖∂ℓ/∂H_t‖ for the last loss (an encoder: the whole target's
    loss L); ``G`` (R, T) the map ‖∂ℓ_s/∂H_t‖, None when not computed; ``cell_g`` and ``cell_G`` the
    same for an LSTM's memory cell C_t (None for other cells)."""

    layer: int  # from 1, as the exports name it
    direction: str  # "forward" or "backward"
    g: np.ndarray
    G: np.ndarray | None = None
    cell_g: np.ndarray | None = None
    cell_G: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'forward' or 'backward', not {self.direction!r}.")
        if self.layer < 1:
            raise ValueError(f"layers are numbered from 1, not {self.layer}.")
        for name in ("g", "G", "cell_g", "cell_G"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, frozen(value))
        steps = self.g.shape[0]
        _check("cell_g", self.cell_g, (steps,))
        if self.G is not None:
            _check("G", self.G, (self.G.shape[0], steps))
            _check("cell_G", self.cell_G, self.G.shape)

    @property
    def shrink(self) -> float | None:
        """g at the first step over g at the last: how much the gradient shrinks (< 1) or grows
        (> 1) from the last step back to the first. None where either is NaN or the last is 0."""
        first, last = float(self.g[0]), float(self.g[-1])
        if math.isnan(first) or math.isnan(last) or last == 0.0:
            return None
        return first / last


@dataclass(frozen=True, eq=False)
class StackGradients:
    """The gradients of one recurrent stack: a language model's, a decoder's or an encoder's.

    ``tokens``: for ``lm`` and ``decoder`` the n tokens of the sequence (the
    steps read ``tokens[:-1]`` and are scored on ``tokens[1:]``); for an
    ``encoder`` the tokens it read, one per step. ``labels``, when given, are
    what each step is scored on where that is not the next token (a memory
    task's targets); ``tokens`` then holds one input per step. ``x`` (T,) is the input
    attribution ‖∂ℓ/∂X_t‖ for the same loss as ``g``, X_t the first layer's
    input vector (embedding or one-hot; a decoder's: embedding and context);
    ``X`` (R, T) its map. ``layers`` are ordered ``(layer − 1) * D + direction``.
    """

    part: str
    tokens: tuple[str, ...]
    cell_variant: str
    layers: tuple[LayerGradients, ...]
    x: np.ndarray
    X: np.ndarray | None = None
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(self.tokens))
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "x", frozen(self.x))
        if self.X is not None:
            object.__setattr__(self, "X", frozen(self.X))
        if self.part not in PARTS:
            raise ValueError(f"part must be one of {', '.join(PARTS)}, not {self.part!r}.")
        if not self.layers:
            raise ValueError("gradients need at least one layer-direction.")
        steps = len(self.tokens) - (0 if self.part == "encoder" or self.labels else 1)
        if self.labels and (self.part == "encoder" or len(self.labels) != steps):
            raise ValueError(f"labels name each step's target: {steps} of them, and an encoder has none.")
        if steps < 1:
            raise ValueError(f"a {self.part} needs at least {2 if self.part != 'encoder' else 1} tokens.")
        _check("x", self.x, (steps,))
        for layer in self.layers:
            _check(f"layer {layer.layer} {layer.direction} g", layer.g, (steps,))
        if self.X is not None:
            _check("X", self.X, (self.X.shape[0], steps))

    @property
    def steps(self) -> int:
        return int(self.x.shape[0])

    @property
    def inputs(self) -> tuple[str, ...]:
        """The token each step reads."""
        return self.tokens if self.part == "encoder" or self.labels else self.tokens[:-1]

    @property
    def targets(self) -> tuple[str, ...]:
        """The token each step's loss scores (none for an encoder)."""
        if self.labels:
            return self.labels
        return () if self.part == "encoder" else self.tokens[1:]

    @property
    def num_layers(self) -> int:
        return max(d.layer for d in self.layers)

    @property
    def num_directions(self) -> int:
        return len(self.layers) // self.num_layers

    @property
    def has_maps(self) -> bool:
        return self.X is not None

    def get(self, layer: int, direction: str | int = "forward") -> LayerGradients:
        """One layer-direction; ``layer`` from 1, ``direction`` ``"forward"``/``"backward"`` or 0/1."""
        name = DIRECTIONS[direction] if isinstance(direction, int) and 0 <= direction < 2 else direction
        for d in self.layers:
            if d.layer == layer and d.direction == name:
                return d
        have = ", ".join(f"({d.layer}, {d.direction})" for d in self.layers)
        raise KeyError(f"no layer {layer} {direction} here (layers count from 1); there are {have}.")

    def __iter__(self) -> Iterator[LayerGradients]:
        return iter(self.layers)


@dataclass(frozen=True, eq=False)
class Gradients:
    """Everything ``gradients_lm`` / ``gradients_translation`` / ``through_time`` computed.

    ``stack`` is the language model's stack (part ``lm``) or the decoder's;
    ``losses`` (n−1,) the per-step losses ℓ_s (NaN where a step has none);
    ``encoder`` a translation model's encoder, whose ``g`` is for the whole
    target's loss L = Σ_s ℓ_s and whose maps have one row per decoder loss.
    ``notices`` say what was done with the input (text cut to max_tokens,
    unknown tokens read as ``<unk>`` when allowed).
    """

    stack: StackGradients
    losses: np.ndarray
    encoder: StackGradients | None = None
    notices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "losses", frozen(self.losses))
        object.__setattr__(self, "notices", tuple(self.notices))
        if self.stack.part == "encoder":
            raise ValueError("the main stack is a language model's or a decoder's, not an encoder.")
        _check("losses", self.losses, (self.stack.steps,))
        if (self.encoder is None) != (self.stack.part == "lm"):
            raise ValueError("a decoder's gradients come with its encoder's, a language model's without.")
        if self.encoder is not None and self.encoder.part != "encoder":
            raise ValueError("encoder must be a part 'encoder'.")

    @property
    def task(self) -> str:
        return "lm" if self.stack.part == "lm" else "mt"

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.stack.tokens

    @property
    def cell_variant(self) -> str:
        return self.stack.cell_variant

    @property
    def num_layers(self) -> int:
        return self.stack.num_layers

    @property
    def num_directions(self) -> int:
        return self.stack.num_directions

    @property
    def parts(self) -> tuple[StackGradients, ...]:
        return (self.stack,) if self.encoder is None else (self.encoder, self.stack)

    def get(self, layer: int, direction: str | int = "forward") -> LayerGradients:
        return self.stack.get(layer, direction)

    # The exports live in their own room; these delegate so that a result saves itself.
    def to_npz(self, path: str | Path) -> Path:
        """Write the NPZ file (keys in :mod:`rnnviz.core.gradients.export`), atomically."""
        from rnnviz.core.gradients.export import export_gradients

        return export_gradients(self, npz=path)[0]

    @classmethod
    def from_npz(cls, path: str | Path) -> Gradients:
        """Read a file written by :meth:`to_npz`."""
        from rnnviz.core.gradients.export import read_npz

        return read_npz(path)

    def to_csv(self, path: str | Path) -> Path:
        """Write the long-format CSV (columns in :mod:`rnnviz.core.gradients.export`), atomically."""
        from rnnviz.core.gradients.export import export_gradients

        return export_gradients(self, csv_path=path)[0]

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (see :func:`rnnviz.core.gradients.export.summary`)."""
        from rnnviz.core.gradients.export import summary

        return summary(self)
