"""Saving gradients through time: NPZ (every array), a long-format CSV, and a JSON-ready summary.

NPZ (``Gradients.to_npz``; ``numpy.load(path)`` needs no pickle)
----------------------------------------------------------------
==============================  ===================================================
``format``, ``version``         ``"rnnviz-gradients"``, ``1`` (0-d)
``task``, ``part``              0-d str: ``lm`` / ``mt``; ``lm`` / ``decoder``
``cell_variant``                0-d str: ``rnn``, ``gru``, ``gru-book``, ``lstm``
``tokens``                      (n,) str: the sequence (a decoder: ``<bos>``, the
                                reference, ``<eos>``); step t reads token t
``labels``                      (n−1,) str: each step's target where it is not the
                                next token (memory tasks; ``tokens`` then holds
                                the n−1 inputs), else (0,)
``losses``                      (n−1,) ℓ_s, the cross-entropy of token s+1 at step s
``notices``                     (N,) str
``g/{l}/{dir}``                 (n−1,) ‖∂ℓ_{n−1}/∂H_t‖
``G/{l}/{dir}``                 (n−1, n−1) ‖∂ℓ_s/∂H_t‖, row s, column t
``x/1/{dir}``                   (n−1,) ‖∂ℓ_{n−1}/∂X_t‖, X_t the first layer's input
``X/1/{dir}``                   (n−1, n−1) ‖∂ℓ_s/∂X_t‖
``cell_g/{l}/{dir}``            (n−1,) ‖∂ℓ_{n−1}/∂C_t‖ (LSTM)
``cell_G/{l}/{dir}``            (n−1, n−1) ‖∂ℓ_s/∂C_t‖ (LSTM)
``source_tokens``               translation: (S,) str, what the encoder read
``encoder/cell_variant``        translation: 0-d str
``encoder/g/{l}/{dir}`` …       translation: (S,) for the whole target's loss
                                L = Σ_s ℓ_s; ``encoder/G`` … (n−1, S), one row per ℓ_s;
                                likewise ``encoder/x``, ``X``, ``cell_g``, ``cell_G``
==============================  ===================================================

``{l}`` is the layer, from 1; ``{dir}`` ``forward`` or ``backward``. Index
``t − 1`` holds step t. The first layer's input is one vector that both
directions read, so ``x/1/forward`` and ``x/1/backward`` hold the same values.
The maps (``G``, ``X``, ``cell_G``) are absent when only g was computed. NaN
marks a gradient that is zero by the model's structure (see the package doc).

CSV (``Gradients.to_csv``)
--------------------------
Long format, UTF-8, one row per value, header
``part,quantity,layer,direction,s,t,target,token,value``. ``quantity`` is
``loss``, ``g``, ``G``, ``cell_g``, ``cell_G``, ``x`` or ``X``; ``s`` the
loss's step and ``t`` the state's step, both from 1 (``target`` the token ℓ_s
predicts, ``token`` the token step t reads); ``g``-type rows carry ``s = n−1``,
or an empty ``s`` for an encoder's whole loss L; ``x`` rows carry layer 1 and
an empty direction (both read the same input); ``loss`` rows leave layer,
direction and t empty. Cells that are NaN (zero by structure) have no row.
Values are printed with 9 significant digits (float32 round-trips).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from rnnviz.core.atomic import Export
from rnnviz.core import npz_files
from rnnviz.core.errors import DataError
from rnnviz.core.gradients.records import DIRECTIONS, Gradients, LayerGradients, StackGradients

FORMAT = "rnnviz-gradients"
VERSION = 1
CSV_HEADER = ("part", "quantity", "layer", "direction", "s", "t", "target", "token", "value")
_LAYER_KEYS = ("g", "G", "cell_g", "cell_G")


def _stack_arrays(stack: StackGradients, prefix: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for d in stack.layers:
        for name in _LAYER_KEYS:
            value = getattr(d, name)
            if value is not None:
                out[f"{prefix}{name}/{d.layer}/{d.direction}"] = value
    for direction in DIRECTIONS[:stack.num_directions]:
        out[f"{prefix}x/1/{direction}"] = stack.x
        if stack.X is not None:
            out[f"{prefix}X/1/{direction}"] = stack.X
    return out


def arrays(result: Gradients) -> dict[str, np.ndarray]:
    """Everything the NPZ file holds, under its key names (see the module docstring)."""
    out: dict[str, np.ndarray] = {
        "format": np.array(FORMAT), "version": np.array(VERSION), "task": np.array(result.task),
        "part": np.array(result.stack.part), "cell_variant": np.array(result.cell_variant),
        "tokens": np.array(result.tokens, dtype=str), "losses": result.losses,
        "labels": np.array(result.stack.labels, dtype=str),
        "notices": np.array(result.notices, dtype=str),
        **_stack_arrays(result.stack, ""),
    }
    if result.encoder is not None:
        out["source_tokens"] = np.array(result.encoder.tokens, dtype=str)
        out["encoder/cell_variant"] = np.array(result.encoder.cell_variant)
        out.update(_stack_arrays(result.encoder, "encoder/"))
    return out


def _stack_from(data: dict[str, np.ndarray], prefix: str, part: str, tokens: tuple[str, ...],
                cell: str, labels: tuple[str, ...] = ()) -> StackGradients:
    keys = [k[len(prefix):].split("/") for k in data if k.startswith(prefix + "g/")]
    order = sorted({(int(layer), direction) for _, layer, direction in keys},
                   key=lambda key: (key[0], DIRECTIONS.index(key[1])))
    layers = [LayerGradients(layer, direction, *(data.get(f"{prefix}{name}/{layer}/{direction}")
                                                  for name in _LAYER_KEYS))
              for layer, direction in order]
    return StackGradients(part, tokens, cell, tuple(layers), data[f"{prefix}x/1/forward"],
                          data.get(f"{prefix}X/1/forward"), labels)


def read_npz(path: str | Path) -> Gradients:
    """Read a file written by ``Gradients.to_npz``; DataError for anything else."""
    path = Path(path).expanduser()
    data = npz_files.read_npz(path, FORMAT, VERSION, "gradients", "`rnnviz grads` or the Gradients tab")
    try:
        stack = _stack_from(data, "", str(data["part"]), tuple(str(t) for t in data["tokens"]),
                            str(data["cell_variant"]), tuple(str(t) for t in data.get("labels", ())))
        encoder = None
        if "source_tokens" in data:
            encoder = _stack_from(data, "encoder/", "encoder", tuple(str(t) for t in data["source_tokens"]),
                                  str(data["encoder/cell_variant"]))
        return Gradients(stack, data["losses"], encoder, tuple(str(n) for n in data["notices"]))
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise DataError(f"{path} holds damaged gradients ({exc}); export them again.") from None


def _value(v: float) -> str:
    return f"{v:.9g}"


def _stack_rows(stack: StackGradients) -> Iterator[tuple[Any, ...]]:
    part, inputs, targets = stack.part, stack.inputs, stack.targets
    encoder = part == "encoder"
    # The g-type rows are for the last loss (step n−1), or an encoder's whole loss L (no single s).
    rows_for = len(targets) if not encoder else None
    last_s = "" if encoder else rows_for
    last_target = "" if encoder else targets[-1]

    def vector(quantity: str, layer: Any, direction: str, values: np.ndarray) -> Iterator[tuple[Any, ...]]:
        for t, value in enumerate(values.tolist(), start=1):
            if not math.isnan(value):
                yield part, quantity, layer, direction, last_s, t, last_target, inputs[t - 1], _value(value)

    def grid(quantity: str, layer: Any, direction: str, values: np.ndarray) -> Iterator[tuple[Any, ...]]:
        loss_targets = targets if not encoder else ()
        for s, row in enumerate(values.tolist(), start=1):
            target = loss_targets[s - 1] if loss_targets else ""
            for t, value in enumerate(row, start=1):
                if not math.isnan(value):
                    yield part, quantity, layer, direction, s, t, target, inputs[t - 1], _value(value)

    for d in stack.layers:
        for name in _LAYER_KEYS:
            values = getattr(d, name)
            if values is not None:
                yield from (vector if values.ndim == 1 else grid)(name, d.layer, d.direction, values)
    yield from vector("x", 1, "", stack.x)
    if stack.X is not None:
        yield from grid("X", 1, "", stack.X)


def _csv_rows(result: Gradients) -> Iterator[tuple[Any, ...]]:
    targets = result.stack.targets
    for s, value in enumerate(result.losses.tolist(), start=1):
        if not math.isnan(value):
            yield result.stack.part, "loss", "", "", s, "", targets[s - 1], "", _value(value)
    for stack in result.parts:
        yield from _stack_rows(stack)


def _npz_writer(result: Gradients) -> Callable[[IO[Any]], None]:
    data = arrays(result)
    return lambda f: np.savez(f, **data)  # type: ignore[arg-type]


def _csv_writer(result: Gradients) -> Callable[[IO[Any]], None]:
    def write(f: IO[Any]) -> None:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(_csv_rows(result))

    return write


def export_gradients(result: Gradients, npz: str | Path | None = None,
                     csv_path: str | Path | None = None) -> list[Path]:
    """Write the NPZ and/or the CSV as one transaction (``core.atomic.Export``): both or neither.
    Returns the paths written; DataError names the file that failed and why."""
    with Export("the gradients") as export:
        if npz is not None:
            export.add(npz, "wb", _npz_writer(result))
        if csv_path is not None:
            export.add(csv_path, "w", _csv_writer(result))
    return export.paths


def _listed(values: np.ndarray | None) -> list[float | None] | None:
    if values is None:
        return None
    return [None if math.isnan(v) else v for v in values.tolist()]


def _stack_summary(stack: StackGradients) -> dict[str, Any]:
    layers = []
    for d in stack.layers:
        entry: dict[str, Any] = {"layer": d.layer, "direction": d.direction, "g": _listed(d.g), "ratio": d.shrink}
        if d.cell_g is not None:
            entry["cell_g"] = _listed(d.cell_g)
        layers.append(entry)
    return {"part": stack.part, "cell_variant": stack.cell_variant, "tokens": list(stack.tokens),
            **({"labels": list(stack.labels)} if stack.labels else {}),
            "layers": layers, "x": _listed(stack.x)}


def summary(result: Gradients) -> dict[str, Any]:
    """A JSON-ready summary: tokens, per-step losses, and per layer-direction ``g`` as a list with its
    ``ratio`` g[1] / g[n−1] (how much the gradient shrinks, below 1, or grows, above 1, over the text;
    null where a value is NaN or the last is zero); NaN values become null."""
    losses = [v for v in result.losses.tolist() if not math.isnan(v)]
    out: dict[str, Any] = {"task": result.task, "num_layers": result.num_layers,
                           "num_directions": result.num_directions,
                           "mean_loss": sum(losses) / len(losses) if losses else None,
                           "losses": _listed(result.losses), **_stack_summary(result.stack),
                           "notices": list(result.notices)}
    if result.encoder is not None:
        out["encoder"] = _stack_summary(result.encoder)
    return out
