"""The exercises on corpora of several texts: more data (deep-3) and mixing authors (deep-4)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.exercises import get_exercise
from rnnviz.core.exercises import runs_corpora


def test_deep_3_trains_on_one_text_then_two_and_reads_each() -> None:
    result = get_exercise("deep-3").run()
    table = result.tables[0]
    assert table.column("model") == ["trained on phrasebook-en", "trained on phrasebook-en + phrasebook-fr"]
    assert table.column("texts") == [1, 2]
    first = table.column("perplexity on phrasebook-en")
    other = table.column("perplexity on phrasebook-fr")
    assert all(1.0 < v < 60 for v in first + other)
    assert f"{first[0]:.2f}" in result.summary and f"{first[1]:.2f}" in result.summary
    (plot,) = result.plots
    assert plot.kind == "bars" and plot.categories == ("phrasebook-en", "phrasebook-fr")
    assert [s.y for s in plot.series] == [tuple(row[3:]) for row in table.rows]
    # The English model never saw the French accents: the note says how much of the French text it reads as <unk>.
    assert "trained on phrasebook-en on phrasebook-fr" in result.texts["unknown"]


def test_deep_4_reads_each_author_s_model_and_the_mixed_one_on_every_author() -> None:
    result = get_exercise("deep-4").run()
    table = result.tables[0]
    assert table.columns == ("model", "phrasebook-en", "phrasebook-fr")
    assert table.column("model") == ["phrasebook-en alone", "phrasebook-fr alone",
                                     "mixed (phrasebook-en + phrasebook-fr)"]
    values = [list(row[1:]) for row in table.rows]
    assert all(math.isfinite(v) and v > 1 for row in values for v in row)
    # Each specialist reads its own author better than the other author's specialist does.
    assert values[0][0] < values[1][0] and values[1][1] < values[0][1]
    assert "What mixing costs" in result.summary and "What it buys" in result.summary
    assert f"{values[2][0]:.2f}" in result.summary
    (plot,) = result.plots
    assert plot.kind == "bars" and [s.name for s in plot.series] == table.column("model")


@pytest.fixture()
def two_books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setattr(runs_corpora, "SMALL_RUN_STEPS", 5)  # the files' runs: their shape, not their learning
    a, b = tmp_path / "wells.txt", tmp_path / "austen.txt"
    a.write_text("the time traveller smiled at us and went on. " * 40, encoding="utf-8")
    b.write_text("it is a truth universally acknowledged, said she. " * 40, encoding="utf-8")
    return str(a), str(b)


def test_both_run_on_the_user_s_files(two_books) -> None:
    more = get_exercise("deep-3").run(files=two_books)
    assert more.tables[0].column("model") == ["trained on wells.txt", "trained on wells.txt + austen.txt"]
    assert more.plots[0].categories == ("wells.txt", "austen.txt")
    mixing = get_exercise("deep-4").run(files=two_books)
    assert mixing.tables[0].columns == ("model", "wells.txt", "austen.txt")
    assert mixing.tables[0].column("model")[-1] == "mixed (wells.txt + austen.txt)"


def test_wrong_numbers_of_files_are_refused(two_books, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="give two text files or more"):
        get_exercise("deep-4").run(files=two_books[:1])
    many = tuple(str(tmp_path / f"b{k}.txt") for k in range(5))
    with pytest.raises(ConfigError, match="at most 4 files, not 5"):
        get_exercise("deep-4").run(files=many)


def test_a_stop_returns_what_was_trained(two_books) -> None:
    result = get_exercise("deep-4").run(files=two_books, stop=lambda: True)
    assert result.stopped and len(result.tables[0].rows) == 1


@pytest.mark.parametrize("name", ["deep-3", "deep-4"])
def test_the_same_file_twice_is_refused_before_any_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            name: str) -> None:
    """The same text under two spellings is refused at once, not after a model's steps were spent on it."""
    text = tmp_path / "book.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 80, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    seen: list[float] = []
    with pytest.raises(ConfigError, match="same file") as caught:
        get_exercise(name).run(files=(str(text), "./book.txt"), progress=lambda share, text: seen.append(share))
    assert "book.txt" in str(caught.value) and "give each text once" in str(caught.value)
    assert seen == []


@pytest.mark.parametrize("name", ["deep-3", "deep-4"])
def test_a_text_too_short_is_said_before_any_training_in_the_exercise_s_words(tmp_path: Path, name: str) -> None:
    book, note = tmp_path / "book.txt", tmp_path / "note.txt"
    book.write_text("the quick brown fox jumps over the lazy dog. " * 80, encoding="utf-8")
    note.write_text("hello world\n", encoding="utf-8")
    seen: list[float] = []
    with pytest.raises(DataError, match=f"note.txt is too short for {name}") as caught:
        get_exercise(name).run(files=(str(book), str(note)), progress=lambda share, text: seen.append(share))
    message = str(caught.value)
    assert "at least" in message and "longer text" in message
    assert "num_steps" not in message  # the exercise has no such setting to offer
    assert seen == []  # said before the first model's steps


def test_deep_3_stopped_compares_nothing_it_did_not_train() -> None:
    """Stopped during the first model, deep-3 does not compare it with 'the model of 1 text' as if a second ran."""
    result = get_exercise("deep-3").run(stop=lambda: True)
    assert result.stopped and len(result.tables[0].rows) == 1
    assert "Stopped" in result.summary and "(higher)" not in result.summary and "(lower)" not in result.summary


@pytest.mark.parametrize("mixed, says, never", [
    ([12.0, 13.0], "What it buys: one model that reads every source better", "only"),
    ([19.0, 13.0], "on only 1 of 2 source(s)", "What it buys"),
])
def test_deep_4_says_what_mixing_buys_only_where_the_numbers_show_it(mixed: list[float], says: str,
                                                                    never: str) -> None:
    """A mixed model worse than another author's specialist on some source is not said to buy 'one model for
    every source' there."""
    from types import SimpleNamespace

    table = [[10.0, 18.0], [18.5, 11.0], mixed]  # en alone, fr alone, mixed; columns: en, fr
    models = [SimpleNamespace(steps=100)] * 3
    summary = runs_corpora._mixing_summary(["en", "fr"], ["en alone", "fr alone", "mixed"], table, models)
    assert says in summary and never not in summary
