"""The Config dock: training settings, with the book's recipe per task.

The model itself is built in the Builder tab; this dock shows which one and
holds how it is trained. Settings that cannot work are refused here, with the
reason, before Train is pressed: the panel builds the configs on every change
and shows the error. Under the epochs it says how long the run will take on
this machine (:mod:`rnnviz.core.estimate`), and above about ten minutes it
warns and offers the book's size (or fewer epochs) with one click.

The main window tells it the corpus (``set_corpus``) and the Builder's model
(``set_model_config``), and before starting a run asks ``long_run_warning(corpus)``; the estimate's
methods are in ``config_estimate``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.config import BOOK_SPLIT, MEMORY_TASKS, RECIPES, TASK_DEFAULTS, DataConfig, ModelConfig, TrainConfig
from rnnviz.core.errors import RnnvizError
from rnnviz.core.estimate import RunEstimate, Suggestion
from rnnviz.core.limits import (
    BATCH_POSITIONS,
    BATCH_SIZE,
    EPOCHS,
    GRAD_CLIP,
    LEARNING_RATE,
    MAX_EXAMPLES,
    NUM_STEPS,
    SEED,
)
from rnnviz.gui.panels.config_estimate import ConfigEstimate
from rnnviz.gui.panels.config_widgets import combo as _combo
from rnnviz.gui.panels.config_widgets import dspin as _dspin
from rnnviz.gui.panels.config_widgets import recipe_model
from rnnviz.gui.panels.config_widgets import spin as _spin
from rnnviz.gui.style import Theme
from rnnviz.gui.widgets.wheel_guard import wheel_needs_focus

_LM_TRAIN, _LM_VAL = BOOK_SPLIT["lm"]
_MT_TRAIN, _MT_VAL = BOOK_SPLIT["mt"]
_ALL_PAIRS, _BOOKS_PAIRS = "all", f"the book's {_MT_TRAIN}"  # the pairs box's special text, per split
__all__ = ["ConfigPanel", "recipe_model"]


class ConfigPanel(ConfigEstimate, QWidget):
    """Training hyperparameters, and a summary of the model the Builder holds.

    Signals:
        sig_changed: any setting changed (the configs may now be valid or not).
        sig_edit_model: the user asked to edit the model (the main window shows the Builder).
        sig_estimate_changed(object): the run's estimate (a RunEstimate, or None when it cannot be told).
    """

    sig_changed = Signal()
    sig_edit_model = Signal()
    sig_estimate_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._task = "lm"
        self._corpus: str | None = None  # None: the task's built-in corpus
        self._model: ModelConfig | None = None  # None: the book's recipe for the task
        self._estimate: RunEstimate | None = None
        # A task that needs memory: its settings from the Data dock (lag, num_steps, symbols, copy_length,
        # num_train, num_val, seed); they draw the sequences, and this dock's seed the first weights.
        self._data_settings: dict[str, int] = {}
        self._suggestion: Suggestion | None = None
        self.model_summary = QLabel("GRU 32")
        self.model_summary.setWordWrap(True)
        self.edit_model = QPushButton("Edit in Builder…")
        self.edit_model.setToolTip("The Builder tab: presets, layers, directions, shapes and parameter counts.")
        self.epochs = _spin(EPOCHS, "Passes over the training data; Stop ends a run early and keeps its weights.")
        self.optimizer = QComboBox()
        self.optimizer.addItem("SGD", "sgd")
        self.optimizer.addItem("Adam", "adam")
        self.lr = _dspin(LEARNING_RATE, "The step size of the optimizer.", 5, 0.1)
        self.clip = _dspin(GRAD_CLIP, "Gradients are scaled down to at most this norm before each step.", 2, 0.5,
                           "off")
        self.batch_size = _spin(BATCH_SIZE, "Windows (or sentence pairs) per step; batch size × time steps is "
                                            f"at most {BATCH_POSITIONS.hi:,} tokens.")
        self.num_steps = _spin(NUM_STEPS, "Tokens per window (language model) or per padded sentence "
                                          "(translation).")
        self.max_examples = _spin(MAX_EXAMPLES, "Translation: the first N sentence pairs (book's split: the N "
                                                "training pairs; the validation pairs come after them).", _ALL_PAIRS)
        self.lm_sampling = _combo(
            "How the text becomes windows. Book's windows: the book's code (its TimeMachine class) takes every "
            f"window, one per start position, of the first {_LM_TRAIN + _LM_VAL:,} tokens: {_LM_TRAIN:,} shuffled "
            f"for training, the next {_LM_VAL:,} for validation. Random offsets: as section 9.3's prose, "
            "non-overlapping windows from a random offset each epoch, over the first 90% of the text.",
            ("Book's windows", "book"), ("Random offsets", "random-offset"))
        self.lm_sampling.setCurrentIndex(self.lm_sampling.findData("random-offset"))
        self.mt_split = _combo(
            f"Book's split (its MTFraEng class): the first N pairs of the file train (N: the pairs box, or "
            f"{_MT_TRAIN}), the {_MT_VAL} after them (and one more, as the book's loop reads) validate, and the "
            "vocabularies come from those pairs. Shuffled: the pairs are shuffled, then 80% train, 10% validate "
            "and 10% are kept for testing.",
            ("Book's split", "book"), ("Shuffled", "fractions"))
        self.mt_split.setCurrentIndex(self.mt_split.findData("fractions"))
        self._num_val = _MT_VAL  # the book's split's validation pairs (a recipe or checkpoint may say otherwise)
        self.seed = _spin(SEED, "The same seed gives the same data order and the same initial weights.")
        self.mask_padding = QCheckBox("Mask padding")
        self.mask_padding.setChecked(True)
        self.mask_padding.setToolTip(
            "On (the book): the loss averages over the real target tokens, <eos> included. Off (exercise 3 of "
            "section 10.7): the <pad> tokens after <eos> count as targets too; the run's name says 'unmasked loss'.")
        # A stray wheel over the dock scrolls it; it changes a value only in the control being edited.
        wheel_needs_focus(self.epochs, self.optimizer, self.lr, self.clip, self.batch_size, self.num_steps,
                          self.max_examples, self.lm_sampling, self.mt_split, self.seed)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020; font-weight: bold;")
        self.estimate_label = QLabel()
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setToolTip("How long the run will take on this machine's CPU, estimated from the "
                                       "corpus's size, the model and the batch (rnnviz.core.estimate).")
        self.smaller_button = QPushButton("Use the book's size")
        self.smaller_button.setVisible(False)
        self.smaller_button.clicked.connect(self.apply_suggestion)

        model = QGroupBox("Model")
        box = QVBoxLayout(model)
        box.addWidget(self.model_summary)
        box.addWidget(self.edit_model)
        training = QGroupBox("Training")
        form = QFormLayout(training)
        form.addRow("Epochs", self.epochs)
        form.addRow("Time", self.estimate_label)
        # The offer spans both columns: "Use the book's size (512 + 128 pairs)" beside the labels made the
        # 330-px dock of a 1280-wide screen scroll sideways.
        button_box = QWidget()
        button_row = QHBoxLayout(button_box)
        button_row.setContentsMargins(0, 0, 0, 0)
        button_row.addWidget(self.smaller_button)
        button_row.addStretch(1)
        form.addRow(button_box)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.lr)
        form.addRow("Clip gradient norm", self.clip)
        form.addRow("Batch size", self.batch_size)
        self.num_steps_label = QLabel("Time steps")
        form.addRow(self.num_steps_label, self.num_steps)
        self.lm_sampling_label = QLabel("Windows")
        form.addRow(self.lm_sampling_label, self.lm_sampling)
        self.mt_split_label = QLabel("Split")
        form.addRow(self.mt_split_label, self.mt_split)
        self.max_examples_label = QLabel("Sentence pairs")
        form.addRow(self.max_examples_label, self.max_examples)
        form.addRow("Loss", self.mask_padding)  # short: a long box text made the dock scroll sideways
        self._form = form
        self.seed_label = QLabel("Seed")
        form.addRow(self.seed_label, self.seed)
        layout = QVBoxLayout(self)
        layout.addWidget(model)
        layout.addWidget(training)
        layout.addWidget(self.error)
        layout.addStretch(1)

        self._apply_recipe("lm")
        for combo in (self.optimizer, self.lm_sampling, self.mt_split):
            combo.currentIndexChanged.connect(self._changed)
        self.mask_padding.toggled.connect(self._changed)
        for spin in (self.epochs, self.lr, self.clip, self.batch_size, self.num_steps, self.max_examples, self.seed):
            spin.valueChanged.connect(self._changed)
        self.edit_model.clicked.connect(self.sig_edit_model)
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

    def set_data_settings(self, settings: dict[str, int]) -> None:
        """A task that needs memory: its generation settings as the Data dock holds them (DataConfig's
        names: lag, num_steps, symbols, copy_length, num_train, num_val, seed)."""
        settings = dict(settings)
        if settings != self._data_settings:
            self._data_settings = settings
            self._changed()

    def build_configs(self, corpus: str, device: str = "auto") -> tuple[DataConfig, TrainConfig]:
        """The data and training configs for a run; raises RnnvizError (ConfigError) with the reason."""
        is_mt = self._task == "mt"
        book_mt = is_mt and self.mt_split.currentData() == "book"
        train = TrainConfig(epochs=self.epochs.value(), lr=self.lr.value(), optimizer=self.optimizer.currentData(),
                            grad_clip=self.clip.value() or None, device=device, seed=self.seed.value())
        if self._task in MEMORY_TASKS:  # generated: the Data dock's settings draw it, the corpus is the task
            settings = {"seed": self.seed.value(), **self._data_settings}
            return DataConfig(corpus=self._task, task=self._task, batch_size=self.batch_size.value(),
                              **settings), train
        data = DataConfig(corpus=corpus, task=self._task, num_steps=self.num_steps.value(),
                          batch_size=self.batch_size.value(), seed=self.seed.value(),
                          max_examples=(self.max_examples.value() or None) if is_mt else None,
                          lm_sampling="random-offset" if is_mt else self.lm_sampling.currentData(),
                          num_val=self._num_val if book_mt else None)
        return data, train

    def error_text(self) -> str:
        """Why the current settings cannot train, or '' when they can."""
        return self.error.text()

    def optimizer_label(self) -> str:
        """How the run trains, as its legend names it: 'adam lr 0.005', and ', unmasked loss' after it for a
        translation model whose loss counts the padding (so that overlaid runs are told apart)."""
        unmasked = self._task == "mt" and not self.mask_padding.isChecked()
        return f"{self.optimizer.currentData()} lr {self.lr.value():g}" + (", unmasked loss" if unmasked else "")

    def with_loss_options(self, model: ModelConfig) -> ModelConfig:
        """The Builder's model with this dock's loss options: a translation model's padding mask."""
        if model.task != "mt":
            return model
        return replace(model, mask_padding=self.mask_padding.isChecked())

    def set_model_summary(self, text: str) -> None:
        self.model_summary.setText(text)

    def apply_recipe(self, recipe: dict[str, Any]) -> None:
        """A preset's training recipe: optimizer, lr, epochs, num_steps, batch_size, grad_clip, and how the
        data are cut: lm_sampling, and num_train/num_val for the book's translation split (any subset)."""
        if recipe.get("optimizer") in ("sgd", "adam"):
            self.optimizer.setCurrentIndex(self.optimizer.findData(recipe["optimizer"]))
        if self.lm_sampling.findData(recipe.get("lm_sampling")) >= 0:
            self.lm_sampling.setCurrentIndex(self.lm_sampling.findData(recipe["lm_sampling"]))
        if isinstance(recipe.get("num_train"), int) or isinstance(recipe.get("num_val"), int):
            self._set_book_split(recipe.get("num_train"), recipe.get("num_val"))
        for key, spin in (("lr", self.lr), ("epochs", self.epochs), ("num_steps", self.num_steps),
                          ("batch_size", self.batch_size), ("grad_clip", self.clip)):
            if isinstance(recipe.get(key), (int, float)):
                spin.setValue(recipe[key])

    def set_from(self, data: DataConfig, train: TrainConfig | None, model: ModelConfig | None = None) -> None:
        """Show the settings of an opened checkpoint (its model's loss options too, when given)."""
        self._task = data.task or self._task
        self._update_task_labels()
        self.num_steps.setValue(int(data.num_steps or TASK_DEFAULTS[self._task]["num_steps"]))
        self.batch_size.setValue(int(data.batch_size or TASK_DEFAULTS[self._task]["batch_size"]))
        self.max_examples.setValue(data.max_examples or 0)
        self.lm_sampling.setCurrentIndex(max(self.lm_sampling.findData(data.lm_sampling), 0))
        if self._task == "mt" and data.uses_book_split("mt"):
            self._set_book_split(data.num_train or data.max_examples, data.num_val)
        elif self._task == "mt":
            self.mt_split.setCurrentIndex(self.mt_split.findData("fractions"))
        self.seed.setValue(data.seed)
        if model is not None and model.task == "mt":
            self.mask_padding.setChecked(model.mask_padding)
        if train is not None:
            self.epochs.setValue(train.epochs)
            self.optimizer.setCurrentIndex(self.optimizer.findData(train.optimizer))
            self.lr.setValue(train.lr)
            self.clip.setValue(train.grad_clip or 0.0)
        self._changed()

    def state(self) -> dict[str, Any]:
        return {"task": self._task, "epochs": self.epochs.value(), "optimizer": self.optimizer.currentData(),
                "lr": self.lr.value(), "clip": self.clip.value(), "batch_size": self.batch_size.value(),
                "num_steps": self.num_steps.value(), "max_examples": self.max_examples.value(),
                "lm_sampling": self.lm_sampling.currentData(), "mt_split": self.mt_split.currentData(),
                "seed": self.seed.value(), "mask_padding": self.mask_padding.isChecked()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore what state() saved; unknown or out-of-range values are ignored."""
        self._task = state.get("task", self._task) if state.get("task") in RECIPES else self._task
        self._update_task_labels()
        for name in ("optimizer", "lm_sampling", "mt_split"):
            combo: QComboBox = getattr(self, name)
            index = combo.findData(state.get(name))
            if index >= 0:
                combo.setCurrentIndex(index)
        for name in ("epochs", "lr", "clip", "batch_size", "num_steps", "max_examples", "seed"):
            if isinstance(state.get(name), (int, float)):
                getattr(self, name).setValue(state[name])
        if isinstance(state.get("mask_padding"), bool):  # absent in older sessions: the book's masked loss
            self.mask_padding.setChecked(state["mask_padding"])
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
        widgets = (self.epochs, self.optimizer, self.lr, self.batch_size, self.num_steps, self.clip)
        for widget in widgets:
            widget.blockSignals(True)
        self.epochs.setValue(recipe["epochs"])
        self.optimizer.setCurrentIndex(self.optimizer.findData(recipe["optimizer"]))
        self.lr.setValue(recipe["lr"])
        self.clip.setValue(1.0)
        self.batch_size.setValue(defaults["batch_size"])
        self.num_steps.setValue(defaults["num_steps"])
        for widget in widgets:
            widget.blockSignals(False)
        self._update_task_labels()

    def _set_book_split(self, num_train: int | None, num_val: int | None) -> None:
        """The book's translation split: num_train pairs train (the pairs box), num_val validate."""
        self._num_val = num_val or _MT_VAL
        self.mt_split.setCurrentIndex(self.mt_split.findData("book"))
        if num_train:
            self.max_examples.setValue(num_train)

    def _update_task_labels(self) -> None:
        is_mt, memory = self._task == "mt", self._task in MEMORY_TASKS
        book = self.mt_split.currentData() == "book"
        self.num_steps_label.setText("Sentence length (tokens)" if is_mt else "Time steps per window")
        self.max_examples_label.setText("Training pairs" if book else "Sentence pairs")
        self.max_examples.setSpecialValueText(_BOOKS_PAIRS if book else _ALL_PAIRS)
        self.max_examples.setEnabled(is_mt)
        self.max_examples_label.setEnabled(is_mt)
        self._form.setRowVisible(self.lm_sampling, not is_mt and not memory)  # each task cuts its data its way
        self._form.setRowVisible(self.mt_split, is_mt)
        self._form.setRowVisible(self.mask_padding, is_mt)  # only translation pads its targets
        self._form.setRowVisible(self.max_examples, not memory)
        self._form.setRowVisible(self.num_steps, not memory)  # a generated task's length is in the Data dock
        self.seed_label.setText("Seed (weights)" if memory else "Seed")

    def _changed(self) -> None:
        self._update_task_labels()  # the split names the pairs box
        try:
            self.build_configs("phrasebook")
            self.error.setText("")
        except RnnvizError as exc:
            self.error.setText(f"Cannot train: {exc}")
        self._update_estimate()
        self.sig_changed.emit()
