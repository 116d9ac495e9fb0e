"""The Exercises dock: the chosen exercise's paraphrase and question beside the view, and its run.

Run does the exercise's headless work (``Exercise.run``) off the GUI thread through
``rnnviz.gui.concurrency``, with a progress bar and a Stop that the run hears
between training steps; the result's tables and texts appear below.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from rnnviz.gui.concurrency import run_in_background


class ExercisesPanel(QWidget):
    """Signals: ``sig_finished(object)``: a run ended (its ExerciseResult, or None after an error)."""

    sig_finished = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exercise: Any = None
        self.result: Any = None
        self._stop = threading.Event()
        self._running = False
        self.heading = QLabel("Choose an exercise in the Exercises menu.")
        self.heading.setWordWrap(True)
        self.paraphrase = QLabel()
        self.question = QLabel()
        self.status = QLabel()
        for label in (self.paraphrase, self.question, self.status):
            label.setWordWrap(True)
        self.run_button = QPushButton("Run")
        self.stop_button = QPushButton("Stop")
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress_text = QLabel()
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.output.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        for widget in (self.heading, self.paraphrase, self.question, self.status):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.output, 1)
        self._update_buttons()

    # ---- public API ----

    def show_exercise(self, exercise: Any) -> None:
        """Show ``exercise`` (an rnnviz.core.exercises.Exercise): its words, and Run if it has a run."""
        if self._running:
            self.stop()
        self.exercise, self.result = exercise, None
        self.heading.setText(f"<b>{exercise.id}: {exercise.title}</b><br>{exercise.section}, "
                             f"exercise {exercise.number}")
        self.paraphrase.setText(exercise.paraphrase)
        self.question.setText(f"<b>Look for:</b> {exercise.question}" if exercise.question else "")
        if exercise.ready:
            what = f" ({', '.join(exercise.setup.compares)})" if exercise.setup.compares else ""
            self.status.setText(f"The {exercise.setup.view} tab shows it. Run{what} does the work at a small size "
                                "(seconds) and tabulates it here.")
        else:
            self.status.setText(f"<b>This exercise {exercise.status}</b>, which rnnviz does not have yet. "
                                f"Meanwhile: {exercise.meanwhile}")
        self.run_button.setText("Run the comparison" if exercise.setup.compares else "Run")
        self.output.clear()
        self.progress.setValue(0)
        self.progress_text.clear()
        self._update_buttons()

    def is_running(self) -> bool:
        return self._running

    def run(self) -> None:
        """Run the exercise's small work off the GUI thread (nothing when one is running or it has no run)."""
        exercise = self.exercise
        if exercise is None or not exercise.ready or self._running:
            return
        self._stop = threading.Event()
        stop = self._stop
        self._running = True
        self.progress.setValue(0)
        self.progress_text.setText("starting…")
        self._update_buttons()

        def work(report: Any) -> Any:
            return exercise.run(small=True, progress=lambda f, text: report((f, text)), stop=stop.is_set)

        run_in_background(work, self._done, self._failed, owner=self, progress=self._on_progress)

    def stop(self) -> None:
        """Ask the running exercise to stop; it ends after the current training step."""
        self._stop.set()
        self.progress_text.setText("stopping…")

    # ---- callbacks ----

    def _on_progress(self, value: Any) -> None:
        fraction, text = value
        self.progress.setValue(int(100 * fraction))
        self.progress_text.setText(text)

    def _done(self, result: Any) -> None:
        self._running = False
        self.result = result
        self.progress.setValue(100 if not result.stopped else self.progress.value())
        self.progress_text.setText("stopped" if result.stopped else "done")
        self.output.setPlainText(result.to_text())
        self._update_buttons()
        self.sig_finished.emit(result)

    def _failed(self, message: str, details: str) -> None:
        self._running = False
        self.progress_text.setText(message)
        self._update_buttons()
        self.sig_finished.emit(None)

    def _update_buttons(self) -> None:
        ready = self.exercise is not None and self.exercise.ready
        self.run_button.setEnabled(ready and not self._running)
        self.stop_button.setEnabled(self._running)
