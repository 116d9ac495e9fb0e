"""A run's scalars as a TensorBoard event file, written without TensorBoard or TensorFlow.

An event file is a sequence of TFRecords, each framing one serialized ``tensorflow.Event``
protobuf::

    uint64 length (little-endian) | uint32 masked CRC-32C of length | data | uint32 masked CRC-32C of data

The first Event holds ``file_version = "brain.Event:2"``; each following one holds a wall time,
a step and a ``Summary`` with one ``simple_value``. Only those few protobuf fields are needed, so
they are encoded here by hand (``_event``), and the CRC-32C (Castagnoli) with a table. Reading
the file back with TensorBoard's own reader is a test (it skips when TensorBoard is absent);
:func:`read_scalars` is a small reader of the same framing, checking every CRC, for tests and tools.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rnnviz.core.atomic import write_atomically
from rnnviz.core.errors import DataError
from rnnviz.core.events import EpochEnd, Step

if TYPE_CHECKING:
    from rnnviz.core.runs.reader import Run

FILE_VERSION = b"brain.Event:2"


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1  # the Castagnoli polynomial, reflected
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    """TFRecord's mask: rotate right by 15 bits and add a constant, so that CRCs of CRCs differ."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1  # int64 as protobuf writes it: two's complement, 10 bytes for a negative
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _length_delimited(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _event(wall_time: float, step: int, *, tag: str | None = None, value: float = 0.0,
           file_version: bytes | None = None) -> bytes:
    """A serialized Event: wall_time (1, double), step (2, int64), file_version (3) or summary (5)."""
    out = bytearray(_varint(1 << 3 | 1) + struct.pack("<d", wall_time))
    out += _varint(2 << 3 | 0) + _varint(step)
    if file_version is not None:
        out += _length_delimited(3, file_version)
    else:
        assert tag is not None
        # Summary.value (1) -> Summary.Value { tag (1, string), simple_value (2, float) }
        summary_value = _length_delimited(1, tag.encode("utf-8")) + _varint(2 << 3 | 5) + struct.pack("<f", value)
        out += _length_delimited(5, _length_delimited(1, summary_value))
    return bytes(out)


def record(data: bytes) -> bytes:
    """One TFRecord framing ``data``."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


def run_scalars(run: Run) -> Iterator[tuple[str, int, float, float]]:
    """(tag, step, value, seconds since the run started) of every scalar a run's events hold."""
    for event in run.events:
        if isinstance(event, Step):
            yield "step/loss", event.step, event.loss, event.elapsed
            yield "step/grad_norm", event.step, event.grad_norm, event.elapsed
            yield "step/clip_scale", event.step, event.clip_scale, event.elapsed
            yield "step/lr", event.step, event.lr, event.elapsed
        elif isinstance(event, EpochEnd):
            yield "epoch/train_loss", event.step, event.train_loss, event.elapsed
            yield "epoch/train_perplexity", event.step, event.train_perplexity, event.elapsed
            if event.val_loss is not None and event.val_perplexity is not None:
                yield "epoch/val_loss", event.step, event.val_loss, event.elapsed
                yield "epoch/val_perplexity", event.step, event.val_perplexity, event.elapsed
            if event.metric is not None and event.val_metric is not None:
                yield f"epoch/val_{event.metric}", event.step, event.val_metric, event.elapsed
            yield "epoch/epoch", event.step, float(event.epoch), event.elapsed
            yield "epoch/tokens_per_s", event.step, event.tokens_per_s, event.elapsed


def _start_time(run: Run) -> float:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(run.manifest.created).timestamp()
    except ValueError:
        return time.time()


def export_scalars(run: Run, logdir: Path) -> tuple[Path, int]:
    """Write the run's scalars to ``logdir/<run name>/events.out.tfevents.<time>.<host>.rnnviz`` (one
    file, written atomically; an earlier export of the run is replaced). Returns (path, scalars)."""
    folder = logdir / run.name
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder} is a file; give another TensorBoard folder than {logdir}.")
    start = _start_time(run)
    chunks = [record(_event(start, 0, file_version=FILE_VERSION))]
    count = 0
    for tag, step, value, elapsed in run_scalars(run):
        chunks.append(record(_event(start + elapsed, step, tag=tag, value=value)))
        count += 1
    data = b"".join(chunks)
    for old in folder.glob("events.out.tfevents.*.rnnviz") if folder.is_dir() else ():
        try:  # one file per run: TensorBoard would show an earlier export's points twice
            old.unlink()
        except OSError:
            pass
    path = folder / f"events.out.tfevents.{int(start)}.{socket.gethostname()}.rnnviz"
    write_atomically(path, "wb", lambda out: out.write(data), "the TensorBoard event file")
    return path, count


def read_scalars(path: Path) -> list[tuple[str, int, float]]:
    """(tag, step, value) of each scalar of an event file, checking every record's CRCs (DataError)."""
    data = path.read_bytes()
    found: list[tuple[str, int, float]] = []
    at = 0
    while at < len(data):
        if at + 12 > len(data):
            raise DataError(f"{path}: a record is cut short at byte {at}.")
        (length,) = struct.unpack_from("<Q", data, at)
        (length_crc,) = struct.unpack_from("<I", data, at + 8)
        if masked_crc(data[at:at + 8]) != length_crc or at + 16 + length > len(data):
            raise DataError(f"{path}: the record at byte {at} has a damaged length.")
        body = data[at + 12:at + 12 + length]
        (body_crc,) = struct.unpack_from("<I", data, at + 12 + length)
        if masked_crc(body) != body_crc:
            raise DataError(f"{path}: the record at byte {at} does not match its CRC.")
        found.extend(_parse_event(body))
        at += 16 + length
    return found


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    """(field, wire type, value) of a protobuf message: the wire types this file uses."""
    at = 0
    while at < len(data):
        key, at = _read_varint(data, at)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _read_varint(data, at)
            yield field, wire, value
        elif wire == 1:
            yield field, wire, data[at:at + 8]
            at += 8
        elif wire == 2:
            size, at = _read_varint(data, at)
            yield field, wire, data[at:at + size]
            at += size
        elif wire == 5:
            yield field, wire, data[at:at + 4]
            at += 4
        else:
            raise DataError(f"an event record uses protobuf wire type {wire}, which rnnviz does not write.")


def _parse_event(body: bytes) -> list[tuple[str, int, float]]:
    step, values = 0, []
    for field, _, value in _fields(body):
        if field == 2:
            step = int(value)  # type: ignore[arg-type]
        elif field == 5:
            for _, _, summary_value in _fields(value):  # type: ignore[arg-type]
                tag, number = "", 0.0
                for inner, _, item in _fields(summary_value):  # type: ignore[arg-type]
                    if inner == 1:
                        tag = bytes(item).decode("utf-8")  # type: ignore[arg-type]
                    elif inner == 2:
                        (number,) = struct.unpack("<f", item)  # type: ignore[arg-type]
                values.append((tag, number))
    return [(tag, step, number) for tag, number in values]
