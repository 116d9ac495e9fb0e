"""`rnnviz train --no-mask-padding`, `--corpus toy-...`, and `rnnviz translate --bleu-by-length`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.decoding.by_length import validation_pairs


@pytest.fixture(scope="module")
def unmasked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mt") / "toy.pt"
    assert main(["train", "mt", "--corpus", "toy-reverse", "--hidden", "8", "--embed", "8", "--layers", "1",
                 "--epochs", "1", "--max-examples", "300", "--no-mask-padding", "--out", str(out)]) == 0
    return out


def test_train_unmasked_on_a_toy_corpus_says_so_and_saves_it(unmasked: Path) -> None:
    bundle = load_checkpoint(unmasked)
    assert bundle.model_config.mask_padding is False and bundle.data_config.corpus == "toy-reverse"
    assert "unmasked loss" in bundle.display_name


def test_no_mask_padding_is_refused_for_a_language_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "lm", "--no-mask-padding", "--out", str(tmp_path / "lm.pt")]) == 1
    assert "task 'lm' has none: leave it out" in capsys.readouterr().err
    assert not (tmp_path / "lm.pt").exists()


def test_data_list_names_the_toy_corpora(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "list", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert all(rows[name]["task"] == "translation" for name in ("toy-reverse", "toy-sort", "toy-dates"))


def test_bleu_by_length_covers_every_validation_pair(unmasked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--checkpoint", str(unmasked), "--bleu-by-length", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    pairs = validation_pairs(load_checkpoint(unmasked))
    assert result["k"] == 2 and result["pairs"] == len(pairs) == sum(b["count"] for b in result["buckets"])
    assert all(0.0 <= b["mean_bleu"] <= 1.0 and 0 <= b["exact"] <= b["count"] for b in result["buckets"])
    assert main(["translate", "--checkpoint", str(unmasked), "--bleu-by-length"]) == 0
    captured = capsys.readouterr()
    assert "source words" in captured.out and "validation pairs of toy-reverse" in captured.err


def test_bleu_by_length_refuses_sentences_and_beam(unmasked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--checkpoint", str(unmasked), "--bleu-by-length", "1 2 3"]) == 1
    assert "leave the sentences out" in capsys.readouterr().err
    assert main(["translate", "--checkpoint", str(unmasked), "--bleu-by-length", "--beam", "2"]) == 1
    assert "leave --beam out" in capsys.readouterr().err
