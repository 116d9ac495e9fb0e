"""An axis of named cells: tokens along time, unit numbers along the hidden state.

Cell ``k`` spans ``[k, k + 1)`` in view coordinates (as an ``ImageItem``'s
pixels do), so its label sits at ``k + 0.5``.

Along time (a bottom or top axis) every cell is labelled, every token or every
character, unless two labels would overlap: then, from left to right, a label
that would touch the last one drawn is left out (:func:`labelled_cells`), so
only the crowded places thin, and zooming in brings the rest back. The axis
then says so: :meth:`LabelAxis.note` ("every 2nd character labelled: too many
to fit; zoom in (wheel) to see all"), also its tooltip and
``sig_note_changed``. Along the units (left or right, or ``thin="stride"``)
every n-th number is shown, n from the axis length and the largest label: numbers
read best at a regular step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QFontMetricsF

from rnnviz.gui.widgets.plain_axis import plain_numbers


def labelled_cells(widths: Sequence[float], lo: float, hi: float, pixels: float, gap: float) -> list[int]:
    """The cells, among those visible in ``[lo, hi)`` over ``pixels``, whose labels are drawn.

    Left to right, a cell's label (``widths[k]`` pixels wide, centred on the cell)
    is drawn unless it would come closer than ``gap`` to the last label drawn.
    """
    n = len(widths)
    if not n or pixels <= 0 or hi <= lo:
        return []
    per_cell = pixels / (hi - lo)
    first, last = max(0, math.floor(lo)), min(n - 1, math.ceil(hi) - 1)
    shown: list[int] = []
    right = -math.inf
    for k in range(first, last + 1):
        centre = (k + 0.5 - lo) * per_cell
        half = widths[k] / 2
        if centre - half >= right + gap:
            shown.append(k)
            right = centre + half
    return shown


def thinning_note(shown: Sequence[int], visible: int, noun: str = "token") -> str:
    """"" when every visible cell is labelled, else what was left out, in words."""
    if not visible or len(shown) >= visible:
        return ""
    steps = {b - a for a, b in zip(shown, shown[1:])}
    if len(steps) == 1:
        step = steps.pop()
        what = f"every {_ordinal(step)} {noun} labelled"
    else:
        what = f"{len(shown)} of {visible} {noun}s labelled"
    return f"{what}: too many to fit; zoom in (wheel) to see all"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class LabelAxis(pg.AxisItem):
    """A pyqtgraph axis whose ticks are the centres of labelled cells."""

    #: Along time, the labels drawn changed between all and fewer: carries :meth:`note` ("" = all).
    sig_note_changed = Signal(str)

    def __init__(self, orientation: str, thin: str | None = None, **kwargs: object) -> None:
        """``thin``: "overlap" (leave out only labels that would touch; tokens) or "stride" (every
        n-th; numbers); by default "overlap" along a bottom or top axis, "stride" along a side."""
        super().__init__(orientation, **kwargs)
        along = orientation in ("bottom", "top")
        self._overlap = (thin or ("overlap" if along else "stride")) == "overlap" and along
        self._labels: tuple[str, ...] = ()
        self._widths: list[float] = []  # each label's width in pixels (bottom/top)
        self._extent = 1.0  # the widest (bottom/top) or tallest (left/right) label and a gap, in pixels
        self._gap = 4.0
        self._note = ""
        plain_numbers(self)

    def set_labels(self, labels: Sequence[str]) -> None:
        self._labels = tuple(labels)
        self._measure()
        self.picture = None  # the axis caches its drawing
        self.update()
        self._update_note()

    def labels(self) -> tuple[str, ...]:
        return self._labels

    def note(self) -> str:
        """"" when every visible cell is labelled; else e.g. "every 2nd token labelled: too many to fit; …"."""
        return self._note

    def setTickFont(self, font: QFont | None) -> None:  # noqa: N802 (Qt's name)
        super().setTickFont(font)
        self._measure()
        if self.orientation in ("bottom", "top"):
            # pyqtgraph drops a label taller than the axis: make room for the font's full height.
            metrics = QFontMetricsF(font or QFont())
            offset = self.style["tickTextOffset"][1]
            self.setHeight(int(math.ceil(metrics.height() * 1.25 + offset + max(0, self.style["tickLength"]) + 2)))
        self._update_note()

    def linkedViewChanged(self, view, newRange=None) -> None:  # type: ignore[no-untyped-def]  # noqa: N802, N803
        super().linkedViewChanged(view, newRange)
        self._update_note()

    def resizeEvent(self, ev=None) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().resizeEvent(ev)
        self._update_note()

    def _measure(self) -> None:
        font = self.style.get("tickFont") or QFont()
        metrics = QFontMetricsF(font)
        if self.orientation in ("bottom", "top"):
            self._widths = [metrics.horizontalAdvance(s) for s in self._labels]
            widest = max(self._widths, default=0.0)
            self._gap = 0.5 * metrics.horizontalAdvance(" ")  # a gap of half a space between labels
            self._extent = widest + 0.8 * metrics.horizontalAdvance(" ")
            # The first and last labels are centred on the edge cells and may overhang the axis ends
            # by half a label; pyqtgraph would drop them, so allow that much.
            self.setStyle(hideOverlappingLabels=int(min(60.0, widest / 2 + 2)))
        else:
            self._extent = metrics.height() * 1.15
            # As wide as the widest label (e.g. "4095"), so that every heatmap in a column lines up.
            widest = max((metrics.horizontalAdvance(s) for s in self._labels), default=metrics.horizontalAdvance("0"))
            offset = self.style["tickTextOffset"][0]
            self.setWidth(int(math.ceil(widest + offset + max(0, self.style["tickLength"]) + 6)))

    def _noun(self) -> str:
        return "character" if self._labels and all(len(s) == 1 for s in self._labels) else "token"

    def _update_note(self) -> None:
        """Recomputed when the range, the size, the labels or the font change (never while painting)."""
        if not getattr(self, "_overlap", False) or not hasattr(self, "_note"):
            return  # (pyqtgraph resizes the axis while it is being built)
        note = ""
        if self.style["showValues"] and self._labels:
            lo, hi = sorted(self.range)
            lo, hi = max(lo, 0.0), min(hi, float(len(self._labels)))
            visible = max(0, min(len(self._labels), math.ceil(hi)) - max(0, math.floor(lo)))
            shown = labelled_cells(self._widths, lo, hi, self.size().width() * (hi - lo) / max(
                self.range[1] - self.range[0], 1e-9), self._gap)
            note = thinning_note(shown, visible, self._noun())
        if note != self._note:
            self._note = note
            self.setToolTip(note)
            self.sig_note_changed.emit(note)

    def stride(self, lo: float, hi: float, pixels: float) -> int:
        """With ``thin="stride"``: show every ``stride``-th label so that neighbours do not touch."""
        visible = max(hi - lo, 1e-9)
        per_cell = pixels / visible  # pixels a cell gets
        return max(1, math.ceil(self._extent / max(per_cell, 1e-9)))

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803 (pyqtgraph's names)
        n = len(self._labels)
        if not n or size <= 0:
            return []
        lo, hi = sorted((minVal, maxVal))
        if self._overlap:
            # Cells outside [0, n) have no label: measure from the view's range, clipped to them.
            a, b = max(lo, 0.0), min(hi, float(n))
            cells = labelled_cells(self._widths, a, b, size * (b - a) / max(hi - lo, 1e-9), self._gap)
            return [(1.0, [k + 0.5 for k in cells])]
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
