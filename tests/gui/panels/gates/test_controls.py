"""The Gates panel's controls: heatmaps equal the trace; sorting, filtering, parts, hover and click."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.data.datasets import MtData
from rnnviz.core.data.display import display_token
from rnnviz.core.data.vocab import BOS
from rnnviz.core.introspect import GATE_NAMES, trace_lm, trace_translation
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.gui.panels.gates import GatesPanel, parse_units
from tests.gui.panels.gates.helpers import PROBE, traced


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
