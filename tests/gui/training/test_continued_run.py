"""In the window: a continued run's curves carry on where the earlier run's ended."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from rnnviz.core.events import Step
from rnnviz.gui.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    assert window.data_panel.wait_idle(30_000)
    window.builder.encoder.set_hidden(8)  # tiny and quick
    window.config_panel.batch_size.setValue(256)
    window.config_panel.num_steps.setValue(16)
    window.config_panel.epochs.setValue(1)
    window.device_box.setCurrentText("cpu")
    yield window
    window.controller.shutdown(3000)


def test_a_continued_runs_steps_follow_on_in_the_training_view(qtbot, window: MainWindow, monkeypatch) -> None:
    runs: list[list[Step]] = []
    view = window.training_view
    begin, add = view.begin_run, view.add_events
    monkeypatch.setattr(view, "begin_run", lambda *args, **kwargs: (runs.append([]), begin(*args, **kwargs)))
    monkeypatch.setattr(view, "add_events", lambda events: (runs[-1].extend(e for e in events if isinstance(e, Step)),
                                                            add(events)))
    for _ in range(2):
        with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000):
            assert window.start_training()
        qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=30_000)
        qtbot.waitUntil(lambda: window.store.own_model("lm") is not None, timeout=30_000)  # the model to continue
    assert len(runs) == 2
    first, second = runs
    assert first and second and second[0].step == first[-1].step + 1 and second[0].epoch == 2
    assert [s.step for s in second] == list(range(first[-1].step + 1, first[-1].step + len(second) + 1))
    curves = view.run_curves()[-1]
    assert curves.steps.column("step")[0] == first[-1].step + 1  # what the curve draws starts there too
