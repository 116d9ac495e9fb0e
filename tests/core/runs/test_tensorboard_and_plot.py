"""A run's scalars as TensorBoard event files (read back by TensorBoard itself where it is installed),
and its curves as SVG and PNG."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.errors import DataError
from rnnviz.core.events import EpochEnd, Step
from rnnviz.core.runs import open_run
from rnnviz.core.runs.plot import COLORS, compare_figure, nice_ticks, to_png, to_svg
from rnnviz.core.runs.tensorboard import crc32c, export_scalars, read_scalars


def test_crc32c_matches_the_published_check_values() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value (RFC 3720)
    assert crc32c(b"") == 0 and crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720's 32 bytes of zeros


@pytest.fixture
def exported(tmp_path: Path, record) -> tuple[Path, Path]:
    record(tmp_path / "run", epochs=2)
    path, count = export_scalars(open_run(tmp_path / "run"), tmp_path / "tb")
    assert count > 0 and path.parent == tmp_path / "tb" / "run"
    return tmp_path / "run", path


def test_the_event_file_holds_every_scalar_with_its_step(exported: tuple[Path, Path]) -> None:
    folder, path = exported
    run = open_run(folder)
    scalars = read_scalars(path)
    steps = [e for e in run.events if isinstance(e, Step)]
    losses = [(step, value) for tag, step, value in scalars if tag == "step/loss"]
    assert [s for s, _ in losses] == [e.step for e in steps]
    assert np.allclose([v for _, v in losses], [e.loss for e in steps], rtol=1e-6)  # float32 in the file
    ends = [e for e in run.events if isinstance(e, EpochEnd)]
    assert [s for tag, s, _ in scalars if tag == "epoch/val_perplexity"] == [e.step for e in ends]


def test_a_damaged_event_file_is_refused(exported: tuple[Path, Path]) -> None:
    _, path = exported
    data = bytearray(path.read_bytes())
    data[60] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="CRC|damaged length"):
        read_scalars(path)


def test_tensorboard_reads_the_file(exported: tuple[Path, Path]) -> None:
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    folder, path = exported
    reader = accumulator.EventAccumulator(str(path.parent), size_guidance={accumulator.SCALARS: 0})
    reader.Reload()
    tags = set(reader.Tags()["scalars"])
    assert {"step/loss", "step/grad_norm", "step/lr", "epoch/train_loss", "epoch/val_loss"} <= tags
    ends = [e for e in open_run(folder).events if isinstance(e, EpochEnd)]
    got = reader.Scalars("epoch/val_loss")
    assert [g.step for g in got] == [e.step for e in ends]
    assert np.allclose([g.value for g in got], [e.val_loss for e in ends], rtol=1e-6)


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0, 10) == [0, 2, 4, 6, 8, 10]
    ticks = nice_ticks(1.63, 2.74, 9)
    assert ticks[0] >= 1.63 and ticks[-1] <= 2.74 and len(ticks) >= 4
    assert all(round(t / 0.2, 9) == int(round(t / 0.2)) for t in ticks)


def _png_pixels(data: bytes) -> np.ndarray:
    """(H, W, 3) of an unfiltered 8-bit RGB PNG, the kind ``Canvas.png`` writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    at, idat = 8, b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        if kind == b"IDAT":
            idat += body
        at += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + 3 * width)
    assert not rows[:, 0].any()  # filter type 0 on every row
    return rows[:, 1:].reshape(height, width, 3)


def test_the_figure_draws_each_run_in_its_colour(tmp_path: Path, record) -> None:
    record(tmp_path / "a", epochs=3)
    record(tmp_path / "b", epochs=2)
    figure = compare_figure([open_run(tmp_path / "a"), open_run(tmp_path / "b")])
    assert [s.label for s in figure.series] == ["a val", "a train", "b val", "b train"]
    assert [s.dashed for s in figure.series] == [False, True, False, True]
    assert figure.series[0].xs == (1.0, 2.0, 3.0)
    svg = to_svg(figure)
    assert svg.count("<polyline") == 4 and COLORS[0] in svg and COLORS[1] in svg
    pixels = _png_pixels(to_png(figure))
    for color in COLORS[:2]:
        rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
        assert (pixels == rgb).all(axis=2).sum() > 200  # hundreds of pixels of each run's colour
    assert (pixels == 0).all(axis=2).sum() > 500  # axes and text in black
