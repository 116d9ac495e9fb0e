"""What the decoding views ask for: searches over a model, translations with BLEU, per-step distributions."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.data.vocab import BOS
from rnnviz.core.decoding import (
    BLEU_K,
    BeamOptions,
    d2l,
    generate,
    generate_beam,
    generate_with_distributions,
    prompt_label,
    run_search,
    search_model,
    step_distributions,
    top_k,
    translate,
    translate_and_score,
    translate_beam,
)
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.metrics import bleu
from rnnviz.core.models.factory import ModelBundle
from rnnviz.core.models.shipped import load_shipped


@pytest.fixture(scope="module")
def mt() -> ModelBundle:
    return load_shipped("mt")


@pytest.fixture(scope="module")
def lm() -> ModelBundle:
    return load_shipped("lm")


def test_run_search_by_name_and_an_unknown_name() -> None:
    toy = d2l()
    options = BeamOptions(beam_size=2, max_len=4)
    assert run_search("greedy", toy.step, toy.vocab_size, toy.eos, options).strategy == "greedy"
    assert run_search("beam", toy.step, toy.vocab_size, toy.eos, options).strategy == "beam"
    exhaustive = run_search("exhaustive", toy.step, toy.vocab_size, toy.eos, options)
    assert exhaustive.strategy == "exhaustive"
    assert exhaustive.best.score >= run_search("beam", toy.step, toy.vocab_size, toy.eos, options).best.score
    with pytest.raises(ConfigError, match="unknown strategy 'wide'"):
        run_search("wide", toy.step, toy.vocab_size, toy.eos, options)


def test_search_model_translates_as_translate_beam(mt: ModelBundle) -> None:
    options = BeamOptions(beam_size=3, max_len=mt.max_len)
    outcome = search_model(mt, "The cat is black.", "beam", options)
    beam = translate_beam(mt, "The cat is black.", options)
    assert outcome.result.hypotheses == beam.result.hypotheses
    assert outcome.root_label == BOS
    assert outcome.source_tokens == beam.source_tokens and outcome.vocabulary == beam.vocabulary
    assert not mt.model.training


def test_search_model_continues_a_prompt(lm: ModelBundle) -> None:
    options = BeamOptions(beam_size=2, max_len=5)
    outcome = search_model(lm, "the boys ", "beam", options)
    beam = generate_beam(lm, "the boys ", 5, options)
    assert outcome.result.hypotheses == beam.result.hypotheses
    assert outcome.root_label == prompt_label(beam.prefix, lm.joiner)
    with pytest.raises(DataError):
        search_model(lm, "   ", "beam", options)


def test_prompt_label_shows_spaces_of_a_character_model_and_keeps_the_end() -> None:
    assert prompt_label("the cat ", "") == "the␣cat␣"
    assert prompt_label("the cat", " ") == "the cat"
    long = prompt_label("a" * 10 + "bcdefghijklmn", " ")
    assert long == "…" + "bcdefghijklmn" and len(long) == 14


def test_translate_and_score_gives_greedy_beam_and_bleu(mt: ModelBundle) -> None:
    options = BeamOptions(beam_size=2, max_len=mt.max_len, nbest=2)
    outcome = translate_and_score(mt, "The cat is black.", "Le chat est noir.", options)
    assert outcome.greedy.tokens == translate(mt, "The cat is black.").tokens
    assert len(outcome.beam.hypotheses) == 2 == len(outcome.beam_bleu)
    ref = list(outcome.reference_tokens)
    assert ref and outcome.greedy_bleu == pytest.approx(bleu(list(outcome.greedy.tokens), ref, BLEU_K))
    without = translate_and_score(mt, "The cat is black.", "  ", options)
    assert without.greedy_bleu is None and without.beam_bleu == (None, None)
    with pytest.raises(DataError, match="translation needs a translation model"):
        translate_and_score(load_shipped("lm"), "hello", "", options)


@pytest.mark.parametrize("strategy", ["greedy", "sample", "beam"])
def test_generation_carries_the_distribution_it_chose_from(lm: ModelBundle, strategy: str) -> None:
    outcome = generate_with_distributions(lm, "the boys ", 6, strategy, temperature=0.9, seed=3, beam_size=2)
    assert outcome.probs.shape == (len(outcome.tokens), len(lm.vocabs[0])) and outcome.probs.dtype == np.float32
    np.testing.assert_allclose(outcome.probs.sum(axis=1), 1.0, atol=1e-5)
    assert outcome.text == outcome.prefix + outcome.continuation
    if strategy == "greedy":
        assert outcome.tokens == generate(lm, "the boys ", 6).tokens
        assert [top_k(row, 1)[0] for row in outcome.probs] == list(outcome.token_ids)  # the argmax each step
    if strategy == "sample":
        assert outcome.seed == 3 and outcome.temperature == pytest.approx(0.9)
    else:
        assert outcome.seed is None and outcome.temperature == 1.0
    assert (outcome.beam is not None) == (strategy == "beam")
    with pytest.raises(ConfigError, match="unknown strategy"):
        generate_with_distributions(lm, "the", 3, "nucleus")


def test_step_distributions_follow_generate(lm: ModelBundle) -> None:
    vocab = lm.vocabs[0]
    prompt = vocab.indices(list("the "))
    gen = generate(lm, "the ", 4)
    probs = step_distributions(lm, prompt, vocab.indices(list(gen.tokens)))
    assert [int(np.argmax(row)) for row in probs] == vocab.indices(list(gen.tokens))
    assert step_distributions(lm, prompt, []).shape == (0, len(vocab))


def test_top_k_breaks_ties_by_the_smaller_id() -> None:
    assert top_k(np.array([0.1, 0.4, 0.1, 0.4]), 3) == [1, 3, 0]
