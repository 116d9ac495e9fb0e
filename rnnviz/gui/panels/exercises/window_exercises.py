"""The Exercises menu and dock of the main window: choosing an exercise sets up its data, model and view.

The data goes through the Data dock (which tells the store once it is loaded), the model
through the Builder's preset (its recipe reaches the Config dock), the view is the tab the
exercise names; the dock shows the question beside it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.gui.panels.exercises.panel import ExercisesPanel

#: The dock's width when it first opens: on a 1280-wide screen the docks' one column keeps the Data dock's
#: width, so that the tabs keep theirs (the Gates tab needs about 940 px); on a wide one the plots get more.
#: The user's own width is kept afterwards.
DOCK_WIDTH_NARROW = 330
DOCK_WIDTH_WIDE = 480


class WindowExercises:
    """Owns the Exercises menu and dock of ``window`` (a MainWindow)."""

    def __init__(self, window: Any) -> None:
        from rnnviz.core.exercises import by_section

        self.window = window
        self.panel = ExercisesPanel()
        self.dock = QDockWidget("Exercises", window)
        self.dock.setObjectName("dock-exercises")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        # A tab beside the Config dock (and the Data dock on a narrow screen, where they share one column):
        # a column of its own would take the tabs' width, and one shared with Config half the plots' height.
        window.tabifyDockWidget(window.config_dock, self.dock)
        self.dock.hide()  # until an exercise is chosen
        self.panel.sig_show_model.connect(self.show_model)
        self._sized = False
        self.menu = QMenu("E&xercises", window)
        self.actions: dict[str, QAction] = {}
        for section, exercises in by_section().items():
            sub = self.menu.addMenu(section)
            for e in exercises:
                text = f"{e.number}. {e.title}" + ("" if e.ready else f"  ({e.status})")
                action = sub.addAction(text)
                action.setToolTip(e.paraphrase)
                action.triggered.connect(lambda _=False, i=e.id: self.choose(i))
                self.actions[e.id] = action
        self.menu.addSeparator()
        self.menu.addAction(self.dock.toggleViewAction())
        bar = window.menuBar()
        help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        if help_action is not None:
            bar.insertMenu(help_action, self.menu)
        else:
            bar.addMenu(self.menu)

    def choose(self, exercise_id: str) -> None:
        """Set up ``exercise_id``: its data, model and view, and show its question in the dock."""
        from rnnviz.core.exercises import get_exercise

        exercise = get_exercise(exercise_id)
        w, setup = self.window, exercise.setup
        if setup.in_dock:  # the run brings its own data and model: the tabs keep theirs
            pass
        elif setup.preset is not None:
            w.builder.apply_preset(setup.preset)  # a memory task's preset sets its data too
        if setup.in_dock:
            pass
        elif setup.task in MEMORY_TASKS:
            if w.data_panel.selection() != (setup.task, setup.task):
                w.data_panel.use_memory_task(setup.task)
        elif w.data_panel.selection() != (setup.corpus, setup.task):
            w.data_panel.set_selection(setup.corpus, setup.task)
        self._open_view(setup.view)
        self.panel.show_exercise(exercise)
        self.panel.apply_theme(w.presentation.theme)
        first = not self.dock.isVisible() and not self._sized
        self.dock.show()
        self.dock.raise_()
        if first:
            self.fit_dock()

    def show_model(self, bundle: Any) -> None:
        """The model an exercise's run trained becomes the model of its task in the tabs (as an opened
        checkpoint would), and the exercise's view shows it. Not while a training runs."""
        import dataclasses

        from rnnviz.core.models.origin import ModelOrigin

        w = self.window
        if not w.act_open_ckpt.isEnabled():  # the same rule as File → Open: the model cannot change mid-run
            w.statusBar().showMessage("Stop the training first: its model cannot change while it runs.", 8000)
            return
        steps = bundle.history.step[-1] if bundle.history.step else None
        exercise = self.panel.exercise
        bundle = dataclasses.replace(bundle, origin=ModelOrigin.trained(None, steps))
        w.models.use_opened(bundle, said=f"The model exercise {exercise.id} trained is in the tabs: press Train "
                                         "to continue training it.")
        self._open_view(exercise.setup.view)

    def _open_view(self, view: str) -> None:
        tabs = self.window.tabs
        for index in range(tabs.count()):
            if tabs.tabText(index) == view:
                tabs.setCurrentIndex(index)
                return

    def fit_dock(self) -> None:
        """The dock's first width: narrow beside the tabs on a 1280-wide screen (or in presentation mode)."""
        from rnnviz.gui.window_actions import WIDE_SCREEN, screen_width

        self._sized = True
        narrow = screen_width() < WIDE_SCREEN or self.window.presentation.on
        width = DOCK_WIDTH_NARROW if narrow else DOCK_WIDTH_WIDE
        self.window.resizeDocks([self.dock], [width], Qt.Orientation.Horizontal)
