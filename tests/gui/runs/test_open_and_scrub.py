"""Opening a recorded run in the window: its curves, its epochs on the run bar, every tab at that epoch."""

from __future__ import annotations

from pathlib import Path

import torch
from PySide6.QtCore import Qt

from rnnviz.core.runs import open_run


def open_and_wait(qtbot, window, folder: Path, epoch: int | None = None) -> None:
    with qtbot.waitSignal(window.runs.source.sig_bundle, timeout=30_000):
        window.runs.open(str(folder), epoch)


def gates_weight(window) -> torch.Tensor:
    bundle = window.gates_panel.bundle()
    assert bundle is not None
    return next(iter(bundle.model.state_dict().values()))


def test_opening_a_run_shows_its_epochs_curves_and_banner(qtbot, window, record_run, tmp_path: Path) -> None:
    folder = tmp_path / "run-a"
    record_run(folder, epochs=3)
    open_and_wait(qtbot, window, folder)
    assert window.runs.toolbar.isVisible()
    assert window.runs.bar.epochs() == (0, 1, 2, 3) and window.runs.bar.epoch() == 3
    assert "run run-a" in window.training_view.runs()
    assert window.training_view.run_curves()[-1].epochs is not None
    window.tabs.setCurrentWidget(window.gates_panel)
    qtbot.waitUntil(lambda: window.gates_panel.bundle() is not None, timeout=10_000)
    text = window.followers["gates"].banner.text()
    assert text.startswith("run run-a · epoch 3 of 3"), text


def test_the_slider_puts_gates_at_that_epochs_weights(qtbot, window, record_run, tmp_path: Path) -> None:
    folder = tmp_path / "run-b"
    weights = record_run(folder, epochs=3)
    open_and_wait(qtbot, window, folder)
    window.tabs.setCurrentWidget(window.gates_panel)
    qtbot.waitUntil(lambda: window.gates_panel.bundle() is not None, timeout=10_000)
    first = next(iter(weights[3]))
    assert torch.equal(window.gates_panel.bundle().model.state_dict()[first], weights[3][first])
    with qtbot.waitSignal(window.runs.source.sig_bundle, timeout=10_000):
        window.runs.bar.slider.setValue(1)  # the index of epoch 1
    qtbot.waitUntil(lambda: "epoch 1 of 3" in window.followers["gates"].banner.text(), timeout=10_000)
    assert torch.equal(window.gates_panel.bundle().model.state_dict()[first], weights[1][first])
    assert not torch.equal(weights[1][first], weights[3][first])  # the comparison can fail


def test_revisiting_an_epoch_comes_from_the_cache(qtbot, window, record_run, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "run-c"
    record_run(folder, epochs=2)
    open_and_wait(qtbot, window, folder)
    source = window.runs.source
    with qtbot.waitSignal(source.sig_bundle, timeout=10_000):
        window.runs.bar.go_to(0)
    reads = []
    real = type(source._run).bundle_at
    monkeypatch.setattr(type(source._run), "bundle_at", lambda self, *a, **k: reads.append(a) or real(self, *a, **k))
    with qtbot.waitSignal(source.sig_bundle, timeout=1000) as blocker:
        window.runs.bar.go_to(2)  # seen when the run opened
    assert blocker.args[0] == 2 and reads == [] and source.loads == 2
    assert window.store.model("lm").origin.epoch == 2


def test_keys_move_the_epoch_with_the_focus_in_a_spin_box(qtbot, window, record_run, tmp_path: Path) -> None:
    folder = tmp_path / "run-d"
    record_run(folder, epochs=3)
    open_and_wait(qtbot, window, folder)
    window.config_panel.epochs.setFocus()  # a spin box has the focus: [ and ] still move the epoch
    window.activateWindow()
    qtbot.keyClick(window.config_panel.epochs, Qt.Key.Key_BracketLeft)
    assert window.runs.bar.epoch() == 2
    qtbot.keyClick(window.config_panel.epochs, Qt.Key.Key_BracketRight)
    assert window.runs.bar.epoch() == 3
    window.tabs.setCurrentWidget(window.training_view)  # in Training, ← is the previous epoch
    qtbot.keyClick(window.config_panel.epochs, Qt.Key.Key_Left)
    assert window.runs.bar.epoch() == 2 and window.controller.state == "idle"
    qtbot.waitUntil(lambda: not window.runs.source._loader.busy, timeout=10_000)


def test_each_tab_goes_back_to_the_epoch_it_was_left_at(qtbot, window, record_run, tmp_path: Path) -> None:
    folder = tmp_path / "run-e"
    record_run(folder, epochs=3)
    open_and_wait(qtbot, window, folder)
    window.tabs.setCurrentWidget(window.gates_panel)
    window.runs.bar.go_to(1)
    window.tabs.setCurrentWidget(window.translate_panel)
    window.runs.bar.go_to(3)
    window.tabs.setCurrentWidget(window.gates_panel)
    assert window.runs.bar.epoch() == 1
    assert window.runs.session_state()["tabs"] == {"training": 3, "gates": 1, "translate": 3}
    qtbot.waitUntil(lambda: not window.runs.source._loader.busy, timeout=10_000)


def test_a_missing_epoch_is_skipped_and_said(qtbot, window, record_run, tmp_path: Path) -> None:
    folder = tmp_path / "run-f"
    record_run(folder, epochs=3)
    (folder / "epoch-0002.safetensors").unlink()
    open_and_wait(qtbot, window, folder)
    assert window.runs.bar.epochs() == (0, 1, 3)
    assert "epochs 2 skipped" in window.runs.bar.notice.text()
    window.runs.bar.spin.setValue(2)  # typed: goes to a complete epoch beside it
    assert window.runs.bar.epoch() in (1, 3)
    qtbot.waitUntil(lambda: not window.runs.source._loader.busy, timeout=10_000)


def test_weights_that_do_not_fit_refuse_that_epoch_only(qtbot, window, record_run, tmp_path: Path) -> None:
    folder = tmp_path / "run-g"
    record_run(folder, epochs=2)
    run = open_run(folder)
    record = run.saved(1).record
    path = folder / record.file
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, another SHA-256: the file was altered
    path.write_bytes(bytes(data))
    open_and_wait(qtbot, window, folder)  # the last epoch opens
    with qtbot.waitSignal(window.runs.source.sig_refused, timeout=10_000) as blocker:
        window.runs.bar.go_to(1)
    assert blocker.args[0] == 1 and "epoch 1" in blocker.args[1] and "SHA-256" in blocker.args[1]
    assert "epoch 1 refused" in window.runs.bar.notice.text()
    assert window.store.model("lm").origin.epoch == 2  # the tabs keep the epoch they had


def test_a_folder_that_is_not_a_run_is_said(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    said = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: said.append(self.text()) or 0)
    (tmp_path / "plain").mkdir()
    with qtbot.waitSignal(window.runs.source.sig_failed, timeout=10_000):
        window.runs.open(str(tmp_path / "plain"))
    assert said and "is not an rnnviz run" in said[0] and not window.runs.toolbar.isVisible()


def test_a_newer_manifest_is_refused_with_its_version(qtbot, window, record_run, tmp_path: Path, monkeypatch) -> None:
    import json

    from PySide6.QtWidgets import QMessageBox

    folder = tmp_path / "run-h"
    record_run(folder, epochs=1)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest))
    said = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: said.append(self.text()) or 0)
    with qtbot.waitSignal(window.runs.source.sig_failed, timeout=10_000):
        window.runs.open(str(folder))
    assert said and "newer" in said[0] and "99" in said[0]


def test_the_next_epoch_is_read_ahead_so_stepping_finds_it_ready(qtbot, window, record_run, tmp_path: Path,
                                                                  monkeypatch) -> None:
    folder = tmp_path / "run-ahead"
    record_run(folder, epochs=3)
    open_and_wait(qtbot, window, folder, 0)  # epoch 0 shown: epoch 1 is read ahead, unasked
    source = window.runs.source
    qtbot.waitUntil(lambda: source.cached(1), timeout=10_000)
    assert not source.cached(2)  # one ahead, not the whole run
    reads = []
    real = type(source._run).bundle_at
    monkeypatch.setattr(type(source._run), "bundle_at", lambda self, *a, **k: reads.append(a) or real(self, *a, **k))
    with qtbot.waitSignal(source.sig_bundle, timeout=1000) as blocker:
        window.runs.bar.go_to(1)  # ] or Play: the model is there at once
    assert blocker.args[0] == 1 and reads == []
    qtbot.waitUntil(lambda: source.cached(2), timeout=10_000)  # and the one after it is on its way


def test_the_runs_files_are_checked_in_the_background_so_a_far_jump_need_not_hash(
        qtbot, window, record_run, tmp_path: Path, monkeypatch) -> None:
    from rnnviz.core.runs import weights

    monkeypatch.setattr(weights, "SETTLED_S", -1.0)  # files just recorded count as left alone
    folder = tmp_path / "run-far"
    seen = record_run(folder, epochs=5)
    open_and_wait(qtbot, window, folder, 0)
    source = window.runs.source
    # Every epoch's file checked once, whether by the pass, the load of 0 or the read-ahead of 1.
    qtbot.waitUntil(lambda: source.checks + len(source._cache) >= 6 and not source._checking, timeout=20_000)
    hashed: list[int] = []
    real = weights.hashlib.sha256
    monkeypatch.setattr(weights.hashlib, "sha256", lambda data=b"": hashed.append(len(data)) or real(data))
    with qtbot.waitSignal(source.sig_bundle, timeout=10_000) as blocker:
        window.runs.bar.go_to(4)  # far along the slider, never read ahead
    assert blocker.args[0] == 4 and hashed == []
    for name, tensor in blocker.args[1].model.state_dict().items():
        assert torch.equal(tensor, seen[4][name])


def test_a_file_damaged_after_the_background_check_is_refused_when_shown(
        qtbot, window, record_run, tmp_path: Path, monkeypatch) -> None:
    from rnnviz.core.runs import weights

    monkeypatch.setattr(weights, "SETTLED_S", -1.0)
    folder = tmp_path / "run-damaged-later"
    record_run(folder, epochs=5)
    open_and_wait(qtbot, window, folder, 0)
    source = window.runs.source
    qtbot.waitUntil(lambda: source.checks + len(source._cache) >= 6 and not source._checking, timeout=20_000)
    path = folder / "epoch-0004.safetensors"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with qtbot.waitSignal(source.sig_refused, timeout=10_000) as blocker:
        window.runs.bar.go_to(4)
    assert blocker.args[0] == 4 and "SHA-256" in blocker.args[1]


def test_files_written_moments_before_opening_are_checked_once_they_settle(
        qtbot, window, record_run, tmp_path: Path, monkeypatch) -> None:
    import os

    from rnnviz.core.runs import weights

    monkeypatch.setattr(weights, "SETTLED_S", 0.5)
    folder = tmp_path / "run-fresh"
    record_run(folder, epochs=5)
    for path in folder.glob("*.safetensors"):
        os.utime(path)  # changed just now: too recent to be remembered at first
    open_and_wait(qtbot, window, folder, 0)
    source = window.runs.source
    qtbot.waitUntil(lambda: len(source._checked) + len(source._cache) >= 6, timeout=20_000)
    assert source.checks > 4  # the first checks found them too recent, the later ones remembered them
    hashed: list[int] = []
    real = weights.hashlib.sha256
    monkeypatch.setattr(weights.hashlib, "sha256", lambda data=b"": hashed.append(len(data)) or real(data))
    with qtbot.waitSignal(source.sig_bundle, timeout=10_000) as blocker:
        window.runs.bar.go_to(4)
    assert blocker.args[0] == 4 and hashed == []
