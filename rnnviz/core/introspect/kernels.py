"""The tracer: every layer-direction of a recurrent stack run in numpy, keeping every gate.

The recurrence runs in numpy: torch's per-op overhead is several times numpy's on vectors
this small. Every step's input part, W_i· x + b, comes first from one matmul per
layer-direction. Sigmoids are computed as σ(a) = (1 + tanh(a/2)) / 2 with the halving folded
into the weights, so all of a step's activations take one tanh call. A backward direction
steps from the end but writes row t for input position t. Work arrays (a few MB at most) are
kept per thread and reused, as fresh memory costs a page fault per 4 kB touched.

While a trace runs, numpy's OpenBLAS is kept to one thread (see :func:`_one_blas_thread`).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnviz.core.config import GATES
from rnnviz.core.introspect.records import DIRECTIONS, GATE_NAMES, DirectionTrace, _frozen
from rnnviz.core.models.stacks import RecurrentStack, State, layer_weights


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


def _run_partial_gru(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                     h0: np.ndarray, reverse: bool, gate: str) -> dict[str, np.ndarray]:
    """A GRU with one gate: ``gate`` "reset" (blocks r, n; h = n) or "update" (blocks z, n; no reset)."""
    T, H = x.shape[0], h0.shape[0]
    # Both biases join the input part: no gate sits between W_h· h and its bias in either cell.
    acts = _input_part(x, w_ih, b_ih + b_hh, _scratch_buffer("acts", (T, 2 * H)))  # (T, 2H): gate, n
    acts[:, :H] *= 0.5  # the gate becomes a sigmoid
    w = _scratch_buffer("w_partial", (2 * H, H))
    np.copyto(w, w_hh)
    w[:H] *= 0.5
    hidden = np.empty((T, H), np.float32)
    wh = _scratch_buffer("wh", (2 * H,))
    rh = _scratch_buffer("rh", (H,))
    h = h0
    for a, g, n, h_new in _steps(reverse, acts, acts[:, :H], acts[:, H:], hidden):
        if gate == "reset":
            np.dot(w[:H], h, wh[:H])
            g += wh[:H]
            np.tanh(g, g)
            g *= 0.5
            g += 0.5  # r = σ(...)
            np.multiply(g, h, rh)
            np.dot(w[H:], rh, wh[H:])  # W_hn (r ⊙ h): reset before the matmul, as the book
            n += wh[H:]
            np.tanh(n, n)
            h_new[:] = n  # no update gate: the new state is the candidate
        else:
            np.dot(w, h, wh)
            a += wh  # no reset gate: W_hz h and W_hn h in one product
            np.tanh(a, a)
            g *= 0.5
            g += 0.5  # z = σ(...)
            np.subtract(h, n, h_new)
            h_new *= g
            h_new += n  # z ⊙ h + (1 - z) ⊙ n
        h = h_new
    return {gate: acts[:, :H].copy(), "candidate": acts[:, H:].copy(), "hidden": hidden}


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
            elif cell in ("gru-reset", "gru-update"):
                values = _run_partial_gru(layer_input, w_ih, w_hh, b_ih, b_hh, h0, reverse, cell.split("-")[1])
            else:
                values = _run_gru(layer_input, w_ih, w_hh, b_ih, b_hh, h0, reverse, book=cell == "gru-book")
            ordered = {name: _frozen(values[name]) for name in GATE_NAMES[cell]}
            traces.append(DirectionTrace(layer, DIRECTIONS[d], ordered, layer_input, w_ih, w_hh, b_ih, b_hh,
                                         _frozen(h0), None if c0 is None else _frozen(c0)))
            outputs.append(ordered["hidden"])
        # The next layer reads both directions, forward first, as the stacks concatenate them.
        layer_input = _frozen(np.concatenate(outputs, axis=1) if num_dirs > 1 else outputs[0])  # (T, D*H)
    return traces
