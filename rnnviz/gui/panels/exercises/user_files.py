"""The user's file of an exercise that accepts one: the file dialog's filters, and a CSV's column names.

Only what the dock offers before a run; the run itself reads the file (the exercise's runner) and says
what is wrong with it.
"""

from __future__ import annotations

import csv
from pathlib import Path

#: The file dialog's filter per FileInput kind.
FILE_FILTERS = {"csv": "CSV files (*.csv *.txt)", "tsv": "Tab-separated files (*.tsv *.txt)",
                "text": "Text files (*.txt *.md)"}
HEADER_BYTES = 64 * 1024  # read at most this much of a CSV for its header


def csv_header(path: str | Path) -> list[str]:
    """The column names of a CSV's first row, or its column numbers ("1", "2" …) where that row is numbers;
    [] where the file cannot be read (the run then says what is wrong)."""
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            first = f.readline(HEADER_BYTES)
    except OSError:
        return []
    try:
        cells = [c.strip() for c in next(csv.reader([first]))]
    except (csv.Error, StopIteration):
        return []
    if not cells or cells == [""]:
        return []

    def is_number(cell: str) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True

    if all(is_number(c) for c in cells):
        return [str(k + 1) for k in range(len(cells))]
    return cells
