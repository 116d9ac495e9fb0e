"""The Gradients tab on its own: g and G of a model on screen, the no-path region, overlays, bad input,
exports, a memory task's model, and its settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import build_data
from rnnviz.core.data.memory_tasks import build_memory_data
from rnnviz.core.gradients import Gradients, gradients_lm
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.models.origin import ModelOrigin
from rnnviz.core.models.shipped import load_shipped
from rnnviz.core.session_schema import check_section
from rnnviz.gui.panels.gradients import GradientsPanel
from rnnviz.gui.panels.gradients import computing

TEXT = "the cat sat on the mat"


@pytest.fixture(scope="module")
def lm_data(tmp_path_factory: pytest.TempPathFactory):
    corpus = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    return build_data(DataConfig(corpus=str(corpus), num_steps=8, batch_size=8))


def trained(data, cell: str, run: int) -> ModelBundle:
    bundle = bundle_for(data, ModelConfig("lm", StackSpec(cell, (8,))), seed=run)
    bundle.model.eval()
    return dataclasses.replace(bundle, origin=ModelOrigin.trained(run, 10 * run))


@pytest.fixture
def panel(qtbot) -> GradientsPanel:
    panel = GradientsPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _wait(qtbot, panel: GradientsPanel, action) -> None:
    results: list[object] = []
    panel.sig_result_ready.connect(results.append)
    action()
    qtbot.waitUntil(lambda: bool(results) and not panel.is_busy(), timeout=60_000)
    panel.sig_result_ready.disconnect(results.append)


def computed(qtbot, panel: GradientsPanel, bundle: ModelBundle | None = None, text: str | None = None) -> None:
    """Give the model and/or the text, each waited for until its answer is back from the pool."""
    if bundle is not None:
        _wait(qtbot, panel, lambda: panel.set_bundle(bundle))
    if text is not None:
        _wait(qtbot, panel, lambda: panel.set_text(text))
    if bundle is None and text is None:
        _wait(qtbot, panel, panel.compute)


def test_the_shipped_model_shows_g_and_g_map_from_the_core(qtbot, panel: GradientsPanel) -> None:
    bundle = load_shipped("lm")
    computed(qtbot, panel, bundle)
    result = panel.result()
    assert result is not None and panel.text() == "the girls are not happy because she does not have a car"
    expected = gradients_lm(bundle, panel.text())
    n = len(expected.tokens)
    np.testing.assert_allclose(panel.plots.values, expected.get(1).G, rtol=1e-5)  # the map, (n−1, n−1)
    assert panel.plots.values.shape == (n - 1, n - 1)
    curve = panel.plots.curves()[0]
    assert curve.label == "H layer 1"
    np.testing.assert_allclose(curve.values, expected.get(1).g, rtol=1e-5)
    assert panel.plots.g_axis.labels() == expected.stack.inputs  # tokens along time
    assert panel.plots.row_axis.labels() == expected.stack.inputs  # and down the rows
    assert "From the last step back to step 1" in panel.readout_text() and "GRU 1×128, shipped" in panel.readout_text()


def test_cells_with_no_path_are_transparent_over_the_hatch(qtbot, panel: GradientsPanel, lm_data) -> None:
    computed(qtbot, panel, trained(lm_data, "rnn", 1), TEXT)
    values = panel.plots.values
    upper = np.triu(np.ones_like(values, bool), 1)
    assert np.isnan(values[upper]).all() and np.isfinite(values[~upper]).all()
    rgba = panel.plots.image.image  # (T, R, 4), column-major: [t, s]
    alpha = rgba[..., 3].T  # (R, T)
    assert (alpha[upper] == 0).all() and (alpha[~upper] == 255).all()
    assert panel.plots.hatch.isVisible() and "no path" in panel.legend_line.text()


def test_a_row_clicked_or_stepped_draws_how_that_loss_reaches_back(qtbot, panel: GradientsPanel, lm_data) -> None:
    computed(qtbot, panel, trained(lm_data, "gru", 1), TEXT)
    last = panel.plots.values.shape[0] - 1
    assert panel.row() == last
    panel.set_row(4)
    row_curve = panel.plots.curves()[-1]
    assert row_curve.label.startswith("row 5")
    np.testing.assert_array_equal(row_curve.values, panel.plots.values[4])
    panel.setFocus()
    QTest.keyClick(panel, Qt.Key.Key_Right)
    QTest.keyClick(panel, Qt.Key.Key_PageDown)
    assert panel.row() == 6
    QTest.keyClick(panel, Qt.Key.Key_Left)
    assert panel.row() == 5


def test_other_runs_overlay_their_g_on_the_same_text_and_can_be_removed(qtbot, panel: GradientsPanel,
                                                                       lm_data) -> None:
    rnn, gru = trained(lm_data, "rnn", 1), trained(lm_data, "gru", 2)
    computed(qtbot, panel, rnn, TEXT)
    computed(qtbot, panel, gru)
    assert panel.overlays() == ["RNN 1×8, run 1"]
    overlay = next(c for c in panel.plots.curves() if c.label == "RNN 1×8, run 1")
    np.testing.assert_allclose(overlay.values, gradients_lm(rnn, TEXT).get(1).g, rtol=1e-5)
    assert "(GRU 1×8, run 2); RNN 1×8, run 1:" in panel.readout_text()
    computed(qtbot, panel, text="the mat sat")  # another text: the overlay is computed again on it
    overlay = next(c for c in panel.plots.curves() if c.label == "RNN 1×8, run 1")
    np.testing.assert_allclose(overlay.values, gradients_lm(rnn, "the mat sat").get(1).g, rtol=1e-5)
    assert panel.controls.overlays_button.text() == "Other runs (1)"
    panel.forget_overlays()
    assert panel.overlays() == [] and "RNN" not in panel.readout_text()
    assert panel.controls.overlays_button.text() == "Other runs"


def test_an_overlay_that_cannot_read_the_text_is_said(qtbot, panel: GradientsPanel, lm_data) -> None:
    computed(qtbot, panel, trained(lm_data, "gru", 1), TEXT)
    computed(qtbot, panel, load_shipped("lm"))  # the shipped model reads the run's text: overlaid
    assert panel.overlays() == ["GRU 1×8, run 1"]
    computed(qtbot, panel, text="the girls are happy")  # the run's vocabulary lacks g, i, r…
    assert panel.result() is not None and panel.overlays() == []
    assert "Not overlaid: GRU 1×8, run 1: The text has tokens the model's vocabulary lacks: 'g'" in panel.message()


@pytest.mark.parametrize("text, words", [
    ("", "the text is empty"),
    ("a", "two tokens at least"),
    ("the 7 cats", "lacks: '7'"),
])
def test_bad_text_is_said_at_the_control(qtbot, panel: GradientsPanel, lm_data, text: str, words: str) -> None:
    computed(qtbot, panel, trained(lm_data, "gru", 1), text)
    assert panel.result() is None and words in panel.message().lower()
    refusal = panel.controls.refusal
    assert refusal.isVisible() and "border" in panel.controls.text_edit.styleSheet()
    assert panel.controls.unknown_button.isVisible() == ("lacks" in words)
    with pytest.raises(Exception, match="Nothing to export yet"):
        panel.export_npz(Path("unused.npz"))


def test_unknown_tokens_can_be_read_as_unk(qtbot, panel: GradientsPanel, lm_data) -> None:
    computed(qtbot, panel, trained(lm_data, "gru", 1), "the 7 cats")
    _wait(qtbot, panel, panel.controls.unknown_button.click)
    assert "<unk>" in panel.result().tokens and not panel.controls.refusal.isVisible()
    assert "read as <unk>" in panel.message()


def test_a_translation_is_scored_on_its_own_greedy_translation_unless_given_one(qtbot, panel: GradientsPanel,
                                                                                monkeypatch) -> None:
    computed(qtbot, panel, load_shipped("mt"))
    result = panel.result()
    assert result is not None and result.encoder is not None and panel.text() == "The girls are happy."
    assert panel.reference() and result.tokens[1:-1] == tuple(panel.reference().split())
    assert "greedy translation" in panel.message()
    panel.set_part("encoder")
    assert panel.plots.values.shape == (result.stack.steps, result.encoder.steps)
    monkeypatch.setattr(computing, "_greedy_reference", lambda bundle, source: "")
    computed(qtbot, panel, text="The boys are happy.")
    assert panel.result() is None and "type a reference translation" in panel.message()
    panel.controls.reference_edit.setText("les garçons sont heureux .")
    computed(qtbot, panel)
    assert panel.result() is not None and "greedy" not in panel.message()


def test_exports_write_npz_csv_png_and_svg(qtbot, panel: GradientsPanel, lm_data, tmp_path: Path) -> None:
    computed(qtbot, panel, trained(lm_data, "lstm", 1), TEXT)
    npz = panel.export_npz(tmp_path / "g.npz")
    again = Gradients.from_npz(npz)
    assert again.tokens == panel.result().tokens
    np.testing.assert_array_equal(again.get(1).G, panel.result().get(1).G)
    np.testing.assert_array_equal(again.get(1).cell_g, panel.result().get(1).cell_g)
    csv = panel.export_csv(tmp_path / "g.csv")
    assert csv.read_text(encoding="utf-8").startswith("part,quantity,layer,direction,s,t,target,token,value")
    for name in ("g.png", "g.svg"):
        path = panel.export_image(tmp_path / name)
        assert path.stat().st_size > 1000
    assert (tmp_path / "g.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    # the LSTM's memory cell: a dashed curve beside each H
    cells = [c for c in panel.plots.curves() if c.label.startswith("C layer")]
    assert len(cells) == 1 and cells[0].dashed


def test_a_memory_model_reads_a_validation_sequence(qtbot, panel: GradientsPanel) -> None:
    data = build_memory_data(DataConfig(corpus="recall", num_train=8, num_val=5, num_steps=12, lag=3, symbols=2))
    bundle = bundle_for(data, ModelConfig("recall", StackSpec("gru", (8,))))
    computed(qtbot, panel, bundle)
    assert panel.controls.sequence_spin.isVisible() and not panel.controls.text_edit.isVisible()
    assert panel.controls.sequence_spin.maximum() == 5
    assert panel.result().tokens[:-1] == data.step_labels(0)
    assert "Recall at lag 3" in panel.readout_text()
    _wait(qtbot, panel, lambda: panel.set_sequence(3))
    assert panel.result().tokens[:-1] == data.step_labels(3)


def test_the_settings_come_back_and_fit_a_session(qtbot, panel: GradientsPanel, lm_data) -> None:
    computed(qtbot, panel, trained(lm_data, "gru", 1), TEXT)
    panel.set_follow_training(False)
    state = panel.state()
    check_section("config", {"gradients": state})
    other = GradientsPanel()
    qtbot.addWidget(other)
    other.restore_state(state)
    assert other.state() == state, (other.state(), state)
