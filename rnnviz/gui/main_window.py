"""The main window: docks, tabs, actions, status bar, and the wiring between them.

Data flows one way: the Data dock, the Config dock and the Builder give the
configs → the training controller trains on its worker thread → what happens
goes into the store (``rnnviz.gui.store``: task, corpus, models and runs) →
the tabs follow the store. The window holds no model itself and never touches
one while it trains; files (checkpoints, sessions, exports) are in
``rnnviz.gui.window_files``.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QDeadlineTimer, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QWidget,
)
from shiboken6 import isValid

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.errors import RnnvizError
from rnnviz.core.events import EpochEnd, Step
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
from rnnviz.gui.long_run import confirm_long_run
from rnnviz.gui.presentation import Presentation
from rnnviz.gui.runs.window_runs import WindowRuns
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.training import RunInfo, TrainingController, TrainingJob
from rnnviz.gui.training.source_perplexity import report_source_perplexities
from rnnviz.gui.widgets.panel_tabs import PanelTabs
from rnnviz.gui.window_actions import (
    WIDE_SCREEN,
    build_actions,
    build_menus,
    build_status_bar,
    build_toolbar,
    progress_text,
    screen_width,
)
from rnnviz.gui.window_files import WindowFiles
from rnnviz.gui.window_models import WindowModels

#: Probes shown until the user types one: the book's prefix, a phrasebook sentence.
DEFAULT_PROBES = {"lm": "the ", "mt": "The girls are happy."}
BOOK_PROBES = {"time-machine": "time traveller ", "fra-eng": "I'm home."}
#: The most that closing waits for training and background jobs; the window is hidden first.
CLOSE_WAIT_MS = 1000


class MainWindow(QMainWindow):
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

    # ---- training ----

    def train_or_pause(self) -> None:
        state = self.controller.state
        if state == "running":
            self.controller.pause()
        elif state == "paused":
            self.controller.resume()
        elif state == "idle":
            self.start_training()

    def step(self) -> None:
        if self.controller.state == "idle":
            if self.start_training():
                self.controller.step()
        else:
            self.controller.step()

    def start_training(self) -> bool:
        corpus, task = self.data_panel.selection()
        self.config_panel.set_task(task)
        self.builder.set_task(task)
        try:
            model = self.config_panel.with_loss_options(self.builder.model_config())  # + the padding mask
            if not confirm_long_run(self, self.config_panel, corpus, self.device_box):
                return False
            data, train = self.config_panel.build_configs(corpus, self.device_box.currentText())
            if task == "lm" and self.data_panel.sources():  # several texts opened together: one corpus
                data = dataclasses.replace(data, sources=self.data_panel.sources())
        except Exception as exc:  # ConfigError: the reason is already shown in the panel
            QMessageBox.warning(self, "Cannot train", str(exc))
            return False
        initial = self._continuable(task, data, model)
        label = (f"{self.builder.run_label()}, {self.config_panel.optimizer_label()}" + self.models.task_words(data)
                 + (" (continued)" if initial is not None else ""))
        if self.tabs.currentWidget() is self.builder:  # from building to watching it train; Gates stays
            self.tabs.setCurrentWidget(self.training_view)
        self.store.start_run(label, task)
        self.training_view.begin_run(label, task)
        self._clipped = train.grad_clip is not None
        probe = "" if task in MEMORY_TASKS else self.training_view.probe()  # a memory task has no live sample
        self.controller.start(TrainingJob(data, model, train, label, probe, initial))
        return True

    def _continuable(self, task: str, data, model):
        """The model to keep training, when it matches the settings: the last one trained here
        (until Reset or an opened checkpoint replaces it), else the opened one."""
        trained = self.controller.bundle
        opened = self.store.own_model(task)
        if trained is not None and trained.task == task:
            previous = trained
        elif opened is not None and opened.origin.kind == "opened":
            previous = opened
        else:
            return None
        same = previous.model_config.same_model(model) and previous.data_config.corpus == data.corpus \
            and previous.data_config.sources == data.sources
        return previous if same else None

    def reset(self) -> None:
        self.controller.stop()
        self.controller.forget_model()
        self.store.clear_model(self.store.task)
        self.statusBar().showMessage("Model reset: the next run starts from fresh weights.", 5000)

    def _on_state(self, state: str) -> None:
        running, paused, idle = state == "running", state == "paused", state == "idle"
        self.act_train.setText("Pause" if running else ("Resume" if paused else "Train"))
        self.act_pause.setEnabled(running)
        self.act_step.setEnabled(state != "preparing")
        self.act_stop.setEnabled(not idle)  # while preparing too: it abandons the preparation
        self.act_reset.setEnabled(idle)
        for action in (self.act_open_ckpt, self.act_open_session):
            action.setEnabled(idle)
        for widget in (self.config_panel, self.builder, self.data_panel, self.device_box):
            widget.setEnabled(idle)  # the model and its data cannot change under a running training
        self.status_state.setText(state)
        if running or paused:
            self.store.update_run(state=state)
        if idle:  # nothing is left to wait for
            self.status_time.setText(self.status_time.text().split("  ETA")[0])

    def _on_run_started(self, info: RunInfo) -> None:
        self._run = info
        self.builder.set_vocab_sizes(info.task, info.vocab_sizes)  # the run's vocabularies: one parameter count
        self.store.update_run(description=info.description, parameters=info.parameters, device=info.device,
                              epochs=info.epochs, batches_per_epoch=info.batches_per_epoch)
        self.status_device.setText(f"device: {info.device}")
        self.status_progress.setRange(0, info.epochs)
        self.status_progress.setValue(0)
        self.statusBar().showMessage(" ".join((f"Training {info.description}.", *info.notes)),
                                     15000 if info.notes else 8000)

    def _on_events(self, events) -> None:
        self.training_view.add_events(events)
        last_step = next((e for e in reversed(events) if isinstance(e, Step)), None)
        last_epoch = next((e for e in reversed(events) if isinstance(e, EpochEnd)), None)
        if last_epoch is not None:
            self.store.update_run(epoch=last_epoch.epoch, step=last_epoch.step)
            if self._run is not None:  # a continued run's epochs follow on from its history
                self.status_progress.setValue(last_epoch.epoch - self._run.start_epoch)
            following = self.gates_panel.follow_training() and self.tabs.currentWidget() is self.gates_panel
            if following and self._snapshot_epoch is None:
                self._snapshot_epoch = last_epoch.epoch  # one snapshot at a time: a slow trace never piles up
                self.controller.request_snapshot()
        self.models.follow_gradients(last_step)  # a snapshot every second or two while Gradients follows
        if last_step is not None and self._run is not None:
            self.status_speed.setText(f"{last_step.tokens_per_s:,.0f} tokens/s")
            self.status_time.setText(progress_text(self._run, last_step))

    def _on_nonfinite(self, message: str) -> None:
        QMessageBox.warning(self, "Training paused", message[0].upper() + message[1:])

    def _on_finished(self, event) -> None:
        self._snapshot_epoch = None
        self.store.update_run(state=event.reason)
        if self.controller.bundle is not None:
            self.controller.request_snapshot()  # the model tabs get their own copy of the trained model
        self.models.run_ended(event, self._clipped)
        report_source_perplexities(self)  # a run on several texts: each one's validation perplexity

    def show_error(self, message: str, details: str) -> None:
        """A message box for an error; ``details`` (a traceback for a bug) behind its Details button."""
        run = self.store.current_run()
        if run is not None and not run.ended and self.controller.state == "idle":
            self.store.update_run(state="failed")
        box = QMessageBox(QMessageBox.Icon.Critical, "rnnviz", message, QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        box.exec()

    def _on_selection(self, corpus: str, task: str) -> None:
        self.config_panel.set_task(task)
        self.config_panel.set_corpus(corpus)  # the run's estimate follows the data
        self.builder.set_task(task)
        defaults = {p.strip() for p in (*DEFAULT_PROBES.values(), *BOOK_PROBES.values())}
        if self.training_view.probe().strip() in {"", *defaults}:  # never overwrite what the user typed
            self.training_view.set_probe(BOOK_PROBES.get(corpus, DEFAULT_PROBES.get(task, "")))
        self.controller.set_probe("" if task in MEMORY_TASKS else self.training_view.probe())
        self.models.selection_changed(task)

    def _on_snapshot(self, bundle) -> None:
        """A copy of the model from the worker (an epoch's weights to follow, or the trained model)."""
        self._snapshot_epoch = None
        step = bundle.history.step[-1] if bundle.history.step else 0
        self.store.set_model(dataclasses.replace(bundle, origin=self.store.trained_origin(step)))

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
