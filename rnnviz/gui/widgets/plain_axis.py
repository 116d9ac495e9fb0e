"""Axes that show their numbers as they are, never scaled to an SI prefix."""

from __future__ import annotations

import pyqtgraph as pg


def plain_numbers(axis: pg.AxisItem) -> None:
    """Turn off ``axis``'s SI-prefix scaling for good.

    pyqtgraph's ``enableAutoSIPrefix(False)`` works out a scale once more from the range the axis has at
    that moment (while its label shows) and keeps it: a gradient norm of 0.2 was drawn as 200, and a label
    set without units never showed the "m". So the scale and prefix are put back to none as well.
    """
    axis.enableAutoSIPrefix(False)
    axis.autoSIPrefixScale = 1.0
    axis.labelUnitPrefix = ""
    axis.picture = None  # the ticks are drawn again with the plain scale
    axis.update()
