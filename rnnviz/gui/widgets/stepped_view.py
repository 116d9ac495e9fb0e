"""A ViewBox whose automatic range moves in steps, not at every new point.

pyqtgraph's auto-range refits the view to the data on every redraw, so while
a run grows every redraw also regenerates the axes' tick text, which is most
of a redraw's cost in Qt's software painter (bench/gui_latency.py). Here the
auto-range keeps the current range while the data fits it well, and when the
data leaves it, grows it with some headroom, so the axes (cached as pixmaps)
change only every ~25% of growth. Mouse zoom, pan and "View all" behave as in
pyqtgraph: they only touch the range outside the auto-range path.
"""

from __future__ import annotations

import pyqtgraph as pg

Range = tuple[float, float]


def stepped_range(current: Range, target: Range, headroom: float, slack: float = 0.5, margin: float = 0.0) -> Range:
    """The range to show for data spanning ``target`` when ``current`` is shown.

    ``target`` includes a ``margin`` (a fraction of its span, on each side) around
    the data itself. ``current`` is kept while it holds the data and the target
    fills at least ``slack`` of it. Otherwise the result is the target widened by
    ``headroom`` (a fraction of its span) on each side where the data went past
    ``current``, so the next few redraws fit without another change.
    """
    lo, hi = target
    span = hi - lo
    if not span > 0:
        return target
    c_lo, c_hi = current
    data_lo, data_hi = lo + margin * span, hi - margin * span
    if c_lo <= data_lo and data_hi <= c_hi and span >= slack * (c_hi - c_lo):
        return current
    return (lo - headroom * span if data_lo < c_lo else lo, hi + headroom * span if data_hi > c_hi else hi)


class SteppedViewBox(pg.ViewBox):
    """A ``ViewBox`` whose auto-range steps (see :func:`stepped_range`).

    ``headroom`` is per axis (x, y): training curves grow to the right, so x
    gets more room ahead than y.
    """

    def __init__(self, headroom: tuple[float, float] = (0.25, 0.08), **kwargs) -> None:
        super().__init__(**kwargs)
        self._headroom = headroom

    def setRange(self, rect=None, xRange=None, yRange=None, padding=None, update=True,  # noqa: N802 (Qt name)
                 disableAutoRange=True):  # noqa: N803
        # updateAutoRange is the only caller that passes disableAutoRange=False while
        # _updatingRange is set: that is the automatic refit, the one to step.
        if self._updatingRange and not disableAutoRange and rect is None:
            current = self.viewRange()
            if xRange is not None:
                xRange = self._step(0, tuple(current[0]), tuple(xRange))
            if yRange is not None:
                yRange = self._step(1, tuple(current[1]), tuple(yRange))
            if xRange is None and yRange is None:
                return
        super().setRange(rect, xRange, yRange, padding, update, disableAutoRange)

    def _step(self, axis: int, current: Range, target: Range) -> Range | None:
        """The stepped range for one axis, or None to leave it as it is."""
        pad = self.suggestPadding(axis)  # updateAutoRange added pad × data span on each side
        stepped = stepped_range(current, target, self._headroom[axis], margin=pad / (1 + 2 * pad))
        return None if stepped == current else stepped
