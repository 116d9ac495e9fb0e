"""Forecasts as the book's section 9.1 makes them, and their errors against a naive forecast.

- **one step ahead**: every window of true values predicts the value after it;
- **k steps ahead**: a window of true values, then k − 1 of the model's own predictions fed back,
  predicts the value k steps after the window (the book's ``k_step_pred``; its figure shows k = 1,
  4, 16, 64), for every window of the series at once;
- **multi-step**: after the training part only the model's own predictions are fed back, one step
  at a time, to the end of the series (at most :data:`MULTISTEP_MOST` steps).

All functions take and return *normalised* values (``Scaling`` turns them back); index j of a
prediction array is said by the time it predicts. Errors are measured on the checking part only
(values after the ones the training windows read), so that no forecast is scored on data it
trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.errors import ConfigError
from rnnviz.core.limits import SERIES_FORECAST_WORK
from rnnviz.core.series.data import num_windows, windows
from rnnviz.core.series.model import SeriesRegressor

#: The multi-step forecast is one model call a step: it stops this many steps after the training part.
MULTISTEP_MOST = 2_000


def check_horizons(horizons: tuple[int, ...], length: int, tau: int) -> None:
    """A ConfigError for a horizon longer than the series' windows (no value that far ahead to check)."""
    most = num_windows(length, tau)
    too_far = [k for k in horizons if k > most]
    if too_far:
        raise ConfigError(f"the horizon {too_far[0]} is too far for this series: {length} values in windows of "
                          f"τ = {tau} give {most} windows, so a forecast can look at most {most} steps ahead. "
                          "Give shorter horizons (--horizons).")


def one_step(model: SeriesRegressor, values: np.ndarray, tau: int) -> np.ndarray:
    """Predictions of x_τ … x_{T−1} (0-based), each from the τ true values before it: (T − τ,)."""
    features, _ = windows(values, tau)  # (T − τ, τ)
    return model.predict(features)  # (T − τ,)


def k_steps(model: SeriesRegressor, values: np.ndarray, tau: int, horizons: tuple[int, ...]) -> dict[int, np.ndarray]:
    """k -> the k-step-ahead predictions of x_{τ+k−1} … x_{T−1}, (T − τ − k + 1,), for each k of ``horizons``.

    As the book's ``k_step_pred``, for every window at once: step s + 1 reads the window's last τ
    values, true ones first and then the model's own predictions, and appends its prediction."""
    count = num_windows(values.shape[0], tau)
    most = max(horizons)
    work = count * most
    if work > SERIES_FORECAST_WORK.hi:
        raise ConfigError(f"forecasting {count:,} windows up to {most} steps ahead is too much work: "
                          + SERIES_FORECAST_WORK.message(work))
    recent = windows(values, tau)[0].copy()  # (N, τ): the true windows, then shifted along
    found: dict[int, np.ndarray] = {}
    for k in range(1, most + 1):
        predicted = model.predict(recent)  # (N,): the k-step-ahead predictions
        if k in horizons:
            # Window i's k-step prediction is of x_{i+τ+k−1}: it exists for i ≤ T − τ − k.
            found[k] = predicted[:count - k + 1].copy()
        recent = np.concatenate([recent[:, 1:], predicted[:, None]], axis=1)  # (N, τ)
    return found


def multistep(model: SeriesRegressor, values: np.ndarray, tau: int, start: int,
              most: int = MULTISTEP_MOST) -> np.ndarray:
    """Predictions of x_start … (to the end, at most ``most``), each step reading earlier predictions once the
    window passes ``start``: the model sees only x_0 … x_{start−1}. (steps,)"""
    steps = min(values.shape[0] - start, most)
    trail = np.empty(start + steps)  # (start + steps,): true values, then predictions
    trail[:start] = values[:start]
    for j in range(start, start + steps):
        trail[j] = model.predict(trail[None, j - tau:j])[0]  # (1, τ) -> one value
    return trail[start:].copy()  # (steps,)


@dataclass(frozen=True)
class HorizonError:
    """Mean squared errors of one horizon on the checking part, in the series' units."""

    horizon: int | None  # k; None for the multi-step forecast
    mse: float
    baseline_mse: float  # repeating the last known value
    count: int  # predictions scored

    @property
    def label(self) -> str:
        return "multi-step" if self.horizon is None else f"{self.horizon}-step"


def k_step_error(predicted: np.ndarray, values: np.ndarray, tau: int, k: int, check_from: int) -> HorizonError:
    """The k-step predictions (:func:`k_steps`' entry k, in the series' units) scored on targets
    x_j with j ≥ ``check_from``; the naive forecast of x_j is x_{j−k}, the last value of its window."""
    targets = np.arange(tau + k - 1, tau + k - 1 + predicted.shape[0])  # (M,): j of each prediction
    scored = targets >= check_from
    truth = values[targets[scored]]  # (m,)
    mse = float(np.mean((predicted[scored] - truth) ** 2))
    baseline = float(np.mean((values[targets[scored] - k] - truth) ** 2))
    return HorizonError(k, mse, baseline, int(scored.sum()))


def multistep_error(predicted: np.ndarray, values: np.ndarray, start: int) -> HorizonError:
    """The multi-step forecast (series' units) against the truth, and against repeating x_{start−1}."""
    truth = values[start:start + predicted.shape[0]]  # (steps,)
    return HorizonError(None, float(np.mean((predicted - truth) ** 2)),
                        float(np.mean((values[start - 1] - truth) ** 2)), int(truth.shape[0]))


#: A later horizon's error must exceed the first one's by this factor to be said to grow (noise aside).
GROWS = 1.2


def compounding_words(errors: tuple[HorizonError, ...] | list[HorizonError]) -> str:
    """A sentence on how the error changes with k, said from ``errors`` (k-step ones, then the multi-step one):
    a summary must not claim a growth a user's series did not show."""
    steps = sorted((e for e in errors if e.horizon is not None), key=lambda e: e.horizon or 0)
    many = next((e for e in errors if e.horizon is None), None)
    if not steps:
        return ""
    first, last = steps[0], steps[-1]
    if last.horizon == first.horizon:
        said = f"Only one horizon (k = {first.horizon}) was forecast, so there is no growth with k to see."
    elif last.mse > GROWS * first.mse:
        said = (f"The error grows with k, from {first.mse:.3g} at k = {first.horizon} to {last.mse:.3g} at "
                f"k = {last.horizon}: each step ahead feeds the model's own predictions back as inputs, so their "
                "errors compound.")
    else:
        said = (f"Here the error hardly grows with k ({first.mse:.3g} at k = {first.horizon}, {last.mse:.3g} at "
                f"k = {last.horizon}): this series is smooth enough that the model's own predictions serve "
                "nearly as well as true values.")
    if many is not None:
        drift = "drifts away from the data" if many.mse > GROWS * first.mse else "stays close to the data"
        said += (f" Fed only its own predictions from the end of the training part, the multi-step forecast "
                 f"{drift} (MSE {many.mse:.3g}, repeating the last value {many.baseline_mse:.3g}).")
    return said
