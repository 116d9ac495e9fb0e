"""An axis of named cells: tokens along time, unit numbers along the hidden state.

Cell ``k`` spans ``[k, k + 1)`` in view coordinates (as an ``ImageItem``'s
pixels do), so its label sits at ``k + 0.5``. When the labels do not all fit,
every n-th one is shown, n chosen from the axis length in pixels and the
widest label, so zooming in brings the rest back and labels never overlap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF


class LabelAxis(pg.AxisItem):
    """A pyqtgraph axis whose ticks are the centres of labelled cells."""

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self._labels: tuple[str, ...] = ()
        self._extent = 1.0  # the widest (bottom/top) or tallest (left/right) label, in pixels
        self.enableAutoSIPrefix(False)

    def set_labels(self, labels: Sequence[str]) -> None:
        self._labels = tuple(labels)
        self._measure()
        self.picture = None  # the axis caches its drawing
        self.update()

    def labels(self) -> tuple[str, ...]:
        return self._labels

    def setTickFont(self, font: QFont | None) -> None:  # noqa: N802 (Qt's name)
        super().setTickFont(font)
        self._measure()
        if self.orientation in ("bottom", "top"):
            # pyqtgraph drops a label taller than the axis: make room for the font's full height.
            metrics = QFontMetricsF(font or QFont())
            offset = self.style["tickTextOffset"][1]
            self.setHeight(int(math.ceil(metrics.height() * 1.25 + offset + max(0, self.style["tickLength"]) + 2)))

    def _measure(self) -> None:
        font = self.style.get("tickFont") or QFont()
        metrics = QFontMetricsF(font)
        if self.orientation in ("bottom", "top"):
            widest = max((metrics.horizontalAdvance(s) for s in self._labels), default=0.0)
            self._extent = widest + 0.8 * metrics.horizontalAdvance(" ")  # a gap a little under a space
            # The first and last labels are centred on the edge cells and may overhang the axis ends
            # by half a label; pyqtgraph would drop them, so allow that much.
            self.setStyle(hideOverlappingLabels=int(min(60.0, widest / 2 + 2)))
        else:
            self._extent = metrics.height() * 1.15
            # As wide as the widest label (e.g. "4095"), so that every heatmap in a column lines up.
            widest = max((metrics.horizontalAdvance(s) for s in self._labels), default=metrics.horizontalAdvance("0"))
            offset = self.style["tickTextOffset"][0]
            self.setWidth(int(math.ceil(widest + offset + max(0, self.style["tickLength"]) + 6)))

    def stride(self, lo: float, hi: float, pixels: float) -> int:
        """Show every ``stride``-th label so that neighbours do not touch."""
        visible = max(hi - lo, 1e-9)
        per_cell = pixels / visible  # pixels a cell gets
        return max(1, math.ceil(self._extent / max(per_cell, 1e-9)))

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803 (pyqtgraph's names)
        n = len(self._labels)
        if not n or size <= 0:
            return []
        lo, hi = sorted((minVal, maxVal))
        step = self.stride(lo, hi, size)
        first = max(0, math.floor(lo))
        first -= first % step  # the same cells stay labelled while panning
        last = min(n - 1, math.ceil(hi))
        return [(float(step), [k + 0.5 for k in range(first, last + 1, step)])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        n = len(self._labels)
        out = []
        for v in values:
            k = int(math.floor(v))
            out.append(self._labels[k] if 0 <= k < n else "")
        return out
