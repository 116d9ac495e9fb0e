"""Decoding with a model: language-model continuation and greedy translation, with their notices."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import LmData, MtData, build_data
from rnnviz.core.data.vocab import BOS, EOS, UNK
from rnnviz.core.decoding import BIDIRECTIONAL_LM_NOTICE, generate, translate
from rnnviz.core.errors import DataError
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.train import Finished, run, train
from tests.core.corpora import lm_data

PAIRS = ["go .\tva !", "i lost .\tj'ai perdu .", "he's calm .\til est calme .", "i'm home .\tje suis chez moi .",
         "we ran .\tnous avons couru .", "i won !\tj'ai gagné !", "he ran .\til a couru .", "go away .\tva-t'en ."]
NUM_STEPS = 5


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


def test_sampling_at_temperature_zero_is_greedy_and_a_length_is_needed(untrained):
    greedy = generate(untrained, "ab", length=30)
    assert generate(untrained, "ab", length=30, strategy="sample", temperature=0, seed=4).tokens == greedy.tokens
    with pytest.raises(DataError, match="temperature must be positive, not -0.5"):
        generate(untrained, "ab", strategy="sample", temperature=-0.5)
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


# ---- beam search over the models --------------------------------------------------------------

from rnnviz.core.resources import pretrained_path  # noqa: E402
from rnnviz.core.decoding import BeamOptions  # noqa: E402
from rnnviz.core.checkpoint import load_checkpoint  # noqa: E402
from rnnviz.core.decoding import (  # noqa: E402
    RecurrentStep, generate_beam, lm_step, seq2seq_step, translate_beam,
)

SENTENCES = ["The cat is black.", "She does not have a car.", "We eat the apples.", "He runs fast.",
             "Where is the station?", "They like the red apples.", "You are my friend.", "I am cold."]


@pytest.fixture(scope="module")
def pretrained_mt() -> ModelBundle:
    return load_checkpoint(pretrained_path("mt"), "mt")


@pytest.fixture(scope="module")
def lstm_mt(mt_data: MtData) -> ModelBundle:
    config = ModelConfig(task="mt", stack=StackSpec(cell="lstm", hidden_sizes=(8, 6)),
                         decoder=StackSpec(cell="lstm", hidden_sizes=(8, 6)), embed_size=4, bridge="linear")
    return bundle_for(mt_data, config, seed=1)


def test_beam_of_one_is_greedy_translation_on_the_shipped_model(pretrained_mt: ModelBundle) -> None:
    num_steps = pretrained_mt.data_config.num_steps
    for sentence in SENTENCES:
        greedy = translate(pretrained_mt, sentence)
        beam = translate_beam(pretrained_mt, sentence, BeamOptions(beam_size=1, max_len=num_steps))
        assert beam.tokens == greedy.tokens and beam.text == greedy.text
        assert (beam.source_tokens, beam.unknown, beam.notices) == (greedy.source_tokens, greedy.unknown,
                                                                    greedy.notices)
        assert beam.result.strategy == "beam" and beam.result.options.beam_size == 1


@pytest.mark.parametrize("beam_size", [2, 5])
def test_wider_beams_score_at_least_as_well_as_greedy(pretrained_mt: ModelBundle, beam_size: int) -> None:
    for sentence in SENTENCES:
        greedy = translate_beam(pretrained_mt, sentence, BeamOptions(beam_size=1, max_len=12)).hypotheses[0]
        best = translate_beam(pretrained_mt, sentence, BeamOptions(beam_size=beam_size, max_len=12)).hypotheses[0]
        assert best.score >= greedy.score - 1e-5  # batched float32 sums differ in the last digits


def test_beam_translation_shows_the_nbest_without_eos(pretrained_mt: ModelBundle) -> None:
    result = translate_beam(pretrained_mt, "The cat is black.", BeamOptions(beam_size=5, max_len=12, nbest=3))
    assert result.text == "le chat est noir ." and len(result.hypotheses) == 3
    assert len({h.text for h in result.hypotheses}) == 3
    assert all(h.finished and "<eos>" not in h.tokens for h in result.hypotheses)
    scores = [h.score for h in result.hypotheses]
    assert scores == sorted(scores, reverse=True)
    assert result.vocabulary[result.result.best.tokens[-1]] == EOS
    assert all(result.result.tree.node(h.node).status == "finished" for h in result.hypotheses)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["translation"] == "le chat est noir ." and data["hypotheses"][0]["tokens"][:2] == ["le", "chat"]
    assert all(n["status"] != "pruned" for n in data["tree"]["nodes"])  # survivors only by default
    assert data["tree"]["steps"][0]["considered"] == len(result.vocabulary)


@pytest.mark.parametrize("fixture", ["mt_bundle", "lstm_mt"])
def test_every_node_log_prob_matches_a_teacher_forced_forward(fixture: str, request) -> None:
    # The step reorders the decoder states by parent each step; a teacher-forced forward pass over
    # each node's prefix must give the same distribution, or a state went to the wrong hypothesis.
    bundle: ModelBundle = request.getfixturevalue(fixture)
    src_vocab, tgt_vocab = bundle.vocabs
    result = translate_beam(bundle, "i lost .", BeamOptions(beam_size=3, max_len=NUM_STEPS))
    src = torch.tensor([src_vocab.indices(["i", "lost", ".", EOS, "<pad>"])])
    tree = result.result.tree
    checked = 0
    bundle.model.eval()
    for summary in result.result.steps():
        for node_id in summary.survivors:
            node = tree.node(node_id)
            prefix = tree.tokens(node.parent)
            with torch.no_grad():
                logits = bundle.model(src, torch.tensor([[tgt_vocab.index(BOS), *prefix]]))  # (1, T, V)
            expected = torch.log_softmax(logits[0, -1], -1)[node.token].item()
            assert node.log_prob == pytest.approx(expected, abs=1e-5)
            checked += 1
    assert checked >= 6


def test_the_step_is_one_batched_call_per_step(mt_bundle: ModelBundle) -> None:
    from rnnviz.core.decoding import beam_search

    src_vocab, tgt_vocab = mt_bundle.vocabs
    step = seq2seq_step(mt_bundle, src_vocab.indices(["go", ".", EOS, "<pad>", "<pad>"]))
    sizes: list[int] = []

    def counting(prefixes):
        sizes.append(len(prefixes))
        return step(prefixes)

    result = beam_search(counting, len(tgt_vocab), tgt_vocab.index(EOS), BeamOptions(beam_size=4, max_len=5))
    assert step.calls == len(sizes) == result.tree.num_steps and step.replays == 0
    assert sizes == [1] + [s.kept for s in result.steps()][:-1]


def test_the_step_gives_the_same_answer_in_any_call_order(lstm_mt: ModelBundle) -> None:
    src_vocab, tgt_vocab = lstm_mt.vocabs
    src = src_vocab.indices(["we", "ran", ".", EOS, "<pad>"])
    a, b, c = (tgt_vocab.index(w) for w in ("nous", "avons", "couru"))
    in_order = seq2seq_step(lstm_mt, src)
    in_order([()])
    in_order([(a,), (b,)])
    expected = in_order([(a, b), (b, c), (a, c)])
    jumping = seq2seq_step(lstm_mt, src)
    got = jumping([(b, c), (a, c), (a, b)])  # parents never computed: replayed from the start
    assert jumping.replays == 2  # parents (b,) and (a,)
    assert torch.allclose(got, expected[[1, 2, 0]], atol=1e-6)
    one_by_one = torch.cat([jumping([p]) for p in [(a, b), (b, c), (a, c)]])  # now cached
    assert jumping.replays == 2 and torch.allclose(one_by_one, expected, atol=1e-6)
    assert isinstance(in_order, RecurrentStep)
    with pytest.raises(ValueError, match="at least one prefix"):
        in_order([])


def test_beam_translation_keeps_the_notices_of_translate(mt_bundle: ModelBundle) -> None:
    long = translate_beam(mt_bundle, "we ran from the big dog", BeamOptions(max_len=NUM_STEPS))
    assert long.trimmed and long.source_tokens == ("we", "ran", UNK, UNK, UNK)
    assert long.notices == translate(mt_bundle, "we ran from the big dog").notices
    some = translate_beam(mt_bundle, "go zorglub .")
    assert some.unknown == ("zorglub",) and some.result.options.max_len == NUM_STEPS  # default: num_steps


@pytest.mark.parametrize("sentence, message", [
    ("", "the sentence is empty"),
    ("  \t", "the sentence is empty"),
    ("zorglub blorf", "none of the words of 'zorglub blorf' is in the model's vocabulary, so it would read only <unk>"),
])
def test_beam_translation_refuses_empty_and_unknown_sentences(mt_bundle: ModelBundle, sentence: str,
                                                              message: str) -> None:
    with pytest.raises(DataError, match=message):
        translate_beam(mt_bundle, sentence)


def test_beam_translation_refuses_a_language_model_and_restores_the_mode(untrained, mt_bundle) -> None:
    with pytest.raises(DataError, match="language model; translation needs a translation model"):
        translate_beam(untrained, "go .")
    mt_bundle.model.train()
    translate_beam(mt_bundle, "go .")
    assert mt_bundle.model.training


def test_beam_generation_of_one_is_greedy_generation(char_bundle, untrained) -> None:
    for bundle in (char_bundle, untrained):
        greedy = generate(bundle, "abc", length=12)
        beam = generate_beam(bundle, "abc", 12, BeamOptions(beam_size=1))
        assert beam.tokens == greedy.tokens and beam.text == greedy.text and beam.prefix == "abc"
        assert beam.result.options.max_len == 12  # length replaces max_len


def test_beam_generation_runs_every_hypothesis_to_length_without_eos(untrained, word_bundle) -> None:
    result = generate_beam(untrained, "ab", 6, BeamOptions(beam_size=3, nbest=3))
    assert EOS not in untrained.vocabs[0]
    assert [len(h.tokens) for h in result.hypotheses] == [6, 6, 6]
    assert all(not h.finished for h in result.hypotheses)
    assert result.text == "ab" + result.hypotheses[0].text
    words = generate_beam(word_bundle, "the cat", 3, BeamOptions(beam_size=2))
    assert words.text == "the cat " + " ".join(words.tokens)
    step = lm_step(untrained, untrained.vocabs[0].indices(list("ab")))
    assert step([()]).shape == (1, len(untrained.vocabs[0]))


def test_beam_generation_refusals(untrained, mt_bundle) -> None:
    with pytest.raises(DataError, match="translation model; generation needs a language model"):
        generate_beam(mt_bundle, "go")
    with pytest.raises(DataError, match="empty once cleaned"):
        generate_beam(untrained, "   ")
    with pytest.raises(DataError, match="the length must be at least 1, not 0"):
        generate_beam(untrained, "ab", 0)
    with pytest.raises(DataError, match="none of the tokens of 'zzz' is in the model's vocabulary"):
        generate_beam(untrained, "zzz")
