"""An axis told to show plain numbers shows 0.2 as 0.2, whatever its range was when it was told."""

from __future__ import annotations

import pyqtgraph as pg

from rnnviz.gui.widgets.plain_axis import plain_numbers


def test_a_small_range_is_not_scaled_to_milli(qtbot) -> None:
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.setLabel("left", "grad norm")
    axis = widget.getAxis("left")
    axis.setRange(0.0, 0.8)  # a gradient norm's range: pyqtgraph would draw it as 0 to 800 (m)
    plain_numbers(axis)
    assert axis.autoSIPrefixScale == 1.0 and axis.labelUnitPrefix == ""
    axis.setRange(0.0, 0.5)
    assert axis.autoSIPrefixScale == 1.0  # and stays plain as the range changes
