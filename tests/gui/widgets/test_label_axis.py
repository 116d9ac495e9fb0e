"""The time axis of the gate heatmaps: every token labelled unless labels would overlap, and it says so."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.gui.style import NORMAL, PRESENTATION
from rnnviz.gui.widgets.heatmap_grid import HeatmapData, HeatmapGrid
from rnnviz.gui.widgets.label_axis import labelled_cells, thinning_note


def test_every_cell_is_labelled_when_there_is_room() -> None:
    assert labelled_cells([10.0] * 20, 0, 20, pixels=20 * 14.0, gap=3) == list(range(20))


def test_labels_thin_only_where_they_would_overlap() -> None:
    # Short labels with one long word among them: only labels around the long word give way.
    widths = [8.0] * 10
    widths[4] = 40.0
    shown = labelled_cells(widths, 0, 10, pixels=10 * 14.0, gap=3)
    assert set(range(10)) - set(shown) and set(range(10)) - set(shown) <= {3, 4, 5, 6}
    for a, b in zip(shown, shown[1:]):  # no two drawn labels touch
        assert (b - a) * 14.0 >= (widths[a] + widths[b]) / 2 + 3


def test_even_labels_thin_to_every_nth_and_the_note_says_so() -> None:
    shown = labelled_cells([10.0] * 12, 0, 12, pixels=12 * 7.0, gap=2)
    assert shown == list(range(0, 12, 2))
    assert thinning_note(shown, 12, "character").startswith("every 2nd character labelled: too many to fit")
    assert thinning_note([0, 1, 3], 4) == "3 of 4 tokens labelled: too many to fit; zoom in (wheel) to see all"
    assert thinning_note(list(range(5)), 5) == ""


@pytest.mark.parametrize("theme", [NORMAL, PRESENTATION], ids=["normal", "presentation"])
def test_a_narrow_grid_notes_the_thinning_and_a_wide_one_labels_every_character(qtbot, theme) -> None:
    grid = HeatmapGrid()
    qtbot.addWidget(grid)
    grid.apply_theme(theme, 9.0)
    tokens = list("the girls are not happy because she does not have a car")
    values = np.random.default_rng(0).random((len(tokens), 8)).astype(np.float32)
    grid.set_heatmaps([HeatmapData("update", "update gate z", values, (0.0, 1.0))], tokens, list(range(8)))
    notes: list[str] = []
    grid.sig_note_changed.connect(notes.append)
    grid.resize(300, 300)
    grid.show()
    qtbot.waitUntil(lambda: "character labelled" in grid.thinning_note() or "characters labelled" in
                    grid.thinning_note(), timeout=3000)
    assert notes and notes[-1] == grid.thinning_note()
    axis = grid.heatmaps["update"].token_axis
    assert axis.toolTip() == grid.thinning_note()
    grid.resize(int(len(tokens) * 40 * theme.font_scale), 300)
    qtbot.waitUntil(lambda: grid.thinning_note() == "", timeout=3000)
    lo, hi = axis.range
    assert len(axis.tickValues(lo, hi, axis.size().width())[0][1]) == len(tokens)  # every character
