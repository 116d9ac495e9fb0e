"""`rnnviz generate` and `rnnviz translate`, as a user types them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.core.resources import pretrained_path


def test_generate_continues_a_prefix(lm_checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--checkpoint", str(lm_checkpoint), "--prefix", "The cat ", "--length", "20"]) == 0
    text = capsys.readouterr().out.rstrip("\n")
    assert text.startswith("the cat ") and len(text) == len("the cat ") + 20


def test_generate_says_which_characters_it_cannot_read(lm_checkpoint: Path, capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    # A word-level model reads whole words; "zebra" is not in the phrasebook.
    out = tmp_path / "words.pt"
    assert main(["train", "lm", "--token-level", "word", "--hidden", "8", "--epochs", "1",
                 "--batch-size", "256", "--num-steps", "8", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["generate", "--checkpoint", str(out), "--prefix", "the zebra", "--length", "3"]) == 0
    captured = capsys.readouterr()
    assert "zebra" in captured.err and "<unk>" in captured.err


def test_generate_refuses_a_translation_checkpoint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--checkpoint", str(pretrained_path("mt")), "--prefix", "the"]) == 1
    assert "translation model" in capsys.readouterr().err


def test_translate_with_the_shipped_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "The cat is black.", "She does not have a car."]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == ["The cat is black. => le chat est noir .",
                     "She does not have a car. => elle n'a pas de voiture ."]


def test_translate_reads_stdin_and_prints_json(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("We eat the apples.\n\nThe zebra is black.\n"))
    assert main(["translate", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["source"] for r in results] == ["We eat the apples.", "The zebra is black."]
    assert results[0]["translation"] == "nous mangeons les pommes ."
    assert results[1]["unknown"] == ["zebra"] and "<unk>" in results[1]["source_tokens"]


def test_translate_notices_unknown_words_and_trimming(capsys: pytest.CaptureFixture[str]) -> None:
    long = "The boy and the girl and the cat and the dog eat the red apples."
    assert main(["translate", "The zebra is black.", long]) == 0
    err = capsys.readouterr().err
    assert "zebra" in err and "<unk>" in err
    assert "the model reads 12" in err


def test_translate_refuses_empty_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["translate", "  "]) == 1
    assert "empty" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["translate"]) == 1
    assert "nothing to translate" in capsys.readouterr().err


def test_translate_refuses_a_language_model(lm_checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--checkpoint", str(lm_checkpoint), "hello"]) == 1
    assert "language model, but a translation model is needed" in capsys.readouterr().err


# ---- translate --beam ---------------------------------------------------------------------------


def test_translate_with_a_beam_of_one_prints_what_greedy_prints(capsys: pytest.CaptureFixture[str]) -> None:
    sentences = ["The cat is black.", "She does not have a car.", "We eat the apples."]
    assert main(["translate", *sentences]) == 0
    greedy = capsys.readouterr().out
    assert main(["translate", "--beam", "1", *sentences]) == 0
    assert capsys.readouterr().out == greedy


def test_translate_with_a_beam_shows_the_nbest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--beam", "5", "--nbest", "3", "The cat is black."]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "The cat is black. => le chat est noir ."
    assert len(lines) == 4 and lines[1].startswith("  1. le chat est noir .  (log P -")
    assert all(line.startswith(f"  {i}. ") and ", score -" in line for i, line in enumerate(lines[1:], 1))


def test_translate_beam_json_is_a_list_with_hypotheses_and_the_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--beam", "3", "--nbest", "2", "--length-penalty", "gnmt", "--alpha", "0.6",
                 "--json", "The cat is black.", "The zebra is black."]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["source"] for r in results] == ["The cat is black.", "The zebra is black."]
    first = results[0]
    assert first["translation"] == "le chat est noir ." and first["tokens"] == ["le", "chat", "est", "noir", "."]
    assert first["options"] == {"beam_size": 3, "max_len": 12, "nbest": 2, "min_len": 0, "alpha": 0.6,
                                "length_penalty": "gnmt", "candidates": "eos"}
    assert len(first["hypotheses"]) == 2
    for h in first["hypotheses"]:
        assert set(h) == {"tokens", "text", "log_prob", "score", "finished", "node"} and "<eos>" not in h["tokens"]
    assert first["hypotheses"][0]["score"] >= first["hypotheses"][1]["score"]
    tree = first["tree"]
    assert tree["steps"][0]["considered"] > 100 and tree["steps"][0]["kept"] == 3
    assert {n["status"] for n in tree["nodes"]} <= {"kept", "finished"}  # survivors only, by default
    assert results[1]["unknown"] == ["zebra"] and results[1]["notices"]


def test_translate_beam_json_tree_all_or_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--beam", "2", "--json", "--tree", "all", "--max-len", "3", "Go."]) == 0
    nodes = json.loads(capsys.readouterr().out)[0]["tree"]["nodes"]
    assert any(n["status"] == "pruned" for n in nodes) and len(nodes) > 300
    assert main(["translate", "--beam", "2", "--json", "--tree", "none", "Go."]) == 0
    assert "tree" not in json.loads(capsys.readouterr().out)[0]


@pytest.mark.parametrize("argv, message", [
    (["--alpha", "1"], "--alpha applies to beam search; add --beam K"),
    (["--nbest", "2", "--length-penalty", "none"], "--length-penalty, --nbest apply to beam search"),
    (["--tree", "all", "--json"], "--tree applies to beam search with --json; add --beam K"),
    (["--beam", "2", "--nbest", "40"], "nbest 40 is more than can exist"),
    (["--beam", "2", "--min-len", "12"], "the minimum length (12) must be below the maximum length (12)"),
])
def test_translate_refuses_impossible_beam_settings(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                    message: str) -> None:
    assert main(["translate", *argv, "The cat is black."]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_translate_beam_refuses_a_sentence_of_unknown_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--beam", "2", "Zorglub blorf!"]) == 1
    assert "none of the words of 'Zorglub blorf!' is in the model's vocabulary" in capsys.readouterr().err
