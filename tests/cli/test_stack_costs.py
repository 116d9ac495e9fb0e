"""`rnnviz stack --costs`: the cost table of the RNN, GRU and LSTM, as a user types it."""

from __future__ import annotations

import json
import math

import pytest

from rnnviz.cli import main
from rnnviz.core.costs import forward_flops, params


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["stack", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_formulas_only_print_the_counts_and_flops_of_each_cell(capsys) -> None:
    code, out, err = run(capsys, "--costs", "--hidden", "128", "--no-measure")
    assert code == 0 and err == ""
    for cell, title in (("rnn", "RNN"), ("gru", "GRU"), ("lstm", "LSTM")):
        line = next(line for line in out.splitlines() if line.startswith(title + " "))
        assert f"{params(cell, 128, 128):,}" in line and f"{forward_flops(cell, 128, 128):,}" in line
        assert line.count("—") == 4  # nothing measured: speeds and time ratios empty
    assert "2·G·h·(d + h)" in out and "3 × (128·128 + 128·128 + 2·128)" in out
    assert "Measured on" not in out


def test_the_measured_table_as_json_has_positive_rates_and_ratios(capsys) -> None:
    code, out, _ = run(capsys, "--costs", "--hidden", "8", "--seconds", "0.1", "--batch-size", "2",
                       "--num-steps", "3", "--json")
    assert code == 0
    data = json.loads(out)  # progress goes nowhere with --json: stdout is the JSON alone
    assert (data["hidden_size"], data["batch_size"], data["num_steps"]) == (8, 2, 3)
    assert [row["cell"] for row in data["rows"]] == ["rnn", "gru", "lstm"]
    for row in data["rows"]:
        assert row["params"] == params(row["cell"], 8, 8)
        for key in ("train_tokens_per_s", "infer_tokens_per_s"):
            assert math.isfinite(row["measured"][key]) and row["measured"][key] > 0
        assert row["train_time_ratio"] > 0 and row["flops_ratio"] >= 1
    assert "torch" in data["machine"] and data["stopped"] is False


def test_measuring_prints_progress_and_the_machine(capsys) -> None:
    code, out, err = run(capsys, "--costs", "--hidden", "4", "--seconds", "0.1", "--batch-size", "2",
                         "--num-steps", "2")
    assert code == 0
    assert "measuring the GRU (2 of 3)" in err
    assert "Measured on:" in out and "FLOPs ratios are the formula's" in out


@pytest.mark.parametrize("argv, message", [
    (("--hidden", "64"), "--hidden applies to the cost table; give --costs"),
    (("--costs", "--vocab", "30"), "--vocab does not apply"),
])
def test_options_that_do_not_go_together_are_refused(capsys, argv, message) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == "" and message in err


def test_out_of_range_numbers_are_refused_by_argparse(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["stack", "--costs", "--seconds", "0"])
    assert exit_info.value.code == 2
    assert "allowed: 0.1 to 600 seconds" in capsys.readouterr().err
