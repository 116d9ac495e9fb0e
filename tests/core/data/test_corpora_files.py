"""Loading user files as corpora, and the book's real data sets when they are present."""

from __future__ import annotations

import os
import pathlib
import string

import numpy as np
import pytest

from rnnviz.core.config import DataConfig
from rnnviz.core.data.corpora import LmCorpus, MtCorpus, load_corpus
from rnnviz.core.data.datasets import LmData, MtData, build_data
from rnnviz.core.data.stats import lm_stats
from rnnviz.core.data.tokenize import tokenize_mt
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK, Vocab
from rnnviz.core.errors import DataError

D2L = pathlib.Path(os.environ.get("RNNVIZ_TEST_D2L", pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "data" / "d2l"))
needs_d2l = pytest.mark.skipif(not (D2L / "timemachine.txt").is_file(), reason="the book's data sets are not in ../shared/data/d2l")
needs_fra = pytest.mark.skipif(not (D2L / "fra-eng.zip").is_file(), reason="the book's fra-eng.zip is not in ../shared/data/d2l")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_CACHE_DIR", str(tmp_path / "cache"))


def _write(tmp_path, name: str, data: str | bytes) -> pathlib.Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")
    return path


def _error(*args, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        load_corpus(*args, **kwargs)
    return str(info.value)


# --- user files: which task -----------------------------------------------------------


def test_tsv_file_is_translation(tmp_path):
    path = _write(tmp_path, "pairs.tsv", "Go.\tVa !\nHi.\tSalut !\n")
    corpus = load_corpus(path)
    assert isinstance(corpus, MtCorpus)
    assert corpus.pairs == (("Go.", "Va !"), ("Hi.", "Salut !"))
    assert corpus.info.task == "mt" and corpus.info.name == "pairs.tsv" and corpus.info.source == "file"
    assert corpus.info.size_bytes == path.stat().st_size


def test_txt_file_with_a_tab_on_its_first_line_is_translation(tmp_path):
    path = _write(tmp_path, "fra.txt", "\n\nGo.\tVa !\tCC-BY 2.0 (France)\nRun!\tCours\u202f!\tCC-BY 2.0\n")
    corpus = load_corpus(str(path))
    assert isinstance(corpus, MtCorpus)
    assert corpus.pairs == (("Go.", "Va !"), ("Run!", "Cours\u202f!"))


def test_plain_text_file_is_a_language_model_corpus(tmp_path):
    text = "The Time Traveller (for so it will be convenient to speak of him)\nwas expounding.\n"
    path = _write(tmp_path, "story.txt", text)
    corpus = load_corpus(path)
    assert isinstance(corpus, LmCorpus)
    assert corpus.text == text
    assert corpus.info.task == "lm" and corpus.info.lm_cleaning == "lower"


def test_a_tab_after_the_first_line_does_not_make_it_translation(tmp_path):
    path = _write(tmp_path, "notes.txt", "A first line.\nthen\ta tab\n")
    assert isinstance(load_corpus(path), LmCorpus)


def test_task_forces_the_reading(tmp_path):
    tsv = _write(tmp_path, "pairs.tsv", "Go.\tVa !\n")
    lm = load_corpus(tsv, task="lm")
    assert isinstance(lm, LmCorpus) and lm.text == "Go.\tVa !\n" and lm.info.task == "lm"
    story = _write(tmp_path, "story.txt", "Once upon a time.\nThe end.\n")
    message = _error(story, task="mt")  # a file without TABs cannot be pairs
    assert str(story) in message and "line 1" in message and "TAB" in message


def test_bom_does_not_leak_into_the_first_sentence(tmp_path):
    path = _write(tmp_path, "bom.txt", "\ufeffGo.\tVa !\r\nHi.\tSalut !\r\n".encode("utf-8"))
    corpus = load_corpus(path)
    assert isinstance(corpus, MtCorpus)
    assert corpus.pairs[0] == ("Go.", "Va !")
    assert tokenize_mt(corpus.pairs[0][0]) == ["go", "."]


# --- user files: errors from the readers reach the caller whole ------------------------


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "gone.txt"
    message = _error(path)
    assert str(path) in message


def test_folder_is_refused(tmp_path):
    folder = tmp_path / "data.d"
    folder.mkdir()
    assert "folder" in _error(folder)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.txt", b"", ["empty"]),
        ("spaces.tsv", b" \n\t \n", ["empty"]),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["binary"]),
        ("latin1.txt", "Un été\n".encode("latin-1"), ["UTF-8", "line 1", "column 4"]),
        ("latin1.tsv", "Go.\tVa !\nSummer.\tÉté.\n".encode("cp1252"), ["UTF-8", "line 2", "column 9"]),
        ("broken.tsv", "Go.\tVa !\nHi.\tSalut !\nno tab here\n".encode(), ["line 3", "TAB"]),
        ("nosource.tsv", "Go.\tVa !\n \tSalut !\n".encode(), ["line 2", "source"]),
        ("notarget.txt", "Go.\tVa !\nHi.\t\n".encode(), ["line 2", "target"]),
    ],
)
def test_bad_user_files_raise_a_data_error_naming_file_and_place(tmp_path, name, data, words):
    path = _write(tmp_path, name, data)
    message = _error(path)
    assert str(path) in message
    for word in words:
        assert word in message


def test_bad_file_in_build_data_is_a_data_error_not_a_crash(tmp_path):
    path = _write(tmp_path, "pairs.tsv", "Go.\tVa !\nHi. Salut !\n")
    with pytest.raises(DataError, match="line 2"):
        build_data(DataConfig(corpus=str(path)), download=False)


# --- user files all the way to arrays -------------------------------------------------


def test_user_text_file_to_lm_data(tmp_path):
    path = _write(tmp_path, "abc.txt", (string.ascii_lowercase + "\n") * 4)
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=4), download=False)
    assert isinstance(data, LmData)
    # "lower" turns the newlines into spaces (3 left after stripping the last one)
    assert data.vocab.to_list() == [UNK, *string.ascii_lowercase, " "]
    assert len(data.train_ids) + len(data.val_ids) == 27 * 4 - 1  # final newline stripped


def test_user_tsv_file_to_mt_data(tmp_path):
    lines = "".join(f"Go {i}.\tVa {i} !\n" for i in range(10))
    path = _write(tmp_path, "numbers.tsv", lines)
    data = build_data(DataConfig(corpus=str(path), num_steps=5, val_fraction=0.2, test_fraction=0.2),
                      download=False)
    assert isinstance(data, MtData)
    assert (len(data.train), len(data.val), len(data.test)) == (6, 2, 2)
    assert data.src_vocab.to_list() == [PAD, BOS, EOS, UNK, ".", "go"]
    assert data.src_vocab.to_tokens(data.train.src[0]) == ["go", UNK, ".", EOS, PAD]


# --- the book's files (skipped without ../shared/data/d2l) ----------------------------


@needs_d2l
def test_time_machine_char_vocab_is_the_books_28_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(D2L))
    monkeypatch.setenv("RNNVIZ_CACHE_DIR", str(tmp_path))
    data = build_data(DataConfig(corpus="time-machine"), download=False)
    assert isinstance(data, LmData)
    assert len(data.vocab) == 28
    assert set(data.vocab.to_list()) == {UNK, " ", *string.ascii_lowercase}
    assert data.vocab.to_list()[:3] == [UNK, " ", "e"]
    assert data.num_steps == 32
    x, y = next(iter(data.train_batches(0)))
    assert x.shape == (32, 32)
    assert list(tmp_path.iterdir()) == []  # nothing downloaded or cached


@needs_d2l
def test_time_machine_word_statistics_match_the_book(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(D2L))
    monkeypatch.setenv("RNNVIZ_CACHE_DIR", str(tmp_path))
    corpus = load_corpus("time-machine", download=False)
    stats = lm_stats(corpus)
    assert stats.char_vocab_size == 28
    assert stats.word_vocab_size == 4580
    assert stats.unigrams.top(5) == [("the", 2261), ("i", 1267), ("and", 1245), ("of", 1155), ("a", 816)]
    assert stats.bigrams.top(3) == [("of the", 309), ("in the", 169), ("i had", 130)]
    assert stats.trigrams.top(3) == [("the time traveller", 59), ("the time machine", 30), ("the medical man", 24)]
    # Zipf: the counts never rise down the table
    assert bool(np.all(np.diff(stats.unigrams.counts) <= 0))
    words = Vocab(stats.unigrams.items, reserved=())
    assert len(words) == 4580


@needs_d2l
@needs_fra
def test_fra_eng_has_the_books_pairs_and_preprocessing(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(D2L))
    monkeypatch.setenv("RNNVIZ_CACHE_DIR", str(tmp_path))
    corpus = load_corpus("fra-eng", download=False)
    assert isinstance(corpus, MtCorpus)
    assert len(corpus.pairs) == 167130
    assert corpus.pairs[:3] == (("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours\u202f!"))
    assert [tokenize_mt(t) for _, t in corpus.pairs[:3]] == [["va", "!"], ["salut", "!"], ["cours", "!"]]
    assert all(s and t for s, t in corpus.pairs[-3:])
    assert list(tmp_path.iterdir()) == []


@needs_d2l
@needs_fra
def test_fra_eng_first_pairs_as_the_books_mtfraeng(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(D2L))
    monkeypatch.setenv("RNNVIZ_CACHE_DIR", str(tmp_path))
    data = build_data(DataConfig(corpus="fra-eng", max_examples=640), download=False)
    assert isinstance(data, MtData)
    assert data.config.num_steps == 9 and data.config.min_freq == 2
    assert len(data.train) + len(data.val) + len(data.test) == 640
    assert data.trimmed == (0, 0)  # the first 640 pairs are short
    assert data.train.src.shape == (len(data.train), 9)
    assert (data.train.tgt_in[:, 0] == data.tgt_vocab[BOS]).all()
    # every source row: tokens, one <eos>, then only padding
    eos, pad = data.src_vocab[EOS], data.src_vocab[PAD]
    for row, valid in zip(data.train.src, data.train.src_valid_len):
        assert row[valid - 1] == eos and (row[valid:] == pad).all() and (row[:valid - 1] != eos).all()
    assert data.src_vocab.to_list()[:5] == [PAD, BOS, EOS, UNK, "."]
    assert data.tgt_vocab.to_list()[:6] == [PAD, BOS, EOS, UNK, ".", "!"]
