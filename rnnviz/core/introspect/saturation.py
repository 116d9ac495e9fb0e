"""Gate saturation as in Karpathy, Johnson & Fei-Fei (2015), "Visualizing and Understanding Recurrent Networks".

Per unit: the fraction of steps on which it is left-saturated (below the low
threshold) and right-saturated (above the high one), the thresholds 10% from
each end of the gate's range. numpy only; the GUI's saturation plot draws it.
"""

from __future__ import annotations

import numpy as np


def thresholds(bounds: tuple[float, float]) -> tuple[float, float]:
    """Saturation thresholds at 10% from each end of the range: (0.1, 0.9) for sigmoids, (−0.8, 0.8) for tanh."""
    lo, hi = bounds
    return lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo)


def saturation_fractions(values: np.ndarray, bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (column) of ``values`` (N, H): the fraction of rows below / above the thresholds."""
    low, high = thresholds(bounds)
    values = np.asarray(values)
    if not len(values):
        return np.zeros(values.shape[1]), np.zeros(values.shape[1])
    return (values < low).mean(axis=0), (values > high).mean(axis=0)
