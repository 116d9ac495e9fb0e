"""The Exercises dock: the chosen exercise's paraphrase and question beside the view, and its run.

Run does the exercise's headless work (``Exercise.run``) off the GUI thread through
``rnnviz.gui.concurrency``, with a progress bar and a Stop that the run hears
between training steps; the result's plots, tables and text appear below (``results``).
An exercise that accepts a user's file (``Exercise.accepts``) also offers Choose… (a file
dialog filtered by its kind; several files where it takes several), a column for a CSV
(the header's names offered) and "Run on my file". A run that fails says why in plain words
and keeps the last good result on show.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QApplication, QBoxLayout, QComboBox, QFileDialog, QFrame, QHBoxLayout, QLabel,
                               QMenu, QProgressBar, QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget)

from rnnviz.gui.concurrency import run_in_background
from rnnviz.gui.panels.exercises.results import ResultView
from rnnviz.gui.panels.exercises.user_files import FILE_FILTERS, csv_header
from rnnviz.gui.style import NORMAL, Theme

#: The tasks whose models the tabs show (the store's TASKS); a run's other models stay in its result.
MODEL_TASKS = ("lm", "mt", "recall", "adding", "copy")


class ExercisesPanel(QWidget):
    """Signals: ``sig_finished(object)``: a run ended (its ExerciseResult, or None after an error);
    ``sig_show_model(object)``: "Show this model in the tabs" for the result's model (a ModelBundle)."""

    sig_finished = Signal(object)
    sig_show_model = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exercise: Any = None
        self.files: tuple[str, ...] = ()
        self.error = ""  # the last run's failure, in words ("" after a good one)
        self._stop = threading.Event()
        self._running = False
        self._theme = NORMAL
        base = QApplication.font().pointSizeF()
        self._base_pt = base if base > 0 else 10.0
        self.heading = QLabel("Choose an exercise in the Exercises menu.")
        self.paraphrase = QLabel()
        self.question = QLabel()
        self.status = QLabel()
        for label in (self.heading, self.paraphrase, self.question, self.status):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_button = QPushButton("Run")
        self.stop_button = QPushButton("Stop")
        self.file_button = QPushButton("Run on my file…")
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        self.file_button.clicked.connect(self.run_on_file)
        self.show_model_button = QPushButton("Show this model in the tabs")
        self.show_model_button.setToolTip("the model this run trained becomes the model of the Gates, Gradients, "
                                          "Generate … tabs; Train continues training it")
        self.show_model_button.clicked.connect(  # with several models the button's menu picks one
            lambda: None if self.show_model_button.menu() is not None else self.show_model())
        self.show_model_button.hide()
        # The user's file: which, and the column of a CSV.
        self.file_row = QWidget()
        self.files_label = QLabel()
        self.files_label.setWordWrap(True)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(self.choose_files)
        self.column_label = QLabel("Column:")
        self.column_box = QComboBox()
        self.column_box.setEditable(True)  # a name or a number the header did not offer
        self.column_box.setToolTip("the CSV column to use: its name in the header, or its number from 1")
        self.column_box.setMinimumContentsLength(6)
        file_layout = QVBoxLayout(self.file_row)  # the file's description on a line of its own: it is long
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.addWidget(self.files_label)
        # Short rows: in presentation type a row of three buttons was wider than a 1280 screen's dock.
        column = QHBoxLayout()
        column.addWidget(self.column_label)
        column.addWidget(self.column_box, 1)
        file_layout.addLayout(column)
        self.choose_row = choose = QHBoxLayout()  # one above the other in presentation type (apply_theme)
        choose.addWidget(self.choose_button, 0, Qt.AlignmentFlag.AlignLeft)
        choose.addWidget(self.file_button, 0, Qt.AlignmentFlag.AlignLeft)
        choose.addStretch(1)
        file_layout.addLayout(choose)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress_text = QLabel()
        self.progress_text.setWordWrap(True)
        self.message = QLabel()  # a failed run, in plain words
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.results = ResultView(summary_here=False)
        buttons = QHBoxLayout()
        for button in (self.run_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.words = words = QWidget()
        top = QVBoxLayout(words)
        for widget in (self.heading, self.paraphrase, self.question, self.status):
            top.addWidget(widget)
        top.addLayout(buttons)
        top.addWidget(self.file_row)
        top.addWidget(self.progress)
        top.addWidget(self.progress_text)
        top.addWidget(self.message)
        top.addWidget(self.results.summary)  # what the last run showed, in words; its plots below
        top.addWidget(self.show_model_button, 0, Qt.AlignmentFlag.AlignLeft)
        top.addStretch(1)
        self.words_scroll = scroll = QScrollArea()  # long words scroll; the results below keep their height
        scroll.setWidget(words)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)  # never cut off unseen
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.results)
        self.splitter.setStretchFactor(0, 0)  # the words take what they need, the results the rest
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self.file_row.hide()
        self.file_button.hide()
        self._apply_message_style()
        self._update_buttons()

    @property
    def result(self) -> Any:
        """The last good result on show (None before the first)."""
        return self.results.result

    @property
    def output(self) -> Any:
        """The result as text (the Text tab)."""
        return self.results.output

    # ---- public API ----

    def show_exercise(self, exercise: Any) -> None:
        """Show ``exercise`` (an rnnviz.core.exercises.Exercise): its words, and Run if it has a run."""
        if self._running:
            self.stop()
        self.exercise = exercise
        self.heading.setText(f"<b>{exercise.id}: {exercise.title}</b><br>{exercise.section}, "
                             f"exercise {exercise.number}")
        self.paraphrase.setText(exercise.paraphrase)
        self.question.setText(f"<b>Look for:</b> {exercise.question}" if exercise.question else "")
        if exercise.ready:
            what = f" ({', '.join(exercise.setup.compares)})" if exercise.setup.compares else ""
            where = ("Its data and model are its own (the tabs keep theirs)" if exercise.setup.in_dock
                     else f"The {exercise.setup.view} tab shows it")
            button = "Compare" if exercise.setup.compares else "Run"
            self.status.setText(f"{where}. {button}{what} does the work at a small size (seconds) and shows it "
                                "here.")
        else:
            self.status.setText(f"<b>This exercise {exercise.status}</b>, which rnnviz does not have yet. "
                                f"Meanwhile: {exercise.meanwhile}")
        # Short: the dock is narrow on a projector, and a wider row made its words scroll sideways.
        self.run_button.setText("Compare" if exercise.setup.compares else "Run")
        accepts = exercise.accepts if exercise.ready else None
        self.file_row.setVisible(accepts is not None)
        self.file_button.setVisible(accepts is not None)
        self.column_label.setVisible(accepts is not None and accepts.column)
        self.column_box.setVisible(accepts is not None and accepts.column)
        if accepts is not None:
            self.choose_button.setToolTip(accepts.description)
        self.set_files(())
        self.results.clear()
        self.show_model_button.hide()
        self._show_error("")
        self.progress.setValue(0)
        self.progress_text.clear()
        self._update_buttons()
        QTimer.singleShot(0, self, self.fit_words)

    def fit_words(self) -> None:
        """Give the words their height (at most half the dock's) and the results the rest."""
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        top = min(self.words.sizeHint().height() + 6, int(total * 0.45))
        self.splitter.setSizes([top, total - top])

    def is_running(self) -> bool:
        return self._running

    def run(self) -> None:
        """Run the exercise's small work off the GUI thread (nothing when one is running or it has no run)."""
        self._start(files=(), column=None)

    def choose_files(self) -> None:
        """Ask for the user's file(s) of the kind the exercise accepts."""
        accepts = getattr(self.exercise, "accepts", None)
        if accepts is None:
            return
        start = str(Path(self.files[0]).parent) if self.files else ""
        filters = f"{FILE_FILTERS.get(accepts.kind, 'Files (*)')};;All files (*)"
        title = f"{self.exercise.id}: {accepts.description}"
        if accepts.many:
            paths, _ = QFileDialog.getOpenFileNames(self, title, start, filters)
        else:
            path, _ = QFileDialog.getOpenFileName(self, title, start, filters)
            paths = [path] if path else []
        if paths:
            self.set_files(tuple(paths))

    def set_files(self, paths: tuple[str, ...]) -> None:
        """The user's files for "Run on my file"; a CSV's header fills the column choices."""
        self.files = tuple(str(p) for p in paths)
        accepts = getattr(self.exercise, "accepts", None)
        if self.files:
            names = ", ".join(Path(p).name for p in self.files)
            self.files_label.setText(f"Your file{'s' if len(self.files) > 1 else ''}: <b>{names}</b>")
            self.files_label.setToolTip("\n".join(self.files))
        else:
            what = accepts.description if accepts is not None else ""
            self.files_label.setText(f"Your own data: {what}")
            self.files_label.setToolTip("")
        if accepts is not None and accepts.column:
            current = self.column_box.currentText()
            self.column_box.clear()
            if self.files:
                self.column_box.addItems(csv_header(self.files[0]))
            if current and self.column_box.findText(current) >= 0:
                self.column_box.setCurrentText(current)
            elif self.column_box.count() > 1:  # the user says which: a guess would run on the wrong numbers
                self.column_box.setCurrentIndex(-1)
                self.column_box.lineEdit().setPlaceholderText("which column?")
        self._update_buttons()

    def column(self) -> str | None:
        """The column to run on: None when the exercise takes none or the field is empty."""
        accepts = getattr(self.exercise, "accepts", None)
        if accepts is None or not accepts.column:
            return None
        return self.column_box.currentText().strip() or None

    def run_on_file(self) -> None:
        """Run on the chosen file(s) (Choose… first when there is none)."""
        if not self.files:
            self.choose_files()
        if self.files:
            self._start(files=self.files, column=self.column())

    def models(self) -> list[Any]:
        """The models of the last result that the tabs can show (none when its run trained none they do)."""
        return [m for m in getattr(self.result, "models", ()) if getattr(m, "task", None) in MODEL_TASKS]

    def model(self) -> Any:
        """The first of :meth:`models`, or None."""
        return next(iter(self.models()), None)

    def show_model(self, model: Any = None) -> None:
        """Ask the window to show ``model`` (by default the last result's first) in its tabs."""
        model = model if model is not None else self.model()
        if model is not None:
            self.sig_show_model.emit(model)

    def _offer_models(self) -> None:
        """The button shows the one model, or a menu of them when the run trained several (a comparison)."""
        models = self.models()
        self.show_model_button.setVisible(bool(models))
        self.show_model_button.setMenu(None)
        if len(models) > 1:
            menu = QMenu(self.show_model_button)
            for k, bundle in enumerate(models, 1):
                corpus = getattr(getattr(bundle, "data_config", None), "corpus", "")
                action = menu.addAction(f"{k}. {bundle.display_name}" + (f" on {corpus}" if corpus else ""))
                action.triggered.connect(lambda _=False, b=bundle: self.show_model(b))
            self.show_model_button.setMenu(menu)
        self.show_model_button.setText("Show a model of this run in the tabs" if len(models) > 1
                                       else "Show this model in the tabs")

    def stop(self) -> None:
        """Ask the running exercise to stop; it ends after the current training step."""
        self._stop.set()
        self.progress_text.setText("stopping…")

    def apply_theme(self, theme: Theme) -> None:
        """Type × the theme's font_scale; the plots' lines and type follow the theme."""
        self._theme = theme
        font = QFont(self.font())
        font.setPointSizeF(self._base_pt * theme.font_scale)
        self.setFont(font)
        self.results.apply_theme(theme, self._base_pt)
        self.choose_row.setDirection(QBoxLayout.Direction.TopToBottom if theme.font_scale > 1.2
                                     else QBoxLayout.Direction.LeftToRight)
        self._apply_message_style()
        QTimer.singleShot(0, self, self.fit_words)

    # ---- running ----

    def _start(self, files: tuple[str, ...], column: str | None) -> None:
        exercise = self.exercise
        if exercise is None or not exercise.ready or self._running:
            return
        self._stop = threading.Event()
        stop = self._stop
        self._running = True
        self._show_error("")
        self.progress.setValue(0)
        on = f" on {', '.join(Path(f).name for f in files)}" if files else ""
        self.progress_text.setText(f"starting{on}…")
        self._update_buttons()

        def work(report: Any) -> Any:
            return exercise.run(small=True, progress=lambda f, text: report((f, text)), stop=stop.is_set,
                                files=files, column=column)

        run_in_background(work, self._done, self._failed, owner=self, progress=self._on_progress)

    def _on_progress(self, value: Any) -> None:
        fraction, text = value
        self.progress.setValue(int(100 * fraction))
        self.progress_text.setText(text)

    def _done(self, result: Any) -> None:
        self._running = False
        self.progress.setValue(100 if not result.stopped else self.progress.value())
        self.progress_text.setText("stopped" if result.stopped else "done")
        self.results.show_result(result)
        self._offer_models()
        self._update_buttons()
        QTimer.singleShot(0, self, self._show_summary)
        self.sig_finished.emit(result)

    def _failed(self, message: str, details: str) -> None:
        self._running = False
        self.progress_text.setText("failed" + (": the result below is the last good one" if self.result else ""))
        self._show_error(message)
        self._update_buttons()
        self.sig_finished.emit(None)

    def _show_summary(self) -> None:
        self.fit_words()
        self.words_scroll.ensureWidgetVisible(self.results.summary, 0, 0)
        if self.show_model_button.isVisibleTo(self):
            self.words_scroll.ensureWidgetVisible(self.show_model_button, 0, 0)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.message.setText(message)
        self.message.setVisible(bool(message))

    def _apply_message_style(self) -> None:
        pad = int(4 * self._theme.font_scale)
        self.message.setStyleSheet(f"QLabel {{ background: #fde8e0; color: {self._theme.foreground}; "
                                   f"border: 1px solid {self._theme.colors[1]}; border-radius: 4px; "
                                   f"padding: {pad}px; }}")

    def _update_buttons(self) -> None:
        ready = self.exercise is not None and self.exercise.ready
        self.run_button.setEnabled(ready and not self._running)
        self.file_button.setEnabled(ready and not self._running)
        self.choose_button.setEnabled(not self._running)
        self.show_model_button.setEnabled(not self._running)
        self.stop_button.setEnabled(self._running)
