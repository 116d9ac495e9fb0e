"""The corpora registry: built-in, the book's data sets, and how each is found."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rnnviz.core.data import corpora
from rnnviz.core.data.corpora import LmCorpus, MtCorpus, availability, get_info, list_corpora, load_corpus
from rnnviz.core.errors import DataError


def test_registry_names_tasks_and_provenance() -> None:
    infos = {info.name: info for info in list_corpora()}
    assert {name: info.task for name, info in infos.items()} == {
        "phrasebook": "mt", "phrasebook-en": "lm", "phrasebook-fr": "lm", "time-machine": "lm", "fra-eng": "mt",
        "recall": "recall", "adding": "adding", "copy": "copy",  # generated: each is its own task
        "toy-reverse": "mt", "toy-sort": "mt", "toy-dates": "mt",  # generated translation pairs (toy_pairs)
    }
    assert infos["time-machine"].remote.sha1 == "090b5e7e70c295757f55df93cb0a180b9691891a"
    assert infos["fra-eng"].remote.sha1 == "94646ad1522d915e7b0f9296181140edcf86a4f5"
    assert "public domain" in infos["time-machine"].provenance
    assert "CC-BY" in infos["fra-eng"].provenance
    for info in infos.values():
        assert info.title and info.provenance and (info.size_bytes > 0 or info.source == "generated")


def test_defaults_are_the_built_in_corpora_which_load_offline() -> None:
    assert corpora.default_corpus("mt") == "phrasebook"
    assert corpora.default_corpus("lm") == "phrasebook-en"
    pairs = load_corpus("phrasebook")
    assert isinstance(pairs, MtCorpus) and len(pairs.pairs) >= 5000
    english = load_corpus("phrasebook-en")
    french = load_corpus("phrasebook-fr")
    assert isinstance(english, LmCorpus) and isinstance(french, LmCorpus)
    assert english.text.splitlines()[0] == pairs.pairs[0][0]
    assert french.text.splitlines()[0] == pairs.pairs[0][1]
    assert french.info.lm_cleaning == "lower"  # accents survive in the French side
    assert availability(get_info("phrasebook")) == "built-in"


def test_unknown_name_lists_the_corpora() -> None:
    with pytest.raises(DataError) as err:
        load_corpus("time-machin")
    assert "time-machin" in str(err.value) and "time-machine" in str(err.value)


def test_task_mismatch_is_refused() -> None:
    with pytest.raises(DataError, match="translation corpus, not a language model"):
        load_corpus("phrasebook", task="lm")


def test_book_corpus_without_download_says_how_to_fetch() -> None:
    assert availability(get_info("time-machine")) == "not downloaded"
    with pytest.raises(DataError, match="rnnviz data fetch time-machine"):
        load_corpus("time-machine", download=False)


def test_book_corpora_load_from_the_offline_folder(d2l_dir: Path) -> None:
    assert availability(get_info("fra-eng")) == "offline folder"
    text = load_corpus("time-machine", download=False)
    assert isinstance(text, LmCorpus) and text.text.startswith("The Time Machine, by H. G. Wells")
    pairs = load_corpus("fra-eng", download=False)
    assert isinstance(pairs, MtCorpus) and len(pairs.pairs) == 167_130
    assert pairs.pairs[0] == ("Go.", "Va !")


def test_damaged_archive_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Path(corpora.hub.cache_dir())
    cache.mkdir(parents=True, exist_ok=True)
    bad = tmp_path / "fra-eng.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("other.txt", "nothing")
    # Pretend the archive passed its SHA-1 check, to reach the archive reader.
    monkeypatch.setattr(corpora.hub, "locate", lambda remote, *a, **k: bad)
    with pytest.raises(DataError, match="not the expected archive"):
        load_corpus("fra-eng", download=False)
