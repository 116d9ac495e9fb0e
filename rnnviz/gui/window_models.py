"""The main window's model tabs: the shipped models loaded when a model tab is first shown, the
Gates tab's model and probe, a beam tree shown from another tab, an opened checkpoint made the
model of its task, and what a run's end means for the user (a diverged run is said in a dialog).

A task that needs memory (recall, adding, copy): its Data dock settings reach the Config dock and the
Builder's vocabulary; its preset sets its data too; and the tabs that do not apply to it (Generate,
Translate, Beam search) say so at their top."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QBoxLayout, QLabel, QMessageBox, QWidget

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.gui import concurrency

if TYPE_CHECKING:
    from rnnviz.gui.main_window import MainWindow

#: What the Gates tab reads until the user types something: a sentence long enough to watch the gates.
GATE_PROBES = {"lm": "the girls are not happy because she does not have a car", "mt": "The girls are happy."}
#: What each tab that does not apply to a memory task does instead, for its notice.
_NOT_FOR_MEMORY = {"generate": "Generate continues a text with a language model",
                   "translate": "Translate turns a sentence into French with a translation model",
                   "beam": "Beam search explores the outputs of a language or translation model"}
_NOTICE_STYLE = "background: #fff3cd; color: #5c4400; padding: 6px; border: 1px solid #e0c36c;"
_ENDINGS = {"completed": "Training finished.", "stopped": "Training stopped.", "diverged": "Training diverged."}


class WindowModels(QObject):
    """Model-tab work for ``window``; the window owns it and connects its signals here."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._loading: set[str] = set()  # tasks whose shipped model is being loaded
        self._notices: dict[str, QLabel] = {}  # tab -> its "does not apply to a memory task" notice

    @property
    def notices(self) -> dict[str, QLabel]:
        """The notices at the top of Generate, Translate and Beam search (made once those tabs exist)."""
        if not self._notices:
            w = self.window
            for name, panel in (("generate", w.generate_panel), ("translate", w.translate_panel),
                                ("beam", w.beam_panel)):
                notice = QLabel()
                notice.setWordWrap(True)
                notice.setStyleSheet(_NOTICE_STYLE)
                notice.setVisible(False)
                layout = panel.layout()
                if isinstance(layout, QBoxLayout):
                    layout.insertWidget(0, notice)
                self._notices[name] = notice
        return self._notices

    # ---- a task that needs memory ----

    def memory_settings_changed(self, settings: dict) -> None:
        """The Data dock's settings of a memory task: the Config dock builds its data from them, and the
        Builder counts its input and output layers with its alphabet."""
        from rnnviz.core.models.anatomy import memory_vocab_sizes

        w = self.window
        w.config_panel.set_data_settings(settings)
        task = w.data_panel.memory_box.task()
        if task in ("recall", "copy"):
            w.builder.set_vocab_sizes(task, memory_vocab_sizes(task, int(settings.get("symbols", 2))))

    def selection_changed(self, task: str) -> None:
        """The tabs that do not apply to a task that needs memory say so (they keep their own models), and the
        Training tab's sample box says that such a task has no live sample."""
        self.window.training_view.sample_box.set_task(task)
        for name, notice in self.notices.items():
            notice.setVisible(task in MEMORY_TASKS)
            if task in MEMORY_TASKS:
                notice.setText(f"<b>Not for {task}.</b> {_NOT_FOR_MEMORY[name]}; {task} is a task that needs "
                               "memory, whose model reads generated sequences. Its training curves are in the "
                               "Training tab and its gates in the Gates tab. This tab still shows "
                               + ("the translation model." if name == "translate" else "the language model"
                                  + (" or translation model." if name == "beam" else ".")))

    def _show_memory_data(self, data: Any) -> None:
        """An opened model of a memory task: the Data dock shows the data it was trained on (kept as the dock
        has it when it already says the same, e.g. "auto" lengths after a session was restored)."""
        from rnnviz.core.config import DataConfig
        from rnnviz.core.errors import RnnvizError
        from rnnviz.gui.panels.data_memory import SETTINGS

        panel, task = self.window.data_panel, data.task
        wanted = {k: getattr(data, k) for k in SETTINGS if getattr(data, k, None) is not None}
        if panel.selection() == (task, task):
            try:
                shown = DataConfig(corpus=task, task=task, **panel.memory_settings()).resolved(task)
                if all(getattr(shown, k) == v for k, v in wanted.items()):
                    return
            except RnnvizError:
                pass
        panel.use_memory_task(task, wanted)

    @staticmethod
    def task_words(data: Any) -> str:
        """What a memory task's run adds to its legend label (", recall lag 20"), so that overlays of runs
        at different lags tell themselves apart; '' for a text corpus."""
        if data.task not in MEMORY_TASKS:
            return ""
        if data.task == "adding":
            return f", adding {data.num_steps} steps" if data.num_steps else ", adding"
        return f", {data.task} lag {data.lag}" if data.lag is not None else f", {data.task}"

    def compare_cells(self) -> bool:
        """Train RNN, GRU and LSTM on the Data dock's memory task, one after another (``gui.memory_compare``)."""
        from rnnviz.gui.memory_compare import CellComparison

        if getattr(self, "comparison", None) is None:
            self.comparison = CellComparison(self.window)
        return self.comparison.start()

    def preset_applied(self, preset: Any) -> None:
        """A memory task's preset (recall-gru …) also sets the task's data in the Data dock."""
        task = preset.config.task
        if task not in MEMORY_TASKS:
            return
        from rnnviz.gui.panels.data_memory import SETTINGS

        settings = {k: v for k, v in preset.train.items() if k in SETTINGS and isinstance(v, int)}
        self.window.data_panel.use_memory_task(task, settings)

    def tabs(self) -> tuple[QWidget, ...]:
        w = self.window
        return (w.gates_panel, w.gradients_panel, w.translate_panel, w.generate_panel, w.beam_panel)

    def give_gates(self, bundle: Any) -> None:
        w = self.window
        if bundle is not None and bundle.task in GATE_PROBES and \
                w.gates_panel.probe().strip() in {"", *GATE_PROBES.values()}:
            w.gates_panel.set_probe(GATE_PROBES[bundle.task])  # never overwrite what the user typed
        run = w.store.current_run()
        if bundle is not None and bundle.origin.kind == "trained" and run is not None and not run.ended:
            w.gates_panel.show_snapshot(bundle, run.epoch)  # following a run in progress
        else:
            w.gates_panel.set_bundle(bundle)

    def give_gradients(self, bundle: Any) -> None:
        """The Gradients tab's model (it keeps the models it was given, for its overlays)."""
        self.window.gradients_panel.set_bundle(bundle)

    def follow_gradients(self, last_step: Any) -> None:
        """While a run trains and the Gradients tab is shown and follows, a snapshot every
        ``SNAPSHOT_INTERVAL_S`` at most, one at a time, never while the tab still computes."""
        import time

        from rnnviz.gui.panels.gradients import SNAPSHOT_INTERVAL_S

        w = self.window
        panel = w.gradients_panel
        if last_step is None or not panel.follow_training() or w.tabs.currentWidget() is not panel:
            return
        now = time.monotonic()
        if w._snapshot_epoch is not None or panel.is_busy() or \
                now - getattr(self, "_gradients_asked", -SNAPSHOT_INTERVAL_S) < SNAPSHOT_INTERVAL_S:
            return
        self._gradients_asked = now
        w._snapshot_epoch = last_step.epoch  # one snapshot at a time (cleared when it arrives)
        w.controller.request_snapshot()

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

    def use_opened(self, bundle: Any, said: str | None = None) -> None:
        """A checkpoint was opened: it becomes the model of its task, and the settings follow it.
        What the file's checks noted (no checksum in an old file, a corpus that moved) is said.
        ``said``: the status bar's words instead of "Opened …" (a model an exercise trained)."""
        w = self.window
        w.controller.forget_model()
        w.store.set_model(bundle)
        w.builder.set_model_config(bundle.model_config)
        w.config_panel.set_from(bundle.data_config, bundle.train_config, bundle.model_config)
        if bundle.task in MEMORY_TASKS:
            self._show_memory_data(bundle.data_config)
        else:
            w.data_panel.set_selection(bundle.data_config.corpus, bundle.task)
        name = bundle.origin.describe()[len("opened "):]
        w.statusBar().showMessage(said or f"Opened {name}: press Train to continue training it.", 8000)
        if bundle.origin.notes:
            QMessageBox.information(w, "rnnviz", f"Opened {name}.\n\n" + "\n\n".join(bundle.origin.notes))

    def run_ended(self, event: Any, clipped: bool) -> None:
        """The status bar says how a run ended; a diverged run is explained in a dialog (what to change)."""
        w = self.window
        w.statusBar().showMessage(_ENDINGS.get(event.reason, "Training ended."), 8000)
        if event.reason == "diverged":
            from rnnviz.core.events import diverged_message

            QMessageBox.warning(w, "Training diverged", diverged_message(event, clipped))
