"""The Gates panel's "Saturation" tab: a longer text to read, and the plot of Karpathy et al. (2015).

:func:`saturation_panels` turns traces into what the plot draws (Qt-free);
:class:`SaturationView` holds the text box, the explanation and the plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from rnnviz.gui.panels.gates.controls import PART_LABELS, gate_title
from rnnviz.gui.style import Theme
from rnnviz.core.introspect.saturation import saturation_fractions
from rnnviz.gui.widgets.saturation_plot import SaturationPanel, SaturationPlot, SaturationSeries

if TYPE_CHECKING:
    from rnnviz.core.introspect import GateTrace


def saturation_panels(trace: GateTrace, source: Sequence[GateTrace], direction: str) -> list[SaturationPanel]:
    """One plot a bounded gate of ``trace``, every layer's units, counted over the steps of ``source``."""
    from rnnviz.core.introspect import VALUE_RANGES

    panels = []
    for name in trace.gate_names:
        bounds = VALUE_RANGES.get(name)
        if bounds is None:
            continue  # unbounded values (memory cell, pre-activation) have no saturation
        series = []
        for layer in range(trace.num_layers):
            try:
                stacked = np.concatenate([t.get(layer, direction, name) for t in source], axis=0)  # (N, H)
            except KeyError:
                continue
            left, right = saturation_fractions(stacked, bounds)
            series.append(SaturationSeries(layer, left, right))
        panels.append(SaturationPanel(name, gate_title(name, trace.cell_variant), bounds, tuple(series)))
    return panels


class SaturationView(QWidget):
    """The saturation text ("" = the probe), a line that says what is counted, and the plot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        layout.addLayout(row)
        label = QLabel("Saturation text")
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText("Empty: the probe. Paste a longer text here for a fuller picture "
                                          "(translation: one sentence a line).")
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.use_button = QPushButton("Use text")
        label.setBuddy(self.text_edit)
        row.addWidget(label, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text_edit, 1)
        row.addWidget(self.use_button, 0, Qt.AlignmentFlag.AlignTop)
        self.info = QLabel()
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.plot = SaturationPlot()
        layout.addWidget(self.plot, 1)

    def show_traces(self, trace: GateTrace, saturation: dict[str, list[GateTrace]] | None, direction: str,
                    selected: tuple[int | None, int | None]) -> None:
        """Plot ``trace``'s part over the saturation text's traces when there are some, else over ``trace``."""
        part = trace.part
        if saturation is not None and saturation.get(part):
            source, what = saturation[part], "the saturation text"
        else:
            source, what = [trace], "the probe"
        self.plot.set_panels(saturation_panels(trace, source, direction))
        self.plot.set_selected(*selected)
        steps = sum(t.num_steps for t in source)
        sentences = f" ({len(source)} sentences)" if len(source) > 1 else ""
        self.info.setText(
            f"Over {steps} steps of {what}{sentences}, {PART_LABELS[part]}, {direction} direction, "
            "every layer: a dot is a unit. Low: in the bottom 10% of its range (σ < 0.1, tanh < −0.8); "
            "high: in the top 10%.")

    def clear(self) -> None:
        self.plot.set_panels(())
        self.info.setText("")

    def apply_theme(self, theme: Theme, base_pt: float, body: QFont) -> None:
        lines = QFontMetricsF(body).lineSpacing()
        self.text_edit.setFixedHeight(int(lines * 3.4 + 12))  # three lines: the plots need the room
        self.plot.apply_theme(theme, base_pt)
