"""`rnnviz train --corpus A --corpus B` and `rnnviz data info A B`: a language model of several texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnviz.cli import main
from rnnviz.core.checkpoint import load_checkpoint


@pytest.fixture()
def books(tmp_path: Path) -> tuple[str, str]:
    a, b = tmp_path / "wells.txt", tmp_path / "austen.txt"
    a.write_text("the time traveller smiled at us and went on. " * 30, encoding="utf-8")
    b.write_text("it is a truth universally acknowledged, said she. " * 20, encoding="utf-8")
    return str(a), str(b)


def test_train_on_two_texts_says_each_one_s_perplexity(books, tmp_path: Path, capsys) -> None:
    out = tmp_path / "two.pt"
    assert main(["train", "lm", "--corpus", books[0], "--corpus", books[1], "--hidden", "8", "--epochs", "1",
                 "--num-steps", "8", "--batch-size", "8", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "on wells.txt + austen.txt" in err
    said = err[err.index("validation perplexity by source:"):].splitlines()
    assert said[1].split()[0] == "wells.txt" and said[2].split()[0] == "austen.txt"
    assert all(float(line.split()[1]) > 1 for line in said[1:3])
    assert load_checkpoint(out).data_config.sources == (str(Path(books[1]).resolve()),)


def test_train_on_one_text_says_no_per_source_table(books, tmp_path: Path, capsys) -> None:
    assert main(["train", "lm", "--corpus", books[0], "--hidden", "8", "--epochs", "1", "--num-steps", "8",
                 "--out", str(tmp_path / "one.pt")]) == 0
    assert "by source" not in capsys.readouterr().err


@pytest.mark.parametrize("extra, said", [
    (["--corpus", "phrasebook"], "phrasebook is a translation corpus"),
    (["--corpus", "SAME"], "is given twice as a source"),
    (["--corpus", "missing.txt"], "missing.txt: no such file"),
])
def test_train_refuses_a_wrong_further_source(books, tmp_path: Path, capsys, extra: list[str], said: str) -> None:
    extra = [books[0] if e == "SAME" else e for e in extra]
    out = tmp_path / "m.pt"
    assert main(["train", "lm", "--corpus", books[0], *extra, "--epochs", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and not out.exists()


def test_a_preset_with_the_book_s_sampling_asks_for_random_offsets(books, tmp_path: Path, capsys) -> None:
    assert main(["train", "--preset", "gru-lm", "--corpus", books[0], "--corpus", books[1],
                 "--out", str(tmp_path / "m.pt")]) == 1
    assert "--sampling random-offset" in capsys.readouterr().err


def test_data_info_of_several_texts_gives_each_one_s_share(books, capsys) -> None:
    assert main(["data", "info", *books]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip().startswith(("wells", "aust"))}
    shares = {name: float(words[-1].rstrip("%")) for name, words in lines.items()}
    assert shares["wells.txt"] > shares["austen.txt"] and sum(shares.values()) == pytest.approx(100, abs=0.11)
    assert "rnnviz train lm --corpus" in out
    assert main(["data", "info", *books, "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert [s["source"] for s in facts["sources"]] == ["wells.txt", "austen.txt"]
    assert sum(s["share"] for s in facts["sources"]) == pytest.approx(1.0)


def test_data_info_refuses_a_translation_file_among_texts(books, tmp_path: Path, capsys) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("go .\tva !\n", encoding="utf-8")
    assert main(["data", "info", books[0], str(pairs)]) == 1
    assert "pairs.tsv looks like a translation file" in capsys.readouterr().err
