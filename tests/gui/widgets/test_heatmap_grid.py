"""The gate heatmaps keep a readable height: fewer at a time, in a scroll area, rather than squeezed."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.gui.style import NORMAL, PRESENTATION
from rnnviz.gui.widgets.heatmap_grid import HeatmapData, HeatmapGrid, HeatmapScroll, min_heatmap_height

GATES = ("reset", "update", "candidate", "hidden", "input", "output")


def items(count: int, steps: int = 20, units: int = 32) -> list[HeatmapData]:
    rng = np.random.default_rng(1)
    return [HeatmapData(name, name, rng.random((steps, units)).astype(np.float32), (0.0, 1.0))
            for name in GATES[:count]]


@pytest.mark.parametrize("theme", [NORMAL, PRESENTATION], ids=["normal", "presentation"])
@pytest.mark.parametrize("count", [4, 6])
def test_a_short_view_scrolls_and_every_heatmap_keeps_its_height(qtbot, theme, count: int) -> None:
    grid = HeatmapGrid()
    scroll = HeatmapScroll(grid)
    qtbot.addWidget(scroll)
    grid.apply_theme(theme, 9.0)
    grid.set_heatmaps(items(count), [f"t{k}" for k in range(20)], list(range(32)))
    scroll.resize(700, 260)
    scroll.show()
    qtbot.waitExposed(scroll)
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 0, timeout=3000)
    for name, heatmap in grid.heatmaps.items():
        assert heatmap.getViewBox().height() >= min_heatmap_height(theme), name
    # Scrolled, each heatmap names the tokens (the one on screen must say which column is which).
    assert grid.label_each() and all(h.token_labels_shown for h in grid.heatmaps.values())

    scroll.resize(1400, 2400)  # room for all: no scrolling, tokens under the bottom ones only
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() == 0, timeout=3000)
    assert not grid.label_each()
    assert not all(h.token_labels_shown for h in grid.heatmaps.values())
    assert list(grid.heatmaps.values())[-1].token_labels_shown


def test_the_presentation_theme_stacks_six_heatmaps_in_one_column_and_keeps_the_data(qtbot) -> None:
    grid = HeatmapGrid()
    qtbot.addWidget(grid)
    data = items(6)
    grid.set_heatmaps(data, [f"t{k}" for k in range(20)], list(range(32)))
    columns = {grid.ci.layout.itemAt(r, c) is not None for r in range(3) for c in (1,)}
    assert columns == {True}  # two columns in the normal theme
    grid.apply_theme(PRESENTATION, 9.0)
    assert all(grid.ci.layout.itemAt(r, 1) is None for r in range(6))  # one column
    for item in data:
        assert np.array_equal(grid.heatmaps[item.name].displayed(), item.values)
        assert grid.heatmaps[item.name].token_axis.labels() == tuple(f"t{k}" for k in range(20))
