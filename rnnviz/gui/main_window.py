"""The main window: docks, toolbar, menus, status bar, and the wiring between them.

Data flows one way: the panels give configs → the controller trains on its
worker thread → its signals feed the training view and the status bar. The
window never touches the model while it trains.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QWidget,
)

from shiboken6 import isValid

from rnnviz.core.events import EpochEnd, Step
from rnnviz.gui.panels.builder_panel import BuilderPanel
from rnnviz.gui.panels.config_panel import ConfigPanel
from rnnviz.gui.panels.data_panel import DataPanel
from rnnviz.gui.panels.beam_panel import BeamPanel
from rnnviz.gui.panels.gates_panel import GatesPanel
from rnnviz.gui.panels.generate_panel import GeneratePanel
from rnnviz.gui.panels.translate_panel import TranslatePanel
from rnnviz.gui.panels.training_view import TrainingView
from rnnviz.gui.session import SUFFIX, Session, checkpoint_path, load_session, save_session
from rnnviz.gui.style import NORMAL, PRESENTATION, Theme
from rnnviz.gui.tasks import list_devices, run_in_background
from rnnviz.gui.widgets.epoch_progress import EpochProgress
from rnnviz.gui.worker import RunInfo, TrainingController, TrainingJob

#: Probes shown until the user types one: the book's prefix, a phrasebook sentence.
DEFAULT_PROBES = {"lm": "the ", "mt": "The girls are happy."}
BOOK_PROBES = {"time-machine": "time traveller ", "fra-eng": "I'm home."}
#: What the Gates tab reads until the user types something: a sentence long enough to watch the gates.
GATE_PROBES = {"lm": "the girls are not happy because she does not have a car", "mt": "The girls are happy."}


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.setWindowTitle("rnnviz — recurrent networks, as Dive into Deep Learning teaches them")
        self._fit_to_screen()
        self.theme: Theme = NORMAL
        self._base_font = QFont(QApplication.font())
        self._loaded = None  # a ModelBundle opened from a checkpoint, used by the next Train
        self._run: RunInfo | None = None
        self._pending_session: Path | None = None

        self.controller = TrainingController(self)
        self.data_panel = DataPanel()
        self.config_panel = ConfigPanel()
        self.training_view = TrainingView()
        self.builder = BuilderPanel()
        self.gates_panel = GatesPanel()
        self.translate_panel = TranslatePanel()
        self.generate_panel = GeneratePanel()
        self.beam_panel = BeamPanel()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.training_view, "Training")
        self.tabs.addTab(self.builder, "Builder")
        self.tabs.addTab(self.gates_panel, "Gates")
        self.tabs.addTab(self.translate_panel, "Translate")
        self.tabs.addTab(self.generate_panel, "Generate")
        self.tabs.addTab(self.beam_panel, "Beam search")
        self._snapshot_epoch: int | None = None  # the epoch of the snapshot asked for, until it arrives
        self._models: dict = {}  # task -> the bundle the model panels show (trained, opened or shipped)
        self._shipped: set[str] = set()  # tasks whose shown model is the shipped one
        self._loading: set[str] = set()  # tasks whose shipped model is being loaded
        self._pending: dict = {}  # hidden model tab -> the model it gets when shown
        self.setCentralWidget(self.tabs)
        self.data_dock = self._dock("Data", self.data_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.config_dock = self._dock("Config", self.config_panel, Qt.DockWidgetArea.RightDockWidgetArea)

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self._restore_settings()
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

    def _action(self, text: str, shortcut: str | QKeySequence | None, slot, tip: str) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut else tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the toolbar is hidden
        return action

    def _build_actions(self) -> None:
        self.act_train = self._action("Train", "Space", self.train_or_pause, "Start training, or pause/resume it")
        self.act_pause = self._action("Pause", "P", self.controller.pause, "Pause training between two steps")
        self.act_step = self._action("Step", "Right", self.step, "Take one training step, then pause")
        self.act_stop = self._action("Stop", "Esc", self.controller.stop, "Stop training; the model is kept")
        self.act_reset = self._action("Reset", "Ctrl+R", self.reset, "Forget the model: the next run starts fresh")
        self.act_open_ckpt = self._action("Open checkpoint…", QKeySequence.StandardKey.Open, self.open_checkpoint,
                                          "Open a model saved by rnnviz")
        self.act_save_ckpt = self._action("Save checkpoint…", QKeySequence.StandardKey.Save, self.save_checkpoint,
                                          "Save the current model")
        self.act_open_session = self._action("Open session…", "Ctrl+Shift+O", self.open_session,
                                             "Open a prepared lecture: settings, panels and model")
        self.act_save_session = self._action("Save session…", "Ctrl+Shift+S", self.save_session,
                                             "Save settings, panels and model for a lecture")
        self.act_offline = self._action("Offline data folder…", None, self.choose_offline_folder,
                                        "Folder holding the book's data sets for use without a network")
        self.act_export_csv = self._action("Export curves as CSV…", None, self.export_csv, "Save the curves' numbers")
        self.act_export_image = self._action("Export plot as PNG/SVG…", None, self.export_image, "Save the plots")
        self.act_quit = self._action("Quit", QKeySequence.StandardKey.Quit, self.close, "Quit rnnviz")
        self.act_present = self._action("Presentation mode", "F11", self.toggle_presentation,
                                        "Full screen, large type, thick lines, high contrast")
        self.act_present.setCheckable(True)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.act_open_ckpt, self.act_save_ckpt, None, self.act_open_session, self.act_save_session,
                       None, self.act_export_csv, self.act_export_image, None, self.act_offline, None, self.act_quit):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        train_menu = bar.addMenu("&Train")
        for action in (self.act_train, self.act_pause, self.act_step, self.act_stop, self.act_reset):
            train_menu.addAction(action)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.act_present)
        view_menu.addSeparator()
        view_menu.addAction(self.data_dock.toggleViewAction())
        view_menu.addAction(self.config_dock.toggleViewAction())

    def _build_toolbar(self) -> None:
        toolbar = self.addToolBar("Training")
        toolbar.setObjectName("toolbar-training")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # Train is a play/pause toggle (Space); Pause alone stays in the Train menu (P).
        for action in (self.act_train, self.act_step, self.act_stop, self.act_reset):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Device "))
        self.device_box = QComboBox()
        self.device_box.addItem("auto")
        self.device_box.setToolTip("auto: cuda, then mps, then cpu")
        toolbar.addWidget(self.device_box)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.status_state = QLabel("idle")
        self.status_device = QLabel("")
        self.status_progress = EpochProgress()
        self.status_progress.setMaximumWidth(220)
        self.status_speed = QLabel("")
        self.status_time = QLabel("")
        for widget in (self.status_state, self.status_device, self.status_progress, self.status_speed,
                       self.status_time):
            status.addPermanentWidget(widget)

    def _connect(self) -> None:
        c = self.controller
        c.sig_state.connect(self._on_state)
        c.sig_run_started.connect(self._on_run_started)
        c.sig_events.connect(self._on_events)
        c.sig_sample.connect(self.training_view.show_sample)
        c.sig_nonfinite.connect(self._on_nonfinite)
        c.sig_finished.connect(self._on_finished)
        c.sig_error.connect(self._on_error)
        c.sig_saved.connect(self._on_saved)
        c.sig_snapshot.connect(self._on_snapshot)
        self.gates_panel.sig_status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        for panel in (self.translate_panel, self.generate_panel):
            panel.sig_show_tree.connect(self._show_tree)
        self.tabs.currentChanged.connect(self._on_tab)
        self.training_view.sig_probe_changed.connect(c.set_probe)
        self.data_panel.sig_selection_changed.connect(self._on_selection)
        self.data_panel.sig_stats_ready.connect(self._on_stats)
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
            model = self.builder.model_config()
            data, train = self.config_panel.build_configs(corpus, self.device_box.currentText())
        except Exception as exc:  # ConfigError: the reason is already shown in the panel
            QMessageBox.warning(self, "Cannot train", str(exc))
            return False
        initial = self._continuable(data, model)
        label = (f"{self.builder.run_label()}, {self.config_panel.optimizer_label()}"
                 + (" (continued)" if initial is not None else ""))
        if self.tabs.currentWidget() is self.builder:  # from building to watching it train; Gates stays
            self.tabs.setCurrentWidget(self.training_view)
        self.training_view.begin_run(label, task)
        probe = self.training_view.probe()
        self.controller.start(TrainingJob(data, model, train, label, probe, initial))
        return True

    def _continuable(self, data, model):
        """The model to keep training: the opened or last trained one, when it matches the settings."""
        previous = self._loaded or self.controller.bundle
        if previous is None:
            return None
        same = previous.model_config == model and previous.data_config.corpus == data.corpus
        return previous if same else None

    def reset(self) -> None:
        self.controller.stop()
        self._loaded = None
        self.controller.forget_model()
        self._show_model(None)
        self.statusBar().showMessage("Model reset: the next run starts from fresh weights.", 5000)

    def _on_state(self, state: str) -> None:
        running, paused, idle = state == "running", state == "paused", state == "idle"
        self.act_train.setText("Pause" if running else ("Resume" if paused else "Train"))
        self.act_pause.setEnabled(running)
        self.act_step.setEnabled(state != "preparing")
        self.act_stop.setEnabled(running or paused)
        self.act_reset.setEnabled(idle)
        for action in (self.act_open_ckpt, self.act_open_session):
            action.setEnabled(idle)
        self.config_panel.setEnabled(idle)
        self.builder.setEnabled(idle)  # the model cannot change under a running training
        self.data_panel.setEnabled(idle)
        self.device_box.setEnabled(idle)
        self.status_state.setText(state)

    def _on_run_started(self, info: RunInfo) -> None:
        self._run = info
        self.status_device.setText(f"device: {info.device}")
        self.status_progress.setRange(0, info.epochs)
        self.status_progress.setValue(0)
        self.statusBar().showMessage(f"Training {info.description}", 8000)

    def _on_events(self, events) -> None:
        self.training_view.add_events(events)
        last_step = next((e for e in reversed(events) if isinstance(e, Step)), None)
        last_epoch = next((e for e in reversed(events) if isinstance(e, EpochEnd)), None)
        if last_epoch is not None:
            self.status_progress.setValue(last_epoch.epoch)
            following = self.gates_panel.follow_training() and self.tabs.currentWidget() is self.gates_panel
            if following and self._snapshot_epoch is None:
                self._snapshot_epoch = last_epoch.epoch  # one snapshot at a time: a slow trace never piles up
                self.controller.request_snapshot()
        if last_step is not None and self._run is not None:
            total = self._run.epochs * max(self._run.batches_per_epoch, 1)
            done = (last_step.epoch - 1) * last_step.batches + last_step.batch
            remaining = max(total - done, 0) * last_step.elapsed / max(done, 1)
            self.status_speed.setText(f"{last_step.tokens_per_s:,.0f} tokens/s")
            self.status_time.setText(f"elapsed {_clock(last_step.elapsed)}  ETA {_clock(remaining)}")

    def _on_nonfinite(self, message: str) -> None:
        QMessageBox.warning(self, "Training paused", message[0].upper() + message[1:])

    def _on_finished(self, event) -> None:
        self._loaded = None  # the trained model supersedes an opened one
        self._snapshot_epoch = None
        if self.controller.bundle is not None:
            self.controller.request_snapshot()  # the model panels get their own copy of the trained model
        self.statusBar().showMessage("Training finished." if event.reason == "completed" else "Training stopped.", 8000)

    def _on_error(self, message: str, details: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "rnnviz", message, QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        box.exec()

    def _on_selection(self, corpus: str, task: str) -> None:
        if task in self._models and self.gates_panel.bundle() is not self._models[task]:
            self._give_model(self._models[task])  # the Gates tab follows the data's task
        self.config_panel.set_task(task)
        self.builder.set_task(task)
        defaults = {p.strip() for p in (*DEFAULT_PROBES.values(), *BOOK_PROBES.values())}
        if self.training_view.probe().strip() in {"", *defaults}:  # never overwrite what the user typed
            self.training_view.set_probe(BOOK_PROBES.get(corpus, DEFAULT_PROBES[task]))
        self.controller.set_probe(self.training_view.probe())

    def _on_snapshot(self, bundle) -> None:
        """A copy of the model from the worker: an epoch's weights to follow, or the trained model."""
        epoch, self._snapshot_epoch = self._snapshot_epoch, None
        if epoch is not None and self.controller.state != "idle":
            self.gates_panel.show_snapshot(bundle, epoch)
        else:
            self._show_model(bundle)

    def _show_model(self, bundle, task: str | None = None) -> None:
        """Give the model panels a model of their own; None (for ``task``, default the data's):
        back to the shipped one, loaded when a model tab shows."""
        if bundle is None:
            task = task or self.data_panel.selection()[1]
            self._models.pop(task, None)
            if self.tabs.currentWidget() in self._model_tabs():
                self._load_shipped_models()
            return
        self._models[bundle.task] = bundle
        self._shipped.discard(bundle.task)
        self._give_model(bundle)

    def _give_model(self, bundle) -> None:
        """Hand ``bundle`` to the panels that show models of its task (a hidden tab gets it when shown)."""
        gates_empty = self.gates_panel not in self._pending and self.gates_panel.bundle() is None
        if bundle.task == self.data_panel.selection()[1] or gates_empty:
            self._deliver(self.gates_panel, bundle)
        if bundle.task == "mt":
            self._deliver(self.translate_panel, bundle)
            self._deliver(self.beam_panel, bundle)
        else:
            self._deliver(self.generate_panel, bundle)
            if "mt" not in self._models:
                self._deliver(self.beam_panel, bundle)

    def _deliver(self, panel: QWidget, bundle) -> None:
        # A hidden tab would trace, translate or generate for nobody (and take the GUI's time
        # while a run trains): it gets the model when it is shown.
        if self.tabs.currentWidget() is panel:
            self._set_panel_model(panel, bundle)
        else:
            self._pending[panel] = bundle

    def _set_panel_model(self, panel: QWidget, bundle) -> None:
        self._pending.pop(panel, None)
        if panel is self.gates_panel and self.gates_panel.probe().strip() in {"", *GATE_PROBES.values()}:
            self.gates_panel.set_probe(GATE_PROBES[bundle.task])  # never overwrite what the user typed
        panel.set_bundle(bundle)

    def _model_tabs(self) -> tuple[QWidget, ...]:
        return (self.gates_panel, self.translate_panel, self.generate_panel, self.beam_panel)

    def _on_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget in self._pending:
            self._set_panel_model(widget, self._pending[widget])
        if widget in self._model_tabs():
            self._load_shipped_models()
        # ←/→ step through time in these tabs; elsewhere → takes a training step.
        stepping = widget in (self.gates_panel, self.beam_panel, self.generate_panel)
        self.act_step.setShortcut(QKeySequence() if stepping else QKeySequence("Right"))

    def _load_shipped_models(self) -> None:
        """The small models shipped with rnnviz, for each task without a model yet, so that the model
        tabs work before any training (loaded off the GUI thread: it imports torch)."""
        for task in ("lm", "mt"):
            if task in self._models or task in self._loading:
                continue
            self._loading.add(task)

            def load(task: str = task):
                from rnnviz.cli_models import pretrained_path
                from rnnviz.core.checkpoint import load_checkpoint

                return load_checkpoint(pretrained_path(task), task)

            def loaded(bundle, task: str = task) -> None:
                self._loading.discard(task)
                if task not in self._models:  # nothing newer arrived meanwhile
                    self._models[task] = bundle
                    self._shipped.add(task)
                    self._give_model(bundle)

            def failed(message: str, details: str, task: str = task) -> None:
                self._loading.discard(task)
                self._on_error(message, details)

            run_in_background(load, loaded, failed)

    def _show_tree(self, request) -> None:
        """A translation's or a generation's beam search, drawn in the Beam search tab."""
        self.beam_panel.show_request(request)
        self.tabs.setCurrentWidget(self.beam_panel)

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

    def _on_preset(self, name: str) -> None:
        from rnnviz.core.models.presets import get_preset

        self.config_panel.apply_recipe(get_preset(name).train)

    def _config_state(self) -> dict:
        """The Config dock's state with the Builder's inside it (one entry in sessions and settings)."""
        return {**self.config_panel.state(), "builder": self.builder.state(), "gates": self.gates_panel.state(),
                "translate": self.translate_panel.state(), "generate": self.generate_panel.state(),
                "beam": self.beam_panel.state()}

    def _restore_config_state(self, state: dict) -> None:
        self.config_panel.restore_state(state)
        for key, panel in (("gates", self.gates_panel), ("translate", self.translate_panel),
                           ("generate", self.generate_panel), ("beam", self.beam_panel)):
            if isinstance(state.get(key), dict):
                panel.restore_state(state[key])
        if isinstance(state.get("builder"), dict):
            self.builder.restore_state(state["builder"])
        elif state.get("task") in ("lm", "mt"):
            self.builder.set_task(state["task"])

    # ---- files ----

    def _model_bundle(self):
        return self._loaded or self.controller.bundle

    def save_checkpoint(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", self._last_dir("rnnviz.pt"),
                                              "rnnviz checkpoints (*.pt)")
        if path:
            self._write_checkpoint(path)

    def _write_checkpoint(self, path: str) -> None:
        self.settings.setValue("files/last_dir", str(Path(path).parent))
        training = self.controller.state != "idle"
        trained_here = self.controller.bundle is not None and self._loaded is None
        if training or trained_here:  # the worker saves between two steps
            self.controller.save_checkpoint(path)
            return
        bundle = self._loaded
        if bundle is None:
            QMessageBox.information(self, "Nothing to save", "There is no model yet: train one or open a checkpoint.")
            return

        def save():
            from rnnviz.core.checkpoint import save_checkpoint

            return str(save_checkpoint(bundle, path))
        run_in_background(save, self._on_saved, self._on_error)

    def _on_saved(self, path: str) -> None:
        self.statusBar().showMessage(f"Saved {path}", 8000)

    def open_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", self._last_dir(""), "rnnviz checkpoints (*.pt)")
        if path:
            self.load_checkpoint_file(path)

    def load_checkpoint_file(self, path: str) -> None:
        def load():
            from rnnviz.core.checkpoint import load_checkpoint

            return load_checkpoint(path)
        self.statusBar().showMessage(f"Opening {path}…")
        run_in_background(load, lambda bundle: self._on_checkpoint(bundle, path), self._on_error)

    def _on_checkpoint(self, bundle, path: str) -> None:
        self._loaded = bundle
        self.controller.forget_model()
        self._show_model(bundle)
        self.builder.set_model_config(bundle.model_config)
        self.config_panel.set_from(bundle.data_config, bundle.train_config)
        self.data_panel.set_selection(bundle.data_config.corpus, bundle.task)
        self.statusBar().showMessage(f"Opened {Path(path).name}: press Train to continue training it.", 8000)

    def save_session(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save session", self._last_dir("lecture" + SUFFIX),
                                              f"rnnviz sessions (*{SUFFIX})")
        if not path:
            return
        has_model = self._model_bundle() is not None or self.controller.state != "idle"
        session = Session(self.data_panel.state(), self._config_state(), self.training_view.state(),
                          self.device_box.currentText(), has_model)
        try:
            save_session(session, path)
        except Exception as exc:
            self._on_error(str(exc), "")
            return
        if has_model:
            self._write_checkpoint(str(checkpoint_path(path)))
        self.statusBar().showMessage(f"Saved session {path}", 8000)

    def open_session(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", self._last_dir(""), f"rnnviz sessions (*{SUFFIX})")
        if path:
            self.load_session_file(path)

    def load_session_file(self, path: str) -> None:
        try:
            session, ckpt = load_session(path)
        except Exception as exc:
            self._on_error(str(exc), "")
            return
        self.data_panel.restore_state(session.data)
        self._restore_config_state(session.config)
        self.training_view.restore_state(session.view)
        index = self.device_box.findText(session.device)
        if index >= 0:
            self.device_box.setCurrentIndex(index)
        if ckpt is not None:
            self.load_checkpoint_file(str(ckpt))

    def export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves", self._last_dir("curves.csv"), "CSV (*.csv)")
        if path:
            self._export(self.training_view.export_csv, path)

    def export_image(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plot", self._last_dir("curves.png"),
                                              "PNG image (*.png);;SVG drawing (*.svg)")
        if path:
            self._export(self.training_view.export_image, path)

    def _export(self, write, path: str) -> None:
        try:
            write(path)
        except Exception as exc:  # RnnvizError from the view, with the reason
            self._on_error(f"Could not export to {path}: {exc}", "")
        else:
            self.statusBar().showMessage(f"Wrote {path}", 8000)

    def choose_offline_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with timemachine.txt and fra-eng.zip",
                                                  os.environ.get("RNNVIZ_DATA_DIR", ""))
        if folder:
            self.set_offline_folder(folder)

    def set_offline_folder(self, folder: str) -> None:
        os.environ["RNNVIZ_DATA_DIR"] = folder  # the data layer looks here first
        self.settings.setValue("data/offline_dir", folder)
        self.statusBar().showMessage(f"Offline data folder: {folder}", 8000)

    def _last_dir(self, name: str) -> str:
        folder = str(self.settings.value("files/last_dir", str(Path.home())))
        return str(Path(folder) / name) if name else folder

    # ---- view ----

    def toggle_presentation(self, on: bool | None = None) -> None:
        on = self.act_present.isChecked() if on is None else on
        self.act_present.setChecked(on)
        self.theme = PRESENTATION if on else NORMAL
        font = QFont(self._base_font)
        font.setPointSizeF(self._base_font.pointSizeF() * self.theme.font_scale)
        QApplication.instance().setFont(font)
        for panel in (self.data_panel, self.config_panel, self.training_view, self.builder, *self._model_tabs()):
            panel.apply_theme(self.theme)
        # On the projector the curves get the screen; View → Data/Config brings a dock back.
        docks = (self.data_dock, self.config_dock)
        if on:
            self._dock_visibility = [dock.isVisible() for dock in docks]
            for dock in docks:
                dock.hide()
            self.showFullScreen()
        else:
            for dock, visible in zip(docks, getattr(self, "_dock_visibility", [True, True])):
                dock.setVisible(visible)
            self.showNormal()

    def _set_devices(self, devices: list[str]) -> None:
        if not isValid(self.device_box):  # the window closed while torch was loading
            return
        current = self.device_box.currentText()
        self.device_box.clear()
        self.device_box.addItems(devices)
        self.device_box.setCurrentIndex(max(self.device_box.findText(current), 0))

    # ---- settings and closing ----

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        folder = self.settings.value("data/offline_dir")
        if folder and not os.environ.get("RNNVIZ_DATA_DIR"):
            os.environ["RNNVIZ_DATA_DIR"] = str(folder)
        config = self.settings.value("panels/config")
        if isinstance(config, dict):
            self._restore_config_state(config)

    def _save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("panels/config", self._config_state())
        self.settings.sync()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not getattr(self, "_devices_listed", False):
            # Listing devices imports torch: wait until the window has painted, then do it off the GUI thread.
            self._devices_listed = True
            QTimer.singleShot(1000, self, lambda: run_in_background(list_devices, self._set_devices,
                                                                    lambda message, details: None))
        if not getattr(self, "_docks_sized", False) and self.settings.value("window/state") is None:
            self._docks_sized = True  # first launch only: a restored layout keeps the user's widths
            self.resizeDocks([self.data_dock, self.config_dock], [400, 340], Qt.Orientation.Horizontal)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.act_present.isChecked():
            self.toggle_presentation(False)
        self._save_settings()
        self.controller.shutdown(1000)
        self.gates_panel.pause()  # a playing step-through stops with the window
        # Traces and searches on the thread pool take milliseconds; let them end before Qt goes.
        QThreadPool.globalInstance().waitForDone(500)
        event.accept()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"
