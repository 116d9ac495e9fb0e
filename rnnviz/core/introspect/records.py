"""Gate traces as data: the records, what each cell records, and the NPZ and CSV exports.

NPZ (``GateTrace.to_npz``; ``numpy.load(path)`` needs no pickle)
----------------------------------------------------------------
=================================  ===========================================
``format``, ``version``            ``"rnnviz-gate-trace"``, ``1`` (0-d)
``tokens``                         (T,) str: the tokens as the model read
                                   them (``<unk>`` for unknown ones)
``cell_variant``                   0-d str: ``rnn``, ``gru``, ``gru-book``, ``gru-reset``,
                                   ``gru-update``, ``lstm``
``part``                           0-d str: ``lm``, ``encoder`` or ``decoder``
``notices``                        (N,) str: what the trace did with the input
``predicted``                      (T,) str: the output layer's top token after
                                   each step, or (0,) for the encoder
``{l}/{dir}/{gate}``               (T, H) float32, one per gate name above
``{l}/{dir}/x``                    (T, d) float32: that layer's input
``{l}/{dir}/weight_ih`` …          ``weight_ih`` (G·H, d), ``weight_hh`` (G·H, H),
                                   ``bias_ih``, ``bias_hh`` (G·H,): torch's layout
``{l}/{dir}/h0``, ``…/c0``         (H,) the initial state (``c0``: LSTM only)
=================================  ===========================================

``{l}`` is the 0-based layer, ``{dir}`` ``forward`` or ``backward``. A
translation gives two traces, written as two files by ``part_path``:
``trace.npz`` → ``trace.encoder.npz`` and ``trace.decoder.npz``.

CSV (``GateTrace.to_csv``, ``write_csv``)
-----------------------------------------
Long ("tidy") format, UTF-8, one row per value, header
``part,layer,direction,gate,step,token,unit,value``: ``step`` is the input
position, ``token`` the token read there, ``unit`` the hidden unit (0-based),
``value`` printed with 9 significant digits (float32 round-trips). Rows come
by layer, direction, gate (in ``GATE_NAMES`` order), step, unit. One file may
hold several parts (a translation's encoder and decoder). Weights and inputs
are in the NPZ only.

Every write is atomic; ``export_traces`` writes the NPZ file(s) and the CSV of
one export as a transaction (``core.atomic.Export``): all of them, or none.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from rnnviz.core import npz_files
from rnnviz.core.atomic import Export, write_atomically
from rnnviz.core.config import CELL_VARIANTS, CELLS
from rnnviz.core.errors import DataError

FORMAT = "rnnviz-gate-trace"
VERSION = 1
DIRECTIONS: tuple[str, str] = ("forward", "backward")
PARTS: tuple[str, ...] = ("lm", "encoder", "decoder")
#: Enough for a paragraph; at about 0.1 ms per token and layer-direction (LSTM, hidden 256)
#: a trace stays interactive, and a heatmap wider than this is no longer readable.
DEFAULT_MAX_TOKENS = 500

#: What each cell records, in display order. These are also the NPZ key names.
GATE_NAMES: dict[str, tuple[str, ...]] = {
    "rnn": ("preactivation", "hidden"),
    "gru": ("reset", "update", "candidate", "hidden"),
    "gru-book": ("reset", "update", "candidate", "hidden"),
    "gru-reset": ("reset", "candidate", "hidden"),
    "gru-update": ("update", "candidate", "hidden"),
    "lstm": ("input", "forget", "output", "candidate", "cell", "hidden"),
}
#: Each name's symbol in ``cells.EQUATIONS`` (the left-hand side ``{symbol}_t``).
SYMBOLS: dict[str, str] = {
    "preactivation": "pre", "hidden": "h", "reset": "r", "update": "z", "input": "i",
    "forget": "f", "output": "o", "cell": "c",
}
_CANDIDATE_SYMBOL = {"gru": "n", "gru-book": "n", "gru-reset": "n", "gru-update": "n", "lstm": "g"}
#: The interval each value lives in, for colour scales: sigmoid gates (0, 1), tanh
#: values (-1, 1); None for the unbounded ones (LSTM memory cell, RNN pre-activation).
VALUE_RANGES: dict[str, tuple[float, float] | None] = {
    "reset": (0.0, 1.0), "update": (0.0, 1.0), "input": (0.0, 1.0), "forget": (0.0, 1.0),
    "output": (0.0, 1.0), "candidate": (-1.0, 1.0), "hidden": (-1.0, 1.0),
    "cell": None, "preactivation": None,
}
CSV_HEADER = ("part", "layer", "direction", "gate", "step", "token", "unit", "value")


def equations_for(cell: str) -> dict[str, str]:
    """Gate name -> the equation line (``cells.EQUATIONS``) that computes it, for ``cell``."""
    if cell not in GATE_NAMES:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}.")
    from rnnviz.core.models.cells import EQUATIONS  # imports torch: only when asked

    lines = {line.split("=", 1)[0].strip(): line for line in EQUATIONS[cell]}
    symbols = {**SYMBOLS, "candidate": _CANDIDATE_SYMBOL.get(cell, "")}
    return {name: lines[f"{symbols[name]}_t"] for name in GATE_NAMES[cell]}


def _frozen(array: np.ndarray) -> np.ndarray:
    """The array made read-only, so a trace can cross threads as an immutable value."""
    array.flags.writeable = False
    return array

# --- records ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DirectionTrace:
    """One layer-direction over the whole sequence. Every array is float32 and read-only."""

    layer: int  # 0-based
    direction: str  # "forward" or "backward"
    gates: dict[str, np.ndarray]  # name (GATE_NAMES) -> (T, H), row t = input position t
    x: np.ndarray  # (T, d) this layer's input: the embedding, or the layer below (directions concatenated)
    weight_ih: np.ndarray  # (G*H, d) torch's layout, gate blocks in torch's order (config.GATES)
    weight_hh: np.ndarray  # (G*H, H)
    bias_ih: np.ndarray  # (G*H,)
    bias_hh: np.ndarray  # (G*H,)
    h0: np.ndarray  # (H,) the state before the first step this direction takes
    c0: np.ndarray | None = None  # (H,) LSTM only

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'forward' or 'backward', not {self.direction!r}.")
        shapes = {name: a.shape for name, a in self.gates.items()}
        if "hidden" not in shapes or len(set(shapes.values())) != 1:
            raise ValueError(f"every gate needs the same (T, H) shape, and 'hidden' must be there: {shapes}.")

    @property
    def hidden(self) -> np.ndarray:
        return self.gates["hidden"]  # (T, H)

    @property
    def num_steps(self) -> int:
        return int(self.hidden.shape[0])

    @property
    def hidden_size(self) -> int:
        return int(self.hidden.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.x.shape[1])

    @property
    def final_hidden(self) -> np.ndarray:
        """The state this direction ends in (forward: last row; backward: first row). (H,)"""
        return self.hidden[0 if self.direction == "backward" else -1]

    @property
    def final_cell(self) -> np.ndarray | None:
        if "cell" not in self.gates:
            return None
        return self.gates["cell"][0 if self.direction == "backward" else -1]


@dataclass(frozen=True, eq=False)
class GateTrace:
    """A whole stack over one input: one ``DirectionTrace`` per (layer, direction).

    ``tokens`` are the inputs, one per step: the text as the model read it
    (``<unk>`` for unknown tokens; an encoder's ``<eos>`` and ``<pad>`` too),
    or for a decoder ``<bos>, y1, y2, …``. ``predicted`` holds the output
    layer's top token after each step (a decoder's: ``y1, y2, …, <eos>``;
    empty for an encoder). ``directions`` are ordered as the stacks order their
    state, ``layer * D + direction``. ``notices`` say what was done with input
    the model could not read as typed (unknown tokens, trimming, padding).
    """

    tokens: tuple[str, ...]
    cell_variant: str  # a name of config.CELLS: "rnn", "gru", "gru-book", "gru-reset", "gru-update", "lstm"
    part: str  # "lm", "encoder" or "decoder"
    directions: tuple[DirectionTrace, ...]
    notices: tuple[str, ...] = ()
    predicted: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(self.tokens))
        object.__setattr__(self, "directions", tuple(self.directions))
        object.__setattr__(self, "notices", tuple(self.notices))
        object.__setattr__(self, "predicted", tuple(self.predicted))
        if self.cell_variant not in GATE_NAMES:
            raise ValueError(f"unknown cell variant {self.cell_variant!r}; choose one of {', '.join(CELLS)}.")
        if self.part not in PARTS:
            raise ValueError(f"part must be one of {', '.join(PARTS)}, not {self.part!r}.")
        if not self.directions:
            raise ValueError("a trace needs at least one layer-direction.")
        names = set(GATE_NAMES[self.cell_variant])
        for d in self.directions:
            if set(d.gates) != names or d.num_steps != len(self.tokens):
                raise ValueError(f"layer {d.layer} {d.direction} holds {sorted(d.gates)} over {d.num_steps} "
                                 f"steps; a {self.cell_variant} trace of {len(self.tokens)} tokens needs "
                                 f"{sorted(names)}.")
        if self.predicted and len(self.predicted) != len(self.tokens):
            raise ValueError("predicted must have one token per step, or none.")

    # -- shape --------------------------------------------------------------------------

    @property
    def num_steps(self) -> int:
        return len(self.tokens)

    @property
    def num_layers(self) -> int:
        return 1 + max(d.layer for d in self.directions)

    @property
    def num_directions(self) -> int:
        return len(self.directions) // self.num_layers

    @property
    def gate_names(self) -> tuple[str, ...]:
        return GATE_NAMES[self.cell_variant]

    @property
    def equations(self) -> dict[str, str]:
        """Gate name -> the equation that produced it (for this cell variant)."""
        return equations_for(self.cell_variant)

    @property
    def variant_description(self) -> str:
        """A sentence naming the equations, e.g. whether the GRU is torch's or the book's."""
        return CELL_VARIANTS[self.cell_variant]

    # -- access -------------------------------------------------------------------------

    def direction(self, layer: int, direction: str | int = "forward") -> DirectionTrace:
        """The trace of one layer-direction; ``direction`` is ``"forward"``/``"backward"`` or 0/1."""
        name = DIRECTIONS[direction] if isinstance(direction, int) and 0 <= direction < 2 else direction
        for d in self.directions:
            if d.layer == layer and d.direction == name:
                return d
        have = ", ".join(f"({d.layer}, {d.direction})" for d in self.directions)
        raise KeyError(f"no layer {layer} {direction} in this trace; it has {have}.")

    def get(self, layer: int, direction: str | int, name: str) -> np.ndarray:
        """One gate's values, (T, H): e.g. ``trace.get(0, "forward", "update")``."""
        gates = self.direction(layer, direction).gates
        if name not in gates:
            raise KeyError(f"a {self.cell_variant} trace has no gate {name!r}; it has {', '.join(gates)}.")
        return gates[name]

    def final_state(self) -> list[np.ndarray | tuple[np.ndarray, np.ndarray]]:
        """The final state in the stacks' layout: one (H,) entry, or (h, c), per layer-direction."""
        return [(d.final_hidden, d.final_cell) if d.final_cell is not None else d.final_hidden
                for d in self.directions]

    # -- NPZ ----------------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything the NPZ file holds, under its key names (see the module docstring)."""
        out: dict[str, np.ndarray] = {
            "format": np.array(FORMAT), "version": np.array(VERSION),
            "tokens": np.array(self.tokens, dtype=str), "cell_variant": np.array(self.cell_variant),
            "part": np.array(self.part), "notices": np.array(self.notices, dtype=str),
            "predicted": np.array(self.predicted, dtype=str),
        }
        for d in self.directions:
            prefix = f"{d.layer}/{d.direction}/"
            for name, values in d.gates.items():
                out[prefix + name] = values
            for name in ("x", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h0"):
                out[prefix + name] = getattr(d, name)
            if d.c0 is not None:
                out[prefix + "c0"] = d.c0
        return out

    def to_npz(self, path: str | Path) -> Path:
        """Write the trace as an uncompressed NPZ, atomically: a failed write leaves an older file intact."""
        return write_atomically(Path(path).expanduser(), "wb", _npz_writer(self), "the gate trace")

    @classmethod
    def from_npz(cls, path: str | Path) -> GateTrace:
        """Read a trace written by ``to_npz``."""
        path = Path(path).expanduser()
        data = npz_files.read_npz(path, FORMAT, VERSION, "gate trace", "`rnnviz gates` or the gates panel")
        try:
            return cls._from_arrays(data)
        except (KeyError, ValueError, TypeError) as exc:
            raise DataError(f"{path} is a damaged gate trace ({exc}); export it again.") from None

    @classmethod
    def _from_arrays(cls, data: dict[str, np.ndarray]) -> GateTrace:
        grouped: dict[tuple[int, str], dict[str, np.ndarray]] = {}
        for key, value in data.items():
            parts = key.split("/")
            if len(parts) == 3:
                grouped.setdefault((int(parts[0]), parts[1]), {})[parts[2]] = _frozen(value)
        cell = str(data["cell_variant"])
        names = GATE_NAMES[cell]
        directions = []
        order = sorted(grouped, key=lambda key: (key[0], DIRECTIONS.index(key[1])))
        for layer, direction in order:
            arrays = grouped[(layer, direction)]
            directions.append(DirectionTrace(
                layer, direction, {n: arrays[n] for n in names}, arrays["x"], arrays["weight_ih"],
                arrays["weight_hh"], arrays["bias_ih"], arrays["bias_hh"], arrays["h0"], arrays.get("c0")))
        return cls(tuple(str(t) for t in data["tokens"]), cell, str(data["part"]), tuple(directions),
                   tuple(str(n) for n in data["notices"]), tuple(str(t) for t in data["predicted"]))

    # -- CSV ----------------------------------------------------------------------------

    def to_csv(self, path: str | Path) -> Path:
        """Write the gate values as a long-format CSV (see the module docstring), atomically."""
        return write_csv([self], path)


def _csv_rows(trace: GateTrace) -> Iterator[Sequence[Any]]:
    for d in trace.directions:
        for name in trace.gate_names:
            for step, (token, row) in enumerate(zip(trace.tokens, d.gates[name].tolist())):
                head = (trace.part, d.layer, d.direction, name, step, token)
                for unit, value in enumerate(row):
                    yield (*head, unit, f"{value:.9g}")


def _npz_writer(trace: GateTrace) -> Callable[[IO[Any]], None]:
    arrays = trace.arrays()
    return lambda f: np.savez(f, **arrays)


def _csv_writer(traces: Sequence[GateTrace]) -> Callable[[IO[Any]], None]:
    def write(f: IO[Any]) -> None:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for trace in traces:
            writer.writerows(_csv_rows(trace))

    return write


def write_csv(traces: Iterable[GateTrace], path: str | Path) -> Path:
    """Several traces (a translation's encoder and decoder) in one long-format CSV, atomically."""
    return write_atomically(Path(path).expanduser(), "w", _csv_writer(list(traces)), "the gate trace")


def part_path(path: str | Path, part: str) -> Path:
    """Where one part of a translation trace goes: ``trace.npz`` -> ``trace.encoder.npz``."""
    path = Path(path).expanduser()
    return path.with_name(f"{path.stem}.{part}{path.suffix or '.npz'}")


def export_traces(traces: Sequence[GateTrace], npz: str | Path | None = None,
                  csv_path: str | Path | None = None) -> list[Path]:
    """Write the traces as NPZ (one file a part, see :func:`write_npz`) and/or one CSV, as one
    transaction: every file is written, or none is (older files are then left as they were).
    Returns the paths written. Raises DataError naming the file that failed and why."""
    with Export("the gate trace") as export:
        if npz is not None:
            if len(traces) == 1:
                export.add(npz, "wb", _npz_writer(traces[0]))
            else:
                for trace in traces:
                    export.add(part_path(npz, trace.part), "wb", _npz_writer(trace))
        if csv_path is not None:
            export.add(csv_path, "w", _csv_writer(list(traces)))
    return export.paths


def write_npz(traces: Sequence[GateTrace], path: str | Path) -> list[Path]:
    """One NPZ a part: a language model's trace to ``path``; a translation's encoder and decoder to
    ``name.encoder.npz`` and ``name.decoder.npz`` (:func:`part_path`), both or neither. Returns the
    paths written."""
    return export_traces(traces, npz=path)
