"""`rnnviz train --run-dir`, `rnnviz runs ...` and `--run DIR --epoch K`, as a user types them."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.core.runs import open_run

LM = ["train", "lm", "--corpus", "phrasebook-en", "--hidden", "8", "--batch-size", "512", "--num-steps", "16"]
MT = ["train", "mt", "--hidden", "8", "--embed", "8", "--layers", "1", "--max-examples", "300", "--num-steps", "8"]
RECALL = ["train", "recall", "--lag", "2", "--symbols", "3", "--hidden", "8", "--num-train", "64", "--num-val", "32",
          "--batch-size", "32"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two language-model runs and a translation run, recorded by `rnnviz train --run-dir`."""
    root = tmp_path_factory.mktemp("runs")
    assert main([*LM, "--epochs", "2", "--run-dir", str(root / "lm-a"), "--save-every-steps", "10"]) == 0
    assert main([*LM, "--epochs", "1", "--lr", "1", "--run-dir", str(root / "lm-b")]) == 0
    assert main([*MT, "--epochs", "1", "--run-dir", str(root / "mt")]) == 0
    return root


def test_train_records_a_run_without_a_checkpoint(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = open_run(runs / "lm-a")
    assert run.status == "completed" and run.epochs() == (0, 1, 2) and run.saved_steps()
    assert run.manifest.train_config is not None and run.manifest.train_config.epochs == 2
    assert not any(p.suffix == ".pt" for p in (runs / "lm-a").iterdir())


def test_train_records_a_run_and_saves_a_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.pt"
    assert main([*LM, "--epochs", "1", "--run-dir", str(tmp_path / "run"), "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("completed:") and f"recorded {tmp_path / 'run'} (epochs 0–1)" in line and str(out) in line
    assert out.is_file() and open_run(tmp_path / "run").epochs() == (0, 1)


def test_a_memory_task_and_a_preset_record_too(tmp_path: Path) -> None:
    assert main([*RECALL, "--epochs", "2", "--run-dir", str(tmp_path / "recall")]) == 0
    run = open_run(tmp_path / "recall")
    assert run.manifest.task == "recall" and run.epochs() == (0, 1, 2)
    assert run.epoch_ends()[-1].metric == "accuracy" and run.bundle_at(2).task == "recall"
    assert main(["train", "--preset", "adding-gru", "--epochs", "1", "--num-steps", "10", "--num-train", "64",
                 "--num-val", "32", "--run-dir", str(tmp_path / "adding")]) == 0
    adding = open_run(tmp_path / "adding")
    assert adding.manifest.label == "preset adding-gru" and adding.bundle_at(1).task == "adding"


def test_runs_list_shows_one_line_per_run(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "list", str(runs)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:4] == ["name", "task", "model", "epochs"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"lm-a", "lm-b", "mt"}
    assert "GRU 1×8 language model" in rows["lm-a"] and rows["lm-a"].rstrip().endswith("completed")
    assert rows["mt"].split()[1] == "mt"
    best = min(e.val_loss for e in open_run(runs / "lm-a").epoch_ends())
    assert f"{best:.3f}" in rows["lm-a"]


def test_runs_list_defaults_to_the_users_runs_folder(runs: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RNNVIZ_RUNS_DIR", str(runs))
    assert main(["runs", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(r["name"] for r in listed) == ["lm-a", "lm-b", "mt"]
    monkeypatch.setenv("RNNVIZ_RUNS_DIR", str(runs / "none"))
    assert main(["runs", "list"]) == 0
    assert "does not exist" in capsys.readouterr().err


def test_runs_show_summarises_a_run(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "show", str(runs / "lm-a"), "--verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run lm-a (GRU 1×8 language model): completed")
    assert "epochs   0–2" in out and "sgd lr 4, 2 epochs, clip 1" in out and "best     validation loss" in out
    assert main(["runs", "show", str(runs / "mt"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["task"] == "mt" and info["epochs"] == [0, 1] and info["best"]["epoch"] == 1


def test_runs_show_names_what_was_skipped(tmp_path: Path, runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    copy = tmp_path / "damaged"
    shutil.copytree(runs / "lm-a", copy)
    (copy / "epoch-0001.safetensors").unlink()
    assert main(["runs", "show", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "epochs   0, 2" in out and "skipped  epoch 1: its weights file epoch-0001.safetensors is missing" in out
    assert main(["generate", "--run", str(copy), "--epoch", "1", "--prefix", "the"]) == 1
    assert "no complete epoch 1 (complete: 0, 2)" in capsys.readouterr().err


def test_decode_and_gates_use_an_epoch_of_a_run(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--run", str(runs / "lm-a"), "--epoch", "0", "--prefix", "the", "--length", "5"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() and "using opened run lm-a, epoch 0" in captured.err
    assert main(["translate", "--run", str(runs / "mt"), "i am cold"]) == 0
    captured = capsys.readouterr()
    assert "i am cold =>" in captured.out and "opened run mt, epoch 1" in captured.err  # default: the last epoch
    csv = tmp_path / "g.csv"
    assert main(["gates", "--run", str(runs / "lm-a"), "--epoch", "2", "--text", "hello", "--csv", str(csv)]) == 0
    assert csv.read_text().startswith("part,layer,direction,gate")


@pytest.mark.parametrize("argv, words", [
    (["translate", "--run", "{lm}", "hi"], "the run lm-a trained a language model, but a translation model is needed"),
    (["generate", "--epoch", "1", "--prefix", "a"], "--epoch picks an epoch of a recorded run: add --run DIR"),
    (["generate", "--run", "{lm}", "--checkpoint", "x.pt", "--prefix", "a"], "--checkpoint FILE or --run DIR, not both"),
    (["generate", "--run", "{lm}", "--epoch", "9", "--prefix", "a"], "no complete epoch 9 (complete: 0–2)"),
    (["generate", "--run", "{root}", "--prefix", "a"], "is not an rnnviz run: it has no manifest.json. It holds 3 run"),
])
def test_bad_run_options_are_said(runs: Path, argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a.format(lm=runs / "lm-a", root=runs) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_a_run_dir_that_is_not_empty_is_refused_before_training(tmp_path: Path, runs: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    assert main([*LM, "--epochs", "1", "--run-dir", str(tmp_path / "mine")]) == 1
    assert "is not empty (notes.txt) and is not a run" in capsys.readouterr().err
    assert main([*LM, "--epochs", "1", "--run-dir", str(runs / "lm-b")]) == 1
    assert "already holds a run" in capsys.readouterr().err
    assert main([*LM, "--epochs", "1", "--save-every-steps", "5", "--out", str(tmp_path / "m.pt")]) == 1
    assert "--save-every-steps saves weights into a run folder: add --run-dir DIR" in capsys.readouterr().err
    assert main([*LM, "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert "say where to save the trained model: --out FILE" in err and "--run-dir DIR" in err


def test_a_full_disk_stops_training_says_so_and_exits_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from rnnviz.cli.train import EXIT_RECORDING_FAILED
    from rnnviz.core.runs import writer

    real, count = writer._write, {"weights": 0}

    def full_disk(target, data) -> None:
        if not isinstance(target, int):
            count["weights"] += 1
            if count["weights"] == 3:  # the initial weights, epoch 1's, then epoch 2's fail
                raise OSError(errno.ENOSPC, "No space left on device")
        real(target, data)

    monkeypatch.setattr(writer, "_write", full_disk)
    assert main([*LM, "--epochs", "4", "--run-dir", str(tmp_path / "run")]) == EXIT_RECORDING_FAILED
    captured = capsys.readouterr()
    assert "recording stopped: could not save the weights of epoch 2" in captured.err
    assert "the disk is full" in captured.err and "Training stopped." in captured.err
    assert captured.out.startswith("recording failed:") and "(epochs 0–1)" in captured.out
    run = open_run(tmp_path / "run")
    assert run.status == "failed" and run.epochs() == (0, 1) and run.bundle_at(1).task == "lm"


def test_compare_draws_svg_and_png(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import xml.etree.ElementTree as ET

    svg, png = tmp_path / "c.svg", tmp_path / "c.png"
    assert main(["runs", "compare", str(runs / "lm-a"), str(runs / "lm-b"), "--out", str(svg)]) == 0
    root = ET.fromstring(svg.read_text())
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert titles == ["lm-a val", "lm-a train", "lm-b val", "lm-b train"]
    assert main(["runs", "compare", str(runs / "lm-a"), "--curve", "val", "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["runs", "compare", str(runs / "lm-a"), "--out", str(tmp_path / "c.jpg")]) == 1
    assert "end the name in .svg or .png" in capsys.readouterr().err


def test_export_tb_writes_an_event_file(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rnnviz.core.runs.tensorboard import read_scalars

    assert main(["runs", "export-tb", str(runs / "lm-a"), str(tmp_path / "tb")]) == 0
    (path,) = (tmp_path / "tb" / "lm-a").glob("events.out.tfevents.*")
    scalars = read_scalars(path)
    val = [(step, value) for tag, step, value in scalars if tag == "epoch/val_loss"]
    ends = open_run(runs / "lm-a").epoch_ends()
    assert [s for s, _ in val] == [e.step for e in ends]
    assert [v for _, v in val] == pytest.approx([e.val_loss for e in ends], rel=1e-6)
    assert main(["runs", "export-tb", str(runs / "lm-a"), str(tmp_path / "tb")]) == 0  # again: replaced, not doubled
    assert len(list((tmp_path / "tb" / "lm-a").glob("events.out.tfevents.*"))) == 1


def test_runs_follow_prints_the_epochs_of_a_finished_run_and_ends(runs: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "follow", str(runs / "lm-a"), "--interval", "0.05", "--timeout", "5"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "run lm-a: completed" and lines[-1] == "run lm-a: completed"
    assert [line.split(":")[0] for line in lines[1:-1]] == ["epoch 1", "epoch 2"]
