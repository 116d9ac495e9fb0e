"""Sessions restore all or nothing: a wrong field, a damaged model or a failure while applying
leaves the window exactly as it was and says why; a good session applies fully."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QMessageBox

from rnnviz.core import session_schema as schema
from rnnviz.core.lecture import VERSION, load_session
from rnnviz.gui.main_window import MainWindow
from rnnviz.gui.panels.gates.controls import PART_LABELS


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert window.data_panel.wait_idle(30_000)
    yield window
    window.controller.shutdown(3000)


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    return shown


def snapshot(window: MainWindow) -> tuple:
    assert window.data_panel.wait_idle(30_000)
    return (window.data_panel.state(), window.panels_state(), window.training_view.state(),
            window.device_box.currentText())


def saved_payload(window: MainWindow, folder: Path) -> dict[str, Any]:
    """The window's own session, as File → Save session writes it."""
    path = folder / "own.rnnviz-session"
    window.files.write_session(str(path))
    return json.loads(path.read_text(encoding="utf-8"))


def write(folder: Path, payload: dict[str, Any], name: str = "lecture.rnnviz-session") -> Path:
    path = folder / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def spec_at(field: str) -> Any:
    spec: Any = schema.SECTIONS[field.split(".")[0]]
    for name in field.split(".")[1:]:
        spec = spec.inner if isinstance(spec, schema.Maybe) else spec
        spec = (schema.MODEL_FIELDS if isinstance(spec, schema.Model) else spec).fields[name]
    return spec.inner if isinstance(spec, schema.Maybe) else spec


def test_the_checks_use_the_ranges_and_names_of_the_controls(window: MainWindow) -> None:
    c, t, g, b, gates = (window.config_panel, window.translate_panel, window.generate_panel, window.beam_panel,
                         window.gates_panel)
    spins: dict[str, QAbstractSpinBox] = {
        "config.epochs": c.epochs, "config.lr": c.lr, "config.clip": c.clip, "config.batch_size": c.batch_size,
        "config.num_steps": c.num_steps, "config.max_examples": c.max_examples, "config.seed": c.seed,
        "config.translate.beam_size": t.beam_spin, "config.translate.nbest": t.nbest_spin,
        "config.translate.alpha": t.alpha_spin, "config.generate.length": g.length_spin,
        "config.generate.temperature": g.temperature_spin, "config.generate.seed": g.seed_spin,
        "config.generate.beam_size": g.beam_spin, "config.generate.alpha": g.alpha_spin,
        "config.generate.top_k": g.topk_spin, "config.beam.beam_size": b.beam_spin,
        "config.beam.max_len": b.max_len_spin, "config.beam.nbest": b.nbest_spin, "config.beam.alpha": b.alpha_spin,
        "config.gates.top_n": gates.controls.top_spin, "config.gates.speed": gates.time_view.speed_spin,
        "config.gates.unit": gates.time_view.unit_spin,
    }
    differ = {field: ((spin.minimum(), spin.maximum()), (spec_at(field).low, spec_at(field).high))
              for field, spin in spins.items()
              if not (math.isclose(spin.minimum(), spec_at(field).low, abs_tol=1e-12)
                      and math.isclose(spin.maximum(), spec_at(field).high))}
    assert not differ, f"control range != the session check's range: {differ}"
    # The Builder: an embedding box whose 0 means one-hot, hidden sizes and dropout of the stack editor.
    assert window.builder.embed.maximum() == spec_at("config.builder.model.embed_size").high
    stack = schema.STACK_FIELDS.fields
    assert window.builder.encoder.dropout.maximum() == stack["dropout"].high
    assert window.builder.encoder.hidden_spin(0).maximum() == stack["hidden_sizes"].item.high
    assert window.training_view.smoothing_slider.maximum() / 1000 == spec_at("view.smoothing").high

    combos: dict[str, QComboBox] = {
        "config.optimizer": c.optimizer, "config.lm_sampling": c.lm_sampling, "config.mt_split": c.mt_split,
        "config.translate.length_penalty": t.penalty_combo,
        "config.generate.strategy": g.strategy_combo, "config.beam.source": b.source_combo,
        "config.beam.strategy": b.strategy_combo, "config.beam.length_penalty": b.penalty_combo,
        "config.beam.candidates": b.candidates_combo, "config.beam.pruned": b.pruned_combo,
        "config.gates.sort": gates.controls.sort_combo, "config.gates.direction": gates.controls.direction_combo,
        "view.x_axis": window.training_view.x_axis_combo, "view.metric": window.training_view.metric_combo,
    }
    for field, combo in combos.items():
        names = {combo.itemData(i) for i in range(combo.count())}
        assert names == set(spec_at(field).values), field
    assert set(PART_LABELS) == set(schema.GATE_PARTS)


def test_what_the_window_saves_passes_the_checks_at_the_top_of_every_range(window: MainWindow,
                                                                           tmp_path: Path) -> None:
    c, t, g = window.config_panel, window.translate_panel, window.generate_panel
    for spin in (c.epochs, c.lr, c.clip, c.seed, t.beam_spin, t.nbest_spin, t.alpha_spin, g.length_spin,
                 g.temperature_spin, g.seed_spin, g.topk_spin):
        spin.setValue(spin.maximum())
    window.builder.encoder.set_hidden(window.builder.encoder.hidden_spin(0).maximum())
    payload = saved_payload(window, tmp_path)
    session, checkpoint = load_session(write(tmp_path, payload))
    assert checkpoint is None and session.config["epochs"] == c.epochs.maximum()


BAD: list[tuple[str, Any, str]] = [
    ("config.lr", math.nan, "config.lr is nan; allowed: a finite number"),
    ("config.epochs", 10**30, "config.epochs is 1000000000000000000000000000000"),
    ("config.translate.beam_size", -2, "config.translate.beam_size is -2"),
    ("config.builder", "GRU 32", "config.builder is 'GRU 32'"),
    ("view.x_axis", "wall", "view.x_axis is 'wall'"),
    ("checkpoint", "../../elsewhere.pt", "checkpoint is '../../elsewhere.pt'"),
    ("version", VERSION + 1, "saved by a newer rnnviz; update"),
]


def test_a_bad_session_changes_nothing_and_says_why(window: MainWindow, tmp_path: Path, dialogs: list[str]) -> None:
    own = saved_payload(window, tmp_path)
    before = snapshot(window)
    for field, value, message in BAD:
        payload = json.loads(json.dumps(own))
        payload["config"]["epochs"] = 7  # applied, this would show
        target = payload
        for name in field.split(".")[:-1]:
            target = target[name]
        target[field.split(".")[-1]] = value
        path = write(tmp_path, payload)
        window.load_session_file(str(path))
        assert message in dialogs[-1] and str(path) in dialogs[-1], field
        assert snapshot(window) == before, field
    assert len(dialogs) == len(BAD) and window.config_panel.epochs.value() != 7


def test_a_session_that_is_not_json_changes_nothing(window: MainWindow, tmp_path: Path, dialogs: list[str]) -> None:
    path = tmp_path / "lecture.rnnviz-session"
    path.write_bytes(b'{"format": "rnnviz-session", "version": 1, "config": {"epochs": 7')
    before = snapshot(window)
    window.load_session_file(str(path))
    assert len(dialogs) == 1 and "is not a readable rnnviz session" in dialogs[0]
    assert snapshot(window) == before


def test_a_damaged_model_means_nothing_is_applied(qtbot, window: MainWindow, tmp_path: Path,
                                                  dialogs: list[str]) -> None:
    payload = saved_payload(window, tmp_path)
    payload["config"]["epochs"] = 7
    payload["checkpoint"] = "lecture.rnnviz-session.pt"
    (tmp_path / "lecture.rnnviz-session.pt").write_bytes(b"PK\x03\x04 not a checkpoint at all")
    before = snapshot(window)
    window.load_session_file(str(write(tmp_path, payload)))
    qtbot.waitUntil(lambda: bool(dialogs), timeout=30_000)
    assert "Nothing from the session" in dialogs[0] and "lecture.rnnviz-session.pt" in dialogs[0]
    assert snapshot(window) == before
    assert window.store.own_model() is None


def test_a_failure_while_applying_is_undone(window: MainWindow, tmp_path: Path, dialogs: list[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A panel that raises on a value the checks let through (a bug): what was applied is put back."""
    payload = saved_payload(window, tmp_path)
    payload["config"].update(epochs=7, lr=0.25)
    payload["config"]["translate"]["beam_size"] = 5
    restore = window.training_view.restore_state
    calls: list[dict] = []

    def fails_once(state: dict) -> None:  # the data and config are applied by now
        calls.append(state)
        if len(calls) == 1:
            raise RuntimeError("the view broke")
        restore(state)
    monkeypatch.setattr(window.training_view, "restore_state", fails_once)
    before = snapshot(window)
    window.load_session_file(str(write(tmp_path, payload)))
    assert len(dialogs) == 1
    assert "could not be applied (RuntimeError: the view broke); the window is as it was before" in dialogs[0]
    assert snapshot(window) == before
    assert window.config_panel.epochs.value() != 7


def test_a_good_session_applies_fully(window: MainWindow, tmp_path: Path, dialogs: list[str]) -> None:
    payload = saved_payload(window, tmp_path)
    changes = {"config.epochs": 7, "config.lr": 0.25, "config.batch_size": 48, "config.seed": 5,
               "config.translate.beam_size": 3, "config.translate.sentence": "I'm home.",
               "config.generate.length": 42, "config.generate.strategy": "greedy", "config.beam.max_len": 5,
               "config.gates.sort": "variance", "view.smoothing": 0.5, "view.log_y": True,
               "view.x_axis": "epoch", "view.metric": "perplexity", "view.probe": "time "}
    for field, value in changes.items():
        target = payload
        for name in field.split(".")[:-1]:
            target = target[name]
        target[field.split(".")[-1]] = value
    window.load_session_file(str(write(tmp_path, payload)))
    assert not dialogs
    now = {"config": window.panels_state(), "view": window.training_view.state()}
    for field, value in changes.items():
        got: Any = now
        for name in field.split("."):
            got = got[name]
        assert got == value, field
    assert "Opened session" in window.statusBar().currentMessage()
