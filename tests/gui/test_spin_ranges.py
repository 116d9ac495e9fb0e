"""The app's spin boxes take their ranges from rnnviz.core.limits, and say them; temperature 0 is greedy.

A spin box and the config it feeds must agree: a value the box offers is one the
core accepts, and the box offers every value the core accepts (up to what the
app chooses to show, and what a spin box can hold).
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractSpinBox

from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.config import DataConfig, TrainConfig
from rnnviz.core.decoding import generate
from rnnviz.core.limits import (
    ALPHA,
    BATCH_SIZE,
    BEAM_SIZE,
    EMBED_SIZE,
    EPOCHS,
    GENERATION_LENGTH,
    GRAD_CLIP,
    LEARNING_RATE,
    MAX_EXAMPLES,
    NBEST,
    NUM_STEPS,
    PLAY_SPEED,
    SEED,
    SPIN_MAX,
    TEMPERATURE,
    TOP_K_BARS,
    TOP_UNITS,
    UNIT_INDEX,
    Limit,
)
from rnnviz.core.resources import pretrained_path
from rnnviz.gui.panels.builder_panel import BuilderPanel
from rnnviz.gui.panels.config_panel import ConfigPanel
from rnnviz.gui.panels.gates import GatesPanel
from rnnviz.gui.panels.generate_panel import GeneratePanel
from rnnviz.gui.panels.translate_panel import TranslatePanel


def spin_range(box: QAbstractSpinBox) -> tuple[float, float]:
    return box.minimum(), box.maximum()  # type: ignore[attr-defined]


def assert_follows(box: QAbstractSpinBox, limit: Limit) -> None:
    assert spin_range(box) == pytest.approx(limit.spin_range()), limit.name
    assert f"Range: {limit.app_range_text()}." in box.toolTip(), limit.name


def test_the_config_dock_offers_exactly_what_the_configs_accept(qtbot) -> None:
    panel = ConfigPanel()
    qtbot.addWidget(panel)
    for box, limit in ((panel.epochs, EPOCHS), (panel.lr, LEARNING_RATE), (panel.clip, GRAD_CLIP),
                       (panel.batch_size, BATCH_SIZE), (panel.num_steps, NUM_STEPS),
                       (panel.max_examples, MAX_EXAMPLES), (panel.seed, SEED)):
        assert_follows(box, limit)
    assert panel.lr.minimum() == LEARNING_RATE.lo > 0  # the decimals do not round the lowest rate to 0
    assert panel.seed.maximum() == SPIN_MAX < SEED.hi  # a spin box holds 32 bits; the CLI takes 63
    # Both ends of every box build configs (one at a time, the rest at the recipe's values).
    for box in (panel.epochs, panel.lr, panel.clip, panel.seed, panel.num_steps):
        for value in spin_range(box):
            box.setValue(value)
            panel.build_configs("phrasebook-en")
        box.setValue(box.minimum() if box is not panel.lr else 0.5)
    # The product of two valid boxes can still be too large: the dock says so before Train.
    panel.batch_size.setValue(BATCH_SIZE.hi)
    panel.num_steps.setValue(NUM_STEPS.hi)
    assert "batch_size × num_steps" in panel.error_text() and "1,048,576" in panel.error_text()
    DataConfig(batch_size=BATCH_SIZE.hi, num_steps=16)  # the boxes' ends alone are fine
    TrainConfig(lr=panel.lr.minimum(), grad_clip=panel.clip.maximum(), epochs=panel.epochs.maximum())


def test_the_decoding_tabs_follow_the_limits(qtbot) -> None:
    generate_panel, translate_panel, builder = GeneratePanel(), TranslatePanel(), BuilderPanel()
    for widget in (generate_panel, translate_panel, builder):
        qtbot.addWidget(widget)
    for box, limit in ((generate_panel.length_spin, GENERATION_LENGTH), (generate_panel.seed_spin, SEED),
                       (generate_panel.beam_spin, BEAM_SIZE), (generate_panel.alpha_spin, ALPHA),
                       (generate_panel.topk_spin, TOP_K_BARS), (generate_panel.temperature_spin, TEMPERATURE),
                       (translate_panel.beam_spin, BEAM_SIZE), (translate_panel.nbest_spin, NBEST),
                       (translate_panel.alpha_spin, ALPHA), (builder.embed, EMBED_SIZE)):
        assert_follows(box, limit)
    assert generate_panel.length_spin.maximum() == GENERATION_LENGTH.app_hi < GENERATION_LENGTH.hi
    assert generate_panel.temperature_spin.minimum() == 0.0
    assert generate_panel.temperature_spin.specialValueText() == "0 (greedy)"
    assert "greedy" in generate_panel.temperature_spin.toolTip()


def test_the_gates_tab_follows_the_limits(qtbot) -> None:
    panel = GatesPanel()
    qtbot.addWidget(panel)
    assert spin_range(panel.controls.top_spin) == TOP_UNITS.spin_range() == (0, 4096)
    assert spin_range(panel.time_view.speed_spin) == PLAY_SPEED.spin_range()
    assert spin_range(panel.time_view.unit_spin) == UNIT_INDEX.spin_range() == (-1, 4095)


def test_sampling_at_temperature_zero_in_the_app_is_greedy(qtbot) -> None:
    bundle = load_checkpoint(pretrained_path("lm"))
    panel = GeneratePanel()
    qtbot.addWidget(panel)
    panel.prefix_edit.setText("the girls ")
    panel.set_options(length=30)  # no model yet: nothing runs
    with qtbot.waitSignal(panel.sig_generated, timeout=20_000):
        panel.set_bundle(bundle)
    with qtbot.waitSignal(panel.sig_generated, timeout=20_000) as blocker:
        panel.set_options(strategy="sample", temperature=0.0, seed=5)
    outcome = blocker.args[0]
    assert panel.temperature_spin.text() == "0 (greedy)"
    assert outcome.strategy == "sample" and outcome.temperature == 0.0
    assert outcome.tokens == generate(bundle, "the girls ", 30).tokens  # never temperature 1
    bars = panel.bars.bars()
    assert bars[0][1] == pytest.approx(1.0) and bars[0][2]  # all the mass on the token taken
    qtbot.waitUntil(lambda: not panel.is_busy())
