"""Gate traces: every gate of every layer and direction, step by step, for one input sequence.

A trace is data, not a picture (DESIGN.md §2): numpy arrays ``(T, H)`` per
gate, layer and direction, the tokens they belong to, and the name of the
cell equations that produced them. The GUI's gates panel draws traces; the
CLI (``rnnviz gates``) and the exports save them.

Public API
----------
``trace_lm(bundle, text, max_tokens=DEFAULT_MAX_TOKENS) -> GateTrace``
    A language model reading ``text`` (cleaned and tokenized as in training).
``trace_translation(bundle, sentence, max_tokens=None) -> (encoder, decoder)``
    The encoder over the source exactly as the model reads it (``<eos>``,
    trimmed or padded to ``num_steps``); the decoder over the model's own
    greedy translation, teacher-forced with its real inputs (the embedding of
    ``<bos>, y1, y2, …`` concatenated with the context) from the bridged
    initial state. ``max_tokens`` caps the translation's length (default: the
    model's ``num_steps``, as ``decoding.translate``).
``trace_sequence(stack, inputs, initial_state=None) -> list[DirectionTrace]``
    The low-level tracer: any ``RecurrentStack`` over a ``(T, d)`` input.
``GateTrace``, ``DirectionTrace``
    Frozen records of read-only float32 arrays (safe to hand to another thread).
    ``GateTrace.get(layer, direction, name) -> (T, H)``, ``.direction(layer,
    direction)``, ``.equations`` (gate name -> equation line), ``.final_state()``,
    ``.to_npz(path)``, ``GateTrace.from_npz(path)``, ``.to_csv(path)``;
    ``write_csv(traces, path)`` puts several traces (encoder and decoder) in one
    CSV; ``part_path(path, part)`` names the per-part NPZ files. ``direction``
    is ``"forward"``/``"backward"`` or 0/1.
``GATE_NAMES``, ``VALUE_RANGES``, ``equations_for(cell)``
    What each cell records, the interval each value lives in (for colour
    scales), and the equation line behind each name.

Bad input is not an error where the model has a rule for it: unknown tokens
are read as ``<unk>``, text beyond ``max_tokens`` is cut, a translation's
source is cut or padded to ``num_steps``; ``GateTrace.notices`` says so. An
empty text, ``max_tokens < 1`` or a model of the other task raise ``DataError``.

Speed: a 200-token trace of a 2-layer bidirectional LSTM of hidden 256 takes
about twice a fused ``torch.nn.LSTM`` forward (``bench/introspect_speed.py``).
While it runs, numpy's OpenBLAS is kept to one thread (see ``_one_blas_thread``).

Gates
-----
GRU (``gru`` and ``gru-book``): ``reset`` r, ``update`` z, ``candidate`` (torch's
n, the book's H̃), ``hidden`` h. LSTM: ``input`` i, ``forget`` f, ``output`` o,
``candidate`` (torch's g, the book's C̃), ``cell`` c, ``hidden`` h. Vanilla
RNN: ``preactivation`` and ``hidden``. The values are computed here, in numpy,
from the model's torch.nn-layout weights with the equations of the model's
cell variant (``rnnviz.core.models.cells.EQUATIONS``): ``gru`` applies the
reset gate after the hidden matmul as torch does, ``gru-book`` before it as
the book does. The tests check that the hidden states equal the model's own
forward pass and the gates an independent recomputation. Dropout is not
applied: a trace is the model in evaluation mode.

Alignment
---------
Row ``t`` of every array belongs to input position ``t`` — in the backward
direction too, which reads the sequence from its end: its row ``t`` is the
state after reading positions ``T-1 … t``. So the final state of a forward
direction is row ``-1`` and that of a backward direction row ``0``.

NPZ (``GateTrace.to_npz``; ``numpy.load(path)`` needs no pickle)
----------------------------------------------------------------
=================================  ===========================================
``format``, ``version``            ``"rnnviz-gate-trace"``, ``1`` (0-d)
``tokens``                         (T,) str: the tokens as the model read
                                   them (``<unk>`` for unknown ones)
``cell_variant``                   0-d str: ``rnn``, ``gru``, ``gru-book``, ``lstm``
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
"""

from __future__ import annotations

import csv
import ctypes
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
from torch import Tensor

from rnnviz.config import CELL_VARIANTS, CELLS, GATES
from rnnviz.core.data.tokenize import clean_lm_text, tokenize
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK, Vocab
from rnnviz.core.decoding import read_source, translate
from rnnviz.core.atomic import write_atomically
from rnnviz.core.errors import DataError
from rnnviz.core.models.cells import EQUATIONS
from rnnviz.core.models.factory import ModelBundle
from rnnviz.core.models.stacks import RecurrentStack, State, layer_weights

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
    "lstm": ("input", "forget", "output", "candidate", "cell", "hidden"),
}
#: Each name's symbol in ``cells.EQUATIONS`` (the left-hand side ``{symbol}_t``).
SYMBOLS: dict[str, str] = {
    "preactivation": "pre", "hidden": "h", "reset": "r", "update": "z", "input": "i",
    "forget": "f", "output": "o", "cell": "c",
}
_CANDIDATE_SYMBOL = {"gru": "n", "gru-book": "n", "lstm": "g"}
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
    cell_variant: str  # "rnn", "gru", "gru-book" or "lstm"
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
        arrays = self.arrays()
        return write_atomically(Path(path).expanduser(), "wb", lambda f: np.savez(f, **arrays), "the gate trace")

    @classmethod
    def from_npz(cls, path: str | Path) -> GateTrace:
        """Read a trace written by ``to_npz``."""
        path = Path(path).expanduser()
        try:
            with np.load(path, allow_pickle=False) as npz:
                data = {key: npz[key] for key in npz.files}
        except FileNotFoundError:
            raise DataError(f"{path}: no such file.") from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise DataError(f"{path} cannot be read as an NPZ file ({str(exc)[:120]}); "
                            "export the trace again.") from None
        if "format" not in data or str(data["format"]) != FORMAT:
            raise DataError(f"{path} is not an rnnviz gate trace (it has no format key "
                            f"{FORMAT!r}); open a file written by `rnnviz gates` or the gates panel.")
        version = int(data["version"]) if "version" in data else 0
        if version > VERSION:
            raise DataError(f"{path} was written by a newer rnnviz (trace format {version}); "
                            "update rnnviz to read it.")
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


def write_csv(traces: Iterable[GateTrace], path: str | Path) -> Path:
    """Several traces (a translation's encoder and decoder) in one long-format CSV, atomically."""
    traces = list(traces)

    def write(f: IO[Any]) -> None:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for trace in traces:
            writer.writerows(_csv_rows(trace))

    return write_atomically(Path(path).expanduser(), "w", write, "the gate trace")


def part_path(path: str | Path, part: str) -> Path:
    """Where one part of a translation trace goes: ``trace.npz`` -> ``trace.encoder.npz``."""
    path = Path(path).expanduser()
    return path.with_name(f"{path.stem}.{part}{path.suffix or '.npz'}")


# --- the tracer ------------------------------------------------------------------------
#
# The recurrence runs in numpy: torch's per-op overhead is several times numpy's on vectors
# this small. Every step's input part, W_i· x + b, comes first from one matmul per
# layer-direction. Sigmoids are computed as σ(a) = (1 + tanh(a/2)) / 2 with the halving folded
# into the weights, so all of a step's activations take one tanh call. A backward direction
# steps from the end but writes row t for input position t. Work arrays (a few MB at most) are
# kept per thread and reused, as fresh memory costs a page fault per 4 kB touched.

_scratch = threading.local()


def _scratch_buffer(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 work array, kept per thread and per name, reallocated when the shape changes."""
    buffers: dict[str, np.ndarray] = _scratch.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    if buffer is None or buffer.shape != shape:
        buffer = buffers[name] = np.empty(shape, np.float32)
    return buffer


# OpenBLAS's worker threads busy-wait between calls. On a machine with few cores shared with
# other work (torch's thread pool training beside the trace, other processes), a threaded call
# then waits for a descheduled worker: on the 2-core test machine a trace took 30 ms or 150 ms
# at random. The tracer's calls are small (one matrix-vector product a step), where a second
# thread gains little, so it runs numpy's OpenBLAS on one thread and restores the setting after.
# (threadpoolctl does this generally; this is the part rnnviz needs, without the dependency.)
_blas_lock = threading.Lock()
_blas_users = 0
_blas_saved: list[int] = []
_blas_api: list[tuple[Callable[[], int], Callable[[int], None]]] | None = None


def _find_openblas() -> list[tuple[Callable[[], int], Callable[[int], None]]]:
    """get/set_num_threads of each OpenBLAS loaded in this process (Linux); none found elsewhere."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return []
    found = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""),
                               ("openblas", "64_"), ("openblas", "")):
            get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                put.restype, put.argtypes = None, [ctypes.c_int]
                found.append((get, put))
                break
    return found


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """numpy's BLAS on one thread while the block runs (nested and concurrent uses are counted)."""
    global _blas_users, _blas_api
    with _blas_lock:
        if _blas_api is None:
            _blas_api = _find_openblas()
        if _blas_users == 0:
            _blas_saved[:] = [get() for get, _ in _blas_api]
            for _, put in _blas_api:
                put(1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                for (_, put), threads in zip(_blas_api, _blas_saved):
                    put(threads)


def _steps(reverse: bool, *arrays: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
    """Row views of each array, in reading order."""
    return zip(*(a[::-1] if reverse else a for a in arrays))


def _input_part(x: np.ndarray, w_ih: np.ndarray, bias: np.ndarray, out: np.ndarray) -> np.ndarray:
    """x W_ihᵀ + bias for every step at once: (T, G*H) into ``out``."""
    np.dot(x, w_ih.T, out)  # np.dot, not @: numpy's matmul takes a slow path for a transposed operand
    out += bias
    return out


def _run_rnn(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
             h0: np.ndarray, reverse: bool) -> dict[str, np.ndarray]:
    T, H = x.shape[0], h0.shape[0]
    pre = _input_part(x, w_ih, b_ih + b_hh, np.empty((T, H), np.float32))  # (T, H) completed in the loop
    hidden = np.empty((T, H), np.float32)
    wh = _scratch_buffer("wh", (H,))
    h = h0
    for p, h_new in _steps(reverse, pre, hidden):
        np.dot(w_hh, h, wh)
        p += wh
        np.tanh(p, h_new)
        h = h_new
    return {"preactivation": pre, "hidden": hidden}


def _run_gru(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
             h0: np.ndarray, reverse: bool, book: bool) -> dict[str, np.ndarray]:
    T, H = x.shape[0], h0.shape[0]
    bias = b_ih.copy()
    bias[:2 * H] += b_hh[:2 * H]
    if book:
        bias[2 * H:] += b_hh[2 * H:]  # W_in x + b_in + b_hn; W_hn (r ⊙ h) is added in the loop
    acts = _input_part(x, w_ih, bias, _scratch_buffer("acts", (T, 3 * H)))  # (T, 3H): r, z, n
    acts[:, :2 * H] *= 0.5  # r and z become sigmoids
    w_rz = _scratch_buffer("w_rz", (2 * H, H))
    np.multiply(w_hh[:2 * H], 0.5, w_rz)
    w_n = w_hh[2 * H:]  # (H, H) a contiguous view
    b_n = b_hh[2 * H:]  # (H,)
    hidden = np.empty((T, H), np.float32)
    h_rz = _scratch_buffer("h_rz", (2 * H,))
    h_n = _scratch_buffer("h_n", (H,))
    rh = _scratch_buffer("rh", (H,))
    h = h0
    for rz, r, z, n, h_new in _steps(reverse, acts[:, :2 * H], acts[:, :H], acts[:, H:2 * H], acts[:, 2 * H:],
                                     hidden):
        np.dot(w_rz, h, h_rz)
        rz += h_rz
        np.tanh(rz, rz)
        rz *= 0.5
        rz += 0.5  # r, z = σ(...)
        if book:
            np.multiply(r, h, rh)
            np.dot(w_n, rh, h_n)  # W_hn (r ⊙ h): reset before the matmul
        else:
            np.dot(w_n, h, h_n)
            h_n += b_n
            h_n *= r  # r ⊙ (W_hn h + b_hn): reset after the matmul
        n += h_n
        np.tanh(n, n)
        np.subtract(h, n, h_new)
        h_new *= z
        h_new += n  # z ⊙ h + (1 - z) ⊙ n, one op shorter
        h = h_new
    gates = acts.reshape(T, 3, H)
    return {"reset": gates[:, 0].copy(), "update": gates[:, 1].copy(), "candidate": gates[:, 2].copy(),
            "hidden": hidden}


#: torch's LSTM blocks are (i, f, g, o); (i, f, o, g) puts the three sigmoids side by side.
_LSTM_ORDER = (0, 1, 3, 2)


def _run_lstm(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
              h0: np.ndarray, c0: np.ndarray, reverse: bool) -> dict[str, np.ndarray]:
    T, H = x.shape[0], h0.shape[0]
    xw = _input_part(x, w_ih, b_ih + b_hh, _scratch_buffer("xw", (T, 4 * H))).reshape(T, 4, H)
    acts = _scratch_buffer("acts", (T, 4, H))  # the blocks reordered (i, f, o, g), sigmoid ones halved
    w = _scratch_buffer("w_lstm", (4, H, H))  # W_hh likewise
    for k, block in enumerate(_LSTM_ORDER):
        scale = 0.5 if k < 3 else 1.0
        np.multiply(xw[:, block], scale, acts[:, k])
        np.multiply(w_hh[block * H:(block + 1) * H], scale, w[k])
    flat = acts.reshape(T, 4 * H)  # row t: every gate at step t
    w_flat = w.reshape(4 * H, H)
    wh = _scratch_buffer("wh", (4 * H,))
    ig = _scratch_buffer("ig", (H,))
    cell = np.empty((T, H), np.float32)
    hidden = np.empty((T, H), np.float32)
    h, c = h0, c0
    for a, s, i, f, o, g, c_new, h_new in _steps(reverse, flat, flat[:, :3 * H], acts[:, 0], acts[:, 1], acts[:, 2],
                                                 acts[:, 3], cell, hidden):
        np.dot(w_flat, h, wh)
        a += wh
        np.tanh(a, a)
        s *= 0.5
        s += 0.5  # i, f, o = σ(...); g = tanh(...) already
        np.multiply(f, c, c_new)
        np.multiply(i, g, ig)
        c_new += ig  # c = f ⊙ c + i ⊙ g
        np.tanh(c_new, h_new)
        h_new *= o  # h = o ⊙ tanh(c)
        h, c = h_new, c_new
    return {"input": acts[:, 0].copy(), "forget": acts[:, 1].copy(), "output": acts[:, 2].copy(),
            "candidate": acts[:, 3].copy(), "cell": cell, "hidden": hidden}


def _as_numpy(t: Tensor) -> np.ndarray:
    """A float32 copy (the model may train on). copyto into numpy's own buffer: numpy's astype or
    copy() of torch-owned memory measured several times slower, and torch's own copy would wake
    its thread pool to spin beside the numpy loop that follows."""
    source = t.detach().cpu().numpy()
    out = np.empty(source.shape, np.float32)
    np.copyto(out, source)
    return out


def _copy_weights(params: list[list[tuple[Tensor, ...]]]) -> list[list[tuple[np.ndarray, ...]]]:
    """float32 copies of every weight, as views of one block. One allocation instead of sixteen:
    numpy asks the kernel for huge pages for blocks of 4 MB and more, and a trace of a 2-layer
    bidirectional LSTM of hidden 256 took ~100 page faults instead of ~1800 (3-4 ms less)."""
    total = sum(p.numel() for layer in params for direction in layer for p in direction)
    block = np.empty(total, np.float32)
    start = 0
    copies = []
    for layer in params:
        copies.append([])
        for direction in layer:
            arrays = []
            for p in direction:
                view = block[start:start + p.numel()].reshape(tuple(p.shape))
                np.copyto(view, p.detach().cpu().numpy())
                arrays.append(view)
                start += p.numel()
            copies[-1].append(tuple(arrays))
    return copies


def _vector(entry: Any, size: int, what: str) -> np.ndarray:
    """One direction's initial h or c as (H,) float32; zeros for None."""
    if entry is None:
        return np.zeros(size, np.float32)
    v = _as_numpy(entry) if isinstance(entry, Tensor) else np.array(entry, dtype=np.float32)
    if v.size != size:
        raise ValueError(f"the initial {what} has shape {tuple(v.shape)}; one sequence of hidden size {size} "
                         f"needs ({size},) or (1, {size}).")
    return v.reshape(size)


def trace_sequence(stack: RecurrentStack, inputs: Tensor | np.ndarray,
                   initial_state: State | None = None) -> list[DirectionTrace]:
    """Trace every layer-direction of ``stack`` over one sequence of ``(T, d)`` inputs.

    ``inputs`` may also be ``(T, 1, d)``. ``initial_state`` is the stacks'
    state list (one (1, H) or (H,) entry per layer-direction, (h, c) for the
    LSTM); zeros when None. Returns the traces ordered ``layer * D + direction``,
    as the stacks order their state. Sizes come from the weights, so each
    direction may have its own hidden size. Dropout is not applied.
    """
    cell = stack.spec.cell
    num_layers, num_dirs = stack.spec.num_layers, stack.spec.num_directions
    expected = num_layers * num_dirs
    if initial_state is not None and len(initial_state) != expected:
        raise ValueError(f"initial_state must have {expected} entries (layers × directions), "
                         f"not {len(initial_state)}.")
    with torch.inference_mode():
        x = _as_numpy(inputs) if isinstance(inputs, Tensor) else np.array(inputs, dtype=np.float32)
        if x.ndim == 3 and x.shape[1] == 1:
            x = x[:, 0]  # (T, d)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"inputs must be (T, d) or (T, 1, d) with T >= 1, not {tuple(x.shape)}.")
        params = [[(w.w_ih, w.w_hh, w.b_ih, w.b_hh) for w in (layer_weights(stack, layer, d) for d in range(num_dirs))]
                  for layer in range(num_layers)]
        weights = _copy_weights(params)
    with _one_blas_thread():
        return _trace_layers(cell, weights, x, initial_state, num_dirs)


def _trace_layers(cell: str, weights: list[list[tuple[np.ndarray, ...]]], x: np.ndarray,
                  initial_state: State | None, num_dirs: int) -> list[DirectionTrace]:
    gates = len(GATES[cell])
    traces: list[DirectionTrace] = []
    layer_input = _frozen(np.ascontiguousarray(x))  # (T, d)
    for layer in range(len(weights)):
        outputs = []
        for d in range(num_dirs):
            w_ih, w_hh, b_ih, b_hh = (_frozen(a) for a in weights[layer][d])
            hidden_size = int(w_hh.shape[1])
            if w_hh.shape[0] != gates * hidden_size or w_ih.shape[1] != layer_input.shape[1]:
                raise ValueError(f"layer {layer} {DIRECTIONS[d]}: weights w_ih {w_ih.shape}, w_hh {w_hh.shape} "
                                 f"do not fit a {cell} reading {layer_input.shape[1]} features.")
            entry = None if initial_state is None else initial_state[layer * num_dirs + d]
            if cell == "lstm":
                h_entry, c_entry = entry if entry is not None else (None, None)
            else:
                h_entry, c_entry = entry, None
            h0 = _vector(h_entry, hidden_size, "hidden state")
            c0 = _vector(c_entry, hidden_size, "cell state") if cell == "lstm" else None
            reverse = d == 1
            if cell == "rnn":
                values = _run_rnn(layer_input, w_ih, w_hh, b_ih, b_hh, h0, reverse)
            elif cell == "lstm":
                assert c0 is not None
                values = _run_lstm(layer_input, w_ih, w_hh, b_ih, b_hh, h0, c0, reverse)
            else:
                values = _run_gru(layer_input, w_ih, w_hh, b_ih, b_hh, h0, reverse, book=cell == "gru-book")
            ordered = {name: _frozen(values[name]) for name in GATE_NAMES[cell]}
            traces.append(DirectionTrace(layer, DIRECTIONS[d], ordered, layer_input, w_ih, w_hh, b_ih, b_hh,
                                         _frozen(h0), None if c0 is None else _frozen(c0)))
            outputs.append(ordered["hidden"])
        # The next layer reads both directions, forward first, as the stacks concatenate them.
        layer_input = _frozen(np.concatenate(outputs, axis=1) if num_dirs > 1 else outputs[0])  # (T, D*H)
    return traces


# --- models ----------------------------------------------------------------------------


def _check_max_tokens(max_tokens: int | None) -> None:
    if max_tokens is not None and max_tokens < 1:
        raise DataError(f"max_tokens must be at least 1, not {max_tokens}.")


def _unknown_notice(tokens: Iterable[str]) -> str:
    shown = ", ".join(repr(t) if t.isspace() else t for t in dict.fromkeys(tokens))
    return f"not in the model's vocabulary, read and shown as {UNK}: {shown}"


def _predicted(output: torch.nn.Module, directions: Sequence[DirectionTrace], num_dirs: int,
               vocab: Vocab) -> tuple[str, ...]:
    """The output layer's top token after each step, from the top layer's traced states."""
    top = np.concatenate([d.hidden for d in directions[-num_dirs:]], axis=1)  # (T, D*H)
    reference = next(output.parameters())
    with torch.inference_mode():
        logits = output(torch.from_numpy(top).to(reference.device, reference.dtype))  # (T, V)
        ids = logits.argmax(-1).tolist()
    return tuple(vocab.to_tokens(ids))


def trace_lm(bundle: ModelBundle, text: str, max_tokens: int = DEFAULT_MAX_TOKENS) -> GateTrace:
    """Trace a language model reading ``text``, cleaned and tokenized as its training data.

    Tokens the vocabulary lacks are read as ``<unk>`` (and named in a notice);
    text longer than ``max_tokens`` tokens is cut to its beginning (with a notice).
    """
    if bundle.task != "lm":
        raise DataError("this is a translation model; trace it with trace_translation "
                        "(`rnnviz gates` picks the right one from the checkpoint).")
    _check_max_tokens(max_tokens)
    data = bundle.data_config
    rule = data.lm_cleaning or "letters"
    if not text.strip():
        raise DataError("the probe text is empty; type some text for the model to read.")
    tokens = tokenize(clean_lm_text(text, rule), data.token_level)
    if not tokens:
        kept = "letters a-z only" if rule == "letters" else "visible characters"
        raise DataError(f"the probe text {text[:40]!r} is empty once cleaned for this model (its training "
                        f"text kept {kept}); type some words.")
    notices: list[str] = []
    if len(tokens) > max_tokens:
        notices.append(f"the text has {len(tokens)} tokens; the trace covers the first {max_tokens} "
                       "(max_tokens); raise max_tokens to see more.")
        tokens = tokens[:max_tokens]
    vocab = bundle.vocabs[0]
    unknown = [t for t in tokens if t not in vocab]
    if unknown:
        notices.append(_unknown_notice(unknown))
    model = bundle.model
    if model.stack.spec.bidirectional:
        notices.append("this language model is bidirectional: its predictions use the backward direction, "
                       "which has already read the text after each position (the book's caution, section 10.4).")
    device = next(model.parameters()).device
    with torch.inference_mode():
        ids = torch.tensor([vocab.indices(tokens)], device=device)  # (1, T)
        inputs = model.embed(ids)[:, 0]  # (T, E) one-hot or embedding, as the model feeds it
    directions = trace_sequence(model.stack, inputs)
    predicted = _predicted(model.output, directions, model.stack.spec.num_directions, vocab)
    shown = tuple(t if t in vocab else UNK for t in tokens)
    return GateTrace(shown, model.stack.spec.cell, "lm", tuple(directions), tuple(notices), predicted)


def trace_translation(bundle: ModelBundle, sentence: str,
                      max_tokens: int | None = None) -> tuple[GateTrace, GateTrace]:
    """Trace a translation model: (encoder over the source, decoder over its greedy translation).

    The encoder reads what ``decoding.translate`` feeds it: the words, ``<eos>``,
    cut or padded with ``<pad>`` to the model's ``num_steps``. The decoder is
    traced teacher-forced on the translation the model produces (``max_tokens``
    at most; default ``num_steps``): its inputs are the embeddings of ``<bos>,
    y1, …`` each concatenated with the context, from the bridged initial state,
    exactly as in generation. Its ``predicted`` tokens are the translation
    (then ``<eos>`` when the model ended it).
    """
    if bundle.task != "mt":
        raise DataError("this is a language model; trace it with trace_lm "
                        "(`rnnviz gates` picks the right one from the checkpoint).")
    _check_max_tokens(max_tokens)
    if not sentence.strip():
        raise DataError("the sentence is empty; type a sentence to translate and trace.")
    num_steps = int(bundle.data_config.num_steps or 9)
    limit = max_tokens or num_steps
    result = translate(bundle, sentence, max_len=limit)  # also the notices on unknown words and trimming
    src_vocab, tgt_vocab = bundle.vocabs
    seen = read_source(bundle, sentence).seen  # as translate() feeds it: the encoder reads the padding too
    enc_notices = list(result.notices)
    if PAD in seen:
        enc_notices.append(f"the encoder reads the sentence padded with {PAD} to num_steps={num_steps}, as in "
                           "training; its state after the padding is what the decoder starts from.")
    # The decoder read <bos> and every produced token but the last one if it stopped at the limit.
    ended = len(result.tokens) < limit
    dec_tokens = [BOS, *result.tokens] if ended else [BOS, *result.tokens[:-1]]
    dec_notices = [] if ended else [f"the translation reached max_tokens={limit} without {EOS} and was cut there."]
    model = bundle.model
    device = next(model.parameters()).device
    with torch.inference_mode():
        src = torch.tensor([src_vocab.indices(seen)], device=device)  # (1, S)
        enc_inputs = model.encoder.embedding(src.T)[:, 0]  # (S, E)
        state, context, _ = model.start(src)  # the bridged state, (1, C) context
        tgt = torch.tensor([tgt_vocab.indices(dec_tokens)], device=device)  # (1, T)
        dec_inputs = model.decoder.inputs(tgt, context)[:, 0]  # (T, E + C)
    encoder = trace_sequence(model.encoder.stack, enc_inputs)
    decoder = trace_sequence(model.decoder.stack, dec_inputs, state)
    predicted = _predicted(model.decoder.output, decoder, model.decoder.stack.spec.num_directions, tgt_vocab)
    src_shown = tuple(w if w in src_vocab else UNK for w in seen)
    return (GateTrace(src_shown, model.encoder.stack.spec.cell, "encoder", tuple(encoder), tuple(enc_notices)),
            GateTrace(tuple(dec_tokens), model.decoder.stack.spec.cell, "decoder", tuple(decoder),
                      tuple(dec_notices), predicted))
