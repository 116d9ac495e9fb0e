"""`rnnviz grads`, as a user types it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from rnnviz.cli import main
from rnnviz.core.checkpoint import save_checkpoint
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import build_data
from rnnviz.core.data.vocab import BOS, EOS
from rnnviz.core.gradients import Gradients
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.resources import pretrained_path


@pytest.fixture(scope="module")
def lstm_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small bidirectional 2-layer LSTM language model on a user file."""
    folder = tmp_path_factory.mktemp("lstm")
    corpus = folder / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(corpus), num_steps=8, batch_size=8))
    bundle = bundle_for(data, ModelConfig("lm", StackSpec("lstm", (6, 6), bidirectional=True), embed_size=5))
    return save_checkpoint(bundle, folder / "lstm.pt")


def test_grads_of_the_shipped_language_model_as_npz_and_json(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.npz"
    assert main(["grads", "--text", "Hello, world!", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    assert "lm: 10 steps × 1 layer(s) × 1 direction(s) of gru" in captured.err and f"wrote {out}" in captured.err
    summary = json.loads(captured.out)
    assert summary["tokens"] == list("hello world") and summary["task"] == "lm"
    (layer,) = summary["layers"]
    result = Gradients.from_npz(out)
    g = result.get(1).g
    assert layer["g"] == pytest.approx(g.tolist()) and layer["ratio"] == pytest.approx(float(g[0] / g[-1]))
    with np.load(out) as npz:
        assert npz["G/1/forward"].shape == (10, 10) and tuple(npz["tokens"]) == tuple("hello world")
        np.testing.assert_array_equal(npz["g/1/forward"], npz["G/1/forward"][-1])


def test_grads_of_an_lstm_checkpoint_as_csv(lstm_checkpoint: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.csv"
    assert main(["grads", "--checkpoint", str(lstm_checkpoint), "--text", "the mat", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "2 layer(s) × 2 direction(s) of lstm" in err and "bidirectional" in err
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["quantity"] for r in rows} == {"loss", "g", "G", "cell_g", "cell_G", "x", "X"}
    assert {(r["layer"], r["direction"]) for r in rows if r["quantity"] == "G"} == {
        (layer, d) for layer in ("1", "2") for d in ("forward", "backward")}


def test_grads_of_a_translation_model_with_a_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mt.npz"
    assert main(["grads", "--text", "The cat is black.", "--reference", "Le chat est noir.", "--out", str(out),
                 "--json"]) == 0
    captured = capsys.readouterr()
    assert "encoder: 12 steps" in captured.err and "decoder: 6 steps" in captured.err
    summary = json.loads(captured.out)
    assert summary["tokens"] == [BOS, "le", "chat", "est", "noir", ".", EOS] and summary["task"] == "mt"
    assert summary["encoder"]["tokens"][:6] == ["the", "cat", "is", "black", ".", EOS]
    result = Gradients.from_npz(out)
    assert result.encoder is not None and result.encoder.get(2).g.shape == (12,)


def test_max_tokens_cuts_the_text_and_has_a_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.npz"
    assert main(["grads", "--text", "the time traveller", "--max-tokens", "8", "--out", str(out)]) == 0
    assert "the gradients cover the first 8" in capsys.readouterr().err
    assert Gradients.from_npz(out).tokens == tuple("the time")
    with pytest.raises(SystemExit) as refused:  # refused by argparse, before the model is loaded
        main(["grads", "--text", "the", "--max-tokens", "1", "--out", str(out)])
    assert refused.value.code == 2
    assert "argument --max-tokens: max_tokens must be at least 2" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--text", "hello"], "nothing to write: give --out"),
    (["--text", "hello", "--out", "g.txt"], "must end in .npz"),
    (["--text", "   ", "--out", "g.npz"], "the text is empty"),
    (["--text", "a", "--out", "g.npz"], "leaves one token ('a')"),
    (["--text", "42 !", "--out", "g.npz"], "leaves nothing once cleaned"),
    (["--task", "mt", "--text", "the cat is black .", "--out", "g.npz"], "needs a reference translation"),
    (["--task", "mt", "--text", "the cat is cold .", "--reference", "le chat", "--out", "g.npz"],
     "lacks: 'cold'"),
    (["--task", "lm", "--text", "hello", "--reference", "bonjour", "--out", "g.npz"], "this is a language model"),
    (["--checkpoint", str(pretrained_path("mt")), "--text", "the cat is black .", "--out", "g.npz"],
     "needs a reference translation"),
    (["--checkpoint", str(pretrained_path("lm")), "--text", "hello", "--reference", "x", "--out", "g.npz"],
     "this is a language model"),
    (["--task", "mt", "--checkpoint", str(pretrained_path("lm")), "--text", "a", "--out", "g.npz"],
     "holds a language model, but a translation model is needed"),
    (["--checkpoint", "missing.pt", "--text", "hello", "--out", "g.npz"], "no such checkpoint"),
])
def test_grads_refuses_bad_input(argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["grads", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.startswith("rnnviz: error: ")
    assert list(tmp_path.iterdir()) == []


def test_unknown_tokens_can_be_allowed(lstm_checkpoint: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.npz"
    argv = ["grads", "--checkpoint", str(lstm_checkpoint), "--text", "the bat", "--out", str(out)]
    assert main(argv) == 1
    assert "lacks: 'b'" in capsys.readouterr().err and not out.exists()
    assert main([*argv, "--allow-unknown"]) == 0
    assert "note: the text: not in the model's vocabulary, read as <unk>: 'b'" in capsys.readouterr().err
    assert out.exists()


def test_grads_reads_a_memory_model_by_its_sequence_and_a_run_by_its_epoch(tmp_path, capsys) -> None:
    """A recall model reads its own validation sequence (--sequence), not a text; a recorded run gives its
    model at --epoch like a checkpoint."""
    import json

    from rnnviz.cli import main

    run = tmp_path / "run"
    assert main(["train", "recall", "--lag", "3", "--num-train", "64", "--num-val", "8", "--epochs", "1",
                 "--hidden", "8", "--run-dir", str(run), "--device", "cpu"]) == 0
    capsys.readouterr()
    assert main(["grads", "--run", str(run), "--epoch", "1", "--sequence", "2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["tokens"]) > 3
    assert main(["grads", "--run", str(run), "--text", "abc", "--json"]) == 1
    assert "--sequence K" in capsys.readouterr().err
    assert main(["grads", "--run", str(run), "--sequence", "9", "--json"]) == 1  # the run holds 8
    assert "sequence" in capsys.readouterr().err.lower()
    assert main(["grads", "--sequence", "1", "--text", "the cat", "--json"]) == 1  # a language model
    assert "Leave --sequence out" in capsys.readouterr().err
