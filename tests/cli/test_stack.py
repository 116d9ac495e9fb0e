"""`rnnviz stack`: the presets, listed and shown layer by layer, as a user types it."""

from __future__ import annotations

import json

import pytest

from rnnviz.cli import main
from rnnviz.core.models.presets import PRESETS, get_preset, preset_names
from tests.core.models.builders import built, numel


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["stack", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_every_preset_with_its_title(capsys) -> None:
    code, out, _ = run(capsys, "--list")
    assert code == 0
    for preset in PRESETS.values():
        line = next(line for line in out.splitlines() if line.startswith(preset.name + " "))
        assert preset.title in line
    assert run(capsys)[1] == out  # no option: the list


def test_list_as_json(capsys) -> None:
    code, out, _ = run(capsys, "--list", "--json")
    assert code == 0
    data = json.loads(out)
    assert [p["name"] for p in data] == list(preset_names())  # the book's, then the tasks that need memory
    assert [p["name"] for p in data][:len(PRESETS)] == list(PRESETS)
    assert all(p["title"] and p["section"] and p["task"] in ("lm", "mt", "recall", "adding", "copy") for p in data)


def test_gru_lm_as_json(capsys) -> None:
    code, out, _ = run(capsys, "--preset", "gru-lm", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["preset"] == "gru-lm" and data["vocab_sizes"] == [28]  # The Time Machine's characters
    (layer,) = data["layers"]
    assert (layer["cell"], layer["input_size"], layer["hidden_size"], layer["bidirectional"]) == ("gru", 28, 32, False)
    assert layer["params"] == 3 * (28 * 32 + 32 * 32 + 2 * 32) and layer["book_params"] == 5856
    # The built model's real count: the GRU, and the output layer 32 -> 28.
    assert data["total_params"] == layer["params"] + 32 * 28 + 28
    assert data["total_params"] == numel(built(get_preset("gru-lm").config, (28,)))


@pytest.mark.parametrize("name", list(PRESETS))
def test_json_total_is_the_built_models_count(name: str, capsys) -> None:
    code, out, _ = run(capsys, "--preset", name, "--vocab", "12", "--json")
    assert code == 0
    data = json.loads(out)
    config = get_preset(name).config
    sizes = (12,) if config.task == "lm" else (12, 12)
    assert data["vocab_sizes"] == list(sizes)
    assert data["total_params"] == numel(built(config, sizes))
    for layer in data["layers"]:
        assert {"cell", "input_size", "hidden_size", "bidirectional", "params", "part", "index"} <= set(layer)


def test_translation_defaults_and_decoder_input(capsys) -> None:
    data = json.loads(run(capsys, "--preset", "seq2seq", "--json")[1])
    assert data["vocab_sizes"] == [200, 200]
    parts = [(layer["part"], layer["input_size"]) for layer in data["layers"]]
    assert parts == [("encoder", 32), ("encoder", 32), ("decoder", 64), ("decoder", 32)]  # [embedding; context]


def test_text_table(capsys) -> None:
    code, out, _ = run(capsys, "--preset", "bi-gru-unequal")
    assert code == 0
    assert "book params" in out and "torch params" in out
    row = next(line for line in out.splitlines() if line.startswith("lm "))
    assert row.split()[:6] == ["lm", "1", "gru", "28", "32/16", "48"]
    assert "3 × (28·32 + 32·32 + 32) + 3 × (28·16 + 16·16 + 16) = 8,016" in out
    total = numel(built(get_preset("bi-gru-unequal").config, (28,)))
    assert f"total        {total:,} parameters" in out
    assert "output layer" in out and "W_hq (48, 28)" in out


@pytest.mark.parametrize("argv, message", [
    (["--preset", "nope"], "no preset named 'nope'; choose one of rnn-lm"),
    (["--vocab", "5"], "give --preset NAME"),
])
def test_mistakes_get_a_clear_message(argv: list[str], message: str, capsys) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith("rnnviz: error: ") and message in err
