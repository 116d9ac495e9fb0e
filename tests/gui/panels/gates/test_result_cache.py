"""Scrubbing a run in the Gates tab: epochs seen before come from the cache, nothing stale is ever shown."""

from __future__ import annotations

import copy
import gc

import numpy as np
import pytest
import torch

from rnnviz.core.introspect import trace_lm
from rnnviz.core.introspect.probing import TraceRequest, compute
from rnnviz.core.models.factory import ModelBundle
from rnnviz.gui.panels.gates import GatesPanel, tracing
from rnnviz.gui.panels.gates.result_cache import ResultCache, weight_version
from rnnviz.gui.panels.gates.saturation_view import saturation_panels
from tests.gui.panels.gates.helpers import PROBE, perturbed

OTHER = "the mat sat on the cat."
SATURATION_TEXT = "the cat sat on the mat. " * 10


@pytest.fixture
def jobs(monkeypatch) -> list[object]:
    """Every trace runs off the GUI thread, and each job started is counted."""
    started: list[object] = []
    real = tracing.run_in_background

    def counting(fn, *args, **kwargs):
        started.append(fn)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(tracing, "SYNC_BUDGET_S", 0.0)
    monkeypatch.setattr(tracing, "run_in_background", counting)
    return started


def shown_hidden(panel: GatesPanel) -> np.ndarray:
    return panel.heatmap_images()["hidden"]


def expected_hidden(bundle: ModelBundle, text: str = PROBE) -> np.ndarray:
    return trace_lm(bundle, text).get(0, "forward", "hidden")


def expected_saturation(bundle: ModelBundle) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    trace = trace_lm(bundle, PROBE)
    source = [trace_lm(bundle, SATURATION_TEXT, 5000)]
    return {(p.name, s.layer): (s.left, s.right) for p in saturation_panels(trace, source, "forward")
            for s in p.series}


def visit(panel: GatesPanel, bundle: ModelBundle, epoch: int, qtbot) -> None:
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=10000):
        panel.show_snapshot(bundle, epoch)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10000)


def test_a_revisited_epoch_is_shown_at_once_without_a_job(panel: GatesPanel, gru_lm: ModelBundle, qtbot,
                                                          jobs: list[object]) -> None:
    panel.set_probe(PROBE)
    epochs = {1: perturbed(gru_lm, 1), 2: perturbed(gru_lm, 2)}
    visit(panel, epochs[1], 1, qtbot)
    visit(panel, epochs[2], 2, qtbot)
    assert len(jobs) == 2  # first visits: one job each
    shown: list[object] = []
    said: list[str] = []
    panel.sig_trace_ready.connect(shown.append)
    panel.sig_status.connect(said.append)
    panel.show_snapshot(epochs[1], 1)  # the run's cache hands the same model object back
    assert len(shown) == 1 and not panel.is_busy()  # on screen before the call returned
    assert len(jobs) == 2
    np.testing.assert_array_equal(shown_hidden(panel), expected_hidden(epochs[1]))
    assert "epoch 1" in panel.model_label.text()
    assert "from the cache" in said[-1]


def test_another_model_with_the_same_weights_or_another_text_is_traced_anew(
        panel: GatesPanel, gru_lm: ModelBundle, qtbot, jobs: list[object]) -> None:
    panel.set_probe(PROBE)
    first = perturbed(gru_lm, 1)
    visit(panel, first, 1, qtbot)
    twin = copy.deepcopy(first)  # a new snapshot: a new object, even with equal weights
    visit(panel, twin, 2, qtbot)
    assert len(jobs) == 2
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=10000):
        panel.set_probe(OTHER)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10000)
    assert len(jobs) == 3
    np.testing.assert_array_equal(shown_hidden(panel), expected_hidden(twin, OTHER))
    visit(panel, first, 1, qtbot)  # epoch 1 was seen with the first probe only: traced for this one
    assert len(jobs) == 4
    np.testing.assert_array_equal(shown_hidden(panel), expected_hidden(first, OTHER))
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=10000):
        panel.set_probe(PROBE)  # back to the first probe: in the cache for this model
    assert len(jobs) == 4
    np.testing.assert_array_equal(shown_hidden(panel), expected_hidden(first, PROBE))


def test_weights_changed_in_place_are_traced_again(panel: GatesPanel, gru_lm: ModelBundle, qtbot,
                                                   jobs: list[object]) -> None:
    panel.set_probe(PROBE)
    model = perturbed(gru_lm, 1)
    visit(panel, model, 1, qtbot)
    before = shown_hidden(panel).copy()
    visit(panel, perturbed(gru_lm, 2), 2, qtbot)
    with torch.no_grad():  # e.g. an optimiser step on the same object
        for p in model.model.stack.parameters():
            p.mul_(-1.0)
    visit(panel, model, 3, qtbot)
    assert len(jobs) == 3
    assert not np.array_equal(shown_hidden(panel), before)
    np.testing.assert_array_equal(shown_hidden(panel), expected_hidden(model))


def test_training_snapshots_still_update_the_tab(panel: GatesPanel, gru_lm: ModelBundle, qtbot,
                                                 jobs: list[object]) -> None:
    panel.set_probe(PROBE)
    for epoch in range(1, 4):  # each epoch's snapshot is a new copy of the model
        snapshot = perturbed(gru_lm, epoch)
        visit(panel, snapshot, epoch, qtbot)
        np.testing.assert_array_equal(shown_hidden(panel), expected_hidden(snapshot))
        assert f"epoch {epoch}" in panel.model_label.text()
    assert len(jobs) == 3


def test_a_first_visit_shows_the_probe_before_the_saturation_text(panel: GatesPanel, gru_lm: ModelBundle,
                                                                  qtbot, jobs: list[object]) -> None:
    panel.set_saturation_text(SATURATION_TEXT)
    panel.set_probe(PROBE)
    first = perturbed(gru_lm, 1)
    visit(panel, first, 1, qtbot)
    assert len(jobs) == 2  # the probe, then the saturation text as a job of its own
    info = panel.saturation()
    assert "saturation text" in panel.saturation_info.text()
    second = perturbed(gru_lm, 2)
    with qtbot.waitSignal(panel.sig_trace_ready, timeout=10000):
        panel.show_snapshot(second, 2)
    assert panel.is_busy()  # the probe is on screen; the saturation text is still being traced
    third = perturbed(gru_lm, 3)
    panel.show_snapshot(third, 3)  # a newer epoch overtakes it
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10000)
    np.testing.assert_array_equal(shown_hidden(panel), expected_hidden(third))
    for key, (low, high) in expected_saturation(third).items():
        np.testing.assert_array_equal(panel.saturation()[key][1], high)
    jobs_before = len(jobs)
    panel.show_snapshot(first, 1)  # both parts of epoch 1 are cached
    assert len(jobs) == jobs_before and not panel.is_busy()
    for (name, layer), (low, high) in panel.saturation().items():
        np.testing.assert_array_equal(high, info[(name, layer)][1])


def test_the_cache_is_bounded_and_lets_go_of_dropped_models(gru_lm: ModelBundle) -> None:
    cache = ResultCache(max_entries=2)
    models = [perturbed(gru_lm, seed) for seed in (1, 2, 3)]
    results = [compute(m, PROBE, "", TraceRequest(True, False)) for m in models]
    for model, result in zip(models, results):
        cache.put(model, ("probe", PROBE), result)
    assert len(cache) == 2
    assert cache.get(models[0], ("probe", PROBE)) is None  # the least recently used went first
    assert cache.get(models[2], ("probe", PROBE)) is results[2]
    assert cache.get(models[2], ("probe", OTHER)) is None
    assert cache.nbytes() > 0
    version = weight_version(models[2])
    with torch.no_grad():
        next(models[2].model.parameters()).add_(1.0)
    assert weight_version(models[2]) > version
    assert cache.get(models[2], ("probe", PROBE)) is None  # its weights changed since
    del models[1], results
    gc.collect()
    cache.put(models[0], ("probe", PROBE), compute(models[0], PROBE, "", TraceRequest(True, False)))
    assert len(cache) == 1  # the dropped model's entry went with it


def test_the_main_windows_way_of_handing_over_an_epoch_starts_one_job(panel: GatesPanel, gru_lm: ModelBundle,
                                                                       qtbot, jobs: list[object]) -> None:
    panel.set_probe(PROBE)
    visit(panel, perturbed(gru_lm, 1), 1, qtbot)
    shown: list[object] = []
    panel.sig_trace_ready.connect(shown.append)
    for epoch in (2, 3):
        panel.set_probe(PROBE)  # the window sets the default probe again, then the new model
        visit(panel, perturbed(gru_lm, epoch), epoch, qtbot)
    assert len(jobs) == 3
    assert len(shown) == 2  # the old model's trace was not drawn (nor said to be ready) a second time


def test_the_saturation_plot_is_drawn_when_its_tab_shows(panel: GatesPanel, gru_lm: ModelBundle, qtbot) -> None:
    panel.set_probe(PROBE)
    snapshot = perturbed(gru_lm, 1)
    visit(panel, snapshot, 1, qtbot)
    panel.tabs.setCurrentWidget(panel.saturation_tab)
    drawn = {(p.name, s.layer): s.right for p in panel.saturation_plot.panels() for s in p.series}
    trace = trace_lm(snapshot, PROBE)
    expected = {(p.name, s.layer): s.right for p in saturation_panels(trace, [trace], "forward") for s in p.series}
    assert drawn.keys() == expected.keys() and drawn
    for key, high in expected.items():
        np.testing.assert_array_equal(drawn[key], high)
    later = perturbed(gru_lm, 2)
    visit(panel, later, 2, qtbot)  # on the saturation tab: drawn right after the heatmaps
    trace = trace_lm(later, PROBE)
    expected = {(p.name, s.layer): s.right for p in saturation_panels(trace, [trace], "forward") for s in p.series}
    qtbot.waitUntil(lambda: not panel._saturation_stale, timeout=5000)
    for p in panel.saturation_plot.panels():
        for s in p.series:
            np.testing.assert_array_equal(s.right, expected[(p.name, s.layer)])
