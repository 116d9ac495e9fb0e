"""`rnnviz train --preset NAME`: the book's recipes whole, what is typed over them, and bad input."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.errors import RnnvizError
from rnnviz.core.models.presets import PRESETS
from rnnviz.core.session import TrainingSession


class _StoppedByTheTest(RnnvizError):
    """Raised where the data would be built: the configs are known, nothing is trained."""


@pytest.fixture
def prepared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple]:
    """The (data, model, train) configs each run would prepare; the run stops there. The book's
    corpora count as present, so that no test needs them."""
    from rnnviz.core.data import hub

    seen: list[tuple] = []

    def prepare(self: TrainingSession, *args, **kwargs) -> bool:
        seen.append((self.data_config, self.model_config, self.train_config))
        raise _StoppedByTheTest("stopped by the test before the data was built")

    monkeypatch.setattr(TrainingSession, "prepare", prepare)
    monkeypatch.setattr(hub, "locate", lambda remote, *args, **kwargs: tmp_path / remote.filename)
    return seen


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse (--help)
        code = exit_.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    return int(code or 0), out, err


# ---- a preset whole, and what is typed over it ----------------------------------------------------


@pytest.mark.parametrize("name", ["gru-lm", "bi-gru-unequal", "seq2seq"])
def test_a_preset_builds_exactly_its_recipe(name: str, prepared: list[tuple], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    preset = PRESETS[name]
    code, _, err = run(capsys, "train", "--preset", name, "--out", str(tmp_path / "m.pt"))
    assert code == 1 and "stopped by the test" in err  # stopped where the data would be built
    # Not the quick defaults, and no option's default (dropout 0, clip 1, seed 0...) crept in over the preset.
    assert prepared == [(preset.data_config(), preset.config, preset.train_config())]
    assert f"preset {name} (" in err and f"from the preset: corpus {preset.train['corpus']}" in err
    assert "overridden" not in err


def test_a_task_given_must_be_the_presets(prepared: list[tuple], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "train", "mt", "--preset", "seq2seq", "--out", str(tmp_path / "m.pt"))
    assert prepared[0][1] == PRESETS["seq2seq"].config
    code, out, err = run(capsys, "train", "lm", "--preset", "seq2seq", "--out", str(tmp_path / "m.pt"))
    assert code == 1 and out == "" and "Traceback" not in err
    assert "the preset seq2seq trains a translation model (mt), not a language model (lm)" in err
    assert "leave the task out" in err and "gru-lm" in err  # the presets that would fit
    assert len(prepared) == 1


def test_options_override_the_preset_and_the_run_says_which(prepared: list[tuple], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    preset = PRESETS["gru-lm"]
    _, _, err = run(capsys, "train", "--preset", "gru-lm", "--epochs", "5", "--hidden", "64", "--clip", "0",
                    "--out", str(tmp_path / "m.pt"))
    data, model, train = prepared[0]
    assert data == preset.data_config()
    assert model == replace(preset.config, stack=replace(preset.config.stack, hidden_sizes=(64,)))
    assert train == replace(preset.train_config(), epochs=5, grad_clip=None)
    assert "overridden: hidden_sizes 64 (preset: 32), epochs 5 (preset: 50), grad_clip none (preset: 1)" in err
    kept = err.split("from the preset: ", 1)[1].split(";", 1)[0]
    assert "corpus time-machine" in kept and "lr 4" in kept and "epochs" not in kept


def test_a_bidirectional_encoder_over_the_book_seq2seq_gets_the_linear_bridge(
        prepared: list[tuple], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "train", "--preset", "seq2seq", "--bidirectional", "--dropout", "0",
                    "--out", str(tmp_path / "m.pt"))
    model = prepared[0][1]
    assert model.stack.bidirectional and not model.decoder.bidirectional
    assert model.resolved_bridge == "linear" and model.stack.dropout == model.decoder.dropout == 0.0
    assert "encoder bidirectional True (preset: False)" in err and "dropout 0 (preset: 0.1)" in err
    assert "bridge auto (preset: identity)" in err
    run(capsys, "train", "--preset", "bi-lstm-lm", "--no-bidirectional", "--out", str(tmp_path / "m.pt"))
    assert not prepared[1][1].stack.bidirectional


def test_max_examples_stretches_the_books_split_and_sampling_is_an_option(
        prepared: list[tuple], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "train", "--preset", "seq2seq", "--max-examples", "2000", "--out", str(tmp_path / "m.pt"))
    data = prepared[0][0]
    assert (data.max_examples, data.num_train, data.num_val) == (2000, 2000, 128)  # all 2,000 train
    assert "max_examples 2000 (preset: none), num_train 2000 (preset: 512)" in err
    _, _, err = run(capsys, "train", "--preset", "gru-lm", "--sampling", "random-offset",
                    "--out", str(tmp_path / "m.pt"))
    assert prepared[1][0] == replace(PRESETS["gru-lm"].data_config(), lm_sampling="random-offset")
    assert "lm_sampling random-offset (preset: book)" in err
    run(capsys, "train", "lm", "--sampling", "book", "--out", str(tmp_path / "m.pt"))
    assert prepared[2][0].lm_sampling == "book" and prepared[2][0].corpus == "phrasebook-en"
    code, _, err = run(capsys, "train", "mt", "--sampling", "book", "--out", str(tmp_path / "m.pt"))
    assert code == 1 and "--sampling says how a language model's text is cut" in err and len(prepared) == 3


def test_init_is_passed_to_the_model(prepared: list[tuple], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "train", "--preset", "seq2seq", "--init", "torch", "--out", str(tmp_path / "m.pt"))
    run(capsys, "train", "lm", "--init", "torch", "--out", str(tmp_path / "m.pt"))
    assert [configs[1].init for configs in prepared] == ["torch", "torch"]


def test_an_overridden_preset_trains_and_its_summary_line_says_so(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    code, stdout, _ = run(capsys, "train", "--preset", "gru-lm", "--corpus", "phrasebook-en", "--hidden", "8",
                          "--batch-size", "256", "--epochs", "1", "--out", str(out))
    assert code == 0
    line, = stdout.strip().splitlines()
    assert line.startswith("completed:") and line.endswith(f"saved {out}")
    assert ("preset gru-lm, overridden: corpus phrasebook-en (preset: time-machine), batch_size 256 "
            "(preset: 1024), hidden_sizes 8 (preset: 32), epochs 1 (preset: 50)") in line
    bundle = load_checkpoint(out, "lm")
    assert bundle.train_config.optimizer == "sgd" and bundle.train_config.lr == 4.0  # the preset's, kept


def test_the_book_recipe_trains_on_the_books_data(d2l_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    code, stdout, err = run(capsys, "train", "--preset", "gru-lm", "--epochs", "1", "--device", "cpu",
                            "--out", str(out))
    assert code == 0 and "fetching" not in err  # read from the offline folder
    bundle = load_checkpoint(out, "lm")
    preset = PRESETS["gru-lm"]
    # The data as the preset says (the corpus's own cleaning rule filled in as the data were built).
    assert replace(bundle.data_config, lm_cleaning=None) == preset.data_config().resolved("lm")
    assert bundle.model_config == preset.config and bundle.train_config == replace(preset.train_config(), epochs=1,
                                                                                   device="cpu")
    assert len(bundle.history.step) == 10  # the book's epoch: 10,000 windows in batches of 1,024


# ---- bad input: an unknown preset, a corpus that is not here ---------------------------------------


def test_an_unknown_preset_lists_the_presets(prepared: list[tuple], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    code, stdout, err = run(capsys, "train", "--preset", "gru-lmm", "--out", str(out))
    assert code == 1 and stdout == "" and "Traceback" not in err
    assert err.startswith("rnnviz: error: no preset named 'gru-lmm'")
    assert all(name in err for name in PRESETS) and "rnnviz stack --list" in err
    assert prepared == [] and not out.exists()


def test_no_task_and_no_preset_says_what_to_give(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "train", "--out", str(tmp_path / "m.pt"))
    assert code == 1 and "rnnviz train lm" in err and "--preset NAME" in err and "Traceback" not in err


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.mark.parametrize("preset, corpus, filename", [
    ("gru-lm", "time-machine", "timemachine.txt"),
    ("seq2seq-256", "fra-eng", "fra-eng.zip"),
])
def test_a_preset_whose_corpus_is_not_here_says_how_to_get_it_before_any_work(
        preset: str, corpus: str, filename: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for folder in ("offline", "cache"):
        (tmp_path / folder).mkdir()
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path / "offline"))
    monkeypatch.setenv("RNNVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RNNVIZ_DATA_URL", _closed_port_url())
    started: list[bool] = []
    monkeypatch.setattr(TrainingSession, "prepare", lambda self, *a, **k: started.append(True))
    out = tmp_path / "m.pt"
    code, stdout, err = run(capsys, "train", "--preset", preset, "--out", str(out))
    assert code == 1 and stdout == "" and "Traceback" not in err
    assert f"the preset {preset} trains on {corpus} (" in err and "not on this machine" in err
    assert f"`rnnviz data fetch {corpus}`" in err  # the command that fetches it
    assert f"copy {filename}" in err and "RNNVIZ_DATA_DIR" in err  # or the folder to copy it into
    assert started == [] and not out.exists() and list((tmp_path / "cache").iterdir()) == []


# ---- a long run is announced; the help is honest ------------------------------------------------------


def test_a_long_run_is_announced_before_it_starts_without_a_question(
        prepared: list[tuple], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "train", "lm", "--hidden", "1024", "--epochs", "1000", "--device", "cpu",
                    "--out", str(tmp_path / "m.pt"))
    assert "note: this run will take about" in err and "on this machine's CPU: 1000 epochs" in err
    assert "add --epochs " in err
    assert err.index("note: this run") < err.index("stopped by the test")  # said before the data was built
    assert len(prepared) == 1  # and then it went on: no prompt
    _, _, err = run(capsys, "train", "lm", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path / "m.pt"))
    assert "this run will take" not in err


def test_help_names_the_quick_defaults_and_the_presets(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "train", "--help")
    text = " ".join(out.split())
    assert code == 0
    assert "the book's recipe for the task" not in text and "Train with the book's recipe" not in text
    assert "quick defaults for a laptop, not the book's recipes" in text
    assert "batches of 32 windows of 32" in text and "built-in phrasebook" in text  # what lm really uses
    assert "The book's recipes: --preset NAME (rnnviz stack --list)" in text
    assert "--init {book,torch,forget-bias}" in text
