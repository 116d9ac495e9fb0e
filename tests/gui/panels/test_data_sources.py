"""The Data dock takes several texts at once: one language model of them all, each text's share shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from rnnviz.core.data.sources import SourcePerplexity
from rnnviz.core.session_schema import check_section
from rnnviz.gui.panels.data_panel import DataPanel
from rnnviz.gui.panels.training_readout import sources_text
from tests.gui.panels.test_data_panel import panel, warnings  # noqa: F401 (the Data dock's fixtures)


@pytest.fixture
def books(tmp_path: Path) -> list[str]:
    a, b = tmp_path / "wells.txt", tmp_path / "austen.txt"
    a.write_text("the time traveller smiled at us. " * 30, encoding="utf-8")
    b.write_text("it is a truth universally acknowledged. " * 10, encoding="utf-8")
    return [str(a), str(b)]


def _open_two(panel: DataPanel, qtbot, books: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kwargs: (books, ""))
    with qtbot.waitSignal(panel.sig_selection_changed, timeout=10000) as changed:
        panel.open_button.click()
    assert changed.args == [books[0], "lm"]


def test_open_file_takes_two_texts_and_shows_their_shares(panel: DataPanel, qtbot, books, monkeypatch) -> None:
    _open_two(panel, qtbot, books, monkeypatch)
    assert panel.selection() == (books[0], "lm") and panel.sources() == (books[1],)
    said = panel.sources_label.text()
    assert panel.sources_label.isVisibleTo(panel)
    assert "wells.txt" in said and "austen.txt" in said
    shares = [int(part.split()[1].rstrip("%")) for part in said[said.index("(") + 1:said.index(" of the")].split(" · ")]
    assert shares[0] > shares[1] and sum(shares) in (99, 100, 101)


def test_choosing_another_corpus_forgets_the_other_texts(panel: DataPanel, qtbot, books, monkeypatch) -> None:
    _open_two(panel, qtbot, books, monkeypatch)
    with qtbot.waitSignal(panel.sig_selection_changed, timeout=10000):
        panel.set_selection("phrasebook-fr", "lm")
    assert panel.sources() == () and not panel.sources_label.isVisibleTo(panel)


def test_a_translation_file_among_the_texts_is_refused_and_the_selection_kept(panel: DataPanel, qtbot, books,
                                                                            warnings, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("go .\tva !\n", encoding="utf-8")
    before = panel.selection()
    with qtbot.assertNotEmitted(panel.sig_selection_changed):
        panel.open_files([books[0], str(pairs)])
        qtbot.waitUntil(lambda: bool(warnings), timeout=10000)
    assert "pairs.tsv looks like a translation file" in warnings[0]
    assert panel.selection() == before and panel.sources() == ()


def test_the_session_keeps_the_texts(panel: DataPanel, qtbot, books, monkeypatch) -> None:
    _open_two(panel, qtbot, books, monkeypatch)
    state = panel.state()
    assert state["corpus"] == books[0] and state["sources"] == [books[1]]
    check_section("data", state)
    again = DataPanel()
    qtbot.addWidget(again)
    assert again.wait_idle()
    with qtbot.waitSignal(again.sig_selection_changed, timeout=10000):
        again.restore_state(state)
    assert again.selection() == (books[0], "lm") and again.sources() == (books[1],)
    assert again.wait_idle()


def test_the_readout_line_of_a_run_on_several_texts() -> None:
    text = sources_text([SourcePerplexity("wells.txt", 100, 5.049), SourcePerplexity("austen.txt", 80, None)])
    assert text == "validation perplexity by source: wells.txt 5.05 · austen.txt —"
