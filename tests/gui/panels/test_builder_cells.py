"""The Builder and issue 18: the GRUs with one gate in the cell box, and the cells compared at one size."""

from __future__ import annotations

import pytest

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.costs import forward_flops, params
from rnnviz.core.data.vocab import placeholder_vocab
from rnnviz.core.models.factory import build_model
from rnnviz.gui.panels.builder_panel import BuilderPanel


@pytest.fixture
def panel(qtbot) -> BuilderPanel:
    widget = BuilderPanel()
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    widget.show()
    return widget


@pytest.mark.parametrize("cell, name", [("gru-reset", "GRU, reset gate only"), ("gru-update", "GRU, update gate only")])
def test_the_cell_box_offers_the_grus_with_one_gate_on_the_scratch_implementation(panel: BuilderPanel, cell: str,
                                                                                  name: str) -> None:
    combo = panel.encoder.cell
    index = combo.findData(cell)
    assert index >= 0 and combo.itemText(index) == name
    combo.setCurrentIndex(index)
    config = panel.model_config()
    assert config.stack.cell == cell and config.stack.resolved_implementation == "scratch"
    assert panel.error_text() == ""
    fused = panel.encoder.implementation
    assert not fused.model().item(fused.findData("fused")).isEnabled()  # refused at the control, with the reason
    assert "no fused kernel" in fused.model().item(fused.findData("fused")).toolTip()
    assert "only" in panel.encoder.variant.text() and "scratch" in panel.encoder.variant.text()
    model = build_model(config, (placeholder_vocab(panel.vocab_sizes()[0], False),))
    assert panel.anatomy().total_params == sum(p.numel() for p in model.parameters())
    first = panel.anatomy().layers[0].directions[0]
    assert first.gate_blocks == 2 and first.formula.startswith("2 × (")


def test_compare_cells_follows_the_model_and_shows_the_formulas(panel: BuilderPanel) -> None:
    panel.set_model_config(ModelConfig("lm", StackSpec("gru", (48,))))
    view = panel.compare
    assert panel.cost_area.tabs.tabText(1) == "Compare cells"
    assert view.hidden.value() == 48
    assert view.cells() == ["RNN", "GRU", "LSTM"]
    assert view.quantity("parameters") == [f"{params(c, 48, 48):,}" for c in ("rnn", "gru", "lstm")]
    assert view.quantity("FLOPs/token, forward") == [f"{forward_flops(c, 48, 48):,}" for c in ("rnn", "gru", "lstm")]
    assert view.quantity("train tokens/s") == ["—"] * 3
    view.hidden.setValue(100)
    assert view.quantity("parameters")[0] == f"{params('rnn', 100, 100):,}"
    assert view.table.item(1, 2).toolTip().startswith("2·4·100·(100 + 100)")  # the LSTM's FLOPs, with numbers


def test_measure_fills_the_speeds_off_the_gui_thread(panel: BuilderPanel, qtbot) -> None:
    view = panel.compare
    panel.cost_area.tabs.setCurrentIndex(1)
    view.hidden.setValue(8)
    view.seconds.setValue(0.1)
    with qtbot.waitSignal(view.sig_measured, timeout=60_000) as blocker:
        view.measure_button.click()
        assert view.is_running() and view.stop_button.isEnabled() and not view.measure_button.isEnabled()
    table = blocker.args[0]
    assert not table.stopped and all(row.measured is not None for row in table.rows)
    assert all(text != "—" for text in view.quantity("infer tokens/s") + view.quantity("train time ×RNN"))
    assert view.measure_button.isEnabled() and not view.stop_button.isEnabled()
    assert "Measured on" in view.formulas.toolTip() and "Measured here" in view.status.text()


def test_stop_ends_a_measurement_and_keeps_what_was_measured(panel: BuilderPanel, qtbot) -> None:
    view = panel.compare
    view.hidden.setValue(8)
    view.seconds.setValue(60.0)  # long: only the Stop ends it
    with qtbot.waitSignal(view.sig_measured, timeout=60_000) as blocker:
        view.measure_button.click()
        view.stop_button.click()
    assert blocker.args[0].stopped
    assert "Stopped" in view.status.text() and view.measure_button.isEnabled()
