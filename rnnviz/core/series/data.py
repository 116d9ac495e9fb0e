"""Time series for forecasting: the book's noisy sine and a column of a user's CSV file.

The book's series comes from Dive into Deep Learning 1.0, section 9.1 "Working with Sequences":
x_t = sin(0.01 t) + 0.2 ε_t for t = 1 … T = 1000 (ε standard normal); each example reads the
τ = 4 values before t and predicts x_t, and the first 600 examples train. A user's column is
split the same way: the first 60% of its windows train (the book's 600 of 996), the rest check.

Values are normalised for training by the mean and standard deviation of the part the training
windows read; everything a user sees (forecasts, errors) is in the series' own units.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnviz.core.errors import DataError
from rnnviz.core.limits import SERIES_FILE_BYTES, SERIES_TAU, SERIES_VALUES

# The book's synthetic series (d2l 1.0, section 9.1, class Data): T, noise, tau, num_train, batch size.
BOOK_T = 1000
BOOK_NOISE = 0.2
BOOK_FREQUENCY = 0.01  # sin(0.01 t): one period is about 628 steps
BOOK_TAU = 4
BOOK_NUM_TRAIN = 600
BOOK_BATCH_SIZE = 16
#: The share of a user's windows that train (the book trains on 600 of its 996).
TRAIN_SHARE = 0.6


@dataclass(frozen=True)
class TimeSeries:
    """One series: its values in their own units, their times, and where it came from."""

    name: str  # what plots and tables call it: "sine with noise", "price"
    values: np.ndarray  # (T,) float64
    time: np.ndarray  # (T,) float64: 1 … T, as the book counts
    source: str  # "the book's series (seed 0)" or the file's path
    num_train: int | None = None  # training windows; None: TRAIN_SHARE of them

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64).reshape(-1)  # (T,)
        values.flags.writeable = False
        object.__setattr__(self, "values", values)
        time = np.asarray(self.time, dtype=np.float64).reshape(-1)  # (T,)
        time.flags.writeable = False
        object.__setattr__(self, "time", time)

    def __len__(self) -> int:
        return int(self.values.shape[0])


def book_series(seed: int = 0, length: int = BOOK_T, noise: float = BOOK_NOISE) -> TimeSeries:
    """The book's series, x_t = sin(0.01 t) + noise · N(0, 1) for t = 1 … length; the same for the same seed.

    The noise is drawn by numpy's generator (the book draws it with torch.randn): the same kind of
    series, not the same numbers."""
    time = np.arange(1, length + 1, dtype=np.float64)  # (T,)
    rng = np.random.default_rng(seed)
    values = np.sin(BOOK_FREQUENCY * time) + rng.standard_normal(length) * noise  # (T,)
    num_train = BOOK_NUM_TRAIN if length == BOOK_T else None
    return TimeSeries("sine with noise", values, time, f"the book's series (seed {seed})", num_train)


# ---- a column of a CSV file -------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(f"no file {path}: give the path of a CSV file.") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}.") from None
    if path.is_dir():
        raise DataError(f"{path} is a folder: give the path of a CSV file.")
    if size > SERIES_FILE_BYTES.hi:
        raise DataError(f"{path} is too large for a time series: {SERIES_FILE_BYTES.message(size)}")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(SERIES_FILE_BYTES.hi + 1)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}.") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text (byte {exc.start + 1:,} is not): save it as UTF-8 CSV.") from None


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:20_000], delimiters=",;\t")
    except csv.Error:  # one column, or nothing to tell by: commas
        return csv.excel


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _pick_column(header: list[str], column: str | int, path: Path) -> int:
    """The 0-based index of ``column``: a header name (exact, then ignoring case and spaces) or a 1-based number."""
    names = [h.strip() for h in header]
    listed = ", ".join(repr(n) for n in names)
    wanted = str(column).strip()
    if wanted in names:
        return names.index(wanted)
    folded = [n.casefold() for n in names]
    if wanted.casefold() in folded and folded.count(wanted.casefold()) == 1:
        return folded.index(wanted.casefold())
    if wanted.isdigit():
        number = int(wanted)
        if 1 <= number <= len(names):
            return number - 1
        raise DataError(f"{path} has {len(names)} column(s), so there is no column {number}: give a number from 1 "
                        f"to {len(names)} or a name ({listed}).")
    raise DataError(f"{path} has no column {wanted!r}; its columns are {listed} (give a name or a number from 1 to "
                    f"{len(names)}).")


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every line that is not empty."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                yield reader.line_num, cells
    except csv.Error as exc:
        raise DataError(f"the CSV cannot be read at line {reader.line_num}: {exc}.") from None


def _header(first: list[str]) -> tuple[bool, list[str]]:
    """(whether the first row is a header, the column names): a first row of numbers only is data, its
    columns then named by number from 1."""
    has_header = not all(_number(c.strip()) is not None for c in first)
    return has_header, ([c.strip() for c in first] if has_header else [str(k + 1) for k in range(len(first))])


#: csv_columns reads at most this much of a file: a header and enough rows to tell the delimiter.
HEADER_BYTES = 64 * 1024


def csv_columns(path: str | os.PathLike[str]) -> list[str]:
    """The names :func:`read_csv_column` accepts as ``column`` for ``path``, read as it reads the file (a
    byte-order mark dropped, the delimiter sniffed among , ; and TAB), so that a list of columns offered to
    a user holds only names the run then finds. [] where the file cannot be read (the run says why)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(HEADER_BYTES)
    except OSError:
        return []
    text = raw.decode("utf-8-sig", errors="replace")
    if len(raw) == HEADER_BYTES and "\n" in text:
        text = text[:text.rindex("\n") + 1]  # whole lines only: a cut last row could mislead the sniffer
    try:
        _, first = next(_rows(text))
    except (StopIteration, DataError):
        return []
    return _header(first)[1]


def read_csv_column(path: str | os.PathLike[str], column: str | int | None, *, tau: int = BOOK_TAU,
                    tau_option: str | None = "--tau") -> TimeSeries:
    """One column of a CSV file as a series, in file order; ``column`` is a header name or a 1-based number
    (None: the file's only column).

    The first row is the header; a first row of numbers only is data, its columns then named by
    number. Every cell of the column must be a finite number: a blank or a word is refused with its
    row, never skipped (a gap would join two distant times). ``tau``: the window the series will
    be read in; the column must give at least two windows (one to train, one to check)."""
    path = Path(path)
    SERIES_TAU.check(tau)
    text = _read_text(path)
    if not text.strip():
        raise DataError(f"{path} is empty: a time series needs a header row and then one value per row "
                        "(e.g. 'date,price' then '2024-01-01,101.5').")
    rows = _rows(text)
    _, first = next(rows)
    has_header, header = _header(first)
    if column is None and len(header) > 1:
        raise DataError(f"{path} has {len(header)} columns ({', '.join(repr(h) for h in header)}): say which one "
                        "holds the series, by name or number (--column).")
    index = 0 if column is None else _pick_column(header, column, path)
    name = header[index] if has_header else f"column {index + 1}"
    values: list[float] = []
    lines: list[tuple[int, list[str]]] = [] if has_header else [(1, first)]
    for line, cells in itertools.chain(lines, rows):
        cell = cells[index].strip() if index < len(cells) else ""
        if not cell:
            raise DataError(f"row {line} of {path} has no value in column {name!r}: a series may not have gaps. "
                            "Fill the cell or remove the row.")
        value = _number(cell)
        if value is None or not math.isfinite(value):
            hint = " (use a dot for decimals, and no thousands separators)" if value is None and "," in cell else ""
            what = "not a number" if value is None else "not a finite number"
            raise DataError(f"row {line} of {path}, column {name!r}: {cell!r} is {what}{hint}. Every value of the "
                            "column must be a number.")
        values.append(value)
        if len(values) > SERIES_VALUES.hi:
            raise DataError(f"column {name!r} of {path} is too long: {SERIES_VALUES.message(len(values))}")
    if not values:
        raise DataError(f"{path} has a header ({', '.join(header)}) but no rows of values: add one value per row "
                        "below it.")
    series = TimeSeries(name, np.array(values), np.arange(1, len(values) + 1, dtype=np.float64), str(path))
    check_length(series, tau, tau_option)
    return series


# ---- windows, the split and the normalisation -------------------------------------------------


def check_length(series: TimeSeries, tau: int, tau_option: str | None = "--tau") -> None:
    """A DataError unless ``series`` gives at least two windows of ``tau`` values (one trains, one checks).
    ``tau_option``: how the caller's user sets τ, offered as the other way out; None where τ is fixed (an
    exercise reads the book's τ), so that the message offers no option the user does not have."""
    need = tau + 2
    if len(series) < need:
        other = f", or a smaller window ({tau_option})" if tau_option else ""
        raise DataError(f"{series.name!r} ({series.source}) has {len(series)} value(s): too few to make one window. "
                        f"A window reads τ = {tau} values and predicts the next, and training and checking need a "
                        f"window each: give at least {need} values{other}.")


def num_windows(length: int, tau: int) -> int:
    """How many (τ values, next value) examples a series of ``length`` values gives: T − τ."""
    return max(length - tau, 0)


def train_windows(series: TimeSeries, tau: int) -> int:
    """How many windows train: the series' own ``num_train`` (the book's 600), else TRAIN_SHARE of them; at
    least one, and at least one left to check."""
    windows = num_windows(len(series), tau)
    wanted = series.num_train if series.num_train is not None else round(TRAIN_SHARE * windows)
    return int(min(max(wanted, 1), windows - 1))


def windows(values: np.ndarray, tau: int) -> tuple[np.ndarray, np.ndarray]:
    """The book's features and labels: row i is (x_i … x_{i+τ−1}) and its label x_{i+τ}."""
    count = num_windows(values.shape[0], tau)
    features = np.lib.stride_tricks.sliding_window_view(values, tau)[:count]  # (T − τ, τ)
    return np.ascontiguousarray(features), values[tau:tau + count].copy()  # (T − τ, τ), (T − τ,)


@dataclass(frozen=True)
class Scaling:
    """x' = (x − mean) / std, from the values the training windows read."""

    mean: float
    std: float

    @classmethod
    def fit(cls, series: TimeSeries, tau: int) -> Scaling:
        seen = series.values[:train_windows(series, tau) + tau]  # every value a training window reads
        mean, std = float(np.mean(seen)), float(np.std(seen))
        if not std > 1e-12 * max(1.0, abs(mean)):
            raise DataError(f"{series.name!r} ({series.source}) is constant over its training part (every value "
                            f"{mean:g}): there is nothing to learn. Use a column whose values change.")
        return cls(mean, std)

    def apply(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean) / self.std

    def undo(self, values: np.ndarray) -> np.ndarray:
        return values * self.std + self.mean


class SeriesBatches:
    """The training loop's data (``rnnviz.core.train.Batches``): windows of the normalised series.

    Batches are (features (B, τ), labels (B,)), float32; the training windows come shuffled, a new
    order each epoch from ``seed``, the checking windows in order."""

    def __init__(self, series: TimeSeries, tau: int, batch_size: int = BOOK_BATCH_SIZE, seed: int = 0) -> None:
        check_length(series, tau)
        self.series, self.tau, self.batch_size, self.seed = series, tau, batch_size, seed
        self.scaling = Scaling.fit(series, tau)
        self.num_train = train_windows(series, tau)
        features, labels = windows(self.scaling.apply(series.values), tau)  # (N, τ), (N,)
        self.features = features.astype(np.float32)
        self.labels = labels.astype(np.float32)

    def num_train_batches(self) -> int:
        return math.ceil(self.num_train / self.batch_size)

    def train_batches(self, epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = np.random.default_rng((self.seed, epoch)).permutation(self.num_train)  # (N_train,)
        for start in range(0, self.num_train, self.batch_size):
            rows = order[start:start + self.batch_size]
            yield self.features[rows], self.labels[rows]  # (B, τ), (B,)

    def val_batches(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(self.num_train, self.labels.shape[0], 256):
            yield self.features[start:start + 256], self.labels[start:start + 256]  # (B, τ), (B,)
