"""The Builder's lower half: the model's per-layer cost table, and the cells compared at one size.

Two tabs: "Layers" (the totals and :class:`~rnnviz.gui.widgets.cost_table.CostTable`, each
layer's shapes and counts) and "Compare cells" (:class:`~rnnviz.gui.widgets.cell_cost_view.
CellCostView`, the RNN, GRU and LSTM by formula and measured, the book's exercise 3 of
section 10.1). The comparison follows the hidden size of the model's first layer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from rnnviz.core.models.anatomy import ModelAnatomy
from rnnviz.gui.widgets.cell_cost_view import CellCostView
from rnnviz.gui.widgets.cost_table import CostTable


class CostArea(QWidget):
    """The totals and per-layer table of the model, beside the cells' comparison."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.cost = CostTable()
        self.compare = CellCostView()
        layers = QWidget()
        layers_layout = QVBoxLayout(layers)
        layers_layout.setContentsMargins(0, 0, 0, 0)
        layers_layout.addWidget(self.totals)
        layers_layout.addWidget(self.cost, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(layers, "Layers")
        self.tabs.addTab(self.compare, "Compare cells")
        self.tabs.setTabToolTip(1, "The RNN, the GRU and the LSTM at one hidden size: parameters and FLOPs per "
                                   "token by formula, training and inference speed measured here.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def set_anatomy(self, info: ModelAnatomy | None) -> None:
        """Show a model's layers and totals (None: it cannot be built); the comparison takes its size."""
        self.cost.set_anatomy(info)
        if info is None:
            self.totals.setText("")
            return
        if info.layers:
            self.compare.set_hidden_size(info.layers[0].directions[0].hidden_size)
        vocab = " and ".join(f"{v:,}" for v in info.vocab_sizes) or "none (two numbers per step)"
        self.totals.setText(f"<b>{info.total_params:,}</b> parameters in torch (two bias vectors per gate block), "
                            f"{info.total_book_params:,} in the book's count (one); vocabulary {vocab}.")
