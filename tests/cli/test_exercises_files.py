"""rnnviz exercises run ID --file F [--file F2] [--column C]; show says what file an exercise accepts;
run --json carries the plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rnnviz.core.exercises as exercises
from rnnviz.cli import main
from rnnviz.core.errors import DataError
from rnnviz.core.exercises import Exercise, ExerciseResult, FileInput, Plot, Series, Setup, Table


def _runner(small, progress, stop, files=(), column=None) -> ExerciseResult:
    """Echoes what it was given; a file holding "bad" is refused as a real runner would."""
    for path in files:
        if "bad" in Path(path).read_text():
            raise DataError(f"{path}: the column {column!r} holds text, not numbers; choose a numeric column.")
    names = tuple(Path(p).name for p in files) or ("built-in",)
    plot = Plot("the series", "lines", "t", "x", (Series("data", (0, 1, 2), (1.0, 2.0, 4.0)),))
    return ExerciseResult("fake-1", f"ran on {', '.join(names)}, column {column}",
                          (Table("inputs", ("file",), [(n,) for n in names]),), plots=(plot,))


def _exercise(many: bool = False, column: bool = True) -> Exercise:
    return Exercise("fake-1", "10.1 Long Short-Term Memory (LSTM)", 5, "a made-up exercise", "Forecast a series.",
                    "", Setup("phrasebook-en", "lm", None, "Training"), "ready", runner=_runner,
                    accepts=FileInput("csv", "a CSV with a numeric column", many=many, column=column))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    made = {"exercise": _exercise()}
    real = exercises.get_exercise
    monkeypatch.setattr(exercises, "get_exercise",
                        lambda i: made["exercise"] if i == "fake-1" else real(i))
    return made


def test_run_on_a_file_with_a_column(fake, tmp_path: Path, capsys) -> None:
    data = tmp_path / "sales.csv"
    data.write_text("month,sales\n1,3\n2,5\n")
    assert main(["exercises", "run", "fake-1", "--file", str(data), "--column", "sales"]) == 0
    out = capsys.readouterr().out
    assert "ran on sales.csv, column sales" in out and "the series" in out


def test_several_files_where_the_exercise_takes_several(fake, tmp_path: Path, capsys) -> None:
    fake["exercise"] = _exercise(many=True, column=False)
    paths = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for p in paths:
        p.write_text("some text\n")
    assert main(["exercises", "run", "fake-1", "--file", str(paths[0]), "--file", str(paths[1])]) == 0
    assert "ran on a.txt, b.txt" in capsys.readouterr().out


def test_two_files_where_it_takes_one_is_refused(fake, tmp_path: Path, capsys) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    assert main(["exercises", "run", "fake-1", "--file", str(tmp_path / "a.csv"),
                 "--file", str(tmp_path / "a.csv")]) == 1
    assert "takes one csv file, not 2" in capsys.readouterr().err


def test_a_missing_file_is_named(fake, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere.csv"
    assert main(["exercises", "run", "fake-1", "--file", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"--file {missing}: no such file" in err and "Traceback" not in err


def test_a_bad_file_gets_the_runners_message(fake, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("x\nbad\n")
    assert main(["exercises", "run", "fake-1", "--file", str(bad), "--column", "x"]) == 1
    err = capsys.readouterr().err
    assert "holds text, not numbers; choose a numeric column" in err and "Traceback" not in err


def test_a_file_for_an_exercise_without_one_is_refused(tmp_path: Path, capsys) -> None:
    data = tmp_path / "a.csv"
    data.write_text("x\n1\n")
    assert main(["exercises", "run", "lstm-3", "--file", str(data)]) == 1
    assert "runs on its own data only" in capsys.readouterr().err


def test_show_says_what_file_it_accepts(fake, capsys) -> None:
    assert main(["exercises", "show", "fake-1"]) == 0
    out = capsys.readouterr().out
    assert "your file one CSV file (--file): a CSV with a numeric column" in out and "--column:" in out
    assert "rnnviz exercises run fake-1 --file PATH --column NAME" in out


def test_run_json_includes_the_plots(fake, tmp_path: Path, capsys) -> None:
    data = tmp_path / "s.csv"
    data.write_text("v\n1\n")
    assert main(["exercises", "run", "fake-1", "--file", str(data), "--json"]) == 0
    plots = json.loads(capsys.readouterr().out)["plots"]
    assert plots[0]["title"] == "the series" and plots[0]["series"][0]["y"] == [1.0, 2.0, 4.0]


def test_a_column_without_its_file_is_refused(fake, capsys) -> None:
    """--column alone would be dropped silently and the exercise run on its own data: the user is told."""
    assert main(["exercises", "run", "fake-1", "--column", "sales"]) == 1
    err = capsys.readouterr().err
    assert "picks a column of your file; give the file too (--file)" in err and "Traceback" not in err


def test_a_folder_is_not_called_missing(fake, tmp_path: Path, capsys) -> None:
    assert main(["exercises", "run", "fake-1", "--file", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"--file {tmp_path} is a folder" in err and "no such file" not in err
