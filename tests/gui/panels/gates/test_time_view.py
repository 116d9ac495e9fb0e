"""The Gates panel's time view: keys, Prev/Next and Play move the cursor; equations hold the trace's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from rnnviz.core.data.datasets import LmData
from rnnviz.core.data.display import display_token
from rnnviz.core.introspect import GATE_NAMES
from rnnviz.core.introspect.unit_equations import fmt
from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.gui.panels.gates import GatesPanel
from tests.gui.panels.gates.helpers import make_lm, traced


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


def test_a_shorter_trace_moves_the_cursor_onto_its_last_step(panel: GatesPanel, gru_lm: ModelBundle, mt_data,
                                                             qtbot) -> None:
    """A character-level model at a late step, then a translation: the cursor lands on the new trace."""
    traced(panel, gru_lm, "the cat sat on the mat")
    panel.set_step(20)
    panel.set_unit(1)
    bundle = bundle_for(mt_data, ModelConfig(task="mt", stack=StackSpec("gru", (4,)), decoder=StackSpec("gru", (4,)),
                                             embed_size=4))
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=5000):
        panel.set_bundle(bundle)  # the encoder reads 6 steps: step 20 no longer exists
    assert panel.step() == panel.trace().num_steps - 1 == 5
    assert panel.step_view.unit_step().step == 5
    assert panel.token_strip.text().count("font-weight:bold") == 1
