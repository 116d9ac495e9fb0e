"""Corpus statistics on small handmade corpora, with exact counts."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from rnnviz.core.data.corpora import CorpusInfo, LmCorpus, MtCorpus
from rnnviz.core.data.stats import FreqTable, LmStats, MtStats, corpus_stats, lm_stats, mt_stats, stats_to_dict

LM_TEXT = "The cat sat.\nThe cat ran!  A dog sat."
#  letters -> "the cat sat the cat ran a dog sat"

PAIRS = (
    ("Go.", "Va !"),
    ("Hi.", "Salut !"),
    ("Run!", "Cours\u202f!"),
    ("I see you, Tom.", "Je te vois, Tom."),
    ("Who ran?", "Qui a couru ?"),
    ("Go.", "Va-t-en !"),
)


def lm_corpus(text: str = LM_TEXT, cleaning: str = "letters") -> LmCorpus:
    info = CorpusInfo("cats", "lm", "Cats and dogs", "file", "user file cats.txt", 37, cleaning)  # type: ignore[arg-type]
    return LmCorpus(info, text)


def mt_corpus() -> MtCorpus:
    return MtCorpus(CorpusInfo("toy.tsv", "mt", "toy.tsv", "file", "user file toy.tsv", 120, "lower"), PAIRS)


def test_freq_table_ranks_by_count_then_alphabetically():
    table = FreqTable.of(Counter({"b": 2, "a": 2, "c": 5, "d": 1}))
    assert table.items == ("c", "a", "b", "d")
    assert table.counts.tolist() == [5, 2, 2, 1] and table.counts.dtype == np.int64
    assert table.top(2) == [("c", 5), ("a", 2)]
    assert table.top(10) == [("c", 5), ("a", 2), ("b", 2), ("d", 1)]
    assert all(isinstance(count, int) for _, count in table.top())


def test_lm_stats_exact_counts_with_the_books_letters_rule():
    stats = lm_stats(lm_corpus())
    assert isinstance(stats, LmStats) and stats.cleaning == "letters"
    assert stats.n_chars == len("the cat sat the cat ran a dog sat") == 33
    assert stats.n_words == 9
    assert stats.char_vocab_size == 13  # <unk>, space and a c d e g h n o r s t
    assert stats.word_vocab_size == 7  # <unk> and 6 words
    assert stats.unigrams.top() == [("cat", 2), ("sat", 2), ("the", 2), ("a", 1), ("dog", 1), ("ran", 1)]
    assert stats.bigrams.top(2) == [("the cat", 2), ("a dog", 1)]
    assert int(stats.bigrams.counts.sum()) == 8 and len(stats.bigrams.items) == 7
    assert int(stats.trigrams.counts.sum()) == 7 and len(stats.trigrams.items) == 7
    assert set(stats.trigrams.items) == {
        "the cat sat", "cat sat the", "sat the cat", "the cat ran", "cat ran a", "ran a dog", "a dog sat",
    }


def test_lm_stats_follow_the_cleaning_rule():
    stats = lm_stats(lm_corpus(cleaning="lower"))
    assert stats.cleaning == "lower"
    assert stats.n_chars == len("the cat sat. the cat ran! a dog sat.") == 36
    # punctuation kept by "lower" is a word token of its own
    assert stats.n_words == 12
    assert stats.unigrams.top(5) == [(".", 2), ("cat", 2), ("sat", 2), ("the", 2), ("!", 1)]
    forced = lm_stats(lm_corpus(cleaning="lower"), cleaning="letters")
    assert forced.cleaning == "letters" and forced.n_words == 9


def test_lm_stats_of_a_one_word_text_has_no_bigrams():
    stats = lm_stats(lm_corpus("Hello!"))
    assert (stats.n_chars, stats.n_words) == (5, 1)
    assert stats.bigrams.top() == [] and stats.trigrams.top() == []


def test_mt_stats_exact_counts():
    stats = mt_stats(mt_corpus())
    assert isinstance(stats, MtStats)
    assert stats.n_pairs == 6
    assert stats.src_tokens == 17 and stats.tgt_tokens == 18
    assert stats.src_lengths.tolist() == [2, 2, 2, 6, 3, 2]
    assert stats.tgt_lengths.tolist() == [2, 2, 2, 6, 4, 2]
    # min_freq 2 and the 4 reserved tokens: "." (4) and "go" (2); "!" (4)
    assert stats.src_vocab_size == 6 and stats.tgt_vocab_size == 5
    assert stats.src_freqs.top(3) == [(".", 4), ("go", 2), ("!", 1)]
    assert stats.tgt_freqs.top(2) == [("!", 4), (",", 1)]
    assert mt_stats(mt_corpus(), min_freq=1).src_vocab_size == 4 + 13


def test_mt_length_histogram_one_bin_per_length():
    edges, src, tgt = mt_stats(mt_corpus()).length_histogram()
    assert edges.tolist() == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]
    assert src.tolist() == [0, 4, 1, 0, 0, 1]
    assert tgt.tolist() == [0, 4, 0, 1, 0, 1]


def test_mt_length_histogram_with_fixed_bins_counts_every_sentence():
    edges, src, tgt = mt_stats(mt_corpus()).length_histogram(bins=2)
    assert len(edges) == 3 and edges[0] == 2 and edges[-1] == 6
    assert src.sum() == 6 and tgt.sum() == 6


def test_corpus_stats_picks_the_task():
    assert isinstance(corpus_stats(lm_corpus()), LmStats)
    assert isinstance(corpus_stats(mt_corpus()), MtStats)


def test_lm_stats_to_dict_is_json_ready():
    summary = stats_to_dict(lm_stats(lm_corpus()), top=2)
    assert json.loads(json.dumps(summary)) == {
        "name": "cats", "task": "lm", "title": "Cats and dogs", "source": "file",
        "provenance": "user file cats.txt", "size_bytes": 37, "cleaning": "letters",
        "characters": 33, "words": 9, "char_vocab_size": 13, "word_vocab_size": 7,
        "top_words": [["cat", 2], ["sat", 2]], "top_bigrams": [["the cat", 2], ["a dog", 1]],
        "top_trigrams": [["a dog sat", 1], ["cat ran a", 1]],
    }


def test_mt_stats_to_dict_is_json_ready():
    summary = stats_to_dict(mt_stats(mt_corpus()), top=1)
    text = json.dumps(summary)  # fails on numpy values
    assert json.loads(text) == {
        "name": "toy.tsv", "task": "mt", "title": "toy.tsv", "source": "file",
        "provenance": "user file toy.tsv", "size_bytes": 120, "pairs": 6,
        "source_tokens": 17, "target_tokens": 18, "source_vocab_size": 6, "target_vocab_size": 5,
        "vocab_min_freq": 2, "top_source_tokens": [[".", 4]], "top_target_tokens": [["!", 4]],
        "length_histogram": {"lengths": [1, 2, 3, 4, 5, 6], "source": [0, 4, 1, 0, 0, 1],
                             "target": [0, 4, 0, 1, 0, 1]},
    }
