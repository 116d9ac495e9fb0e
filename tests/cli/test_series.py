"""rnnviz series: the book's series or a CSV column, errors per horizon beside the naive forecast, --json, --plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnviz.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["series", *argv])
    except SystemExit as exit_:  # argparse's own refusal
        code = exit_.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    return int(code or 0), out, err


def test_json_gives_the_error_per_horizon_and_the_baseline(capsys) -> None:
    code, out, _ = run(capsys, "--cell", "gru", "--epochs", "3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["series"]["values"] == 1000 and data["series"]["train_windows"] == 600
    assert data["series"]["first_checked_time"] == 605
    assert [e["horizon"] for e in data["errors"]] == [1, 4, 16, 64, None]
    one = data["errors"][0]
    assert one["mse"] < one["baseline_mse"] and one["count"] == 396
    assert len(data["epochs"]) == 3 and data["model"]["cell"] == "gru"


def test_the_table_and_the_plots(capsys, tmp_path: Path) -> None:
    out_file = tmp_path / "forecast.svg"
    code, out, _ = run(capsys, "--cell", "rnn", "--hidden", "8", "--epochs", "1", "--horizons", "2,8",
                       "--plot", str(out_file))
    assert code == 0
    assert "the first 600 windows train" in out and "repeat last" in out
    assert "2 steps ahead" in out and "8 steps ahead" in out and "multi-step" in out
    assert "64 steps ahead" not in out
    other = tmp_path / "forecast-ksteps.svg"
    assert out_file.read_text().startswith("<svg") and "1-step forecast" in out_file.read_text()
    assert "8-step forecast" in other.read_text()
    code, _, _ = run(capsys, "--cell", "rnn", "--hidden", "8", "--epochs", "1", "--horizons", "1",
                     "--plot", str(tmp_path / "f.png"))
    assert code == 0 and (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_a_csv_column(capsys, tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("week,units\n" + "\n".join(f"{w},{100 + (w % 7) * 3}" for w in range(80)) + "\n",
                    encoding="utf-8")
    code, out, _ = run(capsys, "--csv", str(path), "--column", "units", "--epochs", "2", "--horizons", "1,4",
                       "--json")
    assert code == 0
    data = json.loads(out)
    assert data["series"]["name"] == "units" and data["series"]["values"] == 80
    assert data["series"]["train_windows"] == 46  # 60% of the 76 windows


@pytest.mark.parametrize("argv, said", [
    (["--csv", "FILE"], "no file FILE"),  # the file's own problem, not a demand for --column
    (["--column", "price"], "--column picks a column of --csv FILE"),
    (["--plot", "forecast.pdf"], "give a file ending in .svg or .png"),
])
def test_misuse_is_said_plainly(capsys, tmp_path: Path, monkeypatch, argv: list[str], said: str) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 1 and said in err and "Traceback" not in err


def test_a_bad_csv_is_a_clear_error(capsys, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("week,units\n", encoding="utf-8")
    code, out, err = run(capsys, "--csv", str(path), "--column", "units")
    assert code == 1 and "has a header (week, units) but no rows of values" in err and out == ""
    code, _, err = run(capsys, "--csv", str(path), "--column", "price")
    assert code == 1 and "no column 'price'; its columns are 'week', 'units'" in err


@pytest.mark.parametrize("argv, said", [
    (["--horizons", "1,0"], "argument --horizons: the horizon must be at least 1 step, not 0"),
    (["--horizons", "1,5000"], "the horizon must be at most 1,000 steps"),
    (["--horizons", "a"], "the horizon must be a whole number, not 'a'"),
    (["--tau", "0"], "argument --tau: the window must be at least 1 step"),
    (["--hidden", "0"], "argument --hidden: the hidden size must be at least 1"),
])
def test_numbers_out_of_range_are_refused_by_argparse(capsys, argv: list[str], said: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and said in err and out == ""


def test_a_horizon_past_the_end_of_a_short_series(capsys, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("v\n" + "\n".join(str(i % 5) for i in range(30)) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "--csv", str(path), "--column", "1", "--epochs", "1")
    assert code == 1 and "the horizon 64 is too far for this series: 30 values" in err


@pytest.mark.parametrize("content, said", [
    ("", "is empty"),
    ("week,units\n1,2\n", "has 2 columns ('week', 'units'): say which one holds the series"),
])
def test_a_csv_without_column_gets_the_files_own_problem(capsys, tmp_path: Path, content: str, said: str) -> None:
    """An empty file is called empty, and a file of several columns asks which: not a bare '--csv needs --column'."""
    path = tmp_path / "data.csv"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "--csv", str(path))
    assert code == 1 and said in err and "Traceback" not in err


def test_a_csv_of_one_column_needs_no_column(capsys, tmp_path: Path) -> None:
    """As exercise lstm-5 on the same file: its only column is the series."""
    path = tmp_path / "one.csv"
    path.write_text("units\n" + "".join(f"{v}\n" for v in range(40)), encoding="utf-8")
    code, out, err = run(capsys, "--csv", str(path), "--epochs", "1", "--horizons", "1,2", "--json")
    assert code == 0, err
    assert json.loads(out)["series"]["name"] == "units"
