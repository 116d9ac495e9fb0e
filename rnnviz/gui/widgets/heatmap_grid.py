"""Several ``GateHeatmap`` s in one ``GraphicsLayoutWidget``, time axes linked, mouse reported.

Up to four heatmaps are stacked in one column (the full width for the time
axis); more (the LSTM's six) go in two columns. Hover and click positions are
reported as (gate name, step, row); the panel turns rows into unit numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.gate_heatmap import GateHeatmap


@dataclass(frozen=True)
class HeatmapData:
    """What one heatmap shows."""

    name: str  # the gate name (the trace's key)
    title: str
    values: np.ndarray  # (T, U)
    bounds: tuple[float, float] | None  # the value range, None when unbounded


class HeatmapGrid(pg.GraphicsLayoutWidget):
    """The gate heatmaps of one layer-direction."""

    #: The mouse is over a cell: (gate name, step, row).
    sig_hovered = Signal(str, int, int)
    #: The mouse left every heatmap.
    sig_left = Signal()
    #: A left click on a cell: (gate name, step, row).
    sig_clicked = Signal(str, int, int)

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.heatmaps: dict[str, GateHeatmap] = {}
        self._theme = NORMAL
        self._base_pt = 9.0
        self._hovering = False
        self.ci.layout.setSpacing(4)
        self.scene().sigMouseMoved.connect(self._on_moved)
        self.scene().sigMouseClicked.connect(self._on_clicked)

    def set_heatmaps(self, items: Sequence[HeatmapData], tokens: Sequence[str], units: Sequence[int]) -> None:
        """Show ``items``; heatmaps are rebuilt only when the gate names change."""
        names = [item.name for item in items]
        if names != list(self.heatmaps):
            self._rebuild(items)
        for item in items:
            self.heatmaps[item.name].set_data(item.values, tokens, units, item.bounds, item.title)

    def clear_heatmaps(self) -> None:
        self._rebuild([])

    def set_step(self, step: int | None) -> None:
        for heatmap in self.heatmaps.values():
            heatmap.set_step(step)

    def set_unit_row(self, row: int | None) -> None:
        for heatmap in self.heatmaps.values():
            heatmap.set_unit_row(row)

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        self._theme, self._base_pt = theme, base_pt
        self.setBackground(theme.background)
        for heatmap in self.heatmaps.values():
            heatmap.apply_theme(theme, base_pt)

    def cell_at(self, scene_pos: QPointF) -> tuple[str, int, int] | None:
        for name, heatmap in self.heatmaps.items():
            cell = heatmap.cell_at(scene_pos)
            if cell is not None:
                return name, cell[0], cell[1]
        return None

    # ---- internals ----

    def _rebuild(self, items: Sequence[HeatmapData]) -> None:
        self.ci.clear()
        self.heatmaps = {}
        columns = 1 if len(items) <= 4 else 2
        first: GateHeatmap | None = None
        rows = -(-len(items) // columns)
        for k, item in enumerate(items):
            heatmap = GateHeatmap(item.name, item.title)
            row = k // columns
            # Tokens under the bottom heatmap of each column only: the others keep their height
            # for the data; the time cursor and the token strip say where a column is.
            bottom = row == rows - 1 or k + columns >= len(items)
            heatmap.token_axis.setStyle(showValues=bottom)
            if not bottom:
                heatmap.token_axis.setHeight(max(4, heatmap.token_axis.style["tickLength"] + 2))
            heatmap.token_labels_shown = bottom
            self.ci.addItem(heatmap, row=row, col=k % columns)
            heatmap.apply_theme(self._theme, self._base_pt)
            if first is None:
                first = heatmap
            else:
                heatmap.setXLink(first)  # one zoom along time for every gate
            self.heatmaps[item.name] = heatmap

    def _on_moved(self, pos: QPointF) -> None:
        cell = self.cell_at(pos)
        if cell is None:
            if self._hovering:
                self._hovering = False
                self.sig_left.emit()
            return
        self._hovering = True
        self.sig_hovered.emit(*cell)

    def _on_clicked(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.scenePos())
        if cell is not None:
            self.sig_clicked.emit(*cell)

    def leaveEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if self._hovering:
            self._hovering = False
            self.sig_left.emit()
        super().leaveEvent(event)
