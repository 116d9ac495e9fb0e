"""Exercises bi-3 (classifying sequences, on the phrasebook or a user's TSV) and bi-4 (a word in two
contexts), small runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.classify import phrasebook_examples
from rnnviz.core.errors import DataError
from rnnviz.core.exercises import get_exercise


def test_bi_3_gives_accuracy_a_confusion_matrix_and_the_mistakes() -> None:
    calls: list[float] = []
    result = get_exercise("bi-3").run(small=True, progress=lambda f, _: calls.append(f))
    accuracy = result.table("accuracy")
    validation = accuracy.column("validation examples")[0]
    assert accuracy.column("accuracy")[0] > accuracy.column("commonest class")[0]
    matrix = next(p for p in result.plots if p.kind == "matrix")
    assert matrix.row_labels == matrix.column_labels == ("statement", "question", "negation")
    assert sum(map(sum, matrix.values)) == validation == int(result.arrays["confusion"].sum())
    assert result.table("per class").column("class") == list(matrix.row_labels)
    assert "misclassified" in result.texts and calls and max(calls) == pytest.approx(1.0)
    wrong = validation - int(np.trace(result.arrays["confusion"]))
    assert (result.texts["misclassified"].count("guessed") == min(wrong, 8))


def test_bi_3_runs_on_a_users_file(tmp_path: Path) -> None:
    examples = [e for e in phrasebook_examples(40, seed=5) if e.label != "negation"]
    path = tmp_path / "mine.tsv"
    path.write_text("".join(f"{e.text}\t{'ask' if e.label == 'question' else 'tell'}\n" for e in examples),
                    encoding="utf-8")
    result = get_exercise("bi-3").run(small=True, files=(str(path),))
    assert result.table("accuracy").column("data") == ["mine.tsv"]
    assert result.plots[0].row_labels == ("ask", "tell") and "your file mine.tsv" in result.summary
    path.write_text("just one line\tlabel\nand no label here\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: this row has no label"):
        get_exercise("bi-3").run(small=True, files=(str(path),))


def test_bi_4_compares_two_uses_with_a_control() -> None:
    result = get_exercise("bi-4").run(small=True)
    table = result.table("cosine similarity of the states of 'do'")
    assert table.column("part")[0] == "embedding" and len(table.rows) == 5  # 2 layers × 2 directions
    assert table.rows[0][1:] == (pytest.approx(1.0), pytest.approx(1.0))
    control = dict(zip(table.column("part"), table.column("control")))
    assert control["layer 1 forward"] == pytest.approx(1.0)  # the same words before "do"
    bars = result.plots[0]
    assert bars.kind == "bars" and bars.categories == tuple(table.column("part"))
    assert [s.name for s in bars.series] == ["two uses", "control"]
    assert list(bars.series[0].y) == pytest.approx(table.column("two uses"))


def test_bi_3_says_when_the_file_repeats_texts_across_the_split(tmp_path) -> None:
    """A file listing each text three times puts copies in training and validation: the summary says how many
    validation texts were seen in training, so a high accuracy is not taken for generalisation."""
    from rnnviz.core.classify import phrasebook_examples

    path = tmp_path / "repeated.tsv"
    examples = phrasebook_examples(10, seed=3)
    path.write_text("".join(f"{e.text}\t{e.label}\n" for e in examples * 3), encoding="utf-8")
    result = get_exercise("bi-3").run(small=True, files=(str(path),))
    assert "validation texts also appear among the training texts" in result.summary
    assert "also appear" not in get_exercise("bi-3").run(small=True).summary  # the phrasebook's are distinct
