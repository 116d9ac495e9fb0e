"""The Data dock at its default width (400 px), normal and presentation type: nothing cut off,
nothing scrolled sideways, and a wheel over a plot or the corpus combo scrolls the dock."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QScrollArea

from rnnviz.gui.panels.data_panel import DataPanel
from rnnviz.gui.style import NORMAL, PRESENTATION, Theme
from tests.gui.widgets.test_wheel_guard import shows_all_data, view_range, wheel

LONG_NAME = "a_rather_long_corpus_file_name_from_the_lecturers_laptop_2024.txt"


@pytest.fixture(params=[NORMAL, PRESENTATION], ids=lambda theme: theme.name)
def dock(request, qtbot, monkeypatch: pytest.MonkeyPatch):
    """The panel in a scroll area as MainWindow._dock builds it, 400 px wide, in one theme
    (the application font scaled as View → Presentation mode scales it)."""
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: pytest.fail(f"warning: {args[2]}"))
    theme: Theme = request.param
    app = QApplication.instance()
    base = QFont(app.font())
    panel = DataPanel()
    scaled = QFont(base)
    scaled.setPointSizeF(base.pointSizeF() * theme.font_scale)
    app.setFont(scaled)
    panel.apply_theme(theme)
    scroll = QScrollArea()
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.resize(400, 720)
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    assert panel.wait_idle()
    yield scroll, panel
    assert panel.wait_idle()
    app.setFont(base)


def assert_nothing_cut(scroll: QScrollArea, panel: DataPanel) -> None:
    QApplication.processEvents()
    assert scroll.horizontalScrollBar().maximum() == 0, "the dock scrolls sideways"
    for label in panel.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():  # every word (or piece of a path) fits the label's width
            assert label.minimumSizeHint().width() <= label.width(), label.text()
        else:
            text = label.text().replace("&", "")
            assert label.fontMetrics().horizontalAdvance(text) <= label.width(), text
    combo = panel.combo
    assert combo.fontMetrics().horizontalAdvance(combo.shown_text()) <= combo.width()
    if combo.is_elided():
        assert "…" in combo.shown_text() and combo.full_text() in combo.toolTip()


@pytest.mark.parametrize("corpus, task", [("phrasebook-en", "lm"), ("phrasebook", "mt")])
def test_titles_and_corpus_names_are_not_cut_off(dock, qtbot, corpus: str, task: str) -> None:
    scroll, panel = dock
    if panel.selection() != (corpus, task):
        with qtbot.waitSignal(panel.sig_stats_ready, timeout=10000):
            panel.set_selection(corpus, task)
    assert panel.combo.full_text().startswith(corpus)
    assert not panel.combo.is_elided()  # a built-in name fits whole
    assert_nothing_cut(scroll, panel)
    for frame in (panel.stats_view.zipf_frame, panel.stats_view.length_frame):
        assert frame.title_label.text() and frame.reset_button.isVisible()


def test_a_long_file_name_wraps_in_the_title_and_is_elided_in_the_combo(dock, qtbot, tmp_path: Path) -> None:
    scroll, panel = dock
    path = tmp_path / LONG_NAME
    path.write_text("the time traveller spoke to us .\n" * 50, encoding="utf-8")
    with qtbot.waitSignal(panel.sig_stats_ready, timeout=10000):
        panel.open_file(str(path))
    assert panel.combo.is_elided() and panel.combo.shown_text().endswith(".txt")
    assert LONG_NAME in panel.combo.toolTip()
    assert panel.title_label.text().replace("\u200b", "") == LONG_NAME
    assert panel.title_label.height() > 1.5 * panel.title_label.fontMetrics().height()  # wrapped, not cut
    assert_nothing_cut(scroll, panel)


def test_a_wheel_over_a_plot_scrolls_the_dock_until_the_plot_is_clicked(dock, qtbot) -> None:
    scroll, panel = dock
    plot = panel.zipf_plot
    scroll.verticalScrollBar().setValue(0)
    before = view_range(plot)
    wheel(plot.viewport())
    assert scroll.verticalScrollBar().value() > 0 and view_range(plot) == before
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.viewport().rect().center())
    at = scroll.verticalScrollBar().value()
    wheel(plot.viewport(), steps=2)
    assert view_range(plot) != before and not shows_all_data(plot)  # zoomed in
    assert scroll.verticalScrollBar().value() == at
    panel.stats_view.zipf_frame.reset_button.click()
    qtbot.waitUntil(lambda: shows_all_data(plot), timeout=3000)


def test_a_wheel_over_the_corpus_combo_never_loads_another_corpus(dock) -> None:
    scroll, panel = dock
    scroll.verticalScrollBar().setValue(0)
    wheel(panel.combo, steps=-1)
    assert panel.combo.currentData() == "phrasebook-en" and not panel.is_busy()
    assert scroll.verticalScrollBar().value() > 0
