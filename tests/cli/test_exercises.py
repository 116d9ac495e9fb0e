"""rnnviz exercises list | show ID | run ID [--json]."""

from __future__ import annotations

import json

import pytest

from rnnviz.cli import main
from rnnviz.core.exercises import EXERCISES


def test_list_names_every_section_and_status(capsys) -> None:
    assert main(["exercises", "list"]) == 0
    out = capsys.readouterr().out
    assert "10.2 Gated Recurrent Units (GRU)" in out
    for e in EXERCISES:  # each with its status, and the file it also runs on
        (line,) = [line for line in out.splitlines() if line.strip().startswith(f"{e.id} ")]
        assert e.status in line and (("also on your" in line) == (e.accepts is not None)), line
    assert "lstm-5" in out and "also on your csv file" in out


def test_list_json(capsys) -> None:
    assert main(["exercises", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 29 and {"id", "section", "paraphrase", "status", "setup"} <= set(data[0])


def test_show_gives_question_and_setup(capsys) -> None:
    assert main(["exercises", "show", "gru-2"]) == 0
    out = capsys.readouterr().out
    assert "recall-gru" in out and "Gates" in out and "Look for:" in out


def test_show_unknown_is_a_clear_error(capsys) -> None:
    assert main(["exercises", "show", "gru-9"]) == 1
    assert "no exercise 'gru-9'" in capsys.readouterr().err


def test_run_prints_tables(capsys) -> None:
    assert main(["exercises", "run", "lstm-3"]) == 0
    out = capsys.readouterr().out
    assert "cost of one layer per token" in out and "lstm" in out


def test_run_json(capsys) -> None:
    assert main(["exercises", "run", "rnn-3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exercise"] == "rnn-3" and data["arrays"]["g"]["shape"][0] > 10


def test_show_of_an_exercise_with_its_own_data_says_so(capsys) -> None:
    assert main(["exercises", "show", "lstm-5"]) == 0
    out = capsys.readouterr().out
    assert "brings its own data and model" in out and "csv" in out.lower()
