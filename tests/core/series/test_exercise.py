"""Exercise lstm-5: an LSTM forecasting a time series, on the book's series or a user's CSV column."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.errors import DataError
from rnnviz.core.exercises import get_exercise


def test_lstm_5_is_ready_and_takes_a_csv_column() -> None:
    exercise = get_exercise("lstm-5")
    assert exercise.ready and exercise.accepts is not None
    assert exercise.accepts.kind == "csv" and exercise.accepts.column


def test_the_small_run_returns_its_table_plots_and_arrays() -> None:
    result = get_exercise("lstm-5").run()
    table = result.table("forecast errors")
    assert table.columns == ("horizon", "MSE", "baseline MSE")
    assert table.column("horizon") == [1, 4, 16, 64, "multi-step"]
    mse = dict(zip(table.column("horizon"), table.column("MSE")))
    assert mse[1] < mse[64]  # errors compound with k
    assert "compound" in result.summary and "one step ahead" in result.summary
    kinds = [p.kind for p in result.plots]
    assert kinds[:2] == ["lines", "lines"]
    names = [s.name for s in result.plots[0].series]
    assert names[0] == "sine with noise" and "1-step forecast" in names and any("multi-step" in n for n in names)
    assert [s.name for s in result.plots[1].series] == ["1-step forecast", "4-step forecast", "16-step forecast",
                                                        "64-step forecast"]
    assert result.plots[0].series[0].x[-1] == 1000.0
    assert result.arrays["values"].shape == (1000,) and result.arrays["one_step"].shape == (996,)
    assert np.allclose(result.arrays["k_step_1"], result.arrays["one_step"])
    json.dumps(result.to_dict(), allow_nan=False)  # plain data, JSON-ready


def test_the_run_on_a_users_csv_column(tmp_path: Path) -> None:
    path = tmp_path / "temperatures.csv"
    t = np.arange(300)
    rows = [f"{d},{20 + 5 * np.sin(2 * np.pi * d / 50):.3f},x" for d in t]
    path.write_text("day,celsius,note\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = get_exercise("lstm-5").run(files=(str(path),), column="celsius")
    assert result.arrays["values"].shape == (300,) and result.arrays["values"][0] == pytest.approx(20.0)
    assert "celsius" in result.summary and str(path) in result.summary
    assert result.plots[0].series[0].name == "celsius" and result.plots[0].y_label == "celsius"
    one = result.table("forecast errors").rows[0]
    assert one[0] == 1 and one[1] < one[2]  # a smooth series: the LSTM beats repeating the last value


def test_a_bad_csv_gives_its_message_through_the_exercise(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("day,celsius\n1,20\n2,warm\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 3 of .*'warm' is not a number"):
        get_exercise("lstm-5").run(files=(str(path),), column="celsius")


def test_a_long_file_is_cut_for_the_small_run(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("v\n" + "\n".join(f"{np.sin(i / 30):.4f}" for i in range(12_000)) + "\n", encoding="utf-8")
    result = get_exercise("lstm-5").run(files=(str(path),))  # one column: no --column needed
    assert result.arrays["values"].shape == (5_000,)
    assert "its first 5,000 of 12,000 values" in result.summary
    # 188 batches an epoch: the budget of 300 steps ends in the second epoch, a planned end and not a Stop.
    assert len(result.arrays["val_mse_by_epoch"]) == 1 and not result.stopped


def _errors(mses: dict[int | None, float]) -> tuple:
    from rnnviz.core.series.forecast import HorizonError

    return tuple(HorizonError(k, mse, 0.5, 100) for k, mse in mses.items())


@pytest.mark.parametrize("mses, says, never", [
    ({1: 0.05, 4: 0.07, 16: 0.2, 64: 0.5, None: 0.4}, ["grows with k", "drifts away"], ["hardly"]),
    ({1: 0.05, 4: 0.05, 16: 0.051, 64: 0.052, None: 0.053}, ["hardly grows", "stays close"], ["drifts", "compound"]),
])
def test_lstm_5_says_how_the_error_changes_from_its_numbers(mses: dict[int | None, float], says: list[str],
                                                            never: list[str]) -> None:
    """A user's smooth series whose errors do not grow with k is not told that they grow and drift."""
    from types import SimpleNamespace

    from rnnviz.core.exercises.runs_series import _summary
    from rnnviz.core.series import book_series

    errors = _errors(mses)
    result = SimpleNamespace(series=book_series(seed=0), start=604, errors=errors,
                             error=lambda k: next(e for e in errors if e.horizon == k))
    summary = _summary(result)
    assert all(s in summary for s in says) and not any(n in summary for n in never)
    assert f"{mses[64]:.3g}" in summary and f"{mses[None]:.3g}" in summary


def test_a_short_file_is_told_what_it_can_change(tmp_path: Path) -> None:
    """lstm-5 reads the book's τ = 4, which its user cannot set: the message asks for values, not for --tau."""
    short = tmp_path / "short.csv"
    short.write_text("v\n1\n2\n3\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        get_exercise("lstm-5").run(files=(str(short),))
    assert "give at least 6 values." in str(caught.value) and "--tau" not in str(caught.value)


def test_a_file_too_short_for_64_steps_forecasts_the_horizons_that_fit(tmp_path: Path) -> None:
    """30 values give 26 windows: lstm-5 forecasts 1, 4 and 16 steps ahead and says why not 64, instead of
    failing with 'give shorter horizons (--horizons)', an option the exercise does not have."""
    path = tmp_path / "weekly.csv"
    path.write_text("v\n" + "".join(f"{k % 7}\n" for k in range(30)), encoding="utf-8")
    result = get_exercise("lstm-5").run(files=(str(path),))
    assert result.table("forecast errors").column("horizon") == [1, 4, 16, "multi-step"]
    assert "26 windows, too few to look 64 steps ahead" in result.summary
