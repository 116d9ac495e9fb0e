"""Beam search (the book's section 10.8) as a pure function, recording the tree it explores.

Everything here works on a ``step`` callable and token ids; it knows nothing of
models, vocabularies or Qt. The same search decodes a seq2seq model
(:mod:`rnnviz.core.decoding`) and a toy probability table (:mod:`rnnviz.core.toy`).

The step contract
-----------------
``step(prefixes)`` receives the list of live prefixes, each a tuple of token
ids *without* ``<bos>`` (the first call gets ``[()]``), and returns the
log-probabilities of the next token for every prefix at once: an array or a
tensor of shape ``(len(prefixes), vocab_size)``. Beam search calls it exactly
once per step with all live hypotheses (batched); exhaustive search calls it
once per level, in chunks of at most :data:`EXHAUSTIVE_CHUNK` prefixes.

The algorithm
-------------
At step t every live prefix is extended by every token: ``N·|V|`` candidates
(``<eos>`` left out while ``t <= min_len``). The ``beam_size`` candidates with
the highest log-probability ``log P(y_1..y_t)`` survive (the book ranks by the
conditional probability; the length-normalised score only picks the final
output). A survivor ending in ``<eos>`` is *finished*: it leaves the beam, which
therefore narrows; the other survivors are *kept* and extended at step t+1.
This makes a beam of 1 exactly greedy decoding, and every step exactly
"k of N·|V| candidates survive". A beam may be wider than the vocabulary (from
step 2 on there are N·|V| candidates); only a beam wider than every step of the
whole search space is refused, since it could not change anything: a beam that
wide *is* exhaustive search. The search stops after ``max_len`` steps or
when no live hypothesis is left; it never stops early on a score bound, since
a normalised score can still rise with length. Candidates of probability 0
never survive. Ties are broken by position: earlier beam, then smaller token id.

Lengths and scores
------------------
``L`` is the number of tokens in a hypothesis *including* its final ``<eos>``
when it has one, and ``log P`` includes the log-probability of that ``<eos>``:
the book's score ``1/L^α · Σ_{t=1..L} log P(y_t | y_<t, c)`` with the same L in
the sum and the normaliser. (The book says to "discard portions including and
after <eos>" from the output; we drop ``<eos>`` when showing text, but keep it
in the score, since P(<eos>) is what tells a finished sentence from a cut one.)
Penalties by name: ``"book"`` divides by ``L^α`` (α = 0.75 by default),
``"gnmt"`` by ``((5 + L)/6)^α`` (Wu et al. 2016), ``"none"`` by 1.

Final candidates
----------------
``candidates="eos"`` (the default): the finished hypotheses, plus the live ones
still unfinished after ``max_len`` steps. ``candidates="book"``: the book's
literal rule, "the sequence with the highest score among all the candidate
sequences", where the candidates are the k survivors of *every* step, finished
or not. With it a short unfinished prefix often wins: on the book's own example
(:func:`rnnviz.core.toy.d2l`) with α = 0.75 it returns "A" (log 0.5 / 1).

The tree
--------
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rnnviz.core.errors import ConfigError, DataError

if TYPE_CHECKING:
    from torch import Tensor

Prefix = tuple[int, ...]
#: ``step(prefixes) -> log-probabilities (len(prefixes), vocab_size)``, array or tensor.
Step = Callable[[list[Prefix]], "np.ndarray | Tensor"]

LENGTH_PENALTIES: tuple[str, ...] = ("book", "gnmt", "none")
CANDIDATE_RULES: tuple[str, ...] = ("book", "eos")
STRATEGIES: tuple[str, ...] = ("greedy", "beam", "exhaustive")
STATUSES: tuple[str, ...] = ("kept", "pruned", "finished")  # index = the code in BeamTree.status_codes
KEPT, PRUNED, FINISHED = 0, 1, 2
ROOT_TOKEN = -1  # the root's token: it stands for <bos>, or the prompt, and is no vocabulary entry
#: Exhaustive search refuses a search space with more nodes (scored sequences) than this.
EXHAUSTIVE_LIMIT = 200_000
#: Exhaustive search hands ``step`` at most this many prefixes per call.
EXHAUSTIVE_CHUNK = 8192


# ---- options and scores ------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclass(frozen=True)
class BeamOptions:
    """How to search. Invalid values raise :class:`ConfigError` with a message for the user.

    Checks that need the vocabulary or the strategy (a beam wider than the
    search space, an ``nbest`` beyond what a beam of ``beam_size`` can keep in
    ``max_len`` steps or beyond the sequences that exist) happen in the search
    functions, with the same kind of error.
    """

    beam_size: int = 2  # k: candidates that survive each step (1 = greedy); ignored by exhaustive search
    max_len: int = 10  # at most this many tokens per hypothesis, <eos> included
    nbest: int = 1  # how many hypotheses to return, best first (fewer if fewer candidates survive)
    min_len: int = 0  # <eos> is not a candidate at steps 1..min_len: at least min_len tokens before it
    alpha: float = 0.75  # the exponent α of the length penalty (the book's 0.75)
    length_penalty: Literal["book", "gnmt", "none"] = "book"
    candidates: Literal["book", "eos"] = "eos"  # which survivors compete for the final output

    def __post_init__(self) -> None:
        for name in ("beam_size", "max_len", "nbest", "min_len"):
            value = getattr(self, name)
            if not _is_int(value):
                raise ConfigError(f"{name.replace('_', ' ')} must be a whole number, not {value!r}.")
        if self.beam_size < 1:
            raise ConfigError(f"the beam size must be at least 1, not {self.beam_size}.")
        if self.max_len < 1:
            raise ConfigError(f"the maximum length must be at least 1 token, not {self.max_len}.")
        if self.min_len < 0:
            raise ConfigError(f"the minimum length cannot be negative ({self.min_len}).")
        if self.min_len >= self.max_len:
            raise ConfigError(f"the minimum length ({self.min_len}) must be below the maximum length "
                              f"({self.max_len}), or <eos> could never end a hypothesis.")
        if self.nbest < 1:
            raise ConfigError(f"nbest must be at least 1, not {self.nbest}.")
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float, np.floating)) \
                or not math.isfinite(self.alpha) or self.alpha < 0:
            raise ConfigError(f"alpha must be a number of at least 0, not {self.alpha!r}.")
        if self.length_penalty not in LENGTH_PENALTIES:
            raise ConfigError(f"unknown length penalty {self.length_penalty!r}; choose one of "
                              f"{', '.join(LENGTH_PENALTIES)}.")
        if self.candidates not in CANDIDATE_RULES:
            raise ConfigError(f"unknown candidate rule {self.candidates!r}; choose one of "
                              f"{', '.join(CANDIDATE_RULES)}.")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def length_penalty(length: int, name: str = "book", alpha: float = 0.75) -> float:
    """The divisor of ``log P`` for a hypothesis of ``length`` tokens (``<eos>`` included)."""
    if name == "book":
        return float(length) ** alpha
    if name == "gnmt":
        return ((5.0 + length) / 6.0) ** alpha
    if name == "none":
        return 1.0
    raise ConfigError(f"unknown length penalty {name!r}; choose one of {', '.join(LENGTH_PENALTIES)}.")


def normalised_score(log_prob: float, length: int, name: str = "book", alpha: float = 0.75) -> float:
    """``log_prob / length_penalty(length)``; 0 for the empty root (length 0)."""
    if length == 0:
        return 0.0
    return log_prob / length_penalty(length, name, alpha)


# ---- results -----------------------------------------------------------------------------------


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
        return 1 + sum(b.size for b in self.blocks)

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
        starts = [b.first_id for b in self.blocks]
        block = self.blocks[int(np.searchsorted(starts, node_id, side="right")) - 1]
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

    def tokens(self, node_id: int) -> tuple[int, ...]:
        """The token ids of the hypothesis ending at ``node_id``."""
        out = []
        node_id = int(node_id)
        while node_id != self.root:
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


# ---- the search space --------------------------------------------------------------------------


def search_space(vocab_size: int, eos: int | None, max_len: int, min_len: int = 0,
                 cap: int | None = None) -> tuple[int, ...]:
    """How many candidates exhaustive search scores at each step 1..max_len.

    With ``cap``, counting stops after the first step whose count exceeds it
    (the counts grow like |V|^t and would otherwise be huge integers).
    """
    counts: list[int] = []
    live = 1
    for t in range(1, max_len + 1):
        eos_allowed = eos is not None and t > min_len
        counts.append(live * (vocab_size - (0 if eos is None or eos_allowed else 1)))
        live *= vocab_size - (0 if eos is None else 1)  # every non-<eos> candidate stays live
        if cap is not None and counts[-1] > cap:
            break
    return tuple(counts)


def _candidate_sequences(vocab_size: int, eos: int | None, max_len: int, min_len: int, rule: str,
                         cap: int) -> int:
    """How many final candidates exist in the whole search space (counting stops past ``cap``)."""
    if rule == "book":
        total = 0
        for count in search_space(vocab_size, eos, max_len, min_len, cap):
            total += count
            if total > cap:
                break
        return total
    total, live = 0, 1
    for t in range(1, max_len + 1):
        if eos is not None and t > min_len:
            total += live  # one <eos> ending per live prefix
        live *= vocab_size - (0 if eos is None else 1)
        if total > cap:
            return total
    return total + live  # plus the unfinished ones at max_len


def _check_search(vocab_size: int, eos: int | None, options: BeamOptions, strategy: str) -> None:
    if not isinstance(options, BeamOptions):
        raise TypeError(f"options must be BeamOptions, not {type(options).__name__}")
    if not _is_int(vocab_size) or vocab_size < 1:
        raise ConfigError(f"the vocabulary must have at least one token, not {vocab_size!r}.")
    if eos is not None and not (_is_int(eos) and 0 <= eos < vocab_size):
        raise ConfigError(f"the <eos> id {eos!r} is not in a vocabulary of {vocab_size} tokens.")
    first = search_space(vocab_size, eos, 1, options.min_len)[0]
    if first == 0:
        raise ConfigError(f"nothing can be generated: the vocabulary holds only <eos>, which min_len "
                          f"{options.min_len} forbids at the first step.")
    if strategy != "exhaustive":
        widest = max(search_space(vocab_size, eos, options.max_len, options.min_len, cap=options.beam_size))
        if options.nbest > options.beam_size * options.max_len:
            raise ConfigError(f"nbest {options.nbest} is more than can exist: a beam of {options.beam_size} keeps "
                              f"at most {options.beam_size} candidates per step, "
                              f"{options.beam_size * options.max_len} in {options.max_len} steps.")
        if options.beam_size > widest:
            raise ConfigError(
                f"a beam of {options.beam_size} is wider than the search space: with {vocab_size} tokens and "
                f"max_len {options.max_len}, at most {widest} candidates compete at any step, and a beam of "
                f"{widest} already keeps them all (exhaustive search).")
    exist = _candidate_sequences(vocab_size, eos, options.max_len, options.min_len, options.candidates,
                                 cap=options.nbest)
    if options.nbest > exist:
        raise ConfigError(f"nbest {options.nbest} is more than can exist: with {vocab_size} tokens and max_len "
                          f"{options.max_len} there are only {exist} candidate sequences "
                          f"(candidate rule {options.candidates!r}).")


# ---- the searches ------------------------------------------------------------------------------


def _log_probs(step: Step, prefixes: list[Prefix], vocab_size: int) -> np.ndarray:
    """Call ``step`` and check what it returned: (N, V) float64 log-probabilities."""
    out = step(prefixes)
    if hasattr(out, "detach"):  # a torch tensor; beam.py itself does not import torch
        out = out.detach().cpu().double().numpy()
    array = np.asarray(out, dtype=np.float64)
    if array.shape != (len(prefixes), vocab_size):
        raise ValueError(f"step returned shape {array.shape} for {len(prefixes)} prefixes; expected "
                         f"({len(prefixes)}, {vocab_size}): one row of log-probabilities per prefix.")
    if np.isnan(array).any():
        raise DataError("the model produced NaN log-probabilities; its weights are probably broken "
                        "(a diverged training run?).")
    if array.size and array.max() > 1e-6:
        raise ValueError(f"step returned {array.max():g}, above 0: it must return log-probabilities "
                         "(log_softmax), not logits or probabilities.")
    return array


def _expand(log_probs: np.ndarray, t: int, eos: int | None, options: BeamOptions) -> tuple[np.ndarray, np.ndarray]:
    """The tokens scored at step t and their log-probabilities (N, A): <eos> is left out before min_len."""
    tokens = np.arange(log_probs.shape[1])
    if eos is not None and t <= options.min_len:
        tokens = tokens[tokens != eos]
        log_probs = log_probs[:, tokens]  # (N, A)
    return tokens, log_probs


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest finite values, best first; ties go to the smaller index."""
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size > k:  # argpartition is O(n); the sort then only sees the top and its ties
        part = np.argpartition(-values[finite], k - 1)[:k]
        kth = values[finite[part]].min()
        finite = finite[values[finite] >= kth]
    return finite[np.lexsort((finite, -values[finite]))][:k]


def _search(step: Step, vocab_size: int, eos: int | None, options: BeamOptions, strategy: str) -> BeamResult:
    """The loop both searches share; exhaustive search keeps every candidate of probability > 0."""
    exhaustive = strategy == "exhaustive"
    blocks: list[StepBlock] = []
    next_id = 1  # the root is 0
    live_ids = np.zeros(1, dtype=np.int64)  # (N,) node ids of the live hypotheses, best first
    live_prefixes: list[Prefix] = [()]
    live_cum = np.zeros(1)  # (N,)
    for t in range(1, options.max_len + 1):
        if not live_prefixes:
            break
        if exhaustive:  # chunked calls: a level can hold thousands of prefixes
            raw = np.concatenate([_log_probs(step, live_prefixes[i:i + EXHAUSTIVE_CHUNK], vocab_size)
                                  for i in range(0, len(live_prefixes), EXHAUSTIVE_CHUNK)])
        else:  # one batched call for the whole beam
            raw = _log_probs(step, live_prefixes, vocab_size)
        tokens, log_probs = _expand(raw, t, eos, options)  # (A,), (N, A)
        cum = live_cum[:, None] + log_probs  # (N, A)
        flat = cum.reshape(-1)  # (N·A,) parent-major: row = flat // A, column = flat % A
        if exhaustive:
            chosen = np.flatnonzero(np.isfinite(flat))
            chosen = chosen[np.lexsort((chosen, -flat[chosen]))]  # best first, like a beam's survivors
        else:
            chosen = _top(flat, options.beam_size)
        rows, columns = np.divmod(chosen, tokens.shape[0])
        ended = tokens[columns] == eos if eos is not None else np.zeros(chosen.shape[0], dtype=bool)
        codes = np.where(ended, FINISHED, KEPT).astype(np.int8)
        blocks.append(StepBlock(t, next_id, _readonly(live_ids), _readonly(tokens), _readonly(log_probs),
                                _readonly(cum), length_penalty(t, options.length_penalty, options.alpha),
                                _readonly(chosen), _readonly(codes)))
        carried = ~ended  # survivors that go on to the next step, best first
        live_prefixes = [live_prefixes[r] + (int(tokens[c]),) for r, c in zip(rows[carried], columns[carried])]
        live_ids = next_id + chosen[carried]
        live_cum = flat[chosen[carried]]
        next_id += flat.shape[0]
    return _rank(BeamTree(tuple(blocks)), eos, options, strategy, vocab_size)


def _rank(tree: BeamTree, eos: int | None, options: BeamOptions, strategy: str, vocab_size: int) -> BeamResult:
    """Pick the final candidates by the options' rule and rank them by score (then log P, then id)."""
    ids, cums, scores, codes = [], [], [], []
    for b in tree.blocks:
        codes_b = b.survivor_codes
        if options.candidates == "eos":  # finished ones, and the unfinished ones left after step max_len
            take = (codes_b == FINISHED) | (b.step == options.max_len)
        else:  # the book: every step's survivors
            take = np.ones(codes_b.shape[0], dtype=bool)
        cum = b.cum_log_probs.reshape(-1)[b.survivors[take]]
        ids.append(b.first_id + b.survivors[take])
        cums.append(cum)
        scores.append(b.scores(cum))
        codes.append(codes_b[take])
    if not ids:
        return BeamResult((), tree, options, strategy, vocab_size, eos)
    pool, cum, score, code = (np.concatenate(x) for x in (ids, cums, scores, codes))
    order = np.lexsort((pool, -cum, -score))[:options.nbest]
    hypotheses = tuple(Hypothesis(tree.tokens(int(pool[i])), float(cum[i]), float(score[i]),
                                  bool(code[i] == FINISHED), int(pool[i])) for i in order)
    return BeamResult(hypotheses, tree, options, strategy, vocab_size, eos)


def beam_search(step: Step, vocab_size: int, eos: int | None, options: BeamOptions = BeamOptions(),
                *, strategy: str = "beam") -> BeamResult:
    """Beam search over ``step`` (see the module docstring for the rules it follows).

    ``eos`` is the id that ends a hypothesis, or None when nothing does (a
    language model without ``<eos>``: every hypothesis runs to ``max_len``).
    Raises :class:`ConfigError` when the options cannot fit the vocabulary.
    ``strategy`` only labels the result ("greedy" for a beam of 1 run by
    :func:`greedy_search`).
    """
    _check_search(vocab_size, eos, options, strategy)
    return _search(step, vocab_size, eos, options, strategy)


def _max_len(max_len: int | None) -> dict[str, int]:
    return {} if max_len is None else {"max_len": max_len}


def greedy_search(step: Step, vocab_size: int, eos: int | None, max_len: int | None = None,
                  options: BeamOptions | None = None) -> BeamResult:
    """Beam search with a beam of 1: the most likely token at every step.

    ``max_len`` (if given) replaces ``options.max_len``; the beam size is 1
    whatever ``options`` says. The other options apply as in beam search.
    """
    options = replace(options or BeamOptions(), beam_size=1, **_max_len(max_len))
    return beam_search(step, vocab_size, eos, options, strategy="greedy")


def exhaustive_search(step: Step, vocab_size: int, eos: int | None, max_len: int | None = None,
                      options: BeamOptions | None = None, *, limit: int = EXHAUSTIVE_LIMIT) -> BeamResult:
    """Score every sequence up to ``max_len`` tokens and rank them like beam search.

    Every candidate of probability > 0 survives (is kept or finished) and is
    extended; ``options.beam_size`` is ignored, ``max_len`` (if given) replaces
    ``options.max_len``. Refuses, with a :class:`ConfigError`, a search space of
    more than ``limit`` nodes, before calling ``step``.
    """
    options = replace(options or BeamOptions(), **_max_len(max_len))
    _check_search(vocab_size, eos, options, "exhaustive")
    sizes = search_space(vocab_size, eos, options.max_len, options.min_len, cap=limit)
    if sum(sizes) > limit:
        fits = [t for t in range(1, options.max_len) if sum(search_space(vocab_size, eos, t, options.min_len)) <= limit]
        hint = f"max_len {fits[-1]} fits" if fits else "no max_len fits"
        raise ConfigError(f"exhaustive search over {vocab_size} tokens up to length {options.max_len} would score "
                          f"more than {limit:,} sequences; {hint}, or use beam search.")
    return _search(step, vocab_size, eos, options, "exhaustive")


__all__ = [
    "BeamNode", "BeamOptions", "BeamResult", "BeamTree", "CANDIDATE_RULES", "EXHAUSTIVE_LIMIT", "Hypothesis",
    "LENGTH_PENALTIES", "ROOT_TOKEN", "STATUSES", "STRATEGIES", "Step", "StepBlock", "StepSummary", "beam_search",
    "exhaustive_search", "greedy_search", "length_penalty", "normalised_score", "search_space",
]
