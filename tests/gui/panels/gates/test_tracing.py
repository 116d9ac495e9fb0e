"""The Gates panel's tracing: probe problems become messages, snapshots retrace, slow traces leave the GUI thread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.data.vocab import UNK
from rnnviz.core.errors import RnnvizError
from rnnviz.core.introspect import records as introspect  # DEFAULT_MAX_TOKENS
from rnnviz.core.introspect import probing, trace_lm
from rnnviz.core.models.factory import ModelBundle
from rnnviz.core.resources import pretrained_path
from rnnviz.gui.panels.gates import GatesPanel, tracing
from tests.gui.panels.gates.helpers import PROBE, perturbed, traced
from tests.fresh_imports import loaded_by


def test_empty_probe_gives_a_message_not_an_exception(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    assert "No model yet" in panel.message()
    traced(panel, gru_lm)
    with qtbot.waitSignal(panel.sig_trace_failed, timeout=2000) as failed:
        panel.set_probe("   ")
    assert "probe is empty" in failed.args[0] and "probe is empty" in panel.message()
    assert panel.traces() == () and panel.trace() is None and not panel.heatmaps.heatmaps
    with pytest.raises(RnnvizError, match="Nothing to export"):
        panel.export_csv(Path("never.csv"))
    panel.set_probe(PROBE)
    assert panel.trace() is not None and "empty" not in panel.message()


def test_unknown_tokens_show_as_unk_with_the_notice(panel: GatesPanel, gru_lm: ModelBundle) -> None:
    traced(panel, gru_lm, "the zebra")
    assert panel.trace().tokens == ("t", "h", "e", " ", UNK, "e", UNK, UNK, "a")
    assert UNK in panel.heatmaps.heatmaps["hidden"].token_axis.labels()
    assert "not in the model's vocabulary" in panel.message().lower() and ": z, b, r" in panel.message()


def test_overlong_text_is_trimmed_with_the_notice(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    panel.set_bundle(gru_lm)
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=10000):
        panel.set_probe("the cat " * 80)
    assert panel.trace().num_steps == introspect.DEFAULT_MAX_TOKENS
    assert "the trace covers the first 500" in panel.message()


def test_the_shipped_models_trace(panel: GatesPanel, qtbot) -> None:
    for task, probe in (("lm", "time traveller"), ("mt", "the boy carries the hat .")):
        bundle = load_checkpoint(pretrained_path(task))
        panel.set_bundle(bundle)
        panel.set_probe(probe)
        parts = 2 if task == "mt" else 1
        qtbot.waitUntil(lambda: not panel.is_busy() and len(panel.traces()) == parts, timeout=20000)
        assert panel.probe() == probe
        assert panel.heatmap_images()["hidden"].shape[1] == 128


def test_show_snapshot_retraces_with_the_new_weights(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    traced(panel, gru_lm)
    before = panel.heatmap_images()["hidden"].copy()
    panel.set_step(4)
    panel.set_unit(2)
    snapshot = perturbed(gru_lm, 1)
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=5000):
        panel.show_snapshot(snapshot, 3)
    after = panel.heatmap_images()["hidden"]
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(after, trace_lm(snapshot, PROBE).get(0, "forward", "hidden"))
    assert "epoch 3" in panel.model_label.text()
    assert (panel.step(), panel.unit()) == (4, 2)  # the lecture's place is kept across epochs
    with qtbot.waitSignal(panel.sig_follow_changed, timeout=1000) as follow:
        panel.follow_check.click()
    assert follow.args == [True] and panel.follow_training()
    assert "following training" in panel.model_label.text()


def test_slow_traces_run_in_the_background_and_only_the_latest_is_shown(panel: GatesPanel, gru_lm: ModelBundle,
                                                                        qtbot, monkeypatch) -> None:
    monkeypatch.setattr(tracing, "SYNC_BUDGET_S", 0.0)  # every trace counts as slow
    panel.set_probe(PROBE)
    shown = []
    panel.sig_trace_ready.connect(shown.append)
    snapshots = [perturbed(gru_lm, seed) for seed in (1, 2, 3)]
    panel.show_snapshot(snapshots[0], 1)
    assert panel.is_busy() and "Tracing" in panel.message()
    panel.show_snapshot(snapshots[1], 2)
    panel.show_snapshot(snapshots[2], 3)
    qtbot.waitUntil(lambda: bool(shown) and not panel.is_busy(), timeout=10000)
    assert len(shown) == 1  # the first result was overtaken and dropped; the middle one never traced
    np.testing.assert_array_equal(panel.heatmap_images()["update"],
                                  trace_lm(snapshots[2], PROBE).get(0, "forward", "update"))
    assert "epoch 3" in panel.model_label.text()


def test_a_failing_trace_becomes_a_message(panel: GatesPanel, gru_lm: ModelBundle, qtbot, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(probing, "trace_all", broken)  # where compute looks it up
    panel.set_probe(PROBE)
    with qtbot.waitSignal(panel.sig_trace_failed, timeout=5000) as failed:
        panel.set_bundle(gru_lm)
    assert "RuntimeError: a bug" in failed.args[0] and "a bug" in panel.message()
    assert "Traceback" not in panel.message()
    monkeypatch.setattr(tracing, "SYNC_BUDGET_S", 0.0)
    with qtbot.waitSignal(panel.sig_trace_failed, timeout=5000):
        panel.set_probe("the mat")
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5000)
    assert "a bug" in panel.message() and "Traceback" not in panel.message()


def test_the_panel_imports_no_torch() -> None:
    assert loaded_by(["rnnviz.gui.panels.gates"], ["torch", "rnnviz.core.introspect.tracing",
                                                   "rnnviz.core.introspect.kernels"]) == []