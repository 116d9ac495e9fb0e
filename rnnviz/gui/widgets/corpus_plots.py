"""The data panel's two corpus plots, drawn with pyqtgraph.

:class:`ZipfPlot` — token frequency against rank on log–log axes: Zipf's law,
as the book draws it for word unigrams, bigrams and trigrams (D2L section 9.2).
:class:`LengthHistogram` — tokens per sentence, source and target side by side
(D2L section 10.5); for a language model, words per line.

Both keep the data they were given and redraw from it, so ``apply_theme``
(fonts, pen widths, colours) always applies to everything on screen. Hovering
shows the values under the mouse. The title is not drawn in the plot: a
:class:`~rnnviz.gui.widgets.wheel_guard.PlotFrame` shows it above, wrapped to
the dock's width (``title()``, ``sig_title_changed``), with a button that calls
``reset_view()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

from rnnviz.core.data.stats import FreqTable
from rnnviz.gui.style import NORMAL, Theme

#: Line styles for the series, so curves differ without colour too (the book uses -, --, -.).
_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine, Qt.PenStyle.DotLine)


def _base_point_size() -> float:
    app = QApplication.instance()
    size = app.font().pointSizeF() if app is not None else -1.0
    return size if size > 0 else 10.0


class _DecadeAxis(pg.AxisItem):
    """A log axis that labels only the powers of ten, as plain numbers (1, 10, 100, 1,000)."""

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        return [f"{round(10 ** v):,}" if abs(v - round(v)) < 1e-6 else "" for v in values]


class _ThemedPlot(pg.PlotWidget):
    """A PlotWidget whose text, axes and background follow a :class:`Theme`."""

    #: Which grid lines help reading values: both on log–log axes, only counts on a histogram.
    _grid = (True, True)
    #: The title changed (the frame above the plot shows it).
    sig_title_changed = Signal(str)

    def __init__(self, title: str, x_label: str, y_label: str, parent: QWidget | None = None,
                 log_axes: bool = False, legend_offset: tuple[int, int] = (-10, 10)) -> None:
        axes = {"bottom": _DecadeAxis("bottom"), "left": _DecadeAxis("left")} if log_axes else None
        super().__init__(parent, axisItems=axes)
        self.theme: Theme = NORMAL
        self._base_pt = _base_point_size()
        self._title = title
        self._labels = {"bottom": x_label, "left": y_label}
        self._note = ""
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        self.legend = item.addLegend(offset=legend_offset)
        self._hover_text = pg.TextItem(anchor=(0, 1))
        self._hover_text.setZValue(100)
        self._note_text = pg.TextItem(anchor=(0.5, 0.5))
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.setMinimumHeight(180)

    # -- public ---------------------------------------------------------------------

    def apply_theme(self, theme: Theme, base_point_size: float | None = None) -> None:
        """Fonts × ``theme.font_scale``, pen widths and colours; redraws everything."""
        self.theme = theme
        if base_point_size:
            self._base_pt = base_point_size
        self._redraw()

    def point_size(self, factor: float = 1.0) -> float:
        """The point size of plot text (ticks: factor 1) under the current theme."""
        return round(self._base_pt * self.theme.font_scale * factor, 1)

    def title(self) -> str:
        return self._title

    def set_title(self, title: str) -> None:
        if title != self._title:
            self._title = title
            self.sig_title_changed.emit(title)

    def reset_view(self) -> None:
        """The view as first drawn: every point of the data (zoom and pan undone)."""
        self.getPlotItem().enableAutoRange()

    def set_dimmed(self, dimmed: bool) -> None:
        """Fade the plot while newer data is being computed."""
        self.getPlotItem().setOpacity(0.3 if dimmed else 1.0)

    def set_note(self, note: str) -> None:
        """A line of text in the middle of an empty plot ("" for none)."""
        self._note = note
        self._redraw()

    def hover_text(self) -> str:
        """What the hover label shows now ("" when hidden)."""
        return self._hover_text.textItem.toPlainText() if self._hover_text.isVisible() else ""

    # -- drawing --------------------------------------------------------------------

    def _redraw(self) -> None:
        theme = self.theme
        item = self.getPlotItem()
        item.clear()  # removes the data items (and their legend entries)
        self.legend.clear()
        self.setBackground(theme.background)
        tick_font = QFont(self.font())
        tick_font.setPointSizeF(self.point_size())
        label_style = {"font-size": f"{self.point_size(1.1)}pt", "color": theme.foreground}
        for name in ("bottom", "left"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2)))
            axis.setTextPen(theme.foreground)
            axis.setTickFont(tick_font)
            axis.setLabel(self._labels[name], **label_style)
        item.showGrid(x=self._grid[0], y=self._grid[1], alpha=theme.grid_alpha)
        self.legend.setLabelTextSize(f"{self.point_size()}pt")
        self.legend.setLabelTextColor(theme.foreground)
        self.legend.setBrush(pg.mkBrush(theme.background + "d0"))
        self.legend.setPen(pg.mkPen(theme.muted))
        self._draw_data()
        self.legend.setVisible(bool(self.legend.items))
        for text in (self._hover_text, self._note_text):
            text.setColor(theme.foreground)
            font = QFont(self.font())
            font.setPointSizeF(self.point_size())
            text.setFont(font)
            item.addItem(text, ignoreBounds=True)
        self._hover_text.setVisible(False)
        self._note_text.setText(self._note)
        self._note_text.setVisible(bool(self._note))
        if self._note:
            self._place_note()

    def _place_note(self) -> None:
        (x0, x1), (y0, y1) = self.getPlotItem().viewRange()
        self._note_text.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    def _pen(self, index: int) -> pg.QtGui.QPen:
        return pg.mkPen(self.theme.color(index), width=self.theme.line_width,
                        style=_STYLES[index % len(_STYLES)])

    def _draw_data(self) -> None:
        raise NotImplementedError

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        item = self.getPlotItem()
        if not item.sceneBoundingRect().contains(scene_pos):
            self._hover_text.setVisible(False)
            return
        point = item.vb.mapSceneToView(scene_pos)
        self.show_hover(point.x(), point.y())

    def show_hover(self, x: float, y: float) -> None:
        """Show the values nearest to view coordinates (x, y); public for tests."""
        raise NotImplementedError


class ZipfPlot(_ThemedPlot):
    """Frequency n(x) of each token x against its rank, log–log (D2L section 9.2).

    A straight line here is Zipf's law: the k-th most frequent token appears about
    1/k^α as often as the first.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        # The legend bottom left: Zipf curves fall from top left to bottom right.
        super().__init__("Zipf's law: frequency against rank", "rank of the token (log)",
                         "frequency n(x) (log)", parent, log_axes=True, legend_offset=(10, -10))
        self.getPlotItem().setLogMode(x=True, y=True)
        self._series: list[tuple[str, FreqTable]] = []
        self._redraw()

    def set_series(self, series: Sequence[tuple[str, FreqTable]]) -> None:
        """One curve per (legend name, frequency table), most frequent first."""
        self._series = [(name, table) for name, table in series]
        self._note = "" if any(len(t.counts) for _, t in self._series) else "no tokens"
        self._redraw()
        self.reset_view()

    def clear_series(self, note: str = "") -> None:
        self._series = []
        self._note = note
        self._redraw()

    def reset_view(self) -> None:
        """Every rank and count (log–log). Set, not auto-ranged: a curve clipped to a zoomed view
        reports only the points in view, so auto-range alone would keep the zoom."""
        counts = [np.asarray(t.counts) for _, t in self._series if len(t.counts)]
        item = self.getPlotItem()
        if counts:
            top = max(len(c) for c in counts)
            low, high = min(float(c[c > 0].min()) for c in counts), max(float(c.max()) for c in counts)
            item.setRange(xRange=(0.0, np.log10(max(top, 2))), yRange=(np.log10(low), np.log10(max(high, low + 1))),
                          padding=0.05)
        item.enableAutoRange()

    def series_data(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Legend name → (ranks, counts) as drawn."""
        return {name: (np.arange(1, len(t.counts) + 1), np.asarray(t.counts)) for name, t in self._series}

    def curves(self) -> list[pg.PlotDataItem]:
        return [c for c in self.getPlotItem().listDataItems() if c.name()]

    def _draw_data(self) -> None:
        item = self.getPlotItem()
        for index, (name, table) in enumerate(self._series):
            if not len(table.counts):
                continue
            ranks = np.arange(1, len(table.counts) + 1, dtype=np.float64)
            curve = pg.PlotDataItem(ranks, table.counts.astype(np.float64), pen=self._pen(index), name=name)
            item.addItem(curve)
            # No downsampling: it assumes evenly spaced x, which log ranks are not (it would
            # merge the first ranks). After addItem: set before, pyqtgraph looks for the view too early.
            curve.setClipToView(True)
        self._marker = pg.PlotDataItem([], [], pen=None, symbol="o", symbolSize=8 + 2 * self.theme.line_width,
                                       symbolBrush=self.theme.foreground, symbolPen=None)
        item.addItem(self._marker, ignoreBounds=True)

    def show_hover(self, x: float, y: float) -> None:
        best: tuple[float, str, FreqTable, int] | None = None
        for name, table in self._series:
            n = len(table.counts)
            if not n:
                continue
            rank = int(np.clip(round(10 ** float(np.clip(x, 0, 12))), 1, n))
            distance = abs(np.log10(table.counts[rank - 1]) - y)
            if best is None or distance < best[0]:
                best = (distance, name, table, rank)
        if best is None:
            self._hover_text.setVisible(False)
            return
        _, name, table, rank = best
        count = int(table.counts[rank - 1])
        self._marker.setData([rank], [count])
        self._hover_text.setText(f"{name} #{rank:,}: “{table.items[rank - 1]}” × {count:,}")
        self._hover_text.setPos(np.log10(rank), np.log10(count))
        self._hover_text.setVisible(True)


class LengthHistogram(_ThemedPlot):
    """How many sentences (or lines) have each length, one bar per series side by side."""

    _grid = (False, True)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Tokens per sentence", "tokens per sentence", "number of sentences", parent)
        self._edges = np.zeros(0)
        self._series: list[tuple[str, np.ndarray]] = []
        self._redraw()

    def set_histogram(self, edges: np.ndarray, series: Sequence[tuple[str, np.ndarray]], *,
                      title: str, x_label: str, y_label: str) -> None:
        """``edges`` (n+1,) bin edges; each series is (legend name, (n,) counts)."""
        self._edges = np.asarray(edges, dtype=np.float64)
        self._series = [(name, np.asarray(counts)) for name, counts in series]
        self.set_title(title)
        self._labels = {"bottom": x_label, "left": y_label}
        self._note = "" if any(c.sum() for _, c in self._series) else "nothing to count"
        self._redraw()
        self.reset_view()

    def reset_view(self) -> None:
        """The view as first drawn: all counts, and the lengths that hold 99.9% of the sentences."""
        item = self.getPlotItem()
        item.enableAutoRange()
        if self._note == "" and len(self._edges) > 1 and self._series:
            # Show the lengths that hold 99.9% of the sentences: the rest are bars too small to
            # see and would squeeze the others (pan or zoom out to reach them).
            total = np.sum([c for _, c in self._series], axis=0)
            last = int(np.searchsorted(np.cumsum(total), 0.999 * total.sum()))
            item.setXRange(self._edges[0], self._edges[min(last + 1, len(self._edges) - 1)], padding=0.02)

    def clear_series(self, note: str = "") -> None:
        self._edges = np.zeros(0)
        self._series = []
        self._note = note
        self._redraw()

    def series_data(self) -> dict[str, np.ndarray]:
        """Legend name → counts per bin, as drawn."""
        return {name: counts for name, counts in self._series}

    def edges(self) -> np.ndarray:
        return self._edges

    def _draw_data(self) -> None:
        if not self._series or len(self._edges) < 2:
            return
        item = self.getPlotItem()
        widths = np.diff(self._edges)
        centers = self._edges[:-1] + widths / 2
        k = len(self._series)
        bar = widths * 0.85 / k
        outline = pg.mkPen(self.theme.background, width=max(0.5, self.theme.line_width / 3))
        for index, (name, counts) in enumerate(self._series):
            offset = (index - (k - 1) / 2) * bar
            bars = pg.BarGraphItem(x=centers + offset, height=counts, width=bar,
                                   brush=self.theme.color(index), pen=outline)
            item.addItem(bars)
            self.legend.addItem(bars, name)

    def show_hover(self, x: float, y: float) -> None:
        if not self._series or len(self._edges) < 2:
            self._hover_text.setVisible(False)
            return
        index = int(np.searchsorted(self._edges, x, side="right")) - 1
        if not 0 <= index < len(self._edges) - 1:
            self._hover_text.setVisible(False)
            return
        lo, hi = self._edges[index], self._edges[index + 1]
        span = f"{lo + 0.5:.0f}" if hi - lo == 1 else f"{lo:.0f}–{hi:.0f}"
        counts = " · ".join(f"{name} {int(c[index]):,}" for name, c in self._series)
        self._hover_text.setText(f"length {span}: {counts}")
        top = max(int(c[index]) for _, c in self._series)
        self._hover_text.setPos((lo + hi) / 2, top)
        self._hover_text.setVisible(True)
