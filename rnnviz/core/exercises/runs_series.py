"""Exercise lstm-5 (10.1): an LSTM for time-series prediction, on the book's noisy sine (9.1) or a user's CSV.

The small run trains a small LSTM for a few epochs (seconds); the full run a wider one for longer.
Both forecast the series as section 9.1 does: one step ahead, k = 1, 4, 16, 64 steps ahead, and
many steps ahead from the end of the training part, each beside a forecast that repeats the last
known value.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from rnnviz.core.exercises.records import ExerciseResult, Plot, Progress, Series, ShouldStop, Table

#: (hidden units, optimizer steps, values read) of the small and the full run. The steps are a budget, so
#: that a short file trains as long as the book's series (38 batches an epoch) and a long one not longer;
#: a longer file is cut to its first values (a small run must take seconds, forecasting too).
SMALL_RUN = (16, 300, 5_000)
FULL_RUN = (32, 4_000, 100_000)
MOST_EPOCHS = 500


def _plots(result: Any) -> tuple[Plot, ...]:
    from rnnviz.core.series.figures import forecast_curves

    first, second = forecast_curves(result)
    name = result.series.name

    def series(curves: list[Any]) -> tuple[Series, ...]:
        return tuple(Series(label, xs, ys, "dashed" if dashed else "line") for label, xs, ys, dashed in curves)

    labels = tuple(e.label for e in result.errors)
    return (Plot(f"{name}: data, 1-step and multi-step forecasts", "lines", "time", name, series(first)),
            Plot(f"{name}: k-step forecasts", "lines", "time", name, series(second)),
            Plot("mean squared error on the checking part", "bars", "forecast", "MSE",
                 (Series("LSTM", tuple(range(len(labels))), tuple(e.mse for e in result.errors)),
                  Series("repeat the last value", tuple(range(len(labels))),
                         tuple(e.baseline_mse for e in result.errors))),
                 categories=labels))


def _summary(result: Any) -> str:
    from rnnviz.core.series.forecast import compounding_words

    one = result.error(1)
    start = f"{result.series.time[result.start]:g}"
    beats = "below" if one.mse < one.baseline_mse else "not yet below"
    return (f"{result.series.name} ({result.series.source}): one step ahead the LSTM's mean squared error is "
            f"{one.mse:.3g}, {beats} repeating the last value ({one.baseline_mse:.3g}); errors are measured from "
            f"t = {start}, after the values training read. " + compounding_words(result.errors))


def run_lstm_5(small: bool, progress: Progress | None, stop: ShouldStop | None, *, files: tuple[str, ...] = (),
               column: str | None = None) -> ExerciseResult:
    from rnnviz.core.series import SeriesConfig, book_series, forecast_series, read_csv_column

    from rnnviz.core.series.data import BOOK_BATCH_SIZE, BOOK_TAU, check_length, num_windows, train_windows
    from rnnviz.core.series.task import BOOK_HORIZONS

    hidden, budget, most = SMALL_RUN if small else FULL_RUN
    # The exercise reads the book's τ, which its user cannot change: a short file's message offers no --tau.
    series = read_csv_column(files[0], column, tau=BOOK_TAU, tau_option=None) if files else book_series(seed=0)
    cut = len(series) > most
    if cut:
        series = dataclasses.replace(series, values=series.values[:most], time=series.time[:most],
                                     source=f"{series.source}, its first {most:,} of {len(series):,} values")
    check_length(series, BOOK_TAU, None)
    per_epoch = math.ceil(train_windows(series, BOOK_TAU) / BOOK_BATCH_SIZE)
    # A short file has no values 64 steps after its windows: its forecasts stop at the book's horizons that fit
    # (k = 1 always does), rather than the run failing on a horizon its user cannot change.
    fits = num_windows(len(series), BOOK_TAU)
    horizons = tuple(k for k in BOOK_HORIZONS if k <= fits)
    config = SeriesConfig(cell="lstm", hidden=hidden, epochs=min(max(1, math.ceil(budget / per_epoch)), MOST_EPOCHS),
                          max_steps=budget, horizons=horizons)
    result = forecast_series(series, config, progress=progress, stop=stop)
    summary = _summary(result)
    dropped = [k for k in BOOK_HORIZONS if k not in horizons]
    if dropped:
        summary += (f" The series gives {fits} windows, too few to look {', '.join(map(str, dropped))} steps ahead: "
                    "those forecasts are left out (a longer file shows them).")
    rows = [(e.horizon if e.horizon is not None else "multi-step", e.mse, e.baseline_mse) for e in result.errors]
    arrays = {"time": result.series.time, "values": result.series.values, "one_step": result.one_step,
              "multistep": result.multistep}
    arrays.update({f"k_step_{k}": p for k, p in result.k_step.items()})
    arrays["val_mse_by_epoch"] = [r.val_mse if r.val_mse is not None else float("nan") for r in result.epochs]
    return ExerciseResult(
        "lstm-5", summary,
        (Table("forecast errors", ("horizon", "MSE", "baseline MSE"), rows),),
        arrays=arrays, stopped=result.stopped, plots=_plots(result))
