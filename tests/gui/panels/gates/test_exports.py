"""The Gates panel's exports: NPZ, CSV, PNG and SVG; a failed export keeps the previous file."""

from __future__ import annotations

import csv
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.data.datasets import MtData
from rnnviz.core.data.vocab import BOS
from rnnviz.core.errors import RnnvizError
from rnnviz.core.introspect import CSV_HEADER, GATE_NAMES
from rnnviz.core.introspect import records as introspect  # _csv_rows, to break
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.gui.panels.gates import GatesPanel
from rnnviz.gui.widgets import image_export
from tests.gui.panels.gates.helpers import PROBE, traced


def test_exports_write_npz_csv_png_and_svg(panel: GatesPanel, gru_lm: ModelBundle, tmp_path: Path) -> None:
    traced(panel, gru_lm)
    trace = panel.trace()
    (npz,) = panel.export_npz(tmp_path / "gates.npz")
    with np.load(npz, allow_pickle=False) as data:
        assert str(data["format"]) == "rnnviz-gate-trace" and str(data["cell_variant"]) == "gru"
        assert tuple(data["tokens"]) == trace.tokens
        for name in GATE_NAMES["gru"]:
            np.testing.assert_array_equal(data[f"0/forward/{name}"], trace.get(0, "forward", name))
        assert data["0/forward/weight_ih"].shape == (18, trace.directions[0].input_size)
        assert data["0/forward/weight_hh"].shape == (18, 6)
    csv_path = panel.export_csv(tmp_path / "gates.csv")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_HEADER and len(rows) == 1 + 4 * len(PROBE) * 6
    assert rows[1][:7] == ["lm", "0", "forward", "reset", "0", "t", "0"]
    png = panel.export_image(tmp_path / "gates.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = panel.export_image(tmp_path / "gates.svg")
    assert "<svg" in svg.read_text(encoding="utf-8")
    panel.tabs.setCurrentWidget(panel.saturation_tab)
    assert panel.export_image(tmp_path / "saturation.png").stat().st_size > 1000
    with pytest.raises(RnnvizError, match=r"\.png or \.svg"):
        panel.export_image(tmp_path / "gates.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gates.csv", "gates.npz", "gates.png", "gates.svg",
                                                         "saturation.png"]


def test_a_translation_exports_one_npz_per_part(panel: GatesPanel, mt_data: MtData, tmp_path: Path) -> None:
    bundle = bundle_for(mt_data, ModelConfig(task="mt", stack=StackSpec("gru", (4,)), decoder=StackSpec("gru", (4,)),
                                             embed_size=4))
    traced(panel, bundle, "go .")
    paths = panel.export_npz(tmp_path / "t.npz")
    assert [p.name for p in paths] == ["t.encoder.npz", "t.decoder.npz"]
    with np.load(paths[1], allow_pickle=False) as data:
        assert str(data["part"]) == "decoder" and str(data["tokens"][0]) == BOS
    rows = list(csv.reader(panel.export_csv(tmp_path / "t.csv").open(encoding="utf-8")))
    assert {r[0] for r in rows[1:]} == {"encoder", "decoder"}


def test_every_export_is_an_ordinary_file(panel: GatesPanel, mt_data: MtData, tmp_path: Path) -> None:
    bundle = bundle_for(mt_data, ModelConfig(task="mt", stack=StackSpec("gru", (4,)), decoder=StackSpec("gru", (4,)),
                                             embed_size=4))
    traced(panel, bundle, "go .")
    old = os.umask(0o022)
    try:
        written = [*panel.export_npz(tmp_path / "t.npz"), panel.export_csv(tmp_path / "t.csv"),
                   panel.export_image(tmp_path / "t.png"), panel.export_image(tmp_path / "t.svg")]
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in written] == [0o644] * 5  # not private (0600)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_a_translation_npz_export_is_both_parts_or_neither(panel: GatesPanel, mt_data: MtData, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = bundle_for(mt_data, ModelConfig(task="mt", stack=StackSpec("gru", (4,)), decoder=StackSpec("gru", (4,)),
                                             embed_size=4))
    traced(panel, bundle, "go .")
    encoder, decoder = tmp_path / "t.encoder.npz", tmp_path / "t.decoder.npz"
    encoder.write_bytes(b"the old encoder")
    decoder.write_bytes(b"the old decoder")
    savez, calls = np.savez, []

    def second_fails(*args, **kwargs):  # the encoder's file is written, the decoder's hits a full disk
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        savez(*args, **kwargs)

    monkeypatch.setattr(np, "savez", second_fails)
    with pytest.raises(RnnvizError, match=re.escape(f"to {decoder}: the disk is full")):
        panel.export_npz(tmp_path / "t.npz")
    assert len(calls) == 2
    assert encoder.read_bytes() == b"the old encoder" and decoder.read_bytes() == b"the old decoder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.decoder.npz", "t.encoder.npz"]


def test_failed_exports_keep_the_previous_file(panel: GatesPanel, gru_lm: ModelBundle, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    traced(panel, gru_lm)
    folder = tmp_path / "a folder.png"
    folder.mkdir()
    for export in (panel.export_npz, panel.export_csv, panel.export_image):
        with pytest.raises(RnnvizError, match=re.escape(f"'{folder}' is a folder")):
            export(folder)
        assert folder.is_dir() and not any(folder.iterdir())
        missing = tmp_path / "gone" / "gates.png"
        with pytest.raises(RnnvizError, match=re.escape(f"the folder {missing.parent} does not exist")):
            export(missing)
        assert not missing.parent.exists()  # refused, not created
    good = {name: tmp_path / name for name in ("old.npz", "old.csv", "old.png")}
    for path in good.values():
        path.write_bytes(b"the good export")

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", no_space)
    with pytest.raises(RnnvizError, match="No space left") as failure:
        panel.export_npz(good["old.npz"])
    assert f"to {good['old.npz']}: the disk is full" in str(failure.value)

    def half_written(trace):
        yield ("lm", 0, "forward", "reset", 0, "t", 0, "0.5")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(introspect, "_csv_rows", half_written)
    with pytest.raises(RnnvizError, match="No space left") as failure:
        panel.export_csv(good["old.csv"])
    assert f"to {good['old.csv']}: the disk is full" in str(failure.value)

    class BrokenExporter:
        def __init__(self, item) -> None:
            pass

        def parameters(self) -> dict:
            return {"width": 100}

        def export(self, toBytes: bool = False):  # noqa: N803 (pyqtgraph's name)
            raise Exception("the scene vanished")

    monkeypatch.setattr(image_export, "ImageExporter", BrokenExporter)
    with pytest.raises(RnnvizError, match="Could not render"):
        panel.export_image(good["old.png"])
    for path in good.values():
        assert path.read_bytes() == b"the good export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a folder.png", "old.csv", "old.npz", "old.png"]
