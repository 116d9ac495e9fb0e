"""The user's file of an exercise that accepts one: the file dialog's filters, and a CSV's column names.

Only what the dock offers before a run; the run itself reads the file (the exercise's runner) and says
what is wrong with it.
"""

from __future__ import annotations

from pathlib import Path

#: The file dialog's filter per FileInput kind.
FILE_FILTERS = {"csv": "CSV files (*.csv *.txt)", "tsv": "Tab-separated files (*.tsv *.txt)",
                "text": "Text files (*.txt *.md)"}


def csv_header(path: str | Path) -> list[str]:
    """The column names of a CSV's first row, or its column numbers ("1", "2" …) where that row is numbers;
    [] where the file cannot be read (the run then says what is wrong). The core reads the header as the run
    does (delimiter, byte-order mark), so that every name offered is one the run finds."""
    from rnnviz.core.series.data import csv_columns

    return csv_columns(path)
