"""Training a recurrent regressor on the book's series, and the book's forecasts: one step, k steps, many steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.errors import ConfigError
from rnnviz.core.series import (
    SeriesConfig, SeriesRegressor, book_series, forecast_series, k_steps, multistep, one_step,
)
from rnnviz.core.series.data import Scaling
from rnnviz.core.series.forecast import check_horizons, k_step_error


@pytest.fixture(scope="module")
def trained():
    """A short run on the book's series (a GRU of 16 for 4 epochs: about a second)."""
    return forecast_series(book_series(0), SeriesConfig(cell="gru", hidden=16, epochs=4))


def test_a_short_training_beats_repeating_the_last_value_one_step_ahead(trained) -> None:
    one = trained.error(1)
    assert one.count == 396  # the checking part: t = 605 … 1000
    assert one.mse < 0.85 * one.baseline_mse
    assert one.mse > 0.03  # no model beats the noise (0.2² = 0.04) by much


def test_errors_compound_with_the_horizon(trained) -> None:
    assert [e.horizon for e in trained.errors] == [1, 4, 16, 64, None]
    assert trained.error(1).mse < trained.error(16).mse < trained.error(64).mse
    assert trained.error(None).count == 396 and trained.multistep.shape == (396,)


def test_the_k_1_forecast_is_the_one_step_forecast(trained) -> None:
    assert np.allclose(trained.k_step[1], trained.one_step)
    assert trained.one_step.shape == (996,) and trained.k_step[64].shape == (1000 - 4 - 64 + 1,)
    assert np.array_equal(trained.k_step_time(64)[:1], [68.0])  # x_68 is the first value 64 steps after a window


def test_k_step_feeds_back_its_own_predictions(trained) -> None:
    model, tau = trained.model, 4
    scaling = Scaling.fit(trained.series, tau)
    values = scaling.apply(trained.series.values)
    ahead = k_steps(model, values, tau, (3,))[3]
    for i in (0, 250, 700):  # recomputed one window at a time
        window = list(values[i:i + tau])
        for _ in range(3):
            window.append(float(model.predict(np.array([window[-tau:]]))[0]))
        assert ahead[i] == pytest.approx(window[-1], abs=1e-6)


def test_the_multi_step_forecast_sees_nothing_after_the_training_part(trained) -> None:
    model, scaling = trained.model, Scaling.fit(trained.series, 4)
    values = scaling.apply(trained.series.values)
    changed = values.copy()
    changed[604:] = 10.0  # the future, replaced
    assert np.array_equal(multistep(model, values, 4, 604), multistep(model, changed, 4, 604))
    assert not np.array_equal(one_step(model, values, 4)[600:], one_step(model, changed, 4)[600:])


def test_the_naive_baseline_repeats_the_last_known_value(trained) -> None:
    x = trained.series.values
    j = np.arange(604, 1000)
    for k in (1, 4):
        assert trained.error(k).baseline_mse == pytest.approx(np.mean((x[j] - x[j - k]) ** 2))
    assert trained.error(None).baseline_mse == pytest.approx(np.mean((x[604:] - x[603]) ** 2))
    fake = x[4 + 1 - 1:].copy()  # a "forecast" that is the truth scores 0
    assert k_step_error(fake, x, 4, 1, 604).mse == 0


def test_the_loops_validation_error_is_the_one_step_error_in_the_series_units(trained) -> None:
    assert len(trained.epochs) == 4
    assert trained.epochs[-1].val_mse == pytest.approx(trained.error(1).mse, rel=1e-4)
    assert trained.epochs[-1].train_loss < trained.epochs[0].train_loss


def test_the_same_seed_gives_the_same_forecast() -> None:
    config = SeriesConfig(cell="rnn", hidden=8, epochs=1, horizons=(2,))
    a = forecast_series(book_series(3), config)
    b = forecast_series(book_series(3), config)
    assert np.array_equal(a.k_step[2], b.k_step[2]) and a.errors == b.errors


def test_a_stop_ends_training_early() -> None:
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) >= 5

    result = forecast_series(book_series(0), SeriesConfig(cell="rnn", hidden=8, epochs=20, horizons=(1,)), stop=stop)
    assert result.stopped and len(result.epochs) == 0 and len(asked) == 5
    assert result.one_step.shape == (996,)  # forecasts made with the weights it reached


@pytest.mark.parametrize("changes, said", [
    ({"cell": "gru-book"}, "unknown cell 'gru-book' for a time series"),
    ({"tau": 0}, "the window must be at least 1"),
    ({"horizons": (1, 0)}, "the horizon must be at least 1"),
    ({"horizons": ()}, "at least one horizon"),
    ({"hidden": 0}, "the hidden size must be at least 1"),
])
def test_bad_settings_are_refused(changes: dict, said: str) -> None:
    with pytest.raises(ConfigError, match=said.replace("(", r"\(")):
        SeriesConfig(**changes)


def test_a_horizon_longer_than_the_series_is_refused() -> None:
    with pytest.raises(ConfigError, match="the horizon 20 is too far for this series: 20 values"):
        check_horizons((1, 20), 20, 4)


def test_the_regressor_reads_a_window_and_gives_one_value() -> None:
    torch.manual_seed(0)
    model = SeriesRegressor("lstm", 8)
    out = model(torch.zeros(5, 4))
    assert out.shape == (5,)
    assert model.count_tokens((np.zeros((5, 4)), np.zeros(5))) == 5
    total, count = model.batch_metric([torch.zeros(5, 4), out.detach() + 2.0])
    assert count == 5 and total == pytest.approx(20.0, rel=1e-5)


def test_a_step_budget_ends_training_without_calling_it_stopped() -> None:
    result = forecast_series(book_series(0), SeriesConfig(cell="rnn", hidden=8, epochs=5, horizons=(1,),
                                                          max_steps=50))
    assert not result.stopped and len(result.epochs) == 1  # 38 steps an epoch: the budget ends in the second
