"""The Exercises menu and dock: the book's exercises one click away (``rnnviz.core.exercises``)."""

from rnnviz.gui.panels.exercises.panel import ExercisesPanel
from rnnviz.gui.panels.exercises.window_exercises import WindowExercises

__all__ = ["ExercisesPanel", "WindowExercises"]
