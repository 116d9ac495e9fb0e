"""Gradient norms per parameter group during training, before and after clipping.

A model's parameters are split into groups a student can name: for every
recurrent layer and direction, each gate's ``W_x`` (rows of torch's
``weight_ih``), ``W_h`` (rows of ``weight_hh``) and ``b`` (the same rows of
``bias_ih`` and ``bias_hh`` together); then the embedding, the output layer,
a translation model's bridge, and any other module by its name. Every scalar
of every trainable parameter lies in exactly one group, so the total norm is
the root of the groups' squared norms.

torch stacks the gate blocks in the rows of ``weight_ih_l{k}[_reverse]``
(GRU r, z, n; LSTM i, f, g, o; the RNN one block), and the scratch stacks keep
the same names and layout (``rnnviz.core.models.stacks``), so one grouping
serves both implementations::

    meter = GradientMeter(model)            # once, before training
    loss.backward()
    reading = meter.measure_and_clip(1.0)   # the book's clip_gradients, and the groups' norms
    reading.total, reading.scale, reading.norms   # plain floats, one per meter.groups

The groups' norms cost one ``torch._foreach_norm`` over views of the gradients
(no copy) and one transfer of a few dozen numbers; clipping is the book's own
arithmetic (:func:`clip_as_the_book`), one more pass, so that a run here and the
book's code's from the same start stay equal to the bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from rnnviz.core.config import GATES
from rnnviz.core.events import ClippingSummary, GradientGroup, summarize_clipping  # noqa: F401 (re-exported)

#: Each gate's title as the Gates tab writes it, by torch's block symbol; the cell's candidate differs.
GATE_TITLES: dict[str, tuple[str, str]] = {  # symbol -> (Gates tab name, title)
    "r": ("reset", "reset gate r"), "z": ("update", "update gate z"), "i": ("input", "input gate i"),
    "f": ("forget", "forget gate f"), "o": ("output", "output gate o"),
}
_CANDIDATES: dict[str, str] = {"gru": "candidate n", "gru-book": "candidate n", "gru-reset": "candidate n",
                               "gru-update": "candidate n", "lstm": "input node g"}
#: What a module outside the recurrent stacks is called, by its attribute name.
MODULE_TITLES: dict[str, str] = {"embedding": "embedding", "output": "output layer", "bridge": "bridge"}
SEPARATOR = " · "


@dataclass(frozen=True)
class _Piece:
    """A view of one parameter's gradient that belongs to one group."""

    parameter: int  # index into GradientMeter.parameters
    rows: slice | None  # None: the whole tensor
    group: int


@dataclass(frozen=True)
class Reading:
    """One step's gradient norms: plain floats, before clipping; ``scale`` is what clipping multiplied by."""

    total: float  # ‖g‖ over every parameter, before clipping
    scale: float  # 1.0 when clipping did not act (or is off)
    norms: tuple[float, ...]  # one per group, before clipping

    @property
    def clipped_total(self) -> float:
        return self.total * self.scale

    @property
    def clipped_norms(self) -> tuple[float, ...]:
        return tuple(norm * self.scale for norm in self.norms)


def clip_scale(total: float, clip: float | None) -> float:
    """The factor clipping at ``clip`` multiplies a gradient of norm ``total`` by, as the book clips."""
    if clip is None or not math.isfinite(total) or total <= clip:
        return 1.0
    return clip / total


def clip_as_the_book(grads: list[Tensor], clip: float | None) -> float:
    """The book's ``clip_gradients`` (section 9.5), operation for operation: the norm of every gradient
    together, and when it exceeds ``clip`` each gradient times clip / norm; returns the norm.

    torch's ``clip_grad_norm_`` divides by the norm plus 1e-6 and sums in another order; the last
    bits differ, and over a thousand clipped steps a run drifts from the book's by per cents
    (bench/reproduce_book.py's matched runs showed it). Done the book's way, the app's run and the
    book's code's, from the same weights and batches, stay equal to the bit.
    """
    if not grads:
        return 0.0
    norm = torch.sqrt(sum(torch.sum(g ** 2) for g in grads))  # () in the gradients' dtype, the book's order
    if clip is not None and norm > clip:
        for g in grads:
            g[:] *= clip / norm
    return float(norm)


def _gate_labels(cell: str) -> list[tuple[str | None, str | None]]:
    """(Gates tab name, title) per gate block in torch's order; (None, None) for the RNN's one block."""
    labels: list[tuple[str | None, str | None]] = []
    for symbol in GATES[cell]:
        if symbol in GATE_TITLES:
            labels.append(GATE_TITLES[symbol])
        elif cell in _CANDIDATES:
            labels.append(("candidate", _CANDIDATES[cell]))
        else:
            labels.append((None, None))  # the vanilla RNN: the layer is its one block
    return labels


def _stacks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The recurrent stacks in ``model``: modules with a ``spec`` (StackSpec) and their weights in ``rnn``."""
    from rnnviz.core.models.stacks import RecurrentStack

    return [(name, module) for name, module in model.named_modules() if isinstance(module, RecurrentStack)]


def _part(prefix: str) -> str | None:
    first = prefix.split(".", 1)[0]
    return first if first in ("encoder", "decoder") else None


def _join(*words: str | None) -> str:
    return SEPARATOR.join(w for w in words if w)


class GradientMeter:
    """Groups a model's trainable parameters (see the module doc) and measures their gradients' norms."""

    def __init__(self, model: nn.Module) -> None:
        self.parameters: list[nn.Parameter] = []
        groups: list[GradientGroup] = []
        pieces: list[_Piece] = []
        index_of: dict[int, int] = {}
        named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        for name, parameter in named:
            index_of[id(parameter)] = len(self.parameters)
            self.parameters.append(parameter)
        claimed: set[int] = set()
        for prefix, stack in _stacks(model):
            part = _part(prefix)
            spec = stack.spec
            labels = _gate_labels(spec.cell)
            for layer in range(spec.num_layers):
                for direction in range(spec.num_directions):
                    hidden = spec.hidden_size(layer, direction)
                    suffix = f"l{layer}" + ("_reverse" if direction else "")
                    where = ("backward" if direction else "forward") if spec.bidirectional else None
                    tensors = {kind: [getattr(stack.rnn, f"{torch_name}_{suffix}") for torch_name in names]
                               for kind, names in (("W_x", ("weight_ih",)), ("W_h", ("weight_hh",)),
                                                   ("b", ("bias_ih", "bias_hh")))}
                    for block, (gate, title) in enumerate(labels):
                        rows = slice(block * hidden, (block + 1) * hidden)
                        for kind, params in tensors.items():
                            group = len(groups)
                            groups.append(GradientGroup(_join(part, f"layer {layer + 1}", where, title, kind), kind,
                                                        part, layer + 1, where or "forward", gate))
                            for p in params:
                                if id(p) in index_of:
                                    pieces.append(_Piece(index_of[id(p)], rows, group))
                                    claimed.add(id(p))
        # Everything else by the module it belongs to: "embedding", "decoder · output layer", "bridge".
        others: dict[tuple[str | None, str], int] = {}
        for name, parameter in named:
            if id(parameter) in claimed:
                continue
            path = name.split(".")[:-1] or [name]
            part = _part(name)
            rest = path[1:] if part is not None and len(path) > 1 else path
            title = MODULE_TITLES.get(rest[0], rest[0].replace("_", " "))
            key = (part, title)
            if key not in others:
                others[key] = len(groups)
                groups.append(GradientGroup(_join(part, title), title, part))
            pieces.append(_Piece(index_of[id(parameter)], None, others[key]))
        self.groups: tuple[GradientGroup, ...] = tuple(groups)
        self._pieces = tuple(pieces)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(group.name for group in self.groups)

    def _squares(self) -> tuple[Tensor, Tensor] | None:
        """(squared norm per piece, group index per piece) over the gradients there are; None without any."""
        views: list[Tensor] = []
        owners: list[int] = []
        for piece in self._pieces:
            grad = self.parameters[piece.parameter].grad
            if grad is None:
                continue  # a parameter the loss did not reach counts as 0
            views.append(grad if piece.rows is None else grad[piece.rows])
            owners.append(piece.group)
        if not views:
            return None
        device = views[0].device
        exact = torch.float32 if device.type == "mps" else torch.float64  # mps has no float64
        norms = torch.stack(torch._foreach_norm(views)).to(exact)  # (pieces,)
        return norms.square(), torch.tensor(owners, device=device)  # (pieces,), (pieces,)

    def measure(self) -> Reading:
        """The norms of the gradients as they are now (no clipping)."""
        return self._read(None)

    def measure_and_clip(self, clip: float | None) -> Reading:
        """Measure, then scale the gradients to norm ``clip`` at most, as the book's ``clip_gradients``
        does (:func:`clip_as_the_book`; None: no clipping). The reading's norms are those before
        clipping; its total is the norm the book compares with ``clip``."""
        return self._read(clip)

    def _read(self, clip: float | None) -> Reading:
        found = self._squares()
        if found is None:
            return Reading(0.0, 1.0, (0.0,) * len(self.groups))
        squares, owners = found
        per_group = torch.zeros(len(self.groups), dtype=squares.dtype, device=squares.device)
        per_group.index_add_(0, owners, squares)  # (G,)
        total = clip_as_the_book([p.grad for p in self.parameters if p.grad is not None], clip)
        norms = per_group.sqrt().tolist()  # one transfer
        return Reading(total, clip_scale(total, clip), tuple(norms))


def group_names(model: nn.Module) -> tuple[str, ...]:
    """The names of ``model``'s gradient groups, in the order a Step's ``group_norms`` follows."""
    return GradientMeter(model).names


def combine(norms: Sequence[float]) -> float:
    """The norm of several groups together: the root of their squared norms."""
    return math.sqrt(sum(n * n for n in norms))
