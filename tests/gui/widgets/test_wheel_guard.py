"""Plots in a scrolling dock survive a stray wheel: it scrolls the dock unless the plot was clicked."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea, QVBoxLayout, QWidget

from rnnviz.core.data.stats import FreqTable
from rnnviz.gui.widgets.corpus_plots import ZipfPlot
from rnnviz.gui.widgets.wheel_guard import PlotFrame, wheel_needs_focus


def wheel(widget: QWidget, steps: int = -3) -> None:
    """Turn the mouse wheel over the middle of ``widget`` (negative: towards the user)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def shows_all_data(plot: ZipfPlot) -> bool:
    """Every point of every curve is inside the view (log–log coordinates)."""
    (x0, x1), (y0, y1) = plot.getPlotItem().viewRange()
    for ranks, counts in plot.series_data().values():
        xs, ys = np.log10(ranks), np.log10(counts)
        if xs.min() < x0 or xs.max() > x1 or ys.min() < y0 or ys.max() > y1:
            return False
    return True


def view_range(plot: ZipfPlot) -> list[float]:
    """x0, x1, y0, y1 of what the plot shows."""
    return [value for pair in plot.getPlotItem().viewRange() for value in pair]


@pytest.fixture
def dock(qtbot):
    """A scrolling column as the Data dock is: text above, a plot in a PlotFrame, more below."""
    plot = ZipfPlot()
    table = FreqTable([f"w{i}" for i in range(500)], np.arange(1000, 500, -1))
    plot.set_series([("unigram", table)])
    frame = PlotFrame(plot, plot.reset_view)
    frame.set_title(plot.title())
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.addSpacing(400)
    layout.addWidget(frame)
    frame.setMinimumHeight(300)
    layout.addSpacing(800)
    scroll = QScrollArea()
    scroll.setWidget(column)
    scroll.setWidgetResizable(True)
    scroll.resize(400, 600)
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    scroll.verticalScrollBar().setValue(200)
    return scroll, frame, plot


def test_a_wheel_over_a_plot_not_clicked_scrolls_the_dock_not_the_plot(dock) -> None:
    scroll, frame, plot = dock
    before, at = view_range(plot), scroll.verticalScrollBar().value()
    wheel(plot.viewport())
    assert scroll.verticalScrollBar().value() > at
    assert view_range(plot) == before
    assert not frame.guard.armed()


def test_after_a_click_the_wheel_zooms_and_reset_view_restores_it(dock, qtbot) -> None:
    scroll, frame, plot = dock
    assert shows_all_data(plot)
    home = view_range(plot)
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.viewport().rect().center())
    assert frame.guard.armed()
    at = scroll.verticalScrollBar().value()
    wheel(plot.viewport(), steps=2)
    assert view_range(plot) != home and not shows_all_data(plot)  # zoomed in
    assert scroll.verticalScrollBar().value() == at
    assert frame.reset_button.isVisible() and frame.reset_button.text() == "Reset view"
    frame.reset_button.click()
    qtbot.waitUntil(lambda: shows_all_data(plot), timeout=3000)


def test_the_pointer_leaving_the_plot_disarms_it(dock) -> None:
    scroll, frame, plot = dock
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.viewport().rect().center())
    QApplication.sendEvent(plot.viewport(), QEvent(QEvent.Type.Leave))
    assert not frame.guard.armed()
    before, at = view_range(plot), scroll.verticalScrollBar().value()
    wheel(plot.viewport())
    assert view_range(plot) == before and scroll.verticalScrollBar().value() > at


def test_a_combo_box_takes_the_wheel_only_with_the_focus(qtbot) -> None:
    combo = QComboBox()
    combo.addItems(["a", "b", "c"])
    qtbot.addWidget(combo)
    wheel_needs_focus(combo)
    combo.show()
    wheel(combo)
    assert combo.currentIndex() == 0
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus

