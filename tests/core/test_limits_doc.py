"""docs/limits.md cannot drift from the code: its table is the one rnnviz.core.limits writes."""

from __future__ import annotations

import re
from pathlib import Path

from rnnviz.core.limits import LIMITS, markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "limits.md"
START = "<!-- limits table:"
END = "<!-- end of the limits table -->"


def documented_table() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text, f"{DOC} lost the markers around its table"
    body = text.split(START, 1)[1].split("\n", 1)[1]  # after the marker's line
    return body.split(END, 1)[0].strip()


def test_the_documented_table_is_the_codes() -> None:
    assert documented_table() == markdown_table(), (
        "docs/limits.md differs from rnnviz/core/limits.py: replace its table with the output of "
        "`python -m rnnviz.core.limits`")


def test_every_limit_has_one_row_with_its_range() -> None:
    rows = [line for line in documented_table().splitlines()[2:]]
    names = [re.match(r"\| `(\w+)` \|", row).group(1) for row in rows]  # type: ignore[union-attr]
    assert names == list(LIMITS)
    for row, limit in zip(rows, LIMITS.values()):
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert cells[1] == limit.name and cells[2].startswith(limit.range_text()), row
