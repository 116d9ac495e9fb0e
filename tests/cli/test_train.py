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
    (["--hidden", "0"], "hidden size 0"),
    (["--layers", "0"], "at least one layer"),
    (["--dropout", "1.5"], "dropout must be in [0, 1)"),
    (["--cell", "gru-book", "--implementation", "fused"], "no fused kernel"),
    (["--device", "cuda:7"], "not available"),
    (["--corpus", "nope"], "no corpus named 'nope'"),
    (["--lr", "-1"], "learning rate must be positive"),
])
def test_train_refuses_impossible_settings(flags: list[str], message: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    assert main(["train", "lm", "--epochs", "1", *flags, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()
