"""Contextual states: one word in two sentences, per layer and direction, for the app's bidirectional
language models (word and character level) and for the classifier's encoder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.classify import SequenceClassifier, phrasebook_data
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import build_data
from rnnviz.core.errors import DataError
from rnnviz.core.introspect.contextual import compare_contexts, cosine, reader_for_classifier, reader_for_lm
from rnnviz.core.models.factory import bundle_for

A, B = "the cat eats an apple", "the cat watches a dog"  # "cat" after the same word, before different ones


@pytest.fixture(scope="module", params=["word", "char"])
def lm_reader(request):
    data = build_data(DataConfig(corpus="phrasebook-en", task="lm", token_level=request.param, num_steps=16,
                                 batch_size=32))
    bundle = bundle_for(data, ModelConfig("lm", StackSpec("gru", (12, 12), bidirectional=True)), seed=1)
    bundle.model.eval()
    return reader_for_lm(bundle)


@pytest.fixture(scope="module")
def classifier_reader():
    data = phrasebook_data(20)
    torch.manual_seed(0)
    model = SequenceClassifier(len(data.vocab), 3, StackSpec("lstm", (8, 8), bidirectional=True), 6, 5).eval()
    return reader_for_classifier(model, data.vocab), model, data


def test_one_row_per_layer_and_direction_after_the_embedding(lm_reader) -> None:
    result = compare_contexts(lm_reader, "cat", A, B)
    assert [r.part for r in result.rows] == ["embedding", "layer 1 forward", "layer 1 backward",
                                            "layer 2 forward", "layer 2 backward"]
    assert [(r.layer, r.direction) for r in result.rows][:2] == [(0, ""), (1, "forward")]
    assert result.cosine(0) == pytest.approx(1.0)  # the embedding has no context


def test_the_same_sentence_gives_cosine_one_everywhere(lm_reader, classifier_reader) -> None:
    for reader in (lm_reader, classifier_reader[0]):
        result = compare_contexts(reader, "cat", A, A)
        assert all(r.cosine == pytest.approx(1.0) and r.norm_a == pytest.approx(r.norm_b) for r in result.rows)


def test_only_the_direction_that_read_the_change_moves(lm_reader) -> None:
    result = compare_contexts(lm_reader, "cat", A, B)
    # Layer 1 forward has read "the cat" in both; the backward direction has read different words.
    assert result.cosine(1, "forward") == pytest.approx(1.0)
    assert result.cosine(1, "backward") < 1 - 1e-5
    assert result.cosine(2, "forward") < 1 - 1e-5  # layer 2 reads layer 1's backward states too


def test_the_states_are_the_models_own(classifier_reader) -> None:
    reader, model, data = classifier_reader
    result = compare_contexts(reader, "do", "do you like cats", "you do not like cats")
    outputs = []
    with torch.no_grad():
        for text, at in (("do you like cats", 0), ("you do not like cats", 1)):
            ids = torch.tensor([data.encode(text)])  # (1, T)
            top = model.stack(model.embedding(ids.T))[0][at, 0].numpy()  # (2H,) the top layer at "do"
            outputs.append(top)
    assert result.positions == ((0, 0), (1, 1))
    assert result.cosine(2, "forward") == pytest.approx(cosine(outputs[0][:8], outputs[1][:8]), abs=1e-5)
    assert result.cosine(2, "backward") == pytest.approx(cosine(outputs[0][8:], outputs[1][8:]), abs=1e-5)


def test_a_character_model_reads_the_word_where_each_direction_has_read_it_whole() -> None:
    data = build_data(DataConfig(corpus="phrasebook-en", task="lm", token_level="char", num_steps=16, batch_size=32))
    bundle = bundle_for(data, ModelConfig("lm", StackSpec("gru", (6,), bidirectional=True)), seed=2)
    result = compare_contexts(reader_for_lm(bundle), "cat", A, "a cat")
    assert result.positions == ((4, 6), (2, 4))  # "the cat": c at 4, t at 6; "a cat": c at 2, t at 4
    assert result.cosine(0) == pytest.approx(1.0)


@pytest.mark.parametrize("word, a, b, said", [
    ("zebra", A, B, "'zebra' is not in the model's vocabulary"),
    ("cat", A, "the dog eats an apple", "'cat' is not a word of sentence B ('the dog eats an apple')"),
    ("cat", "", B, "sentence A is empty"),
    ("the cat", A, B, "give one word to compare, not 'the cat'"),
    ("   ", A, B, "give one word to compare"),
])
def test_misuse_is_said(classifier_reader, word: str, a: str, b: str, said: str) -> None:
    with pytest.raises(DataError) as error:
        compare_contexts(classifier_reader[0], word, a, b)
    assert said in str(error.value)


def test_a_repeated_word_is_compared_at_its_first_occurrence(classifier_reader) -> None:
    result = compare_contexts(classifier_reader[0], "cat", "the cat watches the cat", A)
    assert result.positions[0] == (1, 1) and any("occurs 2 times" in n for n in result.notices)


def test_cosine_of_vectors_without_direction() -> None:
    assert cosine(np.zeros(3), np.zeros(3)) == 1.0 and cosine(np.zeros(3), np.ones(3)) == 0.0
    assert cosine(np.array([1.0, 0.0]), np.array([-2.0, 0.0])) == pytest.approx(-1.0)
