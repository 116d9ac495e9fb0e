"""One gate over time as a heatmap: time steps across, hidden units down, a colour bar beside.

``GateHeatmap`` is a ``pg.PlotItem``: an ``ImageItem`` holding the ``(T, U)``
values (column-major, so ``image[t, row]`` is the pixel at x = t, y = row),
a non-interactive ``ColorBarItem``, the tokens as the bottom axis's labels
and the unit numbers as the left axis's. Row 0 is at the top, as in a table.
The time cursor is an outlined column; the chosen unit an outlined row.

Colour maps: values in (0, 1) (sigmoid gates) use a sequential map
(``viridis``), values in (−1, 1) (tanh) a diverging one centred on 0
(``CET-D1``: blue, white, red), and unbounded values (the LSTM's memory cell,
the RNN's pre-activation) the diverging map over ±max|value|.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFont, QFontMetricsF

from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.label_axis import LabelAxis

SEQUENTIAL = "viridis"
DIVERGING = "CET-D1"
CURSOR_COLOR = "#ff00ff"


def color_range(values: np.ndarray, bounds: tuple[float, float] | None) -> tuple[float, float]:
    """The colour scale's (low, high): the value range when known, else ±max|value| rounded up."""
    if bounds is not None:
        return float(bounds[0]), float(bounds[1])
    finite = values[np.isfinite(values)] if values.size else values
    top = float(np.max(np.abs(finite))) if finite.size else 1.0
    if top <= 0:
        return -1.0, 1.0
    magnitude = 10 ** math.floor(math.log10(top))
    top = math.ceil(top / magnitude * 2) / 2 * magnitude  # up to a half-step of its decade: a tidy bar
    return -top, top


def colormap_for(bounds: tuple[float, float] | None) -> pg.ColorMap:
    sequential = bounds is not None and bounds[0] >= 0.0
    return pg.colormap.get(SEQUENTIAL if sequential else DIVERGING)


class GateHeatmap(pg.PlotItem):
    """A ``(T, U)`` gate heatmap with token and unit labels, a colour bar and two cursors."""

    def __init__(self, name: str, title: str = "") -> None:
        self.token_axis = LabelAxis("bottom")
        self.unit_axis = LabelAxis("left")
        super().__init__(axisItems={"bottom": self.token_axis, "left": self.unit_axis})
        self.name = name
        self.token_labels_shown = True  # False: the axis is drawn without its labels (set by the grid)
        self._title = title or name
        self._theme = NORMAL
        self._base_pt = 9.0
        self.values = np.zeros((0, 0), np.float32)
        self._bounds: tuple[float, float] | None = None
        self._shape: tuple[int, int] = (-1, -1)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.addItem(self.image)
        vb = self.getViewBox()
        vb.invertY(True)  # unit row 0 on top
        vb.setMenuEnabled(False)
        vb.setMouseEnabled(x=True, y=False)  # zoom and pan along time; units are sorted/filtered instead
        self._zoomed = False  # the user zoomed or panned: a resize keeps that view
        vb.sigRangeChangedManually.connect(self._on_user_zoom)
        vb.sigResized.connect(self._on_resized)
        self.hideButtons()
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=SEQUENTIAL, interactive=False, width=16,
                                        colorMapMenu=False)
        self.colorbar.setImageItem(self.image, insert_in=self)
        self.step_cursor = pg.LinearRegionItem((0, 1), orientation="vertical", movable=False,
                                               brush=pg.mkBrush(None))
        self.unit_cursor = pg.LinearRegionItem((0, 1), orientation="horizontal", movable=False,
                                               brush=pg.mkBrush(None))
        for cursor in (self.step_cursor, self.unit_cursor):
            cursor.setZValue(20)
            cursor.setVisible(False)
            self.addItem(cursor, ignoreBounds=True)
        self.setTitle(self._title)

    # ---- data ----

    def set_data(self, values: np.ndarray, tokens: Sequence[str], units: Sequence[int],
                 bounds: tuple[float, float] | None, title: str | None = None) -> None:
        """Show ``values`` (T, U): column t belongs to ``tokens[t]``, row r to unit ``units[r]``."""
        values = np.asarray(values, np.float32)
        if values.ndim != 2 or values.shape != (len(tokens), len(units)):
            raise ValueError(f"values {values.shape} do not match {len(tokens)} tokens × {len(units)} units.")
        self.values = values
        self._bounds = bounds
        if title is not None:
            self._title = title
            self._retitle()
        lo, hi = color_range(values, bounds)
        cmap = colormap_for(bounds)
        self.colorbar.setColorMap(cmap)
        self.colorbar.setLevels((lo, hi))
        # Three labels: both ends and the middle. More crowd each other at projector sizes.
        self.colorbar.axis.setTicks([[(v, f"{v:g}".replace("-", "−")) for v in (lo, (lo + hi) / 2, hi)], []])
        T, U = values.shape
        if U:
            self.image.setImage(values, levels=(lo, hi), autoLevels=False)
            self.image.setRect(0, 0, T, U)
            self.image.setVisible(True)
        else:
            self.image.setVisible(False)
        self.token_axis.set_labels(tokens)
        self.unit_axis.set_labels([str(u) for u in units])
        vb = self.getViewBox()
        vb.setLimits(xMin=0, xMax=max(T, 1), yMin=0, yMax=max(U, 1), minXRange=min(3, max(T, 1)))
        if (T, U) != self._shape:  # a retrace of the same text (each epoch) keeps the user's zoom
            self._shape, self._zoomed = (T, U), False
            self._show_whole()

    def _show_whole(self) -> None:
        T, U = self.values.shape
        self.getViewBox().setRange(xRange=(0, max(T, 1)), yRange=(0, max(U, 1)), padding=0)

    def _on_user_zoom(self, *_: object) -> None:
        self._zoomed = True

    def _on_resized(self, *_: object) -> None:
        # Resized (a theme, a window, a scroll bar appearing) and not zoomed: still every step and unit.
        if not self._zoomed:
            self._show_whole()

    def copy_data(self, other: GateHeatmap) -> None:
        """Show what ``other`` shows (a grid rebuilt in another arrangement keeps its data)."""
        units = [int(u) for u in other.unit_axis.labels()]
        bounds = other._bounds
        self.set_data(other.values, other.token_axis.labels(), units, bounds, other._title)

    def show_token_labels(self, on: bool) -> None:
        """Name the tokens under this heatmap, or draw the axis line only (a heatmap above another)."""
        self.token_labels_shown = on
        self.token_axis.setStyle(showValues=on)
        self._size_token_axis()

    def chrome_height(self, labelled: bool) -> float:
        """The height besides the image: the title and the time axis (with or without its labels)."""
        style = self.token_axis.style
        if labelled:
            metrics = QFontMetricsF(style.get("tickFont") or QFont())
            axis = math.ceil(metrics.height() * 1.25 + style["tickTextOffset"][1] + max(0, style["tickLength"]) + 2)
        else:
            axis = max(4, style["tickLength"] + 2)
        return self._title_height() + axis + 4  # and the plot's own margins

    def displayed(self) -> np.ndarray:
        """The array the image shows, (T, U)."""
        return self.values

    def set_step(self, step: int | None) -> None:
        self.step_cursor.setVisible(step is not None)
        if step is not None:
            self.step_cursor.setRegion((step, step + 1))

    def set_unit_row(self, row: int | None) -> None:
        self.unit_cursor.setVisible(row is not None)
        if row is not None:
            self.unit_cursor.setRegion((row, row + 1))

    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(step, row) under a scene position, or None outside the image."""
        vb = self.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        t, row = int(math.floor(p.x())), int(math.floor(p.y()))
        T, U = self.values.shape
        if 0 <= t < T and 0 <= row < U:
            return t, row
        return None

    # ---- looks ----

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        self._theme, self._base_pt = theme, base_pt
        scale = theme.font_scale
        font = QFont()
        font.setPointSizeF(base_pt * scale)
        axis_pen = pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2))
        for axis in (self.token_axis, self.unit_axis, self.colorbar.axis):
            axis.setStyle(tickTextOffset=int(3 * scale))
            axis.setTickFont(font)
            axis.setPen(axis_pen)
            axis.setTextPen(pg.mkPen(theme.foreground))
        self.colorbar.axis.setWidth(int(font.pointSizeF() * 3.6 + 8))  # room for "−0.5" at this size
        self._size_token_axis()
        self._style_cursors()
        self._retitle()

    def _style_cursors(self) -> None:
        """Outlines in a colour neither map uses much: magenta reads on viridis and on blue-white-red."""
        width = max(2.0, self._theme.line_width * 1.2)
        step_pen = pg.mkPen(CURSOR_COLOR, width=width)
        unit_pen = pg.mkPen(CURSOR_COLOR, width=max(1.5, width * 0.75), style=Qt.PenStyle.DashLine)
        for cursor, pen in ((self.step_cursor, step_pen), (self.unit_cursor, unit_pen)):
            for line in cursor.lines:
                line.setPen(pen)
                line.setHoverPen(pen)

    def _size_token_axis(self) -> None:
        axis = self.token_axis
        if self.token_labels_shown:
            axis.setTickFont(axis.style.get("tickFont"))  # sets the height its labels need
        else:
            axis.setHeight(max(4, axis.style["tickLength"] + 2))

    def _title_font(self) -> QFont:
        font = QFont()
        font.setPointSizeF(self._base_pt * self._theme.font_scale * 1.1)
        return font

    def _title_height(self) -> int:
        return math.ceil(QFontMetricsF(self._title_font()).height() * 1.2 + 4)

    def _retitle(self) -> None:
        size = self._title_font().pointSizeF()
        self.setTitle(self._title, size=f"{size:.1f}pt", color=self._theme.foreground)
        height = self._title_height()  # pyqtgraph fixes the title's row at 30 px, whatever its size
        self.titleLabel.setMaximumHeight(height)
        self.layout.setRowFixedHeight(0, height)
