"""The main window's model tabs: the shipped models loaded when a model tab is first shown, the
Gates tab's model and probe, a beam tree shown from another tab, an opened checkpoint made the
model of its task, and what a run's end means for the user (a diverged run is said in a dialog)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from rnnviz.gui import concurrency

if TYPE_CHECKING:
    from rnnviz.gui.main_window import MainWindow

#: What the Gates tab reads until the user types something: a sentence long enough to watch the gates.
GATE_PROBES = {"lm": "the girls are not happy because she does not have a car", "mt": "The girls are happy."}
_ENDINGS = {"completed": "Training finished.", "stopped": "Training stopped.", "diverged": "Training diverged."}


class WindowModels(QObject):
    """Model-tab work for ``window``; the window owns it and connects its signals here."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._loading: set[str] = set()  # tasks whose shipped model is being loaded

    def tabs(self) -> tuple[QWidget, ...]:
        w = self.window
        return (w.gates_panel, w.translate_panel, w.generate_panel, w.beam_panel)

    def give_gates(self, bundle: Any) -> None:
        w = self.window
        if bundle is not None and w.gates_panel.probe().strip() in {"", *GATE_PROBES.values()}:
            w.gates_panel.set_probe(GATE_PROBES[bundle.task])  # never overwrite what the user typed
        run = w.store.current_run()
        if bundle is not None and bundle.origin.kind == "trained" and run is not None and not run.ended:
            w.gates_panel.show_snapshot(bundle, run.epoch)  # following a run in progress
        else:
            w.gates_panel.set_bundle(bundle)

    def on_tab(self, index: int) -> None:
        w = self.window
        if w.tabs.widget(index) in self.tabs():
            self.load_shipped()
        for follower in w.followers.values():
            follower.tab_shown()

    def load_shipped(self) -> None:
        """The small models shipped with rnnviz, so that the model tabs work before any training
        (loaded off the GUI thread: it imports torch)."""
        w = self.window
        for task in ("lm", "mt"):
            if w.store.has_shipped(task) or task in self._loading:
                continue
            self._loading.add(task)

            def load(task: str = task) -> Any:
                from rnnviz.core.models.shipped import load_shipped

                return load_shipped(task)

            def loaded(bundle: Any, task: str = task) -> None:
                self._loading.discard(task)
                w.store.set_shipped(bundle)

            def failed(message: str, details: str, task: str = task) -> None:
                self._loading.discard(task)
                w.show_error(message, details)

            concurrency.run_in_background(load, loaded, failed, owner=w)

    def show_tree(self, request: Any) -> None:
        """A translation's or a generation's beam search, drawn in the Beam search tab."""
        w = self.window
        w.beam_panel.show_request(request)
        w.tabs.setCurrentWidget(w.beam_panel)

    def use_opened(self, bundle: Any) -> None:
        """A checkpoint was opened: it becomes the model of its task, and the settings follow it.
        What the file's checks noted (no checksum in an old file, a corpus that moved) is said."""
        w = self.window
        w.controller.forget_model()
        w.store.set_model(bundle)
        w.builder.set_model_config(bundle.model_config)
        w.config_panel.set_from(bundle.data_config, bundle.train_config)
        w.data_panel.set_selection(bundle.data_config.corpus, bundle.task)
        name = bundle.origin.describe()[len("opened "):]
        w.statusBar().showMessage(f"Opened {name}: press Train to continue training it.", 8000)
        if bundle.origin.notes:
            QMessageBox.information(w, "rnnviz", f"Opened {name}.\n\n" + "\n\n".join(bundle.origin.notes))

    def run_ended(self, event: Any, clipped: bool) -> None:
        """The status bar says how a run ended; a diverged run is explained in a dialog (what to change)."""
        w = self.window
        w.statusBar().showMessage(_ENDINGS.get(event.reason, "Training ended."), 8000)
        if event.reason == "diverged":
            from rnnviz.core.events import diverged_message

            QMessageBox.warning(w, "Training diverged", diverged_message(event, clipped))
