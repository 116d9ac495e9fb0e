"""The Config dock: how long a run will take, said before it starts, and the book's size one click away."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.estimate import BOOK_MT_PAIRS
from rnnviz.gui.panels.config_panel import ConfigPanel, recipe_model


@pytest.fixture
def panel(qtbot) -> ConfigPanel:
    widget = ConfigPanel()
    qtbot.addWidget(widget)
    widget.resize(360, 700)
    widget.show()
    return widget


def test_the_default_run_is_short_and_says_how_long(panel: ConfigPanel) -> None:
    estimate = panel.estimate()
    assert estimate is not None and not estimate.is_long
    assert panel.estimate_label.text().startswith("About ") and "on this machine" in panel.estimate_label.text()
    assert not panel.smaller_button.isVisibleTo(panel)
    assert panel.long_run_warning() is None


def test_the_estimate_follows_the_epochs(panel: ConfigPanel, qtbot) -> None:
    panel.epochs.setValue(2)
    two = panel.estimate().total_s
    with qtbot.waitSignal(panel.sig_estimate_changed):
        panel.epochs.setValue(4)
    assert panel.estimate().total_s == pytest.approx(2 * two)


def test_all_of_fra_eng_warns_and_the_button_takes_the_books_640_pairs(panel: ConfigPanel, qtbot) -> None:
    panel.set_task("mt")
    panel.set_corpus("fra-eng")
    assert panel.estimate().is_long
    assert "⚠" in panel.estimate_label.text() and "long run" in panel.estimate_label.text()
    assert panel.smaller_button.isVisibleTo(panel) and "640" in panel.smaller_button.text()
    warning = panel.long_run_warning()
    assert warning is not None and "167,130" in warning
    qtbot.mouseClick(panel.smaller_button, Qt.MouseButton.LeftButton)
    assert panel.max_examples.value() == BOOK_MT_PAIRS
    assert not panel.estimate().is_long and not panel.smaller_button.isVisibleTo(panel)
    assert panel.long_run_warning() is None


def test_the_books_bidirectional_run_warns_and_offers_fewer_epochs(panel: ConfigPanel) -> None:
    panel.set_corpus("time-machine")
    panel.set_model_config(ModelConfig("lm", StackSpec("lstm", (256, 256), True)))
    panel.apply_recipe({"epochs": 500, "lr": 1.0, "num_steps": 35, "batch_size": 32})
    assert panel.estimate().is_long and panel.long_run_warning() is not None
    suggestion = panel.suggestion()
    assert suggestion is not None and suggestion.epochs is not None
    assert panel.apply_suggestion() and panel.epochs.value() == suggestion.epochs
    assert not panel.estimate().is_long


def test_a_model_of_the_other_task_falls_back_to_the_recipe(panel: ConfigPanel) -> None:
    panel.set_model_config(recipe_model("mt"))  # the Builder still on translation while the dock shows lm
    assert panel.estimate() is not None


def test_render_at_dock_width(panel: ConfigPanel, qtbot) -> None:
    panel.set_task("mt")
    panel.set_corpus("fra-eng")
    qtbot.wait(20)
    panel.grab().save("/tmp/g_config_fra_eng.png")
