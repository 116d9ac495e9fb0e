"""The translation panel with the shipped model: greedy and n-best, BLEU, <unk>, messages, the tree signal."""

from __future__ import annotations

import pytest

from rnnviz.core.resources import pretrained_path
from rnnviz.core.decoding import BeamOptions
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.data.tokenize import tokenize_mt
from rnnviz.core.decoding import translate, translate_beam
from rnnviz.core.metrics import bleu
from rnnviz.gui.panels.beam_panel import BeamPanel
from rnnviz.core.decoding import TreeRequest
from rnnviz.gui.panels.translate_panel import UNKNOWN_COLOR, TranslatePanel

TIMEOUT = 20_000


@pytest.fixture(scope="module")
def mt_bundle():
    return load_checkpoint(pretrained_path("mt"))


@pytest.fixture(scope="module")
def lm_bundle():
    return load_checkpoint(pretrained_path("lm"))


@pytest.fixture
def panel(qtbot, mt_bundle) -> TranslatePanel:
    widget = TranslatePanel()
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    with qtbot.waitSignal(widget.sig_translated, timeout=TIMEOUT):
        widget.set_bundle(mt_bundle)  # translates the default sentence
    yield widget
    qtbot.waitUntil(lambda: not widget.is_busy())


def translate_in(panel: TranslatePanel, qtbot, sentence: str):
    with qtbot.waitSignal(panel.sig_translated, timeout=TIMEOUT) as blocker:
        panel.set_sentence(sentence)
    return blocker.args[0]


def rows(panel: TranslatePanel) -> list[list[str]]:
    t = panel.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_greedy_translation_equals_the_cores(panel: TranslatePanel, mt_bundle, qtbot) -> None:
    for sentence in ("The girls are happy.", "does she like the red apples ?", "i am cold ."):
        outcome = translate_in(panel, qtbot, sentence)
        expected = translate(mt_bundle, sentence)
        assert outcome.greedy.tokens == expected.tokens
        assert panel.greedy_label.text() == expected.text


def test_nbest_list_is_the_cores_beam_sorted_by_score(panel: TranslatePanel, mt_bundle, qtbot) -> None:
    panel.set_options(beam_size=5, nbest=5)
    outcome = translate_in(panel, qtbot, "the boys eat the green apples .")
    options = BeamOptions(beam_size=5, nbest=5, max_len=int(mt_bundle.data_config.num_steps))
    expected = translate_beam(mt_bundle, "the boys eat the green apples .", options)
    assert [h.text for h in outcome.beam.hypotheses] == [h.text for h in expected.hypotheses]
    scores = [h.score for h in outcome.beam.hypotheses]
    assert scores == sorted(scores, reverse=True) and len(scores) > 1
    table = rows(panel)
    assert [r[1] for r in table] == [h.text for h in expected.hypotheses]
    assert [float(r[3]) for r in table] == pytest.approx(scores, abs=1e-3)
    assert panel.table.isColumnHidden(5)  # no reference, no BLEU


def test_bleu_with_a_reference_is_the_books(panel: TranslatePanel, qtbot) -> None:
    reference = "Les filles sont heureuses."
    with qtbot.waitSignal(panel.sig_translated, timeout=TIMEOUT) as blocker:
        panel.set_reference(reference)
    outcome = blocker.args[0]
    label = tokenize_mt(reference)  # lowercased, a space before "." as the training data
    assert outcome.reference_tokens == tuple(label)
    assert outcome.greedy_bleu == pytest.approx(bleu(list(outcome.greedy.tokens), label, 2))
    for h, score in zip(outcome.beam.hypotheses, outcome.beam_bleu):
        assert score == pytest.approx(bleu(h.text, " ".join(label), 2))
    assert not panel.table.isColumnHidden(5)
    assert [float(r[5]) for r in rows(panel)] == pytest.approx(list(outcome.beam_bleu), abs=1e-3)
    assert f"BLEU {outcome.greedy_bleu:.3f}" in panel.greedy_label.text()


def test_unknown_words_are_highlighted_as_unk(panel: TranslatePanel, qtbot) -> None:
    outcome = translate_in(panel, qtbot, "i am cold .")
    assert outcome.beam.source_tokens == ("i", "am", "<unk>", ".", "<eos>")
    html = panel.source_label.text()
    assert f'color:{UNKNOWN_COLOR}; font-weight:bold;">&lt;unk&gt;</span>' in html and "(cold)" in html
    assert "not in the model's vocabulary" in panel.message() and "cold" in panel.message()
    assert panel.message_label.isVisible()


def test_empty_and_unknown_sentences_give_a_message(panel: TranslatePanel, qtbot) -> None:
    with qtbot.waitSignal(panel.sig_failed, timeout=TIMEOUT) as blocker:
        panel.set_sentence("   ")
    assert "the sentence is empty" in blocker.args[0] and panel.message() == blocker.args[0]
    assert panel.table.rowCount() == 0 and panel.greedy_label.text() == "" and not panel.tree_button.isEnabled()
    with qtbot.waitSignal(panel.sig_failed, timeout=TIMEOUT) as blocker:
        panel.set_sentence("xyzzy plugh")
    assert "none of the words" in blocker.args[0]
    assert panel.message_label.property("error") is True


def test_a_long_sentence_is_trimmed_with_a_notice(panel: TranslatePanel, qtbot) -> None:
    outcome = translate_in(panel, qtbot, "the girls are happy and the boys are sad and the cats are calm .")
    assert outcome.beam.trimmed and "num_steps" in panel.message()
    assert "trimmed" in panel.source_label.text()


def test_show_beam_tree_hands_the_search_to_the_beam_panel(panel: TranslatePanel, qtbot, mt_bundle) -> None:
    outcome = translate_in(panel, qtbot, "the girls are happy .")
    with qtbot.waitSignal(panel.sig_show_tree) as blocker:
        panel.tree_button.click()
    request = blocker.args[0]
    assert isinstance(request, TreeRequest) and request.bundle is mt_bundle
    assert request.outcome.result is outcome.beam.result and request.outcome.text == "the girls are happy ."
    beam = BeamPanel()
    qtbot.addWidget(beam)
    beam.show_request(request)
    assert beam.source() == "model" and beam.text_edit.text() == "the girls are happy ."
    assert beam.result() is outcome.beam.result and beam.tree.result() is outcome.beam.result
    assert beam.options() == outcome.beam.result.options
    assert not beam.is_busy()  # shown at once, not searched again
    with qtbot.waitSignal(beam.sig_result_shown, timeout=TIMEOUT):  # its controls still search the model
        beam.beam_spin.setValue(2)
    assert beam.result().options.beam_size == 2


def test_option_changes_retranslate(panel: TranslatePanel, qtbot) -> None:
    with qtbot.waitSignal(panel.sig_translated, timeout=TIMEOUT) as blocker:
        panel.beam_spin.setValue(1)
    assert blocker.args[0].beam.result.options.beam_size == 1
    assert blocker.args[0].beam.text == blocker.args[0].greedy.text  # a beam of 1 is greedy
    assert panel.beam_caption.text().startswith("Beam search (k = 1)")


def test_only_the_newest_sentence_is_shown(panel: TranslatePanel, qtbot) -> None:
    shown = []
    panel.sig_translated.connect(shown.append)
    panel.set_sentence("the boys are sad .")
    panel.set_sentence("the cats are calm .")
    qtbot.waitUntil(lambda: not panel.is_busy() and bool(shown), timeout=TIMEOUT)
    assert [o.sentence for o in shown] == ["the cats are calm ."]


def test_a_language_model_is_refused(panel: TranslatePanel, lm_bundle, qtbot) -> None:
    with qtbot.waitSignal(panel.sig_failed) as blocker:
        panel.set_bundle(lm_bundle)
    assert "translation needs a translation model" in blocker.args[0]
    panel.set_bundle(None)
    assert "No translation model" in panel.message() and panel.outcome() is None


def test_restored_options_are_used_once_a_model_arrives(qtbot, mt_bundle) -> None:
    other = TranslatePanel()
    qtbot.addWidget(other)
    other.restore_state({"beam_size": 3, "nbest": 2, "alpha": 0.5, "length_penalty": "gnmt"})
    with qtbot.waitSignal(other.sig_translated, timeout=TIMEOUT) as blocker:
        other.set_bundle(mt_bundle)
    assert blocker.args[0].beam.result.options.length_penalty == "gnmt"
    qtbot.waitUntil(lambda: not other.is_busy(), timeout=TIMEOUT)
