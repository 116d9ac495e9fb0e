"""The main window. For now it lists the corpora; the panels arrive in later issues."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.data.corpora import availability, list_corpora


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("rnnviz — recurrent networks, as Dive into Deep Learning teaches them")
        self.resize(1100, 700)
        body = QWidget()
        layout = QVBoxLayout(body)
        title = QLabel("<h2>rnnviz</h2><p>Corpora available to train on. The built-in phrasebook "
                       "works offline; the book's data sets download on request "
                       "(<tt>rnnviz data fetch NAME</tt>).</p>")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.corpora_table = self._corpora_table()
        layout.addWidget(self.corpora_table)
        self.setCentralWidget(body)
        self.statusBar().showMessage("Ready")

    def _corpora_table(self) -> QTableWidget:
        corpora = list_corpora()
        headers = ["Name", "Task", "Status", "Size (kB)", "Title", "Provenance"]
        table = QTableWidget(len(corpora), len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        for row, info in enumerate(corpora):
            cells = [info.name, info.task_name, availability(info), f"{info.size_bytes / 1e3:,.0f}",
                     info.title, info.provenance]
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table
