"""Presentation mode at a projector's sizes: the main views keep sizes a room can read, nothing overlaps.

The window is built as the app builds it, with the shipped models; offscreen,
``showFullScreen`` takes the virtual screen's size (800 × 800), so each size is
set on the window after presentation mode is on.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rnnviz.core.events import EpochEnd, Step
from rnnviz.gui.main_window import MainWindow
from rnnviz.gui.widgets.heatmap_grid import MIN_HEATMAP_HEIGHT
from tests.gui.test_main_window import make_window

SIZES = ((1280, 720), (1920, 1080))


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = make_window(qtbot, tmp_path)
    yield window
    window.controller.shutdown(3000)


def six_runs(window: MainWindow) -> None:
    """Six runs overlaid, with validation points: the legend's longest case in a lecture."""
    view = window.training_view
    for r in range(6):
        view.begin_run(f"GRU 2×{32 * (r + 1)} → GRU 2×{32 * (r + 1)}, adam lr 0.005", "lm")
        events: list[object] = []
        for s in range(1, 81):
            loss = 1.5 + 0.1 * r + 3 * math.exp(-s / 20)
            events.append(Step(s, (s - 1) // 20 + 1, (s - 1) % 20 + 1, 20, loss, math.exp(loss), 1.0, 0.01,
                               1000.0, 0.5 * s))
            if s % 20 == 0:
                events.append(EpochEnd(s, s // 20, loss, math.exp(loss), loss + 0.2, math.exp(loss + 0.2), 1000.0,
                                       0.5 * s))
        view.add_events(events)


def present_at(qtbot, window: MainWindow, width: int, height: int) -> None:
    window.toggle_presentation(True)
    qtbot.waitUntil(window.isFullScreen, timeout=5000)
    qtbot.wait(50)
    window.setGeometry(0, 0, width, height)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (width, height), timeout=5000)
    qtbot.wait(100)


def check_training(qtbot, window: MainWindow) -> None:
    view = window.training_view
    window.tabs.setCurrentWidget(view)
    qtbot.wait(100)
    legend = view.plots.loss.legend
    assert len(legend.items) == 7  # six runs and the validation key
    box = legend.mapRectToScene(legend.childrenBoundingRect() | legend.boundingRect())
    for plot in (view.plots.loss, view.plots.grad_norm, view.plots.speed):
        assert not box.intersects(plot.getViewBox().sceneBoundingRect()), "the legend covers a plot"
    # Every entry is in the view, none cut off at the bottom.
    visible = view.graphics.mapToScene(view.graphics.viewport().rect()).boundingRect()
    for sample, label in legend.items:
        assert visible.contains(label.sceneBoundingRect()), label.text


def check_gates(qtbot, window: MainWindow) -> None:
    panel = window.gates_panel
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.trace() is not None and not panel.is_busy(), timeout=60_000)
    qtbot.wait(100)
    for name, heatmap in panel.heatmaps.heatmaps.items():
        assert heatmap.getViewBox().height() >= MIN_HEATMAP_HEIGHT, name
    for name, plot in panel.step_view.plots.items():
        assert plot.getViewBox().height() >= 20, f"the bars of {name} are squeezed"
    # The labels on the time axis do not overlap, and the panel says when it leaves some out.
    labelled = [h for h in panel.heatmaps.heatmaps.values() if h.token_labels_shown]
    assert labelled
    axis = labelled[-1].token_axis
    lo, hi = axis.range
    ticks = axis.tickValues(lo, hi, axis.size().width())[0][1]
    per_cell = axis.size().width() / (hi - lo)
    widths = [axis._widths[int(v)] for v in ticks]
    for (a, wa), (b, wb) in zip(zip(ticks, widths), zip(ticks[1:], widths[1:])):
        assert (b - a) * per_cell >= (wa + wb) / 2, "two token labels overlap"
    time_view = panel.time_view
    if len(ticks) < panel.num_steps():
        assert "labelled" in time_view.axis_note.text() and time_view.axis_note.isVisible()
    else:
        assert not time_view.axis_note.isVisible()


def check_beam(qtbot, window: MainWindow) -> None:
    panel = window.beam_panel
    window.tabs.setCurrentWidget(panel)
    tree = panel.tree
    qtbot.waitUntil(lambda: tree.result() is not None, timeout=30_000)
    # The settings fold away, summed up on their button; the tree gets the height.
    assert panel.fold_button.folded() and not panel.controls.settings_box.isVisible()
    assert "k = 2" in panel.fold_button.text()
    assert tree.viewport().height() >= 0.5 * window.height(), "the tree is squeezed"
    tree.show_all()
    panel.fit_button.click()
    qtbot.wait(50)
    shown = tree.mapToScene(tree.viewport().rect()).boundingRect()
    band = tree.header_band()
    for node, rect in tree.node_scene_rects().items():
        assert shown.contains(rect), f"node {node} is outside the view after Fit"
        assert not rect.intersects(band), f"node {node} is under the step headers"
    boxes = tree.header_boxes()
    assert boxes and boxes[0].step == 0
    for a, b in zip(boxes, boxes[1:]):
        assert b.left >= a.right, f"the headers of steps {a.step} and {b.step} overlap"
    assert all(0 <= b.left and b.right <= tree.viewport().width() for b in boxes)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_presentation_mode_keeps_the_main_views_readable(qtbot, window: MainWindow, size: tuple[int, int]) -> None:
    six_runs(window)
    window.tabs.setCurrentWidget(window.gates_panel)  # loads the shipped models
    qtbot.waitUntil(lambda: window.store.model("lm") is not None, timeout=60_000)
    present_at(qtbot, window, *size)
    check_training(qtbot, window)
    check_gates(qtbot, window)
    check_beam(qtbot, window)
    window.toggle_presentation(False)
