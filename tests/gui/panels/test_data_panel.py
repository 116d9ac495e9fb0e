"""The Data panel: corpus choice, statistics off the GUI thread, plots, files, downloads, themes."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from rnnviz.core.data import corpora, hub, summary
from rnnviz.core.data.stats import LmStats, MtStats
from rnnviz.gui.panels.data_panel import DataPanel
from tests.fresh_imports import loaded_by


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts of the warning boxes shown (none is really opened)."""
    shown: list[str] = []

    def warn(parent, title, text, *args, **kwargs):
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", warn)
    return shown


@pytest.fixture
def panel(qtbot, warnings: list[str]):
    widget = DataPanel()
    qtbot.addWidget(widget)
    assert widget.wait_idle()
    yield widget
    assert widget.wait_idle(), "a load or download was still running after the test"


@pytest.fixture
def tiny_time_machine(serve_files, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The registry's time-machine, made a small file served by a local stand-in hub."""
    body = b"The Time Traveller (for so it will be convenient to speak of him)\n" * 300
    remote = hub.RemoteFile("timemachine.txt", hashlib.sha1(body).hexdigest(), len(body))
    monkeypatch.setattr(corpora, "TIME_MACHINE", remote)
    monkeypatch.setenv("RNNVIZ_DATA_URL", serve_files({"timemachine.txt": body}).url)
    return body


def choose_in_combo(panel: DataPanel, key: str) -> None:
    """Pick an item as the user does (activated, not just a programmatic index change)."""
    index = panel.combo.findData(key)
    assert index >= 0, f"{key} is not in the combo"
    panel.combo.setCurrentIndex(index)
    panel.combo.activated.emit(index)


def combo_keys(panel: DataPanel) -> list[str]:
    return [panel.combo.itemData(i) for i in range(panel.combo.count())]


# -- the default and the task switch ------------------------------------------------------


def test_the_default_is_the_built_in_english_phrasebook(panel: DataPanel, qtbot) -> None:
    assert panel.selection() == ("phrasebook-en", "lm")
    stats = panel.stats()
    assert isinstance(stats, LmStats) and stats.info.name == "phrasebook-en"
    assert panel.task_buttons["lm"].isChecked()
    assert panel.combo.currentText() == "phrasebook-en — Phrasebook, English side (built-in)"
    assert combo_keys(panel) == ["phrasebook-en", "phrasebook-fr", "time-machine"]
    assert "(not downloaded)" in panel.combo.itemText(combo_keys(panel).index("time-machine"))
    assert not panel.download_button.isEnabled()
    assert panel.title_label.text() == "Phrasebook, English side"
    facts = panel.facts()
    assert facts["Vocabulary"] == f"{stats.char_vocab_size:,} characters · {stats.word_vocab_size:,} words"
    assert facts["Tokens"] == f"{stats.n_chars:,} characters · {stats.n_words:,} words"
    assert panel.status_label.isHidden()
    with qtbot.assertNotEmitted(panel.sig_selection_changed):
        choose_in_combo(panel, "phrasebook-en")  # the same corpus again: nothing to reload
        assert not panel.is_busy()


def test_zipf_plot_starts_at_the_most_frequent_token(panel: DataPanel) -> None:
    stats = panel.stats()
    series = panel.zipf_plot.series_data()
    assert list(series) == ["unigram", "bigram", "trigram"]
    ranks, counts = series["unigram"]
    assert ranks[0] == 1 and counts[0] == stats.unigrams.counts[0]
    assert [curve.name() for curve in panel.zipf_plot.curves()] == ["unigram", "bigram", "trigram"]
    assert panel.zipf_plot.getPlotItem().ctrl.logXCheck.isChecked()  # log–log axes
    top_word = stats.unigrams.items[0]
    panel.zipf_plot.show_hover(0.0, float(np.log10(stats.unigrams.counts[0])))
    assert f"“{top_word}”" in panel.zipf_plot.hover_text()


def test_switching_to_translation_shows_the_phrasebook_and_its_histogram(panel: DataPanel, qtbot) -> None:
    with qtbot.waitSignal(panel.sig_stats_ready, timeout=10000) as ready:
        panel.task_buttons["mt"].click()
        assert panel.status_label.text().startswith("Loading")  # while the worker runs
    stats = ready.args[0]
    assert isinstance(stats, MtStats)
    assert panel.selection() == ("phrasebook", "mt") and panel.stats() is stats
    assert panel.combo.currentData() == "phrasebook"
    assert combo_keys(panel) == ["phrasebook", "fra-eng", "toy-reverse", "toy-sort", "toy-dates"]  # the toys: issue 18
    histogram = panel.length_plot.series_data()
    assert list(histogram) == ["source", "target"]
    assert histogram["source"].sum() == stats.n_pairs == histogram["target"].sum()
    ranks, counts = panel.zipf_plot.series_data()["source"]
    assert counts[0] == stats.src_freqs.counts[0]
    assert panel.facts()["Sentence pairs"] == f"{stats.n_pairs:,}"
    assert panel.facts()["Vocabulary"] == f"{stats.src_vocab_size:,} source · {stats.tgt_vocab_size:,} target"
    assert panel.status_label.isHidden()


# -- user files ----------------------------------------------------------------------------


def test_open_file_selects_a_text_file(panel: DataPanel, qtbot, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("the cat sat on the mat\nthe dog sat on the log\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kwargs: ([str(text)], ""))
    with qtbot.waitSignal(panel.sig_selection_changed, timeout=10000) as changed:
        panel.open_button.click()
    assert changed.args == [str(text), "lm"]
    assert panel.selection() == (str(text), "lm")
    assert panel.combo.currentData() == str(text)
    assert panel.combo.currentText() == "notes.txt — user file"
    assert panel.stats().unigrams.top(1) == [("the", 4)]


def test_a_tab_separated_file_switches_to_translation(panel: DataPanel, qtbot, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("go .\tva !\nhi .\tsalut !\n", encoding="utf-8")
    with qtbot.waitSignal(panel.sig_selection_changed, timeout=10000) as changed:
        panel.open_file(str(pairs))
    assert changed.args == [str(pairs), "mt"]
    assert panel.task_buttons["mt"].isChecked()
    assert combo_keys(panel) == ["phrasebook", "fra-eng", "toy-reverse", "toy-sort", "toy-dates", str(pairs)]
    assert panel.stats().n_pairs == 2


@pytest.mark.parametrize(("name", "content"), [
    ("empty.txt", b""),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("latin1.txt", "caf\u00e9 au lait\n".encode("latin-1")),
    ("broken.tsv", b"go .\tva !\nthis line has no tab\n"),
])
def test_a_bad_file_warns_and_keeps_the_selection(panel: DataPanel, qtbot, warnings: list[str],
                                                   tmp_path: Path, name: str, content: bytes) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    before = (panel.selection(), panel.stats(), panel.combo.currentData(), combo_keys(panel), panel.facts())
    with qtbot.assertNotEmitted(panel.sig_selection_changed), qtbot.assertNotEmitted(panel.sig_stats_ready):
        panel.open_file(str(bad))
        assert panel.wait_idle()
    assert len(warnings) == 1 and name in warnings[0]
    assert "Traceback" not in warnings[0]
    assert (panel.selection(), panel.stats(), panel.combo.currentData(), combo_keys(panel), panel.facts()) == before
    assert panel.task_buttons["lm"].isChecked() and panel.status_label.isHidden()


def test_a_newer_selection_supersedes_a_slow_older_load(panel: DataPanel, qtbot,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real_load = summary.load_corpus

    def slow_for_french(name, task=None, **kwargs):
        if name == "phrasebook-fr":
            release.wait(10)
        return real_load(name, task, **kwargs)

    monkeypatch.setattr(summary, "load_corpus", slow_for_french)
    shown: list[str] = []
    panel.sig_stats_ready.connect(lambda stats: shown.append(stats.info.name))
    panel.set_selection("phrasebook-fr", "lm")
    with qtbot.waitSignal(panel.sig_selection_changed, timeout=10000) as changed:
        panel.set_selection("phrasebook", "mt")
    assert changed.args == ["phrasebook", "mt"]
    release.set()  # the older load now finishes: its result must be dropped
    assert panel.wait_idle()
    assert shown == ["phrasebook"]
    assert panel.selection() == ("phrasebook", "mt") and panel.stats().info.name == "phrasebook"
    assert panel.combo.currentData() == "phrasebook"


def test_a_corpus_not_downloaded_cannot_be_set_and_says_how_to_get_it(panel: DataPanel,
                                                                       warnings: list[str]) -> None:
    panel.set_selection("time-machine", "lm")
    assert panel.wait_idle()
    assert len(warnings) == 1 and "Download" in warnings[0]
    assert panel.selection() == ("phrasebook-en", "lm")


# -- downloads ---------------------------------------------------------------------------


def test_download_fetches_updates_the_status_and_loads(panel: DataPanel, qtbot, warnings: list[str],
                                                       tiny_time_machine: bytes) -> None:
    choose_in_combo(panel, "time-machine")
    assert "Not downloaded yet" in panel.status_label.text()
    assert panel.selection() == ("phrasebook-en", "lm")  # nothing changes until it is here
    assert panel.download_button.isEnabled()
    with qtbot.waitSignal(panel.sig_selection_changed, timeout=10000) as changed:
        panel.download_button.click()
    assert changed.args == ["time-machine", "lm"]
    assert (hub.cache_dir() / "timemachine.txt").read_bytes() == tiny_time_machine
    assert panel.combo.currentText().endswith("(cached)")
    assert not panel.download_button.isEnabled()
    assert panel.stats().info.name == "time-machine" and panel.stats().n_words == 13 * 300
    assert warnings == []


def test_cancelling_a_download_keeps_nothing(panel: DataPanel, qtbot, warnings: list[str],
                                             tiny_time_machine: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    started, cancelled = threading.Event(), threading.Event()
    real_fetch = hub.fetch

    def fetch_waiting_for_cancel(remote, progress=None, **kwargs):
        def held(done, total):
            started.set()
            cancelled.wait(10)  # the user presses Cancel during the download
            return progress(done, total)
        return real_fetch(remote, held, **kwargs)

    monkeypatch.setattr(hub, "fetch", fetch_waiting_for_cancel)
    choose_in_combo(panel, "time-machine")
    panel.download_button.click()
    dialog = panel.download_dialog()
    assert dialog is not None and dialog.is_running()
    qtbot.waitUntil(started.is_set, timeout=10000)
    with qtbot.waitSignal(dialog.sig_cancelled, timeout=10000):
        dialog.cancel()
        cancelled.set()
    assert panel.wait_idle()
    assert list(hub.cache_dir().glob("*timemachine*")) == []
    assert panel.combo.currentText().endswith("(not downloaded)")
    assert panel.download_button.isEnabled()
    assert panel.selection() == ("phrasebook-en", "lm")
    assert "cancelled" in panel.status_label.text()
    assert warnings == []


def test_a_network_failure_explains_offline_use(panel: DataPanel, qtbot, warnings: list[str]) -> None:
    choose_in_combo(panel, "time-machine")  # the conftest's hub address is a closed port
    panel.download_button.click()
    dialog = panel.download_dialog()
    with qtbot.waitSignal(dialog.sig_failed, timeout=20000):
        pass
    assert panel.wait_idle()
    assert len(warnings) == 1
    assert "timemachine.txt" in warnings[0] and "RNNVIZ_DATA_DIR" in warnings[0]
    assert panel.selection() == ("phrasebook-en", "lm")
    assert panel.download_button.isEnabled()
    assert list(hub.cache_dir().glob("*timemachine*")) == []


# -- looks and sessions ------------------------------------------------------------------






def test_the_book_time_machine_has_28_characters_and_4580_words(panel: DataPanel, qtbot, d2l_dir: Path) -> None:
    with qtbot.waitSignal(panel.sig_stats_ready, timeout=10000) as ready:
        panel.set_selection("time-machine", "lm")
    stats = ready.args[0]
    assert (stats.char_vocab_size, stats.word_vocab_size) == (28, 4580)
    assert panel.facts()["Vocabulary"] == "28 characters · 4,580 words"
    assert panel.combo.currentText().endswith("(offline folder)")


def test_the_panel_does_not_import_torch() -> None:
    assert loaded_by(["rnnviz.gui.panels.data_panel"], ["torch"]) == []