"""`rnnviz train`, as a user types it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.core.checkpoint import load_checkpoint


def test_train_lm_writes_a_checkpoint_and_a_summary(lm_checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = load_checkpoint(lm_checkpoint, "lm")
    assert bundle.model_config.stack.cell == "gru" and bundle.model_config.stack.hidden_sizes == (16,)
    assert bundle.train_config is not None and bundle.train_config.optimizer == "sgd"  # the book's recipe
    assert len(bundle.history.step) > 10 and len(bundle.history.epoch) == 1


def test_train_prints_one_summary_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    assert main(["train", "mt", "--hidden", "8", "--embed", "8", "--layers", "1", "--epochs", "1",
                 "--max-examples", "600", "--num-steps", "12", "--out", str(out)]) == 0
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 1
    line = summary[0]
    assert line.startswith("completed:") and "perplexity" in line and "tokens/s" in line and str(out) in line


def test_train_warns_when_sentences_are_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "mt", "--hidden", "8", "--embed", "8", "--layers", "1", "--epochs", "1",
                 "--max-examples", "300", "--num-steps", "5", "--out", str(tmp_path / "m.pt")]) == 0
    err = capsys.readouterr().err
    assert "longer than num_steps=5 and were cut" in err and "--num-steps" in err


@pytest.mark.parametrize("flags, message", [
    (["--hidden", "0"], "argument --hidden: the hidden size must be at least 1 unit, not 0"),
    (["--layers", "0"], "argument --layers: the number of layers must be at least 1"),
    (["--dropout", "1.5"], "argument --dropout: dropout must be below 1"),
    (["--lr", "-1"], "argument --lr: the learning rate must be positive, not -1"),
    (["--lr", "inf"], "argument --lr: the learning rate must be at most 100, not inf"),
    (["--seed", str(10**21)], "argument --seed: the seed must be at most"),
])
def test_train_refuses_numbers_out_of_range_before_anything(flags: list[str], message: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    with pytest.raises(SystemExit) as exit_:
        main(["train", "lm", "--epochs", "1", *flags, "--out", str(out)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "allowed:" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("flags, message", [
    (["--cell", "gru-book", "--implementation", "fused"], "no fused kernel"),
    (["--device", "cuda:7"], "not available"),
    (["--corpus", "nope"], "no corpus named 'nope'"),
])
def test_train_refuses_impossible_settings(flags: list[str], message: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    assert main(["train", "lm", "--epochs", "1", *flags, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


# ---- the destination is checked first; a diverged run says so -------------------------------


@pytest.mark.parametrize("make, words", [
    (lambda tmp: "", "no file name given"),
    (lambda tmp: str(tmp), "is a folder"),
    (lambda tmp: str(tmp / "missing" / "m.pt"), "does not exist"),
    (lambda tmp: "/dev/null", "is not a regular file"),
])
def test_train_refuses_a_destination_it_cannot_save_to_before_any_work(
        make, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from rnnviz.core.session import TrainingSession

    prepared: list[bool] = []
    monkeypatch.setattr(TrainingSession, "prepare", lambda self, *a, **k: prepared.append(True))
    out = make(tmp_path)
    assert main(["train", "lm", "--epochs", "1", "--out", out]) == 1
    err = capsys.readouterr().err
    assert f"--out {out!r}" in err and words in err and "Traceback" not in err
    assert prepared == []  # refused before any data was built


def tiny_corpus(tmp_path: Path) -> str:
    path = tmp_path / "tiny.txt"
    path.write_text("abc." * 150, encoding="utf-8")
    return str(path)


#: No clipping and the largest learning rate allowed: on this text the loss climbs into the hundreds.
DIVERGING = ["--hidden", "16", "--epochs", "3", "--batch-size", "8", "--num-steps", "8", "--lr", "100", "--clip", "0"]


def test_a_diverged_run_says_so_exits_3_and_saves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    assert main(["train", "lm", "--corpus", tiny_corpus(tmp_path), *DIVERGING, "--out", str(out)]) == 3
    captured = capsys.readouterr()
    assert "training diverged" in captured.err and "epoch 1" in captured.err
    assert "Lower the learning rate (now 100) or turn on gradient clipping" in captured.err
    assert captured.out.startswith("diverged:") and "not saved (--keep-diverged saves it anyway)" in captured.out
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["tiny.txt"]


def test_keep_diverged_saves_the_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    assert main(["train", "lm", "--corpus", tiny_corpus(tmp_path), *DIVERGING, "--keep-diverged",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "training diverged" in captured.err
    assert captured.out.startswith("diverged:") and f"saved {out}" in captured.out
    assert len(load_checkpoint(out, "lm").history.epoch) == 1  # it ended in epoch 1


def test_train_says_how_often_clipping_acted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    assert main(["train", "lm", "--corpus", str(corpus), "--hidden", "8", "--epochs", "1", "--clip", "0.001",
                 "--out", str(tmp_path / "m.pt")]) == 0
    err = capsys.readouterr().err
    assert "clipping at norm 0.001 acted on 100% of steps" in err and "shrinking the gradient by up to" in err
