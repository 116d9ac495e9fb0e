"""The tasks that need memory in the app: chosen in the Data dock, trained with Train, traced in the Gates tab,
and the tabs that do not apply saying so."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from rnnviz.core.config import RECALL_TARGETS
from rnnviz.core.limits import COPY_LENGTH, LAG, SYMBOLS, TASK_SEQUENCES
from rnnviz.gui.main_window import MainWindow
from rnnviz.gui.panels.data_panel import DataPanel


def make_window(qtbot, folder: Path) -> MainWindow:
    window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.data_panel.wait_idle(30_000)
    window.device_box.setCurrentText("cpu")
    return window


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = make_window(qtbot, tmp_path)
    yield window
    window.controller.shutdown(3000)


def choose_small_recall(window: MainWindow, lag: int = 2) -> None:
    """Recall with a short lag, few sequences and a tiny model: quick to train in a test."""
    window.data_panel.task_buttons["memory"].click()
    box = window.data_panel.memory_box
    box.lag.setValue(lag)
    box.symbols.setValue(3)
    box.num_train.setValue(64)
    box.num_val.setValue(12)
    window.builder.encoder.set_hidden(8)
    window.config_panel.epochs.setValue(2)


def train(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000):
        window.act_train.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=30_000)


def test_the_data_dock_offers_the_three_tasks_with_ranged_settings(qtbot) -> None:
    panel = DataPanel()
    qtbot.addWidget(panel)
    assert panel.wait_idle(30_000)
    seen: list[tuple[str, str]] = []
    panel.sig_selection_changed.connect(lambda corpus, task: seen.append((corpus, task)))
    panel.task_buttons["memory"].click()
    assert seen[-1] == ("recall", "recall") and panel.selection() == ("recall", "recall")
    assert [panel.combo.itemData(i) for i in range(panel.combo.count())] == ["recall", "adding", "copy"]
    box = panel.memory_box
    assert "t − lag" in box.description.text()
    assert (box.lag.minimum(), box.lag.maximum()) == LAG.spin_range()
    assert (box.symbols.minimum(), box.symbols.maximum()) == SYMBOLS.spin_range()
    assert box.num_train.maximum() == TASK_SEQUENCES.spin_range()[1]
    box.lag.setValue(3)
    rows = {line.split()[0]: line.split()[1:] for line in
            box.example.text().split("<pre style='margin: 0'>")[1].split("</pre>")[0].splitlines()}
    reads, outputs = rows["reads"], rows["outputs"]
    assert outputs[:3] == ["·"] * 3 and outputs[3:] == reads[:len(reads) - 3]  # the input lag steps before
    box.lag.setValue(7)
    assert panel.memory_settings()["lag"] == 7
    box.num_steps.setValue(5)  # a lag not shorter than the sequence: said at once
    assert "must be shorter than the sequence" in box.error_text()

    panel._choose("copy", "copy")
    assert panel.selection() == ("copy", "copy") and box.form.isRowVisible(box.copy_length)
    assert (box.copy_length.minimum(), box.copy_length.maximum()) == COPY_LENGTH.spin_range()
    panel._choose("adding", "adding")
    assert not box.form.isRowVisible(box.lag) and "*" in box.example.text()
    assert panel.stats_view.isHidden() and not panel.download_button.isVisible()
    panel.task_buttons["lm"].click()  # back to a text corpus: its statistics again
    assert panel.wait_idle(30_000)
    assert panel.selection()[1] == "lm" and not panel.stats_view.isHidden() and box.isHidden()


def test_choosing_a_task_sets_the_store_the_config_and_the_builder(qtbot, window: MainWindow) -> None:
    choose_small_recall(window, lag=4)
    assert (window.store.corpus, window.store.task) == ("recall", "recall")
    assert window.builder.task() == "recall" and window.builder.model_config().task == "recall"
    data, _train = window.config_panel.build_configs("recall")
    assert (data.task, data.lag, data.symbols, data.num_train) == ("recall", 4, 3, 64)
    assert window.builder.vocab_sizes() == (4,)  # <unk> and a, b, c
    assert not window.config_panel._form.isRowVisible(window.config_panel.num_steps)  # the Data dock has it


def test_short_recall_training_shows_the_metric_and_the_gates_trace_it(qtbot, window: MainWindow) -> None:
    choose_small_recall(window)
    train(qtbot, window)
    assert "accuracy" in window.training_view.readout.text()
    assert window.training_view.run_curves()[-1].metric_name == "accuracy"
    combo = window.training_view.metric_combo
    assert "accuracy" in " ".join(combo.itemText(i).lower() for i in range(combo.count()))
    qtbot.waitUntil(lambda: window.store.own_model("recall") is not None, timeout=30_000)

    window.tabs.setCurrentWidget(window.gates_panel)
    gates = window.gates_panel
    qtbot.waitUntil(lambda: gates.trace() is not None, timeout=30_000)
    assert gates.controls.sequence_spin.isVisible() and not gates.controls.probe_edit.isVisible()
    first = gates.trace().tokens
    assert len(first) == 2 + RECALL_TARGETS and set(first) <= {"a", "b", "c"}
    gates.set_sequence(5)
    qtbot.waitUntil(lambda: gates.trace() is not None and gates.trace().tokens != first, timeout=30_000)
    assert any("targets" in notice for notice in gates.trace().notices)


def test_the_tabs_that_do_not_apply_say_so(qtbot, window: MainWindow) -> None:
    notices = window.models.notices
    assert not any(n.isVisibleTo(window) for n in notices.values())
    window.data_panel.task_buttons["memory"].click()
    window.data_panel._choose("copy", "copy")
    for name in ("generate", "translate", "beam"):
        assert notices[name].isVisibleTo(window.tabs.widget(window.tabs.indexOf(getattr(window, f"{name}_panel"))))
        assert "Not for copy" in notices[name].text()
    window.data_panel.task_buttons["lm"].click()
    assert window.data_panel.wait_idle(30_000)
    assert not any(n.isVisibleTo(n.parentWidget()) for n in notices.values())


def test_a_memory_preset_sets_its_data(qtbot, window: MainWindow) -> None:
    window.builder.apply_preset("copy-lstm")
    assert window.data_panel.selection() == ("copy", "copy")
    from rnnviz.core.models.memory_presets import MEMORY_PRESETS

    recipe = MEMORY_PRESETS["copy-lstm"].train
    assert window.data_panel.memory_settings()["lag"] == recipe["lag"]
    assert window.config_panel.lr.value() == pytest.approx(recipe["lr"])
    assert window.builder.model_config().stack.cell == "lstm"


def test_a_session_with_a_memory_task_reopens_exactly(qtbot, window: MainWindow, tmp_path: Path,
                                                     monkeypatch) -> None:
    choose_small_recall(window, lag=3)
    window.data_panel.memory_box.seed.setValue(11)
    train(qtbot, window)
    window.gates_panel.set_sequence(2)
    session = tmp_path / "memory.rnnviz-session"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(session), ""))
    with qtbot.waitSignal(window.controller.sig_saved, timeout=30_000):
        window.act_save_session.trigger()

    (tmp_path / "other").mkdir()
    other = make_window(qtbot, tmp_path / "other")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(session), ""))
    other.act_open_session.trigger()
    qtbot.waitUntil(lambda: other.store.own_model("recall") is not None, timeout=30_000)
    assert other.data_panel.selection() == ("recall", "recall")
    assert other.data_panel.memory_settings() == window.data_panel.memory_settings()
    assert other.store.own_model("recall").data_config.lag == 3
    assert other.gates_panel.sequence() == 2
    other.controller.shutdown(3000)


def test_compare_trains_the_three_cells_on_the_same_data(qtbot, window: MainWindow, monkeypatch) -> None:
    from rnnviz.core.models import memory_presets

    small = {name: dataclasses.replace(p, train={**p.train, "epochs": 1})
             for name, p in memory_presets.MEMORY_PRESETS.items()}
    monkeypatch.setattr(memory_presets, "MEMORY_PRESETS", small)
    choose_small_recall(window, lag=3)
    data = window.data_panel.memory_settings()
    window.builder.encoder.set_hidden(8)
    assert window.models.compare_cells()
    with qtbot.waitSignal(window.models.comparison.sig_done, timeout=180_000) as done:
        pass
    assert done.args == [True]
    runs = window.training_view.run_curves()
    assert [r.label.split()[0] for r in runs[-3:]] == ["RNN", "GRU", "LSTM"]
    assert all("recall lag 3" in r.label for r in runs[-3:])  # the legend tells lags apart
    assert all(r.metric_name == "accuracy" for r in runs[-3:])
    assert window.data_panel.memory_settings() == data  # every cell on the same data
    assert window.training_view.y_metric() == "val_metric"
