"""The series' data: the book's noisy sine (d2l 1.0 §9.1) and a column of a user's CSV file, each bad input refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.errors import DataError
from rnnviz.core.series import SeriesBatches, book_series, read_csv_column
from rnnviz.core.series.data import train_windows, windows


def test_the_book_series_is_deterministic_per_seed_and_has_the_books_shape() -> None:
    a, b, c = book_series(0), book_series(0), book_series(1)
    assert np.array_equal(a.values, b.values) and not np.array_equal(a.values, c.values)
    assert a.values.shape == (1000,) and a.time[0] == 1 and a.time[-1] == 1000
    noise = a.values - np.sin(0.01 * a.time)
    assert 0.17 < noise.std() < 0.23 and abs(noise.mean()) < 0.03  # 0.2 × N(0, 1)
    features, labels = windows(a.values, 4)
    assert features.shape == (996, 4) and labels.shape == (996,)
    assert np.array_equal(features[10], a.values[10:14]) and labels[10] == a.values[14]
    assert train_windows(a, 4) == 600


def test_batches_are_normalised_by_the_training_part() -> None:
    series = book_series(0)
    data = SeriesBatches(series, 4, batch_size=16, seed=0)
    seen = data.scaling.apply(series.values[:604])
    assert abs(seen.mean()) < 1e-9 and abs(seen.std() - 1) < 1e-9
    batches = list(data.train_batches(0))
    assert len(batches) == data.num_train_batches() == 38
    assert sum(b[0].shape[0] for b in batches) == 600 and batches[0][0].shape == (16, 4)
    val = list(data.val_batches())
    assert sum(b[1].shape[0] for b in val) == 396
    # Another epoch, another order of the same windows.
    again = list(data.train_batches(1))
    assert not np.array_equal(again[0][1], batches[0][1])
    assert sorted(np.concatenate([b[1] for b in again])) == sorted(np.concatenate([b[1] for b in batches]))


def _csv(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_column_by_name_or_number_in_the_files_units(tmp_path: Path) -> None:
    rows = "\n".join(f"2024-01-{d:02d},{100 + d * 1.5},{d}" for d in range(1, 21))
    path = _csv(tmp_path, "date,Price,count\n" + rows + "\n")
    by_name = read_csv_column(path, "Price")
    assert by_name.name == "Price" and len(by_name) == 20 and by_name.values[0] == 101.5
    assert np.array_equal(read_csv_column(path, "2").values, by_name.values)
    assert np.array_equal(read_csv_column(path, " price ").values, by_name.values)  # case and spaces
    assert read_csv_column(path, 3).values[-1] == 20


def test_semicolons_and_a_file_without_a_header(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a;b\n" + "\n".join(f"{i};{i * 2}" for i in range(10)) + "\n")
    assert read_csv_column(path, "b").values[-1] == 18
    bare = _csv(tmp_path, "\n".join(str(v) for v in range(10)) + "\n", "bare.csv")
    assert read_csv_column(bare, None).values.tolist() == list(range(10))  # the first row is data


@pytest.mark.parametrize("text, column, said", [
    ("", "x", "is empty"),
    ("  \n\n", "x", "is empty"),
    ("date,price\n", "price", "has a header (date, price) but no rows of values"),
    ("date,price\n1,2\n", "cost", "has no column 'cost'; its columns are 'date', 'price'"),
    ("date,price\n1,2\n", "7", "there is no column 7: give a number from 1 to 2"),
    ("date,price\n" + "1,2\n" * 4 + "5,abc\n" + "1,2\n" * 4, "price", "row 6 of"),
    ("date,price\n" + "1,2\n" * 4 + "5,abc\n" + "1,2\n" * 4, "price", "'abc' is not a number"),
    ("d;p\n" + "1;2\n" * 4 + "5;2,5\n", "p", "'2,5' is not a number (use a dot for decimals"),
    ("date,price\n" + "1,2\n" * 3 + "4,\n" + "1,2\n" * 4, "price", "row 5 of"),
    ("date,price\n" + "1,2\n" * 3 + "4,\n" + "1,2\n" * 4, "price", "has no value in column 'price'"),
    ("date,price\n" + "1,2\n" * 3 + "4\n" + "1,2\n" * 4, "price", "has no value in column 'price'"),
    ("date,price\n" + "1,2\n" * 3 + "4,nan\n" + "1,2\n" * 4, "price", "'nan' is not a finite number"),
    ("date,price\n1,2\n2,3\n3,4\n", "price", "3 value(s): too few to make one window"),
    ("a,b\n1,2\n", None, "has 2 columns ('a', 'b'): say which one"),
])
def test_each_bad_file_gets_its_message(tmp_path: Path, text: str, column: str | None, said: str) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(DataError) as caught:
        read_csv_column(path, column)
    assert said in str(caught.value)


def test_too_few_values_names_what_a_window_needs(tmp_path: Path) -> None:
    path = _csv(tmp_path, "v\n" + "\n".join(str(i) for i in range(5)) + "\n")
    with pytest.raises(DataError, match=r"give at least 6 values, or a smaller window"):
        read_csv_column(path, "v")
    assert len(read_csv_column(path, "v", tau=2)) == 5  # a window of 2 fits


def test_an_absurdly_large_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:
        handle.truncate(100_000_001)  # sparse: no disk used
    with pytest.raises(DataError, match=r"too large for a time series: the CSV file must be at most 100,000,000"):
        read_csv_column(path, "x")


def test_missing_folder_binary_and_constant_columns(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no file"):
        read_csv_column(tmp_path / "nothing.csv", "x")
    with pytest.raises(DataError, match="is a folder"):
        read_csv_column(tmp_path, "x")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"v\n\xff\xfe\x00\n")
    with pytest.raises(DataError, match="not UTF-8"):
        read_csv_column(binary, "v")
    flat = read_csv_column(_csv(tmp_path, "v\n" + "3\n" * 20, "flat.csv"), "v")
    with pytest.raises(DataError, match="constant over its training part"):
        SeriesBatches(flat, 4)
