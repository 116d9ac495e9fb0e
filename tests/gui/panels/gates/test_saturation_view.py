"""The Gates panel's saturation view: fractions equal a numpy recount, of the probe or a longer text."""

from __future__ import annotations

import numpy as np

from rnnviz.core.data.datasets import LmData
from rnnviz.core.introspect import trace_lm
from rnnviz.core.introspect.probing import SATURATION_MAX_TOKENS
from rnnviz.gui.panels.gates import GatesPanel
from tests.gui.panels.gates.helpers import make_lm, traced


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
    long = trace_lm(bundle, text, SATURATION_MAX_TOKENS)
    low, high = panel.saturation()[("forget", 1)]
    np.testing.assert_array_equal(low, (long.get(1, "forward", "forget") < 0.1).mean(axis=0))
    np.testing.assert_array_equal(high, (long.get(1, "forward", "forget") > 0.9).mean(axis=0))
    assert f"Over {long.num_steps} steps of the saturation text" in panel.saturation_info.text()
    assert panel.trace() is trace  # the probe's trace stays
