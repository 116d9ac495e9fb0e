"""Decoding with a model: language-model continuation and greedy translation, with their notices."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from rnnviz.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import LmData, MtData, build_data
from rnnviz.core.data.vocab import BOS, EOS, UNK
from rnnviz.core.decoding import BIDIRECTIONAL_LM_NOTICE, generate, translate
from rnnviz.core.errors import DataError
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.train import Finished, run, train

PAIRS = ["go .\tva !", "i lost .\tj'ai perdu .", "he's calm .\til est calme .", "i'm home .\tje suis chez moi .",
         "we ran .\tnous avons couru .", "i won !\tj'ai gagné !", "he ran .\til a couru .", "go away .\tva-t'en ."]
NUM_STEPS = 5


def lm_data(folder: Path, text: str, **kwargs) -> LmData:
    path = folder / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8, **kwargs))
    assert isinstance(data, LmData)
    return data


def trained(data: LmData, config: ModelConfig, epochs: int = 3) -> ModelBundle:
    bundle = bundle_for(data, config, seed=0)
    final = run(train(bundle.model, data, TrainConfig(epochs=epochs, lr=0.05, optimizer="adam")))
    assert isinstance(final, Finished)
    return bundle


@pytest.fixture(scope="module")
def char_data(tmp_path_factory: pytest.TempPathFactory) -> LmData:
    # A user file: cleaned with the "lower" rule, so '.' is a token (vocabulary: <unk> . a b c).
    return lm_data(tmp_path_factory.mktemp("char"), "abc." * 150)


@pytest.fixture(scope="module")
def char_bundle(char_data: LmData) -> ModelBundle:
    return trained(char_data, ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(16,))))


@pytest.fixture(scope="module")
def untrained(char_data: LmData) -> ModelBundle:
    return bundle_for(char_data, ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(16,))), seed=3)


@pytest.fixture(scope="module")
def word_bundle(tmp_path_factory: pytest.TempPathFactory) -> ModelBundle:
    data = lm_data(tmp_path_factory.mktemp("word"), "the cat sat on the mat . " * 40, token_level="word")
    return bundle_for(data, ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(8,)), embed_size=4))


@pytest.fixture(scope="module")
def mt_data(tmp_path_factory: pytest.TempPathFactory) -> MtData:
    path = tmp_path_factory.mktemp("mt") / "pairs.tsv"
    path.write_text("\n".join(PAIRS) + "\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=NUM_STEPS, batch_size=4, min_freq=1,
                                 val_fraction=0.0, test_fraction=0.0))
    assert isinstance(data, MtData)
    return data


@pytest.fixture
def mt_bundle(mt_data: MtData) -> ModelBundle:
    config = ModelConfig(task="mt", stack=StackSpec(cell="gru", hidden_sizes=(8,)),
                         decoder=StackSpec(cell="gru", hidden_sizes=(8,)), embed_size=4)
    return bundle_for(mt_data, config, seed=0)


def favour(bundle: ModelBundle, token: str) -> None:
    """Make the decoder say ``token`` whatever it reads."""
    with torch.no_grad():
        bundle.model.decoder.output.bias[bundle.vocabs[1].index(token)] = 1e4


# ---- generate ---------------------------------------------------------------------------------


def test_greedy_generation_continues_the_learned_pattern(char_bundle):
    gen = generate(char_bundle, "AB", length=10)
    assert gen.prefix == "ab"  # cleaned as the training text was: lowercase
    assert gen.tokens == tuple("c.abc.abc.")
    assert gen.continuation == "c.abc.abc."
    assert gen.text == "abc.abc.abc."
    assert gen.notices == ()
    assert generate(char_bundle, "AB", length=10) == gen  # greedy is deterministic


@pytest.mark.parametrize("length", [1, 7, 25])
def test_generation_produces_length_tokens(untrained, length):
    gen = generate(untrained, "abca", length=length)
    assert len(gen.tokens) == length
    assert gen.text == "abca" + "".join(gen.tokens)


def test_prefix_is_cleaned_with_the_training_rule(char_bundle):
    # The corpus is a user file, cleaned with the "lower" rule: '.' is kept, as in training.
    gen = generate(char_bundle, "abc.", length=4)
    assert gen.prefix == "abc."
    assert gen.tokens == tuple("abc.")
    assert gen.notices == ()


def test_prefix_is_cleaned_with_the_letters_rule_when_the_model_was(char_data, tmp_path):
    data = lm_data(tmp_path, "abc." * 150, lm_cleaning="letters")  # the book's rule: '.' becomes a space
    bundle = bundle_for(data, ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(8,))))
    assert "." not in bundle.vocabs[0]
    gen = generate(bundle, "ABC.AB", length=2)
    assert gen.prefix == "abc ab"
    with pytest.raises(DataError, match="empty once cleaned"):
        generate(bundle, "1234 !?", length=2)


def test_sampling_is_reproducible_with_a_seed(untrained):
    first = generate(untrained, "ab", length=30, strategy="sample", seed=5)
    assert generate(untrained, "ab", length=30, strategy="sample", seed=5) == first
    assert generate(untrained, "ab", length=30, strategy="sample", seed=6).tokens != first.tokens
    greedy = generate(untrained, "ab", length=30)
    assert first.tokens != greedy.tokens  # at temperature 1 an untrained model's choices spread


def test_sampling_near_zero_temperature_is_greedy(untrained):
    greedy = generate(untrained, "ab", length=30)
    for seed in range(3):
        cold = generate(untrained, "ab", length=30, strategy="sample", temperature=1e-6, seed=seed)
        assert cold.tokens == greedy.tokens


def test_sampling_needs_a_positive_temperature_and_a_length(untrained):
    with pytest.raises(DataError, match="temperature must be positive, not 0"):
        generate(untrained, "ab", strategy="sample", temperature=0)
    with pytest.raises(DataError, match="length must be at least 1, not 0"):
        generate(untrained, "ab", length=0)


def test_unknown_characters_are_named(char_bundle):
    gen = generate(char_bundle, "abzqz", length=3)
    assert len(gen.notices) == 1
    notice = gen.notices[0]
    assert UNK in notice and "z, q" in notice and notice.count("z") == 1
    assert gen.prefix == "abzqz" and len(gen.tokens) == 3


@pytest.mark.parametrize("prefix", ["", "   ", "\n\t"])
def test_empty_prefix_is_refused(char_bundle, prefix):
    with pytest.raises(DataError, match="empty once cleaned for this model"):
        generate(char_bundle, prefix)


def test_bidirectional_lm_comes_with_the_books_caution(char_data):
    config = ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(8,), bidirectional=True))
    bundle = bundle_for(char_data, config)
    gen = generate(bundle, "abc", length=5)
    assert gen.notices == (BIDIRECTIONAL_LM_NOTICE,)
    assert "bidirectional" in BIDIRECTIONAL_LM_NOTICE and "gibberish" in BIDIRECTIONAL_LM_NOTICE
    assert len(gen.tokens) == 5


@pytest.mark.parametrize("prefix", ["the cat", "The  CAT ", "the cat\n"])
def test_word_level_generation_joins_words_with_spaces(word_bundle, prefix):
    gen = generate(word_bundle, prefix, length=4)
    assert gen.prefix == "the cat"
    assert len(gen.tokens) == 4
    assert gen.text == "the cat " + " ".join(gen.tokens)


def test_unknown_words_are_named(word_bundle):
    gen = generate(word_bundle, "the zebra saw a zebra", length=2)
    assert len(gen.notices) == 1
    assert gen.notices[0].endswith(f"read as {UNK}: zebra, saw, a")


def test_generate_refuses_a_translation_model(mt_bundle):
    with pytest.raises(DataError, match="translation model; generation needs a language model"):
        generate(mt_bundle, "go")


# ---- translate --------------------------------------------------------------------------------


def test_translation_stops_at_eos(mt_bundle):
    favour(mt_bundle, EOS)
    result = translate(mt_bundle, "Go.")
    assert result.tokens == () and result.text == ""
    assert result.source_tokens == ("go", ".", EOS)
    assert not result.trimmed and result.unknown == () and result.notices == ()


def test_translation_is_cut_at_max_len(mt_bundle):
    favour(mt_bundle, "va")
    assert translate(mt_bundle, "go .").tokens == ("va",) * NUM_STEPS  # default: num_steps
    result = translate(mt_bundle, "go .", max_len=3)
    assert result.tokens == ("va", "va", "va") and result.text == "va va va"


def test_translation_is_greedy(mt_bundle):
    src_vocab, tgt_vocab = mt_bundle.vocabs
    result = translate(mt_bundle, "i ran .")
    assert translate(mt_bundle, "i ran .") == result
    src = torch.tensor([src_vocab.indices(["i", "ran", ".", EOS, "<pad>"])])
    with torch.no_grad():
        first = int(mt_bundle.model(src, torch.tensor([[tgt_vocab.index(BOS)]]))[0, 0].argmax())
    expected = tgt_vocab.to_tokens(first)
    assert (result.tokens[:1] or (EOS,))[0] == expected


def test_long_sentence_is_trimmed_with_a_notice(mt_bundle):
    result = translate(mt_bundle, "we ran from the big dog")
    assert result.trimmed
    assert result.source_tokens == ("we", "ran", UNK, UNK, UNK)
    assert any(f"reads {NUM_STEPS} (its num_steps)" in n and "it read only: we ran from the big" in n
               for n in result.notices)
    short = translate(mt_bundle, "we ran .")
    assert not short.trimmed and not any("num_steps" in n for n in short.notices)


def test_unknown_words_become_unk_and_are_listed(mt_bundle):
    result = translate(mt_bundle, "zorglub blorf zorglub")
    assert result.unknown == ("zorglub", "blorf")
    assert result.source_tokens == (UNK, UNK, UNK, EOS)
    assert len(result.notices) == 1 and result.notices[0].endswith("zorglub, blorf")
    # The encoder reads both as the same <unk>.
    assert translate(mt_bundle, "go xyzzy .").tokens == translate(mt_bundle, "go plugh .").tokens


@pytest.mark.parametrize("sentence", ["", "   ", "\t", "\n"])
def test_empty_sentence_is_refused(mt_bundle, sentence):
    with pytest.raises(DataError, match="the sentence is empty"):
        translate(mt_bundle, sentence)


def test_line_ends_and_tabs_in_a_sentence_are_spaces(mt_bundle):
    result = translate(mt_bundle, "i\tran .\n")
    assert result.source_tokens == ("i", "ran", ".", EOS)
    assert result.unknown == () and result.notices == ()
    assert result.tokens == translate(mt_bundle, "i ran .").tokens


def test_translate_refuses_a_language_model(untrained):
    with pytest.raises(DataError, match="language model; translation needs a translation model"):
        translate(untrained, "go .")


def test_decoding_leaves_the_bundle_usable(mt_bundle):
    before = copy.deepcopy(mt_bundle.model.state_dict())
    translate(mt_bundle, "go .")
    after = mt_bundle.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
