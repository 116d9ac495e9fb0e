"""Where each node of a beam-search tree goes in a drawing, computed without Qt.

The drawing reads left to right by step (D2L section 10.8, figure 10.8.2):
one column per step, the root (``<bos>`` or the prompt) on the left. Which
candidates are drawn: every candidate of a step whose prefixes have at most
:data:`FULL_WIDTH` tokens each; for a wider vocabulary the survivors, the
highlighted path and the :data:`PER_PARENT` likeliest per parent, with a
"+N more" summary for the rest; never more than :data:`MAX_PER_STEP` a step.
Pruned candidates are drawn at every step ("all"), at the newest step only
("newest"), or not at all ("none").

Vertical placement: leaves stack top to bottom in drawing order, each as tall
as its kind (``node_height`` for the root, kept and finished nodes,
``small_height`` for pruned nodes and summaries) with ``gap`` between them; a
parent sits midway between its first and last child. So no two nodes of a
column overlap, and every child is one column right of its parent. The sizes
are the caller's units (a widget's pixels after measuring its fonts).

:func:`layout_tree` returns a :class:`TreeLayout`: nodes in drawing order,
edges, the column headers (the step and its true counts), and the helpers a
view needs for its tooltips and captions (:func:`node_tooltip`, :func:`step_text`).

The drawing's numbers, given a view's font metrics (so that they scale with a
theme's type): :func:`node_sizes`, :func:`column_width`, the band of step
headers pinned above the tree (:func:`header_band_height`, :func:`place_headers`:
at the theme's size, never overlapping one another, a crowded header cut to its
first line or left out), and the scale that fits the whole tree (:func:`fit_scale`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from rnnviz.core.data.display import SHORT_LABEL, display_token
from rnnviz.core.decoding.scoring import PRUNED, length_penalty
from rnnviz.core.decoding.tree import BeamResult

#: A step whose prefixes have at most this many tokens each shows every candidate (the book's A B C <eos>).
FULL_WIDTH = 8
#: Candidates drawn per parent (besides the survivors) when the vocabulary is wider than FULL_WIDTH.
PER_PARENT = 3
#: No step draws more nodes than this; the best (by log P) win, the highlighted path always.
MAX_PER_STEP = 40
PRUNED_MODES: tuple[str, ...] = ("all", "newest", "none")
EDGE_KINDS: tuple[str, ...] = ("pruned", "kept", "hidden", "highlight")
_STATUS_NAMES = ("kept", "pruned", "finished")  # by status code


def penalty_formula(name: str, alpha: float) -> str:
    """The divisor of log P, as the tooltip writes it."""
    if name == "book":
        return f"L^{alpha:g}"
    if name == "gnmt":
        return f"((5+L)/6)^{alpha:g}"
    return "1"


@dataclass(frozen=True)
class LaidOutNode:
    """One drawn node: a candidate of the tree, the root, or a "+N more" summary."""

    node: int  # the tree's node id; -1 for a summary
    parent: int  # the parent's node id; -1 for the root
    step: int  # its column
    label: str
    prob: float  # P(token | prefix); nan for the root and summaries
    status: str  # "root" | "kept" | "pruned" | "finished" | "hidden" (a summary)
    y: float  # the centre, from the top
    height: float
    highlighted: bool = False
    hidden: int = 0  # candidates a summary stands for

    @property
    def top(self) -> float:
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class LaidOutEdge:
    """A line from a parent to a child, as indices into :attr:`TreeLayout.nodes`."""

    parent: int
    child: int
    kind: str  # "kept" | "pruned" | "hidden" | "highlight" (both ends on the highlighted path)


@dataclass(frozen=True)
class StepHeader:
    """Above a column: the step and its true counts (however few candidates are drawn)."""

    step: int  # 0 for the root's column
    lines: tuple[str, str, str]


@dataclass(frozen=True)
class TreeLayout:
    """A laid-out tree; x positions are ``step * column_width`` (see :meth:`x`)."""

    nodes: tuple[LaidOutNode, ...]  # drawing order: depth first from the root, children top to bottom
    edges: tuple[LaidOutEdge, ...]
    headers: tuple[StepHeader, ...]  # one per column shown, root first
    hidden: dict[int, int] = field(default_factory=dict)  # parent node id -> candidates not drawn
    path: frozenset[int] = frozenset()  # node ids drawn highlighted, root included
    shown: int = 0  # steps shown
    height: float = 0.0  # from the top of the first leaf to below the last
    column_width: float = 1.0

    def x(self, step: int) -> float:
        """The centre of column ``step``."""
        return step * self.column_width

    def with_column_width(self, width: float) -> TreeLayout:
        return replace(self, column_width=float(width))

    def candidates(self) -> dict[int, LaidOutNode]:
        """The drawn candidates (not the root, not the summaries) by node id."""
        return {n.node: n for n in self.nodes if n.node >= 0 and n.status != "root"}

    def drawn_at(self, step: int) -> int:
        """How many candidates of ``step`` are drawn."""
        return sum(1 for n in self.nodes if n.step == step and n.node >= 0 and n.status != "root")

    def edge_points(self, edge: LaidOutEdge, node_width: float) -> tuple[tuple[float, float], tuple[float, float]]:
        """Where an edge starts (the parent's right side) and ends (the child's left side)."""
        a, b = self.nodes[edge.parent], self.nodes[edge.child]
        return (self.x(a.step) + node_width / 2, a.y), (self.x(b.step) - node_width / 2, b.y)

    def focus(self) -> tuple[float, float]:
        """The point a view centres on when the tree is too big to fit: the newest step's survivors."""
        frontier = [n for n in self.nodes if n.step == self.shown and n.status != "hidden"]
        ys = [n.y for n in frontier if n.status != "pruned"] or [n.y for n in frontier] or [self.nodes[0].y]
        return max(0.0, self.shown - 0.5) * self.column_width, (min(ys) + max(ys)) / 2


@dataclass
class _Entry:
    """A node while the tree to draw is being chosen, before it has a place."""

    node: int
    parent: int
    step: int
    label: str
    prob: float
    status: str
    hidden: int = 0
    y: float = 0.0
    children: list[_Entry] = field(default_factory=list)


def path_ids(result: BeamResult, shown: int, highlight: int | None = None) -> frozenset[int]:
    """The highlighted path's node ids: ``highlight``'s hypothesis, else the best once all is shown."""
    node = highlight
    if node is None:
        if not result.hypotheses or shown < result.tree.num_steps:
            return frozenset()  # mid-lecture the best path would give the answer away
        node = result.best.node
    return frozenset({result.tree.root, *(n.id for n in result.tree.path(node))})


def _token(vocabulary: tuple[str, ...], token_id: int) -> str:
    return vocabulary[token_id] if 0 <= token_id < len(vocabulary) else str(token_id)


def _select(result: BeamResult, vocabulary: tuple[str, ...], root_label: str, shown: int, pruned: str,
            per_parent: int, path: frozenset[int]) -> tuple[_Entry, dict[int, int]]:
    """The entries to draw for the steps shown, as a tree hanging from the root entry."""
    tree = result.tree
    root = _Entry(tree.root, -1, 0, root_label, math.nan, "root")
    entries = {tree.root: root}
    hidden_counts: dict[int, int] = {}
    extendable = {tree.root: root}  # drawn entries whose children may be drawn
    for t in range(1, shown + 1):
        block = tree.blocks[t - 1]
        n_rows, width = block.log_probs.shape
        status = block.status.reshape(n_rows, width)
        full = width <= FULL_WIDTH
        show_pruned = pruned == "all" or (pruned == "newest" and t == shown)
        picks: list[tuple[int, int]] = []  # (row, column) to draw
        for row in np.flatnonzero(np.isin(block.parents, list(extendable))).tolist():
            first = block.first_id + row * width
            chosen = set(np.flatnonzero(status[row] != PRUNED).tolist())
            chosen.update(i - first for i in path if first <= i < first + width)
            if show_pruned:
                if full:
                    chosen = set(range(width))
                else:
                    order = np.lexsort((np.arange(width), -block.log_probs[row]))
                    chosen.update(order[:per_parent].tolist())
            picks.extend((row, c) for c in chosen)
        if len(picks) > MAX_PER_STEP:  # the highlighted path first, then survivors, then the likeliest
            def priority(pick: tuple[int, int]) -> tuple[bool, bool, float]:
                row, col = pick
                node = block.first_id + row * width + col
                return node in path, status[row, col] != PRUNED, float(block.cum_log_probs[row, col])
            picks = sorted(picks, key=priority, reverse=True)[:MAX_PER_STEP]
        by_row: dict[int, list[int]] = {}
        for row, col in picks:
            by_row.setdefault(row, []).append(col)
        extendable = {}
        for row, cols in by_row.items():
            # The book's order (token by token) when all are shown; else the likeliest on top.
            cols.sort(key=(lambda c: c) if full else (lambda c, r=row: (-block.log_probs[r, c], c)))
            parent = entries[int(block.parents[row])]
            for col in cols:
                node = block.first_id + row * width + col
                label = display_token(_token(vocabulary, int(block.tokens[col])), SHORT_LABEL)
                entry = _Entry(node, parent.node, t, label,
                               math.exp(float(block.log_probs[row, col])), _STATUS_NAMES[int(status[row, col])])
                parent.children.append(entry)
                entries[node] = entry
                if entry.status == "kept":
                    extendable[node] = entry
            hidden = width - len(cols)
            if hidden and show_pruned:
                hidden_counts[parent.node] = hidden
                parent.children.append(_Entry(-1, parent.node, t, f"+{hidden:,} more", math.nan, "hidden",
                                              hidden=hidden))
    return root, hidden_counts


def _headers(result: BeamResult, shown: int) -> tuple[StepHeader, ...]:
    out = [StepHeader(0, ("start", "", ""))]
    for summary in result.steps()[:shown]:
        survived = f"{summary.kept:,} kept" + (f", {summary.finished:,} finished" if summary.finished else "")
        out.append(StepHeader(summary.step, (f"step {summary.step}", f"{summary.considered:,} candidates", survived)))
    return tuple(out)


def layout_tree(result: BeamResult, vocabulary: tuple[str, ...] | list[str] = (), root_label: str = "<bos>",
                shown: int | None = None, *, pruned: str = "all", per_parent: int = PER_PARENT,
                highlight: int | None = None, node_height: float = 2.0, small_height: float = 1.0,
                gap: float = 0.25, column_width: float = 1.0) -> TreeLayout:
    """Lay out ``result``'s tree for its first ``shown`` steps (all when None); see the module docstring.

    ``highlight`` is a hypothesis's node whose path is highlighted at every
    step; without it the best hypothesis is, once every step is shown.
    """
    if pruned not in PRUNED_MODES:
        raise ValueError(f"pruned mode must be one of {', '.join(PRUNED_MODES)}, not {pruned!r}")
    total = result.tree.num_steps
    shown = total if shown is None else max(0, min(int(shown), total))
    vocabulary = tuple(vocabulary)
    path = path_ids(result, shown, highlight)
    root, hidden = _select(result, vocabulary, root_label, shown, pruned, max(1, int(per_parent)), path)

    def height(entry: _Entry) -> float:
        return small_height if entry.status in ("pruned", "hidden") else node_height

    cursor = 0.0

    def place(entry: _Entry) -> None:  # leaves stack top to bottom; a parent sits mid-children
        nonlocal cursor
        if not entry.children:
            entry.y = cursor + height(entry) / 2
            cursor += height(entry) + gap
            return
        for child in entry.children:
            place(child)
        entry.y = (entry.children[0].y + entry.children[-1].y) / 2

    place(root)
    nodes: list[LaidOutNode] = []
    edges: list[LaidOutEdge] = []

    def emit(entry: _Entry, parent_index: int | None, parent_on_path: bool) -> None:
        on_path = entry.node in path and entry.node >= 0
        index = len(nodes)
        nodes.append(LaidOutNode(entry.node, entry.parent, entry.step, entry.label, entry.prob, entry.status,
                                 entry.y, height(entry), on_path, entry.hidden))
        if parent_index is not None:
            kind = "highlight" if on_path and parent_on_path else \
                entry.status if entry.status in ("pruned", "hidden") else "kept"
            edges.append(LaidOutEdge(parent_index, index, kind))
        for child in entry.children:
            emit(child, index, on_path)

    emit(root, None, False)
    return TreeLayout(tuple(nodes), tuple(edges), _headers(result, shown), hidden, path, shown,
                      max(cursor - gap, 0.0), float(column_width))


def node_tooltip(result: BeamResult, node: int, vocabulary: tuple[str, ...] | list[str] = (),
                 root_label: str = "<bos>") -> str:
    """What hovering a node shows: the hypothesis, its probabilities and its score."""
    tree = result.tree
    vocabulary = tuple(vocabulary)
    if node == tree.root:
        return f"{root_label}: the start of every hypothesis (log P = 0)"
    n = tree.node(node)
    tokens = tree.tokens(node)
    words = " ".join(_token(vocabulary, t) for t in tokens)
    prefix = " ".join(_token(vocabulary, t) for t in tokens[:-1]) or root_label
    opts = result.options
    divisor = length_penalty(n.step, opts.length_penalty, opts.alpha)
    lines = [f"{words}",
             f"P({_token(vocabulary, n.token)} | {prefix}) = {math.exp(n.log_prob):.4g}",
             f"cumulative log P = {n.cum_log_prob:.4f}   (P = {math.exp(n.cum_log_prob):.4g})",
             f"score = log P / {penalty_formula(opts.length_penalty, opts.alpha)} = {n.cum_log_prob:.4f} / "
             f"{divisor:.4g} = {n.score:.4f}   (L = {n.step}, {opts.length_penalty} penalty)",
             {"kept": "kept: survives this step and is extended",
              "finished": "finished: survives ending in <eos>",
              "pruned": "pruned: not among the best of this step"}[n.status]]
    return "\n".join(lines)


def step_text(result: BeamResult, step: int, root_label: str = "<bos>", drawn: int | None = None) -> str:
    """What a step did, in words: "step 2 of 4: 8 candidates (2 prefixes × 4 tokens), 2 kept, …";
    ``drawn`` (candidates drawn of that step) is added when fewer than all are drawn."""
    if step == 0:
        return (f"start: the root {root_label}; {result.tree.num_steps} steps in all. "
                "Next ▶ shows the candidates of step 1.")
    summary = result.steps()[step - 1]
    prefixes, tokens = result.tree.blocks[step - 1].log_probs.shape
    noun = "prefix" if prefixes == 1 else "prefixes"
    text = (f"step {step} of {result.tree.num_steps}: {summary.considered:,} candidates ({prefixes:,} {noun} × "
            f"{tokens:,} tokens), {summary.kept:,} kept, {summary.finished:,} finished, "
            f"{summary.pruned:,} pruned")
    if drawn is not None and drawn < summary.considered:
        text += f"; {drawn} drawn"
    return text


# ---------------------------------------------------------------- the drawing's numbers


def node_sizes(token_height: float, prob_height: float, scale: float) -> tuple[float, float, float]:
    """(node height, pruned/summary height, gap between leaves) for fonts of these line heights.
    Pruned leaves are most of a tree's height: kept tight, so that a fitted tree's text stays large."""
    return token_height + prob_height + 10 * scale, prob_height + 5 * scale, 5 * scale


def column_width(node_width: float, header_width: float, scale: float) -> float:
    """The distance between two steps' columns: room for the edges between nodes, and for a
    header's widest line with a gap (so that headers fit between columns at the drawing's size)."""
    return max(node_width + 56 * scale, header_width + 24 * scale)


def header_band_height(line_height: float, scale: float) -> float:
    """The band of step headers above the tree: three lines and a margin."""
    return 3 * line_height + 10 * scale


@dataclass(frozen=True)
class HeaderBox:
    """Where a step's header is drawn, in view coordinates; ``lines`` are those shown."""

    step: int
    lines: tuple[str, ...]
    left: float
    top: float
    width: float
    line_height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + len(self.lines) * self.line_height


def place_headers(headers: Sequence[StepHeader], centres: Sequence[float], measure: Callable[[str, int], float],
                  line_height: float, view_width: float, top: float = 4.0, gap: float = 8.0) -> tuple[HeaderBox, ...]:
    """The headers' boxes: each centred over its column (``centres``, view x), the edge ones kept
    inside ``[0, view_width]``, at the text's own size (``measure(line, index)``: its width).

    Left to right, a header that would come closer than ``gap`` to the last one placed shows only
    its first line ("step 3"); if even that does not fit, it is left out. So no two overlap, however
    close the columns (a tree fitted small) or large the type (a projector's).
    """
    boxes: list[HeaderBox] = []
    right = -math.inf
    for header, centre in sorted(zip(headers, centres), key=lambda pair: pair[1]):
        lines = tuple(line for line in header.lines if line) or header.lines[:1]
        for shown in (lines, lines[:1]):
            width = max(measure(line, i) for i, line in enumerate(shown)) + 4
            if width > view_width - 4:
                continue
            left = min(max(centre - width / 2, 2.0), view_width - width - 2)
            if left + width < 0 or left > view_width:
                break  # off screen
            if left >= right + gap:
                boxes.append(HeaderBox(header.step, shown, left, top, width, line_height))
                right = left + width
                break
    return tuple(boxes)


def fit_scale(width: float, height: float, view_width: float, view_height: float, band: float,
              max_scale: float = math.inf) -> float:
    """The largest scale (at most ``max_scale``) at which a drawing ``width`` × ``height`` fits a view
    ``view_width`` × ``view_height`` below a band of ``band`` (view units, not scaled)."""
    if width <= 0 or height <= 0:
        return 1.0
    return max(1e-6, min(view_width / width, max(1.0, view_height - band) / height, max_scale))
