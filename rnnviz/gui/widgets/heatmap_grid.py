"""Several ``GateHeatmap`` s in one ``GraphicsLayoutWidget``, time axes linked, mouse reported.

Up to four heatmaps are stacked in one column (the full width for the time
axis); more (the LSTM's six) go in two columns, except in the presentation
theme, where one column keeps the tokens wide enough to label. Hover and click
positions are reported as (gate name, step, row); the panel turns rows into
unit numbers.

No heatmap is squeezed below :func:`min_heatmap_height`: the grid is placed in
a :class:`HeatmapScroll`, which shows fewer at a time and scrolls instead. When
all fit, only the bottom heatmap of each column names the tokens; when they
scroll, each one does (the one on screen must say which column is which).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.gate_heatmap import GateHeatmap

#: The least height of a heatmap's image, in pixels, in the presentation theme: about a pixel a
#: unit of a 128-unit layer, colours that read from the back of a room. Fewer heatmaps are shown
#: at a time, in a scroll area, rather than squeezed below it.
MIN_HEATMAP_HEIGHT = 120
#: The same in the normal theme, on a screen at arm's length.
MIN_HEATMAP_HEIGHT_NORMAL = 72


def min_heatmap_height(theme: Theme) -> int:
    """The least image height of a heatmap in ``theme`` (see :data:`MIN_HEATMAP_HEIGHT`)."""
    return MIN_HEATMAP_HEIGHT if theme.font_scale > 1.2 else MIN_HEATMAP_HEIGHT_NORMAL


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
    #: The token axes label fewer tokens than they show, or all again: carries :meth:`thinning_note`.
    sig_note_changed = Signal(str)

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.heatmaps: dict[str, GateHeatmap] = {}
        self._theme = NORMAL
        self._base_pt = 9.0
        self._hovering = False
        self._items: tuple[HeatmapData, ...] = ()
        self._room = 0  # the height the scroll area shows (0: unknown, as when not in one)
        self._label_each = False  # token labels under every heatmap, not only the bottom ones
        self._note = ""
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
        self._fit()

    def fit_to_height(self, room: int) -> None:
        """The height the enclosing scroll area shows: the grid grows past it (and scrolls) rather
        than squeeze a heatmap below ``min_heatmap_height``."""
        if room != self._room:
            self._room = room
            self._fit()

    def label_each(self) -> bool:
        """Whether every heatmap names the tokens (they do not all fit, and scroll)."""
        return self._label_each

    def thinning_note(self) -> str:
        """What the token axes say when they label fewer tokens than they show ("" when all)."""
        return next((h.token_axis.note() for h in self.heatmaps.values() if h.token_labels_shown), "")

    def clear_heatmaps(self) -> None:
        self._rebuild([])
        self._fit()

    def set_step(self, step: int | None) -> None:
        for heatmap in self.heatmaps.values():
            heatmap.set_step(step)

    def set_unit_row(self, row: int | None) -> None:
        for heatmap in self.heatmaps.values():
            heatmap.set_unit_row(row)

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        relayout = self._columns(len(self._items), theme) != self._columns(len(self._items), self._theme)
        self._theme, self._base_pt = theme, base_pt
        self.setBackground(theme.background)
        if relayout:
            self._rebuild(self._items, keep_data=True)
        for heatmap in self.heatmaps.values():
            heatmap.apply_theme(theme, base_pt)
        self._fit()

    def cell_at(self, scene_pos: QPointF) -> tuple[str, int, int] | None:
        for name, heatmap in self.heatmaps.items():
            cell = heatmap.cell_at(scene_pos)
            if cell is not None:
                return name, cell[0], cell[1]
        return None

    # ---- internals ----

    @staticmethod
    def _columns(count: int, theme: Theme) -> int:
        return 1 if count <= 4 or theme.font_scale > 1.2 else 2

    def _rebuild(self, items: Sequence[HeatmapData], keep_data: bool = False) -> None:
        old = self.heatmaps
        self.ci.clear()
        self.heatmaps = {}
        self._items = tuple(items)
        columns = self._columns(len(items), self._theme)
        first: GateHeatmap | None = None
        for k, item in enumerate(items):
            heatmap = GateHeatmap(item.name, item.title)
            self.ci.addItem(heatmap, row=k // columns, col=k % columns)
            heatmap.apply_theme(self._theme, self._base_pt)
            heatmap.token_axis.sig_note_changed.connect(self._on_note_changed)
            if first is None:
                first = heatmap
            else:
                heatmap.setXLink(first)  # one zoom along time for every gate
            self.heatmaps[item.name] = heatmap
            previous = old.get(item.name)
            if keep_data and previous is not None and previous.values.size:
                heatmap.copy_data(previous)
        self._show_token_labels()

    def _show_token_labels(self) -> None:
        """Tokens under the bottom heatmap of each column only, while all fit: the others keep their
        height for the data, and the time cursor and the token strip say where a column is."""
        columns = self._columns(len(self.heatmaps), self._theme)
        rows = -(-len(self.heatmaps) // columns)
        for k, heatmap in enumerate(self.heatmaps.values()):
            bottom = k // columns == rows - 1 or k + columns >= len(self.heatmaps)
            heatmap.show_token_labels(bottom or self._label_each)
        self._on_note_changed("")

    def _fit(self) -> None:
        """Each heatmap at least ``min_heatmap_height`` tall: the grid's least height, from which the
        scroll area scrolls; token labels under each heatmap when they do not all fit."""
        if not self.heatmaps:
            self.setMinimumHeight(0)
            return
        columns = self._columns(len(self.heatmaps), self._theme)
        rows = -(-len(self.heatmaps) // columns)
        image = min_heatmap_height(self._theme)
        spacing = self.ci.layout.verticalSpacing() if self.ci.layout.verticalSpacing() >= 0 else 4
        margins = 2 * 8  # the layout's and the view's frames
        heatmap = next(iter(self.heatmaps.values()))
        chrome = heatmap.chrome_height(labelled=False)
        labelled = heatmap.chrome_height(labelled=True)
        compact = rows * (image + chrome + spacing) + (labelled - chrome) + margins
        each = self._room > 0 and compact > self._room
        if each != self._label_each:
            self._label_each = each
            self._show_token_labels()
        need = rows * (image + (labelled if each else chrome) + spacing) + (0 if each else labelled - chrome) + margins
        for heatmap in self.heatmaps.values():
            heatmap.setMinimumHeight(image + heatmap.chrome_height(heatmap.token_labels_shown))
        self.setMinimumHeight(int(need))

    def _on_note_changed(self, _note: str) -> None:
        note = self.thinning_note()
        if note != self._note:
            self._note = note
            self.sig_note_changed.emit(note)

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


class HeatmapScroll(QScrollArea):
    """A :class:`HeatmapGrid` that scrolls vertically rather than squeeze its heatmaps."""

    def __init__(self, grid: HeatmapGrid, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = grid
        self.setWidget(grid)
        self.setWidgetResizable(True)  # as tall as the view while the heatmaps fit, taller to scroll
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().resizeEvent(event)
        self.grid.fit_to_height(self.viewport().height())
