"""The book's two forecast figures, as curves: the data with the one-step and multi-step forecasts, and
the k-step forecasts. ``forecast_figures`` gives them to :mod:`rnnviz.core.runs.plot` (SVG or PNG,
no extra package); ``forecast_curves`` gives the plain (name, x, y, dashed) tuples both that and the
exercise's Plot records are made from."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnviz.core.runs.plot import COLORS, Figure, Series, write_figure
from rnnviz.core.series.task import SeriesForecast

#: A curve keeps at most this many points (every n-th): a long series still draws fast and small.
MOST_POINTS = 2_000

Curve = tuple[str, tuple[float, ...], tuple[float, ...], bool]  # name, x, y, dashed


def thin(x: np.ndarray, y: np.ndarray, most: int = MOST_POINTS) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Every n-th point, so that about ``most`` remain (the last one kept)."""
    step = max(1, int(np.ceil(x.shape[0] / most)))
    keep = np.arange(0, x.shape[0], step)
    if keep.size and keep[-1] != x.shape[0] - 1:
        keep = np.append(keep, x.shape[0] - 1)  # the end of the curve, even off the stride
    return tuple(float(v) for v in x[keep]), tuple(float(v) for v in y[keep])


def forecast_curves(result: SeriesForecast) -> tuple[list[Curve], list[Curve]]:
    """(the data, one-step and multi-step forecasts), (one curve per k-step forecast)."""
    series = result.series
    first = [(series.name, *thin(series.time, series.values), False),
             ("1-step forecast", *thin(result.one_step_time(), result.one_step), False),
             (f"multi-step from t = {series.time[result.start]:g}",
              *thin(result.multistep_time(), result.multistep), True)]
    second = [(f"{k}-step forecast", *thin(result.k_step_time(k), result.k_step[k]), False)
              for k in sorted(result.k_step)]
    return first, second


def forecast_figures(result: SeriesForecast) -> tuple[Figure, Figure]:
    """The two figures, titled with the series and the model."""
    first, second = forecast_curves(result)
    what = f"{result.series.name}, {result.config.cell.upper()} of {result.config.hidden}"
    figures = []
    for title, curves in ((f"forecasts: {what}", first), (f"k-step forecasts: {what}", second)):
        figure = Figure(title, "time", result.series.name)
        for index, (name, xs, ys, dashed) in enumerate(curves):
            figure.series.append(Series(name, xs, ys, COLORS[index % len(COLORS)], dashed))
        figures.append(figure)
    return figures[0], figures[1]


def write_forecast_figures(result: SeriesForecast, path: Path) -> tuple[Path, Path]:
    """``path`` (.svg or .png) gets the forecasts; ``NAME-ksteps.SUFFIX`` beside it the k-step forecasts."""
    first, second = forecast_figures(result)
    other = path.with_name(f"{path.stem}-ksteps{path.suffix}")
    return write_figure(first, path), write_figure(second, other)
