"""`rnnviz train`, `generate` and `translate`, as a user types them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.cli_models import pretrained_path
from rnnviz.core.checkpoint import load_checkpoint


@pytest.fixture(scope="module")
def lm_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lm") / "lm.pt"
    assert main(["train", "lm", "--corpus", "phrasebook-en", "--hidden", "16", "--epochs", "1",
                 "--batch-size", "256", "--out", str(out)]) == 0
    return out


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


def test_generate_continues_a_prefix(lm_checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--checkpoint", str(lm_checkpoint), "--prefix", "The cat ", "--length", "20"]) == 0
    text = capsys.readouterr().out.rstrip("\n")
    assert text.startswith("the cat ") and len(text) == len("the cat ") + 20


def test_generate_says_which_characters_it_cannot_read(lm_checkpoint: Path, capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    # A word-level model reads whole words; "zebra" is not in the phrasebook.
    out = tmp_path / "words.pt"
    assert main(["train", "lm", "--token-level", "word", "--hidden", "8", "--epochs", "1",
                 "--batch-size", "256", "--num-steps", "8", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["generate", "--checkpoint", str(out), "--prefix", "the zebra", "--length", "3"]) == 0
    captured = capsys.readouterr()
    assert "zebra" in captured.err and "<unk>" in captured.err


def test_generate_refuses_a_translation_checkpoint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--checkpoint", str(pretrained_path("mt")), "--prefix", "the"]) == 1
    assert "translation model" in capsys.readouterr().err


def test_translate_with_the_shipped_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "The cat is black.", "She does not have a car."]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == ["The cat is black. => le chat est noir .",
                     "She does not have a car. => elle n'a pas de voiture ."]


def test_translate_reads_stdin_and_prints_json(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("We eat the apples.\n\nThe zebra is black.\n"))
    assert main(["translate", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["source"] for r in results] == ["We eat the apples.", "The zebra is black."]
    assert results[0]["translation"] == "nous mangeons les pommes ."
    assert results[1]["unknown"] == ["zebra"] and "<unk>" in results[1]["source_tokens"]


def test_translate_notices_unknown_words_and_trimming(capsys: pytest.CaptureFixture[str]) -> None:
    long = "The boy and the girl and the cat and the dog eat the red apples."
    assert main(["translate", "The zebra is black.", long]) == 0
    err = capsys.readouterr().err
    assert "zebra" in err and "<unk>" in err
    assert "the model reads 12" in err


def test_translate_refuses_empty_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["translate", "  "]) == 1
    assert "empty" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["translate"]) == 1
    assert "nothing to translate" in capsys.readouterr().err


def test_translate_refuses_a_language_model(lm_checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--checkpoint", str(lm_checkpoint), "hello"]) == 1
    assert "language model, but a translation model is needed" in capsys.readouterr().err
