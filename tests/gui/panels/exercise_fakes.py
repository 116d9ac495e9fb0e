"""Hand-made exercise results and an exercise that runs on a user's file, for the Exercises dock's tests."""

from __future__ import annotations

from pathlib import Path

from rnnviz.core.errors import DataError
from rnnviz.core.exercises import Exercise, ExerciseResult, FileInput, Plot, Series, Setup, Table

LINES = Plot("forecast", "lines", "time step", "value",
             (Series("data", (0, 1, 2, 3), (0.0, 1.0, 0.5, 2.0)),
              Series("one step ahead", (1, 2, 3), (0.9, 0.6, 1.8), "dashed"),
              Series("samples", (0, 2), (0.0, 0.5), "points")))
LOG_LINES = Plot("loss", "lines", "epoch", "loss", (Series("train", (1, 2, 3), (10.0, 1.0, 0.0)),), log_y=True)
BARS = Plot("tokens per second", "bars", "cell", "tokens/s",
            (Series("training", (0, 1, 2), (1200, 800, 650)), Series("inference", (0, 1, 2), (5000, 3100, 2800))),
            categories=("rnn", "gru", "lstm"))
MATRIX = Plot("confusion matrix", "matrix", "predicted", "true", values=((40, 3), (5, 30)),
              row_labels=("statement", "question"), column_labels=("statement", "question"))
TABLE = Table("accuracy per class", ("class", "accuracy", "count"),
              (("statement", 0.889, 45), ("question", 0.8333, 1234)))


def result(*plots: Plot, summary: str = "made by hand") -> ExerciseResult:
    return ExerciseResult("fake-1", summary, (TABLE,), plots=plots or (LINES, BARS, MATRIX))


def _runner(small, progress, stop, files=(), column=None) -> ExerciseResult:
    for path in files:
        if "bad" in Path(path).read_text():
            raise DataError(f"{Path(path).name}: the column {column!r} holds text, not numbers; choose a "
                            "numeric column.")
    names = ", ".join(Path(p).name for p in files) or "built-in data"
    return result(LINES, summary=f"ran on {names}, column {column}")


def exercise(many: bool = False, column: bool = True) -> Exercise:
    return Exercise("fake-1", "10.1 Long Short-Term Memory (LSTM)", 5, "a made-up exercise", "Forecast a series.",
                    "Does the forecast follow?", Setup("phrasebook-en", "lm", None, "Training"), "ready",
                    runner=_runner, accepts=FileInput("csv", "a CSV with a numeric column", many=many,
                                                      column=column))
