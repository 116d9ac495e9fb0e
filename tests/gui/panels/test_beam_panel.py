"""The beam-search panel and tree: the book's toy numbers, step-through, re-runs, bad toy files, models, theme."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent

from rnnviz.core.resources import pretrained_path
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.decoding import translate, translate_beam
from rnnviz.core.errors import DataError
from rnnviz.core.decoding.toy import D2L_TABLE, load_toy
from rnnviz.gui.panels.beam_panel import BeamPanel
from rnnviz.gui.widgets.beam_tree import BeamTreeView

SENTENCE = "the girls are happy ."


@pytest.fixture(scope="module")
def mt_bundle():
    return load_checkpoint(pretrained_path("mt"))


@pytest.fixture
def panel(qtbot) -> BeamPanel:
    widget = BeamPanel()
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not widget.is_busy())  # no model job outlives its test


def table_rows(panel: BeamPanel) -> list[list[str]]:
    table = panel.table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def drawn_counts(tree: BeamTreeView) -> dict[int, Counter]:
    result = tree.result()
    counts: dict[int, Counter] = {}
    for node, status in tree.drawn_nodes().items():
        counts.setdefault(result.tree.node(node).step, Counter())[status] += 1
    return counts


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "toy.json"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the book's example


def test_default_is_the_books_table_and_a_beam_of_two_finds_acb(panel: BeamPanel) -> None:
    assert panel.source() == "d2l" and panel.strategy() == "beam" and panel.options().beam_size == 2
    rows = table_rows(panel)
    assert rows[0][1] == "A C B <eos>" and rows[0][2] == "0.054"
    assert rows[1][1] == "A B C <eos>" and rows[1][2] == "0.048"
    best = panel.result().best
    assert math.isclose(best.probability, 0.054) and math.isclose(float(rows[0][3]), math.log(0.054), abs_tol=1e-3)
    assert math.isclose(float(rows[0][5]), best.score, abs_tol=1e-3)
    assert panel.message() == ""


def test_the_tab_opens_the_books_example_at_k_2_its_length_and_step_1(panel: BeamPanel) -> None:
    from rnnviz.core.decoding.toy import D2L_BEAM_SIZE, D2L_MAX_LEN, D2L_START_STEP

    # the same defaults as `rnnviz beam --toy d2l` (tests/cli/test_beam.py)
    assert (D2L_BEAM_SIZE, D2L_MAX_LEN, D2L_START_STEP) == (2, 4, 1)
    assert panel.beam_spin.value() == 2 and panel.max_len_spin.value() == 4
    assert panel.tree.shown_steps() == 1 and panel.tree.num_steps() == 4
    assert "step 1 of 4" in panel.step_label.text()
    assert panel.next_button.isEnabled() and panel.previous_button.isEnabled()


def test_back_to_the_books_example_opens_at_step_1_with_its_k_and_length(panel: BeamPanel) -> None:
    panel.tree.show_all()
    panel.set_source("model")
    panel.beam_spin.setValue(4)  # what a translation's search leaves (the Translate tab's k and length)
    panel.max_len_spin.setValue(12)
    panel.set_source("d2l")
    assert panel.tree.shown_steps() == 1
    assert (panel.beam_spin.value(), panel.max_len_spin.value()) == (2, 4)
    panel.restore_state(panel.state())
    assert panel.tree.shown_steps() == 1


def test_greedy_finds_abc_with_0048(panel: BeamPanel) -> None:
    panel.set_strategy("greedy")
    rows = table_rows(panel)
    assert rows[0][1] == "A B C <eos>" and rows[0][2] == "0.048"
    assert panel.result().strategy == "greedy"
    assert not panel.beam_spin.isEnabled()  # greedy is a beam of 1


def test_drawn_statuses_per_step_equal_the_trees_counts(panel: BeamPanel) -> None:
    tree = panel.tree
    tree.show_all()
    assert tree.shown_steps() == tree.num_steps() == 4
    counts = drawn_counts(tree)
    for summary in panel.result().steps():
        drawn = counts[summary.step]
        assert (drawn["kept"], drawn["pruned"], drawn["finished"]) == (summary.kept, summary.pruned, summary.finished)
        assert sum(drawn.values()) == summary.considered  # 4 tokens: every candidate is drawn
    assert tree.hidden_counts() == {}
    # the best hypothesis's path is highlighted once the whole search is shown
    best = panel.result().best
    assert set(tree.highlighted_path()) == {0} | {n.id for n in panel.result().tree.path(best.node)}


def test_next_and_previous_change_the_steps_shown(panel: BeamPanel, qtbot) -> None:
    tree = panel.tree
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert tree.shown_steps() == 0 and tree.drawn_nodes() == {}
    assert not panel.previous_button.isEnabled() and panel.next_button.isEnabled()
    with qtbot.waitSignal(tree.sig_step_changed) as blocker:
        qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [1]
    assert set(drawn_counts(tree)) == {1} and sum(drawn_counts(tree)[1].values()) == 4
    assert "step 1 of 4: 4 candidates" in panel.step_label.text() and "2 kept" in panel.step_label.text()
    assert tree.highlighted_path() == ()  # the winner is not given away mid-search
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert set(drawn_counts(tree)) == {1, 2} and sum(drawn_counts(tree)[2].values()) == 8
    assert "step 2 of 4: 8 candidates" in panel.step_label.text()
    qtbot.mouseClick(panel.previous_button, Qt.MouseButton.LeftButton)
    assert tree.shown_steps() == 1
    qtbot.mouseClick(panel.all_button, Qt.MouseButton.LeftButton)
    assert tree.shown_steps() == 4 and not panel.next_button.isEnabled()
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Left)
    assert tree.shown_steps() == 3
    qtbot.keyClick(tree, Qt.Key.Key_PageDown)  # what a presentation clicker sends
    assert tree.shown_steps() == 4


def test_a_rerun_keeps_a_lecturer_at_the_same_step(panel: BeamPanel) -> None:
    panel.tree.set_shown_steps(2)
    panel.alpha_spin.setValue(0.5)
    assert panel.tree.shown_steps() == 2


def test_pruned_modes(panel: BeamPanel) -> None:
    tree = panel.tree
    tree.show_all()
    panel.pruned_combo.setCurrentIndex(panel.pruned_combo.findData("newest"))
    counts = drawn_counts(tree)
    assert counts[1]["pruned"] == 0 and counts[4]["pruned"] == 6
    panel.pruned_combo.setCurrentIndex(panel.pruned_combo.findData("none"))
    assert all(c["pruned"] == 0 for c in drawn_counts(tree).values())
    assert panel.state()["pruned"] == "none"


def test_changing_beam_size_alpha_and_rules_reruns(panel: BeamPanel) -> None:
    with_shown = []
    panel.sig_result_shown.connect(with_shown.append)
    panel.beam_spin.setValue(1)
    assert table_rows(panel)[0][1] == "A B C <eos>"
    panel.beam_spin.setValue(2)
    assert table_rows(panel)[0][1] == "A C B <eos>"
    panel.alpha_spin.setValue(0.0)  # no length penalty: the score is log P
    rows = table_rows(panel)
    assert all(math.isclose(float(r[3]), float(r[5]), abs_tol=1e-3) for r in rows)
    panel.alpha_spin.setValue(0.75)
    panel.candidates_combo.setCurrentIndex(panel.candidates_combo.findData("book"))
    assert table_rows(panel)[0][1] == "A"  # the book's literal rule: a short prefix wins (log 0.5 / 1)
    panel.penalty_combo.setCurrentIndex(panel.penalty_combo.findData("gnmt"))
    assert panel.result().options.length_penalty == "gnmt"
    assert len(with_shown) == 6


def test_exhaustive_search_on_the_toy_is_drawn_with_caps(panel: BeamPanel) -> None:
    panel.max_len_spin.setValue(10)
    panel.set_strategy("exhaustive")
    panel.tree.show_all()
    result = panel.result()
    assert result.strategy == "exhaustive" and table_rows(panel)[0][1] == "A C B <eos>"
    assert len(result.tree) > 100_000  # 10 steps of every sequence
    assert all(sum(c.values()) <= 40 for c in drawn_counts(panel.tree).values())
    # 77,760: after "A B C" the book gives A probability 0 (figure 10.8.1), so no sequence continues that way
    assert "77,760 candidates" in panel.tree.step_text(10)


def test_invalid_options_show_the_cores_message(panel: BeamPanel) -> None:
    panel.max_len_spin.setValue(2)
    panel.nbest_spin.setValue(5)  # more than a beam of 2 keeps in 2 steps
    assert "nbest 5 is more than can exist" in panel.message()
    assert panel.result() is None and panel.table.rowCount() == 0
    panel.nbest_spin.setValue(1)
    assert panel.message() == "" and panel.result() is not None


def test_hover_shows_cumulative_log_prob_and_score(panel: BeamPanel) -> None:
    panel.tree.show_all()
    best = panel.result().best
    tip = panel.tree.node_tooltip(best.node)
    assert "A C B <eos>" in tip
    assert f"cumulative log P = {best.log_prob:.4f}" in tip and f"= {best.score:.4f}" in tip
    item = next(i for i in panel.tree.scene().items() if getattr(i, "entry", None) is not None
                and i.entry.node == best.node)
    assert item.toolTip() == tip


def test_selecting_a_hypothesis_highlights_its_path(panel: BeamPanel) -> None:
    second = panel.result().hypotheses[1]
    panel.tree.show_start()
    panel.table.selectRow(1)
    panel.tree.show_all()
    path = {0} | {n.id for n in panel.result().tree.path(second.node)}
    assert set(panel.tree.highlighted_path()) == path


# ---------------------------------------------------------------- toy files


def test_a_valid_toy_file_is_searched(panel: BeamPanel, tmp_path: Path) -> None:
    table = {"vocab": ["x", "y", "<eos>"], "eos": "<eos>", "table": {"": [0.6, 0.4, 0.0]},
             "default": [0.1, 0.1, 0.8]}
    assert panel.load_toy_file(write(tmp_path, json.dumps(table)))
    assert panel.source() == "file" and panel.open_button.isVisible()
    assert table_rows(panel)[0][1] == "x <eos>" and panel.message() == ""
    assert "toy.json" in panel.description.text()


@pytest.mark.parametrize("text, expected", [
    (json.dumps({**D2L_TABLE, "table": {"": [0.5, 0.2, 0.2, 0.2]}}), "sums to 1.1, not 1"),
    (json.dumps({**D2L_TABLE, "table": {"": [0.5, 0.2, 0.4, -0.1]}}), "a probability cannot be negative"),
    (json.dumps({**D2L_TABLE, "table": {"": [0.5, 0.2, 0.2, 0.1], "A Z": [0.25] * 4}}), "'Z' is not in vocab"),
    ('{"vocab": ["A", "<eos>"], "eos": "<eos>", "table": {"": [0.5, 0.5],}}', "not valid JSON at line 1"),
])
def test_bad_toy_files_show_the_cores_message(panel: BeamPanel, tmp_path: Path, qtbot, text: str,
                                             expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataError) as error:
        load_toy(path)
    with qtbot.waitSignal(panel.sig_failed) as blocker:
        assert not panel.load_toy_file(path)
    assert expected in str(error.value)
    assert str(error.value) in panel.message() and blocker.args[0] == panel.message()
    assert panel.message_label.isVisible() and panel.message_label.property("error") is True
    assert panel.source() == "d2l" and table_rows(panel)[0][1] == "A C B <eos>"  # the book's table stays


def test_a_missing_toy_file(panel: BeamPanel, tmp_path: Path) -> None:
    assert not panel.load_toy_file(tmp_path / "nowhere.json")
    assert "nowhere.json" in panel.message()


# ---------------------------------------------------------------- models


def test_model_source_beam_equals_translate_beam(panel: BeamPanel, mt_bundle, qtbot) -> None:
    panel.set_bundle(mt_bundle)
    panel.set_source("model")
    assert panel.text_edit.isVisible()
    panel.max_len_spin.setValue(12)
    with qtbot.waitSignal(panel.sig_result_shown, timeout=20_000):
        panel.set_model_text(SENTENCE)
    options = panel.options()
    expected = translate_beam(mt_bundle, SENTENCE, options)
    got = panel.result()
    assert [h.tokens for h in got.hypotheses] == [h.tokens for h in expected.result.hypotheses]
    assert [h.log_prob for h in got.hypotheses] == pytest.approx([h.log_prob for h in expected.result.hypotheses])
    assert table_rows(panel)[0][1] == expected.text + " <eos>"
    # a wide vocabulary: only the likeliest candidates are drawn, the rest counted
    hidden = panel.tree.hidden_counts()
    drawn_first = sum(1 for n in panel.tree.drawn_nodes() if got.tree.node(n).step == 1)
    assert hidden[0] == len(panel.vocabulary()) - drawn_first
    with qtbot.waitSignal(panel.sig_result_shown, timeout=20_000):
        panel.set_strategy("greedy")
    assert panel.hypothesis_text(panel.result().best) == translate(mt_bundle, SENTENCE, max_len=12).text + " <eos>"


def test_model_exhaustive_search_is_refused_with_a_message(panel: BeamPanel, mt_bundle, qtbot) -> None:
    panel.set_bundle(mt_bundle)
    panel.set_source("model")
    with qtbot.waitSignal(panel.sig_result_shown, timeout=20_000):
        panel.set_model_text(SENTENCE)
    with qtbot.waitSignal(panel.sig_failed, timeout=20_000) as blocker:
        panel.set_strategy("exhaustive")
    assert "exhaustive search over 242 tokens" in blocker.args[0] and panel.result() is None


def test_model_source_without_model_or_text_says_so(panel: BeamPanel, mt_bundle) -> None:
    panel.set_source("model")
    assert panel.result() is None and panel.tree.result() is None
    panel.set_bundle(mt_bundle)
    panel.set_model_text("   ")
    assert panel.result() is None


def test_stale_model_results_are_dropped(panel: BeamPanel, mt_bundle, qtbot) -> None:
    panel.set_bundle(mt_bundle)
    panel.set_source("model")
    shown = []
    panel.sig_result_shown.connect(shown.append)
    panel.set_model_text("the boys are sad .")
    panel.set_model_text(SENTENCE)
    qtbot.waitUntil(lambda: not panel.is_busy() and panel.result() is not None, timeout=20_000)
    assert len(shown) == 1
    assert "heureuses" in panel.hypothesis_text(panel.result().best)


# ---------------------------------------------------------------- theme and state






def test_wheel_zooms_and_fit_restores(panel: BeamPanel) -> None:
    tree = panel.tree
    fitted = tree.transform().m11()
    centre = QPointF(tree.viewport().rect().center())
    event = QWheelEvent(centre, tree.viewport().mapToGlobal(centre), QPoint(), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    tree.wheelEvent(event)
    assert tree.transform().m11() == pytest.approx(fitted * 1.0015 ** 240)
    assert tree.dragMode() == tree.DragMode.ScrollHandDrag  # dragging pans
    panel.fit_button.click()
    assert tree.transform().m11() == pytest.approx(fitted)


def test_a_restored_toy_file_that_is_gone_falls_back_to_the_book(panel: BeamPanel, qtbot, tmp_path: Path) -> None:
    other = BeamPanel()
    qtbot.addWidget(other)
    other.restore_state({**panel.state(), "source": "file", "toy_path": str(tmp_path / "gone.json")})
    assert other.source() == "d2l" and "gone.json" in other.message()


def test_presentation_folds_the_settings_and_the_button_sums_them_up(panel: BeamPanel, mt_bundle) -> None:
    from rnnviz.gui.style import NORMAL, PRESENTATION

    panel.show()
    assert panel.controls.settings_box.isVisible() and not panel.fold_button.folded()
    panel.apply_theme(PRESENTATION)
    assert not panel.controls.settings_box.isVisible()
    assert "beam k = 2, max length 4" in panel.fold_button.text()
    panel.beam_spin.setValue(3)  # a setting changed while folded (a restored session): the summary follows
    assert "beam k = 3" in panel.fold_button.text()
    panel.set_bundle(mt_bundle)
    panel.set_source("model")
    assert panel.text_edit.isVisible()  # the sentence is typed in front of the class: never folded away
    panel.fold_button.click()
    assert panel.controls.settings_box.isVisible() and "▴" in panel.fold_button.text()
    panel.apply_theme(NORMAL)
    assert panel.controls.settings_box.isVisible()
