"""The Builder: deep and bidirectional stacks, built in front of the class.

The book's presets, a stack editor (two for translation, with the bridge
between them), the stack drawn as the book's figures draw it, and its shapes
and parameter counts, the book's formulas beside torch's real count. What
cannot be built is refused at the control with the reason, so Train never
meets an impossible model.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.config import MEMORY_TASKS, ModelConfig
from rnnviz.core.errors import RnnvizError
from rnnviz.core.limits import EMBED_SIZE
from rnnviz.core.models.anatomy import ModelAnatomy, anatomy
from rnnviz.core.models.init_scheme import describe_init
from rnnviz.core.models.labels import model_label
from rnnviz.core.models.memory_presets import MEMORY_PRESETS
from rnnviz.core.models.presets import PRESETS, get_preset
from rnnviz.gui.panels.builder_cost import CostArea
from rnnviz.gui.style import Theme
from rnnviz.gui.widgets.refusal import RefusalNote, RefusingSpinBox
from rnnviz.gui.widgets.stack_diagram import StackDiagram
from rnnviz.gui.widgets.stack_editor import StackEditor, set_item_enabled
from rnnviz.gui.widgets.wheel_guard import wheel_needs_focus

DEFAULT_PRESET = {"lm": "gru-lm", "mt": "seq2seq", "recall": "recall-gru", "adding": "adding-gru",
                  "copy": "copy-gru"}
#: The book's presets and the tasks that need memory's (RNN vs GRU vs LSTM), as the preset box lists them.
ALL_PRESETS = {**PRESETS, **MEMORY_PRESETS}
#: Vocabulary sizes used until the data panel reports the corpus's own: The Time Machine's
#: 28 characters; for translation, sizes of the order of the book's English–French vocabularies.
DEFAULT_VOCAB = {"lm": (28,), "mt": (195, 214), "recall": (9,), "adding": (), "copy": (11,)}
#: The initialisation combo's entries: ModelConfig.init's values and their words.
INIT_CHOICES = (("book", "book"), ("torch", "torch's default"), ("forget-bias", "book, LSTM forget gate open"))
NO_BIDIRECTIONAL_DECODER = ("The decoder cannot be bidirectional: it generates left to right and cannot read "
                            "words it has not produced yet.")


class BuilderPanel(QWidget):
    """Builds the model: presets, editors, diagram, shapes and cost.

    Signals:
        sig_changed: the model changed (valid or not: see ``error_text``).
        sig_preset_applied: a preset was chosen; carries its name (the main
            window applies its training recipe too).
    """

    sig_changed = Signal()
    sig_preset_applied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._task = "lm"
        self._vocab_sizes: dict[str, tuple[int, ...]] = dict(DEFAULT_VOCAB)
        self._updating = False
        self._anatomy: ModelAnatomy | None = None
        self._base_pt = self.font().pointSizeF()
        self._build()
        self.apply_preset(DEFAULT_PRESET["lm"], with_recipe=False)

    # ---- public API ----

    def task(self) -> str:
        return self._task

    def set_task(self, task: str) -> None:
        """Switch between a language model, a translation model and a task that needs memory (the task's
        default preset)."""
        if task not in DEFAULT_PRESET:
            raise ValueError(f"task must be 'lm', 'mt' or one of {', '.join(MEMORY_TASKS)}, not {task!r}")
        if task != self._task:
            self._task = task
            self._fill_presets()
            self.apply_preset(DEFAULT_PRESET[task], with_recipe=False)

    def apply_preset(self, name: str, with_recipe: bool = True) -> None:
        """Show the preset's model; ``with_recipe`` also announces it (sig_preset_applied) so that
        its training recipe is applied as well."""
        preset = get_preset(name)
        self._task = preset.config.task
        self._fill_presets(select=name)
        self.set_model_config(preset.config)
        self.note.setText(f"<b>{preset.title}</b> — book section {preset.section}.<br>{preset.note}")
        if with_recipe:
            self.sig_preset_applied.emit(name)

    def preset(self) -> str:
        """The preset the model still equals, or ''."""
        try:
            config = self.model_config()
        except RnnvizError:
            return ""
        return next((name for name, p in ALL_PRESETS.items() if p.config == config), "")

    def model_config(self) -> ModelConfig:
        """The model as built; a ConfigError says why when it cannot be."""
        embed = self.embed.value() or None
        init = self.init.currentData()
        if self._task == "adding":  # two numbers per step: nothing to embed
            return ModelConfig("adding", self.encoder.spec(), init=init)
        if self._task != "mt":  # a language model, recall, copy
            return ModelConfig(self._task, self.encoder.spec(), embed_size=embed, init=init)  # type: ignore[arg-type]
        return ModelConfig("mt", self.encoder.spec(), self.decoder.spec(), embed, self.bridge.currentData(), init)

    def set_model_config(self, config: ModelConfig) -> None:
        """Show a model (a preset, an opened checkpoint, a restored session)."""
        self._updating = True
        try:
            if config.task != self._task:
                self._task = config.task
                self._fill_presets()
            self._show_task()
            self.encoder.set_spec(config.stack)
            if config.decoder is not None:
                self.decoder.set_spec(config.decoder)
            self.embed.setValue(config.embed_size or 0)
            self.bridge.setCurrentIndex(self.bridge.findData(config.bridge))
            self.init.setCurrentIndex(self.init.findData(config.init))
        finally:
            self._updating = False
        self._changed()

    def set_vocab_sizes(self, task: str, sizes: tuple[int, ...]) -> None:
        """The corpus's vocabulary sizes, for the embedding and output layers' counts."""
        self._vocab_sizes[task] = tuple(int(s) for s in sizes)
        self._changed()

    def vocab_sizes(self) -> tuple[int, ...]:
        return self._vocab_sizes[self._task]

    def anatomy(self) -> ModelAnatomy | None:
        """Shapes and counts of the current model; None while it cannot be built."""
        return self._anatomy

    def error_text(self) -> str:
        return self.error.text()

    def run_label(self) -> str:
        """Names a run in the training view's legend as every view names the model (``core.models.labels``):
        'GRU 1×32', 'GRU 2×32 bi' or 'GRU 2×32 → GRU 2×32'; "model" while the stack is invalid."""
        try:
            config = self.model_config()
        except RnnvizError:
            return "model"
        return model_label(config)

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"task": self._task, "vocab_sizes": {k: list(v) for k, v in self._vocab_sizes.items()}}
        try:
            state["model"] = self.model_config().to_dict()
        except RnnvizError:
            pass
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore what ``state`` saved; anything unreadable is ignored."""
        sizes = state.get("vocab_sizes")
        if isinstance(sizes, dict):
            for task in DEFAULT_PRESET:
                if isinstance(sizes.get(task), list) and all(isinstance(s, int) and s > 0 for s in sizes[task]):
                    self._vocab_sizes[task] = tuple(sizes[task])
        try:
            self.set_model_config(ModelConfig.from_dict(state["model"]))
        except (KeyError, TypeError, ValueError, RnnvizError):
            if state.get("task") in DEFAULT_PRESET:
                self.set_task(state["task"])

    def apply_theme(self, theme: Theme) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(1.0, (self._base_pt if self._base_pt > 0 else 10.0) * theme.font_scale))
        self.setFont(font)
        self.diagram.setFont(font)
        self.diagram.set_colors(theme.foreground, theme.background, theme.line_width / 1.5)
        for editor in (self.encoder, self.decoder):
            editor.refresh()  # the layer table's height follows the new font
        self.cost.fit_columns()
        self._fit_editors()

    def _fit_editors(self) -> None:
        """The editors' column as wide as their widest row at this font (it never scrolls sideways)."""
        scroll = self._editors_scroll
        scroll.setMinimumWidth(self._editors.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())

    # ---- building ----

    def _build(self) -> None:
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        root.addLayout(top)
        self.preset_box = QComboBox()
        self.preset_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset_box.setMinimumContentsLength(12)
        self.preset_box.setToolTip("The book's configurations; editing anything makes the model custom.")
        top.addWidget(QLabel("Preset"))
        top.addWidget(self.preset_box, 1)
        self.embed = RefusingSpinBox("an embedding size")
        self.embed.setRange(*EMBED_SIZE.spin_range())  # 0: one-hot inputs (language models)
        self.embed.setSpecialValueText("one-hot")
        self.embed.setToolTip(EMBED_SIZE.tip("Each token's embedding vector; one-hot feeds the token's index as "
                                             "a vector of the vocabulary's size, as the book's scratch model."))
        self.embed_note = RefusalNote()
        self.embed_note.watch(self.embed)
        self.bridge = QComboBox()
        for value, text in (("auto", "auto"), ("identity", "identity (the book)"), ("linear", "linear, tanh")):
            self.bridge.addItem(text, value)
        self.bridge.setToolTip("How the encoder's final state starts the decoder: as it is (the book), or "
                               "h_dec = tanh(W [h→; h←] + b) per layer, needed when the shapes differ.")
        self.bridge.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.bridge.setMinimumContentsLength(8)
        self.bridge_note = QLabel()
        self.bridge_note.setWordWrap(True)
        self.init = QComboBox()
        for value, text in INIT_CHOICES:
            self.init.addItem(text, value)
        self.init.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.init.setMinimumContentsLength(8)
        # In a scrolling column: a wheel over a control that was not clicked scrolls the column.
        wheel_needs_focus(self.preset_box, self.embed, self.bridge, self.init)
        shared = QGroupBox("Inputs and bridge")
        form = QFormLayout(shared)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Embedding size", self.embed)
        form.addRow(self.embed_note)
        self.bridge_label = QLabel("Bridge")
        form.addRow(self.bridge_label, self.bridge)
        form.addRow(self.bridge_note)
        form.addRow("Initialisation", self.init)

        self.encoder = StackEditor("Stack")
        self.decoder = StackEditor("Decoder", can_be_bidirectional=False, why_not_bidirectional=NO_BIDIRECTIONAL_DECODER)
        editors = QWidget()
        editors_layout = QVBoxLayout(editors)
        editors_layout.setContentsMargins(0, 0, 0, 0)
        # One above the other: the drawing beside them shows encoder and decoder side by side.
        editors_layout.addWidget(self.encoder)
        editors_layout.addWidget(shared)
        editors_layout.addWidget(self.decoder)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020; font-weight: bold;")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        editors_layout.addWidget(self.error)
        editors_layout.addWidget(self.notice)
        editors_layout.addWidget(self.note)
        editors_layout.addStretch(1)
        editors_scroll = QScrollArea()
        editors_scroll.setWidget(editors)
        editors_scroll.setWidgetResizable(True)
        editors_scroll.setFrameShape(QFrame.Shape.NoFrame)
        editors_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._editors, self._editors_scroll = editors, editors_scroll
        self._fit_editors()

        self.diagram = StackDiagram()
        cost = CostArea()  # the layers' table, and the cells compared (builder_cost)
        self.cost_area, self.cost, self.table, self.totals = cost, cost.cost, cost.cost.table, cost.totals
        self.compare = cost.compare
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(editors_scroll)
        top.addWidget(self.diagram)
        top.setStretchFactor(0, 2)
        top.setStretchFactor(1, 3)  # the drawing gets the larger share
        top.setChildrenCollapsible(False)
        # The table under both, as wide as the tab: between the two docks at 1280×720 (about 540 px)
        # it still shows torch's counts without scrolling sideways.
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(cost)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        root.addWidget(split, 1)

        self._fill_presets()
        self.preset_box.activated.connect(lambda index: self.apply_preset(self.preset_box.itemData(index))
                                          if self.preset_box.itemData(index) else None)
        for editor in (self.encoder, self.decoder):
            editor.sig_changed.connect(self._changed)
        self.embed.valueChanged.connect(self._changed)
        self.bridge.currentIndexChanged.connect(self._changed)
        self.init.currentIndexChanged.connect(self._changed)

    def _fill_presets(self, select: str = "") -> None:
        self.preset_box.blockSignals(True)
        self.preset_box.clear()
        self.preset_box.addItem("custom", "")
        for name, preset in ALL_PRESETS.items():
            if preset.config.task == self._task:
                self.preset_box.addItem(f"{preset.title}  [{name}]", name)
        self.preset_box.setCurrentIndex(max(0, self.preset_box.findData(select)))
        self.preset_box.blockSignals(False)

    def _show_task(self) -> None:
        is_mt = self._task == "mt"
        self.encoder.setTitle("Encoder" if is_mt else "Stack")
        self.decoder.setVisible(is_mt)
        self.bridge.setVisible(is_mt)
        self.bridge_label.setVisible(is_mt)
        self.bridge_note.setVisible(is_mt)
        self.embed.setMinimum(1 if is_mt else 0)  # translation embeds words; a language model may use one-hot
        self.embed.setSpecialValueText("" if is_mt else "one-hot")
        self.embed.set_reasons(below="translation embeds words, so an embedding size must be at least 1; "
                                     "0 (one-hot) is for a language model" if is_mt else "")
        self.encoder.bidirectional.setText("bidirectional encoder" if is_mt else "bidirectional")
        self.embed.setEnabled(self._task != "adding")  # the adding problem reads numbers, not symbols

    # ---- reactions ----

    def _changed(self) -> None:
        if self._updating:
            return
        self._show_task()
        notices = [n for n in (self.encoder.notice, self.decoder.notice if self._task == "mt" else "") if n]
        if self._task == "mt":
            notices += self._refuse_impossible_bridge()
        try:
            config = self.model_config()
            self._anatomy = anatomy(config, self._vocab_sizes[self._task])
            self.error.setText("")
        except RnnvizError as exc:
            config, self._anatomy = None, None
            self.error.setText(f"Cannot build this model: {exc}")
        self._explain_init(config)
        if config is not None and config.task == "lm" and config.stack.bidirectional:
            notices.append("A bidirectional language model sees the text after each position in training: low "
                           "perplexity, gibberish generation (the book's cautionary example, section 10.4).")
        self.notice.setText("\n".join(notices))
        self.diagram.set_config(config)
        self._fill_table()
        current = self.preset()
        if self.preset_box.currentData() != current:
            self.preset_box.blockSignals(True)
            self.preset_box.setCurrentIndex(max(0, self.preset_box.findData(current)))
            self.preset_box.blockSignals(False)
        if not current:
            self.note.setText("Custom stack.")
        self.sig_changed.emit()

    def _explain_init(self, config: ModelConfig | None) -> None:
        """The tooltip names what each choice does for the model as it now is."""
        tips = ["How a new model's first weights are drawn (an opened model keeps its own weights)."]
        if config is not None:
            for value, text in INIT_CHOICES:
                tips.append(f"{text}: {describe_init(replace(config, init=value))}")
        self.init.setToolTip("\n\n".join(tips))

    def _refuse_impossible_bridge(self) -> list[str]:
        """Grey out the identity bridge when the encoder's final state cannot start the decoder as it is."""
        try:
            probe = ModelConfig("mt", self.encoder.spec(), self.decoder.spec(), self.embed.value() or 1, "auto")
        except RnnvizError:
            return []
        fits = probe.identity_bridge_fits
        reason = "" if fits else "The identity bridge cannot be used: " + probe.identity_mismatch()
        set_item_enabled(self.bridge, "identity", fits, reason)
        notices = []
        if not fits and self.bridge.currentData() == "identity":
            self.bridge.blockSignals(True)
            self.bridge.setCurrentIndex(self.bridge.findData("linear"))
            self.bridge.blockSignals(False)
            notices.append("Switched the bridge to linear: the encoder's final state no longer fits the decoder "
                           "as it is (" + probe.identity_mismatch() + ")")
        resolved = "identity" if fits and self.bridge.currentData() != "linear" else "linear"
        self.bridge_note.setText("The encoder's final state starts the decoder as it is, layer by layer (the book)."
                                 if resolved == "identity" else
                                 "Per layer, h_dec = tanh(W [h→; h←] + b): a learned map from the encoder's final "
                                 "state to the decoder's." + ("" if fits else " " + reason))
        return notices

    def _fill_table(self) -> None:
        self.cost_area.set_anatomy(self._anatomy)
