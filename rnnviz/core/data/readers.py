"""Reading user text files safely: every failure is a DataError naming the file.

Checks, in order: the file exists and is a file, is not empty, is not binary,
decodes as UTF-8 (the error gives the line and column of the first bad byte).
"""

from __future__ import annotations

import re
from pathlib import Path

from rnnviz.core.errors import DataError

_UTF8_BOM = b"\xef\xbb\xbf"
# Only real line ends: str.splitlines() also splits on U+2028, U+0085, form feeds...,
# which would cut a sentence in two and make the reported line numbers wrong.
_LINE_END = re.compile(r"\r\n|\r|\n")
_TSV_HELP = (
    "a translation file needs one pair per line: the source sentence, a TAB, "
    "then the target sentence (a third column, as in manythings.org files, is ignored)"
)


def read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DataError(f"{path}: no such file. Check the path and try again.")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a file. Choose a text file inside it.")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path} could not be read ({exc.strerror or exc}). Check its permissions.") from exc


def decode_text(data: bytes, name: str) -> str:
    """Decode bytes as UTF-8 text, refusing empty, binary and non-UTF-8 input."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
    if not data.strip():
        raise DataError(f"{name} is empty: there is no text to learn from. Choose a file with text in it.")
    if b"\x00" in data[:65536]:
        raise DataError(
            f"{name} looks like a binary file, not text (it contains NUL bytes). "
            "Choose a plain-text file; if it is text in UTF-16, save it as UTF-8."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        # Count characters, not bytes, as editors do (all before exc.start is valid UTF-8).
        column = len(data[data.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8")) + 1
        raise DataError(
            f"{name} is not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, "
            f"column {column} is not valid UTF-8. Save the file with the UTF-8 encoding "
            "(most editors offer it in 'Save as') and open it again."
        ) from None


def read_text(path: str | Path) -> str:
    path = Path(path)
    return decode_text(read_bytes(path), str(path))


def parse_pairs(text: str, name: str) -> list[tuple[str, str]]:
    """Parse tab-separated sentence pairs; a line without a tab is an error naming it."""
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise DataError(f"{name}, line {number}: there is no TAB in this line; {_TSV_HELP}.")
        source, target = parts[0].strip(), parts[1].strip()
        if not source or not target:
            side = "source" if not source else "target"
            raise DataError(f"{name}, line {number}: the {side} sentence is empty; {_TSV_HELP}.")
        pairs.append((source, target))
    if not pairs:
        raise DataError(f"{name} has no sentence pairs; {_TSV_HELP}.")
    return pairs


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    path = Path(path)
    return parse_pairs(read_text(path), str(path))
