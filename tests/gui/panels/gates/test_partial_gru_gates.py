"""The Gates tab with a GRU of one gate (issue 18): the gates it has, its equations with the trace's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.data.datasets import LmData
from rnnviz.core.introspect import GATE_NAMES
from rnnviz.core.introspect.unit_equations import fmt
from rnnviz.gui.panels.gates import GatesPanel
from rnnviz.gui.panels.gates.controls import gate_title
from tests.gui.panels.gates.helpers import make_lm, traced


@pytest.mark.parametrize("cell, missing", [("gru-reset", "update"), ("gru-update", "reset")])
def test_the_tab_shows_the_cells_gates_and_equations(panel: GatesPanel, lm_data: LmData, cell: str,
                                                     missing: str) -> None:
    traced(panel, make_lm(lm_data, cell, (5,)))
    trace = panel.trace()
    assert trace.cell_variant == cell and missing not in trace.gate_names
    assert set(panel.heatmaps.heatmaps) == set(GATE_NAMES[cell])
    panel.set_step(2)
    panel.set_unit(1)
    text = panel.step_view.equations_text()
    assert trace.variant_description in text and "only" in text
    for name in GATE_NAMES[cell]:
        value = float(trace.get(0, "forward", name)[2, 1])
        assert f"= {fmt(value)}" in text, name  # each line ends in the traced number
        np.testing.assert_allclose(panel.step_view.heights(name), trace.get(0, "forward", name)[2])
    if cell == "gru-reset":
        assert "(no update gate)" in text and gate_title("candidate", cell) == "candidate n = new state h"
    else:
        assert set(panel.step_view.unit_step().values()) == {"update", "candidate", "hidden"}
        assert gate_title("update", cell) == "update gate z"
