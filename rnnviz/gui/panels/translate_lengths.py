"""The Translate tab's "BLEU by source length" (the book's exercise 2 of section 10.7).

A button translates the model's validation pairs greedily off the GUI thread
(:func:`rnnviz.core.decoding.by_length.bleu_by_length`) and shows, per source
length, how many pairs, their mean BLEU (k = 2) and the exact translations, as a
table beside a bar chart. A newer model makes an older answer stale: it is not shown.

Public API: ``sig_computed(object)`` (a BleuByLength is shown), ``set_bundle(bundle)``,
``compute()``, ``result()``, ``is_busy()``, ``message()``, ``apply_theme(theme, base_pt)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
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

from rnnviz.gui.concurrency import run_in_background
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.plain_axis import plain_numbers

if TYPE_CHECKING:
    from rnnviz.core.decoding.by_length import BleuByLength
    from rnnviz.core.models.factory import ModelBundle

COLUMNS = ("source words", "pairs", "mean BLEU", "exact")


def _compute(bundle: Any, report: Any) -> BleuByLength:
    from rnnviz.core.decoding.by_length import bleu_by_length, validation_pairs

    pairs = validation_pairs(bundle)
    return bleu_by_length(bundle, pairs, progress=lambda done, total: report((done, total)))


def y_top(values: list[float]) -> float:
    """The top of the BLEU axis: a fifth above the highest bar, at least 0.05, at most 1."""
    return min(1.0, max(0.05, 1.2 * max(values, default=0.0)))


class BleuByLengthBox(QWidget):
    """A button, then a table and bars of BLEU per source length."""

    #: A result is shown; carries the core's BleuByLength.
    sig_computed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bundle: ModelBundle | None = None
        self._result: BleuByLength | None = None
        self._request = 0  # the newest request's number: older answers are dropped
        self._busy = False
        self.button = QPushButton("BLEU by source length")
        self.button.setToolTip("Translate the model's validation pairs greedily and show the book's BLEU (k = 2) "
                               "by the number of source words (exercise 2 of section 10.7).")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.plot = pg.PlotWidget()
        self.plot.setMouseEnabled(False, False)
        self.bars: pg.BarGraphItem | None = None
        for widget in (self.table, self.plot):
            widget.setMaximumHeight(200)
            widget.setVisible(False)
        top = QHBoxLayout()
        top.addWidget(self.button)
        top.addWidget(self.status, 1)
        shown = QHBoxLayout()
        shown.addWidget(self.table, 1)
        shown.addWidget(self.plot, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(shown)
        self.button.clicked.connect(self.compute)
        self._theme = NORMAL
        self.apply_theme(NORMAL, self.font().pointSizeF())
        self.set_bundle(None)

    def set_bundle(self, bundle: ModelBundle | None) -> None:
        """The model to measure (a translation model; others disable the button); an earlier result is cleared."""
        self._bundle = bundle if bundle is not None and bundle.task == "mt" else None
        self._request += 1
        self._busy = False
        self._result = None
        self.button.setEnabled(self._bundle is not None)
        self.status.setText("")
        self.table.setRowCount(0)
        for widget in (self.table, self.plot):
            widget.setVisible(False)

    def compute(self) -> None:
        bundle = self._bundle
        if bundle is None:
            return
        self._request += 1
        request = self._request
        self._busy = True
        self.button.setEnabled(False)
        self.status.setText("Translating the validation pairs…")

        def done(result: BleuByLength) -> None:
            if request == self._request:
                self._show(result)

        def failed(message: str, _details: str) -> None:
            if request == self._request:
                self._busy = False
                self.button.setEnabled(True)
                self.status.setText(message)

        def progress(value: tuple[int, int]) -> None:
            if request == self._request:
                self.status.setText(f"Translating the validation pairs… {value[0]:,} of {value[1]:,}")

        run_in_background(lambda report: _compute(bundle, report), done, failed, owner=self, progress=progress)

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        """The chart in ``theme``: its background, axes, type and the bars' colour."""
        self._theme = theme
        self.plot.setBackground(theme.background)
        font = QFont()
        font.setPointSizeF(base_pt * theme.font_scale)
        style = {"font-size": f"{base_pt * theme.font_scale:.1f}pt", "color": theme.foreground}
        for name, text in (("left", "mean BLEU"), ("bottom", "source words")):
            axis = self.plot.getAxis(name)
            axis.setTickFont(font)
            axis.setPen(pg.mkPen(theme.foreground))
            axis.setTextPen(pg.mkPen(theme.foreground))
            axis.setLabel(text, **style)
            plain_numbers(axis)  # a label set again brings the SI prefix back
        if self.bars is not None:
            self.bars.setOpts(brush=theme.color(0))

    def result(self) -> BleuByLength | None:
        return self._result

    def is_busy(self) -> bool:
        return self._busy

    def message(self) -> str:
        return self.status.text()

    def _show(self, result: BleuByLength) -> None:
        self._busy = False
        self._result = result
        self.button.setEnabled(True)
        exact = sum(b.exact for b in result.buckets)
        self.status.setText(f"{len(result.pairs):,} validation pairs, greedy: mean BLEU {result.mean_bleu:.3f}, "
                            f"{exact:,} exactly right.")
        self.table.setRowCount(len(result.buckets))
        for row, values in enumerate(result.rows()):
            for column, value in enumerate(values):
                text = f"{value:.3f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) \
                    else str(value)
                self.table.setItem(row, column, QTableWidgetItem(text))
        if self.bars is not None:
            self.plot.removeItem(self.bars)
        x = np.arange(len(result.buckets), dtype=float)
        self.bars = pg.BarGraphItem(x=x, height=[b.mean_bleu for b in result.buckets], width=0.7,
                                    brush=self._theme.color(0))
        self.plot.addItem(self.bars)
        self.plot.getAxis("bottom").setTicks([[(float(i), b.label) for i, b in enumerate(result.buckets)]])
        # Scaled to the bars (BLEU lies in 0 … 1): a small model's 0.04 on a 0 … 1 axis was a sliver.
        self.plot.setYRange(0.0, y_top([b.mean_bleu for b in result.buckets]), padding=0.0)
        for widget in (self.table, self.plot):
            widget.setVisible(True)
        self.sig_computed.emit(result)
