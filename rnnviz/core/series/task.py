"""One time-series run: train a recurrent regressor on a series, then forecast it as the book does.

    result = forecast_series(book_series(seed=0), SeriesConfig(cell="lstm", epochs=10))
    for error in result.errors:                 # 1-, 4-, 16-, 64-step and multi-step
        print(error.label, error.mse, error.baseline_mse)

Training goes through the project's loop (:func:`rnnviz.core.train.train`), so ``progress`` and
``stop`` behave as in every other run: a Stop ends training early and the forecasts are made
with the weights it reached (``stopped``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from rnnviz.core.config import TrainConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.events import EpochEnd, Finished, NonFinite, Step, Stop, diverged_message
from rnnviz.core.limits import BATCH_SIZE, EPOCHS, HIDDEN_SIZE, LEARNING_RATE, SEED, SERIES_HORIZON, SERIES_TAU
from rnnviz.core.series.data import BOOK_BATCH_SIZE, BOOK_TAU, SeriesBatches, TimeSeries
from rnnviz.core.series.forecast import (
    MULTISTEP_MOST, HorizonError, check_horizons, k_step_error, k_steps, multistep, multistep_error, one_step,
)
from rnnviz.core.series.model import SERIES_CELLS, SeriesRegressor

#: The horizons of the book's k-step figure (d2l 1.0, section 9.1: steps = (1, 4, 16, 64)).
BOOK_HORIZONS: tuple[int, ...] = (1, 4, 16, 64)


@dataclass(frozen=True)
class SeriesConfig:
    """The model and its training. The book fits a linear model (SGD, lr 0.01, 5 epochs, batches of 16);
    a recurrent one learns faster with Adam at the same rate and a few more epochs."""

    cell: str = "lstm"
    hidden: int = 16
    tau: int = BOOK_TAU
    epochs: int = 10
    lr: float = 0.01
    batch_size: int = BOOK_BATCH_SIZE
    seed: int = 0
    horizons: tuple[int, ...] = BOOK_HORIZONS
    device: str = "cpu"  # a model this small runs fastest on the CPU
    max_steps: int | None = None  # end training after this many optimizer steps (None: every epoch)

    def __post_init__(self) -> None:
        if self.cell not in SERIES_CELLS:
            raise ConfigError(f"unknown cell {self.cell!r} for a time series; choose one of {', '.join(SERIES_CELLS)}.")
        HIDDEN_SIZE.check(self.hidden)
        SERIES_TAU.check(self.tau)
        EPOCHS.check(self.epochs)
        LEARNING_RATE.check(self.lr)
        BATCH_SIZE.check(self.batch_size)
        SEED.check(self.seed)
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(f"max_steps must be at least 1, not {self.max_steps}.")
        horizons = tuple(sorted(set(self.horizons)))
        if not horizons:
            raise ConfigError("give at least one horizon, e.g. 1,4,16,64.")
        for k in horizons:
            SERIES_HORIZON.check(k)
        object.__setattr__(self, "horizons", horizons)


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float  # mean squared error on the normalised values
    val_mse: float | None  # one-step error on the checking windows, in the series' units


@dataclass(frozen=True)
class SeriesForecast:
    """A trained regressor's forecasts of a series, in the series' units, and their errors."""

    series: TimeSeries
    config: SeriesConfig
    num_train: int  # training windows
    one_step: np.ndarray  # (T − τ,): predictions of x_τ … x_{T−1} from true windows
    k_step: dict[int, np.ndarray]  # k -> (T − τ − k + 1,): predictions of x_{τ+k−1} …
    multistep: np.ndarray  # (steps,): predictions of x_start … fed back from start = num_train + τ
    errors: tuple[HorizonError, ...]  # one per horizon, then the multi-step forecast
    epochs: tuple[EpochRecord, ...] = ()
    stopped: bool = False
    seconds: float = 0.0
    model: SeriesRegressor | None = field(default=None, repr=False, compare=False)

    @property
    def tau(self) -> int:
        return self.config.tau

    @property
    def start(self) -> int:
        """The index of the first value no training window reads (the book's 604, time 605)."""
        return self.num_train + self.config.tau

    def one_step_time(self) -> np.ndarray:
        return self.series.time[self.tau:]  # (T − τ,)

    def k_step_time(self, k: int) -> np.ndarray:
        return self.series.time[self.tau + k - 1:]  # (T − τ − k + 1,)

    def multistep_time(self) -> np.ndarray:
        return self.series.time[self.start:self.start + self.multistep.shape[0]]  # (steps,)

    def error(self, horizon: int | None) -> HorizonError:
        return next(e for e in self.errors if e.horizon == horizon)


def _train(model: SeriesRegressor, data: SeriesBatches, config: SeriesConfig,
           progress: Callable[[float, str], None] | None, stop: Callable[[], bool] | None,
           share: float) -> tuple[list[EpochRecord], bool]:
    from rnnviz.core.train import train

    train_config = TrainConfig(epochs=config.epochs, lr=config.lr, optimizer="adam", grad_clip=1.0,
                               device=config.device, seed=config.seed)
    total = max(config.epochs * data.num_train_batches(), 1)
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    records: list[EpochRecord] = []
    stopped = False
    run = train(model, data, train_config)
    try:
        event = next(run)
        while True:
            command = None
            if isinstance(event, Step):
                if progress is not None:
                    progress(share * event.step / total, f"training: epoch {event.epoch}, step {event.step}")
                if stop is not None and stop():
                    stopped, command = True, Stop()
                elif config.max_steps is not None and event.step >= config.max_steps:
                    command = Stop()  # the budget is spent: a planned end, not the user's Stop
            elif isinstance(event, EpochEnd):
                records.append(EpochRecord(event.epoch, event.train_loss, event.val_metric))
            elif isinstance(event, NonFinite):
                raise ConfigError(event.message)
            elif isinstance(event, Finished):
                if event.reason == "diverged":
                    raise ConfigError(diverged_message(event, clipped=True))
                break
            event = run.send(command)
    finally:
        run.close()
    return records, stopped


def forecast_series(series: TimeSeries, config: SeriesConfig | None = None, *,
                    progress: Callable[[float, str], None] | None = None,
                    stop: Callable[[], bool] | None = None) -> SeriesForecast:
    """Train on the first windows of ``series``, then forecast one, k and many steps ahead (see the module doc)."""
    config = config or SeriesConfig()
    started = time.perf_counter()
    data = SeriesBatches(series, config.tau, config.batch_size, config.seed)  # refuses too short a series
    check_horizons(config.horizons, len(series), config.tau)
    torch.manual_seed(config.seed)  # the same weights for the same seed
    model = SeriesRegressor(config.cell, config.hidden, scale=data.scaling.std)
    records, stopped = _train(model, data, config, progress, stop, share=0.8)
    model.to("cpu").eval()

    if progress is not None:
        progress(0.8, "forecasting")
    scaled = data.scaling.apply(series.values)  # (T,)
    start = data.num_train + config.tau
    one = data.scaling.undo(one_step(model, scaled, config.tau))  # (T − τ,)
    ahead = {k: data.scaling.undo(p) for k, p in k_steps(model, scaled, config.tau, config.horizons).items()}
    many = data.scaling.undo(multistep(model, scaled, config.tau, start, MULTISTEP_MOST))  # (steps,)
    errors = [k_step_error(ahead[k], series.values, config.tau, k, start) for k in config.horizons]
    errors.append(multistep_error(many, series.values, start))
    if progress is not None:
        progress(1.0, "done")
    return SeriesForecast(series, config, data.num_train, one, ahead, many, tuple(errors), tuple(records), stopped,
                          time.perf_counter() - started, model)
