"""The generation panel with the shipped language model: strategies, per-step distributions, cursor, theme."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt, QUrl

from rnnviz.core.resources import pretrained_path
from rnnviz.core.decoding import BeamOptions
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.decoding import generate, generate_beam
from rnnviz.gui.panels.beam_panel import BeamPanel
from rnnviz.gui.panels.generate_panel import GeneratePanel

TIMEOUT = 20_000
PREFIX = "the girls "


@pytest.fixture(scope="module")
def lm_bundle():
    return load_checkpoint(pretrained_path("lm"))


@pytest.fixture(scope="module")
def mt_bundle():
    return load_checkpoint(pretrained_path("mt"))


@pytest.fixture
def panel(qtbot, lm_bundle) -> GeneratePanel:
    widget = GeneratePanel()
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    widget.set_options(length=30)  # no model yet: nothing runs
    with qtbot.waitSignal(widget.sig_generated, timeout=TIMEOUT):
        widget.set_bundle(lm_bundle)
    yield widget
    qtbot.waitUntil(lambda: not widget.is_busy())


def run(panel: GeneratePanel, qtbot, **options):
    with qtbot.waitSignal(panel.sig_generated, timeout=TIMEOUT) as blocker:
        if "prefix" in options:
            panel.prefix_edit.setText(options.pop("prefix"))
        panel.set_options(**options)
    return blocker.args[0]


def softmax_after(bundle, text_tokens: list[str], temperature: float = 1.0) -> np.ndarray:
    """P(next | text_tokens), recomputed from the model directly."""
    vocab = bundle.vocabs[0]
    with torch.no_grad():
        logits, _ = bundle.model.next_logits(torch.tensor([vocab.indices(text_tokens)]))
    return torch.softmax(logits[0].double() / temperature, dim=-1).numpy()


def test_greedy_text_equals_the_cores(panel: GeneratePanel, lm_bundle, qtbot) -> None:
    outcome = run(panel, qtbot, prefix=PREFIX, strategy="greedy", length=40)
    expected = generate(lm_bundle, PREFIX, 40)
    assert outcome.text == expected.text and outcome.tokens == expected.tokens
    assert panel.text_view.toPlainText() == expected.text
    assert panel.slider.maximum() == 39


def test_bars_at_a_step_equal_a_softmax_recomputation(panel: GeneratePanel, lm_bundle, qtbot) -> None:
    outcome = run(panel, qtbot, prefix=PREFIX, strategy="greedy", length=20, top_k=8)
    for step in (0, 7, 19):
        panel.set_cursor(step)
        probs = softmax_after(lm_bundle, list(outcome.prefix) + list(outcome.tokens[:step]))
        top = np.argsort(-probs, kind="stable")[:8]
        vocabulary = lm_bundle.vocabs[0].to_list()
        bars = panel.bars.bars()
        assert [token for token, _, _ in bars] == [vocabulary[i] for i in top]
        assert [p for _, p, _ in bars] == pytest.approx(probs[top].tolist(), abs=1e-6)
        chosen = [token for token, _, is_chosen in bars if is_chosen]
        assert chosen == [outcome.tokens[step]]  # greedy: the argmax, highlighted
        assert int(np.argmax(probs)) == outcome.token_ids[step]


def test_sampling_with_a_seed_is_reproducible(panel: GeneratePanel, lm_bundle, qtbot) -> None:
    first = run(panel, qtbot, prefix=PREFIX, strategy="sample", temperature=1.3, seed=7, length=40)
    assert first.text == generate(lm_bundle, PREFIX, 40, "sample", 1.3, 7).text
    other = run(panel, qtbot, seed=8)
    again = run(panel, qtbot, seed=7)
    assert again.text == first.text and other.text != first.text
    assert panel.seed_spin.isEnabled() and not panel.beam_spin.isEnabled()
    # the bars show the distribution sampled from: at the temperature
    panel.set_cursor(3)
    probs = softmax_after(lm_bundle, list(again.prefix) + list(again.tokens[:3]), temperature=1.3)
    assert panel.bars.bars()[0][1] == pytest.approx(float(probs.max()), abs=1e-6)
    assert "temperature 1.3" in panel.bars.getPlotItem().titleLabel.text


def test_an_unlikely_sample_gets_a_bar_of_its_own(panel: GeneratePanel, qtbot) -> None:
    outcome = run(panel, qtbot, prefix=PREFIX, strategy="sample", temperature=5.0, seed=1, length=60, top_k=1)
    ranks = [1 + int(np.sum(row > row[i])) for row, i in zip(outcome.probs, outcome.token_ids)]
    step = next(i for i, r in enumerate(ranks) if r > 1)
    panel.set_cursor(step)
    bars = panel.bars.bars()
    assert len(bars) == 2 and bars[1][2] and not bars[0][2]
    assert f"rank {ranks[step]}" in panel.cursor_label.text()


def test_beam_strategy_equals_generate_beam_and_shows_its_tree(panel: GeneratePanel, lm_bundle, qtbot) -> None:
    outcome = run(panel, qtbot, prefix=PREFIX, strategy="beam", beam_size=3, alpha=0.75, length=25)
    expected = generate_beam(lm_bundle, PREFIX, 25, BeamOptions(beam_size=3, alpha=0.75))
    assert outcome.text == expected.text
    assert panel.tree_button.isEnabled()
    with qtbot.waitSignal(panel.sig_show_tree) as blocker:
        panel.tree_button.click()
    beam = BeamPanel()
    qtbot.addWidget(beam)
    beam.show_request(blocker.args[0])
    assert beam.result() is outcome.beam.result and beam.text_label.text() == "Prefix"
    assert beam.tree.drawn_nodes()  # drawn
    with qtbot.waitSignal(beam.sig_result_shown, timeout=TIMEOUT):  # the beam panel searches the LM itself
        beam.beam_spin.setValue(2)
    expected2 = generate_beam(lm_bundle, PREFIX, 25, BeamOptions(beam_size=2, alpha=0.75, nbest=1))
    assert beam.hypothesis_text(beam.result().best) == "".join(expected2.tokens)


def test_cursor_follows_keys_slider_and_clicks(panel: GeneratePanel, qtbot) -> None:
    run(panel, qtbot, prefix=PREFIX, strategy="greedy", length=10)
    panel.set_cursor(0)
    panel.text_view.setFocus()
    with qtbot.waitSignal(panel.sig_cursor_changed) as blocker:
        qtbot.keyClick(panel.text_view, Qt.Key.Key_Right)
    assert blocker.args == [1] and panel.cursor() == 1 and panel.slider.value() == 1
    qtbot.keyClick(panel.text_view, Qt.Key.Key_Left)
    qtbot.keyClick(panel.text_view, Qt.Key.Key_Left)  # stays at the first token
    assert panel.cursor() == 0
    panel.slider.setValue(4)
    assert panel.cursor() == 4 and "token 5 of 10" in panel.cursor_label.text()
    panel.text_view.anchorClicked.emit(QUrl("t7"))  # a click on the 8th token
    assert panel.cursor() == 7
    assert "#fbe4d5" in panel.text_view.toHtml()  # the token under the cursor is highlighted
    panel.next_button.click()
    panel.next_button.click()
    assert panel.cursor() == 9 and not panel.next_button.isEnabled()


def test_messages_for_empty_prefix_and_wrong_model(panel: GeneratePanel, mt_bundle, qtbot) -> None:
    with qtbot.waitSignal(panel.sig_failed, timeout=TIMEOUT) as blocker:
        panel.set_prefix("  ")
    assert "empty once cleaned" in blocker.args[0] and panel.message() == blocker.args[0]
    assert panel.outcome() is None and panel.text_view.toPlainText() == "" and panel.bars.bars() == []
    with qtbot.waitSignal(panel.sig_failed) as blocker:
        panel.set_bundle(mt_bundle)
    assert "generation needs a language model" in blocker.args[0]
