"""One time step up close: every gate vector as a row of bars, and one unit's equations with numbers.

The bars show, for the step under the time cursor, each gate's values over
the displayed units (in the heatmaps' order and colours). The chosen unit's
bar is outlined. Below, a ``QTextBrowser`` holds that unit's equations in the
model's cell variant, the real numbers filled in (``unit_step``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from rnnviz.core.data.display import display_token
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.gate_heatmap import CURSOR_COLOR, color_range, colormap_for
from rnnviz.gui.widgets.heatmap_grid import HeatmapData
from rnnviz.gui.widgets.label_axis import LabelAxis
from rnnviz.core.introspect.unit_equations import UnitStep, equations_html, unit_step

if TYPE_CHECKING:
    from rnnviz.core.introspect import DirectionTrace

#: The least height of one gate's row of bars, in pixels, in the presentation theme (and in the
#: normal one): more rows than fit scroll rather than shrink.
MIN_BAR_HEIGHT = 44
MIN_BAR_HEIGHT_NORMAL = 30

_HINT = ("<p>Click a cell of a heatmap (or pick a unit) to see that unit's equations "
         "at this step, with the numbers the model computed.</p>")


class StepView(QWidget):
    """Bars of every gate at step t, and the equations of unit j at step t."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = NORMAL
        self._base_pt = 9.0
        self._items: tuple[HeatmapData, ...] = ()
        self._units = np.zeros(0, np.int64)
        self._direction: DirectionTrace | None = None
        self._cell = ""
        self._variant = ""
        self._tokens: tuple[str, ...] = ()
        self._step: int | None = None
        self._unit: int | None = None
        self._unit_step: UnitStep | None = None
        self.plots: dict[str, pg.PlotItem] = {}
        self.bars: dict[str, pg.BarGraphItem] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        layout.addWidget(splitter)
        self.bar_graphics = pg.GraphicsLayoutWidget()
        self.bar_graphics.ci.layout.setSpacing(2)
        # Rows of bars never shrink below MIN_BAR_HEIGHT: they scroll instead.
        self.bar_scroll = QScrollArea()
        self.bar_scroll.setWidget(self.bar_graphics)
        self.bar_scroll.setWidgetResizable(True)
        self.bar_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.bar_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.equations = QTextBrowser()
        self.equations.setOpenLinks(False)
        self.equations.setHtml(_HINT)
        splitter.addWidget(self.bar_scroll)
        splitter.addWidget(self.equations)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([350, 650])
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter

    # ---- data ----

    def set_context(self, items: Sequence[HeatmapData], units: np.ndarray, direction: DirectionTrace,
                    cell: str, variant: str, tokens: Sequence[str]) -> None:
        """What the heatmaps show (same order of units), and the layer-direction behind them."""
        names_changed = [i.name for i in items] != [i.name for i in self._items]
        self._items = tuple(items)
        self._units = np.asarray(units, np.int64)
        self._direction, self._cell, self._variant = direction, cell, variant
        self._tokens = tuple(tokens)
        if self._step is not None:  # a shorter trace than the last one: its last step, never past its end
            self._step = min(self._step, max(direction.num_steps - 1, 0))
        if names_changed or not self.plots:
            self._rebuild()
            # Six rows of bars (LSTM) need more height than two (RNN); the equations get the rest.
            bars = 0.25 + 0.035 * len(self._items)
            total = max(sum(self.splitter.sizes()), 600)
            self.splitter.setSizes([int(total * bars), int(total * (1 - bars))])
        for name, plot in self.plots.items():
            plot.getAxis("bottom").set_labels([str(u) for u in self._units])
        self._redraw_bars()
        self._redraw_equations()

    def clear(self) -> None:
        self._items, self._direction, self._unit_step = (), None, None
        self._rebuild()
        self.equations.setHtml("")  # nothing traced: the panel's message says why

    def set_step(self, step: int | None) -> None:
        self._step = step
        self._redraw_bars()
        self._redraw_equations()

    def set_unit(self, unit: int | None) -> None:
        """The unit (its index in the layer, not its row) whose equations are shown."""
        self._unit = unit
        self._redraw_bars()
        self._redraw_equations()

    def unit_step(self) -> UnitStep | None:
        """The recomputation behind the equations on screen (None without a unit)."""
        return self._unit_step

    def heights(self, name: str) -> np.ndarray:
        """The bar heights of one gate at the current step, in the displayed units' order."""
        return np.asarray(self.bars[name].opts["height"])

    def equations_text(self) -> str:
        return self.equations.toPlainText()

    # ---- looks ----

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        self._theme, self._base_pt = theme, base_pt
        font = QFont(self.equations.font())
        font.setPointSizeF(base_pt * theme.font_scale * 1.2)  # the equations are what the room reads
        self.equations.setFont(font)
        self.equations.document().setDefaultFont(font)
        self.bar_graphics.setBackground(theme.background)
        self._rebuild()
        for plot in self.plots.values():
            plot.getAxis("bottom").set_labels([str(u) for u in self._units])
        self._redraw_bars()
        self._redraw_equations()

    # ---- internals ----

    def _rebuild(self) -> None:
        self.bar_graphics.ci.clear()
        self.plots, self.bars = {}, {}
        theme, scale = self._theme, self._theme.font_scale
        font = QFont()
        font.setPointSizeF(self._base_pt * scale * 0.9)
        first: pg.PlotItem | None = None
        for k, item in enumerate(self._items):
            last = k == len(self._items) - 1
            axis = LabelAxis("bottom", thin="stride")  # unit numbers: every n-th, at a regular step
            plot = self.bar_graphics.ci.addPlot(row=k, col=0, axisItems={"bottom": axis})
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            symbol = item.title.split()[-1] if item.title else item.name
            for side in ("left", "bottom"):
                ax = plot.getAxis(side)
                ax.setTickFont(font)
                ax.setPen(pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2)))
                ax.setTextPen(pg.mkPen(theme.foreground))
            left = plot.getAxis("left")
            left.setWidth(int(font.pointSizeF() * 3.5 + 10))  # the same for all: the bars line up
            plot.showAxis("bottom", last)  # unit numbers once, under the last row
            lo, hi = color_range(item.values, item.bounds)
            # The gate's symbol as the row's only label, level and mid-height: numbers at both ends
            # of short rows would collide with the next row's, and rotated titles get clipped.
            left.setTicks([[((lo + hi) / 2, symbol)], []])
            left.setStyle(tickLength=0)
            plot.setToolTip(f"{item.title}: bars from {lo:g} to {hi:g}, coloured as in its heatmap")
            plot.setYRange(lo, hi, padding=0.05)
            zero = pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen(theme.muted, width=1))
            plot.addItem(zero)
            bars = pg.BarGraphItem(x=[], height=[], width=0.8)
            plot.addItem(bars)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[item.name], self.bars[item.name] = plot, bars
        self._fit_rows(font)

    def _fit_rows(self, font: QFont) -> None:
        """The bars' least height: every row at least MIN_BAR_HEIGHT, and the unit numbers under the last."""
        if not self.plots:
            self.bar_graphics.setMinimumHeight(0)
            return
        row = MIN_BAR_HEIGHT if self._theme.font_scale > 1.2 else MIN_BAR_HEIGHT_NORMAL
        axis = QFontMetricsF(font).height() * 1.25 + 12
        for plot in self.plots.values():
            plot.setMinimumHeight(row)
        spacing = 2 * (len(self.plots) - 1) + 16
        self.bar_graphics.setMinimumHeight(int(row * len(self.plots) + axis + spacing))

    def _redraw_bars(self) -> None:
        if not self._items:
            return
        step = self._step
        units = self._units
        x = np.arange(len(units)) + 0.5
        row = None
        if self._unit is not None:
            hits = np.flatnonzero(units == self._unit)
            row = int(hits[0]) if hits.size else None
        outline = pg.mkPen(CURSOR_COLOR, width=max(2.0, self._theme.line_width))
        for item in self._items:
            plot, bars = self.plots[item.name], self.bars[item.name]
            if step is None or not len(units):
                bars.setOpts(x=[], height=[])
                continue
            heights = np.asarray(item.values[step], np.float64)  # (U,)
            lo, hi = color_range(item.values, item.bounds)
            cmap = colormap_for(item.bounds)
            brushes = [pg.mkBrush(c) for c in cmap.map((np.clip(heights, lo, hi) - lo) / (hi - lo), mode="qcolor")]
            pens = [pg.mkPen(None)] * len(units)
            if row is not None:
                pens[row] = outline
            bars.setOpts(x=x, height=heights, width=0.8, brushes=brushes, pens=pens)
            plot.setXRange(0, max(len(units), 1), padding=0)

    def _redraw_equations(self) -> None:
        d, step, unit = self._direction, self._step, self._unit
        if d is None or step is None or unit is None or not 0 <= unit < d.hidden_size or step >= d.num_steps:
            self._unit_step = None
            self.equations.setHtml(_HINT)
            return
        self._unit_step = unit_step(d, self._cell, step, unit)
        colors = {name: self._theme.color(k) for k, name in enumerate(item.name for item in self._items)}
        token = display_token(self._tokens[step]) if step < len(self._tokens) else "?"
        scroll = self.equations.verticalScrollBar().value()
        self.equations.setHtml(equations_html(self._unit_step, token, self._variant, colors))
        self.equations.verticalScrollBar().setValue(scroll)  # stepping keeps the reader's place
