"""What a beam search returns: its hypotheses and the tree of every candidate it scored.

:class:`BeamTree` keeps every candidate scored, one node each: the root (id 0,
token ``ROOT_TOKEN``, step 0), then step by step the candidates in beam order
(the parents' rank, then token id). Statuses: ``"kept"`` (survived and was
extended, or unfinished at ``max_len``), ``"finished"`` (survived ending in
``<eos>``), ``"pruned"``. A step is stored compactly (:class:`StepBlock`: a few
arrays, even for 5 × 10,000 candidates); the tree builds read-only numpy columns
(``parent_ids``, ``scores``, ...) on first use, so a view can draw thousands of
nodes; :meth:`BeamTree.node` and :attr:`BeamTree.nodes` give :class:`BeamNode`
values, :meth:`BeamTree.steps` the per-step counts and survivors, and
:meth:`BeamTree.to_dict` plain JSON data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from rnnviz.core.decoding.scoring import KEPT, PRUNED, ROOT_TOKEN, STATUSES, BeamOptions



@dataclass(frozen=True)
class BeamNode:
    """One scored candidate: the hypothesis made of its parent's tokens and ``token``."""

    id: int
    parent: int | None  # None for the root
    token: int  # ROOT_TOKEN for the root
    step: int  # its length: 0 for the root, t for a candidate scored at step t
    log_prob: float  # log P(token | parent's tokens)
    cum_log_prob: float  # log P of the whole hypothesis
    score: float  # cum_log_prob normalised for length with the search's penalty
    status: str  # "kept" | "pruned" | "finished"

    @property
    def probability(self) -> float:
        return math.exp(self.log_prob)

    @property
    def cum_probability(self) -> float:
        return math.exp(self.cum_log_prob)


@dataclass(frozen=True)
class Hypothesis:
    tokens: tuple[int, ...]  # the token ids, <eos> included when finished
    log_prob: float  # log P(tokens)
    score: float  # log_prob normalised for length
    finished: bool  # ends in <eos>
    node: int  # its node in the tree

    @property
    def probability(self) -> float:
        return math.exp(self.log_prob)

    def to_dict(self, tokens: Sequence[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"ids": list(self.tokens)}
        if tokens is not None:
            out["tokens"] = [tokens[i] for i in self.tokens]
        out.update(log_prob=_json_float(self.log_prob), probability=self.probability, score=_json_float(self.score),
                   finished=self.finished, node=self.node)
        return out


@dataclass(frozen=True)
class StepSummary:
    """One step of the search, as a view shows it: "considered candidates, k survive"."""

    step: int
    considered: int  # candidates scored (live prefixes × tokens, <eos> excluded before min_len)
    kept: int
    finished: int
    pruned: int
    survivors: tuple[int, ...]  # node ids of the kept and finished candidates, best first


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None  # JSON has no -Infinity: probability 0 is null


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class StepBlock:
    """One step's candidates, stored compactly: ``N`` prefixes × ``A`` tokens.

    The candidate at flat index ``i = row·A + column`` extends ``parents[row]``
    with ``tokens[column]`` and has node id ``first_id + i``. Kept this way, a
    step of a 10,000-word model costs a few arrays, not 50,000 objects; the
    tree's columns and nodes are built from the blocks only when asked for.
    """

    step: int
    first_id: int
    parents: np.ndarray  # (N,) node ids of the prefixes extended, in beam order
    tokens: np.ndarray  # (A,) the token ids scored after each prefix (no <eos> before min_len)
    log_probs: np.ndarray  # (N, A) log P(token | prefix)
    cum_log_probs: np.ndarray  # (N, A) log P(prefix + token)
    penalty: float  # the length penalty at this step (every candidate has length `step`)
    survivors: np.ndarray  # flat indices of the kept and finished candidates, best first
    survivor_codes: np.ndarray  # their status codes (KEPT or FINISHED)

    @property
    def size(self) -> int:
        return int(self.log_probs.size)

    def scores(self, cum: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return cum / self.penalty

    @cached_property
    def status(self) -> np.ndarray:
        """(N·A,) status codes of every candidate."""
        codes = np.full(self.size, PRUNED, dtype=np.int8)
        codes[self.survivors] = self.survivor_codes
        return _readonly(codes)


@dataclass(frozen=True, eq=False)
class BeamTree:
    """Every node the search scored; node ids run from the root (0) step by step.

    Per node: :meth:`node`, or all at once as :attr:`nodes`; for drawing many,
    the read-only columns ``parent_ids`` (-1 for the root), ``token_ids``
    (``ROOT_TOKEN`` for the root), ``step_ids``, ``log_probs``,
    ``cum_log_probs``, ``scores`` and ``status_codes`` (index into ``STATUSES``),
    each of shape (len(tree),). ``blocks`` is the compact form they are built from.
    """

    blocks: tuple[StepBlock, ...]
    root: int = 0

    def __len__(self) -> int:
        return self._size

    @cached_property
    def _size(self) -> int:
        return 1 + sum(b.size for b in self.blocks)

    @cached_property
    def _starts(self) -> np.ndarray:
        """(steps,) the first node id of each step: a node is found by bisection, not a walk over the steps
        (a search of 10,000 steps asks for the tokens of 10,000 × k survivors)."""
        return np.array([b.first_id for b in self.blocks], dtype=np.int64)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BeamTree):
            return NotImplemented
        return self.root == other.root and len(self) == len(other) and all(
            np.array_equal(self._columns[name], other._columns[name], equal_nan=True) for name in self._columns)

    __hash__ = None  # type: ignore[assignment]  # holds arrays: not hashable

    # -- one node at a time, without building the columns --

    def _locate(self, node_id: int) -> tuple[StepBlock, int, int]:
        if not 0 < node_id < len(self):
            raise IndexError(f"no node {node_id} in a tree of {len(self)} nodes")
        block = self.blocks[int(np.searchsorted(self._starts, node_id, side="right")) - 1]
        row, column = divmod(node_id - block.first_id, block.tokens.shape[0])
        return block, row, column

    def node(self, node_id: int) -> BeamNode:
        node_id = int(node_id)
        if node_id == self.root:
            return BeamNode(self.root, None, ROOT_TOKEN, 0, 0.0, 0.0, 0.0, "kept")
        block, row, column = self._locate(node_id)
        cum = float(block.cum_log_probs[row, column])
        return BeamNode(node_id, int(block.parents[row]), int(block.tokens[column]), block.step,
                        float(block.log_probs[row, column]), cum, float(block.scores(np.float64(cum))),
                        STATUSES[int(block.status[node_id - block.first_id])])

    def tokens(self, node_id: int, last: int | None = None) -> tuple[int, ...]:
        """The token ids of the hypothesis ending at ``node_id``; with ``last``, only its last ``last``
        (a long search's survivors are shown by their ends)."""
        out: list[int] = []
        node_id = int(node_id)
        while node_id != self.root and (last is None or len(out) < last):
            block, row, column = self._locate(node_id)
            out.append(int(block.tokens[column]))
            node_id = int(block.parents[row])
        return tuple(reversed(out))

    def path(self, node_id: int) -> tuple[BeamNode, ...]:
        """The nodes from the first token to ``node_id``, root excluded."""
        out = []
        node_id = int(node_id)
        while node_id != self.root:
            node = self.node(node_id)
            out.append(node)
            node_id = node.parent  # type: ignore[assignment]
        return tuple(reversed(out))

    def children(self, node_id: int) -> tuple[BeamNode, ...]:
        """The candidates scored after ``node_id``, in token order; () if it was not extended."""
        node_id = int(node_id)
        step = 0 if node_id == self.root else self.node(node_id).step
        if step >= len(self.blocks):
            return ()
        block = self.blocks[step]
        rows = np.flatnonzero(block.parents == node_id)
        if rows.size == 0:
            return ()
        width = block.tokens.shape[0]
        first = block.first_id + int(rows[0]) * width
        return tuple(self.node(i) for i in range(first, first + width))

    @property
    def num_steps(self) -> int:
        return len(self.blocks)

    def steps(self) -> tuple[StepSummary, ...]:
        out = []
        for b in self.blocks:
            kept = int((b.survivor_codes == KEPT).sum())
            finished = int(b.survivor_codes.size) - kept
            out.append(StepSummary(b.step, b.size, kept, finished, b.size - kept - finished,
                                   tuple(int(b.first_id + i) for i in b.survivors)))
        return tuple(out)

    # -- all nodes as columns --

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        parts: dict[str, list[np.ndarray]] = {
            "parent_ids": [np.array([-1])], "token_ids": [np.array([ROOT_TOKEN])], "step_ids": [np.array([0])],
            "log_probs": [np.zeros(1)], "cum_log_probs": [np.zeros(1)], "scores": [np.zeros(1)],
            "status_codes": [np.array([KEPT], dtype=np.int8)]}
        for b in self.blocks:
            n, width = b.log_probs.shape
            cum = b.cum_log_probs.reshape(-1)  # (N·A,)
            parts["parent_ids"].append(np.repeat(b.parents, width))
            parts["token_ids"].append(np.tile(b.tokens, n))
            parts["step_ids"].append(np.full(b.size, b.step))
            parts["log_probs"].append(b.log_probs.reshape(-1))
            parts["cum_log_probs"].append(cum)
            parts["scores"].append(b.scores(cum))
            parts["status_codes"].append(b.status)
        dtypes = {"status_codes": np.int8, "log_probs": np.float64, "cum_log_probs": np.float64,
                  "scores": np.float64}
        return {k: _readonly(np.concatenate(v).astype(dtypes.get(k, np.int64), copy=False))
                for k, v in parts.items()}

    parent_ids = property(lambda self: self._columns["parent_ids"])
    token_ids = property(lambda self: self._columns["token_ids"])
    step_ids = property(lambda self: self._columns["step_ids"])
    log_probs = property(lambda self: self._columns["log_probs"])
    cum_log_probs = property(lambda self: self._columns["cum_log_probs"])
    scores = property(lambda self: self._columns["scores"])
    status_codes = property(lambda self: self._columns["status_codes"])

    @cached_property
    def nodes(self) -> tuple[BeamNode, ...]:
        """All nodes in id order (built on first use)."""
        c = self._columns
        return tuple(BeamNode(i, None if p < 0 else p, tok, st, lp, cum, sc, STATUSES[code])
                     for i, (p, tok, st, lp, cum, sc, code) in enumerate(zip(
                         c["parent_ids"].tolist(), c["token_ids"].tolist(), c["step_ids"].tolist(),
                         c["log_probs"].tolist(), c["cum_log_probs"].tolist(), c["scores"].tolist(),
                         c["status_codes"].tolist())))

    def to_dict(self, tokens: Sequence[str] | None = None, include_pruned: bool = True) -> dict[str, Any]:
        """Plain JSON data: ``{"root", "steps", "nodes"}``. Nodes keep their ids; with
        ``include_pruned=False`` only the root, kept and finished nodes are listed (the
        ``steps`` counts still count every candidate). ``tokens`` (the vocabulary, by id)
        adds each node's ``text``. A log-probability of -inf (probability 0) is ``null``."""
        ids = range(len(self)) if include_pruned else [self.root] + sorted(
            int(b.first_id + i) for b in self.blocks for i in b.survivors)
        nodes = []
        for i in ids:
            node = self.node(i) if not include_pruned else self.nodes[i]
            entry: dict[str, Any] = {"id": node.id, "parent": node.parent, "token": node.token}
            if tokens is not None:
                entry["text"] = None if node.token == ROOT_TOKEN else tokens[node.token]
            entry.update(step=node.step, log_prob=_json_float(node.log_prob),
                         cum_log_prob=_json_float(node.cum_log_prob), score=_json_float(node.score),
                         status=node.status)
            nodes.append(entry)
        steps = [{"step": s.step, "considered": s.considered, "kept": s.kept, "finished": s.finished,
                  "pruned": s.pruned, "survivors": list(s.survivors)} for s in self.steps()]
        return {"root": self.root, "steps": steps, "nodes": nodes}


@dataclass(frozen=True)
class BeamResult:
    hypotheses: tuple[Hypothesis, ...]  # best first, at most options.nbest
    tree: BeamTree
    options: BeamOptions
    strategy: str = "beam"  # "greedy" | "beam" | "exhaustive"
    vocab_size: int = 0
    eos: int | None = None

    @property
    def best(self) -> Hypothesis:
        return self.hypotheses[0]

    def steps(self) -> tuple[StepSummary, ...]:
        return self.tree.steps()

    def to_dict(self, tokens: Sequence[str] | None = None, include_pruned: bool = True) -> dict[str, Any]:
        """``{"strategy", "options", "vocab_size", "eos", "hypotheses", "tree"}`` (see
        :meth:`Hypothesis.to_dict` and :meth:`BeamTree.to_dict`)."""
        return {"strategy": self.strategy, "options": self.options.to_dict(), "vocab_size": self.vocab_size,
                "eos": self.eos, "hypotheses": [h.to_dict(tokens) for h in self.hypotheses],
                "tree": self.tree.to_dict(tokens, include_pruned)}
