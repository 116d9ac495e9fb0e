"""Every number the command line takes has a range: out of it, a message and a non-zero exit, never a traceback.

Options with a range type are refused by argparse (exit 2) before a model or a corpus is
loaded; `rnnviz train`'s are refused by the configs before any data is built (exit 1).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from rnnviz.cli import build_parser, main
from rnnviz.core.limits import LIMITS

DOC = Path(__file__).resolve().parents[2] / "docs" / "limits.md"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's own refusal
        code = exit_.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    return int(code or 0), out, err


@pytest.mark.parametrize("argv, said", [
    (["generate", "--prefix", "the ", "--length", "10000000"],
     "argument --length: the length must be at most 10,000, not 10,000,000 (allowed: 1 to 10,000)"),
    (["generate", "--prefix", "the ", "--length", "0"], "argument --length: the length must be at least 1, not 0"),
    (["generate", "--prefix", "the ", "--seed", str(10**21)],
     "argument --seed: the seed must be at most 9,223,372,036,854,775,807, not 1000000000000000000000"),
    (["generate", "--prefix", "the ", "--seed", "-3"], "argument --seed: the seed must be at least 0, not -3"),
    (["generate", "--prefix", "the ", "--temperature", "nan"], "argument --temperature: the temperature must be "
                                                               "positive, not nan"),
    (["generate", "--prefix", "the ", "--temperature", "inf"], "argument --temperature: the temperature must be "
                                                               "at most 100, not inf"),
    (["generate", "--prefix", "the ", "--temperature=-1"], "the temperature must be positive, not -1.0"),
    (["generate", "--prefix", "the ", "--length", "2.5"], "argument --length: the length must be a whole number, not '2.5'"),
    (["beam", "--min-len", "1000000", "--max-len", "1000001"],
     "argument --min-len: the minimum length must be at most 9,999 tokens, not 1,000,000"),
    (["beam", "--max-len", "0"], "argument --max-len: the maximum length must be at least 1 token, not 0"),
    (["beam", "--beam", "0"], "argument --beam: the beam size must be at least 1, not 0"),
    (["beam", "--nbest", "0"], "argument --nbest: nbest must be at least 1, not 0"),
    (["beam", "--alpha", "-1"], "argument --alpha: alpha must be at least 0, not -1.0"),
    (["beam", "--alpha", "nan"], "argument --alpha: alpha must be a number, not nan"),
    (["translate", "--beam", "100000", "Go."], "argument --beam: the beam size must be at most 1,024"),
    (["translate", "--beam", "2", "--max-len", "1000000", "Go."], "argument --max-len: the maximum length must "
                                                                  "be at most 10,000 tokens"),
    (["stack", "--preset", "gru-lm", "--vocab", "0"], "argument --vocab: the vocabulary size must be at least 1"),
    (["stack", "--preset", "gru-lm", "--vocab", str(10**12)], "argument --vocab: the vocabulary size must be at "
                                                              "most 1,000,000 tokens"),
    (["gates", "--text", "the", "--max-tokens", str(10**9), "--out", "never.npz"],
     "argument --max-tokens: max_tokens must be at most 10,000"),
    (["data", "info", "phrasebook", "--top", "-1"], "argument --top: --top must be at least 0"),
])
def test_a_number_out_of_range_is_refused_by_argparse(capsys, argv: list[str], said: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert said in err and "(allowed: " in err and "Traceback" not in err


@pytest.mark.parametrize("option, value, said", [
    ("--lr", "inf", "the learning rate must be at most 100, not inf"),
    ("--lr", "nan", "the learning rate must be positive, not nan"),
    ("--lr", "0", "the learning rate must be positive, not 0"),
    ("--layers", "1000", "the number of layers must be at most 16, not 1,000"),
    ("--hidden", "1000000", "the hidden size must be at most 4,096 units, not 1,000,000"),
    ("--seed", str(10**21), "the seed must be at most 9,223,372,036,854,775,807"),
    ("--clip", "inf", "grad_clip must be at most 100, not inf"),
    ("--dropout", "nan", "dropout must be"),
    ("--epochs", "0", "epochs must be at least 1, not 0"),
    ("--embed", "100000", "embed_size must be at most 4,096"),
    ("--batch-size", "65536", "a batch of 65,536 × 32 tokens is too large"),
])
def test_train_refuses_a_number_out_of_range_before_building_anything(capsys, tmp_path: Path, option: str,
                                                                       value: str, said: str) -> None:
    out_file = tmp_path / "never.pt"
    code, out, err = run(capsys, "train", "lm", "--epochs", "1", option, value, "--out", str(out_file))
    # Refused by the configs (exit 1) or, given a range type, by argparse (exit 2): the same words.
    assert code in (1, 2) and said in err and value in err.replace(",", "") and "Traceback" not in err
    assert "training " not in err and not out_file.exists()  # refused before the run began


def test_temperature_zero_is_greedy_on_the_command_line(capsys) -> None:
    code, greedy, _ = run(capsys, "generate", "--prefix", "the ", "--length", "40")
    assert code == 0
    for seed in ("0", "7"):
        code, cold, _ = run(capsys, "generate", "--prefix", "the ", "--length", "40", "--temperature", "0",
                            "--seed", seed)
        assert code == 0 and cold == greedy
    helped = build_parser().parse_args(["generate", "--prefix", "x", "--temperature", "0"])
    assert helped.temperature == 0.0


def _numeric_options() -> list[tuple[str, argparse.Action]]:
    """(command, action) for every option of every command that takes a number."""
    found = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{prefix} {name}".strip())
            elif action.option_strings and (action.type in (int, float) or hasattr(action.type, "limit")):
                found.append((prefix, action))
    walk(build_parser(), "")
    return found


def test_every_numeric_option_has_a_documented_range() -> None:
    options = _numeric_options()
    assert len(options) >= 25
    documented = {entry: key for key, limit in LIMITS.items() for entry in limit.cli}
    table = DOC.read_text(encoding="utf-8")
    for command, action in options:
        flag = max(action.option_strings, key=len)
        entry = f"{command} {flag}"
        assert entry in documented, f"rnnviz {entry} takes a number but no limit in rnnviz/core/limits.py names it"
        row = next(line for line in table.splitlines() if line.startswith(f"| `{documented[entry]}` |"))
        assert f"`rnnviz {entry}`" in row
        limit = getattr(action.type, "limit", None)
        if limit is not None:  # a range type: the very limit documented, and the range in --help
            assert limit is LIMITS[documented[entry]], entry
            assert limit.range_text() in (action.help or ""), entry


def test_every_documented_option_exists() -> None:
    flags = {f"{command} {max(action.option_strings, key=len)}" for command, action in _numeric_options()}
    for key, limit in LIMITS.items():
        for entry in limit.cli:
            assert entry in flags, f"{key} names rnnviz {entry}, which takes no number"
            assert re.fullmatch(r"[a-z ]+ --[a-z-]+", entry)
