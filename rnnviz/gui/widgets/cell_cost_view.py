"""Compare cells: the RNN, the GRU and the LSTM at one hidden size, by formula and measured here.

The book's exercise 3 of section 10.1. The counts and FLOPs follow the hidden size at once
(``rnnviz.core.costs``, no torch); Measure times torch's fused kernels off the GUI thread
(``gui.concurrency``) for a few seconds, with a Stop, and fills in tokens per second and the
measured time ratios beside the FLOPs ratios.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.costs import DEFAULT_SECONDS, CostTable, cell_costs, format_rate, formula_table
from rnnviz.core.errors import RnnvizError
from rnnviz.core.limits import COST_SECONDS, HIDDEN_SIZE
from rnnviz.gui.concurrency import run_in_background
from rnnviz.gui.widgets.refusal import RefusingDoubleSpinBox, RefusingSpinBox
from rnnviz.gui.widgets.wheel_guard import wheel_needs_focus

#: The table's rows: one quantity each, one column per cell (narrow enough for the Builder between docks).
QUANTITIES = ("parameters", "FLOPs/token, forward", "FLOPs/token, training", "FLOPs ×RNN", "train tokens/s",
              "infer tokens/s", "train time ×RNN", "infer time ×RNN")
_TIPS = ("torch's count: G (d·h + h·h + 2h), G gate blocks (RNN 1, GRU 3, LSTM 4)",
         "2·G·h·(d + h) + 3·G·h + E·h: a multiply-add counts 2, σ and tanh 1, E the elementwise work per unit",
         "≈ 3 × forward: the backward pass computes two products per forward product",
         "the cell's FLOPs over the RNN's, by formula (training's ratio is the same)",
         "tokens per second measured here: forward, backward and an SGD step (torch's fused kernel)",
         "tokens per second measured here: a forward pass without autograd",
         "measured time per token over the RNN's, training", "measured time per token over the RNN's, inference")


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def cost_table_rows(table: CostTable) -> list[tuple[str, ...]]:
    """One row per quantity (QUANTITIES), one column per cell; "—" where nothing was measured."""
    columns = []
    for row in table.rows:
        m = row.measured
        columns.append((f"{row.params:,}", f"{row.flops:,}", f"{row.train_flops:,}", _ratio(table.flops_ratio(row.cell)),
                        format_rate(m.train_tokens_per_s if m else None),
                        format_rate(m.infer_tokens_per_s if m else None),
                        _ratio(table.time_ratio(row.cell, "train")), _ratio(table.time_ratio(row.cell, "infer"))))
    return [tuple(column[k] for column in columns) for k in range(len(QUANTITIES))]


class CellCostView(QWidget):
    """The cells side by side at one hidden size.

    Signals:
        sig_measured: a measurement ended (finished or stopped); carries the CostTable.
    """

    sig_measured = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._running = False
        self._table: CostTable | None = None
        self.hidden = RefusingSpinBox("a hidden size")
        self.hidden.setRange(*HIDDEN_SIZE.spin_range())
        self.hidden.setValue(256)
        self.hidden.setToolTip(HIDDEN_SIZE.tip("Hidden size h of the layer compared; its input has h features "
                                               "too, as a layer inside a stack."))
        self.seconds = RefusingDoubleSpinBox("a measuring time")
        self.seconds.setRange(*COST_SECONDS.spin_range())
        self.seconds.setDecimals(1)
        self.seconds.setValue(DEFAULT_SECONDS)
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip(COST_SECONDS.tip("How long each cell is timed, training and inference together."))
        wheel_needs_focus(self.hidden, self.seconds)
        self.measure_button = QPushButton("Measure")
        self.measure_button.setToolTip("Time the three cells on this machine with torch's fused kernels "
                                       "(a few seconds each); the app stays usable meanwhile.")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        controls = QHBoxLayout()
        for label, widget in (("Hidden size", self.hidden), ("Time per cell", self.seconds)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.measure_button)
        controls.addWidget(self.stop_button)
        controls.addStretch(1)
        self.table = QTableWidget(len(QUANTITIES), 0)
        self.table.setVerticalHeaderLabels(list(QUANTITIES))
        for row, tip in enumerate(_TIPS):
            self.table.verticalHeaderItem(row).setToolTip(tip)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumWidth(120)
        self.formulas = QLabel()
        self.formulas.setWordWrap(True)
        self.formulas.setTextFormat(Qt.TextFormat.PlainText)
        self.formulas.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.formulas)
        self.hidden.valueChanged.connect(self._by_formula)
        self.measure_button.clicked.connect(self.measure)
        self.stop_button.clicked.connect(self.stop)
        self._by_formula()

    # ---- public API ----

    def cost_table(self) -> CostTable | None:
        """What the table shows: by formula, or measured (``measured`` set on its rows)."""
        return self._table

    def cells(self) -> list[str]:
        """The cells' titles, left to right."""
        return [self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount())]

    def quantity(self, name: str) -> list[str]:
        """One row's texts (a name of QUANTITIES), one per cell."""
        r = QUANTITIES.index(name)
        return [self.table.item(r, c).text() for c in range(self.table.columnCount())]

    def is_running(self) -> bool:
        return self._running

    def set_hidden_size(self, hidden: int) -> None:
        """Follow the Builder's model (its first layer's size) while nothing is being measured."""
        if not self._running and HIDDEN_SIZE.contains(hidden):
            self.hidden.setValue(int(hidden))

    def measure(self) -> None:
        """Time the cells off the GUI thread; the table fills in when they are done."""
        if self._running:
            return
        self._stop.clear()
        self._set_running(True)
        hidden, seconds, stop = self.hidden.value(), self.seconds.value(), self._stop
        self.status.setText(f"Measuring the RNN, the GRU and the LSTM at hidden size {hidden:,}, about "
                            f"{3 * seconds:g} s …")

        def work(report: Any) -> CostTable:
            return cell_costs(hidden, seconds=seconds, should_stop=stop.is_set,
                              progress=lambda fraction, text: report(text))

        run_in_background(work, self._done, self._failed, owner=self,
                          progress=lambda text: self.status.setText(f"{str(text).capitalize()} …"))

    def stop(self) -> None:
        """Ask the measurement to stop after the batch it is timing; the cells measured so far stay."""
        if self._running:
            self._stop.set()
            self.status.setText("Stopping …")

    # ---- reactions ----

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.measure_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.hidden.setEnabled(not running)
        self.seconds.setEnabled(not running)

    def _by_formula(self) -> None:
        try:
            self._show(formula_table(self.hidden.value()))
        except RnnvizError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText("Counts and FLOPs by formula; Measure times the cells on this machine.")

    def _done(self, table: CostTable) -> None:
        self._set_running(False)
        self._show(table)
        where = html.escape(table.machine.split(", ")[-1])  # "torch … on the CPU with N threads"
        self.status.setText("Stopped: '—' marks the cells not measured." if table.stopped else
                            f"Measured here ({where}): time ratios beside FLOPs ratios.")
        self.status.setToolTip(table.machine)
        self.sig_measured.emit(table)

    def _failed(self, message: str, details: str) -> None:
        self._set_running(False)
        self.status.setText(f"The measurement failed: {message}")

    def _show(self, table: CostTable) -> None:
        self._table = table
        self.table.setColumnCount(len(table.rows))
        self.table.setHorizontalHeaderLabels([row.title for row in table.rows])
        for r, texts in enumerate(cost_table_rows(table)):
            for c, (text, row) in enumerate(zip(texts, table.rows)):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                # The formula with this size's numbers, where there is one.
                item.setToolTip({0: row.params_formula, 1: f"{row.flops_formula}\nE: {row.elementwise}"}.get(r, text))
                self.table.setItem(r, c, item)
        self.formulas.setText("params = G (d·h + h·h + 2h) · FLOPs = 2·G·h·(d + h) + 3·G·h + E·h, E = 1, 7, 9 · "
                              "training ≈ 3 × forward")
        tip = ["G: gate blocks (RNN 1, GRU 3, LSTM 4); E: the elementwise work per unit. Point at a number for "
               "its formula with this size's numbers."]
        if table.machine:
            tip.append("Measured time ratios differ from the FLOPs ratios: a fused kernel runs a step's gates as one "
                       "product, and at small sizes memory traffic and per-step overhead outweigh arithmetic.")
            tip.append(f"Measured on {table.machine}.")
        self.formulas.setToolTip("\n\n".join(tip))
