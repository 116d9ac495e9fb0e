"""Compare RNN · GRU · LSTM on a task that needs memory: three runs, one after another, on the same data.

The Data dock's "Compare RNN · GRU · LSTM" button starts it. Each run takes its cell's preset
(``recall-rnn``, ``recall-gru``, ``recall-lstm`` …: the model and its training recipe) while the data
stay as the Data dock shows them, so that only the cell changes. Each run is a normal run of the
training controller, started when the previous one has finished: the Training tab keeps every run
as an overlay and shows the validation metric, the status bar says which run this is, and Stop (Esc)
ends the comparison with the run in progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from rnnviz.core.config import MEMORY_TASKS

if TYPE_CHECKING:
    from rnnviz.gui.main_window import MainWindow

CELLS: tuple[str, ...] = ("rnn", "gru", "lstm")
_TITLES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


class CellComparison(QObject):
    """Runs the cells' presets of the data's memory task in turn.

    Signals:
        sig_progress(str): what runs now, or how the comparison ended (also shown in the status bar).
        sig_done(bool): the comparison ended: True when every run completed.
    """

    sig_progress = Signal(str)
    sig_done = Signal(bool)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._queue: list[str] = []
        self._task = ""
        self._data: dict[str, int] = {}
        self._total = 0

    def is_running(self) -> bool:
        return bool(self._task)

    def start(self) -> bool:
        """Start comparing on the Data dock's memory task; False (said in the status bar) when none is chosen
        or a run is in progress."""
        w = self.window
        task = w.data_panel.selection()[1]
        if task not in MEMORY_TASKS or w.controller.state != "idle" or self.is_running():
            w.statusBar().showMessage("Compare RNN · GRU · LSTM needs a task that needs memory in the Data dock, "
                                      "and no run in progress.", 8000)
            return False
        self._task, self._data = task, w.data_panel.memory_settings()
        self._queue, self._total = list(CELLS), len(CELLS)
        w.controller.sig_finished.connect(self._on_finished)
        w.training_view.set_y_metric("val_metric")  # the three runs' validation metric, overlaid
        self._next()
        return True

    def stop(self) -> None:
        """End the comparison after the run in progress (the Stop action stops that run)."""
        self._queue.clear()

    def _next(self) -> None:
        w = self.window
        if not self._queue:
            return
        if w.controller.state != "idle":  # the last run's worker is still winding down
            QTimer.singleShot(50, self._next)
            return
        cell = self._queue.pop(0)
        w.controller.forget_model()  # each cell starts from fresh weights
        w.builder.apply_preset(f"{self._task}-{cell}")  # the cell's model and recipe (its data too, undone next)
        w.data_panel.use_memory_task(self._task, self._data)  # the same data for every cell
        number = self._total - len(self._queue)
        self._say(f"Comparing on {self._task}: run {number} of {self._total}, {_TITLES[cell]}…")
        if not w.start_training():
            self._end(False, "The comparison stopped: the run could not start.")

    def _on_finished(self, event: Any) -> None:
        if event.reason != "completed":
            self._end(False, f"The comparison stopped ({event.reason}); its runs stay in the Training tab.")
        elif self._queue:
            QTimer.singleShot(0, self._next)  # after the controller has gone idle
        else:
            self._end(True, f"Compared RNN · GRU · LSTM on {self._task}: their validation curves are overlaid "
                            "in the Training tab.")

    def _end(self, completed: bool, text: str) -> None:
        self.window.controller.sig_finished.disconnect(self._on_finished)
        self._queue.clear()
        self._task = ""
        self._say(text)
        self.sig_done.emit(completed)

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 0 if self.is_running() else 15000)
        self.sig_progress.emit(text)
