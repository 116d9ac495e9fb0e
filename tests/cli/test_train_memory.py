"""`rnnviz train` on the tasks that need memory: as a user types it, and the comparison table."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.core.config import RECALL_TARGETS
from rnnviz.core.models.memory_presets import MEMORY_PRESETS
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.errors import DataError

SMALL = ["--hidden", "8", "--epochs", "1", "--num-train", "64", "--num-val", "32"]


def test_train_recall_saves_a_model_that_knows_its_lag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "recall.pt"
    assert main(["train", "recall", "--lag", "3", "--symbols", "5", *SMALL, "--out", str(out)]) == 0
    assert "validation accuracy" in capsys.readouterr().out
    bundle = load_checkpoint(out, "recall")
    assert (bundle.data_config.lag, bundle.data_config.symbols, bundle.data_config.num_steps) == (3, 5, 3 + RECALL_TARGETS)
    assert bundle.vocabs[0].to_list()[1:] == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize("task, flags", [("adding", ["--num-steps", "10", "--cell", "lstm"]),
                                         ("copy", ["--copy-length", "2", "--lag", "4", "--bidirectional"])])
def test_train_adding_and_copy_round_trip_through_a_checkpoint(task: str, flags: list[str], tmp_path: Path) -> None:
    out = tmp_path / f"{task}.pt"
    assert main(["train", task, *flags, *SMALL, "--out", str(out)]) == 0
    bundle = load_checkpoint(out)
    assert bundle.task == task and bundle.model.metric_name in ("accuracy", "mse")
    with pytest.raises(DataError, match="but a language model is needed here"):
        load_checkpoint(out, "lm")


@pytest.mark.parametrize("flags, message", [
    (["recall", "--lag", "20", "--num-steps", "20"], "must be shorter than the sequence"),
    (["copy", "--copy-length", "6", "--num-steps", "10"], "copy delay does not fit"),
    (["lm", "--lag", "3"], "--lag belongs to the tasks that need memory"),
    (["adding", "--symbols", "4"], "symbols is a setting of the recall and copy"),
    (["recall", "--sampling", "book"], "--sampling cuts a text corpus"),
    (["recall", "--compare", "rnn"], "--compare needs a recipe"),
    (["--compare", "rnn,elman", "--preset", "recall"], "not 'elman'"),
    (["--compare", "rnn", "--preset", "gru-lm"], "runs a task that needs memory"),
    (["--compare", "rnn", "--preset", "adding", "--lags", "5"], "the adding problem has no lag"),
    (["recall"], "--out FILE"),
])
def test_bad_task_settings_are_refused_with_a_reason(flags: list[str], message: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = [] if "--compare" in flags or flags == ["recall"] else ["--out", str(tmp_path / "x.pt")]
    assert main(["train", *flags, *out]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()


def test_an_option_of_no_task_is_refused_by_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "recall", "--delay", "3", "--out", "x.pt"])
    assert exit_info.value.code == 2 and "--delay" in capsys.readouterr().err


def test_compare_prints_one_row_per_cell_and_one_column_per_lag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--compare", "rnn,gru", "--preset", "recall", "--lags", "1,2", *SMALL]) == 0
    table = capsys.readouterr().out.strip().splitlines()
    assert "lag 1" in table[0] and "lag 2" in table[0]
    assert [line.split()[0] for line in table[1:3]] == ["rnn", "gru"]
    assert all(line.count("%") == 2 for line in table[1:3])
    symbols = MEMORY_PRESETS["recall-gru"].train["symbols"]
    assert table[-1].startswith(f"chance: {100 / symbols:.1f}%")  # 1 in the recall presets' symbols


def test_data_list_shows_the_generated_tasks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "list"]) == 0
    listing = capsys.readouterr().out
    for task in ("recall", "adding", "copy"):
        assert any(line.startswith(task) and "generated" in line for line in listing.splitlines())


def test_the_memory_presets_are_listed_and_train(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stack", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(f"recall-{cell}" in listed for cell in ("rnn", "gru", "lstm"))
    out = tmp_path / "p.pt"
    assert main(["train", "--preset", "recall-lstm", "--lag", "2", *SMALL, "--out", str(out)]) == 0
    bundle = load_checkpoint(out)
    assert bundle.model_config.stack.cell == "lstm" and bundle.data_config.lag == 2


def test_data_info_describes_a_generated_task(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "info", "recall"]) == 0
    text = capsys.readouterr().out
    assert "t − lag" in text and "lag 5" in text and "rnnviz train recall" in text
