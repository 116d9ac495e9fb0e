"""The Training tab's gradients view (clipping made visible) and a memory task's metric curve."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.events import EpochEnd, GradientGroup, Step
from rnnviz.gui.panels.training_gradients import combined_norms
from rnnviz.gui.panels.training_view import TrainingView
from rnnviz.gui.style import PRESENTATION

GROUPS = tuple(GradientGroup(f"layer {layer} · {gate} · {kind}", kind, None, layer, "forward", gate.split()[0])
               for layer in (1, 2) for gate in ("reset gate r", "update gate z") for kind in ("W_x", "W_h", "b")) \
    + (GradientGroup("output layer", "output layer"),)


def make_steps(norms: list[float], clip: float | None = 1.0) -> list[Step]:
    """One step per total norm; its groups share it equally (so their squares add up to it)."""
    steps = []
    for i, total in enumerate(norms, start=1):
        scale = 1.0 if clip is None else min(1.0, clip / total)
        share = total / math.sqrt(len(GROUPS))
        steps.append(Step(i, 1, i, len(norms), 2.0, math.exp(2.0), total, 0.1, 1000.0, 0.1 * i, scale, clip,
                          GROUPS, tuple(share * (g + 1) / (g + 1) for g in range(len(GROUPS)))))
    return steps


@pytest.fixture
def view(qtbot) -> TrainingView:
    widget = TrainingView()
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    return widget


def test_the_gradients_view_says_how_often_and_how_much_clipping_acted(view: TrainingView) -> None:
    view.begin_run("GRU 2×8", "lm")
    steps = make_steps([0.5, 3.0, 0.8, 12.0])
    view.add_events(steps[:2])
    view.add_events(steps[2:])
    assert not view.gradients_shown() and not view.gradients.isVisibleTo(view)  # the curves first
    view.show_gradients(True)
    assert view.gradients_shown() and view.gradients.isVisibleTo(view) and not view.graphics.isVisibleTo(view)
    text = view.gradients.summary_text()
    assert "acted on 50% of steps (2 of 4)" in text and "up to 12×" in text
    x, before = (np.asarray(a) for a in view.gradients.before.getOriginalDataset())
    _, after = (np.asarray(a) for a in view.gradients.after.getOriginalDataset())
    assert x.tolist() == [1, 2, 3, 4] and before.tolist() == [0.5, 3.0, 0.8, 12.0]
    assert after == pytest.approx([0.5, 1.0, 0.8, 1.0], rel=1e-4)  # what the update used: held at θ
    assert view.gradients.threshold.isVisible() and view.gradients.threshold.value() == pytest.approx(1.0)
    view.set_log_y(True)  # the line sits at log10 θ on a log axis
    assert view.gradients.threshold.value() == pytest.approx(0.0)
    names, norms = view.gradients.bars()
    assert names == [g.name for g in GROUPS] and norms == pytest.approx(list(steps[-1].group_norms))


def test_bars_combine_groups_by_gate_and_by_layer(view: TrainingView) -> None:
    view.add_events(make_steps([2.0]))
    view.show_gradients(True)
    view.gradients.set_grouping("gate")
    names, norms = view.gradients.bars()
    assert names == ["layer 1 · reset gate r", "layer 1 · update gate z", "layer 2 · reset gate r",
                     "layer 2 · update gate z", "output layer"]
    share = 2.0 / math.sqrt(len(GROUPS))
    assert norms[0] == pytest.approx(math.sqrt(3) * share)  # W_x, W_h and b together
    view.gradients.set_grouping("layer")
    assert view.gradients.bars()[0] == ["layer 1", "layer 2", "output layer"]
    assert math.sqrt(sum(n * n for n in view.gradients.bars()[1])) == pytest.approx(2.0)
    assert combined_norms(GROUPS, [1.0] * len(GROUPS), "group")[1] == [1.0] * len(GROUPS)


def test_without_clipping_the_view_says_so_and_draws_no_threshold(view: TrainingView) -> None:
    view.add_events(make_steps([0.5, 30.0], clip=None))
    view.show_gradients(True)
    assert "clipping is off" in view.gradients.summary_text().lower()
    assert not view.gradients.threshold.isVisible()


def test_gradients_view_state_theme_and_image(view: TrainingView, qtbot, tmp_path: Path) -> None:
    view.add_events(make_steps([0.5, 3.0]))
    view.show_gradients(True)
    assert view.state()["gradients"] is True
    other = TrainingView()
    qtbot.addWidget(other)
    other.restore_state(view.state())
    assert other.gradients_shown()
    view.apply_theme(PRESENTATION)
    assert view.gradients.summary.font().pointSizeF() > view.controls.font().pointSizeF() * 1.5 or \
        view.gradients.summary.font().pointSizeF() >= 14
    view.export_image(tmp_path / "clipping.png")
    assert (tmp_path / "clipping.png").stat().st_size > 1000


def test_a_memory_tasks_metric_becomes_a_curve_in_percent(view: TrainingView) -> None:
    view.begin_run("LSTM 1×8 recall", "lm")
    assert view.metric_combo.findData("val_metric") < 0  # nothing to offer yet
    view.add_events(make_steps([1.0, 1.0]))
    view.add_events([EpochEnd(2, 1, 1.2, math.exp(1.2), 1.1, math.exp(1.1), 100.0, 0.2, "accuracy", 0.5),
                     EpochEnd(4, 2, 0.9, math.exp(0.9), 0.8, math.exp(0.8), 100.0, 0.4, "accuracy", 0.931)])
    index = view.metric_combo.findData("val_metric")
    assert index >= 0 and view.metric_combo.itemText(index) == "Val accuracy (%)"
    view.set_y_metric("val_metric")
    run = view.run_curves()[-1]
    x, y = (np.asarray(a) for a in run.validation.getOriginalDataset())
    assert x.tolist() == [2, 4] and y == pytest.approx([50.0, 93.1])
    assert "accuracy" in view.plots.loss.getAxis("left").labelText
    view.set_y_metric("loss")
    assert np.asarray(run.validation.getOriginalDataset()[1]) == pytest.approx([1.1, 0.8])
    view.clear_earlier_runs()
    view.begin_run("GRU lm", "lm")  # a run without a metric: the earlier one still offers it
    assert view.metric_combo.findData("val_metric") >= 0
    view.clear_earlier_runs()
    assert view.metric_combo.findData("val_metric") < 0


def test_after_a_short_run_the_training_tab_shows_the_clipping_figure(qtbot, tmp_path: Path) -> None:
    from tests.gui.test_main_window import make_window, train_one_epoch

    window = make_window(qtbot, tmp_path)
    try:
        window.config_panel.clip.setValue(0.01)  # small enough to act on every step
        train_one_epoch(qtbot, window)
        view = window.training_view
        view.show_gradients(True)
        text = view.gradients.summary_text()
        assert "Clipping at norm 0.01 acted on 100% of steps" in text and "shrinking the gradient by up to" in text
        names, norms = view.gradients.bars()
        assert names[:3] == ["layer 1 · reset gate r · W_x", "layer 1 · reset gate r · W_h",
                             "layer 1 · reset gate r · b"] and names[-1] == "output layer"
        assert all(n >= 0 for n in norms) and max(norms) > 0
        _, after = view.gradients.after.getOriginalDataset()
        assert np.asarray(after) == pytest.approx(0.01, rel=1e-3)  # every update used a gradient of norm θ
    finally:
        window.controller.shutdown(3000)


def test_csv_and_readout_carry_the_clip_scale_and_the_metric(view: TrainingView, tmp_path: Path) -> None:
    import csv

    view.add_events(make_steps([0.5, 4.0]))
    view.add_events([EpochEnd(2, 1, 1.2, math.exp(1.2), 1.1, math.exp(1.1), 100.0, 0.2, "accuracy", 0.931)])
    assert "validation accuracy 93.1% (epoch 1)" in view.readout.text()
    view.export_csv(tmp_path / "c.csv")
    with open(tmp_path / "c.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["clip_scale"]) for r in rows if r["kind"] == "step"] == pytest.approx([1.0, 0.25], rel=1e-5)
    assert [r["val_metric"] for r in rows if r["kind"] == "epoch"] == ["0.931"]
