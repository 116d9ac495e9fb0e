"""`rnnviz data list|fetch|info`, as a user types them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from rnnviz.cli import main


def test_data_list_shows_every_corpus_and_its_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("phrasebook", "phrasebook-en", "time-machine", "fra-eng"):
        assert name in out
    assert "not downloaded" in out
    assert main(["data", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["name"]: row["status"] for row in rows}["phrasebook"] == "built-in"


def test_data_info_on_the_built_in_phrasebook(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "info", "phrasebook", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["task"] == "mt" and info["pairs"] >= 5000
    assert info["source_vocab_size"] > 20 and info["target_vocab_size"] > info["source_vocab_size"] * 0.8
    assert sum(info["length_histogram"]["source"]) == info["pairs"]
    assert main(["data", "info", "phrasebook"]) == 0
    assert "tokens per sentence" in capsys.readouterr().out


def test_data_info_on_a_user_text_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Le temps passe. Le temps file!\nLe voyageur du temps revient.\n", encoding="utf-8")
    assert main(["data", "info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    # Punctuation is split from words: le temps passe . le temps file ! le voyageur du temps revient .
    assert info["task"] == "lm" and info["words"] == 14
    assert info["top_words"][:2] == [["le", 3], ["temps", 3]]


def test_bad_file_is_a_message_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text("Go.\tVa !\nHi. Salut !\n", encoding="utf-8")
    assert main(["data", "info", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rnnviz: error:") and "line 2" in err and str(path) in err
    assert "Traceback" not in err


def test_fetch_of_a_built_in_corpus_has_nothing_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "fetch", "phrasebook"]) == 0
    assert "nothing to fetch" in capsys.readouterr().out


def test_fetch_without_network_explains_the_offline_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "fetch", "time-machine", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "RNNVIZ_DATA_DIR" in err and "Traceback" not in err


def test_fetch_shows_a_progress_bar_and_the_path(serve_files, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from rnnviz.core.data import corpora

    body = b"a tiny stand-in for the time machine\n" * 2000
    remote = corpora.hub.RemoteFile("timemachine.txt", hashlib.sha1(body).hexdigest(), len(body))
    monkeypatch.setattr(corpora, "TIME_MACHINE", remote)
    monkeypatch.setenv("RNNVIZ_DATA_URL", serve_files({"timemachine.txt": body}).url)
    assert main(["data", "fetch", "time-machine"]) == 0
    captured = capsys.readouterr()
    assert "fetching timemachine.txt [" in captured.err and "100%" in captured.err
    assert captured.out.strip().endswith("timemachine.txt")
    assert main(["data", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["name"]: row["status"] for row in rows}["time-machine"] == "cached"
