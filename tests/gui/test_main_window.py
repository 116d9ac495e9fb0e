"""The main window as a lecturer drives it: toolbar, keys, files, presentation, failures."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from rnnviz.core.events import Step
from rnnviz.gui.main_window import MainWindow


def make_window(qtbot, folder: Path) -> MainWindow:
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.data_panel.wait_idle(30_000)
    panel = window.config_panel  # tiny and quick: a lecture-sized model would slow the suite
    window.builder.encoder.set_hidden(8)
    panel.batch_size.setValue(256)
    panel.num_steps.setValue(16)
    panel.epochs.setValue(3)
    window.device_box.setCurrentText("cpu")
    return window


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = make_window(qtbot, tmp_path)
    yield window
    window.controller.shutdown(3000)


@pytest.fixture
def steps(window: MainWindow) -> list[Step]:
    seen: list[Step] = []
    window.controller.sig_events.connect(lambda events: seen.extend(e for e in events if isinstance(e, Step)))
    return seen


def wait_state(qtbot, window: MainWindow, state: str, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: window.controller.state == state, timeout=timeout)


def train_one_epoch(qtbot, window: MainWindow) -> None:
    window.config_panel.epochs.setValue(1)
    with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000):
        window.act_train.trigger()
    wait_state(qtbot, window, "idle")


def test_every_panel_and_a_shortcut_for_every_toolbar_action(qtbot, window: MainWindow) -> None:
    assert window.data_dock.windowTitle() == "Data" and window.config_dock.windowTitle() == "Config"
    assert window.centralWidget() is window.tabs and window.tabs.currentWidget() is window.training_view
    assert window.tabs.indexOf(window.builder) >= 0
    keys = {a.text(): a.shortcut().toString() for a in
            (window.act_train, window.act_pause, window.act_step, window.act_stop, window.act_reset)}
    assert keys == {"Train": "Space", "Pause": "P", "Step": "Right", "Stop": "Esc", "Reset": "Ctrl+R"}
    assert window.act_present.shortcut().toString() == "F11"
    qtbot.waitUntil(lambda: window.device_box.findText("cpu") >= 0, timeout=30_000)  # listed after first paint


def test_train_pause_step_resume_stop(qtbot, window: MainWindow, steps: list[Step]) -> None:
    window.config_panel.epochs.setValue(50)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=60_000)
    assert window.act_train.text() == "Pause"
    window.act_train.trigger()  # Space again: pause
    wait_state(qtbot, window, "paused")
    paused_at = steps[-1].step
    assert window.act_train.text() == "Resume"
    window.act_step.trigger()
    qtbot.waitUntil(lambda: steps[-1].step == paused_at + 1, timeout=30_000)
    assert window.controller.state == "paused"
    window.act_train.trigger()  # resume
    qtbot.waitUntil(lambda: steps[-1].step > paused_at + 3, timeout=30_000)
    with qtbot.waitSignal(window.controller.sig_finished, timeout=30_000) as finished:
        window.act_stop.trigger()
    assert finished.args[0].reason == "stopped"
    wait_state(qtbot, window, "idle")
    assert window.training_view.runs()[-1].startswith("GRU 1×8, sgd")
    assert window.act_reset.isEnabled() and window.config_panel.isEnabled()


def test_keyboard_drives_training(qtbot, window: MainWindow, steps: list[Step]) -> None:
    window.config_panel.epochs.setValue(50)
    window.activateWindow()
    window.training_view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    wait_state(qtbot, window, "running")
    qtbot.keyClick(window, Qt.Key.Key_Space)
    wait_state(qtbot, window, "paused")
    before = steps[-1].step if steps else 0
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: bool(steps) and steps[-1].step == before + 1, timeout=30_000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    wait_state(qtbot, window, "idle")


def test_training_to_the_end_shows_curves_and_a_live_sample(qtbot, window: MainWindow) -> None:
    samples: list[tuple[int, str]] = []
    window.controller.sig_sample.connect(lambda epoch, text: samples.append((epoch, text)))
    with qtbot.waitSignal(window.controller.sig_finished, timeout=120_000) as finished:
        window.act_train.trigger()
    assert finished.args[0].reason == "completed"
    assert [epoch for epoch, _ in samples] == [1, 2, 3]
    assert all(text.startswith("the") for _, text in samples)  # the default prefix, continued
    assert window.status_progress.value() == 3
    assert "tokens/s" in window.status_speed.text()
    assert "elapsed" in window.status_time.text() and "ETA" not in window.status_time.text()  # nothing left to wait for


def test_second_train_continues_the_same_model(qtbot, window: MainWindow, steps: list[Step]) -> None:
    window.config_panel.epochs.setValue(1)
    for _ in range(2):
        with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000):
            window.act_train.trigger()
        wait_state(qtbot, window, "idle")
    assert window.training_view.runs()[-1].endswith("(continued)")
    window.act_reset.trigger()
    with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000):
        window.act_train.trigger()
    assert not window.training_view.runs()[-1].endswith("(continued)")


def test_another_init_continues_the_model_and_says_why(qtbot, window: MainWindow) -> None:
    window.config_panel.epochs.setValue(1)
    with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000):
        window.act_train.trigger()
    wait_state(qtbot, window, "idle")
    builder = window.builder
    other = "torch" if builder.init.currentData() == "book" else "book"
    builder.init.setCurrentIndex(builder.init.findData(other))  # only new models are drawn that way
    with qtbot.waitSignal(window.controller.sig_run_started, timeout=60_000) as started:
        window.act_train.trigger()
    assert window.training_view.runs()[-1].endswith("(continued)")
    (note,) = started.args[0].notes
    assert f"chosen now ({other}) applies only to new models" in note
    assert note in window.statusBar().currentMessage()
    window.act_stop.trigger()
    wait_state(qtbot, window, "idle")


def test_worker_crash_becomes_a_dialog_and_the_ui_stays_usable(qtbot, window: MainWindow, monkeypatch) -> None:
    import rnnviz.core.data.datasets as datasets

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append((box.text(), box.detailedText())) or 0)
    original = datasets.build_data
    monkeypatch.setattr(datasets, "build_data", lambda *a, **k: 1 / 0)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    assert "ZeroDivisionError" in shown[0][0] and "Traceback" in shown[0][1]
    wait_state(qtbot, window, "idle")
    assert window.act_train.isEnabled() and window.config_panel.isEnabled()
    monkeypatch.setattr(datasets, "build_data", original)
    with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000) as finished:
        window.act_train.trigger()
    assert finished.args[0].reason == "completed"


def test_nan_loss_pauses_with_a_message(qtbot, window: MainWindow, monkeypatch) -> None:
    from rnnviz.core.models.lm import RNNLM

    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warnings.append(text))
    original, calls = RNNLM.batch_loss, []

    def nan_after_three_steps(self, batch):  # what a diverging run looks like from outside
        calls.append(1)
        loss = original(self, batch)
        return loss * float("nan") if len(calls) > 3 else loss
    monkeypatch.setattr(RNNLM, "batch_loss", nan_after_three_steps)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: bool(warnings), timeout=60_000)
    assert window.controller.state == "paused"
    assert "step 4" in warnings[0] and "skipped" in warnings[0] and "learning rate" in warnings[0].lower()
    window.act_stop.trigger()
    wait_state(qtbot, window, "idle")


def test_a_diverged_run_says_so_and_what_to_change(qtbot, window: MainWindow, monkeypatch) -> None:
    from rnnviz.core.models.lm import RNNLM

    warnings: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warnings.append((title, text)))
    original = RNNLM.batch_loss
    # A finite loss of 80 nats per token, far above any healthy run's (the book's start near 3.3).
    monkeypatch.setattr(RNNLM, "batch_loss", lambda self, batch: original(self, batch) * 0 + 80.0)
    window.config_panel.clip.setValue(0)  # no clipping: the advice names it
    with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000) as finished:
        window.act_train.trigger()
    assert finished.args[0].reason == "diverged"
    wait_state(qtbot, window, "idle")
    assert window.store.current_run().state == "diverged" and window.store.current_run().ended
    assert window.statusBar().currentMessage() == "Training diverged."
    (title, text), = warnings
    assert title == "Training diverged" and "Lower the learning rate" in text and "clipping" in text


def test_notes_of_an_opened_checkpoint_are_shown(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    import dataclasses

    from rnnviz.core.models.shipped import load_shipped

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: shown.append(text))
    bundle = load_shipped("lm")
    note = f"the corpus it was trained on, {tmp_path / 'gone.txt'}, is no longer there."
    window.use_opened_model(dataclasses.replace(bundle, origin=dataclasses.replace(
        bundle.origin, kind="opened", path=str(tmp_path / "m.pt"), notes=(note,))))
    assert shown and note in shown[0] and "m.pt" in shown[0]


def test_closing_during_training_stops_the_worker(qtbot, tmp_path: Path) -> None:
    window = make_window(qtbot, tmp_path)
    window.config_panel.epochs.setValue(50)
    window.act_train.trigger()
    wait_state(qtbot, window, "running")
    thread = window.controller.worker_thread
    window.close()
    assert thread.isFinished()


def test_presentation_mode_is_full_screen_with_larger_type(qtbot, window: MainWindow) -> None:
    size = QApplication.font().pointSizeF()
    window.act_present.trigger()
    qtbot.waitUntil(window.isFullScreen, timeout=5000)
    assert QApplication.font().pointSizeF() >= 1.5 * size
    window.act_present.trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5000)
    assert QApplication.font().pointSizeF() == pytest.approx(size)


def _save_dialog(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def _open_dialog(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def test_checkpoint_and_session_round_trip(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    window.builder.encoder.set_hidden(12)
    train_one_epoch(qtbot, window)
    session = tmp_path / "lecture.rnnviz-session"
    _save_dialog(monkeypatch, session)
    with qtbot.waitSignal(window.controller.sig_saved, timeout=30_000):
        window.act_save_session.trigger()
    assert session.is_file() and Path(str(session) + ".pt").is_file()

    (tmp_path / "elsewhere").mkdir()
    other = make_window(qtbot, tmp_path / "elsewhere")
    assert other.builder.encoder.spec().hidden_sizes[0] == 8
    _open_dialog(monkeypatch, session)
    other.act_open_session.trigger()
    qtbot.waitUntil(lambda: other.store.own_model() is not None, timeout=30_000)
    assert other.builder.encoder.spec().hidden_sizes[0] == 12
    opened = other.store.own_model()
    assert opened.model_config.stack.hidden_sizes == (12,)
    assert other.store.model_label() == "opened lecture.rnnviz-session.pt"
    other.controller.shutdown(3000)


def test_exports_write_csv_png_and_svg(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    train_one_epoch(qtbot, window)
    csv_path = tmp_path / "curves.csv"
    _save_dialog(monkeypatch, csv_path)
    window.act_export_csv.trigger()
    rows = list(csv.reader(csv_path.open(encoding="utf-8")))
    assert len(rows) > 5
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<")):
        path = tmp_path / f"plot{suffix}"
        _save_dialog(monkeypatch, path)
        window.act_export_image.trigger()
        assert path.read_bytes().lstrip()[:4].startswith(magic)


def test_settings_keep_the_config_and_offline_folder(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    first = make_window(qtbot, tmp_path)
    first.builder.encoder.set_hidden(77)
    first.set_offline_folder(str(tmp_path))
    first.close()
    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    second = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    assert second.builder.encoder.spec().hidden_sizes[0] == 77
    import os

    assert os.environ.get("RNNVIZ_DATA_DIR") == str(tmp_path)
    second.controller.shutdown(3000)


def test_self_test_passes() -> None:
    result = subprocess.run([sys.executable, "-m", "rnnviz", "--self-test"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout


def test_first_window_paints_before_torch_loads() -> None:
    code = ("import sys\n"
            "from rnnviz.gui.app import make_app\n"
            "app = make_app()\n"
            "from rnnviz.gui.main_window import MainWindow\n"
            "w = MainWindow(); w.show(); app.processEvents()\n"
            "print('torch' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr[-800:]
