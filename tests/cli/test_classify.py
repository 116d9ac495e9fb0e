"""rnnviz classify [--tsv FILE] and rnnviz context WORD A B [--checkpoint CKPT]."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.core.classify import phrasebook_examples


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    return int(code or 0), out, err


@pytest.fixture
def tsv(tmp_path: Path) -> Path:
    path = tmp_path / "mine.tsv"
    examples = phrasebook_examples(30, seed=2)
    path.write_text("text\tlabel\n" + "".join(f"{e.text}\t{e.label[:3]}\n" for e in examples), encoding="utf-8")
    return path


def test_classify_prints_accuracy_and_the_confusion_matrix(capsys) -> None:
    code, out, err = _run(capsys, "classify", "--epochs", "1", "--hidden", "8")
    assert code == 0, err
    assert "validation accuracy" in out and "true \\ predicted" in out
    matrix = out.split("true \\ predicted")[1].splitlines()
    assert [line.split()[0] for line in matrix[1:4]] == ["statement", "question", "negation"]
    assert "precision" in out and "recall" in out


def test_classify_a_users_file_as_json(capsys, tsv: Path) -> None:
    code, out, err = _run(capsys, "classify", "--tsv", str(tsv), "--epochs", "2", "--cell", "lstm",
                          "--layers", "2", "--hidden", "8", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["labels"] == ["neg", "que", "sta"] and result["data"] == "mine.tsv"
    assert sum(map(sum, result["confusion"])) == result["validation"] == 18
    assert 0 <= result["accuracy"] <= 1 and result["layers"] == 2


def test_classify_says_what_is_wrong_with_a_file(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("a sentence\tgood\nanother sentence without its label\n", encoding="utf-8")
    code, out, err = _run(capsys, "classify", "--tsv", str(bad))
    assert code == 1 and out == "" and "Traceback" not in err
    assert "bad.tsv, line 2: this row has no label: 'another sentence without its label'" in err
    code, _, err = _run(capsys, "classify", "--hidden", "0")
    assert code == 2 and "the hidden size must be at least 1" in err


def test_context_without_a_checkpoint_trains_a_classifier(capsys) -> None:
    code, out, err = _run(capsys, "context", "do", "do you like cats", "you do not like cats", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["positions"] == [[0, 0], [1, 1]] and "classifier" in result["model"]
    assert [r["part"] for r in result["rows"]][:3] == ["embedding", "layer 1 forward", "layer 1 backward"]
    assert result["rows"][0]["cosine"] == pytest.approx(1.0)


def test_context_reads_a_language_model_checkpoint(capsys, lm_checkpoint: Path) -> None:
    code, out, err = _run(capsys, "context", "cat", "the cat eats", "the cat sleeps", "--checkpoint",
                          str(lm_checkpoint))
    assert code == 0, err
    assert "layer 1 forward" in out and "embedding" in out and "backward" not in out
    assert "reads forward only" in err  # a one-directional model is said to be one
    code, out, err = _run(capsys, "context", "dog", "the cat eats", "the dog eats", "--checkpoint",
                          str(lm_checkpoint))
    assert code == 1 and "'dog' is not a word of sentence A" in err


@pytest.mark.parametrize("argv, says", [
    (("bank", "i sat by the river", "the bank is closed"), "not in the model's vocabulary"),
    (("cats", "do you like dogs", "i like cats"), "not a word of sentence A"),
    (("do", "", "do you like cats"), "sentence A is empty"),
])
def test_context_says_a_wrong_word_or_sentence_before_training(capsys, monkeypatch: pytest.MonkeyPatch,
                                                               argv: tuple[str, ...], says: str) -> None:
    import rnnviz.core.classify as classify

    trained: list[bool] = []
    real = classify.train_classifier
    monkeypatch.setattr(classify, "train_classifier", lambda *a, **k: trained.append(True) or real(*a, **k))
    code, out, err = _run(capsys, "context", *argv)
    assert code == 1 and says in err and "Traceback" not in err
    assert trained == []  # the message came at once, without the seconds of training
