"""What `rnnviz train` and `rnnviz stack` print for the tasks that need memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.core.models.memory_presets import MEMORY_PRESETS

SMALL = ["--hidden", "8", "--epochs", "1", "--num-train", "64", "--num-val", "32"]


def test_recall_summary_gives_accuracy_and_no_perplexity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "recall", "--lag", "2", "--symbols", "3", *SMALL, "--out", str(tmp_path / "r.pt")]) == 0
    out, err = capsys.readouterr()
    final = out.strip().splitlines()[-1]
    assert "validation accuracy" in final and "%" in final
    epoch_line = next(line for line in err.splitlines() if line.startswith("epoch 1/1"))
    assert "perplexity" not in final and "perplexity" not in epoch_line
    assert "val accuracy" in epoch_line


def test_adding_names_the_baseline_per_epoch_and_at_the_end(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "adding", "--num-steps", "8", *SMALL, "--out", str(tmp_path / "a.pt")]) == 0
    out, err = capsys.readouterr()
    epoch_line = next(line for line in err.splitlines() if line.startswith("epoch 1/1"))
    assert "val mse" in epoch_line and "(guessing 1: 0.167)" in epoch_line
    assert "(guessing 1: 0.167)" in out and "perplexity" not in out


def test_a_language_model_keeps_its_perplexity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "lm", "--hidden", "8", "--epochs", "1", "--num-steps", "8",
                 "--out", str(tmp_path / "lm.pt")]) == 0
    assert "perplexity" in capsys.readouterr().out


def _vocab_text(name: str) -> str:
    """<unk> and the preset's letters (copy adds the blank and the go marker); adding reads numbers."""
    preset = MEMORY_PRESETS[name]
    extra = {"recall": 1, "copy": 3}.get(preset.config.task)
    return "none (two numbers per step)" if extra is None else f"V={preset.train['symbols'] + extra}"


@pytest.mark.parametrize("name", ["recall-gru", "copy-lstm", "adding-rnn"])
def test_stack_shows_a_memory_preset(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    vocab = _vocab_text(name)
    assert main(["stack", "--preset", name]) == 0
    out = capsys.readouterr().out
    assert out.startswith(name) and vocab in out and "total" in out


def test_stack_json_of_a_memory_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stack", "--preset", "adding-gru", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["task"] == "adding" and data["vocab_sizes"] == [] and data["layers"][0]["input_size"] == 2
