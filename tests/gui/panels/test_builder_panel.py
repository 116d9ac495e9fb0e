"""The Builder: presets, editing, refusals at the control, counts against the built model, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.data.vocab import placeholder_vocab
from rnnviz.core.models.factory import ModelBundle, build_model
from rnnviz.core.models.labels import model_label
from rnnviz.core.models.presets import PRESETS
from rnnviz.core.config import DataConfig
from rnnviz.gui.panels.builder_panel import BuilderPanel
from rnnviz.gui.widgets.cost_table import COST_COLUMNS
from tests.gui.widgets.test_refusal import type_into
from tests.gui.widgets.test_wheel_guard import wheel


@pytest.fixture
def panel(qtbot) -> BuilderPanel:
    widget = BuilderPanel()
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    return widget


def real_count(config: ModelConfig, sizes: tuple[int, ...]) -> int:
    model = build_model(config, tuple(placeholder_vocab(n, config.task == "mt") for n in sizes))
    return sum(p.numel() for p in model.parameters())


def table_column(panel: BuilderPanel, name: str) -> list[str]:
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    column = headers.index(name)
    return [panel.table.item(r, column).text() for r in range(panel.table.rowCount())]


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_and_its_counts_match_the_built_model(panel: BuilderPanel, name: str) -> None:
    panel.apply_preset(name)
    preset = PRESETS[name]
    assert panel.error_text() == ""
    assert panel.model_config() == preset.config
    assert panel.preset() == name and panel.preset_box.currentData() == name
    assert preset.title in panel.note.text()
    info = panel.anatomy()
    assert info is not None
    assert info.total_params == real_count(preset.config, panel.vocab_sizes())
    assert f"{info.total_params:,}" in panel.totals.text()
    # One table row per layer-direction, with torch's count of that layer-direction.
    layer_rows = sum(len(layer.directions) for layer in info.layers)
    torch_column = table_column(panel, "torch")[:layer_rows]
    assert torch_column == [f"{d.torch_params:,}" for layer in info.layers for d in layer.directions]
    assert panel.diagram.config() == preset.config


def test_the_book_gru_formula_is_shown_with_its_numbers(panel: BuilderPanel) -> None:
    panel.apply_preset("gru-lm")
    # W_xh 28×32, W_hh 32×32, b_h 32 for each of the three blocks; torch keeps a second bias.
    assert table_column(panel, "book")[0] == "5,856"
    assert table_column(panel, "torch")[0] == "5,952"
    assert "3 × (28·32 + 32·32 + 32)" in table_column(panel, "book's formula")[0]


def test_editing_layers_and_directions_changes_the_model_and_the_drawing(panel: BuilderPanel) -> None:
    panel.apply_preset("gru-lm")
    panel.encoder.add_layer()
    panel.encoder.cell.setCurrentIndex(panel.encoder.cell.findData("lstm"))
    panel.encoder.bidirectional.setChecked(True)
    panel.encoder.hidden_spin(1, 1).setValue(16)  # layer 2 backward: the book's unequal-directions exercise
    config = panel.model_config()
    assert config.stack == StackSpec("lstm", (32, 32), True, 0.0, "auto", backward_sizes=(32, 16))
    assert config.stack.resolved_implementation == "scratch"  # torch has no kernel for unequal directions
    assert panel.preset() == "" and panel.preset_box.currentData() == ""
    assert panel.diagram.config() == config
    assert panel.anatomy().total_params == real_count(config, panel.vocab_sizes())
    panel.encoder.remove_layer()
    assert panel.model_config().stack.num_layers == 1


def test_the_run_label_names_the_model_as_every_view_does(panel: BuilderPanel) -> None:
    panel.apply_preset("gru-lm")
    assert panel.run_label() == "GRU 1×32" == model_label(panel.model_config())
    panel.encoder.add_layer()
    panel.encoder.bidirectional.setChecked(True)
    assert panel.run_label() == "GRU 2×32 bi"
    panel.apply_preset("seq2seq")
    assert panel.run_label() == "GRU 2×32 → GRU 2×32"


def test_the_embedding_and_the_vocabulary_sizes_enter_the_counts(panel: BuilderPanel) -> None:
    panel.apply_preset("gru-lm")
    one_hot = panel.anatomy().total_params
    panel.embed.setValue(16)
    assert panel.model_config().embed_size == 16
    assert panel.anatomy().total_params == real_count(panel.model_config(), (28,)) != one_hot
    panel.set_vocab_sizes("lm", (60,))
    assert panel.anatomy().total_params == real_count(panel.model_config(), (60,))


def test_a_decoder_cannot_be_made_bidirectional_and_says_why(panel: BuilderPanel) -> None:
    panel.set_task("mt")
    assert not panel.decoder.bidirectional.isEnabled()
    assert "cannot be bidirectional" in panel.decoder.bidirectional.toolTip()
    assert panel.decoder.direction_note.isVisibleTo(panel)


def test_a_hidden_size_of_zero_is_refused_at_the_spin_box(panel: BuilderPanel, qtbot) -> None:
    spin = panel.encoder.hidden_spin(0)
    assert spin.minimum() == 1 and "at least 1" in spin.toolTip()
    spin.setValue(0)
    assert spin.value() == 1 and panel.error_text() == ""


def test_an_identity_bridge_that_cannot_fit_is_refused_with_the_reason(panel: BuilderPanel) -> None:
    panel.apply_preset("seq2seq")
    assert panel.bridge.currentData() == "identity"
    panel.encoder.set_hidden(48)  # the encoder's state no longer fits the 32-unit decoder as it is
    identity = panel.bridge.model().item(panel.bridge.findData("identity"))
    assert not identity.isEnabled() and "differ" in identity.toolTip()
    assert panel.bridge.currentData() == "linear"
    assert "Switched the bridge to linear" in panel.notice.text()
    assert panel.error_text() == ""
    config = panel.model_config()
    assert config.resolved_bridge == "linear"
    assert panel.anatomy().total_params == real_count(config, panel.vocab_sizes())
    panel.encoder.set_hidden(32)
    assert identity.isEnabled()


def test_fused_is_refused_for_the_book_gru(panel: BuilderPanel) -> None:
    panel.apply_preset("gru-lm")
    panel.encoder.implementation.setCurrentIndex(panel.encoder.implementation.findData("fused"))
    panel.encoder.cell.setCurrentIndex(panel.encoder.cell.findData("gru-book"))
    fused = panel.encoder.implementation.model().item(panel.encoder.implementation.findData("fused"))
    assert not fused.isEnabled() and "no fused kernel" in fused.toolTip()
    assert panel.model_config().stack.implementation == "scratch"
    assert panel.error_text() == ""


def test_the_bidirectional_language_model_warns(panel: BuilderPanel) -> None:
    panel.apply_preset("bi-lstm-lm")
    assert "gibberish" in panel.notice.text()
    assert "gibberish" in panel.note.text()


def test_builder_spec_model_checkpoint_builder_round_trip(panel: BuilderPanel, qtbot, tmp_path: Path) -> None:
    panel.set_task("mt")
    panel.encoder.add_layer()
    panel.decoder.add_layer()
    panel.encoder.bidirectional.setChecked(True)
    panel.encoder.hidden_spin(0, 1).setValue(24)
    panel.embed.setValue(20)
    config = panel.model_config()
    vocabs = (placeholder_vocab(30, True), placeholder_vocab(40, True))
    bundle = ModelBundle(build_model(config, vocabs), config,
                         DataConfig(corpus="phrasebook", task="mt").resolved("mt"), vocabs)
    path = tmp_path / "m.pt"
    save_checkpoint(bundle, path)
    other = BuilderPanel()
    qtbot.addWidget(other)
    other.set_model_config(load_checkpoint(path).model_config)
    assert other.model_config() == config
    assert other.encoder.hidden_spin(0, 1).value() == 24 and other.encoder.layers.rowCount() == 3
    assert other.state()["model"] == panel.state()["model"]




def test_choosing_a_preset_in_the_combo_announces_its_recipe(panel: BuilderPanel, qtbot) -> None:
    index = panel.preset_box.findData("deep-gru")
    with qtbot.waitSignal(panel.sig_preset_applied) as blocker:
        panel.preset_box.activated.emit(index)
    assert blocker.args == ["deep-gru"]
    assert panel.model_config() == PRESETS["deep-gru"].config


# ---- refusals at the control, the table at the Builder's width in a 1280×720 window ----


@pytest.mark.parametrize("finish", [Qt.Key.Key_Return, None], ids=["enter", "focus-out"])
def test_a_hidden_size_of_0_typed_says_why_at_the_control(panel: BuilderPanel, finish) -> None:
    spin = panel.encoder.hidden_spin(0)
    before = panel.model_config()
    type_into(spin, "0", finish)
    assert spin.value() == before.stack.hidden_sizes[0] and panel.model_config() == before
    note = panel.encoder.layers_note
    assert note.isVisible()
    assert note.text() == f"Layer 1 →: a hidden size must be at least 1 (kept {spin.value()})."
    assert "at least 1" in spin.toolTip()
    type_into(spin, "24")
    assert note.isHidden() and panel.model_config().stack.hidden_sizes[0] == 24


def test_an_embedding_of_0_for_translation_and_too_much_dropout_say_why(panel: BuilderPanel) -> None:
    panel.set_task("mt")
    assert panel.embed_note.isHidden()  # switching the task refuses nothing by itself
    type_into(panel.embed, "0")
    assert panel.embed_note.isVisible() and panel.embed_note.text().startswith(
        "Translation embeds words, so an embedding size must be at least 1")
    panel.apply_preset("deep-gru")
    type_into(panel.encoder.dropout, "1")
    assert panel.encoder.dropout_note.isVisible() and "at most 0.95" in panel.encoder.dropout_note.text()


def test_a_wheel_over_a_spin_box_not_clicked_leaves_its_value(panel: BuilderPanel) -> None:
    spin = panel.encoder.hidden_spin(0)
    value = spin.value()
    wheel(spin, steps=3)
    assert spin.value() == value


@pytest.mark.parametrize("name", ["gru-lm", "bi-gru-unequal", "seq2seq", "seq2seq-256"])
def test_torch_counts_show_without_scrolling_sideways_between_the_docks(qtbot, name: str) -> None:
    # 1280×720 with the Data (400 px) and Config (340 px) docks open leaves the tab about 540 px.
    panel = BuilderPanel()
    qtbot.addWidget(panel)
    panel.resize(540, 590)
    panel.show()
    qtbot.waitExposed(panel)
    panel.apply_preset(name, with_recipe=False)
    QApplication.processEvents()
    table = panel.table
    assert table.horizontalScrollBar().maximum() == 0
    torch = COST_COLUMNS.index("torch")
    header = table.horizontalHeader()
    assert header.sectionViewportPosition(torch) + header.sectionSize(torch) <= table.viewport().width()
    assert header.sectionSize(torch) >= table.sizeHintForColumn(torch)  # the count whole, never "…"
    assert "torch" in panel.cost.shown_columns() and "book" in panel.cost.shown_columns()
    # A formula cut short is whole in its tooltip and, for the selected row, under the table.
    table.selectRow(0)
    assert panel.anatomy().layers[0].directions[0].torch_formula in panel.cost.details.text()


# ---- initialisation: the book's or torch's default (issue 16) ----


def test_the_initialisation_combo_builds_saves_and_explains_itself(panel: BuilderPanel, qtbot) -> None:
    panel.apply_preset("gru-lm", with_recipe=False)
    assert panel.init.currentData() == "book" and panel.model_config().init == "book"
    assert "torch's default" in panel.init.toolTip()  # the fused GRU: the book's concise model is torch's
    panel.encoder.implementation.setCurrentIndex(panel.encoder.implementation.findData("scratch"))
    assert "N(0, 0.01²)" in panel.init.toolTip() and "GRUScratch" in panel.init.toolTip()
    panel.set_task("mt")
    assert "Xavier-uniform" in panel.init.toolTip()
    with qtbot.waitSignal(panel.sig_changed):
        panel.init.setCurrentIndex(panel.init.findData("torch"))
    config = panel.model_config()
    assert config.init == "torch" and panel.preset() == ""  # the book's recipe includes its initialisation
    other = BuilderPanel()
    qtbot.addWidget(other)
    other.restore_state(panel.state())
    assert other.model_config() == config and other.init.currentText() == "torch's default"
    # A Builder state saved before the option (no "init"): its models were drawn by torch's defaults.
    state = panel.state()
    del state["model"]["init"]
    other.restore_state(state)
    assert other.model_config().init == "torch"
