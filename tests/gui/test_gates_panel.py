"""The Gates panel: heatmaps equal the trace, step-through with real numbers, saturation, exports, threads."""

from __future__ import annotations

import copy
import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from rnnviz.cli_models import pretrained_path
from rnnviz.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core import introspect
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.data.datasets import LmData, MtData, build_data
from rnnviz.core.data.vocab import BOS, UNK
from rnnviz.core.errors import RnnvizError
from rnnviz.core.introspect import CSV_HEADER, GATE_NAMES, trace_lm, trace_translation
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.gui.panels import gates_panel as gates_module
from rnnviz.gui.panels.gates_panel import GatesPanel, parse_units
from rnnviz.gui.style import NORMAL, PRESENTATION
from rnnviz.gui.widgets import image_export
from rnnviz.gui.widgets.token_strip import display_token
from rnnviz.gui.widgets.unit_step import fmt

PROBE = "the cat ate the mat."
PAIRS = ["go .\tva !", "i lost .\tj'ai perdu .", "he's calm .\til est calme .", "i'm home .\tje suis chez moi .",
         "we ran .\tnous avons couru .", "i won !\tj'ai gagné !", "he ran .\til a couru .", "go away .\tva-t'en ."]


# ---------------------------------------------------------------- models


@pytest.fixture(scope="module")
def lm_data(tmp_path_factory: pytest.TempPathFactory) -> LmData:
    # A user file, cleaned with the "lower" rule: ' ', ',' and '.' are tokens; z, b, r are not.
    path = tmp_path_factory.mktemp("lm") / "corpus.txt"
    path.write_text("the cat sat on the mat, then ate. " * 30, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8))
    assert isinstance(data, LmData)
    return data


@pytest.fixture(scope="module")
def mt_data(tmp_path_factory: pytest.TempPathFactory) -> MtData:
    path = tmp_path_factory.mktemp("mt") / "pairs.tsv"
    path.write_text("\n".join(PAIRS) + "\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=6, batch_size=4, min_freq=1, val_fraction=0.0,
                                 test_fraction=0.0))
    assert isinstance(data, MtData)
    return data


def sharpen(module: torch.nn.Module, factor: float = 3.0) -> None:
    """torch's initialisation keeps every gate near 0.5; larger weights make the units differ visibly."""
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(factor)


def make_lm(data: LmData, cell: str = "gru", hidden: tuple[int, ...] = (6,), bidirectional: bool = False,
            seed: int = 0) -> ModelBundle:
    impl = "scratch" if cell == "gru-book" else "auto"
    bundle = bundle_for(data, ModelConfig(task="lm", stack=StackSpec(cell, hidden, bidirectional,
                                                                       implementation=impl)), seed=seed)
    bundle.model.eval()
    sharpen(bundle.model.stack)
    return bundle


@pytest.fixture(scope="module")
def gru_lm(lm_data: LmData) -> ModelBundle:
    return make_lm(lm_data, "gru", (6,))


@pytest.fixture
def panel(qtbot) -> GatesPanel:
    widget = GatesPanel()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    qtbot.waitUntil(lambda: not widget.is_busy(), timeout=10000)  # no trace left running


def traced(panel: GatesPanel, bundle: ModelBundle, probe: str = PROBE) -> None:
    panel.set_probe(probe)
    panel.set_bundle(bundle)
    assert not panel.is_busy()  # a tiny model is traced at once, on the GUI thread


# ---------------------------------------------------------------- heatmaps


def test_heatmaps_show_the_trace_with_tokens_as_labels(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=5000) as ready:
        traced(panel, gru_lm)
    expected = trace_lm(gru_lm, PROBE)
    (trace,) = ready.args[0]
    assert trace.tokens == expected.tokens == tuple("the cat ate the mat.")
    assert panel.trace() is trace and panel.traces() == (trace,)
    assert list(panel.heatmaps.heatmaps) == list(GATE_NAMES["gru"])
    assert panel.unit_order().tolist() == list(range(6))
    for name, image in panel.heatmap_images().items():
        np.testing.assert_array_equal(image, expected.get(0, "forward", name))
        heatmap = panel.heatmaps.heatmaps[name]
        np.testing.assert_array_equal(heatmap.image.image, expected.get(0, "forward", name))
        assert heatmap.token_axis.labels() == tuple(display_token(t) for t in trace.tokens)
        assert heatmap.unit_axis.labels() == tuple(str(u) for u in range(6))
    assert "␣" in panel.heatmaps.heatmaps["hidden"].token_axis.labels()  # a space is visible as a label
    # Sigmoid gates on a sequential map over [0, 1]; tanh values on a diverging one over [−1, 1].
    assert panel.heatmaps.heatmaps["update"].colorbar.levels() == (0.0, 1.0)
    assert panel.heatmaps.heatmaps["hidden"].colorbar.levels() == (-1.0, 1.0)
    assert "GRU" in panel.model_label.text()


def test_sorting_filtering_and_top_n_keep_rows_and_labels_consistent(panel: GatesPanel, gru_lm: ModelBundle) -> None:
    traced(panel, gru_lm)
    update = panel.trace().get(0, "forward", "update")  # (T, H)
    panel.set_sort("mean", "update")
    order = panel.unit_order()
    expected = np.argsort(-update.astype(np.float64).mean(axis=0), kind="stable")
    assert order.tolist() == expected.tolist() and order.tolist() != list(range(6))
    for name, image in panel.heatmap_images().items():
        np.testing.assert_array_equal(image, panel.trace().get(0, "forward", name)[:, order])
        assert panel.heatmaps.heatmaps[name].unit_axis.labels() == tuple(str(u) for u in order)
    panel.set_sort("variance", "hidden")
    hidden = panel.trace().get(0, "forward", "hidden").astype(np.float64)
    assert panel.unit_order().tolist() == np.argsort(-hidden.var(axis=0), kind="stable").tolist()
    panel.set_top_n(3)
    assert len(panel.unit_order()) == 3 and panel.heatmap_images()["reset"].shape == (len(PROBE), 3)
    panel.set_top_n(0)
    panel.set_sort("as-is")
    panel.set_unit_filter("4, 0-1")
    assert panel.unit_order().tolist() == [0, 1, 4]
    panel.set_unit_filter("0-2 banana")
    assert panel.unit_order().tolist() == list(range(6)) and "Unit filter ignored" in panel.message()
    panel.set_unit_filter("999")  # no such unit: empty heatmaps, no error
    assert panel.unit_order().tolist() == [] and panel.heatmap_images()["hidden"].shape == (len(PROBE), 0)
    panel.set_unit_filter("")
    assert "Unit filter" not in panel.message() and len(panel.unit_order()) == 6


def test_parse_units() -> None:
    assert parse_units("0-3, 7 5;9", 8).tolist() == [0, 1, 2, 3, 5, 7]  # 9 is past the layer
    assert parse_units("5-3", 8).tolist() == [3, 4, 5]
    with pytest.raises(ValueError, match="not a unit number"):
        parse_units("1, x", 8)


def test_hover_and_click_report_the_unit_under_the_mouse(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    traced(panel, gru_lm)
    panel.set_sort("mean", "hidden")
    order = panel.unit_order()
    heatmap = panel.heatmaps.heatmaps["update"]
    qtbot.waitUntil(lambda: heatmap.getViewBox().width() > 10)
    scene_pos = heatmap.getViewBox().mapViewToScene(QPointF(3.5, 2.5))  # step 3 (a space), row 2
    assert panel.heatmaps.cell_at(scene_pos) == ("update", 3, 2)
    assert panel.heatmaps.cell_at(QPointF(-50, -50)) is None
    panel.heatmaps.sig_hovered.emit("update", 3, 2)
    value = panel.trace().get(0, "forward", "update")[3, order[2]]
    text = panel.readout.text()
    assert f"unit {order[2]}" in text and "step 3" in text and "“␣”" in text and f"{value:.4f}" in text
    with qtbot.waitSignal(panel.sig_unit_changed, timeout=2000) as unit_changed:
        panel.heatmaps.sig_clicked.emit("update", 3, 2)
    assert unit_changed.args == [int(order[2])] and panel.unit() == order[2] and panel.step() == 3
    assert heatmap.unit_cursor.isVisible() and heatmap.unit_cursor.getRegion() == (2, 3)
    assert heatmap.step_cursor.getRegion() == (3, 4)


# ---------------------------------------------------------------- step-through


def shown_values(panel: GatesPanel) -> dict[str, str]:
    """Each equation's final number as the equations show it (the bold value at the end of its line)."""
    out = {}
    for line in panel.step_view.equations_text().splitlines():
        if "[j] =" in line:
            symbol = line.strip().split("[j]")[0]
            out[symbol] = line.rsplit("=", 1)[1].strip()
    return out


@pytest.mark.parametrize("cell", ["gru", "gru-book", "lstm", "rnn"])
def test_keys_move_the_cursor_and_the_equations_hold_the_traces_numbers(panel: GatesPanel, lm_data: LmData,
                                                                         cell: str, qtbot) -> None:
    bundle = make_lm(lm_data, cell, (5,))
    traced(panel, bundle)
    trace = panel.trace()
    panel.setFocus()
    with qtbot.waitSignal(panel.sig_step_changed, timeout=2000) as moved:
        QTest.keyClick(panel, Qt.Key.Key_Right)
    assert moved.args == [1]
    QTest.keyClick(panel, Qt.Key.Key_Right)
    QTest.keyClick(panel, Qt.Key.Key_Right)
    QTest.keyClick(panel, Qt.Key.Key_Left)
    assert panel.step() == 2
    QTest.keyClick(panel, Qt.Key.Key_End)
    assert panel.step() == trace.num_steps - 1
    QTest.keyClick(panel, Qt.Key.Key_Home)
    QTest.keyClick(panel, Qt.Key.Key_PageDown)  # a presenter's remote
    QTest.keyClick(panel, Qt.Key.Key_PageDown)
    QTest.keyClick(panel, Qt.Key.Key_PageDown)
    t, j = panel.step(), 3
    assert t == 3
    panel.set_unit(j)
    step = panel.step_view.unit_step()
    assert step is not None and (step.step, step.unit) == (3, 3)
    symbols = {"reset": "r", "update": "z", "candidate": "g" if cell == "lstm" else "n", "hidden": "h",
               "input": "i", "forget": "f", "output": "o", "cell": "c", "preactivation": "pre"}
    shown = shown_values(panel)
    for name in GATE_NAMES[cell]:
        value = float(trace.get(0, "forward", name)[t, j])
        assert step.value(name) == pytest.approx(value, abs=1e-5)  # recomputed from x, weights, h_{t-1}
        assert shown[symbols[name] + "t"] == fmt(value)  # "ht[j] = … = 0.171" as printed
    text = panel.step_view.equations_text()
    assert trace.variant_description in text
    assert f"reads {trace.tokens[t]}" in text.replace("␣", " ") or f"reads {display_token(trace.tokens[t])}" in text
    # The bars at step t are the gate vectors at t, in the displayed order.
    for name in GATE_NAMES[cell]:
        np.testing.assert_allclose(panel.step_view.heights(name), trace.get(0, "forward", name)[t])
    assert panel.heatmaps.heatmaps["hidden"].step_cursor.getRegion() == (3, 4)
    strip = panel.token_strip.text()  # the token at the cursor, emphasised, in its visible form
    assert strip.count("font-weight:bold") == 1
    assert f"&nbsp;{display_token(trace.tokens[t])}&nbsp;</span>" in strip


def test_text_fields_keep_their_arrow_keys(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    traced(panel, gru_lm)
    panel.activateWindow()
    panel.probe_edit.setFocus()
    panel.probe_edit.setCursorPosition(0)
    QTest.keyClick(panel.probe_edit, Qt.Key.Key_Right)
    assert panel.probe_edit.cursorPosition() == 1 and panel.step() == 0  # typing does not step time
    panel.next_button.click()
    panel.next_button.click()
    panel.prev_button.click()
    assert panel.step() == 1


def test_equations_name_the_gru_variant_the_model_computes(panel: GatesPanel, lm_data: LmData) -> None:
    traced(panel, make_lm(lm_data, "gru", (4,)))
    panel.set_unit(1)
    torch_text = panel.step_view.equations_text()
    assert "torch variant" in torch_text and "r_t ⊙ (W" not in torch_text
    assert "⊙ (Whn" in torch_text.replace("\u2009", "")  # the reset gate scales W_hn h + b_hn
    traced(panel, make_lm(lm_data, "gru-book", (4,)))
    book_text = panel.step_view.equations_text()
    assert "book variant" in book_text and "Whn(rt ⊙ ht−1)" in book_text.replace(" ", "").replace("⊙", " ⊙ ")


def test_backward_direction_steps_with_its_own_previous_state(panel: GatesPanel, lm_data: LmData) -> None:
    bundle = make_lm(lm_data, "lstm", (4,), bidirectional=True)
    traced(panel, bundle)
    assert panel.direction_combo.isEnabled()
    panel.set_direction("backward")
    trace = panel.trace()
    for name, image in panel.heatmap_images().items():
        np.testing.assert_array_equal(image, trace.get(0, "backward", name))
    panel.set_step(2)
    panel.set_unit(1)
    step = panel.step_view.unit_step()
    assert step.direction == "backward"
    assert step.h_prev == pytest.approx(float(trace.get(0, "backward", "hidden")[3, 1]))  # read after position 3
    assert step.value("hidden") == pytest.approx(float(trace.get(0, "backward", "hidden")[2, 1]), abs=1e-5)
    assert len(panel.heatmaps.heatmaps) == 6  # the LSTM's six, in two columns


def test_play_steps_to_the_end_and_stops(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    traced(panel, gru_lm, "the cat")
    panel.set_speed(50.0)
    panel.set_step(3)
    panel.play_button.click()
    assert panel.is_playing() and "Pause" in panel.play_button.text()
    qtbot.waitUntil(lambda: not panel.is_playing(), timeout=5000)
    assert panel.step() == len("the cat") - 1
    assert "Play" in panel.play_button.text()
    panel.play()  # at the end, Play starts over
    assert panel.step() == 0 and panel.is_playing()
    panel.pause()
    assert not panel.is_playing()


# ---------------------------------------------------------------- saturation


def test_saturation_fractions_equal_a_numpy_recount(panel: GatesPanel, lm_data: LmData, qtbot) -> None:
    bundle = make_lm(lm_data, "lstm", (5, 4))
    traced(panel, bundle)
    trace = panel.trace()
    saturation = panel.saturation()
    assert {name for name, _ in saturation} == {"input", "forget", "output", "candidate", "hidden"}  # not "cell"
    for (name, layer), (low, high) in saturation.items():
        values = trace.get(layer, "forward", name)
        lo, hi = (0.1, 0.9) if name in ("input", "forget", "output") else (-0.8, 0.8)
        np.testing.assert_array_equal(low, (values < lo).mean(axis=0))
        np.testing.assert_array_equal(high, (values > hi).mean(axis=0))
        scatter = panel.saturation_plot.scatters[(name, layer)]
        x, y = scatter.getData()
        np.testing.assert_array_equal(x, low)
        np.testing.assert_array_equal(y, high)
    scatter = panel.saturation_plot.scatters[("forget", 1)]
    scatter.sigHovered.emit(scatter, scatter.points()[2:3], None)
    assert "forget gate f, layer 1, unit 2" in panel.readout.text()
    text = "the mat sat on the cat, then the cat ate the mat. " * 20
    with qtbot.waitSignal(panel.sig_status, timeout=10000):  # may be traced off the GUI thread
        panel.set_saturation_text(text)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10000)
    long = trace_lm(bundle, text, gates_module.SATURATION_MAX_TOKENS)
    low, high = panel.saturation()[("forget", 1)]
    np.testing.assert_array_equal(low, (long.get(1, "forward", "forget") < 0.1).mean(axis=0))
    np.testing.assert_array_equal(high, (long.get(1, "forward", "forget") > 0.9).mean(axis=0))
    assert f"Over {long.num_steps} steps of the saturation text" in panel.saturation_info.text()
    assert panel.trace() is trace  # the probe's trace stays


# ---------------------------------------------------------------- probe problems


def test_empty_probe_gives_a_message_not_an_exception(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    assert "No model yet" in panel.message()
    traced(panel, gru_lm)
    with qtbot.waitSignal(panel.sig_trace_failed, timeout=2000) as failed:
        panel.set_probe("   ")
    assert "probe is empty" in failed.args[0] and "probe is empty" in panel.message()
    assert panel.traces() == () and panel.trace() is None and not panel.heatmaps.heatmaps
    with pytest.raises(RnnvizError, match="Nothing to export"):
        panel.export_csv(Path("never.csv"))
    panel.set_probe(PROBE)
    assert panel.trace() is not None and "empty" not in panel.message()


def test_unknown_tokens_show_as_unk_with_the_notice(panel: GatesPanel, gru_lm: ModelBundle) -> None:
    traced(panel, gru_lm, "the zebra")
    assert panel.trace().tokens == ("t", "h", "e", " ", UNK, "e", UNK, UNK, "a")
    assert UNK in panel.heatmaps.heatmaps["hidden"].token_axis.labels()
    assert "not in the model's vocabulary" in panel.message().lower() and ": z, b, r" in panel.message()


def test_overlong_text_is_trimmed_with_the_notice(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    panel.set_bundle(gru_lm)
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=10000):
        panel.set_probe("the cat " * 80)
    assert panel.trace().num_steps == introspect.DEFAULT_MAX_TOKENS
    assert "the trace covers the first 500" in panel.message()


def test_a_translation_shows_encoder_and_decoder(panel: GatesPanel, mt_data: MtData, qtbot) -> None:
    bundle = bundle_for(mt_data, ModelConfig(task="mt", stack=StackSpec("lstm", (5, 5), bidirectional=True),
                                             decoder=StackSpec("gru", (6, 6)), embed_size=4))
    bundle.model.eval()
    traced(panel, bundle, "i lost .")
    encoder, decoder = trace_translation(bundle, "i lost .")
    assert [t.part for t in panel.traces()] == ["encoder", "decoder"]
    assert panel.part_combo.isVisible() and panel.part() == "encoder"
    assert panel.trace().tokens == encoder.tokens
    assert len(panel.heatmaps.heatmaps) == 6 and panel.direction_combo.isEnabled()
    panel.set_layer(1)
    panel.set_direction("backward")
    np.testing.assert_array_equal(panel.heatmap_images()["forget"], encoder.get(1, "backward", "forget"))
    panel.set_part("decoder")
    assert panel.trace().tokens == decoder.tokens and decoder.tokens[0] == BOS
    assert panel.layer() == 1 and panel.direction() == "forward" and not panel.direction_combo.isEnabled()
    assert list(panel.heatmaps.heatmaps) == list(GATE_NAMES["gru"])
    np.testing.assert_array_equal(panel.heatmap_images()["update"], decoder.get(1, "forward", "update"))
    assert panel.heatmaps.heatmaps["update"].token_axis.labels()[0] == BOS
    panel.set_step(0)
    assert "outputs" in panel.predicted_label.text()
    assert "encoder:" in panel.message()  # the padding notice names its part
    with pytest.raises(ValueError):
        panel.set_part("lm")


def test_the_shipped_models_trace(panel: GatesPanel, qtbot) -> None:
    for task, probe in (("lm", "time traveller"), ("mt", "the boy carries the hat .")):
        bundle = load_checkpoint(pretrained_path(task))
        panel.set_bundle(bundle)
        panel.set_probe(probe)
        parts = 2 if task == "mt" else 1
        qtbot.waitUntil(lambda: not panel.is_busy() and len(panel.traces()) == parts, timeout=20000)
        assert panel.probe() == probe
        assert panel.heatmap_images()["hidden"].shape[1] == 128


# ---------------------------------------------------------------- exports


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


# ---------------------------------------------------------------- training snapshots and threads


def perturbed(bundle: ModelBundle, seed: int) -> ModelBundle:
    other = copy.deepcopy(bundle)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in other.model.stack.parameters():
            p.add_(torch.randn(p.shape, generator=generator))
    return other


def test_show_snapshot_retraces_with_the_new_weights(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    traced(panel, gru_lm)
    before = panel.heatmap_images()["hidden"].copy()
    panel.set_step(4)
    panel.set_unit(2)
    snapshot = perturbed(gru_lm, 1)
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=5000):
        panel.show_snapshot(snapshot, 3)
    after = panel.heatmap_images()["hidden"]
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(after, trace_lm(snapshot, PROBE).get(0, "forward", "hidden"))
    assert "epoch 3" in panel.model_label.text()
    assert (panel.step(), panel.unit()) == (4, 2)  # the lecture's place is kept across epochs
    with qtbot.waitSignal(panel.sig_follow_changed, timeout=1000) as follow:
        panel.follow_check.click()
    assert follow.args == [True] and panel.follow_training()
    assert "following training" in panel.model_label.text()


def test_slow_traces_run_in_the_background_and_only_the_latest_is_shown(panel: GatesPanel, gru_lm: ModelBundle,
                                                                        qtbot, monkeypatch) -> None:
    monkeypatch.setattr(gates_module, "SYNC_BUDGET_S", 0.0)  # every trace counts as slow
    panel.set_probe(PROBE)
    shown = []
    panel.sig_trace_ready.connect(shown.append)
    snapshots = [perturbed(gru_lm, seed) for seed in (1, 2, 3)]
    panel.show_snapshot(snapshots[0], 1)
    assert panel.is_busy() and "Tracing" in panel.message()
    panel.show_snapshot(snapshots[1], 2)
    panel.show_snapshot(snapshots[2], 3)
    qtbot.waitUntil(lambda: bool(shown) and not panel.is_busy(), timeout=10000)
    assert len(shown) == 1  # the first result was overtaken and dropped; the middle one never traced
    np.testing.assert_array_equal(panel.heatmap_images()["update"],
                                  trace_lm(snapshots[2], PROBE).get(0, "forward", "update"))
    assert "epoch 3" in panel.model_label.text()


def test_a_failing_trace_becomes_a_message(panel: GatesPanel, gru_lm: ModelBundle, qtbot, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(gates_module, "_trace_all", broken)
    panel.set_probe(PROBE)
    with qtbot.waitSignal(panel.sig_trace_failed, timeout=5000) as failed:
        panel.set_bundle(gru_lm)
    assert "RuntimeError: a bug" in failed.args[0] and "a bug" in panel.message()
    assert "Traceback" not in panel.message()
    monkeypatch.setattr(gates_module, "SYNC_BUDGET_S", 0.0)
    with qtbot.waitSignal(panel.sig_trace_failed, timeout=5000):
        panel.set_probe("the mat")
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5000)
    assert "a bug" in panel.message() and "Traceback" not in panel.message()


# ---------------------------------------------------------------- theme, state, imports


def test_presentation_theme_enlarges_the_fonts(panel: GatesPanel, gru_lm: ModelBundle) -> None:
    traced(panel, gru_lm)

    def sizes() -> tuple[float, ...]:
        heatmap = panel.heatmaps.heatmaps["update"]
        return (panel.font().pointSizeF(), panel.token_strip.font().pointSizeF(),
                panel.step_view.equations.font().pointSizeF(), panel.readout.font().pointSizeF(),
                panel.message_label.font().pointSizeF(), heatmap.token_axis.style["tickFont"].pointSizeF(),
                heatmap.colorbar.axis.style["tickFont"].pointSizeF())

    normal = sizes()
    panel.apply_theme(PRESENTATION)
    big = sizes()
    assert all(b > n for b, n in zip(big, normal))
    assert big[1] == pytest.approx(normal[1] * PRESENTATION.font_scale)
    assert list(panel.heatmaps.heatmaps) == list(GATE_NAMES["gru"])  # still drawn after the rebuild
    panel.apply_theme(NORMAL)
    assert sizes() == pytest.approx(normal)


def test_state_round_trips(panel: GatesPanel, qtbot, lm_data: LmData) -> None:
    bundle = make_lm(lm_data, "gru", (4, 4), bidirectional=True)
    traced(panel, bundle)
    panel.set_layer(1)
    panel.set_direction("backward")
    panel.set_sort("variance", "update")
    panel.set_top_n(3)
    panel.set_speed(4.0)
    panel.set_step(5)
    panel.set_unit(2)
    panel.set_follow_training(True)
    state = panel.state()
    assert state["layer"] == 1 and state["direction"] == "backward" and state["sort"] == "variance"
    other = GatesPanel()
    qtbot.addWidget(other)
    other.restore_state(dict(state))
    other.set_bundle(bundle)
    assert other.state() == state
    other.restore_state({"sort": "sideways", "top_n": "many", "speed": float("nan"), "layer": None, "x": 1})
    assert other.state() == state  # bad values are ignored


def test_the_panel_imports_no_torch() -> None:
    code = ("import sys; import rnnviz.gui.panels.gates_panel; "
            "bad = [m for m in sys.modules if m == 'torch' or m.startswith(('torch.', 'rnnviz.core.introspect'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
