"""The training panel's legend: the runs' key in its own column right of the plots, never over a curve.

A :class:`SideLegend` sits in the plots' layout beside the three plots (it spans
their rows), so the plots shrink to make room for it instead of being covered.
Long run names wrap at spaces to stay under a share of the width
(:data:`MAX_SHARE`); when the entries are taller than the plots, they flow
into more columns. The names are kept as given (:meth:`SideLegend.names`);
only their display wraps.
"""

from __future__ import annotations

import html
import math

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QSizePolicy

from rnnviz.gui.style import Theme
from rnnviz.gui.widgets.curves import validation_key

#: The legend takes at most this share of the plots' width (names wrap to stay under it).
MAX_SHARE = 0.3
#: ... but wraps no name narrower than this many pixels (a word a line would read badly).
MIN_WRAP_PX = 140.0


def wrap_name(name: str, font: QFont, max_px: float) -> list[str]:
    """``name`` in lines no wider than ``max_px`` (a word wider than that keeps its own line)."""
    metrics = QFontMetricsF(font)
    lines: list[str] = []
    for word in name.split(" "):
        if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= max_px:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


class Swatch(pg.ItemSample):
    """A legend entry's line (and marker), as long as the theme's text is large."""

    def __init__(self, item, scale: float = 1.0) -> None:  # type: ignore[no-untyped-def]
        super().__init__(item)
        self.set_scale(scale)

    def set_scale(self, scale: float) -> None:
        self._size = (round(30 * scale), round(20 * scale))
        self.setFixedWidth(self._size[0])
        self.setFixedHeight(self._size[1])
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF(0, 0, *self._size)

    def paint(self, p, *args) -> None:  # type: ignore[no-untyped-def]
        if not self.item.isVisible():  # hidden by a click: pyqtgraph draws its eye icon
            super().paint(p, *args)
            return
        width, height = self._size
        p.setRenderHint(p.RenderHint.Antialiasing)
        p.setPen(pg.mkPen(self.item.opts["pen"]))
        p.drawLine(QPointF(2, height / 2), QPointF(width - 2, height / 2))
        symbol = self.item.opts.get("symbol")
        if symbol is not None:
            opts = self.item.scatter.opts
            p.translate(width / 2, height / 2)
            pg.graphicsItems.ScatterPlotItem.drawSymbol(p, symbol, opts["size"], pg.mkPen(opts["pen"]),
                                                        pg.mkBrush(opts["brush"]))


class SideLegend(pg.LegendItem):
    """A ``LegendItem`` placed by a layout (no anchor, not draggable), wrapping long names."""

    def __init__(self) -> None:
        super().__init__(offset=None, horSpacing=8, verSpacing=0, frame=False, sampleType=Swatch)
        # As tall as its entries, but its height never forces the plots' rows: entries that do not
        # fit flow into more columns instead.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setMinimumHeight(0)
        self._names: dict[int, str] = {}  # id(sample item) -> the name as given
        self._font = QFont()
        self._scale = 1.0
        self._max_px = 400.0
        self._available = math.inf  # the plots' height, from the layout

    def names(self) -> list[str]:
        """The entries' names as given, in the order they were added."""
        return [self._names.get(id(sample.item), label.text) for sample, label in self.items]

    def addItem(self, item, name: str) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (pyqtgraph's name)
        self._names[id(item)] = name
        super().addItem(item if isinstance(item, Swatch) else Swatch(item, self._scale), self._display(name))
        self.fit_columns()

    def removeItem(self, item) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        self._names.pop(id(item), None)
        super().removeItem(item)
        self.fit_columns()

    def set_text_font(self, font: QFont, scale: float = 1.0) -> None:
        """The labels' font; its size and the text colour are the legend's label style (set before);
        the swatches ``scale`` times their normal size."""
        self._font = QFont(font)
        self._scale = scale
        for sample, _ in self.items:
            sample.set_scale(scale)
        self._relabel()

    def set_plots_size(self, width: float, height: float) -> None:
        """The plots' area: names wrap under ``MAX_SHARE`` of its width; entries taller than it
        flow into more columns."""
        max_px = max(MIN_WRAP_PX, MAX_SHARE * width)
        if abs(max_px - self._max_px) >= 8:  # not at every pixel of a resize
            self._max_px = max_px
            self._relabel()
        if abs(height - self._available) >= 1:
            self._available = height
            self.fit_columns()

    def _relabel(self) -> None:
        for sample, label in self.items:
            label.setAttr("size", self.opts["labelTextSize"])
            label.setAttr("color", self.opts["labelTextColor"])
            label.setText(self._display(self._names.get(id(sample.item), label.text)))
        self.updateSize()
        self.fit_columns()

    def fit_columns(self) -> None:
        rows = [max(_preferred_height(sample), _preferred_height(label)) for sample, label in self.items]
        if not rows or not math.isfinite(self._available):
            return
        per_row = sum(rows) / len(rows) + self.layout.verticalSpacing()
        fits = max(1, int(self._available // max(per_row, 1.0)))
        self.setColumnCount(max(1, math.ceil(len(rows) / fits)))

    def updateSize(self) -> None:  # noqa: N802 (pyqtgraph's name)
        self.updateGeometry()  # the plots' layout places and sizes it (pyqtgraph would move it to 0, 0)

    def mouseDragEvent(self, ev) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        ev.ignore()  # its place is the layout's

    def _display(self, name: str) -> str:
        return "<br>".join(html.escape(line) for line in wrap_name(name, self._font, self._max_px))


def _preferred_height(item: pg.GraphicsWidget) -> float:
    return item.effectiveSizeHint(Qt.SizeHint.PreferredSize).height()


def unique_label(label: str, taken: list[str]) -> str:
    """``label``, or with " (2)", " (3)", … when a run already has it, so each run stays distinguishable."""
    if label not in taken:
        return label
    n = 2
    while f"{label} ({n})" in taken:
        n += 1
    return f"{label} ({n})"


def sync_validation_key(legend: SideLegend, wanted: bool, key: pg.PlotDataItem | None, theme: Theme,
                        restyle: bool = False) -> pg.PlotDataItem | None:
    """One "validation" entry, last in the legend, while ``wanted`` (some run has validation points);
    ``restyle``: drawn afresh in ``theme``. Returns the key now shown (None: none)."""
    if wanted and not restyle and key is not None and legend.items and legend.items[-1][0].item is key:
        return key  # already last: re-adding it each epoch would relayout the legend for nothing
    if key is not None:
        legend.removeItem(key)
    if not wanted:
        return None
    key = validation_key(theme)
    legend.addItem(key, "validation (per epoch)")
    return key
