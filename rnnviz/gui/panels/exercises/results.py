"""What an exercise's run returned, in the Exercises dock: its summary, then a tab per plot, per table, and the text.

The plots are drawn (``plots.PlotView``); the tables are real tables whose cells copy (Ctrl+C, or the
context menu) as tab-separated text that a spreadsheet reads; the last tab holds the whole result
as text (``ExerciseResult.to_text``), the same as ``rnnviz exercises run`` prints.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QFontDatabase, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QLabel, QPlainTextEdit, QTableWidget, QTableWidgetItem,
                               QTabWidget, QVBoxLayout, QWidget)

from rnnviz.gui.panels.exercises.plots import PlotView
from rnnviz.gui.style import NORMAL, Theme

TAB_CHARS = 22  # a tab's title is cut to this many characters (its tooltip has it whole)


def cell_text(value: Any) -> str:
    """A table's value as its cell shows it: counts with thousands separators, other numbers to four digits."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def short(title: str) -> str:
    return title if len(title) <= TAB_CHARS else title[:TAB_CHARS - 1].rstrip() + "…"


class ResultTable(QTableWidget):
    """One ``Table`` record, read-only; the selection copies as tab-separated text."""

    def __init__(self, table: Any, parent: QWidget | None = None) -> None:
        super().__init__(len(table.rows), len(table.columns), parent)
        self.record = table
        self.setHorizontalHeaderLabels(list(table.columns))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        for r, row in enumerate(table.rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(cell_text(value))
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(r, c, item)
        copy = QAction("Copy", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_selection)
        self.addAction(copy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.resizeColumnsToContents()

    def selection_text(self) -> str:
        """The selected cells (all of them when none is selected) as tab-separated lines, with the header."""
        ranges = self.selectedRanges()
        rows = sorted({r for g in ranges for r in range(g.topRow(), g.bottomRow() + 1)}) or list(range(self.rowCount()))
        cols = sorted({c for g in ranges for c in range(g.leftColumn(), g.rightColumn() + 1)}) \
            or list(range(self.columnCount()))
        lines = ["\t".join(self.record.columns[c] for c in cols)]
        for r in rows:
            lines.append("\t".join(self.item(r, c).text() if self.item(r, c) else "" for c in cols))
        return "\n".join(lines)

    def copy_selection(self) -> None:
        QGuiApplication.clipboard().setText(self.selection_text())


class ResultView(QWidget):
    """The summary of the last result, and its plots, tables and text in tabs."""

    def __init__(self, parent: QWidget | None = None, summary_here: bool = True) -> None:
        """``summary_here`` False: the owner lays out ``summary`` itself (the dock puts it with the words, so
        that the plots below get the height)."""
        super().__init__(parent)
        self._theme = NORMAL
        self._base_pt = 10.0
        self.result: Any = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)  # short titles (TAB_CHARS); the bar scrolls
        self.output = QPlainTextEdit()  # everything as text, as the CLI prints it
        self.output.setReadOnly(True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.output.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.plot_views: list[PlotView] = []
        self.tables: list[ResultTable] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if summary_here:
            layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        self.clear()

    def clear(self) -> None:
        self.result = None
        self.summary.clear()
        self.summary.hide()
        self._drop_tabs()
        self.output.clear()
        self.tabs.addTab(self.output, "Text")

    def show_result(self, result: Any) -> None:
        """Show ``result`` (an ExerciseResult): the plots first, then the tables, then the text."""
        self._drop_tabs()
        self.result = result
        self.summary.setText(result.summary + ("  <i>(stopped: what was done before the Stop)</i>"
                                               if result.stopped else ""))
        self.summary.show()
        for plot in result.plots:
            view = PlotView(plot, self._theme, self._base_pt)
            self.plot_views.append(view)
            self._add_tab(view, plot.title, "plot")
        for table in result.tables:
            widget = ResultTable(table)
            self.tables.append(widget)
            self._add_tab(widget, table.title, "table")
        self.output.setPlainText(result.to_text())
        self.tabs.addTab(self.output, "Text")
        self.tabs.setCurrentIndex(0)
        self._fit_tables()

    def tab_titles(self) -> list[str]:
        return [self.tabs.tabToolTip(i) or self.tabs.tabText(i) for i in range(self.tabs.count())]

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        self._theme, self._base_pt = theme, base_pt
        font = QFont(self.font())
        font.setPointSizeF(base_pt * theme.font_scale)
        self.setFont(font)
        self.summary.setFont(font)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setPointSizeF(base_pt * theme.font_scale)
        self.output.setFont(fixed)
        for view in self.plot_views:
            view.apply_theme(theme, base_pt)
        for table in self.tables:
            table.setFont(font)
        self._fit_tables()

    def _add_tab(self, widget: QWidget, title: str, what: str) -> None:
        index = self.tabs.addTab(widget, short(title))
        self.tabs.setTabToolTip(index, f"{title}")
        widget.setAccessibleName(f"{what}: {title}")

    def _fit_tables(self) -> None:
        for table in self.tables:
            table.verticalHeader().setDefaultSectionSize(int(table.fontMetrics().height() * 1.4))
            table.resizeColumnsToContents()

    def _drop_tabs(self) -> None:
        while self.tabs.count():
            widget = self.tabs.widget(0)
            self.tabs.removeTab(0)
            if widget is not self.output:
                widget.deleteLater()
        self.plot_views, self.tables = [], []
