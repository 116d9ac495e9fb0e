"""A corpus summed up for a view: statistics and line lengths, stale requests skipped, failures as messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.data import summary
from rnnviz.core.data.corpora import CorpusInfo, LmCorpus
from rnnviz.core.data.stats import LmStats, MtStats
from rnnviz.core.data.summary import Loaded, LoadRequest, Serial, load_corpus_stats, words_per_line
from rnnviz.core.errors import RnnvizError

REGISTERED = frozenset({"phrasebook", "phrasebook-en"})


def newest(corpus: str, task: str | None) -> tuple[LoadRequest, Serial]:
    latest = Serial()
    latest.value = 3
    return LoadRequest(3, corpus, task), latest


def test_a_registered_translation_corpus_has_its_statistics_and_no_line_lengths() -> None:
    loaded = load_corpus_stats(*newest("phrasebook", "mt"), REGISTERED)
    assert isinstance(loaded, Loaded) and isinstance(loaded.stats, MtStats)
    assert (loaded.corpus, loaded.task, loaded.is_file, loaded.line_lengths) == ("phrasebook", "mt", False, None)
    assert loaded.stats.n_pairs > 100


def test_a_users_text_file_is_a_file_with_words_per_line(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text("The cat sat.\n\nOn the mat, it slept\n   \nend\n", encoding="utf-8")
    loaded = load_corpus_stats(*newest(str(path), None), REGISTERED)
    assert loaded is not None and isinstance(loaded.stats, LmStats)
    assert loaded.task == "lm" and loaded.is_file
    assert loaded.line_lengths is not None and loaded.line_lengths.dtype == np.int64


def test_words_per_line_skips_empty_lines_and_follows_the_cleaning_rule() -> None:
    info = CorpusInfo("t", "lm", "t", "file", "", 0, lm_cleaning="letters")
    corpus = LmCorpus(info, "The Time-Machine, by H. G. Wells\n\n 42 \nit was\n")
    # letters only: "the time machine by h g wells" is 7 words; a line of digits has none
    assert words_per_line(corpus).tolist() == [7, 2]


def test_a_superseded_request_skips_its_work(monkeypatch: pytest.MonkeyPatch) -> None:
    request, latest = newest("phrasebook", "mt")
    latest.value += 1  # a newer request came before this one started
    monkeypatch.setattr(summary, "load_corpus", lambda *a, **k: pytest.fail("a stale request loaded"))
    assert load_corpus_stats(request, latest, REGISTERED) is None


def test_a_request_superseded_while_loading_is_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    request, latest = newest("phrasebook", "mt")
    real = summary.load_corpus

    def load_then_supersede(*args, **kwargs):
        corpus = real(*args, **kwargs)
        latest.value += 1
        return corpus

    monkeypatch.setattr(summary, "load_corpus", load_then_supersede)
    monkeypatch.setattr(summary, "corpus_stats", lambda corpus: pytest.fail("stale statistics computed"))
    assert load_corpus_stats(request, latest, REGISTERED) is None


def test_failures_are_messages_for_the_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(RnnvizError, match="nowhere.txt"):
        load_corpus_stats(*newest(str(missing), None), REGISTERED)
    with pytest.raises(RnnvizError, match="phrasebook is a translation corpus"):
        load_corpus_stats(*newest("phrasebook", "lm"), REGISTERED)

    def bug(corpus):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(summary, "corpus_stats", bug)
    with pytest.raises(RnnvizError, match="^phrasebook could not be loaded: division by zero$"):
        load_corpus_stats(*newest("phrasebook", "mt"), REGISTERED)
