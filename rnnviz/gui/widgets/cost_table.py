"""The Builder's table: each layer's shape and parameter counts, the book's and torch's, never scrolled sideways.

The counts come first (layer, d → h, book, torch); the formulas and shapes
follow and share what width is left: cut with "…" when they do not fit (the
whole text is in each cell's tooltip, and under the table for the row
selected), hidden from the right when even that leaves too little. So torch's
count is in view at the Builder's width in a 1280×720 window, docks open.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from rnnviz.core.models.anatomy import ModelAnatomy

COST_COLUMNS = ("layer", "d → h", "book", "torch", "book's formula", "torch's formula", "shapes")
_HEADER_TIPS = ("layer and direction (→ forward, ← backward), or a part outside the recurrent layers",
                "input size d → hidden size h", "parameters in the book's count (one bias per gate block)",
                "parameters torch allocates (two biases per gate block: b_ih and b_hh)",
                "the book's count with numbers", "torch's count with numbers", "the shapes of inputs, weights, states")
_NUMBERS = (2, 3)  # right-aligned
_TEXTS = (4, 5, 6)  # share the width left; hidden from the right when it is too little
_ARROWS = {"forward": "→", "backward": "←"}


def cost_rows(info: ModelAnatomy) -> list[tuple[str, ...]]:
    """One row per layer-direction, then the parts outside the recurrent layers, as COST_COLUMNS."""
    rows: list[tuple[str, ...]] = []
    for layer in info.layers:
        part = "layer" if layer.part == "lm" else layer.part
        for direction in layer.directions:
            shapes = "; ".join(f"{k} {v}" for k, v in layer.shapes.items())
            rows.append((f"{part} {layer.index + 1} {_ARROWS.get(direction.direction, direction.direction)}",
                         f"{direction.input_size:,} → {direction.hidden_size:,}", f"{direction.book_params:,}",
                         f"{direction.torch_params:,}", direction.formula, direction.torch_formula, shapes))
    for extra in info.extras:
        rows.append((extra.name, "", f"{extra.params:,}", f"{extra.params:,}", extra.formula, "", extra.shape))
    return rows


class CostTable(QWidget):
    """The table and, under it, the selected row's formulas and shapes in full."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COST_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COST_COLUMNS))
        for column, tip in enumerate(_HEADER_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setWordWrap(False)  # one line a row: a cut text ends in "…"
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setMinimumWidth(120)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        self._rows: list[tuple[str, ...]] = []
        self.table.itemSelectionChanged.connect(self._show_details)

    def set_anatomy(self, info: ModelAnatomy | None) -> None:
        self._rows = cost_rows(info) if info is not None else []
        table = self.table
        table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if c in _NUMBERS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(r, c, item)
        self.fit_columns()
        self._show_details()

    def column(self, name: str) -> list[str]:
        """The texts of one column, top to bottom."""
        index = COST_COLUMNS.index(name)
        return [row[index] for row in self._rows]

    def shown_columns(self) -> list[str]:
        return [name for c, name in enumerate(COST_COLUMNS) if not self.table.isColumnHidden(c)]

    def fit_columns(self) -> None:
        """The counts at their full width; the formulas and shapes share the rest (see the module's doc)."""
        table, header = self.table, self.table.horizontalHeader()
        table.verticalHeader().setDefaultSectionSize(int(table.fontMetrics().height() * 1.5))  # follows the theme
        wanted = [max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(len(COST_COLUMNS))]
        room = self._room() - sum(wanted[c] for c in range(len(COST_COLUMNS)) if c not in _TEXTS)
        # A text column narrower than its header or than a formula's start is no use: hide it instead.
        least = max([table.fontMetrics().horizontalAdvance("3 × (28·32 …")]
                    + [header.sectionSizeHint(c) for c in _TEXTS])
        texts = [c for c in _TEXTS if any(row[c] for row in self._rows)] if self._rows else list(_TEXTS)
        while texts and sum(wanted[c] for c in texts) > room and len(texts) * least > room:
            texts.pop()  # too little room for this one even cut short: hide it (its text is in the details)
        for c in range(len(COST_COLUMNS)):
            table.setColumnHidden(c, c in _TEXTS and c not in texts)
        for c in range(len(COST_COLUMNS)):
            if c not in _TEXTS:
                table.setColumnWidth(c, wanted[c])
        # Left to right, each text column whole while the ones after it keep their least width.
        spare, widths = max(room, 0), {}
        for i, c in enumerate(texts):
            widths[c] = min(wanted[c], max(least, spare - sum(widths.values()) - least * (len(texts) - i - 1)))
        if texts:
            # The widest takes the difference: the columns fill the room exactly, no gap, no scroll bar.
            widest = max(texts, key=lambda c: widths[c])
            widths[widest] = max(widths[widest] + spare - sum(widths.values()), least // 2)
        for c, width in widths.items():
            table.setColumnWidth(c, width)

    def _room(self) -> int:
        """The width the columns may take: the table's, less a vertical scroll bar if the rows will need one."""
        table = self.table
        inside = table.contentsRect()
        rows_high = table.verticalHeader().length() > inside.height() - table.horizontalHeader().height()
        return inside.width() - 2 - (table.verticalScrollBar().sizeHint().width() if rows_high else 0)

    def is_cut(self) -> bool:
        """Some formula or shape is cut short or hidden at this width."""
        table = self.table
        for c in _TEXTS:
            if table.isColumnHidden(c) and any(row[c] for row in self._rows):
                return True
            if not table.isColumnHidden(c) and table.columnWidth(c) < table.sizeHintForColumn(c):
                return True
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.fit_columns()
        self._show_details()

    def _show_details(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and 0 <= rows[0].row() < len(self._rows):
            row = self._rows[rows[0].row()]
            row = tuple(html.escape(text) for text in row)
            parts = [f"<b>{row[0]}</b>", f"book: {row[4]}" if row[4] else "",
                     f"torch: {row[5]}" if row[5] else "", f"shapes: {row[6]}" if row[6] else ""]
            self.details.setText(" · ".join(p for p in parts if p))
        else:
            self.details.setText("Select a row to read its formulas and shapes in full." if self.is_cut() else "")
        self.details.setVisible(bool(self.details.text()))
