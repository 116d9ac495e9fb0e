"""The Gates panel's exports: NPZ, CSV, PNG and SVG; a failed export keeps the previous file."""

from __future__ import annotations

import csv
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


def test_failed_exports_keep_the_previous_file(panel: GatesPanel, gru_lm: ModelBundle, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    traced(panel, gru_lm)
    folder = tmp_path / "a folder.png"
    folder.mkdir()
    for export in (panel.export_npz, panel.export_csv, panel.export_image):
        with pytest.raises(RnnvizError):
            export(folder)
        assert folder.is_dir() and not any(folder.iterdir())
    good = {name: tmp_path / name for name in ("old.npz", "old.csv", "old.png")}
    for path in good.values():
        path.write_bytes(b"the good export")

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", no_space)
    with pytest.raises(RnnvizError, match="No space left"):
        panel.export_npz(good["old.npz"])

    def half_written(trace):
        yield ("lm", 0, "forward", "reset", 0, "t", 0, "0.5")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(introspect, "_csv_rows", half_written)
    with pytest.raises(RnnvizError, match="No space left"):
        panel.export_csv(good["old.csv"])

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
