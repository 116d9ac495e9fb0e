"""Time series: the book's noisy sine or a column of a CSV file, a recurrent regressor, and forecasts.

Public API
----------
``book_series(seed=0)``, ``read_csv_column(path, column, tau=4)``, ``TimeSeries``
    The data (:mod:`~rnnviz.core.series.data`): d2l 1.0 section 9.1's x_t = sin(0.01 t) + 0.2 ε,
    T = 1000, τ = 4, 600 training windows; or a user's column (DataError for each bad input).
``SeriesBatches``, ``Scaling``
    The training loop's data: windows of the series normalised by its training part.
``SeriesRegressor(cell, hidden)``
    rnn/gru/lstm over the τ values of a window, a linear output (:mod:`~rnnviz.core.series.model`).
``SeriesConfig``, ``forecast_series(series, config, progress=, stop=) -> SeriesForecast``
    Train through ``rnnviz.core.train.train``, then the one-step, k-step (``BOOK_HORIZONS`` 1, 4, 16,
    64) and multi-step forecasts with their mean squared errors against repeating the last value
    (:mod:`~rnnviz.core.series.task`); :mod:`~rnnviz.core.series.figures` draws them (SVG/PNG).
"""

from __future__ import annotations

from rnnviz.core.series.data import (
    BOOK_NUM_TRAIN, BOOK_T, BOOK_TAU, Scaling, SeriesBatches, TimeSeries, book_series, read_csv_column,
)
from rnnviz.core.series.forecast import HorizonError, k_steps, multistep, one_step
from rnnviz.core.series.model import SERIES_CELLS, SeriesRegressor
from rnnviz.core.series.task import BOOK_HORIZONS, SeriesConfig, SeriesForecast, forecast_series

__all__ = ["BOOK_HORIZONS", "BOOK_NUM_TRAIN", "BOOK_T", "BOOK_TAU", "SERIES_CELLS", "HorizonError", "Scaling",
           "SeriesBatches", "SeriesConfig", "SeriesForecast", "SeriesRegressor", "TimeSeries", "book_series",
           "forecast_series", "k_steps", "multistep", "one_step", "read_csv_column"]
