"""The Gradients tab's two plots, side by side: g[t] on a log axis, and the map G[s, t] in log colours.

Both share the time axis (steps t, labelled with the tokens read there, thinned where labels would
touch, as the Gates tab's heatmaps): step t's cell spans ``[t, t + 1)`` and a curve's point sits at
its middle. The map's rows are the losses ℓ_s, top to bottom, labelled with the token read at step
s (the diagonal pairs a loss with its own step). A cell that is NaN, where ℓ_s cannot depend on H_t
at all ("no path"), is left transparent over a grey hatch, so that it never reads as a gradient
that vanished. A click on the map picks a row: the plot on the left then draws that row, how far
loss ℓ_s reaches back, and a line marks its step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.gate_heatmap import CURSOR_COLOR
from rnnviz.gui.widgets.label_axis import LabelAxis

if TYPE_CHECKING:
    from rnnviz.core.gradients import LayerGradients, StackGradients

COLORMAP = "viridis"
HATCH_COLOR = "#b8b8b8"
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(exponent: int) -> str:
    """10 to ``exponent`` as a label reads it: "10⁻³"."""
    return "10" + str(exponent).translate(_SUPERSCRIPT)


def log_levels(values: np.ndarray) -> tuple[float, float]:
    """The colour scale over log10 of the positive finite values: whole decades, at least one wide."""
    finite = values[np.isfinite(values) & (values > 0)]
    if not finite.size:
        return -1.0, 0.0
    lo, hi = math.floor(float(np.log10(finite.min()))), math.ceil(float(np.log10(finite.max())))
    return float(lo), float(max(hi, lo + 1))


def positive(values: np.ndarray) -> np.ndarray:
    """NaN where a value cannot go on a log axis (zero, a structural NaN): the curve breaks there."""
    out = np.asarray(values, np.float64).copy()
    out[~(out > 0)] = np.nan
    return out


@dataclass(frozen=True)
class Curve:
    """One line of the g plot: ``values`` (T,) over the steps."""

    label: str
    values: np.ndarray
    color: str
    dashed: bool = False
    width: float = 1.0  # × the theme's line width


def stack_curves(stack: StackGradients, chosen: LayerGradients, theme: Theme, lstm_cell: bool,
                 others: Sequence[tuple[str, LayerGradients]]) -> list[Curve]:
    """g of every layer and direction (the chosen one bolder; an LSTM's C dashed), then the other runs'."""
    curves = []
    for k, d in enumerate(stack.layers):
        name = f"H layer {d.layer}" + (f" {d.direction}" if stack.num_directions > 1 else "")
        width = 1.2 if d is chosen else 0.8
        curves.append(Curve(name, d.g, theme.color(k), width=width))
        if lstm_cell and d.cell_g is not None:
            curves.append(Curve(name.replace("H", "C", 1), d.cell_g, theme.color(k), dashed=True, width=width))
    curves += [Curve(label, d.g, theme.color(len(stack.layers) + i), width=0.9) for i, (label, d) in enumerate(others)]
    return curves


class GradientPlots(pg.GraphicsLayoutWidget):
    """g against t (log y) beside the map G[s, t] (log colours) with a colour bar."""

    #: A click on the map's row s (from 0).
    sig_row_clicked = Signal(int)

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._theme, self._base_pt = NORMAL, 9.0
        self.setBackground(NORMAL.background)
        self.g_axis = LabelAxis("bottom")
        self.g_plot = self.addPlot(row=0, col=0, axisItems={"bottom": self.g_axis})
        self.g_plot.setLogMode(x=False, y=True)
        self.g_plot.showGrid(x=False, y=True)
        self.g_plot.hideButtons()
        self.g_plot.getViewBox().setMenuEnabled(False)
        self.g_plot.getViewBox().setMouseEnabled(x=True, y=False)
        # Under the plots, never over the curves: six runs' names would hide them on a projector.
        self.legend = pg.LegendItem(colCount=3)
        self.addItem(self.legend, row=1, col=0, colspan=3)
        self.row_line = pg.InfiniteLine(angle=90, movable=False)
        self.row_line.setZValue(20)
        self.g_plot.addItem(self.row_line, ignoreBounds=True)
        self.map_axis = LabelAxis("bottom")
        self.row_axis = LabelAxis("left", thin="stride")
        self.map_plot = self.addPlot(row=0, col=1, axisItems={"bottom": self.map_axis, "left": self.row_axis})
        self.map_plot.hideButtons()
        vb = self.map_plot.getViewBox()
        vb.invertY(True)  # the first loss on top, as a table
        vb.setMenuEnabled(False)
        vb.setMouseEnabled(x=True, y=True)
        self.hatch = QGraphicsRectItem(QRectF(0, 0, 1, 1))
        self.hatch.setPen(QPen(Qt.PenStyle.NoPen))
        self.hatch.setZValue(-10)
        vb.addItem(self.hatch, ignoreBounds=True)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.map_plot.addItem(self.image)
        self.row_cursor = pg.LinearRegionItem((0, 1), orientation="horizontal", movable=False, brush=pg.mkBrush(None))
        self.row_cursor.setZValue(20)
        self.map_plot.addItem(self.row_cursor, ignoreBounds=True)
        self.colorbar = pg.ColorBarItem(values=(-1.0, 0.0), colorMap=COLORMAP, interactive=False, width=16,
                                        colorMapMenu=False)
        self.addItem(self.colorbar, row=0, col=2)
        self.ci.layout.setColumnStretchFactor(0, 5)
        self.ci.layout.setColumnStretchFactor(1, 5)
        self.g_plot.setXLink(self.map_plot)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.values = np.zeros((0, 0), np.float32)  # the map shown, (R, T); empty without one
        self.levels = (-1.0, 0.0)
        self._curves: list[Curve] = []
        self._row: int | None = None
        self._shape = (-1, -1)
        self.apply_theme(NORMAL, 9.0)

    # ---- data ----

    def show_gradients(self, curves: Sequence[Curve], values: np.ndarray | None, tokens: Sequence[str],
                       rows: Sequence[str], row: int | None, titles: tuple[str, str]) -> None:
        """The curves over the steps ``tokens``; the map ``values`` (R, T) with rows labelled ``rows``
        (None: no map, e.g. the curves of an encoder's whole loss); ``row`` the chosen loss."""
        self._curves = list(curves)
        self.g_axis.set_labels(tokens)
        self.map_axis.set_labels(tokens)
        self.row_axis.set_labels(rows if values is not None else ())
        T = len(tokens)
        self.values = np.zeros((0, T), np.float32) if values is None else np.asarray(values, np.float32)
        self._draw_curves()
        self._draw_map()
        self.g_plot.setTitle(titles[0], **self._title_style())
        self.map_plot.setTitle(titles[1], **self._title_style())
        R = self.values.shape[0]
        if (R, T) != self._shape:  # a new text: show all of it; a recomputation keeps the user's zoom
            self._shape = (R, T)
            self.map_plot.getViewBox().setLimits(xMin=0, xMax=max(T, 1), yMin=0, yMax=max(R, 1))
            self.map_plot.getViewBox().setRange(xRange=(0, max(T, 1)), yRange=(0, max(R, 1)), padding=0)
            self.g_plot.enableAutoRange(axis="y")
        self.set_row(row)

    def clear_plots(self) -> None:
        """Nothing to show. (Not ``clear``: GraphicsLayoutWidget's, which removes the plots themselves.)"""
        self.show_gradients((), None, (), (), None, ("", ""))

    def curves(self) -> list[Curve]:
        """The curves drawn, in order (the row's curve last when a row is chosen)."""
        return list(self._curves)

    def set_row(self, row: int | None) -> None:
        """Outline loss row ``row`` on the map and mark its step on the g plot (None: neither)."""
        R = self.values.shape[0]
        self._row = row if row is not None and 0 <= row < max(R, len(self.g_axis.labels())) else None
        on_map = self._row is not None and self._row < R
        self.row_cursor.setVisible(on_map)
        if on_map:
            self.row_cursor.setRegion((self._row, self._row + 1))
        self.row_line.setVisible(self._row is not None)
        if self._row is not None:
            self.row_line.setValue(self._row + 0.5)

    def _draw_curves(self) -> None:
        self.g_plot.clear()
        self.legend.clear()
        self.g_plot.addItem(self.row_line, ignoreBounds=True)
        self.legend.setVisible(bool(self._curves))
        width = self._theme.line_width
        for curve in self._curves:
            values = positive(curve.values)
            x = np.arange(len(values)) + 0.5
            style = Qt.PenStyle.DashLine if curve.dashed else Qt.PenStyle.SolidLine
            pen = pg.mkPen(curve.color, width=max(1.0, width * curve.width), style=style)
            item = self.g_plot.plot(x, values, pen=pen, connect="finite",
                                    symbol="o" if len(values) <= 60 else None, symbolSize=4 + width,
                                    symbolPen=None, symbolBrush=curve.color)
            self.legend.addItem(item, curve.label)
            item.setZValue(10 if curve.width > 1 else 5)
        self.g_plot.setXRange(0, max(len(self.g_axis.labels()), 1), padding=0)

    def _draw_map(self) -> None:
        values = self.values
        R, T = values.shape
        self.image.setVisible(R > 0)
        self.hatch.setVisible(R > 0)
        if R == 0:
            return
        self.levels = log_levels(values)
        lo, hi = self.levels
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = (np.log10(values.astype(np.float64)) - lo) / (hi - lo)  # (R, T) in [0, 1] where finite
        missing = ~np.isfinite(scaled)
        colors = pg.colormap.get(COLORMAP).map(np.clip(np.nan_to_num(scaled), 0.0, 1.0).ravel(), mode="byte")
        rgba = np.asarray(colors, np.uint8).reshape(R, T, 4)
        rgba[missing] = 0  # transparent: the hatch below shows "no path"
        self.image.setImage(np.ascontiguousarray(rgba.transpose(1, 0, 2)), autoLevels=False)  # (T, R, 4)
        self.image.setRect(0, 0, T, R)
        self.hatch.setRect(QRectF(0, 0, T, R))
        self.colorbar.setLevels((lo, hi))
        span = int(hi - lo)
        step = max(1, math.ceil(span / 5))
        ticks = [(float(k), power_of_ten(k)) for k in range(int(lo), int(hi) + 1, step)]
        self.colorbar.axis.setTicks([ticks, []])

    def _on_click(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.button() != Qt.MouseButton.LeftButton or self.values.shape[0] == 0:
            return
        vb = self.map_plot.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        point = vb.mapSceneToView(event.scenePos())
        row = int(math.floor(point.y()))
        if 0 <= row < self.values.shape[0] and 0 <= point.x() < self.values.shape[1]:
            self.sig_row_clicked.emit(row)

    # ---- looks ----

    def _title_style(self) -> dict[str, str]:
        size = self._base_pt * self._theme.font_scale * 1.05
        return {"size": f"{size:.1f}pt", "color": self._theme.foreground}

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        self._theme, self._base_pt = theme, base_pt
        font = QFont()
        font.setPointSizeF(base_pt * theme.font_scale)
        pen = pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2))
        for axis in (self.g_axis, self.map_axis, self.row_axis, self.colorbar.axis,
                     self.g_plot.getAxis("left")):
            axis.setStyle(tickTextOffset=int(3 * theme.font_scale))
            axis.setTickFont(font)
            axis.setPen(pen)
            axis.setTextPen(pg.mkPen(theme.foreground))
        self.g_plot.getAxis("left").setWidth(int(font.pointSizeF() * 4 + 10))  # room for "10⁻¹²"
        self.colorbar.axis.setWidth(int(font.pointSizeF() * 4 + 10))
        self.legend.setLabelTextSize(f"{base_pt * theme.font_scale:.1f}pt")
        self.legend.setLabelTextColor(theme.foreground)
        cursor = pg.mkPen(CURSOR_COLOR, width=max(2.0, theme.line_width))
        for line in self.row_cursor.lines:
            line.setPen(cursor)
            line.setHoverPen(cursor)
        self.row_line.setPen(pg.mkPen(CURSOR_COLOR, width=max(1.5, theme.line_width * 0.75),
                                      style=Qt.PenStyle.DotLine))
        hatch = QBrush(QColor(HATCH_COLOR), Qt.BrushStyle.BDiagPattern)
        hatch.setTransform(hatch.transform())  # device-aligned lines whatever the zoom
        self.hatch.setBrush(hatch)
        self._draw_curves()
        R, T = self.values.shape
        if R:
            self.g_plot.setTitle(self.g_plot.titleLabel.text, **self._title_style())
            self.map_plot.setTitle(self.map_plot.titleLabel.text, **self._title_style())
