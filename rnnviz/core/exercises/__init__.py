"""The chapters' exercises: each one's setup (data, model, view) and a headless run.

Public API
----------
``EXERCISES``, ``SECTIONS``, ``get_exercise(id)``, ``exercise_ids()``, ``by_section()``
    The registry (:mod:`~rnnviz.core.exercises.registry`).
``Exercise``, ``Setup``, ``ExerciseResult``, ``Table``, ``Plot``, ``Series``, ``FileInput``
    Frozen records (:mod:`~rnnviz.core.exercises.records`). ``Exercise.run(small=True,
    progress=None, stop=None) -> ExerciseResult``: ``progress(fraction, text)``,
    ``stop() -> bool`` asked between training steps (a stopped run returns what it did,
    ``stopped`` set). ``status`` is "ready" or "needs: <capability>"; the latter has no run
    and says what to do ``meanwhile``. An exercise with ``accepts`` (a FileInput) also runs on a
    user's file: ``run(..., files=(path,), column=None)``. ``ExerciseResult.plots`` are the
    figures the app draws beside the exercise.
"""

from __future__ import annotations

from rnnviz.core.exercises.records import VIEWS, Exercise, ExerciseResult, FileInput, Plot, Series, Setup, Table
from rnnviz.core.exercises.registry import EXERCISES, SECTIONS, by_section, exercise_ids, get_exercise

__all__ = ["EXERCISES", "SECTIONS", "VIEWS", "Exercise", "ExerciseResult", "FileInput", "Plot", "Series", "Setup",
           "Table", "by_section",
           "exercise_ids", "get_exercise"]
