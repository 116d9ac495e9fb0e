"""The figures of an exercise's result (``ExerciseResult.plots``), drawn beside its text in the Exercises dock.

One :class:`PlotView` per ``Plot`` record: "lines" are curves over x with a legend under them (a dashed or a
points style where the series asks for it, a log y axis where the plot does); "bars" are grouped
bars, one group per category, named under the axis, each bar's value above it; "matrix" is a heatmap
with its row and column labels and the number written in every cell, so that a confusion matrix
reads without a colour scale. Every axis shows its numbers plainly (``plain_axis``), and the theme
(presentation mode) makes type larger and lines thicker.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.plain_axis import plain_numbers

#: Cells of a matrix above this many go without their numbers (they would not fit; the colours stay).
MAX_CELL_TEXTS = 400
#: Bars above this many go without their values written above them.
MAX_BAR_TEXTS = 40
BAR_SPAN = 0.8  # the share of a category's width its group of bars takes


def number(value: float, integers: bool) -> str:
    """A value as a cell or a bar shows it: whole counts as they are, the rest to three significant digits."""
    if not math.isfinite(value):
        return "—"
    return f"{int(round(value)):,}" if integers else f"{value:.3g}"


def log_values(values: np.ndarray) -> np.ndarray:
    """log10 of the positive values; NaN where a value cannot go on a log axis (the curve breaks there)."""
    out = np.full(values.shape, np.nan)
    good = np.isfinite(values) & (values > 0)
    out[good] = np.log10(values[good])
    return out


def log_ticks(lo: float, hi: float) -> list[list[tuple[float, str]]]:
    """Ticks of a log axis over log10 values lo … hi: the decades labelled, 2 … 9 between them marked
    (labelled too, 2 and 5, where the range is under a decade and the decades alone would say little)."""
    first, last = math.floor(lo), math.ceil(hi)
    major = [(float(k), f"{10.0 ** k:g}") for k in range(first, last + 1)]
    narrow = hi - lo < 1.0
    minor = [(k + math.log10(m), f"{m * 10.0 ** k:g}" if narrow and m in (2, 5) else "")
             for k in range(first, last) for m in range(2, 10)]
    return [major, minor]


class PlotView(pg.PlotWidget):
    """One ``Plot`` record drawn. The drawn items are kept for the tests: ``curves`` (lines), ``bars``
    (one BarGraphItem per series), ``bar_texts``, ``image`` and ``cell_texts`` (matrix)."""

    def __init__(self, plot: Any, theme: Theme = NORMAL, base_pt: float | None = None,
                 parent: Any = None) -> None:
        super().__init__(parent, background=theme.background)
        self.record = plot
        self._theme = theme
        self._base_pt = base_pt or QFont().pointSizeF()
        self.curves: list[pg.PlotDataItem] = []
        self.bars: list[pg.BarGraphItem] = []
        self.bar_texts: list[pg.TextItem] = []
        self.image: pg.ImageItem | None = None
        self.cell_texts: list[pg.TextItem] = []
        self.legend: pg.LegendItem | None = None
        self.setMinimumHeight(220)
        for name in ("left", "bottom"):
            plain_numbers(self.getAxis(name))
        self.getViewBox().sigResized.connect(lambda _vb: self._fit_names())
        self.apply_theme(theme, self._base_pt)

    # ---- looks ----

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        """Draw the plot again in ``theme``: its type, line widths and colours."""
        self._theme, self._base_pt = theme, base_pt
        self.setBackground(theme.background)
        font = QFont()
        font.setPointSizeF(base_pt * theme.font_scale)
        pen = pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2))
        label_style = {"font-size": f"{base_pt * theme.font_scale:.1f}pt", "color": theme.foreground}
        for name, text in (("left", self.record.y_label), ("bottom", self.record.x_label)):
            axis = self.getAxis(name)
            axis.setTickFont(font)
            axis.setPen(pen)
            axis.setTextPen(pg.mkPen(theme.foreground))
            axis.setStyle(tickTextOffset=int(3 * theme.font_scale))
            if text:
                axis.setLabel(text, **label_style)
            plain_numbers(axis)  # a label set again brings the SI prefix back
        # Room under the plot for the ticks' type and the label's: pyqtgraph's own height overlapped them
        # once the type was large (presentation).
        px = base_pt * theme.font_scale * 96 / 72
        lines = 2.4 if self.record.x_label else 1.3
        self.getAxis("bottom").setHeight(int(lines * px + 3 * theme.font_scale + 8))
        self._fit_title()
        self._draw()

    def _fit_title(self) -> None:
        """The title wrapped to the plot's width: a label wider than a narrow dock widened the plot past it."""
        font = self._text_font()
        metrics = QFontMetrics(font)
        room = max(self.width() - 24, 80)
        lines: list[str] = []
        for word in self.record.title.split():
            if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= room:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        self.setTitle("<br>".join(html.escape(line) for line in lines),
                      size=f"{font.pointSizeF():.1f}pt", color=self._theme.foreground)
        self.getPlotItem().titleLabel.setMinimumWidth(0)

    def _fit_names(self) -> None:
        """The categories (or columns) under the plot, each cut to its slot's width: pyqtgraph leaves out a
        label that would overlap its neighbour, so in a narrow dock only every other one showed."""
        names = getattr(self, "_names", [])
        if not names:
            return
        slot = self.getViewBox().width() / len(names)
        if slot <= 0:  # not laid out yet: the resize that follows fits them
            self.getAxis("bottom").setTicks([names])
            return
        metrics = QFontMetrics(self.getAxis("bottom").style["tickFont"] or self._text_font())
        room = max(int(slot) - 6, metrics.horizontalAdvance("W…"))
        self.getAxis("bottom").setTicks([[(x, metrics.elidedText(name, Qt.TextElideMode.ElideRight, room))
                                          for x, name in names]])

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if "_base_pt" not in self.__dict__ or self.__dict__.get("plotItem") is None:  # not yet, or closed
            return
        if event is None or event.oldSize().width() != event.size().width():  # pyqtgraph calls it with None
            self._fit_title()

    def _draw(self) -> None:
        item = self.getPlotItem()
        item.clear()  # the legend's entries go with their items
        self.curves, self.bars, self.bar_texts, self.cell_texts, self.image = [], [], [], [], None
        self._names: list[tuple[float, str]] = []  # the bottom axis's categories or columns, uncut
        kind = self.record.kind
        if kind in ("lines", "bars") and len(self.record.series) > 1:
            if self.legend is None:
                # Under the plot, in the plot item's own layout: inside the view box it hid the curves
                # and, wider than a narrow dock's plot, lost the start of its names.
                self.legend = pg.LegendItem()
                item.layout.addItem(self.legend, 4, 1)
                item.legend = self.legend  # named items go into it as addLegend's would
            self.legend.setLabelTextSize(f"{self._base_pt * self._theme.font_scale:.1f}pt")
            self.legend.setLabelTextColor(self._theme.foreground)
        {"lines": self._draw_lines, "bars": self._draw_bars, "matrix": self._draw_matrix}[kind]()
        item.showGrid(x=kind == "lines", y=kind != "matrix", alpha=self._theme.grid_alpha)

    def _text_font(self, factor: float = 1.0) -> QFont:
        font = QFont()
        font.setPointSizeF(self._base_pt * self._theme.font_scale * factor)
        return font

    # ---- the three kinds ----

    def _draw_lines(self) -> None:
        plot, theme = self.record, self._theme
        self.setLogMode(x=False, y=plot.log_y)
        for k, series in enumerate(plot.series):
            color = theme.color(k)
            y = np.asarray(series.y, np.float64)  # (N,)
            if plot.log_y:  # pyqtgraph would warn on log10 of 0 and draw a spike to -inf
                y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
            x = np.asarray(series.x, np.float64)  # (N,)
            if series.style == "points":
                curve = self.plot(x, y, pen=None, symbol="o", symbolBrush=color, symbolPen=None,
                                  symbolSize=int(5 + 2 * theme.line_width), name=series.name)
            else:
                style = Qt.PenStyle.DashLine if series.style == "dashed" else Qt.PenStyle.SolidLine
                curve = self.plot(x, y, pen=pg.mkPen(color, width=theme.line_width, style=style),
                                  name=series.name, connect="finite")
            self.curves.append(curve)
        if plot.log_y:
            self._thin_log_labels([np.asarray(s.y, np.float64) for s in plot.series])

    def _thin_log_labels(self, ys: list[np.ndarray]) -> None:
        """A log axis labelled by its decades (its own labels of 2 … 9 between them overlapped)."""
        logs = np.concatenate([log_values(y) for y in ys]) if ys else np.zeros(0)
        logs = logs[np.isfinite(logs)]
        if logs.size:
            self.getAxis("left").setTicks(log_ticks(float(logs.min()), float(logs.max())))

    def _draw_bars(self) -> None:
        plot, theme = self.record, self._theme
        self.setLogMode(x=False, y=False)
        n, groups = len(plot.series), len(plot.categories)
        width = BAR_SPAN / max(n, 1)
        heights = [np.asarray(s.y, np.float64) for s in plot.series]  # each (categories,)
        # A log axis: the bars rise from a whole decade below the smallest value, their heights in log10.
        floor = 0.0
        if plot.log_y:
            positive = np.concatenate([h[h > 0] for h in heights]) if heights else np.zeros(0)
            floor = math.floor(float(np.log10(positive.min()))) if positive.size else 0.0
            if positive.size:  # the heights are log10 values: the axis names them as the values
                self.getAxis("left").setTicks(log_ticks(floor, float(np.log10(positive.max()))))
        integers = all(float(v).is_integer() for h in heights for v in h if math.isfinite(v))
        write = n * groups <= MAX_BAR_TEXTS
        for k, (series, h) in enumerate(zip(plot.series, heights)):
            x = np.arange(groups) - BAR_SPAN / 2 + width * (k + 0.5)  # (categories,) the bars' centres
            top = log_values(h) if plot.log_y else np.where(np.isfinite(h), h, 0.0)
            top = np.where(np.isfinite(top), top, floor)
            color = theme.color(k)
            bars = pg.BarGraphItem(x=x, y0=floor, height=top - floor, width=width * 0.92, brush=color,
                                   pen=pg.mkPen(theme.foreground, width=0.5), name=series.name)
            self.addItem(bars)  # named: the plot puts it in the legend
            self.bars.append(bars)
            if write:
                for xc, yt, value in zip(x, top, h):
                    text = pg.TextItem(number(float(value), integers), color=theme.foreground, anchor=(0.5, 1.0))
                    text.setFont(self._text_font(0.85))
                    text.setPos(float(xc), float(yt))
                    self.addItem(text)
                    self.bar_texts.append(text)
        self._names = [(float(i), name) for i, name in enumerate(plot.categories)]
        self._fit_names()
        self.getViewBox().setXRange(-0.6, groups - 0.4, padding=0)
        tops = [float(t) for h in heights for t in (log_values(h) if plot.log_y else h) if math.isfinite(t)]
        if tops:  # room above the tallest bar for its value
            low, high = min([floor, *tops]), max([floor, *tops])
            self.getViewBox().setYRange(low, high + 0.15 * (high - low or 1.0), padding=0)

    def _draw_matrix(self) -> None:
        plot = self.record
        self.setLogMode(x=False, y=False)
        values = np.asarray(plot.values, np.float64)  # (rows, columns)
        rows, cols = values.shape if values.size else (0, 0)
        if not rows or not cols:
            return
        finite = values[np.isfinite(values)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        hi = hi if hi > lo else lo + 1.0
        image = pg.ImageItem(np.where(np.isfinite(values), values, lo).T)  # ImageItem reads (x, y): (columns, rows)
        image.setLookupTable(pg.colormap.get("viridis").getLookupTable(nPts=256))
        image.setLevels((lo, hi))
        image.setRect(0, 0, cols, rows)
        self.addItem(image)
        self.image = image
        vb = self.getViewBox()
        vb.invertY(True)  # the first row on top, as a table reads
        vb.setAspectLocked(False)
        vb.setRange(xRange=(0, cols), yRange=(0, rows), padding=0.02)
        self.getAxis("left").setTicks([[(r + 0.5, name) for r, name in enumerate(plot.row_labels)]])
        self._names = [(c + 0.5, name) for c, name in enumerate(plot.column_labels)]
        self._fit_names()
        if rows * cols > MAX_CELL_TEXTS:
            return
        integers = all(float(v).is_integer() for v in finite)
        font = self._text_font(0.9 if rows * cols <= 64 else 0.75)
        for r in range(rows):
            for c in range(cols):
                value = float(values[r, c])
                # viridis is dark below about 60% of its range: white type there, black above
                dark = not math.isfinite(value) or (value - lo) / (hi - lo) < 0.6
                text = pg.TextItem(number(value, integers), color="#ffffff" if dark else "#000000",
                                   anchor=(0.5, 0.5))
                text.setFont(font)
                text.setPos(c + 0.5, r + 0.5)
                self.addItem(text)
                self.cell_texts.append(text)

    # ---- for tests and readers ----

    def tick_labels(self, axis: str) -> list[str]:
        """The labels the ``axis`` ("left" or "bottom") was given (categories, row or column names)."""
        levels = self.getAxis(axis)._tickLevels
        return [label for _, label in levels[0]] if levels else []
