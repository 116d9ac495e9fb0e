"""A session points at an opened run, with an epoch for each tab; a missing run is named, the rest opens."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def test_a_session_reopens_the_run_at_each_tabs_epoch(qtbot, window, record_run, tmp_path: Path) -> None:
    folder = tmp_path / "lecture-run"
    record_run(folder, epochs=3)
    with qtbot.waitSignal(window.runs.source.sig_bundle, timeout=30_000):
        window.runs.open(str(folder))
    window.tabs.setCurrentWidget(window.gates_panel)
    window.runs.bar.go_to(1)
    qtbot.waitUntil(lambda: window.store.model("lm").origin.epoch == 1, timeout=10_000)
    path = tmp_path / "class.rnnviz-session"
    window.files.write_session(str(path))
    saved = json.loads(path.read_text())
    assert saved["run"] == {"path": str(folder), "epoch": 1, "tabs": {"training": 3, "gates": 1}}
    assert saved["checkpoint"] is None  # the run holds the models

    window.runs.close_run()
    window.tabs.setCurrentWidget(window.training_view)
    with qtbot.waitSignal(window.runs.source.sig_bundle, timeout=30_000):
        window.files.load_session_file(str(path))
    assert window.runs.bar.epoch() == 3  # the Training tab is shown: the epoch it was left at
    with qtbot.waitSignal(window.runs.source.sig_bundle, timeout=10_000):
        window.tabs.setCurrentWidget(window.gates_panel)
    assert window.runs.bar.epoch() == 1 and window.store.model("lm").origin.epoch == 1
    window.tabs.setCurrentWidget(window.translate_panel)  # no epoch of its own: stays
    assert window.runs.bar.epoch() == 1
    qtbot.waitUntil(lambda: not window.runs.source._loader.busy, timeout=10_000)


def test_a_missing_run_is_named_and_the_rest_opens(qtbot, window, record_run, tmp_path: Path) -> None:
    folder = tmp_path / "gone-run"
    record_run(folder, epochs=1)
    with qtbot.waitSignal(window.runs.source.sig_bundle, timeout=30_000):
        window.runs.open(str(folder))
    window.training_view.set_smoothing(0.3)
    path = tmp_path / "class.rnnviz-session"
    window.files.write_session(str(path))
    window.runs.close_run()
    shutil.rmtree(folder)
    window.training_view.set_smoothing(0.9)
    window.files.load_session_file(str(path))
    assert abs(window.training_view.smoothing() - 0.3) < 1e-6  # the rest of the session opened
    message = window.statusBar().currentMessage()
    assert "gone-run is missing" in message and not window.runs.is_open
