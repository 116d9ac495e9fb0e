"""`rnnviz gates`, as a user types it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnviz.cli import main
from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import build_data
from rnnviz.core.data.vocab import BOS, EOS, UNK
from rnnviz.core.introspect import DEFAULT_MAX_TOKENS, GateTrace
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


def test_gates_traces_the_shipped_language_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trace.npz"
    assert main(["gates", "--text", "Hello, world!", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "lm: 11 steps × 1 layer(s) × 1 direction(s) of GRU, torch variant" in err and f"wrote {out}" in err
    trace = GateTrace.from_npz(out)
    assert trace.tokens == tuple("hello world") and trace.part == "lm" and trace.cell_variant == "gru"
    bundle = load_checkpoint(pretrained_path("lm"))
    with torch.no_grad():
        ids = torch.tensor([bundle.vocabs[0].indices(trace.tokens)])
        outputs, _ = bundle.model.stack(bundle.model.embed(ids))  # (T, 1, H)
    np.testing.assert_allclose(trace.get(0, "forward", "hidden"), outputs[:, 0].numpy(), atol=1e-5)


def test_gates_with_a_checkpoint_writes_npz_and_csv(lstm_checkpoint: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out, table = tmp_path / "t.npz", tmp_path / "t.csv"
    assert main(["gates", "--checkpoint", str(lstm_checkpoint), "--text", "the bat", "--out", str(out),
                 "--csv", str(table)]) == 0
    err = capsys.readouterr().err
    assert "2 layer(s) × 2 direction(s) of LSTM" in err
    assert "note: not in the model's vocabulary" in err and ": b" in err  # 'b' is not in the corpus
    trace = GateTrace.from_npz(out)
    assert trace.tokens == ("t", "h", "e", " ", UNK, "a", "t")
    assert trace.get(1, "backward", "forget").shape == (7, 6)
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 6 * 7 * 6  # layer-directions × gates × steps × units
    assert {r["gate"] for r in rows} == {"input", "forget", "output", "candidate", "cell", "hidden"}


def test_gates_on_a_translation_model_writes_encoder_and_decoder(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    out, table = tmp_path / "mt.npz", tmp_path / "mt.csv"
    assert main(["gates", "--task", "mt", "--text", "The cat is black.", "--out", str(out), "--csv", str(table)]) == 0
    err = capsys.readouterr().err
    assert "encoder: 12 steps" in err and "decoder: 6 steps" in err and "padded with <pad>" in err
    assert not out.exists()
    encoder = GateTrace.from_npz(tmp_path / "mt.encoder.npz")
    decoder = GateTrace.from_npz(tmp_path / "mt.decoder.npz")
    assert encoder.part == "encoder" and encoder.tokens[:6] == ("the", "cat", "is", "black", ".", EOS)
    assert decoder.part == "decoder" and decoder.tokens == (BOS, "le", "chat", "est", "noir", ".")
    assert decoder.predicted == ("le", "chat", "est", "noir", ".", EOS)
    with table.open(encoding="utf-8", newline="") as f:
        assert {r["part"] for r in csv.DictReader(f)} == {"encoder", "decoder"}


def test_max_tokens_trims_the_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.npz"
    assert main(["gates", "--text", "the time traveller", "--max-tokens", "8", "--out", str(out)]) == 0
    assert "the trace covers the first 8" in capsys.readouterr().err
    assert GateTrace.from_npz(out).tokens == tuple("the time")
    with pytest.raises(SystemExit) as refused:  # refused by argparse, before the model is loaded
        main(["gates", "--text", "the", "--max-tokens", "0", "--out", str(out)])
    assert refused.value.code == 2
    assert "argument --max-tokens: max_tokens must be at least 1, not 0" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--text", "hello"], "nothing to write: give --out"),
    (["--text", "   ", "--out", "x.npz"], "probe text is empty"),
    (["--text", "42 !", "--out", "x.npz"], "empty once cleaned"),
    (["--task", "mt", "--text", "", "--out", "x.npz"], "sentence is empty"),
    (["--task", "mt", "--checkpoint", str(pretrained_path("lm")), "--text", "a", "--out", "x.npz"],
     "holds a language model, but a translation model is needed"),
    (["--checkpoint", "missing.pt", "--text", "a", "--out", "x.npz"], "no such checkpoint"),
])
def test_gates_refuses_bad_input(argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["gates", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trace.npz"
    out.write_bytes(b"an older trace")

    def disk_full(file, **arrays):
        file.write(b"half a trace")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    assert main(["gates", "--text", "hello", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "previous file, if any, is unchanged" in err
    assert out.read_bytes() == b"an older trace"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.npz"]


def test_help_names_the_default_max_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["gates", "--help"])
    assert f"(default {DEFAULT_MAX_TOKENS})" in " ".join(capsys.readouterr().out.split())
