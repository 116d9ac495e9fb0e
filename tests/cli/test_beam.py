"""`rnnviz beam`: toy tables searched greedily, by beam or exhaustively, as a user types it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnviz.cli import main

EXAMPLE = {"vocab": ["A", "B", "<eos>"], "eos": "<eos>",
           "table": {"": [0.5, 0.3, 0.2], "A": [0.1, 0.6, 0.3], "A B": [0.2, 0.2, 0.6]},
           "default": [0.3, 0.3, 0.4]}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["beam", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_default_is_the_books_example_with_a_beam_of_two(capsys) -> None:
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "toy table d2l: A B C <eos> (ends with <eos>)"
    assert lines[1] == "beam search: beam 2, max length 4, length penalty book (alpha 0.75), candidates eos"
    assert lines[3].split() == ["rank", "hypothesis", "probability", "log", "P", "score"]
    assert lines[4].split() == ["1", "A", "C", "B", "<eos>", "0.054", "-2.9188", "-1.0319"]
    table = lines[lines.index("step  considered  kept  finished  pruned  survivors (probability)") + 1:]
    assert table == ["   1           4     2         0       2  A 0.5 · B 0.2",
                     "   2           8     2         0       6  A B 0.2 · A C 0.15",
                     "   3           8     2         0       6  A C B 0.09 · A B C 0.08",
                     "   4           8     0         2       6  A C B <eos> 0.054 · A B C <eos> 0.048"]


def test_the_cli_and_the_beam_tab_share_the_books_defaults(capsys) -> None:
    from rnnviz.core.decoding.toy import D2L_BEAM_SIZE, D2L_MAX_LEN

    code, out, _ = run(capsys, "--json")
    options = json.loads(out)["options"]
    assert code == 0 and (options["beam_size"], options["max_len"]) == (D2L_BEAM_SIZE, D2L_MAX_LEN) == (2, 4)


def test_a_toy_file_gets_a_longer_default_length(capsys, tmp_path: Path) -> None:
    path = tmp_path / "toy.json"
    path.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    code, out, _ = run(capsys, "--toy", str(path), "--json")
    assert code == 0 and json.loads(out)["options"]["max_len"] == 10


def test_greedy_finds_the_books_worse_sequence(capsys) -> None:
    code, out, _ = run(capsys, "--strategy", "greedy")
    assert code == 0
    assert "greedy search: max length 4" in out
    assert "1  A B C <eos>        0.048" in out


def test_exhaustive_lists_the_nbest_and_shortens_long_survivor_lists(capsys) -> None:
    code, out, _ = run(capsys, "--strategy", "exhaustive", "--max-len", "5", "--nbest", "3")
    assert code == 0
    ranked = [line.split()[1:-3] for line in out.splitlines()[4:7]]
    assert ranked == [["A", "C", "B", "<eos>"], ["A", "B", "C", "<eos>"], ["A", "<eos>"]]
    assert "   2          12     9         3       0  " in out and "… (+6 more)" in out


def test_the_books_literal_candidate_rule(capsys) -> None:
    code, out, _ = run(capsys, "--candidates", "book", "--beam", "3")
    assert code == 0 and out.splitlines()[4].split()[:3] == ["1", "A", "0.5"]


def test_json_has_hypotheses_steps_and_the_tree(capsys) -> None:
    code, out, _ = run(capsys, "--json", "--nbest", "2", "--length-penalty", "gnmt", "--alpha", "0.6")
    assert code == 0
    data = json.loads(out)
    assert data["toy"] == {"name": "d2l", "vocab": ["A", "B", "C", "<eos>"], "eos": "<eos>"}
    assert data["strategy"] == "beam"
    assert data["options"] == {"beam_size": 2, "max_len": 4, "nbest": 2, "min_len": 0, "alpha": 0.6,
                               "length_penalty": "gnmt", "candidates": "eos"}
    best = data["hypotheses"][0]
    assert best["tokens"] == ["A", "C", "B", "<eos>"] and best["ids"] == [0, 2, 1, 3]
    assert best["probability"] == pytest.approx(0.054) and best["finished"] is True
    assert best["score"] == pytest.approx(best["log_prob"] / (9 / 6) ** 0.6)
    assert [s["considered"] for s in data["tree"]["steps"]] == [4, 8, 8, 8]
    nodes = data["tree"]["nodes"]
    assert len(nodes) == 29 and nodes[best["node"]]["status"] == "finished" and nodes[1]["text"] == "A"


@pytest.mark.parametrize("tree, count", [("survivors", 9), ("none", None)])
def test_json_tree_can_be_trimmed(capsys, tree: str, count: int | None) -> None:
    code, out, _ = run(capsys, "--json", "--tree", tree)
    data = json.loads(out)
    if count is None:
        assert "tree" not in data
    else:
        assert len(data["tree"]["nodes"]) == count


def test_a_toy_file(capsys, tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    code, out, _ = run(capsys, "--toy", str(path), "--strategy", "exhaustive", "--max-len", "3", "--min-len", "1")
    assert code == 0
    assert f"toy table {path}: A B <eos>" in out
    assert "min length 1" in out and out.splitlines()[4].split() == ["1", "A", "B", "<eos>", "0.18", "-1.7148",
                                                                     "-0.7523"]
    assert "<eos> 0.2" not in out  # <eos> is no candidate at the first step


@pytest.mark.parametrize("argv, message", [
    (["--beam", "3", "--strategy", "greedy"], "--beam applies to beam search; greedy search is a beam of 1"),
    (["--beam", "3", "--strategy", "exhaustive"], "exhaustive search keeps every candidate"),
    (["--beam", "5", "--max-len", "1"], "a beam of 5 is wider than the search space"),
    (["--strategy", "exhaustive", "--max-len", "12"], "would score more than 200,000 sequences; max_len 10 fits"),
    (["--toy", "nope"], "no toy table named 'nope'"),
])
def test_impossible_searches_are_refused(capsys, argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_a_bad_toy_file_is_named_with_its_problem(capsys, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**EXAMPLE, "table": {"A": [0.5, 0.5, 0.5]}}), encoding="utf-8")
    code, _, err = run(capsys, "--toy", str(path))
    assert code == 1 and f"{path}: table['A'] sums to 1.5, not 1" in err


@pytest.mark.parametrize("argv", [["--length-penalty", "fairseq"], ["--candidates", "all"], ["--strategy", "a*"]])
def test_unknown_names_are_argparse_errors(capsys, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["beam", *argv])
    assert info.value.code == 2 and "invalid choice" in capsys.readouterr().err
