"""The engine: norms of ∂ℓ_s/∂H_t for every loss s and state H_t, by autograd on an unrolled stack.

The forward pass runs once (:func:`~rnnviz.core.gradients.unrolled.run_stack`);
each backward pass then differentiates a few loss rows at once with respect to
every state node. A "row" is a cotangent over the per-step losses: the unit
vector e_s gives ∂ℓ_s/∂·, a vector of ones ∂(Σ_s ℓ_s)/∂·. Two methods:

- ``batched``: the rows of one time block in one backward pass
  (``torch.autograd.grad(..., is_grads_batched=True)``);
- ``loop``: one backward pass per row (``retain_graph``).

Both stop at the last time block a row's losses read (a causal stack's losses
of block k never reach blocks after k), which saves about a third of the work of the full map.
``bench/gradients_speed.py`` times both; ``batched`` is the default because it
was the faster, by far (see :mod:`rnnviz.core.gradients`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.core.config import GATES, StackSpec
from rnnviz.core.gradients.records import DIRECTIONS, Gradients, LayerGradients, StackGradients
from rnnviz.core.gradients.unrolled import DEFAULT_BLOCK, StackRun, run_stack
from rnnviz.core.limits import check_memory
from rnnviz.core.models.stacks import RecurrentStack, State

#: ``step_loss(top, steps) -> (len,)``: the losses of the steps ``steps`` (a slice of positions) from
#: the top layer's outputs there, ``top`` (len, D*H). A step's loss must read that step's output only.
StepLoss = Callable[[Tensor, slice], Tensor]

METHODS: tuple[str, ...] = ("batched", "loop")
DEFAULT_METHOD = "batched"
#: A batched pass holds one gradient per row and state node; rows are split to stay under this.
PASS_BYTES = 256 * 2**20


@contextmanager
def no_denormals() -> Iterator[None]:
    """Flush denormal floats to zero in this thread while the block runs; the setting is restored after.

    A vanishing gradient passes through the denormal range (below 1.2e-38 in float32) on its way to
    zero, and x86 CPUs compute on denormals 10 to 100 times slower: g of a 2-layer LSTM over 200 steps
    took twice as long, the G map half as long again. Gradients that small are reported as 0.
    The flag is per thread (torch has no getter: a denormal times one reads it), so training in
    another thread is not affected."""
    was = float(torch.tensor([1e-39], dtype=torch.float32) * 1.0) == 0.0
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was)


def graph_bytes(spec: StackSpec, input_size: int, steps: int, maps: bool = True) -> int:
    """About how many bytes the unrolled graph of ``steps`` steps keeps (each step saves its gates and
    states, about six G·H-wide float rows per layer-direction), plus one batched pass and the maps."""
    width = sum(len(GATES[spec.cell]) * h + spec.layer_input_size(k, input_size)
                for k in range(spec.num_layers) for h in spec.direction_sizes(k))
    graph = 4 * 6 * width * steps
    map_bytes = 4 * 3 * steps * steps * spec.num_layers * spec.num_directions if maps else 0
    return graph + (PASS_BYTES if maps else 0) + map_bytes


def check_gradient_memory(specs: Sequence[tuple[StackSpec, int, int]], maps: bool) -> None:
    """Refuse, with a ConfigError, gradients whose graph would not fit in the memory free now.
    ``specs``: (stack, its input size, its steps) for each stack in the graph."""
    needed = sum(graph_bytes(spec, size, steps, maps) for spec, size, steps in specs)
    steps = max(steps for _, _, steps in specs)
    check_memory(f"gradients through time over {steps:,} steps", needed,
                 "use a shorter text (max_tokens), or a smaller model.")


def lm_step_loss(output: nn.Module, targets: Tensor) -> StepLoss:
    """ℓ_s = cross-entropy of ``output(H_s)`` against ``targets[s]`` (a negative target: no loss there)."""
    def loss(top: Tensor, steps: slice) -> Tensor:
        wanted = targets[steps].clamp(min=-1)  # every negative target: no loss
        return F.cross_entropy(output(top), wanted, reduction="none", ignore_index=-1)  # (len,)

    return loss


@dataclass(frozen=True, eq=False)
class _Norms:
    """The norm maps of one unrolled stack: (R, T) per layer-direction (and cell), and the input's."""

    hidden: list[np.ndarray]
    cell: list[np.ndarray] | None
    inputs: np.ndarray


def _groups(run: StackRun) -> list[list[Tensor]]:
    return [*run.hidden, *(run.cell or []), run.input_deltas]


def passes(method: str, maps: bool) -> tuple[str, bool]:
    """(how the backward passes run, whether the graph must be batchable) for ``method`` and ``maps``.

    Without maps there are one or two rows: plain passes, on the smaller graph plain tanh gives."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}.")
    if not maps:
        return "loop", False
    return method, method == "batched"


def _norms(losses: list[Tensor], blocks: list[slice], rows: Tensor, runs: Sequence[StackRun],
           method: str) -> list[_Norms]:
    """‖row · ∂ℓ/∂node‖ for every row of ``rows`` (R, T_loss) and every node of ``runs``."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}.")
    groups = [group for run in runs for group in _groups(run)]
    flat = [node for group in groups for node in group]
    out = [np.zeros((rows.shape[0], sum(int(n.shape[0]) for n in group)), np.float32) for group in groups]
    row_bytes = sum(n.numel() * n.element_size() for n in flat)
    most = 1 if method == "loop" else max(1, PASS_BYTES // max(row_bytes, 1))
    # Rows grouped by the last time block they read: a pass from blocks ≤ k never visits later ones.
    nonzero = (rows != 0).cpu().numpy()
    ends = [b.stop for b in blocks]
    by_block: dict[int, list[int]] = {}
    for r in range(rows.shape[0]):
        if nonzero[r].any():
            last = int(np.flatnonzero(nonzero[r])[-1])
            by_block.setdefault(int(np.searchsorted(ends, last, side="right")), []).append(r)
    for k, members in sorted(by_block.items()):
        for start in range(0, len(members), most):
            chunk = members[start:start + most]
            cotangent = rows[chunk]  # (R_c, T_loss)
            outputs = losses[:k + 1]
            if method == "batched":
                pieces = [cotangent[:, b] for b in blocks[:k + 1]]  # (R_c, len) each
                grads = torch.autograd.grad(outputs, flat, pieces, retain_graph=True, allow_unused=True,
                                            is_grads_batched=True)
            else:
                pieces = [cotangent[0, b] for b in blocks[:k + 1]]
                grads = tuple(None if g is None else g.unsqueeze(0)
                              for g in torch.autograd.grad(outputs, flat, pieces, retain_graph=True,
                                                           allow_unused=True))
            _store(out, groups, grads, chunk)
    results, position = [], 0
    for run in runs:
        count = len(run.hidden)
        hidden = out[position:position + count]
        cell = out[position + count:position + 2 * count] if run.cell is not None else None
        position += count * (2 if run.cell is not None else 1)
        results.append(_Norms(hidden, cell, out[position]))
        position += 1
    return results


def _store(out: list[np.ndarray], groups: list[list[Tensor]], grads: Sequence[Tensor | None],
           chunk: list[int]) -> None:
    """The norms of one pass's gradients into the rows ``chunk``: one norm and one copy per group.
    A None gradient is a node these losses cannot reach (left 0)."""
    index = 0
    for target, group in zip(out, groups):
        present, columns, column = [], [], 0
        for node in group:
            grad, width = grads[index], int(node.shape[0])
            index += 1
            if grad is not None:
                present.append(grad)  # (R_c, width, H)
                columns.extend(range(column, column + width))
            column += width
        if present:
            norms = torch.linalg.vector_norm(torch.cat(present, dim=1), dim=-1)  # (R_c, present width)
            target[np.asarray(chunk)[:, None], np.asarray(columns)[None, :]] = norms.detach().cpu().numpy()


def reach(num_layers: int, bidirectional: bool, layer: int, direction: int, steps: int) -> np.ndarray:
    """(steps, steps) bool: whether loss ℓ_s (row) can depend on layer-direction's H_t (column) at all.

    A loss at step s reads the top layer's output at s. A forward direction's
    H_t reaches it only for t ≤ s, the top layer's backward direction only for
    t ≥ s; in a bidirectional stack every layer below the top reaches every
    loss (through the layer above, which reads both directions at each step).
    ``layer`` is 0-based; ``direction`` −1 asks for the first layer's input.
    """
    s, t = np.indices((steps, steps))
    if bidirectional and (layer < num_layers - 1 or (direction == -1 and num_layers > 1)):
        return np.ones((steps, steps), bool)
    if direction == -1:  # the input reaches what either first-layer direction reaches
        return (t <= s) | (t >= s) if bidirectional else t <= s
    return t >= s if direction == 1 else t <= s


def _masked(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = values.astype(np.float32, copy=True)
    out[~mask] = np.nan
    return out


def _losses(run: StackRun, step_loss: StepLoss) -> list[Tensor]:
    return [step_loss(top, block) for top, block in zip(run.top, run.blocks)]  # (len,) per block


def _identity_rows(loss_steps: np.ndarray, like: Tensor) -> Tensor:
    """Row s = e_s for the steps with a loss (zero rows for the others): (T, T)."""
    return torch.diag(torch.as_tensor(loss_steps, dtype=like.dtype, device=like.device))


def _stack_record(part: str, tokens: Sequence[str], cell: str, num_layers: int, bidirectional: bool,
                  norms: _Norms, loss_steps: np.ndarray, map_rows: slice | None, g_index: int,
                  g_step: int | None, labels: Sequence[str] = ()) -> StackGradients:
    """Per layer-direction records from the norm rows; structural zeros become NaN (see :func:`reach`).

    ``map_rows``: the rows of the maps (one per loss step), None without maps; ``g_index``: the row
    of ``g`` and ``x``; ``g_step``: the loss step of that row (None: the sum of every loss, an
    encoder's L, which reaches every state).
    """
    rows, columns = len(loss_steps), norms.inputs.shape[1]
    D = 2 if bidirectional else 1
    has_loss = np.broadcast_to(loss_steps[:, None], (rows, columns))

    def mask(layer: int, direction: int) -> np.ndarray:
        if part == "encoder":  # every decoder loss reads every encoder state (context and bridge)
            return has_loss
        return reach(num_layers, bidirectional, layer, direction, rows) & has_loss

    def split(values: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        g = _masked(values[g_index], m[g_step] if g_step is not None else np.ones(columns, bool))
        return g, (_masked(values[map_rows], m) if map_rows is not None else None)

    layers = []
    for k, values in enumerate(norms.hidden):
        layer, d = divmod(k, D)
        m = mask(layer, d)
        g, G = split(values, m)
        cell_g = cell_G = None
        if norms.cell is not None:
            cell_g, cell_G = split(norms.cell[k], m)
        layers.append(LayerGradients(layer + 1, DIRECTIONS[d], g, G, cell_g, cell_G))
    x, X = split(norms.inputs, mask(0, -1))
    return StackGradients(part, tuple(tokens), cell, tuple(layers), x, X, tuple(labels))


def through_time(stack: RecurrentStack, inputs: Tensor, step_loss: StepLoss, initial_state: State | None = None,
                 *, tokens: Sequence[str] | None = None, labels: Sequence[str] | None = None,
                 loss_steps: Sequence[bool] | np.ndarray | None = None, maps: bool = True,
                 method: str = DEFAULT_METHOD, block: int = DEFAULT_BLOCK) -> Gradients:
    """Gradients through time of any stack read step by step and scored at every step.

    ``inputs`` (T, d) is what the first layer reads (embedding or one-hot);
    ``step_loss`` scores each step from the top layer's output there (e.g.
    :func:`lm_step_loss`); ``tokens`` names the T + 1 tokens (inputs, then the
    last target; default "1" … "T+1"), or with ``labels`` (T targets, where a
    step's target is not the next input, as in the memory tasks) the T inputs;
    ``loss_steps`` (T,) says which steps have
    a loss (default all: rows of the others are NaN). ``maps=False`` computes
    only the last loss's row (g, x, cell_g), with one backward pass. The
    result's part is ``lm``.
    """
    steps = int(inputs.shape[0])
    if steps < 1:
        raise ValueError("through_time needs at least one step.")
    named = steps if labels is not None else steps + 1
    names = tuple(tokens) if tokens is not None else tuple(str(i) for i in range(1, named + 1))
    if len(names) != named or (labels is not None and len(labels) != steps):
        what = f"the {steps} inputs, and labels the {steps} targets" if labels is not None else \
            f"the {steps} inputs and the last target ({steps + 1})"
        raise ValueError(f"tokens must name {what}; got {len(names)} tokens.")
    has = np.ones(steps, bool) if loss_steps is None else np.asarray(loss_steps, bool)
    if has.shape != (steps,) or not has.any():
        raise ValueError(f"loss_steps must be {steps} booleans with at least one True.")
    how, batchable = passes(method, maps)
    check_gradient_memory([(stack.spec, int(inputs.shape[1]), steps)], maps)
    with torch.enable_grad(), no_denormals():
        if inputs.is_inference():
            inputs = inputs.clone()
        run = run_stack(stack, inputs, initial_state, block, batchable)
        losses = _losses(run, step_loss)
        g_row = int(np.flatnonzero(has)[-1])
        rows = _identity_rows(has, losses[0])
        (norms,) = _norms(losses, run.blocks, rows if maps else rows[g_row:g_row + 1], [run], how)
        values = torch.cat(losses).detach().cpu().numpy()
    spec = stack.spec
    record = _stack_record("lm", names, spec.cell, spec.num_layers, spec.bidirectional, norms, has,
                           slice(0, steps) if maps else None, g_row if maps else 0, g_row, labels or ())
    return Gradients(record, np.where(has, values, np.nan))
