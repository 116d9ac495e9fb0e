"""Beam search as a pure function: the book's example, exhaustive parity, the tree, every refusal."""

from __future__ import annotations

import itertools
import json
import math
import random

import numpy as np
import pytest
import torch

from rnnviz.core.decoding import (
    EXHAUSTIVE_LIMIT, ROOT_TOKEN, BeamOptions, BeamResult, beam_search, exhaustive_search, greedy_search,
    length_penalty, normalised_score, search_space,
)
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.decoding.toy import ToyDecoder, d2l


def random_step(vocab_size: int, seed: int, concentration: float = 1.0):
    """A step over a random table: each prefix's row drawn from a Dirichlet seeded by the prefix."""
    def row(prefix: tuple[int, ...]) -> np.ndarray:
        return np.random.default_rng([seed, len(prefix), *prefix]).dirichlet(np.full(vocab_size, concentration))

    def step(prefixes):
        return np.log(np.stack([row(p) for p in prefixes]))
    step.row = row  # type: ignore[attr-defined]
    return step


def brute_force(step, vocab_size: int, eos: int, options: BeamOptions) -> list[tuple[tuple[int, ...], float, float]]:
    """Every candidate sequence with its log P and score, best first: an independent reference."""
    out = []
    for length in range(1, options.max_len + 1):
        for seq in itertools.product(range(vocab_size), repeat=length):
            if eos in seq[:-1] or (seq[-1] == eos and length <= options.min_len):
                continue
            if eos in seq[:options.min_len]:
                continue
            finished = seq[-1] == eos
            if options.candidates == "eos" and not finished and length < options.max_len:
                continue
            log_p = sum(float(step([seq[:i]])[0, t]) for i, t in enumerate(seq))
            out.append((seq, log_p, normalised_score(log_p, length, options.length_penalty, options.alpha)))
    return sorted(out, key=lambda c: (-c[2], -c[1]))


def candidate_count(vocab_size: int, eos_present: bool, options: BeamOptions) -> int:
    if options.candidates == "book":
        return sum(search_space(vocab_size, 0 if eos_present else None, options.max_len, options.min_len))
    live, total = 1, 0
    for t in range(1, options.max_len + 1):
        total += live if t > options.min_len else 0
        live *= vocab_size - 1
    return total + live


def words(toy: ToyDecoder, result: BeamResult) -> list[str]:
    return [" ".join(toy.decode(h.tokens)) for h in result.hypotheses]


# ---- the book's example -----------------------------------------------------------------------


def test_greedy_on_the_books_example_reads_a_b_c_eos() -> None:
    toy = d2l()
    result = greedy_search(toy.step, toy.vocab_size, toy.eos)
    assert result.strategy == "greedy" and result.options.beam_size == 1
    assert words(toy, result) == ["A B C <eos>"]
    best = result.best
    assert best.finished and math.isclose(best.probability, 0.048)
    assert math.isclose(best.score, math.log(0.048) / 4 ** 0.75)


@pytest.mark.parametrize("beam_size", [2, 3])
def test_beam_search_finds_the_better_a_c_b_eos(beam_size: int) -> None:
    toy = d2l()
    result = beam_search(toy.step, toy.vocab_size, toy.eos, BeamOptions(beam_size=beam_size))
    assert words(toy, result) == ["A C B <eos>"]
    assert math.isclose(result.best.probability, 0.054) and result.best.finished


def test_exhaustive_search_agrees_on_the_books_example() -> None:
    toy = d2l()
    result = exhaustive_search(toy.step, toy.vocab_size, toy.eos, options=BeamOptions(nbest=3))
    assert words(toy, result) == ["A C B <eos>", "A B C <eos>", "A <eos>"]
    assert [round(h.probability, 6) for h in result.hypotheses] == [0.054, 0.048, 0.1]
    # every sequence up to 10 tokens, but nothing after "A B C A": the book gives A no chance there
    # (figure 10.8.1, time step 4), so that node is not expanded in its 6 further steps
    assert len(result.tree) == 1 + sum(search_space(4, 3, 10)) - sum(search_space(4, 3, 6))


def test_the_books_steps_k_of_k_times_v_survive() -> None:
    toy = d2l()
    result = beam_search(toy.step, toy.vocab_size, toy.eos, BeamOptions(beam_size=2))
    rows = [(s.step, s.considered, s.kept, s.finished, s.pruned) for s in result.steps()]
    assert rows == [(1, 4, 2, 0, 2), (2, 8, 2, 0, 6), (3, 8, 2, 0, 6), (4, 8, 0, 2, 6)]
    tree = result.tree
    survivors = [[" ".join(toy.decode(tree.tokens(i))) for i in s.survivors] for s in result.steps()]
    assert survivors == [["A", "B"], ["A B", "A C"], ["A C B", "A B C"], ["A C B <eos>", "A B C <eos>"]]


def test_the_books_literal_candidate_rule_prefers_a_short_prefix() -> None:
    # "the highest score among all the candidate sequences": every step's survivors compete, and
    # "A" (log 0.5 / 1^0.75) beats every finished sentence. Documented in rnnviz.core.decoding.beam.
    toy = d2l()
    result = beam_search(toy.step, toy.vocab_size, toy.eos, BeamOptions(candidates="book", nbest=3))
    assert words(toy, result) == ["A", "A B", "A C B <eos>"]
    assert not result.best.finished and math.isclose(result.best.log_prob, math.log(0.5))


# ---- scores ------------------------------------------------------------------------------------


def test_length_penalty_formulas() -> None:
    assert length_penalty(4, "book", 0.75) == 4 ** 0.75
    assert length_penalty(4, "book", 0.0) == 1.0
    assert length_penalty(1, "gnmt", 0.6) == 1.0  # ((5 + 1) / 6)^α
    assert length_penalty(4, "gnmt", 0.6) == pytest.approx((9 / 6) ** 0.6)
    assert length_penalty(7, "none", 0.75) == 1.0
    assert normalised_score(math.log(0.054), 4) == pytest.approx(-1.0319, abs=1e-4)
    assert normalised_score(-3.0, 0) == 0.0
    with pytest.raises(ConfigError, match="unknown length penalty 'fairseq'; choose one of book, gnmt, none"):
        length_penalty(3, "fairseq")


@pytest.mark.parametrize("penalty, alpha", [("book", 0.75), ("book", 1.3), ("gnmt", 0.6), ("none", 0.75)])
def test_hypothesis_scores_use_the_named_penalty_with_eos_counted(penalty: str, alpha: float) -> None:
    toy = d2l()
    options = BeamOptions(beam_size=3, nbest=5, length_penalty=penalty, alpha=alpha)
    result = beam_search(toy.step, toy.vocab_size, toy.eos, options)
    for h in result.hypotheses:
        assert h.log_prob == pytest.approx(toy.sequence_log_prob(h.tokens))
        assert h.score == pytest.approx(h.log_prob / length_penalty(len(h.tokens), penalty, alpha))
    scores = [h.score for h in result.hypotheses]
    assert scores == sorted(scores, reverse=True)


def test_without_length_penalty_short_sequences_win() -> None:
    toy = d2l()
    result = exhaustive_search(toy.step, toy.vocab_size, toy.eos, 6, BeamOptions(length_penalty="none", nbest=2))
    assert {tuple(toy.decode(h.tokens)) for h in result.hypotheses} == {("<eos>",), ("A", "<eos>")}  # 0.1 each


# ---- parity with exhaustive search -------------------------------------------------------------


CASES = [(v, t, seed) for v in (2, 3, 4, 5) for t in (1, 2, 3, 4) for seed in range(3) if v ** t <= 700]


@pytest.mark.parametrize("vocab_size, max_len, seed", CASES)
def test_a_beam_as_wide_as_the_search_space_is_exhaustive_search(vocab_size: int, max_len: int, seed: int) -> None:
    pick = random.Random(seed * 100 + vocab_size * 10 + max_len)
    eos = pick.choice([0, vocab_size - 1])
    min_len = pick.choice([0, 1]) if max_len > 1 and vocab_size > 1 else 0
    options = dict(max_len=max_len, min_len=min_len, candidates=pick.choice(["eos", "book"]),
                   length_penalty=pick.choice(["book", "gnmt", "none"]), alpha=pick.choice([0.5, 0.75, 1.0]))
    step = random_step(vocab_size, seed, concentration=pick.choice([0.3, 1.0]))
    width = max(search_space(vocab_size, eos, max_len, min_len))
    total = candidate_count(vocab_size, True, BeamOptions(**options))
    nbest = min(3, total, width * max_len)
    exhaustive = exhaustive_search(step, vocab_size, eos, options=BeamOptions(nbest=nbest, **options))
    beam = beam_search(step, vocab_size, eos, BeamOptions(beam_size=width, nbest=nbest, **options))
    assert [h.tokens for h in beam.hypotheses] == [h.tokens for h in exhaustive.hypotheses]
    assert [h.log_prob for h in beam.hypotheses] == pytest.approx([h.log_prob for h in exhaustive.hypotheses])
    assert beam.tree == exhaustive.tree  # same nodes, same order, nothing pruned
    reference = brute_force(step, vocab_size, eos, BeamOptions(**options))
    assert len(reference) == total
    assert [h.tokens for h in exhaustive.hypotheses] == [c[0] for c in reference[:nbest]]
    assert [h.score for h in exhaustive.hypotheses] == pytest.approx([c[2] for c in reference[:nbest]])


@pytest.mark.parametrize("seed", range(6))
def test_no_beam_beats_exhaustive_search_and_a_full_beam_matches_it(seed: int) -> None:
    # Without <eos> every hypothesis has max_len tokens, so the scores compare log P directly.
    step = random_step(4, seed)
    best = exhaustive_search(step, 4, None, 4).best.log_prob
    for k in (1, 2, 4, 16):
        assert beam_search(step, 4, None, BeamOptions(beam_size=k, max_len=4)).best.log_prob <= best + 1e-12
    assert beam_search(step, 4, None, BeamOptions(beam_size=64, max_len=4)).best.log_prob == pytest.approx(best)


# ---- the tree ------------------------------------------------------------------------------------


@pytest.mark.parametrize("beam_size, vocab_size, max_len, min_len, seed",
                         [(1, 3, 5, 0, 0), (2, 4, 6, 0, 1), (3, 5, 6, 2, 2), (4, 3, 7, 1, 3), (2, 6, 5, 0, 4)])
def test_tree_invariants(beam_size: int, vocab_size: int, max_len: int, min_len: int, seed: int) -> None:
    eos = vocab_size - 1
    step = random_step(vocab_size, seed, concentration=0.5)
    calls: list[int] = []

    def counting(prefixes):
        calls.append(len(prefixes))
        return step(prefixes)

    result = beam_search(counting, vocab_size, eos, BeamOptions(beam_size, max_len, 2, min_len))
    tree, steps = result.tree, result.steps()
    assert len(calls) == len(steps) == tree.num_steps  # one batched call per step
    assert len(tree) == 1 + sum(s.considered for s in steps) == len(tree.nodes)
    root = tree.node(tree.root)
    assert (root.parent, root.token, root.step, root.status) == (None, ROOT_TOKEN, 0, "kept")
    live = 1
    for s, batch in zip(steps, calls):
        width = vocab_size - (1 if s.step <= min_len else 0)  # <eos> is no candidate before min_len
        assert batch == live and s.considered == live * width  # N·|V| candidates from N live prefixes
        assert s.kept + s.finished == min(beam_size, s.considered)  # k survive
        assert s.kept + s.finished + s.pruned == s.considered
        nodes = [n for n in tree.nodes if n.step == s.step]
        survivors = [tree.node(i) for i in s.survivors]
        assert [n.cum_log_prob for n in survivors] == sorted((n.cum_log_prob for n in survivors), reverse=True)
        worst = min(n.cum_log_prob for n in survivors)
        assert all(n.cum_log_prob <= worst for n in nodes if n.status == "pruned")
        for node in nodes:
            parent = tree.node(node.parent)
            assert parent.step == node.step - 1 and parent.status == "kept"
            assert node.cum_log_prob == pytest.approx(parent.cum_log_prob + node.log_prob)
            assert node.log_prob == pytest.approx(float(np.log(step.row(tree.tokens(parent.id))[node.token])))
            assert node.score == pytest.approx(node.cum_log_prob / length_penalty(node.step))
            assert (node.status == "finished") == (node.status != "pruned" and node.token == eos)
            assert node.token != eos or node.step > min_len
        live = s.kept
    for node in tree.nodes[1:]:
        assert tuple(n.token for n in tree.path(node.id)) == tree.tokens(node.id)
        kids = tree.children(node.id)
        if node.status == "kept" and node.step < tree.num_steps:
            width = vocab_size - (1 if node.step + 1 <= min_len else 0)
            assert len(kids) == width and all(k.parent == node.id for k in kids)
        else:
            assert kids == ()
    assert [k.token for k in tree.children(tree.root)] == [t for t in range(vocab_size) if min_len == 0 or t != eos]
    for h in result.hypotheses:
        assert h.tokens == tree.tokens(h.node) and h.finished == (h.tokens[-1] == eos)
        assert h.finished or len(h.tokens) == max_len
        assert not h.finished or len(h.tokens) > min_len


def test_columns_match_the_nodes() -> None:
    toy = d2l()
    tree = beam_search(toy.step, toy.vocab_size, toy.eos, BeamOptions(beam_size=3)).tree
    for node in tree.nodes:
        assert tree.parent_ids[node.id] == (-1 if node.parent is None else node.parent)
        assert (tree.token_ids[node.id], tree.step_ids[node.id]) == (node.token, node.step)
        assert (tree.log_probs[node.id], tree.cum_log_probs[node.id]) == (node.log_prob, node.cum_log_prob)
        assert tree.scores[node.id] == node.score
    with pytest.raises(ValueError):
        tree.scores[0] = 1.0  # read-only
    with pytest.raises(IndexError):
        tree.node(len(tree))


def test_no_eos_runs_every_hypothesis_to_max_len() -> None:
    step = random_step(3, 7)
    result = beam_search(step, 3, None, BeamOptions(beam_size=2, max_len=5, nbest=2))
    assert all(len(h.tokens) == 5 and not h.finished for h in result.hypotheses)
    assert [s.considered for s in result.steps()] == [3, 6, 6, 6, 6]


def test_min_len_keeps_eos_out_of_the_first_steps() -> None:
    toy = d2l()
    result = beam_search(toy.step, toy.vocab_size, toy.eos, BeamOptions(beam_size=2, min_len=4, nbest=8))
    assert all(n.token != toy.eos for n in result.tree.nodes if 0 < n.step <= 4)
    assert [s.considered for s in result.steps()][:2] == [3, 6]
    assert all(len(h.tokens) >= 5 for h in result.hypotheses)
    full = exhaustive_search(toy.step, 4, toy.eos, 7, BeamOptions(min_len=4, nbest=20))
    assert any(h.finished for h in full.hypotheses)
    assert all(len(h.tokens) >= 5 for h in full.hypotheses if h.finished)
    assert not any(t == toy.eos for t in full.tree.token_ids[full.tree.step_ids <= 4])


def test_probability_zero_never_survives_and_is_null_in_json() -> None:
    toy = ToyDecoder.from_dict({"vocab": ["A", "B", "<eos>"], "eos": "<eos>",
                                "table": {"": [1.0, 0.0, 0.0]}, "default": [0.2, 0.3, 0.5]})
    result = beam_search(toy.step, 3, toy.eos, BeamOptions(beam_size=2, max_len=3))
    first = result.steps()[0]
    assert (first.kept, first.finished, first.pruned) == (1, 0, 2)  # only A is possible
    data = json.loads(json.dumps(result.to_dict(toy.vocab), allow_nan=False))
    pruned = [n for n in data["tree"]["nodes"] if n["step"] == 1 and n["status"] == "pruned"]
    assert [n["cum_log_prob"] for n in pruned] == [None, None]


def test_ties_go_to_the_earlier_token() -> None:
    uniform = ToyDecoder.from_dict({"vocab": ["x", "y", "z", "<eos>"], "eos": "<eos>", "default": [0.25] * 4})
    result = beam_search(uniform.step, 4, uniform.eos, BeamOptions(beam_size=2, max_len=2))
    assert [uniform.decode(result.tree.tokens(i)) for i in result.steps()[0].survivors] == [("x",), ("y",)]
    assert beam_search(uniform.step, 4, uniform.eos, BeamOptions(beam_size=2, max_len=2)) == result


def test_to_dict_is_json_with_counts_and_optional_pruned_nodes() -> None:
    toy = d2l()
    result = beam_search(toy.step, toy.vocab_size, toy.eos, BeamOptions(beam_size=2, nbest=2))
    data = json.loads(json.dumps(result.to_dict(toy.vocab), allow_nan=False))
    assert data["strategy"] == "beam" and data["options"]["beam_size"] == 2 and data["eos"] == 3
    assert [h["tokens"] for h in data["hypotheses"]] == [["A", "C", "B", "<eos>"], ["A", "B", "C", "<eos>"]]
    assert data["hypotheses"][0]["probability"] == pytest.approx(0.054)
    assert len(data["tree"]["nodes"]) == len(result.tree) == 29
    assert data["tree"]["nodes"][0] == {"id": 0, "parent": None, "token": -1, "text": None, "step": 0,
                                        "log_prob": 0.0, "cum_log_prob": 0.0, "score": 0.0, "status": "kept"}
    assert [s["considered"] for s in data["tree"]["steps"]] == [4, 8, 8, 8]
    small = result.tree.to_dict(toy.vocab, include_pruned=False)
    assert [n["status"] for n in small["nodes"]].count("pruned") == 0 and len(small["nodes"]) == 9
    assert small["steps"] == data["tree"]["steps"]
    assert result.tree.to_dict() ["nodes"][1].get("text", "absent") == "absent"  # no vocabulary: ids only


def test_step_may_return_a_tensor() -> None:
    toy = d2l()
    as_tensor = beam_search(lambda p: torch.from_numpy(toy.step(p)).float(), 4, toy.eos, BeamOptions(beam_size=2))
    assert as_tensor.best.tokens == toy.encode("A C B <eos>")


def test_step_must_return_log_probabilities_of_the_right_shape() -> None:
    with pytest.raises(ValueError, match=r"step returned shape \(1, 3\) for 1 prefixes; expected \(1, 4\)"):
        beam_search(lambda p: np.zeros((len(p), 3)), 4, 3)
    with pytest.raises(ValueError, match="must return log-probabilities"):
        beam_search(lambda p: np.full((len(p), 4), 0.25), 4, 3)
    with pytest.raises(DataError, match="NaN log-probabilities"):
        beam_search(lambda p: np.full((len(p), 4), np.nan), 4, 3)


def test_greedy_search_ignores_the_beam_size_and_takes_max_len() -> None:
    toy = d2l()
    result = greedy_search(toy.step, 4, toy.eos, 3, BeamOptions(beam_size=3, max_len=9))
    assert result.options.beam_size == 1 and result.options.max_len == 3
    assert toy.decode(result.best.tokens) == ("A", "B", "C") and not result.best.finished


# ---- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("options, message", [
    (dict(beam_size=0), "the beam size must be at least 1, not 0"),
    (dict(beam_size=-2), "the beam size must be at least 1, not -2"),
    (dict(beam_size=1.5), "beam size must be a whole number, not 1.5"),
    (dict(beam_size=True), "beam size must be a whole number, not True"),
    (dict(max_len=0), "the maximum length must be at least 1 token, not 0"),
    (dict(nbest=0), "nbest must be at least 1, not 0"),
    (dict(min_len=-1), "the minimum length cannot be negative"),
    (dict(min_len=10, max_len=10), r"the minimum length \(10\) must be below the maximum length \(10\)"),
    (dict(alpha=-0.5), "alpha must be a number of at least 0, not -0.5"),
    (dict(alpha=math.nan), "alpha must be a number of at least 0, not nan"),
    (dict(alpha="0.7"), "alpha must be a number of at least 0, not '0.7'"),
    (dict(length_penalty="fairseq"), "unknown length penalty 'fairseq'; choose one of book, gnmt, none"),
    (dict(candidates="all"), "unknown candidate rule 'all'; choose one of book, eos"),
])
def test_bad_options_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BeamOptions(**options)


def never(prefixes):
    raise AssertionError("the search should have refused before calling step")


@pytest.mark.parametrize("call, message", [
    (lambda: beam_search(never, 2, 1, BeamOptions(beam_size=3, max_len=2)),
     "a beam of 3 is wider than the search space: with 2 tokens and max_len 2, at most 2 candidates compete"),
    (lambda: beam_search(never, 4, 3, BeamOptions(beam_size=2, max_len=3, nbest=7)),
     "nbest 7 is more than can exist: a beam of 2 keeps at most 2 candidates per step, 6 in 3 steps"),
    (lambda: beam_search(never, 4, 5, BeamOptions()), "the <eos> id 5 is not in a vocabulary of 4 tokens"),
    (lambda: beam_search(never, 0, None, BeamOptions()), "the vocabulary must have at least one token, not 0"),
    (lambda: beam_search(never, 1, 0, BeamOptions(beam_size=1, max_len=3, min_len=1)),
     "nothing can be generated: the vocabulary holds only <eos>"),
    (lambda: beam_search(never, 2, 1, BeamOptions(beam_size=2, max_len=2, nbest=4)),
     "nbest 4 is more than can exist: with 2 tokens and max_len 2 there are only 3 candidate sequences"),
    (lambda: exhaustive_search(never, 10, 9, 6),
     "exhaustive search over 10 tokens up to length 6 would score more than 200,000 sequences; max_len 5 fits"),
    (lambda: exhaustive_search(never, 10, 9, 3, limit=50), "more than 50 sequences; max_len 1 fits"),
    (lambda: exhaustive_search(never, 300, 0, 3, limit=50), "no max_len fits"),
])
def test_searches_that_cannot_fit_the_vocabulary_are_refused(call, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        call()


def test_exhaustive_limit_is_the_documented_200k() -> None:
    assert EXHAUSTIVE_LIMIT == 200_000
    toy = d2l()  # 4 tokens, max_len 10: 118,096 sequences, within the limit
    assert sum(search_space(4, 3, 10)) == 118_096
    assert exhaustive_search(toy.step, 4, toy.eos, 10).best.tokens == toy.encode("A C B <eos>")
