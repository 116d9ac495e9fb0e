"""Beam search (the book's section 10.8) as a pure function, recording the tree it explores.

Everything here works on a ``step`` callable and token ids; it knows nothing of
models, vocabularies or Qt. The same search decodes a seq2seq model
(:mod:`rnnviz.core.decoding.model_beam`) and a toy probability table
(:mod:`rnnviz.core.decoding.toy`).

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
(:func:`rnnviz.core.decoding.toy.d2l`) with α = 0.75 it returns "A" (log 0.5 / 1).

The tree it records is described in :mod:`rnnviz.core.decoding.tree`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rnnviz.core.decoding.scoring import (
    EXHAUSTIVE_CHUNK,
    EXHAUSTIVE_LIMIT,
    FINISHED,
    KEPT,
    BeamOptions,
    Prefix,
    Step,
    _is_int,
    length_penalty,
)
from rnnviz.core.decoding.tree import BeamResult, BeamTree, Hypothesis, StepBlock, _readonly
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.limits import BEAM_TREE_BYTES, format_bytes



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
        # Past the cap the exact count does not matter; |V|^t over a long min_len would be a huge integer.
        live = min(live * (vocab_size - (0 if eos is None else 1)), cap + 1)
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
        _check_tree_size(vocab_size, options)
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


def tree_bytes(vocab_size: int, options: BeamOptions) -> int:
    """At most how many bytes a beam search's tree records: every step scores beam_size × |V|
    candidates and keeps their log-probabilities and cumulative ones (float64 each)."""
    return options.max_len * options.beam_size * vocab_size * 16


def _check_tree_size(vocab_size: int, options: BeamOptions) -> None:
    size = tree_bytes(vocab_size, options)
    if not BEAM_TREE_BYTES.contains(size):
        raise ConfigError(f"a search of up to {options.max_len:,} steps with a beam of {options.beam_size} over "
                          f"{vocab_size:,} tokens would record up to {format_bytes(size)} of tree, more than the "
                          f"{format_bytes(BEAM_TREE_BYTES.hi)} allowed: lower the maximum length or the beam.")


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
        fits = 0  # the longest max_len that fits; the counts only grow with it
        for t in range(1, options.max_len):
            if sum(search_space(vocab_size, eos, t, options.min_len, cap=limit)) > limit:
                break
            fits = t
        hint = f"max_len {fits} fits" if fits else "no max_len fits"
        raise ConfigError(f"exhaustive search over {vocab_size} tokens up to length {options.max_len} would score "
                          f"more than {limit:,} sequences; {hint}, or use beam search.")
    return _search(step, vocab_size, eos, options, "exhaustive")
