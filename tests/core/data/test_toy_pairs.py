"""The toy sequence-to-sequence tasks: correct pairs, the same for the same seed, readable as corpora."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from rnnviz.core.config import DataConfig
from rnnviz.core.data.corpora import MtCorpus, get_info, list_corpora, load_corpus
from rnnviz.core.data.datasets import MtData, build_data
from rnnviz.core.data.tokenize import tokenize_mt
from rnnviz.core.data.toy_pairs import MAX_LEN, MIN_LEN, TOY_TASKS, toy_pairs
from rnnviz.core.errors import ConfigError

MONTH_NUMBER = {calendar.month_name[m].lower(): m for m in range(1, 13)}


def test_reversal_pairs_are_the_digits_backwards() -> None:
    for source, target in toy_pairs("toy-reverse", 300, seed=3):
        digits = source.replace(" ", "")
        assert digits.isdigit() and MIN_LEN <= len(digits) <= MAX_LEN
        assert target.replace(" ", "") == digits[::-1]


def test_sorting_pairs_hold_the_same_digits_in_order() -> None:
    for source, target in toy_pairs("toy-sort", 300, seed=3):
        out = [int(d) for d in target.split()]
        assert all(a <= b for a, b in zip(out, out[1:]))
        assert sorted(source.split()) == target.split()  # the same multiset of digits


def test_date_pairs_name_a_real_day_in_iso_order() -> None:
    formats = set()
    for source, target in toy_pairs("toy-dates", 300, seed=3):
        words = source.split()
        month_word = next(w for w in words if w in MONTH_NUMBER)
        formats.add(words.index(month_word))
        day, year = (int(w) for w in words if w != month_word)
        expected = dt.date(year, MONTH_NUMBER[month_word], day)  # raises for a day the month has not
        assert target == expected.strftime("%Y - %m - %d")
    assert formats == {0, 1}  # both "march 5 2021" and "5 march 2021"


def test_the_same_seed_gives_the_same_pairs_and_another_seed_others() -> None:
    for task in TOY_TASKS:
        assert toy_pairs(task, 50, seed=7) == toy_pairs(task, 50, seed=7)
        assert toy_pairs(task, 50, seed=7) != toy_pairs(task, 50, seed=8)


def test_lengths_vary_within_the_range_asked() -> None:
    lengths = {len(s.split()) for s, _ in toy_pairs("toy-reverse", 500, min_len=3, max_len=5)}
    assert lengths == {3, 4, 5}


@pytest.mark.parametrize("kwargs, words", [({"task": "toy-nope"}, "no toy task 'toy-nope'"),
                                           ({"task": "toy-sort", "min_len": 6, "max_len": 4}, "min_len ≤ max_len"),
                                           ({"task": "toy-sort", "count": 0}, "from 1 to 1,000,000 pairs")])
def test_bad_arguments_are_refused_with_what_to_do(kwargs: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        toy_pairs(**kwargs)


def test_the_toy_tasks_are_translation_corpora_the_pipeline_reads_at_word_level() -> None:
    names = {info.name: info for info in list_corpora()}
    for task in TOY_TASKS:
        assert names[task].task == "mt" and get_info(task).title
        corpus = load_corpus(task, "mt")
        assert isinstance(corpus, MtCorpus) and len(corpus.pairs) == 2000
        source, target = corpus.pairs[0]
        assert tokenize_mt(source) == source.split() and tokenize_mt(target) == target.split()
    data = build_data(DataConfig(corpus="toy-dates", task="mt", batch_size=64))
    assert isinstance(data, MtData)
    assert data.trimmed == (0, 0)  # every target and its <eos> fit the default sentence length
    assert "-" in data.tgt_vocab.to_list() and "march" in data.src_vocab.to_list()
