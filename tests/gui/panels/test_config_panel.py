"""The Config dock: how long a run will take, said before it starts, and the book's size one click away."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from rnnviz.core import session_schema as schema
from rnnviz.core.config import LM_SAMPLINGS, DataConfig, ModelConfig, StackSpec
from rnnviz.core.estimate import BOOK_MT_TRAIN
from rnnviz.core.models.presets import get_preset
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


def test_all_of_fra_eng_warns_and_the_button_takes_the_books_split(panel: ConfigPanel, qtbot) -> None:
    panel.set_task("mt")
    panel.set_corpus("fra-eng")
    assert panel.estimate().is_long
    assert "⚠" in panel.estimate_label.text() and "long run" in panel.estimate_label.text()
    assert panel.smaller_button.isVisibleTo(panel) and "512 + 128" in panel.smaller_button.text()
    warning = panel.long_run_warning()
    assert warning is not None and "167,130" in warning
    qtbot.mouseClick(panel.smaller_button, Qt.MouseButton.LeftButton)
    assert panel.max_examples.value() == BOOK_MT_TRAIN and panel.mt_split.currentData() == "book"
    data, _ = panel.build_configs("fra-eng")
    assert data.uses_book_split("mt") and data.resolved("mt").num_train == 512 and data.resolved("mt").num_val == 128
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


def test_translation_settings_fit_the_dock_at_1280(panel: ConfigPanel, qtbot) -> None:
    panel.set_task("mt")
    panel.set_corpus("fra-eng")
    qtbot.wait(20)
    assert panel.mask_padding.isVisibleTo(panel)
    # The 330-px dock of a 1280-wide screen, less its vertical scroll bar: wider, the dock scrolls sideways
    # ("Mask padding in the loss" as the box's own text did that).
    assert panel.minimumSizeHint().width() <= 330 - 15


def test_a_language_models_windows_are_named_and_the_books_recipe_picks_every_window(panel: ConfigPanel) -> None:
    assert panel.lm_sampling.isVisibleTo(panel) and not panel.mt_split.isVisibleTo(panel)
    assert panel.lm_sampling.itemText(panel.lm_sampling.findData("book")) == "Book's windows"
    assert "window, one per start position, of the first 15,000 tokens" in panel.lm_sampling.toolTip()
    assert "section 9.3" in panel.lm_sampling.toolTip() and panel.minimumSizeHint().width() < 330  # fits the dock
    data, _ = panel.build_configs("time-machine")
    assert data.lm_sampling == "random-offset"  # the quick default, as DataConfig()
    panel.apply_recipe(get_preset("gru-lm").train)
    assert panel.lm_sampling.currentData() == "book"
    data, _ = panel.build_configs("time-machine")
    assert data.lm_sampling == "book" and data.batch_size == 1024
    panel.set_from(DataConfig.from_dict({"corpus": "time-machine", "task": "lm"}), None)  # an older checkpoint's
    assert panel.lm_sampling.currentData() == "random-offset"


def test_the_books_translation_split_trains_on_the_pairs_box_and_validates_on_128(panel: ConfigPanel) -> None:
    panel.set_task("mt")
    assert panel.mt_split.isVisibleTo(panel) and not panel.lm_sampling.isVisibleTo(panel)
    data, _ = panel.build_configs("fra-eng")
    assert not data.uses_book_split("mt") and panel.max_examples.specialValueText() == "all"
    panel.apply_recipe(get_preset("seq2seq").train)
    assert panel.mt_split.currentData() == "book" and panel.max_examples.value() == 512
    assert panel.max_examples_label.text() == "Training pairs"
    data, _ = panel.build_configs("fra-eng")
    resolved = data.resolved("mt")
    assert (resolved.num_train, resolved.num_val, resolved.max_examples) == (512, 128, 512)
    panel.max_examples.setValue(0)  # unset: the book's 512, and the box says so
    data, _ = panel.build_configs("fra-eng")
    assert panel.max_examples.text() == "the book's 512" and data.resolved("mt").num_train == 512
    panel.set_from(DataConfig(corpus="fra-eng", task="mt", num_train=2_000, num_val=300), None)
    data, _ = panel.build_configs("fra-eng")
    assert (data.max_examples, data.num_val) == (2_000, 300)  # a checkpoint's split is kept for continuing


def test_the_sampling_and_the_split_are_saved_in_the_session(panel: ConfigPanel, qtbot) -> None:
    for field, combo in (("lm_sampling", panel.lm_sampling), ("mt_split", panel.mt_split)):
        assert {combo.itemData(i) for i in range(combo.count())} == set(schema.CONFIG.fields[field].values)
    assert set(schema.LM_SAMPLINGS) == set(LM_SAMPLINGS)
    panel.lm_sampling.setCurrentIndex(panel.lm_sampling.findData("book"))
    panel.mt_split.setCurrentIndex(panel.mt_split.findData("book"))
    state = panel.state()
    schema.check_section("config", state)
    other = ConfigPanel()
    qtbot.addWidget(other)
    assert other.lm_sampling.currentData() == "random-offset" and other.mt_split.currentData() == "fractions"
    other.restore_state(state)
    assert other.lm_sampling.currentData() == "book" and other.mt_split.currentData() == "book"
