"""The window records its training runs; a run another process writes is followed as it grows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rnnviz.core.runs import RecordingFailed, RunRecorder, open_run
from tests.gui.test_main_window import train_one_epoch

CHILD = Path(__file__).parents[2] / "core" / "runs" / "record_child.py"


def test_a_run_trained_in_the_window_is_recorded(qtbot, window, tmp_path: Path) -> None:
    train_one_epoch(qtbot, window)
    record = window.store.current_run()
    assert record.folder and Path(record.folder).parent == tmp_path / "recorded-runs"
    run = open_run(record.folder)
    assert run.epochs() == (0, 1) and run.status == "completed"
    assert run.manifest.label == record.label
    assert window.runs.recording_message.startswith("Recording this run into")


def test_recording_can_be_turned_off(qtbot, window, tmp_path: Path) -> None:
    window.runs.set_recording(False)
    assert window.controller.record_home == "" and not window.runs.recording()
    train_one_epoch(qtbot, window)
    assert window.store.current_run().folder == ""
    assert not (tmp_path / "recorded-runs").exists()
    window.runs.set_recording(True)
    assert window.controller.record_home == str(tmp_path / "recorded-runs")


def test_a_failed_recording_is_said_and_training_goes_on(qtbot, window, monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnviz.core.events import EpochEnd

    real = RunRecorder.record

    def full_disk(self, event):
        if isinstance(event, EpochEnd):
            raise RecordingFailed("recording stopped: could not write the weights of epoch 1: No space left on "
                                  "device. The run keeps what it had (epochs up to 0).")
        return real(self, event)

    monkeypatch.setattr(RunRecorder, "record", full_disk)
    window.config_panel.epochs.setValue(2)
    with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000) as finished:
        window.act_train.trigger()
    assert finished.args[0].reason == "completed"  # both epochs trained
    assert "No space left on device" in window.runs.recording_message
    assert "Training goes on" in window.runs.recording_message
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=10_000)


def test_a_run_another_process_writes_is_followed(qtbot, window, corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "followed"
    child = subprocess.Popen([sys.executable, str(CHILD), str(folder), str(corpus), "4", "0", "0.05"],
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3])
    try:
        assert child.stdout.readline().strip() == "ready"
        window.runs.source._poll_timer.setInterval(200)
        with qtbot.waitSignal(window.runs.source.sig_opened, timeout=30_000) as opened:
            window.runs.open(str(folder))
        assert opened.args[0].running
        first = window.runs.bar.epochs()
        assert window.runs.bar.live_button.isVisibleTo(window.runs.bar) and window.runs.bar.live()
        qtbot.waitUntil(lambda: len(window.runs.bar.epochs()) > len(first), timeout=60_000)
        assert window.runs.bar.epoch() == window.runs.bar.epochs()[-1]  # live: at the newest epoch
        qtbot.waitUntil(lambda: window.runs.bar.epochs() == (0, 1, 2, 3, 4), timeout=60_000)
        qtbot.waitUntil(lambda: not window.runs.source.following, timeout=10_000)  # it ended: no more polls
        assert not window.runs.bar.live_button.isVisible()
        assert window.runs.bar.epoch() == 4
    finally:
        child.wait(timeout=60)
    qtbot.waitUntil(lambda: not window.runs.source._loader.busy, timeout=10_000)
