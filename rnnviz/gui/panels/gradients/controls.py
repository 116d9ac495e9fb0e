"""The Gradients tab's controls: what the model reads, which layer and direction to show, the overlays.

:class:`GradientsControls` holds two rows: the input (a text; a translation's source and reference;
a memory task's validation sequence), Compute, Follow training and Export; and the view (part,
layer, direction, the LSTM's memory cell, the other runs to overlay), which presentation mode folds
away behind a :class:`~rnnviz.gui.widgets.fold.FoldButton`. Bad input is said under the input row,
in red, with the field framed (the pattern of ``rnnviz.gui.widgets.refusal``) and, for tokens the
vocabulary lacks, a button that reads them as ``<unk>``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz.gui.widgets.refusal import REFUSED_COLOR

PART_LABELS = {"lm": "language model", "decoder": "decoder", "encoder": "encoder"}


class GradientsControls(QWidget):
    """The input row, the refusal line and the view row (``view_box``, foldable)."""

    #: The user changed the part, layer, direction or the cell toggle: redraw.
    sig_view_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._quiet = False
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addLayout(self._input_row())
        root.addLayout(self._refusal_row())
        self.view_box = QWidget()
        self.view_box.setLayout(self._view_row())
        root.addWidget(self.view_box)
        for signal in (self.part_combo.currentIndexChanged, self.layer_combo.currentIndexChanged,
                       self.direction_combo.currentIndexChanged, self.cell_check.toggled):
            signal.connect(self._on_changed)

    def _input_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.text_label = QLabel("&Text")
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("a text for the model to read, e.g. the girls are not happy")
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setToolTip("The model reads this text; ℓ_s is its loss predicting the token after step s. "
                                  "Enter computes again.")
        self.text_label.setBuddy(self.text_edit)
        self.reference_label = QLabel("&Reference")
        self.reference_edit = QLineEdit()
        self.reference_edit.setPlaceholderText("empty: the model's own greedy translation")
        self.reference_edit.setClearButtonEnabled(True)
        self.reference_edit.setToolTip("The translation the decoder is scored on, word by word (teacher forcing). "
                                       "Left empty, the model's own greedy translation is used, and shown here.")
        self.reference_label.setBuddy(self.reference_edit)
        self.sequence_label = QLabel("Validation &sequence")
        self.sequence_spin = QSpinBox()
        self.sequence_spin.setToolTip("Which validation sequence the model reads (the first is 1); the same "
                                      "sequences every time, drawn from the task's seed.")
        self.sequence_label.setBuddy(self.sequence_spin)
        self.compute_button = QPushButton("Compute")
        self.compute_button.setToolTip("Compute the gradients again (Enter in a text box does the same).")
        self.follow_check = QCheckBox("Follow training")
        self.follow_check.setToolTip("While a model trains, compute again on its latest weights, at most every "
                                     "second or two, without holding up training.")
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_button.setMenu(self.export_menu)
        row.addWidget(self.text_label)
        row.addWidget(self.text_edit, 3)
        row.addWidget(self.reference_label)
        row.addWidget(self.reference_edit, 2)
        row.addWidget(self.sequence_label)
        row.addWidget(self.sequence_spin)
        row.addWidget(self.compute_button)
        row.addWidget(self.follow_check)
        row.addWidget(self.export_button)
        self.set_kind("lm", 0)
        return row

    def _refusal_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.refusal = QLabel()
        self.refusal.setWordWrap(True)
        self.refusal.setTextFormat(Qt.TextFormat.PlainText)
        self.refusal.setStyleSheet(f"color: {REFUSED_COLOR}; font-weight: bold;")
        self.refusal.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.unknown_button = QPushButton("Read them as <unk>")
        self.unknown_button.setToolTip("Compute anyway, with every token the vocabulary lacks read as <unk> "
                                       "(the loss of predicting <unk> says little about the text).")
        row.addWidget(self.refusal, 1)
        row.addWidget(self.unknown_button)
        self.show_refusal("")
        return row

    def _view_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.part_label = QLabel("Part")
        self.part_combo = QComboBox()
        self.part_combo.setToolTip("Translation: the decoder's states for its own losses, or the encoder's states "
                                   "for the decoder's losses (g: the whole target's loss).")
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("Layer 1 reads the input; the map shows the layer chosen, the plot every "
                                    "layer and direction.")
        self.direction_combo = QComboBox()
        self.direction_combo.addItem("forward →", "forward")
        self.direction_combo.addItem("backward ←", "backward")
        self.cell_check = QCheckBox("Memory cell C")
        self.cell_check.setChecked(True)
        self.cell_check.setToolTip("LSTM: draw ‖∂ℓ/∂C_t‖ too (dashed), the gradient through the memory cell, which "
                                   "the forget gate lets through.")
        self.overlays_button = QToolButton()
        self.overlays_button.setText("Other runs")
        self.overlays_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.overlays_menu = QMenu(self.overlays_button)
        self.overlays_button.setMenu(self.overlays_menu)
        self.overlays_button.setToolTip("The g curves of the other models of this window (trained, opened or "
                                        "shipped) on the same input: tick or untick each, or forget them.")
        for label, widget in ((self.part_label, self.part_combo), ("&Layer", self.layer_combo),
                              ("&Direction", self.direction_combo)):
            if isinstance(label, str):
                label = QLabel(label)
            label.setBuddy(widget)
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            row.addWidget(label)
            row.addWidget(widget)
            row.addSpacing(6)
        row.addWidget(self.cell_check)
        row.addSpacing(6)
        row.addWidget(self.overlays_button)
        row.addStretch(1)
        return row

    # ---- what the model reads ----

    def set_kind(self, task: str, sequences: int) -> None:
        """The input fields of a model of ``task``: a text, a source and a reference, or a sequence."""
        memory = task not in ("lm", "mt")
        for widget in (self.text_label, self.text_edit):
            widget.setVisible(not memory)
        for widget in (self.reference_label, self.reference_edit):
            widget.setVisible(task == "mt")
        for widget in (self.sequence_label, self.sequence_spin):
            widget.setVisible(memory)
        self.text_label.setText("&Source" if task == "mt" else "&Text")
        if memory:
            self.sequence_spin.blockSignals(True)
            self.sequence_spin.setRange(1, max(1, sequences))
            self.sequence_spin.setSuffix(f" of {max(1, sequences):,}")
            self.sequence_spin.blockSignals(False)

    def show_refusal(self, message: str, unknown: bool = False, field: QLineEdit | None = None) -> None:
        """Say why the input cannot be read ("" = nothing to say): red, under the input, ``field`` framed."""
        self.refusal.setText(message)
        self.refusal.setVisible(bool(message))
        self.unknown_button.setVisible(bool(message) and unknown)
        for edit in (self.text_edit, self.reference_edit):
            edit.setStyleSheet(f"QLineEdit {{ border: 2px solid {REFUSED_COLOR}; }}"
                               if message and edit is (field or self.text_edit) else "")

    # ---- the view ----

    def set_parts(self, parts: tuple[str, ...], layers: int, bidirectional: bool, lstm: bool) -> None:
        """Parts, layers and directions of a new result; the user's choices kept where they still exist."""
        self._quiet = True
        try:
            part = self.part()
            self.part_combo.clear()
            for name in parts:
                self.part_combo.addItem(PART_LABELS[name], name)
            self.part_combo.setCurrentIndex(max(0, self.part_combo.findData(part)))
            several = len(parts) > 1
            self.part_label.setVisible(several)
            self.part_combo.setVisible(several)
            self.set_layers(layers, bidirectional)
            self.cell_check.setVisible(lstm)
        finally:
            self._quiet = False

    def set_layers(self, layers: int, bidirectional: bool) -> None:
        quiet, self._quiet = self._quiet, True
        try:
            layer = self.layer_combo.currentIndex()
            self.layer_combo.clear()
            for k in range(layers):
                self.layer_combo.addItem(str(k + 1))
            self.layer_combo.setCurrentIndex(min(max(layer, 0), layers - 1) if layers else -1)
            self.direction_combo.setEnabled(bidirectional)
            if not bidirectional:
                self.direction_combo.setCurrentIndex(0)
        finally:
            self._quiet = quiet

    def part(self) -> str:
        return str(self.part_combo.currentData() or "")

    def layer(self) -> int:
        """The layer shown in the map, from 1."""
        return max(0, self.layer_combo.currentIndex()) + 1

    def direction(self) -> str:
        return str(self.direction_combo.currentData() or "forward")

    def summary(self) -> str:
        """The view's choices in a few words, for the folded settings' button."""
        parts = [f"layer {self.layer()}"]
        if self.direction_combo.isEnabled():
            parts.append(self.direction())
        if self.part_combo.count() > 1:
            parts.insert(0, self.part())
        return ", ".join(parts)

    def _on_changed(self) -> None:
        if not self._quiet:
            self.sig_view_changed.emit()
