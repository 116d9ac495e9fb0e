"""The stepped auto-range: the data always in view, the axes changing only now and then."""

from __future__ import annotations

import math

import pytest

from rnnviz.core.events import Step
from rnnviz.gui.panels.training_view import TrainingView
from rnnviz.gui.widgets.stepped_view import stepped_range


def test_a_range_that_holds_the_data_is_kept() -> None:
    assert stepped_range((0.0, 100.0), (0.0, 80.0), headroom=0.25) == (0.0, 100.0)


def test_data_past_the_edge_grows_the_range_with_headroom_on_that_side_only() -> None:
    assert stepped_range((0.0, 100.0), (0.0, 120.0), headroom=0.25) == (0.0, 150.0)
    assert stepped_range((0.0, 100.0), (-20.0, 100.0), headroom=0.25) == (-50.0, 100.0)


def test_data_filling_too_little_of_the_range_refits() -> None:
    assert stepped_range((0.0, 100.0), (10.0, 30.0), headroom=0.25) == (10.0, 30.0)


def test_the_padding_margin_alone_does_not_count_as_leaving_the_range() -> None:
    # The data is (1, 199); a 2% margin puts the target's low end just below the current one.
    assert stepped_range((-3.0, 250.0), (-3.1, 203.0), headroom=0.25, margin=0.02 / 1.04) == (-3.0, 250.0)


def test_an_empty_span_is_returned_as_it_is() -> None:
    assert stepped_range((0.0, 1.0), (5.0, 5.0), headroom=0.25) == (5.0, 5.0)


@pytest.fixture
def view(qtbot) -> TrainingView:
    widget = TrainingView()
    qtbot.addWidget(widget)
    widget.resize(1000, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_growing_run_stays_in_view_and_the_x_range_changes_in_few_steps(view: TrainingView, qtbot) -> None:
    view.begin_run("run")
    ranges = []
    for step in range(1, 301):
        loss = 1.0 + 3.0 * math.exp(-step / 50)
        view.add_events([Step(step, step // 10 + 1, step % 10 + 1, 10, loss, math.exp(loss), 1.0, 0.1,
                              1000.0 + step, 0.1 * step)])
        view.graphics.viewport().repaint()  # the auto-range is applied when the scene paints
        if step < 5:
            continue  # y fits the x range of the step before (pyqtgraph's auto-visible y)
        (x_lo, x_hi), (y_lo, y_hi) = view.plots.loss.vb.viewRange()
        assert x_lo <= 1 and step <= x_hi, f"step {step} is outside the x range ({x_lo}, {x_hi})"
        first = 1.0 + 3.0 * math.exp(-1 / 50)
        assert y_lo <= loss <= y_hi and y_lo <= first <= y_hi  # the latest and the first loss
        ranges.append((x_lo, x_hi))
    changes = sum(a != b for a, b in zip(ranges, ranges[1:]))
    assert changes <= 30, f"the x range changed {changes} times in 300 steps"
