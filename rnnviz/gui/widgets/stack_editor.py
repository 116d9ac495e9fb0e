"""Editing one recurrent stack: cell, layers with their hidden sizes, directions, dropout, implementation.

Choices that cannot work are refused at the control itself, with the reason
next to it: a bidirectional decoder, a hidden size below 1, the fused
implementation for a stack torch has no kernel for.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.config import CELL_VARIANTS, StackSpec
from rnnviz.core.errors import ConfigError
from rnnviz.core.limits import DROPOUT, HIDDEN_SIZE, NUM_LAYERS
from rnnviz.gui.widgets.refusal import RefusalNote, RefusingDoubleSpinBox, RefusingSpinBox
from rnnviz.gui.widgets.wheel_guard import wheel_needs_focus

CELL_NAMES = {"rnn": "RNN (tanh)", "gru": "GRU, torch variant", "gru-book": "GRU, book variant",
              "gru-reset": "GRU, reset gate only", "gru-update": "GRU, update gate only", "lstm": "LSTM"}
MAX_LAYERS = int(NUM_LAYERS.app_hi or NUM_LAYERS.hi)  # the app offers fewer layers than the CLI accepts
MAX_HIDDEN = int(HIDDEN_SIZE.hi)
HIDDEN_TIP = "Hidden units of this layer and direction; a hidden size must be at least 1."


def set_item_enabled(combo: QComboBox, data: str, enabled: bool, reason: str = "") -> None:
    """Grey out one entry of a combo box, with the reason as its tooltip."""
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    item = model.item(combo.findData(data))
    item.setEnabled(enabled)
    item.setToolTip("" if enabled else reason)


class StackEditor(QGroupBox):
    """Edits a :class:`StackSpec`.

    ``can_be_bidirectional`` False (a decoder) disables the direction choice
    and says why. Signals:
        sig_changed: the stack changed (``spec()`` gives it).
    """

    sig_changed = Signal()

    def __init__(self, title: str, can_be_bidirectional: bool = True, why_not_bidirectional: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self._updating = False
        self.notice = ""  # the latest change the editor made by itself, and why
        self.cell = QComboBox()
        for cell, name in CELL_NAMES.items():
            self.cell.addItem(name, cell)
            self.cell.setItemData(self.cell.count() - 1, CELL_VARIANTS[cell], Qt.ItemDataRole.ToolTipRole)
        self.implementation = QComboBox()
        for value, text in (("auto", "auto"), ("fused", "fused (torch kernels)"), ("scratch", "scratch (book's equations)")):
            self.implementation.addItem(text, value)
        self.implementation.setToolTip("fused: torch's kernels, fast. scratch: the book's equations in Python "
                                       "loops, slower (compare tokens/s). auto: fused when torch has the kernel.")
        self.bidirectional = QCheckBox("bidirectional")
        self.direction_note = QLabel(why_not_bidirectional)
        self.direction_note.setWordWrap(True)
        self.direction_note.setVisible(not can_be_bidirectional)
        if not can_be_bidirectional:
            self.bidirectional.setEnabled(False)
            self.bidirectional.setToolTip(why_not_bidirectional)
        self.dropout = RefusingDoubleSpinBox("dropout")
        self.dropout.set_reasons(above="dropout can be at most 0.95: at 1 a layer would pass nothing on")
        self.dropout.setRange(*DROPOUT.spin_range())
        self.dropout.setDecimals(2)
        self.dropout.setSingleStep(0.05)
        self.dropout.setToolTip("Dropout on each layer's output but the last's, while training (as torch applies it).")
        self.layers = QTableWidget(0, 2)
        self.layers.setHorizontalHeaderLabels(["→ hidden", "← hidden"])
        self.layers.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.layers.setToolTip("One row per layer, layer 1 at the top of the table (the bottom of the stack).")
        self.add_button = QPushButton("Add layer")
        self.remove_button = QPushButton("Remove layer")
        self.variant = QLabel()
        self.variant.setWordWrap(True)
        # Why a typed value was refused, under the control that refused it.
        self.dropout_note = RefusalNote()
        self.dropout_note.watch(self.dropout)
        self.layers_note = RefusalNote()
        # Narrow enough for the Builder between both docks; the cell's name whole ("GRU, torch variant").
        for combo, chars in ((self.cell, 18), (self.implementation, 12)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(chars)
        wheel_needs_focus(self.cell, self.implementation, self.dropout)

        form = QFormLayout()
        form.addRow("Cell", self.cell)
        form.addRow("Implementation", self.implementation)
        form.addRow("", self.bidirectional)
        form.addRow(self.direction_note)
        form.addRow("Dropout between layers", self.dropout)
        form.addRow(self.dropout_note)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow tab: labels above their fields
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Layers (hidden units per direction):"))
        layout.addWidget(self.layers)
        layout.addWidget(self.layers_note)
        layout.addLayout(buttons)
        layout.addWidget(self.variant)

        self.cell.currentIndexChanged.connect(self._changed)
        self.implementation.currentIndexChanged.connect(self._changed)
        self.bidirectional.toggled.connect(self._changed)
        self.dropout.valueChanged.connect(self._changed)
        self.add_button.clicked.connect(self.add_layer)
        self.remove_button.clicked.connect(self.remove_layer)
        self.set_spec(StackSpec())

    # ---- public API ----

    def spec(self) -> StackSpec:
        """The stack as shown; a ConfigError says why when it cannot be built."""
        forward = tuple(self._spin(row, 0).value() for row in range(self.layers.rowCount()))
        bidirectional = self.bidirectional.isChecked()
        backward = tuple(self._spin(row, 1).value() for row in range(self.layers.rowCount())) if bidirectional else None
        return StackSpec(self.cell.currentData(), forward, bidirectional, self.dropout.value(),
                         self.implementation.currentData(), backward_sizes=backward)

    def set_spec(self, spec: StackSpec) -> None:
        self._updating = True
        try:
            self.cell.setCurrentIndex(self.cell.findData(spec.cell))
            self.bidirectional.setChecked(spec.bidirectional and self.bidirectional.isEnabled())
            self.dropout.setValue(spec.dropout)
            self.layers.setRowCount(0)
            for layer in range(spec.num_layers):
                sizes = spec.direction_sizes(layer)
                self._append_row(sizes[0], sizes[-1])
            self.refresh()  # enables every entry the new stack allows
            self.implementation.setCurrentIndex(self.implementation.findData(spec.implementation))
        finally:
            self._updating = False
        self._changed()

    def add_layer(self) -> None:
        """A new top layer, the size of the current top one."""
        if self.layers.rowCount() >= MAX_LAYERS:
            return
        top = self.layers.rowCount() - 1
        self._append_row(self._spin(top, 0).value(), self._spin(top, 1).value())
        self._changed()

    def remove_layer(self) -> None:
        if self.layers.rowCount() > 1:
            self.layers.removeRow(self.layers.rowCount() - 1)
            self._changed()

    def set_hidden(self, size: int) -> None:
        """Every layer and direction to ``size``."""
        self._updating = True
        try:
            for row in range(self.layers.rowCount()):
                for column in (0, 1):
                    self._spin(row, column).setValue(size)
        finally:
            self._updating = False
        self._changed()

    def hidden_spin(self, layer: int, direction: int = 0) -> RefusingSpinBox:
        """The spin box of one layer (0-based) and direction (0 forward, 1 backward)."""
        return self._spin(layer, direction)

    # ---- internals ----

    def _spin(self, row: int, column: int) -> RefusingSpinBox:
        widget = self.layers.cellWidget(row, column)
        assert isinstance(widget, RefusingSpinBox)
        return widget

    def _append_row(self, forward: int, backward: int) -> None:
        row = self.layers.rowCount()
        self.layers.insertRow(row)
        self.layers.setVerticalHeaderItem(row, None)
        for column, value in enumerate((forward, backward)):
            spin = RefusingSpinBox("a hidden size")
            spin.setRange(1, MAX_HIDDEN)  # 0 is refused here, and the note under the table says why
            spin.setValue(value)
            spin.setToolTip(HIDDEN_TIP)
            spin.setAccelerated(True)
            spin.valueChanged.connect(self._changed)
            self.layers_note.watch(spin, f"layer {row + 1} {'→←'[column]}")
            wheel_needs_focus(spin)
            self.layers.setCellWidget(row, column, spin)
        self.layers.setVerticalHeaderLabels([f"layer {i + 1}" for i in range(self.layers.rowCount())])

    def refresh(self) -> None:
        """Enable what the stack allows, refuse the rest, size the layer table to its rows."""
        bidirectional = self.bidirectional.isChecked()
        rows = self.layers.rowCount()
        for row in range(rows):
            self._spin(row, 1).setEnabled(bidirectional)
        self.layers.setColumnHidden(1, not bidirectional)
        self.add_button.setEnabled(rows < MAX_LAYERS)
        self.remove_button.setEnabled(rows > 1)
        self.dropout.setEnabled(rows > 1)
        self.dropout.setToolTip("Dropout on each layer's output but the last's, while training." if rows > 1
                                else "Dropout acts between layers: add a layer to use it.")
        row_height = self.layers.verticalHeader().defaultSectionSize()
        self.layers.setFixedHeight(self.layers.horizontalHeader().height() + row_height * min(max(rows, 2), 5) + 4)
        # The fused entry is refused when torch has no kernel for this stack.
        try:
            probe = StackSpec(self.cell.currentData(), tuple(self._spin(r, 0).value() for r in range(rows)),
                              bidirectional, 0.0, "auto",
                              backward_sizes=tuple(self._spin(r, 1).value() for r in range(rows)) if bidirectional else None)
            fusable, reason = probe.fusable, (probe.why_not_fused() if not probe.fusable else "")
        except ConfigError as exc:
            fusable, reason = False, str(exc)
        set_item_enabled(self.implementation, "fused", fusable, reason)
        if not fusable and self.implementation.currentData() == "fused":
            self.implementation.setCurrentIndex(self.implementation.findData("scratch"))
            self.notice = f"Switched to the scratch implementation: {reason}"

    def _changed(self) -> None:
        if self._updating:
            return
        self._updating = True
        try:
            self.notice = ""
            self.refresh()
            try:
                spec = self.spec()
                where = "torch's fused kernels" if spec.resolved_implementation == "fused" else "the scratch equations"
                self.variant.setText(f"{CELL_VARIANTS[spec.cell]}; runs on {where}.")
            except ConfigError:
                self.variant.setText(CELL_VARIANTS[self.cell.currentData()])
        finally:
            self._updating = False
        self.sig_changed.emit()
