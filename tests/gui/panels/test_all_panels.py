"""What every panel promises alike: the presentation theme, and a saved state that comes back.

One test of each, run over every panel class. A :class:`Case` says how to make
the panel, which sizes the presentation theme must enlarge (and what else it
must apply: pens, fonts of a particular widget), how to move it away from its
defaults, and which garbage its ``restore_state`` must ignore.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from rnnviz.core.config import DataConfig
from rnnviz.core.data.datasets import build_data
from rnnviz.core.events import Step
from rnnviz.core.models.factory import ModelBundle
from rnnviz.gui.panels.beam_panel import BeamPanel
from rnnviz.gui.panels.builder_panel import BuilderPanel
from rnnviz.gui.panels.config_panel import ConfigPanel
from rnnviz.gui.panels.data_panel import DataPanel
from rnnviz.gui.panels.gates import GatesPanel
from rnnviz.gui.panels.generate_panel import GeneratePanel
from rnnviz.gui.panels.training_view import TrainingView
from rnnviz.gui.panels.translate_panel import TranslatePanel
from rnnviz.gui.style import NORMAL, PRESENTATION
from tests.gui.panels.gates.helpers import make_lm, traced

SCALE = PRESENTATION.font_scale


@dataclass
class Case:
    """How the shared tests drive one panel class."""

    make: Callable[[], QWidget]
    #: Sizes (points, pixels, pen widths) that the presentation theme must make larger.
    looks: Callable[[Any], tuple[float, ...]]
    #: Further checks of the presentation theme: (panel, sizes in NORMAL, sizes in PRESENTATION).
    presentation: Callable[[Any, tuple[float, ...], tuple[float, ...]], None] = lambda panel, normal, big: None
    #: Moves the panel away from its defaults (tmp_path for files); returns what ``settle`` needs.
    prepare: Callable[[Any, Path], Any] = lambda panel, tmp_path: None
    #: After restore_state on a fresh panel: wait for it, give it what it needs (a model).
    settle: Callable[[Any, Any], None] = lambda panel, context: None
    #: Values restore_state must ignore.
    garbage: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- the panels


def training_looks(view: TrainingView) -> tuple[float, ...]:
    if not view.run_curves():
        view.begin_run("r", "lm")
        view.add_events([Step(s, 1, s, 4, 2.0, math.exp(2.0), 0.5, 0.1, 1000.0, 0.5 * s) for s in range(1, 5)])
    run = view.run_curves()[-1]
    tick_font = view.plots.loss.getAxis("left").style["tickFont"]
    return (view.readout.font().pointSizeF(), view.font().pointSizeF(), tick_font.pointSizeF(),
            view.samples_view.font().pointSizeF(), run.smooth.opts["pen"].widthF(), run.speed.opts["pen"].widthF())


def training_presentation(view: TrainingView, normal: tuple[float, ...], big: tuple[float, ...]) -> None:
    assert normal[4] == NORMAL.line_width and big[4] == PRESENTATION.line_width
    assert big[1] == pytest.approx(normal[1] * SCALE)
    # The readout is the body's type × 1.35, × 1.05 in presentation (already large there: a larger one
    # would take the curves' height on a projector).
    assert big[0] == pytest.approx(normal[0] * SCALE * 1.05 / 1.35)


def training_prepare(view: TrainingView, tmp_path: Path) -> None:
    view.set_smoothing(0.95)
    view.set_log_y(True)
    view.set_x_axis("epoch")
    view.set_y_metric("perplexity")
    view.set_probe("time traveller ")


def data_looks(panel: DataPanel) -> tuple[float, ...]:
    curve = panel.zipf_plot.curves()[0]
    tick_font = panel.zipf_plot.getPlotItem().getAxis("bottom").style["tickFont"]
    return (curve.opts["pen"].widthF(), tick_font.pointSizeF(), panel.title_label.font().pointSizeF(),
            panel.font().pointSizeF())


def data_presentation(panel: DataPanel, normal: tuple[float, ...], big: tuple[float, ...]) -> None:
    assert big[0] == PRESENTATION.line_width > normal[0] == NORMAL.line_width
    assert big[1] == pytest.approx(normal[1] * SCALE, abs=0.15)
    assert panel.zipf_plot.series_data()["unigram"][1][0] == panel.stats().unigrams.counts[0]  # data kept


def data_make() -> DataPanel:
    panel = DataPanel()
    assert panel.wait_idle()
    return panel


def data_prepare(panel: DataPanel, tmp_path: Path) -> None:
    text = tmp_path / "story.txt"
    text.write_text("once upon a time there was a story\n", encoding="utf-8")
    panel.open_file(str(text))
    assert panel.wait_idle() and panel.selection() == (str(text), "lm")
    assert panel.state()["user_files"] == [[str(text), "lm"]]


def data_settle(panel: DataPanel, context: None) -> None:
    assert panel.wait_idle()
    assert panel.combo.currentData() == panel.selection()[0]


def gates_looks(panel: GatesPanel) -> tuple[float, ...]:
    sizes = (panel.font().pointSizeF(), panel.token_strip.font().pointSizeF(),
             panel.step_view.equations.font().pointSizeF(), panel.readout.font().pointSizeF(),
             panel.message_label.font().pointSizeF())
    heatmaps = panel.heatmaps.heatmaps
    if "update" in heatmaps:  # once a model is traced
        sizes += (heatmaps["update"].token_axis.style["tickFont"].pointSizeF(),
                  heatmaps["update"].colorbar.axis.style["tickFont"].pointSizeF())
    return sizes


def tiny_lm(tmp_path: Path, **kwargs: Any) -> ModelBundle:
    path = tmp_path / "corpus.txt"
    path.write_text("the cat sat on the mat, then ate. " * 30, encoding="utf-8")
    return make_lm(build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8)), **kwargs)


def gates_make() -> GatesPanel:
    panel = GatesPanel()
    panel.resize(1200, 800)
    return panel


def gates_presentation(panel: GatesPanel, normal: tuple[float, ...], big: tuple[float, ...]) -> None:
    assert big[1] == pytest.approx(normal[1] * SCALE)  # the text being read


def gates_prepare(panel: GatesPanel, tmp_path: Path) -> ModelBundle:
    bundle = tiny_lm(tmp_path, cell="gru", hidden=(4, 4), bidirectional=True)
    traced(panel, bundle)
    panel.set_layer(1)
    panel.set_direction("backward")
    panel.set_sort("variance", "update")
    panel.set_top_n(3)
    panel.set_speed(4.0)
    panel.set_step(5)
    panel.set_unit(2)
    panel.set_follow_training(True)
    return bundle


def beam_looks(panel: BeamPanel) -> tuple[float, ...]:
    return panel.font().pointSizeF(), panel.tree.label_font().pointSizeF()


def beam_presentation(panel: BeamPanel, normal: tuple[float, ...], big: tuple[float, ...]) -> None:
    assert big == pytest.approx(tuple(n * SCALE for n in normal))
    assert panel.tree.line_width() == PRESENTATION.line_width


def beam_prepare(panel: BeamPanel, tmp_path: Path) -> None:
    panel.beam_spin.setValue(3)
    panel.alpha_spin.setValue(1.0)
    panel.nbest_spin.setValue(2)


def beam_settle(panel: BeamPanel, context: None) -> None:
    table = panel.table
    rows = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]
    assert len(rows) == 2 and rows[0][1]  # searched again with the restored options


def builder_prepare(panel: BuilderPanel, tmp_path: Path) -> None:
    panel.apply_preset("deep-lstm")
    panel.set_vocab_sizes("lm", (50,))


def builder_presentation(panel: BuilderPanel, normal: tuple[float, ...], big: tuple[float, ...]) -> None:
    assert big[0] >= 1.5 * normal[0]
    image = panel.diagram.grab().toImage()
    assert image.width() > 0 and len({image.pixel(x, y) for x in range(0, image.width(), 7)
                                      for y in range(0, image.height(), 7)}) > 5  # something is drawn


def generate_looks(panel: GeneratePanel) -> tuple[float, ...]:
    return panel.font().pointSizeF(), panel.text_view.font().pointSizeF(), panel.bars.label_font().pointSizeF()


def scaled_by_the_theme(panel: QWidget, normal: tuple[float, ...], big: tuple[float, ...]) -> None:
    assert big == pytest.approx(tuple(n * SCALE for n in normal))


def generate_prepare(panel: GeneratePanel, tmp_path: Path) -> None:
    panel.prefix_edit.setText("the boys ")
    panel.set_options(strategy="sample", temperature=0.8, seed=11, length=12, top_k=5)  # no model: nothing runs


def translate_looks(panel: TranslatePanel) -> tuple[float, ...]:
    return (panel.font().pointSizeF(), panel.greedy_label.font().pointSizeF(),
            panel.message_label.font().pointSizeF())


def translate_prepare(panel: TranslatePanel, tmp_path: Path) -> None:
    panel.set_options(beam_size=3, nbest=2, alpha=0.5, length_penalty="gnmt")
    panel.set_reference("les filles sont heureuses .")


def config_prepare(panel: ConfigPanel, tmp_path: Path) -> None:
    panel.epochs.setValue(7)
    panel.lr.setValue(0.5)
    panel.seed.setValue(42)


CASES: dict[str, Case] = {
    "data": Case(data_make, data_looks, data_presentation, data_prepare, data_settle,
                 {"corpus": 3, "task": "speech", "user_files": "none", "last": [1]}),
    "config": Case(ConfigPanel, lambda panel: (panel.font().pointSizeF(),), scaled_by_the_theme, config_prepare,
                   garbage={"task": "speech", "epochs": "many", "optimizer": "telepathy", "seed": None}),
    "training": Case(TrainingView, training_looks, training_presentation, training_prepare,
                     garbage={"smoothing": "much", "x_axis": "fortnight", "metric": None, "unknown": 1}),
    "builder": Case(BuilderPanel, lambda panel: (panel.diagram.font().pointSizeF(),), builder_presentation,
                    builder_prepare,
                    garbage={"model": {"task": "lm", "stack": {"hidden_sizes": [0]}}, "vocab_sizes": "x"}),
    "gates": Case(gates_make, gates_looks, gates_presentation, gates_prepare,
                  lambda panel, bundle: panel.set_bundle(bundle),
                  {"sort": "sideways", "top_n": "many", "speed": float("nan"), "layer": None, "x": 1}),
    "translate": Case(TranslatePanel, translate_looks, scaled_by_the_theme, translate_prepare,
                      garbage={"beam_size": None, "alpha": "x"}),
    "generate": Case(GeneratePanel, generate_looks, scaled_by_the_theme, generate_prepare,
                     garbage={"strategy": "telepathy", "length": "long"}),
    "beam search": Case(BeamPanel, beam_looks, beam_presentation, beam_prepare, beam_settle,
                        {"beam_size": "many", "strategy": "nonsense", "alpha": float("nan")}),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Case:
    # A panel that cannot use a restored value may say so in a box: never open one here.
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: QMessageBox.StandardButton.Ok)
    return CASES[request.param]


def shown(qtbot, case: Case) -> QWidget:
    panel = case.make()
    qtbot.addWidget(panel)
    panel.resize(max(panel.width(), 1400), max(panel.height(), 900))
    panel.show()
    return panel


def idle(qtbot, panel: QWidget) -> None:
    """No model job outlives its test."""
    if hasattr(panel, "is_busy"):
        qtbot.waitUntil(lambda: not panel.is_busy(), timeout=20_000)


# ---------------------------------------------------------------- the tests


def test_presentation_theme_enlarges_and_normal_restores(case: Case, qtbot, tmp_path: Path) -> None:
    panel = shown(qtbot, case)
    if isinstance(panel, GatesPanel):
        traced(panel, tiny_lm(tmp_path))  # the heatmaps' axes too
    normal = case.looks(panel)
    panel.apply_theme(PRESENTATION)
    big = case.looks(panel)
    assert all(b > n for b, n in zip(big, normal, strict=True)), (normal, big)
    case.presentation(panel, normal, big)
    panel.apply_theme(NORMAL)  # no compounding: back to the same sizes
    assert case.looks(panel) == pytest.approx(normal)
    idle(qtbot, panel)


def test_state_round_trips_through_json_and_ignores_garbage(case: Case, qtbot, tmp_path: Path) -> None:
    panel = shown(qtbot, case)
    default = json.loads(json.dumps(panel.state()))
    context = case.prepare(panel, tmp_path)
    idle(qtbot, panel)
    state = panel.state()
    saved = json.loads(json.dumps(state))
    assert saved == state and saved != default  # plain data, and the preparation changed something

    other = shown(qtbot, case)
    other.restore_state(saved)
    case.settle(other, context)
    idle(qtbot, other)
    assert other.state() == state
    other.restore_state({**saved, **case.garbage})
    case.settle(other, context)
    idle(qtbot, other)
    assert other.state() == state  # bad values are ignored
    idle(qtbot, panel)
