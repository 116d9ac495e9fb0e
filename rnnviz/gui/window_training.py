"""The main window's training: Train, Pause, Step and Reset, a run's start, its events, its end.

A mixin of ``rnnviz.gui.main_window.MainWindow`` (which builds the docks, tabs and actions these
methods read): the window starts a run from the Data dock, the Config dock and the Builder, hands it
to the training controller, and puts what the controller reports into the store and the status bar.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QMessageBox

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.events import EpochEnd, Step
from rnnviz.gui.long_run import confirm_long_run
from rnnviz.gui.training import RunInfo, TrainingJob
from rnnviz.gui.training.source_perplexity import report_source_perplexities
from rnnviz.gui.window_actions import progress_text

#: Probes shown until the user types one: the book's prefix, a phrasebook sentence.
DEFAULT_PROBES = {"lm": "the ", "mt": "The girls are happy."}
BOOK_PROBES = {"time-machine": "time traveller ", "fra-eng": "I'm home."}


class WindowTraining:
    """The window's training methods; ``MainWindow`` holds the state they use (``_run``, ``_clipped``,
    ``_snapshot_epoch``) and connects the controller's signals to them."""

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
