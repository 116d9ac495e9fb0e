"""The runs browser: the runs recorded on this machine, to open, follow, rename or delete.

Lists the runs folder (``runs_home()``, or another folder the user picks) off the GUI thread:
name, task, model, epochs, best validation loss, status and when it was last written. Every
run is kept until the user deletes it (rnnviz never cleans runs up by itself: a lecturer's
prepared runs must be there in class); deleting asks first and removes only rnnviz's files.
The check box turns recording of new runs on or off.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QHeaderView, QInputDialog,
    QLabel, QMessageBox, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from rnnviz.core.errors import RnnvizError
from rnnviz.gui.concurrency import run_in_background

if TYPE_CHECKING:
    from rnnviz.gui.runs.window_runs import WindowRuns

COLUMNS = ("Name", "Task", "Model", "Epochs", "Best val. loss", "Status", "Written")


def list_runs(folder: Path) -> list[Any]:
    """Each run in ``folder`` summarised, newest first (off the GUI thread: it reads every manifest)."""
    from rnnviz.core.runs import find_runs, summarize

    rows = []
    for path in find_runs(folder):
        summary = summarize(path)
        try:
            written = (path / "manifest.json").stat().st_mtime
        except OSError:
            written = 0.0
        rows.append((summary, written))
    rows.sort(key=lambda row: row[1], reverse=True)
    return rows


class RunsBrowser(QDialog):
    """The runs of a folder in a table (see the module doc)."""

    def __init__(self, runs: WindowRuns, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs = runs
        self.setWindowTitle("Runs")
        self.folder = Path(runs_home_text())
        self.rows: list[Any] = []
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.record_check = QCheckBox("Record every training run of this window here")
        self.record_check.setChecked(runs.recording())
        self.record_check.toggled.connect(runs.set_recording)
        keep = QLabel("Runs are kept until you delete them; rnnviz never removes one by itself.")
        keep.setWordWrap(True)
        self.open_button = QPushButton("Open")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        self.folder_button = QPushButton("Another folder…")
        self.open_button.clicked.connect(self.open_selected)
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.folder_button.clicked.connect(self._choose_folder)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.rename_button, self.delete_button, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.where)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.record_check)
        layout.addWidget(keep)
        layout.addLayout(buttons)
        self.resize(900, 420)

    def reload(self) -> None:
        """List the folder's runs again (off the GUI thread)."""
        folder = self.folder
        self.where.setText(f"Runs in {folder} (reading…)")
        run_in_background(lambda: list_runs(folder), lambda rows: self._fill(folder, rows),
                          lambda message, details: self.where.setText(f"Runs in {folder}: {message}"), owner=self)

    def _fill(self, folder: Path, rows: list[Any]) -> None:
        if folder != self.folder:
            return
        self.rows = rows
        self.where.setText(f"Runs in {folder}: {len(rows)}" + ("" if rows else
                           " (train a model in this window, or rnnviz train … --run-dir DIR, to record one)"))
        self.table.setRowCount(len(rows))
        for r, (summary, written) in enumerate(rows):
            best = "—" if summary.best_val is None else f"{summary.best_val:.3f}"
            when = _dt.datetime.fromtimestamp(written).strftime("%Y-%m-%d %H:%M") if written else "?"
            status = summary.status if summary.error is None else f"unreadable: {summary.error}"
            for c, text in enumerate((summary.name, summary.task, summary.model, str(summary.epochs), best, status,
                                      when)):
                item = QTableWidgetItem(text)
                item.setToolTip(str(summary.path) if c == 0 else text)
                if c in (3, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        if rows:
            self.table.selectRow(0)

    def selected(self) -> Path | None:
        row = self.table.currentRow()
        return self.rows[row][0].path if 0 <= row < len(self.rows) else None

    def open_selected(self) -> None:
        path = self.selected()
        if path is not None:
            self.runs.open(str(path))
            self.accept()

    def rename_selected(self) -> None:
        path = self.selected()
        if path is None:
            return
        name, ok = QInputDialog.getText(self, "Rename run", "New name of the run folder:", text=path.name)
        if ok and name.strip() and name.strip() != path.name:
            self.rename(path, name)

    def rename(self, path: Path, name: str) -> Path | None:
        from rnnviz.core.runs import rename_run

        try:
            target = rename_run(path, name)
        except RnnvizError as exc:
            QMessageBox.warning(self, "Cannot rename the run", str(exc))
            return None
        self.reload()
        return target

    def delete_selected(self) -> None:
        path = self.selected()
        if path is None:
            return
        answer = QMessageBox.question(self, "Delete the run", f"Delete the run {path.name} and its weights, for "
                                      f"good?\n\n{path}", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(path)

    def delete(self, path: Path) -> bool:
        from rnnviz.core.runs import delete_run

        if self.runs.source.state is not None and Path(self.runs.source.state.path) == path:
            self.runs.close_run()  # its models are no longer there to scrub
        try:
            left = delete_run(path)
        except RnnvizError as exc:
            QMessageBox.warning(self, "Cannot delete the run", str(exc))
            return False
        if left:
            QMessageBox.information(self, "Run deleted", f"The run was deleted; the folder keeps files rnnviz did "
                                    f"not write: {', '.join(left[:5])}.")
        self.reload()
        return True

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder of runs", str(self.folder))
        if folder:
            self.folder = Path(folder)
            self.reload()


def runs_home_text() -> str:
    from rnnviz.gui.runs.window_runs import runs_folder

    return str(runs_folder())
