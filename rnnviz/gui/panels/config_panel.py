"""The Config dock: model and training settings, with the book's recipe per task.

Settings that cannot work are refused here, with the reason, before Train is
pressed: the panel builds the configs on every change and shows the error.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rnnviz.config import CELL_VARIANTS, RECIPES, TASK_DEFAULTS, DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.errors import RnnvizError
from rnnviz.gui.style import Theme

CELL_NAMES = {"rnn": "RNN (tanh)", "gru": "GRU, torch variant", "gru-book": "GRU, book variant", "lstm": "LSTM"}


def _spin(low: int, high: int, special: str | None = None) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    if special:
        box.setSpecialValueText(special)  # shown at the minimum
    return box


def _dspin(low: float, high: float, decimals: int, step: float, special: str | None = None) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    if special:
        box.setSpecialValueText(special)
    return box


class ConfigPanel(QWidget):
    """Model and training hyperparameters.

    Signals:
        sig_changed: any setting changed (the configs may now be valid or not).
    """

    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._task = "lm"
        self.cell = QComboBox()
        for cell, name in CELL_NAMES.items():
            self.cell.addItem(name, cell)
        self.layers = _spin(1, 8)
        self.hidden = _spin(1, 4096)
        self.bidirectional = QCheckBox("bidirectional")
        self.embed = _spin(0, 2048, "one-hot")
        self.dropout = _dspin(0.0, 0.95, 2, 0.05)
        self.implementation = QComboBox()
        for value, text in (("auto", "auto"), ("fused", "fused (torch)"), ("scratch", "scratch (book)")):
            self.implementation.addItem(text, value)
        self.implementation.setToolTip("fused: torch's kernels, fast. scratch: the book's equations step by step, "
                                       "slow but exactly what the book writes. auto: fused when torch has the cell.")
        self.epochs = _spin(1, 100_000)
        self.optimizer = QComboBox()
        self.optimizer.addItem("SGD", "sgd")
        self.optimizer.addItem("Adam", "adam")
        self.lr = _dspin(0.00001, 100.0, 5, 0.1)
        self.clip = _dspin(0.0, 100.0, 2, 0.5, "off")
        self.batch_size = _spin(1, 65_536)
        self.num_steps = _spin(1, 1000)
        self.max_examples = _spin(0, 10_000_000, "all")
        self.seed = _spin(0, 2**31 - 1)
        self.variant = QLabel()
        self.variant.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020; font-weight: bold;")

        model = QGroupBox("Model")
        form = QFormLayout(model)
        form.addRow("Cell", self.cell)
        form.addRow("Layers", self.layers)
        form.addRow("Hidden size", self.hidden)
        form.addRow("", self.bidirectional)
        form.addRow("Embedding", self.embed)
        form.addRow("Dropout between layers", self.dropout)
        form.addRow("Implementation", self.implementation)
        form.addRow(self.variant)
        training = QGroupBox("Training")
        form = QFormLayout(training)
        form.addRow("Epochs", self.epochs)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.lr)
        form.addRow("Clip gradient norm", self.clip)
        form.addRow("Batch size", self.batch_size)
        self.num_steps_label = QLabel("Time steps")
        form.addRow(self.num_steps_label, self.num_steps)
        self.max_examples_label = QLabel("Sentence pairs")
        form.addRow(self.max_examples_label, self.max_examples)
        form.addRow("Seed", self.seed)
        layout = QVBoxLayout(self)
        layout.addWidget(model)
        layout.addWidget(training)
        layout.addWidget(self.error)
        layout.addStretch(1)

        self._apply_recipe("lm")
        for box in (self.cell, self.implementation, self.optimizer):
            box.currentIndexChanged.connect(self._changed)
        for spin in (self.layers, self.hidden, self.embed, self.dropout, self.epochs, self.lr, self.clip,
                     self.batch_size, self.num_steps, self.max_examples, self.seed):
            spin.valueChanged.connect(self._changed)
        self.bidirectional.toggled.connect(self._changed)
        self._changed()

    # ---- public API ----

    def task(self) -> str:
        return self._task

    def set_task(self, task: str) -> None:
        """Switch to the task's book recipe (the defaults the book trains with)."""
        if task != self._task:
            self._task = task
            self._apply_recipe(task)
            self._changed()

    def build_configs(self, corpus: str, device: str = "auto") -> tuple[DataConfig, ModelConfig, TrainConfig]:
        """The three configs for a run; raises RnnvizError (ConfigError) with the reason when impossible."""
        stack = StackSpec(self.cell.currentData(), (self.hidden.value(),) * self.layers.value(),
                          self.bidirectional.isChecked(), self.dropout.value(), self.implementation.currentData())
        embed = self.embed.value() or None
        if self._task == "lm":
            model = ModelConfig("lm", stack, embed_size=embed)
        else:
            decoder = StackSpec(stack.cell, stack.hidden_sizes, False, stack.dropout, stack.implementation)
            model = ModelConfig("mt", stack, decoder, embed or 32)
        data = DataConfig(corpus=corpus, task=self._task, num_steps=self.num_steps.value(),
                          batch_size=self.batch_size.value(), seed=self.seed.value(),
                          max_examples=(self.max_examples.value() or None) if self._task == "mt" else None)
        train = TrainConfig(epochs=self.epochs.value(), lr=self.lr.value(), optimizer=self.optimizer.currentData(),
                            grad_clip=self.clip.value() or None, device=device, seed=self.seed.value())
        return data, model, train

    def error_text(self) -> str:
        """Why the current settings cannot train, or '' when they can."""
        return self.error.text()

    def run_label(self) -> str:
        """Names a run in legends: cell, shape and optimizer, e.g. 'GRU 2×32 bi, adam lr 0.005'."""
        cell = {"rnn": "RNN", "gru": "GRU", "gru-book": "GRU(book)", "lstm": "LSTM"}[self.cell.currentData()]
        bi = " bi" if self.bidirectional.isChecked() else ""
        return (f"{cell} {self.layers.value()}×{self.hidden.value()}{bi}, "
                f"{self.optimizer.currentData()} lr {self.lr.value():g}")

    def set_from(self, model: ModelConfig, data: DataConfig, train: TrainConfig | None) -> None:
        """Show the settings of an opened checkpoint."""
        self._task = model.task
        self._update_task_labels()
        stack = model.stack
        self.cell.setCurrentIndex(self.cell.findData(stack.cell))
        self.layers.setValue(stack.num_layers)
        self.hidden.setValue(stack.hidden_sizes[0])
        self.bidirectional.setChecked(stack.bidirectional)
        self.embed.setValue(model.embed_size or 0)
        self.dropout.setValue(stack.dropout)
        self.implementation.setCurrentIndex(self.implementation.findData(stack.implementation))
        self.num_steps.setValue(int(data.num_steps or TASK_DEFAULTS[model.task]["num_steps"]))
        self.batch_size.setValue(int(data.batch_size or TASK_DEFAULTS[model.task]["batch_size"]))
        self.max_examples.setValue(data.max_examples or 0)
        self.seed.setValue(data.seed)
        if train is not None:
            self.epochs.setValue(train.epochs)
            self.optimizer.setCurrentIndex(self.optimizer.findData(train.optimizer))
            self.lr.setValue(train.lr)
            self.clip.setValue(train.grad_clip or 0.0)
        self._changed()

    def state(self) -> dict[str, Any]:
        return {"task": self._task, "cell": self.cell.currentData(), "layers": self.layers.value(),
                "hidden": self.hidden.value(), "bidirectional": self.bidirectional.isChecked(),
                "embed": self.embed.value(), "dropout": self.dropout.value(),
                "implementation": self.implementation.currentData(), "epochs": self.epochs.value(),
                "optimizer": self.optimizer.currentData(), "lr": self.lr.value(), "clip": self.clip.value(),
                "batch_size": self.batch_size.value(), "num_steps": self.num_steps.value(),
                "max_examples": self.max_examples.value(), "seed": self.seed.value()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore what state() saved; unknown or out-of-range values are ignored."""
        self._task = state.get("task", self._task) if state.get("task") in ("lm", "mt") else self._task
        self._update_task_labels()
        for name in ("cell", "implementation", "optimizer"):
            box: QComboBox = getattr(self, name)
            index = box.findData(state.get(name))
            if index >= 0:
                box.setCurrentIndex(index)
        for name in ("layers", "hidden", "embed", "dropout", "epochs", "lr", "clip", "batch_size",
                     "num_steps", "max_examples", "seed"):
            if isinstance(state.get(name), (int, float)):
                getattr(self, name).setValue(state[name])
        self.bidirectional.setChecked(bool(state.get("bidirectional", False)))
        self._changed()

    def apply_theme(self, theme: Theme) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(1.0, self._base_point_size() * theme.font_scale))
        self.setFont(font)

    # ---- internals ----

    def _base_point_size(self) -> float:
        if not hasattr(self, "_base_size"):
            self._base_size = self.font().pointSizeF()
        return self._base_size

    def _apply_recipe(self, task: str) -> None:
        recipe, defaults = RECIPES[task], TASK_DEFAULTS[task]
        widgets = (self.cell, self.layers, self.hidden, self.embed, self.epochs, self.optimizer, self.lr,
                   self.batch_size, self.num_steps, self.clip, self.implementation, self.bidirectional, self.dropout)
        for widget in widgets:
            widget.blockSignals(True)
        self.cell.setCurrentIndex(self.cell.findData("gru"))
        self.implementation.setCurrentIndex(self.implementation.findData("auto"))
        self.bidirectional.setChecked(False)
        self.dropout.setValue(0.0)
        self.layers.setValue(recipe["layers"])
        self.hidden.setValue(recipe["hidden"])
        self.embed.setValue(recipe["embed"] or 0)
        self.epochs.setValue(recipe["epochs"])
        self.optimizer.setCurrentIndex(self.optimizer.findData(recipe["optimizer"]))
        self.lr.setValue(recipe["lr"])
        self.clip.setValue(1.0)
        self.batch_size.setValue(defaults["batch_size"])
        self.num_steps.setValue(defaults["num_steps"])
        for widget in widgets:
            widget.blockSignals(False)
        self._update_task_labels()

    def _update_task_labels(self) -> None:
        is_mt = self._task == "mt"
        self.num_steps_label.setText("Sentence length (tokens)" if is_mt else "Time steps per window")
        self.max_examples.setEnabled(is_mt)
        self.max_examples_label.setEnabled(is_mt)
        self.embed.setMinimum(1 if is_mt else 0)  # translation embeds words; a language model may use one-hot
        self.bidirectional.setText("bidirectional encoder" if is_mt else "bidirectional")
        self.bidirectional.setToolTip("" if is_mt else "The book's cautionary example: a bidirectional language "
                                      "model reaches a low perplexity but generates gibberish (section 10.4).")

    def _changed(self) -> None:
        cell = self.cell.currentData()
        try:
            _, model, _ = self.build_configs("phrasebook")
            implementation = model.stack.resolved_implementation
            self.error.setText("")
        except RnnvizError as exc:
            implementation = self.implementation.currentData()
            self.error.setText(f"Cannot train: {exc}")
        self.variant.setText(f"{CELL_VARIANTS[cell]}; runs on {'torch fused kernels' if implementation == 'fused' else 'the scratch equations'}.")
        self.sig_changed.emit()
