"""The Data dock's tasks that need memory (issue 17): recall, the adding problem, copy.

Each task is described in a plain sentence, its settings are spin boxes over the Limits' ranges
(lag, sequence length, symbols, symbols to copy, training and validation sequences, the seed that
draws them), and one validation sequence is shown as the network will read it, with its targets.
Nothing is generated here but that one example (numpy, no torch): a run generates its data when it
starts, from these settings.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from rnnviz.core.config import MEMORY_FIELDS, MEMORY_TASKS, RECALL_TARGETS, TASK_DEFAULTS, DataConfig
from rnnviz.core.data.memory_tasks import DESCRIPTIONS, IGNORE, TITLES, sequence_labels, validation_set
from rnnviz.core.errors import RnnvizError
from rnnviz.core.limits import COPY_LENGTH, LAG, NUM_STEPS, SEED, SYMBOLS, TASK_SEQUENCES, Limit
from rnnviz.gui.widgets.wheel_guard import wheel_needs_focus

#: The settings this box holds, in DataConfig's names; num_steps 0 means "follows from the others".
SETTINGS: tuple[str, ...] = ("lag", "num_steps", "symbols", "copy_length", "num_train", "num_val", "seed")
#: The steps of the example shown (they fit the dock's width); a longer sequence shows its first
#: EXAMPLE_HEAD steps, an ellipsis, and its last ones.
EXAMPLE_STEPS, EXAMPLE_HEAD = 14, 5
#: The example is the first validation sequence when generating them all is quick (numpy; positions).
EXAMPLE_POSITIONS = 2_000_000
_AUTO = "auto"


def _spin(limit: Limit, tip: str, minimum: int | None = None) -> QSpinBox:
    box = QSpinBox()
    lo, hi = limit.spin_range()
    box.setRange(int(lo if minimum is None else minimum), int(hi))
    box.setToolTip(limit.tip(tip))
    return box


def _length_rule(task: str) -> str:
    return {"recall": f"auto: lag + {RECALL_TARGETS}", "copy": "2 × symbols to copy + lag + 1",
            "adding": "the sequence's length"}[task]


class MemoryTaskBox(QGroupBox):
    """Settings of one task that needs memory, its sentence and an example.

    Signals:
        sig_changed(dict): the settings changed (DataConfig's names; see :meth:`settings`).
    """

    sig_changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Tasks that need memory", parent)
        self._task = "recall"
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.lag = _spin(LAG, "Recall: the output at step t must equal the input at step t − lag. Copy: the "
                              "blanks between the symbols and the go marker.")
        self.num_steps = _spin(NUM_STEPS, "Steps per sequence. Recall at 'auto': lag + "
                                          f"{RECALL_TARGETS} steps; copy's length follows from its parts.", 0)
        self.num_steps.setSpecialValueText(_AUTO)
        self.symbols = _spin(SYMBOLS, "How many different symbols (a, b, c, …): guessing scores 1 in this many.")
        self.copy_length = _spin(COPY_LENGTH, "Copy: how many symbols are shown, then written back after the "
                                              "delay.")
        self.num_train = _spin(TASK_SEQUENCES, "Sequences generated for training; each epoch reads all of them.")
        self.num_val = _spin(TASK_SEQUENCES, "Sequences generated for validation (the accuracy or error shown "
                                             "after each epoch, and the Gates tab's sequences).")
        self.seed = _spin(SEED, "The seed that draws the sequences: the same seed, the same data.")
        wheel_needs_focus(self.lag, self.num_steps, self.symbols, self.copy_length, self.num_train, self.num_val,
                          self.seed)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020; font-weight: bold;")
        self.layout_label = QLabel()
        self.layout_label.setWordWrap(True)
        self.example = QLabel()
        self.example.setWordWrap(True)
        self.compare_button = QPushButton("Compare RNN · GRU · LSTM")
        self.compare_button.setToolTip("Train the task's three presets (recall-rnn, recall-gru, recall-lstm …) one "
                                       "after another on these data, and overlay their validation curves in the "
                                       "Training tab. Stop (Esc) ends the comparison.")
        self.example.setToolTip("The first validation sequence: what the network reads at each step, and what "
                                "it must output (· where a step has no target).")

        self.form = QFormLayout()
        self.form.addRow("&Lag", self.lag)
        self.form.addRow("Sequence &length", self.num_steps)
        self.form.addRow("S&ymbols", self.symbols)
        self.form.addRow("Symbols to co&py", self.copy_length)
        self.form.addRow("Training sequences", self.num_train)
        self.form.addRow("Validation sequences", self.num_val)
        self.form.addRow("Data seed", self.seed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.description)
        layout.addLayout(self.form)
        layout.addWidget(self.layout_label)
        layout.addWidget(self.error)
        layout.addWidget(self.example)
        layout.addWidget(self.compare_button)
        for box in (self.lag, self.num_steps, self.symbols, self.copy_length, self.num_train, self.num_val,
                    self.seed):
            box.valueChanged.connect(self._changed)
        self.set_task("recall")

    # ---- public API ----

    def task(self) -> str:
        return self._task

    def set_task(self, task: str, settings: dict[str, Any] | None = None) -> None:
        """Show ``task`` (recall, adding, copy) with its defaults, or with ``settings`` (DataConfig's names)."""
        if task not in MEMORY_TASKS:
            raise ValueError(f"not a task that needs memory: {task!r}")
        self._task = task
        values = {"num_steps": 0, "lag": 0, "symbols": 2, "copy_length": 1, **TASK_DEFAULTS[task],
                  "seed": self.seed.value()}
        if task in ("recall", "copy"):
            values["num_steps"] = 0  # follows the lag (recall) or the parts (copy) until given
        values.update({k: v for k, v in (settings or {}).items() if k in SETTINGS and isinstance(v, int)})
        self._set_values(values)
        self.setTitle(f"Task that needs memory: {TITLES[task].split(' (')[0].lower()}")
        self.description.setText(DESCRIPTIONS[task])
        for name in ("lag", "symbols", "copy_length"):
            self.form.setRowVisible(getattr(self, name), task in MEMORY_FIELDS[name])
        self.num_steps.setEnabled(task != "copy")
        self.num_steps.setToolTip(NUM_STEPS.tip(f"Steps per sequence ({_length_rule(task)})."))
        self._changed()

    def settings(self) -> dict[str, int]:
        """The settings as DataConfig takes them: only those the task reads; no num_steps when it follows."""
        names = [n for n in SETTINGS if n not in MEMORY_FIELDS or self._task in MEMORY_FIELDS[n]]
        values = {n: int(getattr(self, n).value()) for n in names}
        if values["num_steps"] == 0 or self._task == "copy":
            del values["num_steps"]
        return values

    def config(self) -> DataConfig:
        """The data config these settings give (batch size left to the Config dock); ConfigError if wrong."""
        return DataConfig(corpus=self._task, task=self._task, **self.settings())  # type: ignore[arg-type]

    def error_text(self) -> str:
        return self.error.text()

    # ---- internals ----

    def _set_values(self, values: dict[str, int]) -> None:
        for name in SETTINGS:
            box: QSpinBox = getattr(self, name)
            box.blockSignals(True)
            box.setValue(int(values.get(name, box.value())))
            box.blockSignals(False)

    def _changed(self) -> None:
        try:
            resolved = self.config().resolved(self._task)  # type: ignore[arg-type]
            self.error.setText("")
            self.layout_label.setText(self._layout_text(resolved))
            self.example.setText(self._example(resolved))
        except RnnvizError as exc:
            self.error.setText(f"Cannot generate: {exc}")
            self.layout_label.setText("")
            self.example.setText("")
        self.sig_changed.emit(self.settings())

    def _layout_text(self, c: DataConfig) -> str:
        chance = f"; guessing scores {100 / int(c.symbols or 1):.1f}%" if self._task != "adding" else \
            "; always guessing 1 scores a squared error of 0.167"
        return f"Sequences of {c.num_steps} steps ({_length_rule(self._task)}){chance}."

    def _example(self, c: DataConfig) -> str:
        """The first validation sequence, as the network reads it and what it must output; a long one shows
        its first steps and its last ones (where recall's targets are), in columns that fit the dock."""
        positions = c.num_steps * c.num_val  # type: ignore[operator]
        data = validation_set(c if positions <= EXAMPLE_POSITIONS else DataConfig(**{**c.to_dict(), "num_val": 1}))
        shown = list(sequence_labels(self._task, data.vocab, data.val_inputs[0]))
        if self._task == "adding":
            marked = [f"<b>{v}</b>" if v.startswith("*") else v for v in shown]
            return (f"<b>Example</b> (* marks the two values to add): {' '.join(marked)}<br>"
                    f"<b>Answer</b> at the last step: {float(data.val_targets[0]):.2f}")
        assert data.vocab is not None
        wanted = ["·" if int(t) == IGNORE else data.vocab.to_tokens(int(t)) for t in data.val_targets[0]]
        if len(shown) > EXAMPLE_STEPS:  # the first few steps, then the last ones
            head, tail = EXAMPLE_HEAD, EXAMPLE_STEPS - EXAMPLE_HEAD
            shown, wanted = (shown[:head] + ["…"] + shown[-tail:], wanted[:head] + ["…"] + wanted[-tail:])
        # One column per step: a fixed-width font keeps each target under the step it belongs to.
        return (f"<b>Example</b> (· no target):<pre style='margin: 0'>reads   {' '.join(shown)}\n"
                f"outputs {' '.join(wanted)}</pre>")
