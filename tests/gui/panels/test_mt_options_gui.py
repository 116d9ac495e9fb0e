"""The Config dock's Loss: "Mask padding" and the Translate tab's "BLEU by source length"."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rnnviz.core import session_schema as schema
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import MtData, build_data
from rnnviz.core.decoding.by_length import validation_pairs
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.resources import pretrained_path
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.gui.concurrency import wait_for_jobs
from rnnviz.gui.panels.config_panel import ConfigPanel
from rnnviz.gui.panels.translate_lengths import BleuByLengthBox, y_top
from rnnviz.gui.panels.translate_panel import TranslatePanel

MT = ModelConfig("mt", StackSpec("gru", (8,)), StackSpec("gru", (8,)), embed_size=8)
TIMEOUT = 20_000


@pytest.fixture
def config_panel(qtbot) -> ConfigPanel:
    widget = ConfigPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_the_checkbox_shows_for_translation_and_sets_the_models_loss(config_panel: ConfigPanel) -> None:
    assert not config_panel.mask_padding.isVisibleTo(config_panel)  # a language model has no padding
    config_panel.set_task("mt")
    assert config_panel.mask_padding.isVisibleTo(config_panel) and config_panel.mask_padding.isChecked()
    assert config_panel.with_loss_options(MT).mask_padding is True
    assert "unmasked" not in config_panel.optimizer_label()
    config_panel.mask_padding.setChecked(False)
    assert config_panel.with_loss_options(MT).mask_padding is False
    assert config_panel.optimizer_label().endswith(", unmasked loss")  # the run's legend tells it apart
    lm = ModelConfig()
    assert config_panel.with_loss_options(lm) is lm


def test_the_checkbox_round_trips_through_a_session_and_follows_an_opened_model(config_panel: ConfigPanel,
                                                                                 qtbot) -> None:
    config_panel.set_task("mt")
    config_panel.mask_padding.setChecked(False)
    state = config_panel.state()
    schema.check_section("config", state)  # what a session saves passes the session's checks
    other = ConfigPanel()
    qtbot.addWidget(other)
    other.restore_state(state)
    assert other.mask_padding.isChecked() is False
    other.restore_state({k: v for k, v in state.items() if k != "mask_padding"})  # an older session
    assert other.mask_padding.isChecked() is False  # absent: left as it is
    data = DataConfig(corpus="phrasebook", task="mt")
    other.set_from(data, None, MT)
    assert other.mask_padding.isChecked() is True
    other.set_from(data, None, replace(MT, mask_padding=False))
    assert other.mask_padding.isChecked() is False


@pytest.fixture(scope="module")
def toy_bundle():
    data = build_data(DataConfig(corpus="toy-sort", task="mt", batch_size=64, max_examples=300))
    assert isinstance(data, MtData)
    return bundle_for(data, MT, seed=0)


def test_the_button_shows_bleu_by_length_for_every_validation_pair(qtbot, toy_bundle) -> None:
    panel = TranslatePanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 900)
    panel.show()
    panel.set_sentence("3 1 2")  # no model yet: nothing translated
    with qtbot.waitSignal(panel.sig_translated, timeout=TIMEOUT):
        panel.set_bundle(toy_bundle)
    box = panel.lengths
    assert box.button.isEnabled() and not box.table.isVisible()
    with qtbot.waitSignal(box.sig_computed, timeout=TIMEOUT) as blocker:
        box.button.click()
    result = blocker.args[0]
    assert box.result() is result and not box.is_busy()
    assert box.table.isVisible() and box.plot.isVisible()
    counts = [int(box.table.item(r, 1).text().replace(",", "")) for r in range(box.table.rowCount())]
    assert sum(counts) == len(validation_pairs(toy_bundle)) == len(result.pairs)
    assert [box.table.item(r, 0).text() for r in range(box.table.rowCount())] == [b.label for b in result.buckets]
    assert f"mean BLEU {result.mean_bleu:.3f}" in box.message()
    assert list(box.bars.opts["height"]) == pytest.approx([b.mean_bleu for b in result.buckets])
    top = box.plot.getViewBox().viewRange()[1][1]
    highest = max(b.mean_bleu for b in result.buckets)
    assert highest <= top <= max(0.05, 1.25 * highest)  # the axis follows the bars: small BLEU still reads
    qtbot.waitUntil(lambda: not panel.is_busy())


def test_the_bleu_axis_top_follows_the_highest_bar() -> None:
    assert y_top([0.02, 0.04]) == pytest.approx(0.05)
    assert y_top([0.1, 0.5]) == pytest.approx(0.6)
    assert y_top([0.95]) == 1.0 and y_top([]) == pytest.approx(0.05)


def test_a_language_model_disables_it_and_a_new_model_drops_a_stale_answer(qtbot, toy_bundle) -> None:
    box = BleuByLengthBox()
    qtbot.addWidget(box)
    box.set_bundle(load_checkpoint(pretrained_path("lm")))
    assert not box.button.isEnabled()
    box.set_bundle(toy_bundle)
    box.compute()
    box.set_bundle(None)  # the model went away while it computed
    assert wait_for_jobs(TIMEOUT)  # its answer came back, and was dropped
    assert box.result() is None and not box.table.isVisible() and not box.button.isEnabled()
