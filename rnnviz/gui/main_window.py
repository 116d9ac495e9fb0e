"""The main window: docks, tabs, actions, status bar, and the wiring between them.

Data flows one way: the Data dock, the Config dock and the Builder give the
configs → the training controller trains on its worker thread → what happens
goes into the store (``rnnviz.gui.store``: task, corpus, models and runs) →
the tabs follow the store. The window holds no model itself and never touches
one while it trains; files (checkpoints, sessions, exports) are in
``rnnviz.gui.window_files``, training (Train, Step, a run's events) in
``rnnviz.gui.window_training``.
"""

from __future__ import annotations

from PySide6.QtCore import QDeadlineTimer, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QScrollArea,
    QWidget,
)
from shiboken6 import isValid

from rnnviz.core.errors import RnnvizError
from rnnviz.gui import concurrency
from rnnviz.gui.panels.beam_panel import BeamPanel
from rnnviz.gui.panels.builder_panel import BuilderPanel
from rnnviz.gui.panels.config_panel import ConfigPanel
from rnnviz.gui.panels.data_panel import DataPanel
from rnnviz.gui.panels.follow import ModelFollower
from rnnviz.gui.panels.gates import GatesPanel
from rnnviz.gui.panels.generate_panel import GeneratePanel
from rnnviz.gui.panels.gradients import GradientsPanel
from rnnviz.gui.panels.training_view import TrainingView
from rnnviz.gui.panels.translate_panel import TranslatePanel
from rnnviz.gui.panels.exercises import WindowExercises
from rnnviz.gui.store import AppStore
from rnnviz.gui.lecture_keys import LectureKeys
from rnnviz.gui.presentation import Presentation
from rnnviz.gui.runs.window_runs import WindowRuns
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.training import RunInfo, TrainingController
from rnnviz.gui.widgets.panel_tabs import PanelTabs
from rnnviz.gui.window_actions import (
    WIDE_SCREEN,
    build_actions,
    build_menus,
    build_status_bar,
    build_toolbar,
    screen_width,
)
from rnnviz.gui.window_files import WindowFiles
from rnnviz.gui.window_models import WindowModels
from rnnviz.gui.window_training import BOOK_PROBES, DEFAULT_PROBES, WindowTraining

__all__ = ["BOOK_PROBES", "CLOSE_WAIT_MS", "DEFAULT_PROBES", "MainWindow"]

#: The most that closing waits for training and background jobs; the window is hidden first.
CLOSE_WAIT_MS = 1000


class MainWindow(WindowTraining, QMainWindow):
    """The window: its construction and wiring here, its training in ``WindowTraining``."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.setWindowTitle("rnnviz — recurrent networks, as Dive into Deep Learning teaches them")
        self._fit_to_screen()
        self.theme: Theme = NORMAL
        self._run: RunInfo | None = None
        self._clipped = True  # the run's gradient clipping: a diverged run's advice depends on it
        self._snapshot_epoch: int | None = None  # the epoch of the snapshot asked for, until it arrives

        self.store = AppStore(self)
        self.controller = TrainingController(self)
        self.files = WindowFiles(self)
        self.models = WindowModels(self)
        self.presentation = Presentation(self)
        self.keys = LectureKeys(self)  # the lecture's keys, wherever the focus is
        self.data_panel = DataPanel()
        self.config_panel = ConfigPanel()
        self.training_view = TrainingView()
        self.builder = BuilderPanel()
        self.gates_panel = GatesPanel()
        self.gradients_panel = GradientsPanel()
        self.translate_panel = TranslatePanel()
        self.generate_panel = GeneratePanel()
        self.beam_panel = BeamPanel()
        self.tabs = PanelTabs()
        self.tabs.setDocumentMode(True)
        for panel, title in ((self.training_view, "Training"), (self.builder, "Builder"),
                             (self.gates_panel, "Gates"), (self.gradients_panel, "Gradients"),
                             (self.translate_panel, "Translate"),
                             (self.generate_panel, "Generate"), (self.beam_panel, "Beam search")):
            self.tabs.add_panel(panel, title)
        self.setCentralWidget(self.tabs)
        self.data_dock = self._dock("Data", self.data_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.config_dock = self._dock("Config", self.config_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._narrow = screen_width() < WIDE_SCREEN
        if self._narrow:  # 1280×720: one column of docks, so that the tabs keep the width
            self.tabifyDockWidget(self.data_dock, self.config_dock)
            self.data_dock.raise_()

        build_actions(self)
        build_menus(self)
        build_toolbar(self)
        build_status_bar(self)
        self._follow_store()
        self._connect()
        self.runs = WindowRuns(self)  # recorded runs: File → Open run…, the run bar (rnnviz.gui.runs)
        self.exercises = WindowExercises(self)  # the Exercises menu and dock (rnnviz.core.exercises)
        self._restore_settings()
        self.runs.toolbar.setVisible(self.runs.is_open)  # a restored layout must not show an empty run bar
        self._on_state("idle")

    # ---- construction ----

    def _fit_to_screen(self) -> None:
        screen = QApplication.primaryScreen()
        if screen is None:
            self.resize(1400, 900)
            return
        available = screen.availableGeometry()
        self.resize(min(1600, int(available.width() * 0.92)), min(1000, int(available.height() * 0.9)))

    def _dock(self, title: str, panel: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        # Wide enough to read without a horizontal scroll bar; the training view takes the rest.
        scroll.setMinimumWidth(panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)
        dock.setWidget(scroll)
        self.addDockWidget(area, dock)
        return dock

    def _follow_store(self) -> None:
        """Each model tab follows the store, and names the model it shows (a new one in bold, for a while)."""
        store = self.store
        self.followers = {
            "gates": ModelFollower(self.gates_panel, store, lambda s: s.model(s.task), self.models.give_gates, "Gates"),
            "gradients": ModelFollower(self.gradients_panel, store, lambda s: s.model(s.task),
                                       self.models.give_gradients, "Gradients"),
            "translate": ModelFollower(self.translate_panel, store, lambda s: s.model("mt"),
                                       self.translate_panel.set_bundle, "Translate"),
            "generate": ModelFollower(self.generate_panel, store, lambda s: s.model("lm"),
                                      self.generate_panel.set_bundle, "Generate"),
            "beam": ModelFollower(self.beam_panel, store, lambda s: s.model("mt") or s.model("lm"),
                                  self.beam_panel.set_bundle, "Beam search"),
        }

    def _connect(self) -> None:
        c = self.controller
        c.sig_state.connect(self._on_state)
        c.sig_run_started.connect(self._on_run_started)
        c.sig_events.connect(self._on_events)
        c.sig_sample.connect(self.training_view.show_sample)
        c.sig_nonfinite.connect(self._on_nonfinite)
        c.sig_finished.connect(self._on_finished)
        c.sig_error.connect(self.show_error)
        c.sig_saved.connect(self.files.on_saved)
        c.sig_snapshot.connect(self._on_snapshot)
        self.gates_panel.sig_status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.gradients_panel.sig_status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        for panel in (self.translate_panel, self.generate_panel):
            panel.sig_show_tree.connect(self.models.show_tree)
        self.tabs.currentChanged.connect(self.models.on_tab)
        self.training_view.sig_probe_changed.connect(c.set_probe)
        self.data_panel.sig_selection_changed.connect(self.store.set_selection)
        self.data_panel.sig_memory_changed.connect(self.models.memory_settings_changed)
        self.data_panel.memory_box.compare_button.clicked.connect(self.models.compare_cells)
        self.data_panel.sig_stats_ready.connect(self._on_stats)
        self.store.sig_selection_changed.connect(self._on_selection)
        self.builder.sig_changed.connect(self._on_model_changed)
        self.builder.sig_preset_applied.connect(self._on_preset)
        self.config_panel.sig_edit_model.connect(lambda: self.tabs.setCurrentWidget(self.builder))
        self._on_model_changed()

    # ---- the model tabs (rnnviz.gui.window_models) ----

    def use_opened_model(self, bundle) -> None:
        self.models.use_opened(bundle)

    # ---- the Builder and Config docks ----

    def _on_stats(self, stats) -> None:
        """The corpus's vocabulary sizes give the Builder's embedding and output counts."""
        sizes = ((stats.src_vocab_size, stats.tgt_vocab_size) if hasattr(stats, "src_vocab_size")
                 else (stats.char_vocab_size,))
        self.builder.set_vocab_sizes("mt" if len(sizes) == 2 else "lm", sizes)

    def _on_model_changed(self) -> None:
        error = self.builder.error_text()
        info = self.builder.anatomy()
        count = f", {info.total_params:,} parameters" if info is not None else ""
        self.config_panel.set_model_summary(error or f"{self.builder.run_label()}{count}")
        try:  # the run's estimate follows the model (None: the book's recipe)
            self.config_panel.set_model_config(None if error else self.builder.model_config())
        except RnnvizError:
            self.config_panel.set_model_config(None)

    def _on_preset(self, name: str) -> None:
        from rnnviz.core.models.presets import get_preset

        self.models.preset_applied(get_preset(name))  # a memory task's preset also sets its data (first:
        self.config_panel.apply_recipe(get_preset(name).train)  # choosing the task resets the dock's recipe)

    def panels_state(self) -> dict:
        """The Config dock's state with the Builder's and the model tabs' inside it (one entry in sessions and settings)."""
        return {**self.config_panel.state(), "builder": self.builder.state(), "gates": self.gates_panel.state(),
                "gradients": self.gradients_panel.state(), "translate": self.translate_panel.state(),
                "generate": self.generate_panel.state(),
                "beam": self.beam_panel.state()}

    def restore_panels_state(self, state: dict) -> None:
        self.config_panel.restore_state(state)
        for key, panel in (("gates", self.gates_panel), ("gradients", self.gradients_panel),
                           ("translate", self.translate_panel),
                           ("generate", self.generate_panel), ("beam", self.beam_panel)):
            if isinstance(state.get(key), dict):
                panel.restore_state(state[key])
        if isinstance(state.get("builder"), dict):
            self.builder.restore_state(state["builder"])
        elif state.get("task") in ("lm", "mt"):
            self.builder.set_task(state["task"])

    # ---- files (rnnviz.gui.window_files) ----

    def load_checkpoint_file(self, path: str) -> None:
        self.files.load_checkpoint_file(path)

    def load_session_file(self, path: str) -> None:
        self.files.load_session_file(path)

    def set_offline_folder(self, folder: str) -> None:
        self.files.set_offline_folder(folder)

    # ---- view ----

    def toggle_presentation(self, on: bool | None = None) -> None:
        """Presentation mode on, off (``on``), or the other way (None; F11, F5)."""
        on = (not self.presentation.on) if on is None else on
        self.act_present.setChecked(on)
        self.presentation.set_on(on)
        self.theme = self.presentation.theme

    def themed_panels(self) -> tuple[QWidget, ...]:
        """Every panel that follows the theme."""
        return (self.data_panel, self.config_panel, self.training_view, self.builder, *self.models.tabs(),
                self.exercises.panel)

    def toggle_blank(self) -> None:
        """Blank the screen (B or . on a presenter remote), or uncover it."""
        self.presentation.toggle_blank()

    def _set_devices(self, devices: list[str]) -> None:
        if not isValid(self.device_box):  # the window closed while torch was loading
            return
        current = self.device_box.currentText()
        self.device_box.clear()
        self.device_box.addItems(devices)
        self.device_box.setCurrentIndex(max(self.device_box.findText(current), 0))

    def _list_devices(self) -> None:
        if getattr(self, "_closed", False):  # closed before it was due: torch would load into an exiting app
            return
        from rnnviz.core.devices import available_devices

        concurrency.run_in_background(available_devices, self._set_devices, lambda message, details: None, owner=self)

    # ---- settings and closing ----

    def _restore_settings(self) -> None:
        from rnnviz.gui import settings_io  # plain values only: a crafted settings file runs nothing

        self._layout_restored = settings_io.restore_window(self)

    def _save_settings(self) -> None:
        from rnnviz.gui import settings_io

        settings_io.save_window(self)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not getattr(self, "_devices_listed", False):
            # Listing devices imports torch: wait until the window has painted, then do it off the GUI thread.
            self._devices_listed = True
            QTimer.singleShot(1000, self, self._list_devices)
        if not getattr(self, "_docks_sized", False) and not getattr(self, "_layout_restored", False):
            self._docks_sized = True  # first launch only: a restored layout keeps the user's widths
            # On a 1280-wide screen the Data dock reads well at 330 px, and the tabs need every pixel.
            docks, widths = ([self.data_dock], [330]) if self._narrow else ([self.data_dock, self.config_dock], [400, 340])
            self.resizeDocks(docks, widths, Qt.Orientation.Horizontal)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        deadline = QDeadlineTimer(CLOSE_WAIT_MS)
        self._closed = True
        self.controller.request_shutdown()  # training hears it at its next check while the window goes
        if self.presentation.on:
            self.toggle_presentation(False)
        self._save_settings()
        self.hide()  # at once: what follows only waits
        self.gates_panel.pause()  # a playing step-through stops with the window
        self.runs.stop()  # no more polls of a followed run, nor Play
        for follower in self.followers.values():
            follower.banner.stop()
        # Milliseconds between two steps; what runs on (a slow step) ends alone, awaited at exit (gui.app).
        self.controller.shutdown(max(deadline.remainingTime(), 0))
        concurrency.wait_for_jobs(max(deadline.remainingTime(), 0))
        event.accept()
