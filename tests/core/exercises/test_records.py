"""The result records the app draws: plots check their shapes, files go only to exercises that take them."""

from __future__ import annotations

import json

import pytest

from rnnviz.core.errors import RnnvizError
from rnnviz.core.exercises import ExerciseResult, FileInput, Plot, Series, get_exercise
from rnnviz.core.exercises.records import Exercise


def test_a_plot_refuses_a_matrix_whose_shape_does_not_match_its_labels() -> None:
    with pytest.raises(ValueError, match="shape"):
        Plot("confusion", "matrix", values=((1, 2), (3, 4)), row_labels=("a", "b"), column_labels=("a",))
    with pytest.raises(ValueError, match="one bar per category"):
        Plot("bars", "bars", series=(Series("s", (0, 1), (1, 2)),), categories=("a", "b", "c"))
    with pytest.raises(ValueError, match="x values"):
        Series("s", (0, 1, 2), (1, 2))


def test_a_plot_reaches_json_with_nan_as_null() -> None:
    plot = Plot("forecast", "lines", "time", "x", (Series("data", (0, 1), (0.5, float("nan"))),))
    text = json.dumps(ExerciseResult("lstm-5", "s", plots=(plot,)).to_dict(), allow_nan=False)
    assert json.loads(text)["plots"][0]["series"][0]["y"] == [0.5, None]


def test_a_file_goes_only_to_an_exercise_that_accepts_one() -> None:
    with pytest.raises(RnnvizError, match="its own data only"):
        get_exercise("rnn-1").run(files=("x.csv",))
    seen: dict = {}

    def runner(small, progress, stop, **options):  # type: ignore[no-untyped-def]
        seen.update(options)
        return ExerciseResult("x-1", "done")

    base = get_exercise("rnn-1")
    one_file = Exercise("x-1", base.section, 1, "t", "p", "q", base.setup, "ready", runner=runner,
                        accepts=FileInput("csv", "a CSV", column=True))
    with pytest.raises(RnnvizError, match="one csv file, not 2"):
        one_file.run(files=("a.csv", "b.csv"))
    one_file.run(files=("a.csv",), column="temp")
    assert seen == {"files": ("a.csv",), "column": "temp"}
