"""The Exercises dock's figures: each kind of Plot drawn from a hand-made result, its labels where they belong."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from rnnviz.gui.panels.exercises.plots import PlotView, log_ticks
from rnnviz.gui.panels.exercises.results import ResultView
from rnnviz.gui.style import NORMAL, PRESENTATION
from tests.gui.panels.exercise_fakes import BARS, LINES, LOG_LINES, MATRIX, TABLE, result


@pytest.fixture
def view(qtbot):
    def make(plot, theme=NORMAL):
        v = PlotView(plot, theme, 10.0)
        qtbot.addWidget(v)
        return v
    return make


def test_lines_have_a_curve_per_series_a_legend_and_their_styles(view) -> None:
    v = view(LINES)
    assert [c.name() for c in v.curves] == ["data", "one step ahead", "samples"]
    assert [label.text for _, label in v.legend.items] == ["data", "one step ahead", "samples"]
    assert v.curves[1].opts["pen"].style() == Qt.PenStyle.DashLine
    assert v.curves[0].opts["pen"].style() == Qt.PenStyle.SolidLine
    assert v.curves[2].opts["pen"] is None and v.curves[2].opts["symbol"] == "o"
    assert v.getAxis("bottom").labelText == "time step" and v.getAxis("left").labelText == "value"
    assert v.getAxis("left").autoSIPrefixScale == 1.0  # plain numbers, no SI prefix


def test_a_log_axis_breaks_at_zero_and_names_its_decades(view) -> None:
    v = view(LOG_LINES)
    assert v.getPlotItem().ctrl.logYCheck.isChecked()
    _, y = v.curves[0].getOriginalDataset()
    assert np.isnan(y[2]) and y[0] == 10.0  # 0 cannot go on a log axis: a gap, no spike
    major, minor = log_ticks(-1.0, 1.0)
    assert [t for _, t in major] == ["0.1", "1", "10"] and all(t == "" for _, t in minor)
    assert "2" in [t for _, t in log_ticks(0.0, 0.6)[1]]  # under a decade: 2 and 5 are named


def test_bars_are_grouped_by_category_with_their_values(view) -> None:
    v = view(BARS)
    assert v.tick_labels("bottom") == ["rnn", "gru", "lstm"]
    assert len(v.bars) == 2
    training, inference = (b.opts for b in v.bars)
    assert list(training["height"]) == [1200, 800, 650] and list(inference["height"]) == [5000, 3100, 2800]
    assert all(t < i for t, i in zip(training["x"], inference["x"]))  # side by side within each category
    assert [t.textItem.toPlainText() for t in v.bar_texts][:3] == ["1,200", "800", "650"]
    assert [label.text for _, label in v.legend.items] == ["training", "inference"]


def test_a_matrix_has_its_labels_and_a_number_in_every_cell(view) -> None:
    v = view(MATRIX)
    assert v.tick_labels("left") == ["statement", "question"]
    assert v.tick_labels("bottom") == ["statement", "question"]
    assert v.image is not None and v.image.image.shape == (2, 2)
    texts = {(t.pos().x(), t.pos().y()): t.textItem.toPlainText() for t in v.cell_texts}
    assert texts == {(0.5, 0.5): "40", (1.5, 0.5): "3", (0.5, 1.5): "5", (1.5, 1.5): "30"}
    assert v.getViewBox().yInverted()  # the first row (the first true class) on top


def test_presentation_thickens_lines_and_enlarges_type(view) -> None:
    v = view(LINES)
    normal_width = v.curves[0].opts["pen"].widthF()
    normal_font = v.getAxis("left").style["tickFont"].pointSizeF()
    v.apply_theme(PRESENTATION, 10.0)
    assert v.curves[0].opts["pen"].widthF() == PRESENTATION.line_width > normal_width
    assert v.getAxis("left").style["tickFont"].pointSizeF() == pytest.approx(normal_font * PRESENTATION.font_scale)
    assert len(v.curves) == 3 and len(v.legend.items) == 3  # drawn again, not twice


def test_the_result_view_has_a_tab_per_plot_and_table_and_copies_a_table(qtbot) -> None:
    rv = ResultView()
    qtbot.addWidget(rv)
    rv.show_result(result())
    assert rv.tab_titles() == ["forecast", "tokens per second", "confusion matrix", "accuracy per class", "Text"]
    table = rv.tables[0]
    assert table.item(1, 2).text() == "1,234" and table.item(1, 1).text() == "0.8333"
    table.selectRow(1)
    assert table.selection_text() == "class\taccuracy\tcount\nquestion\t0.8333\t1,234"
    assert "made by hand" in rv.summary.text() and TABLE.title in rv.output.toPlainText()


def test_names_too_long_for_a_narrow_plot_are_cut_not_dropped(qtbot, view) -> None:
    v = view(MATRIX, PRESENTATION)
    v.resize(200, 300)
    v.show()
    qtbot.waitExposed(v)
    qtbot.waitUntil(lambda: v.tick_labels("bottom")[0].endswith("…"))
    labels = v.tick_labels("bottom")
    assert len(labels) == 2 and all(label.endswith("…") for label in labels)
    assert labels[0][:-1] == "statement"[:len(labels[0]) - 1]
    v.resize(900, 300)
    qtbot.waitUntil(lambda: v.tick_labels("bottom") == ["statement", "question"])


def test_the_legend_sits_under_the_plot_not_over_its_curves(view, qtbot) -> None:
    v = view(LINES)
    v.resize(320, 420)
    v.show()
    qtbot.waitExposed(v)
    box = v.getViewBox().sceneBoundingRect()
    legend = v.legend.sceneBoundingRect()
    assert legend.top() >= box.bottom()  # below the axes: no curve is hidden behind a name
    assert legend.left() >= 0 and legend.width() > 0
