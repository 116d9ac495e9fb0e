"""Gate saturation as in Karpathy, Johnson & Fei-Fei (2015), "Visualizing and Understanding Recurrent Networks".

One scatter plot per gate; one point per unit (per layer, each layer its own
colour): x = the fraction of steps on which the unit is left-saturated
(below the low threshold), y = the fraction right-saturated (above the high
one). Points lie under the diagonal x + y = 1 (drawn as a guide); a unit on
it is saturated on every step, a unit at the origin never is.

The numbers come from :func:`rnnviz.core.introspect.saturation.saturation_fractions`;
``SaturationPlot`` draws them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont

from rnnviz.core.introspect.saturation import thresholds
from rnnviz.gui.style import NORMAL, Theme


@dataclass(frozen=True)
class SaturationSeries:
    """One layer's units in one gate's plot."""

    layer: int
    left: np.ndarray  # (H,) fraction of steps below the low threshold
    right: np.ndarray  # (H,) fraction of steps above the high threshold


@dataclass(frozen=True)
class SaturationPanel:
    """One gate's plot."""

    name: str
    title: str
    bounds: tuple[float, float]
    series: tuple[SaturationSeries, ...]


def _num(value: float) -> str:
    return f"{value:g}".replace("-", "\u2212")


class SaturationPlot(pg.GraphicsLayoutWidget):
    """A grid of saturation scatters, one per gate."""

    #: The mouse is over a point: a description ("forget gate, layer 0, unit 17: …"), or "" when it left.
    sig_hovered = Signal(str)

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._theme = NORMAL
        self._base_pt = 9.0
        self._panels: tuple[SaturationPanel, ...] = ()
        self._selected: tuple[int, int] | None = None  # (layer, unit)
        self.plots: dict[str, pg.PlotItem] = {}
        self.scatters: dict[tuple[str, int], pg.ScatterPlotItem] = {}
        self._rings: list[tuple[pg.PlotItem, pg.ScatterPlotItem]] = []

    def set_panels(self, panels: Sequence[SaturationPanel]) -> None:
        self._panels = tuple(panels)
        self._redraw()

    def panels(self) -> tuple[SaturationPanel, ...]:
        return self._panels

    def set_selected(self, layer: int | None, unit: int | None) -> None:
        """Ring the chosen unit in every plot (the unit whose equations the step view shows)."""
        self._selected = None if layer is None or unit is None else (layer, unit)
        self._draw_rings()

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        self._theme, self._base_pt = theme, base_pt
        self._redraw()

    # ---- drawing ----

    def _redraw(self) -> None:
        self.ci.clear()
        self.plots, self.scatters, self._rings = {}, {}, []
        theme, scale = self._theme, self._theme.font_scale
        self.setBackground(theme.background)
        columns = max(1, math.ceil(math.sqrt(len(self._panels))))  # 4 gates: 2 × 2, 5 or 6: 3 × 2
        font = QFont()
        font.setPointSizeF(self._base_pt * scale)
        label_style = {"font-size": f"{self._base_pt * scale:.1f}pt", "color": theme.foreground}
        size = 6 + 1.5 * theme.line_width
        layers = sorted({s.layer for p in self._panels for s in p.series})
        for k, panel in enumerate(self._panels):
            plot = self.ci.addPlot(row=k // columns, col=k % columns)
            plot.setTitle(panel.title, size=f"{self._base_pt * scale * 1.1:.1f}pt", color=theme.foreground)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.05)
            low, high = thresholds(panel.bounds)
            plot.setLabel("bottom", f"fraction of steps &lt; {_num(low)}", **label_style)
            plot.setLabel("left", f"fraction &gt; {_num(high)}", **label_style)
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setTickFont(font)
                axis.setPen(pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2)))
                axis.setTextPen(pg.mkPen(theme.foreground))
                axis.setTicks([[(v, f"{v:g}") for v in (0, 0.5, 1)], [(v, "") for v in (0.25, 0.75)]])
            # Grid lines as items: an axis with showGrid drops the labels at its ends ("0", "1").
            grid = QColor(theme.foreground)
            grid.setAlphaF(theme.grid_alpha * 0.6)
            for v in (0.25, 0.5, 0.75, 1.0):
                for angle in (0, 90):
                    plot.addItem(pg.InfiniteLine(v, angle=angle, pen=pg.mkPen(grid, width=1)), ignoreBounds=True)
            guide = pg.PlotDataItem([0, 1], [1, 0], pen=pg.mkPen(theme.muted, width=max(1.0, theme.line_width / 2),
                                                                 style=Qt.PenStyle.DashLine))
            plot.addItem(guide)
            if len(layers) > 1 and k == 0:
                plot.addLegend(offset=(-6, 6), labelTextSize=f"{self._base_pt * scale:.1f}pt",
                               labelTextColor=theme.foreground, brush=pg.mkBrush(theme.background))
            for series in panel.series:
                color = theme.color(layers.index(series.layer))
                scatter = pg.ScatterPlotItem(
                    series.left, series.right, data=np.arange(len(series.left)), size=size,
                    pen=pg.mkPen(theme.background, width=1), brush=pg.mkBrush(color), hoverable=True,
                    hoverSize=size * 1.5, hoverPen=pg.mkPen(theme.foreground, width=2), tip=None,
                    name=f"layer {series.layer}" if len(layers) > 1 else None)
                scatter.sigHovered.connect(lambda item, points, ev, p=panel, s=series: self._on_hover(p, s, points))
                plot.addItem(scatter)
                self.scatters[(panel.name, series.layer)] = scatter
            self.plots[panel.name] = plot
        self._draw_rings()

    def _draw_rings(self) -> None:
        for plot, ring in self._rings:
            plot.removeItem(ring)
        self._rings = []
        if self._selected is None:
            return
        layer, unit = self._selected
        size = 6 + 1.5 * self._theme.line_width
        for panel in self._panels:
            for series in panel.series:
                if series.layer != layer or not 0 <= unit < len(series.left):
                    continue
                ring = pg.ScatterPlotItem([series.left[unit]], [series.right[unit]], size=size * 2.2,
                                          pen=pg.mkPen(self._theme.foreground, width=max(2.0, self._theme.line_width)),
                                          brush=pg.mkBrush(None))
                ring.setZValue(30)
                self.plots[panel.name].addItem(ring)
                self._rings.append((self.plots[panel.name], ring))

    def _on_hover(self, panel: SaturationPanel, series: SaturationSeries, points) -> None:  # type: ignore[no-untyped-def]
        if not len(points):
            self.sig_hovered.emit("")
            return
        units = sorted(int(p.data()) for p in points)
        shown = ", ".join(str(u) for u in units[:6]) + (" …" if len(units) > 6 else "")
        u = units[0]
        self.sig_hovered.emit(f"{panel.title}, layer {series.layer}, unit {shown}: "
                              f"{series.left[u]:.0%} of steps low, {series.right[u]:.0%} high")
