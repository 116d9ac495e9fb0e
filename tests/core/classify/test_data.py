"""The labelled corpus (balanced, seeded, no punctuation to give a label away) and a user's TSV file,
each bad input refused with a message naming what is wrong."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rnnviz.core import limits as lim
from rnnviz.core.classify import LABELS, build_data, phrasebook_data, phrasebook_examples, read_tsv
from rnnviz.core.classify.data import MIN_EXAMPLES
from rnnviz.core.errors import DataError


def test_the_phrasebook_labels_are_balanced_and_the_same_for_a_seed() -> None:
    examples = phrasebook_examples(50, seed=3)
    assert Counter(e.label for e in examples) == {label: 50 for label in LABELS}
    assert len({e.text for e in examples}) == len(examples)  # no sentence twice
    assert phrasebook_examples(50, seed=3) == examples
    assert phrasebook_examples(50, seed=4) != examples


def test_no_label_can_be_read_from_punctuation() -> None:
    examples = phrasebook_examples(100)
    assert not any(mark in e.text for e in examples for mark in "?.!,")
    # The words decide: every question opens with an auxiliary, every negation holds "not".
    questions = [e.text for e in examples if e.label == "question"]
    negations = [e.text for e in examples if e.label == "negation"]
    assert all(q.split()[0] in {"do", "does", "is", "are", "am"} for q in questions)
    assert all("not" in n.split() for n in negations)


def test_the_split_keeps_every_class_on_both_sides() -> None:
    data = phrasebook_data(40, seed=1)
    assert Counter(e.label for e in data.val) == {label: 8 for label in LABELS}
    assert Counter(e.label for e in data.train) == {label: 32 for label in LABELS}
    assert not {e.text for e in data.train} & {e.text for e in data.val}
    tokens, lengths, labels = next(data.train_batches(0))
    assert tokens.shape == (32, int(lengths.max())) and labels.shape == (32,)
    assert all((tokens[k, n:] == 0).all() for k, n in enumerate(lengths))  # <pad> after each sentence


def _write(tmp_path: Path, text: str, name: str = "labels.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(n: int, labels: tuple[str, ...] = ("good", "bad")) -> str:
    return "".join(f"sentence number {k}\t{labels[k % len(labels)]}\n" for k in range(n))


def test_a_good_file_is_read_with_its_header_skipped(tmp_path: Path) -> None:
    examples = read_tsv(_write(tmp_path, "text\tlabel\n" + _rows(30)))
    assert len(examples) == 30 and {e.label for e in examples} == {"good", "bad"}
    data = build_data(examples, source="labels.tsv")
    assert data.labels == ("bad", "good") and len(data.val) == 6


@pytest.mark.parametrize("content, said", [
    ("", "is empty"),
    ("\n \n", "is empty"),
    ("fine\tgood\n" + "no label here\n", "line 2: this row has no label: 'no label here'"),
    ("fine\tgood\n" + "a tab but nothing after\t \n", "line 2: this row has no label"),
    ("\tgood\n", "line 1: this row has a label but no text"),
    (_rows(30, ("only",)), "every example has the label 'only'; a classifier needs at least two classes"),
    (_rows(5), f"has 5 examples; a classifier needs at least {MIN_EXAMPLES}"),
    (_rows(30) + "one of a kind\trare\n", "the label(s) 'rare' have fewer than 2 examples"),
    ("".join(f"text {k}\tlabel{k}\n" for k in range(300)), "the number of classes must be at most 200"),
])
def test_a_bad_file_gets_a_message_naming_what_is_wrong(tmp_path: Path, content: str, said: str) -> None:
    with pytest.raises(DataError, match="labels.tsv") as error:
        read_tsv(_write(tmp_path, content))
    assert said in str(error.value)


def test_an_absurdly_large_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch) -> None:
    path = _write(tmp_path, _rows(30))
    monkeypatch.setattr(lim, "CLASSIFY_FILE_BYTES", lim.Limit("the TSV file", 1, 100, "Keep a sample.", "bytes"))
    with pytest.raises(DataError, match=r"labels.tsv: the TSV file must be at most 100 bytes, not .*Keep a sample"):
        read_tsv(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_tsv(tmp_path / "nowhere.tsv")


def test_a_sample_of_a_large_file_keeps_every_class(tmp_path: Path) -> None:
    from rnnviz.core.classify import tsv_data

    path = _write(tmp_path, _rows(200, ("common",)) + "rare one\trare\nrare two\trare\n")
    data = tsv_data(path, max_examples=30)
    assert len(data.train) + len(data.val) == 30 and data.labels == ("common", "rare")
    assert {e.label for e in data.val} == {"common", "rare"}
    assert "the file has 202 examples; this run uses a sample of 30" in data.notices[0]
    assert tsv_data(path, max_examples=30).train == data.train  # the same sample for the same seed
