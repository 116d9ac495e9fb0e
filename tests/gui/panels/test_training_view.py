"""The training panel: curves from synthetic events, smoothing, axes, runs, exports, theme, state."""

from __future__ import annotations

import csv
import dataclasses
import math
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.errors import RnnvizError
from rnnviz.core.events import EpochEnd, Finished, NonFinite, Paused, Step
from rnnviz.gui.panels import training_export
from rnnviz.gui.panels.training_view import CSV_COLUMNS, SAMPLE_HISTORY, TrainingView
from rnnviz.gui.style import PRESENTATION
from rnnviz.gui.widgets.curves import STEP_COLUMNS, DebiasedEma, SeriesBuffer, debiased_ema
from tests.fresh_imports import loaded_by

BATCHES = 4


def make_steps(n: int, start: int = 0, batches: int = BATCHES, seed: int = 0) -> list[Step]:
    """``n`` steps after ``start``, ``batches`` per epoch, a noisy falling loss, 0.5 s a step."""
    rng = np.random.default_rng(seed + start)
    steps = []
    for step in range(start + 1, start + n + 1):
        epoch, batch = (step - 1) // batches + 1, (step - 1) % batches + 1
        loss = 1.5 + 3.0 * math.exp(-step / 10) + 0.2 * float(rng.random())
        steps.append(Step(step, epoch, batch, batches, loss, math.exp(loss), 0.5 + step / 100, 0.1 * step,
                          1000.0 + step, 0.5 * step))
    return steps


def epoch_end(step: int, val: float | None = 2.0, batches: int = BATCHES) -> EpochEnd:
    epoch = step // batches
    return EpochEnd(step, epoch, 2.5, math.exp(2.5), val, None if val is None else math.exp(val), 1234.0, 0.5 * step)


@pytest.fixture
def view(qtbot) -> TrainingView:
    widget = TrainingView()
    qtbot.addWidget(widget)
    widget.resize(1000, 800)
    return widget


def original(item) -> tuple[np.ndarray, np.ndarray]:
    x, y = item.getOriginalDataset()
    return np.asarray(x), np.asarray(y)


def hand_ema(values: list[float], beta: float) -> list[float]:
    state, out = 0.0, []
    for t, value in enumerate(values, start=1):
        state = beta * state + (1 - beta) * value
        out.append(state / (1 - beta ** t))
    return out


# ---------------------------------------------------------------- curves


def test_steps_draw_every_curve_with_the_fed_values(view: TrainingView) -> None:
    view.begin_run("RNN 1×32 sgd lr 1", "lm")
    steps = make_steps(10)
    view.add_events(tuple(steps[:3]))
    view.add_events(tuple(steps[3:]))
    run = view.run_curves()[-1]
    expected_x = [s.step for s in steps]
    for item, field in ((run.raw, "loss"), (run.grad_norm, "grad_norm"), (run.speed, "tokens_per_s")):
        x, y = original(item)
        assert x.tolist() == expected_x
        assert y.tolist() == [getattr(s, field) for s in steps]
    assert original(run.smooth)[0].tolist() == expected_x
    assert item_in(view.plots.loss, run.smooth) and item_in(view.plots.grad_norm, run.grad_norm)
    assert item_in(view.plots.speed, run.speed)
    text = view.readout.text()
    assert "step 10" in text and "epoch 3 (2/4)" in text and f"loss {steps[-1].loss:.3f}" in text
    assert "perplexity" in text and "grad norm" in text and "lr 1" in text and "1,010 tokens/s" in text


def item_in(plot, item) -> bool:
    return item in plot.listDataItems()


def test_curves_use_clip_to_view_and_peak_downsampling(view: TrainingView) -> None:
    view.begin_run("r", "lm")
    view.add_events(make_steps(5))
    for item in view.run_curves()[-1].items():
        assert item.opts["clipToView"] and item.opts["autoDownsample"]
        assert item.opts["downsampleMethod"] == "peak"


def test_validation_points_appear_once_per_epoch(view: TrainingView) -> None:
    view.begin_run("r", "lm")
    run = view.run_curves()[-1]
    view.add_events(make_steps(4) + [epoch_end(4, None)])
    assert run.validation is None  # no validation data: no markers, no legend key
    assert "validation" not in legend_labels(view)
    view.add_events(make_steps(4, start=4) + [epoch_end(8, 2.25)] + make_steps(4, start=8) + [epoch_end(12, 2.0)])
    assert run.validation is not None and run.validation.opts["symbol"] == "o"
    x, y = original(run.validation)
    assert x.tolist() == [4, 8, 12]
    assert np.isnan(y[0]) and y[1:].tolist() == [2.25, 2.0]
    assert "validation (per epoch)" in legend_labels(view)
    view.set_y_metric("perplexity")
    assert original(run.validation)[1][1:] == pytest.approx([math.exp(2.25), math.exp(2.0)])
    assert "validation perplexity 7.39" in view.readout.text()


def test_smoothed_curve_is_the_debiased_ema(view: TrainingView) -> None:
    view.begin_run("r", "lm")
    view.set_smoothing(0.9)
    steps = make_steps(50)
    for i in range(0, 50, 7):  # in uneven batches: the EMA continues across calls
        view.add_events(steps[i:i + 7])
    run = view.run_curves()[-1]
    losses = [s.loss for s in steps]
    smooth = original(run.smooth)[1]
    assert smooth.tolist() == pytest.approx(hand_ema(losses, 0.9), rel=1e-12)
    assert smooth[0] == pytest.approx(losses[0])  # debiased: the start is not pulled towards 0
    assert run.raw.isVisible() and original(run.raw)[1].tolist() == losses  # the raw curve stays, faint

    view.set_smoothing(0.5)  # the whole run is re-smoothed
    assert original(run.smooth)[1].tolist() == pytest.approx(hand_ema(losses, 0.5), rel=1e-12)
    view.set_y_metric("perplexity")  # perplexity of the smoothed loss
    assert original(run.smooth)[1].tolist() == pytest.approx(np.exp(hand_ema(losses, 0.5)).tolist(), rel=1e-12)
    assert original(run.raw)[1].tolist() == [s.perplexity for s in steps]
    view.set_smoothing(0.0)
    assert original(run.smooth)[1].tolist() == pytest.approx([s.perplexity for s in steps])
    assert not run.raw.isVisible()


def test_smoothing_slider_spans_0_to_0_999(view: TrainingView) -> None:
    view.set_smoothing(5.0)
    assert view.smoothing() == pytest.approx(0.999)
    view.smoothing_slider.setValue(0)
    assert view.smoothing() == 0.0
    view.set_smoothing(0.6)
    assert view.smoothing() == pytest.approx(0.6)


def test_debiased_ema_in_chunks_matches_the_loop() -> None:
    values = np.random.default_rng(3).random(3000) * 4
    for beta in (0.0, 0.3, 0.9, 0.999):
        expected = hand_ema(values.tolist(), beta)
        for size in (1, 7, 64, 1000, 3000):  # small chunks too: the bias correction spans many calls
            ema = DebiasedEma(beta)
            chunks = [ema.update(values[a:a + size]) for a in range(0, len(values), size)]
            assert np.concatenate(chunks) == pytest.approx(expected, rel=1e-10)
    with_gap = debiased_ema([1.0, float("nan"), 3.0], 0.5)  # a NaN repeats the last value, never poisons
    assert with_gap.tolist() == pytest.approx(hand_ema([1.0, 1.0, 3.0], 0.5))


def test_log_y_sets_the_log_mode(view: TrainingView) -> None:
    view.begin_run("r", "lm")
    view.add_events(make_steps(8))
    view.set_log_y(True)
    assert view.plots.loss.getAxis("left").logMode
    assert view.plots.grad_norm.getAxis("left").logMode
    assert not view.plots.speed.getAxis("left").logMode
    assert view.run_curves()[-1].smooth.opts["logMode"][1]
    view.begin_run("second", "lm")  # curves added later follow the plot's log mode
    view.add_events(make_steps(3))
    assert view.run_curves()[-1].smooth.opts["logMode"][1]
    view.set_log_y(False)
    assert not view.plots.loss.getAxis("left").logMode


def test_x_axis_modes_give_step_fractional_epoch_and_elapsed(view: TrainingView) -> None:
    view.begin_run("r", "lm")
    steps = make_steps(8)
    view.add_events(steps[:4] + [epoch_end(4)] + steps[4:] + [epoch_end(8)])
    run = view.run_curves()[-1]
    assert original(run.smooth)[0].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert original(run.validation)[0].tolist() == [4, 8]
    view.set_x_axis("epoch")
    assert original(run.smooth)[0].tolist() == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    assert original(run.grad_norm)[0].tolist() == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    assert original(run.validation)[0].tolist() == [1, 2]
    assert view.plots.speed.getAxis("bottom").labelText == "epoch"
    view.set_x_axis("time")
    assert original(run.speed)[0].tolist() == pytest.approx([0.5 * s for s in range(1, 9)])
    assert original(run.validation)[0].tolist() == [2.0, 4.0]
    assert view.plots.speed.getAxis("bottom").labelUnits == "s"


def test_x_axis_switch_replots_every_run(view: TrainingView) -> None:
    view.begin_run("first", "lm")
    view.add_events(make_steps(4))
    view.begin_run("second", "lm")
    view.add_events(make_steps(4))
    view.set_x_axis("time")
    for run in view.run_curves():
        assert original(run.smooth)[0].tolist() == [0.5, 1.0, 1.5, 2.0]


# ---------------------------------------------------------------- runs


def legend_labels(view: TrainingView) -> list[str]:
    return view.plots.loss.legend.names()


def test_a_second_run_keeps_the_first_as_an_overlay(view: TrainingView) -> None:
    view.begin_run("RNN 1×32 sgd lr 1", "lm")
    view.add_events(make_steps(6))
    view.begin_run("GRU 1×32 sgd lr 1", "lm")
    view.add_events(make_steps(3, seed=1))
    assert view.runs() == ["RNN 1×32 sgd lr 1", "GRU 1×32 sgd lr 1"]
    assert legend_labels(view) == ["RNN 1×32 sgd lr 1", "GRU 1×32 sgd lr 1"]
    first, second = view.run_curves()
    assert len(original(first.smooth)[0]) == 6 and len(original(second.smooth)[0]) == 3
    assert item_in(view.plots.loss, first.smooth) and item_in(view.plots.loss, second.smooth)
    assert first.smooth.opts["pen"].color() != second.smooth.opts["pen"].color()  # their own colours
    assert second.smooth.zValue() > first.smooth.zValue()  # the current run on top
    assert second.smooth.opts["pen"].widthF() >= first.smooth.opts["pen"].widthF()


def test_clear_earlier_runs_removes_them_from_plots_and_legend(view: TrainingView) -> None:
    for label in ("RNN", "GRU", "LSTM"):
        view.begin_run(label, "lm")
        view.add_events(make_steps(4) + [epoch_end(4)])
    old = view.run_curves()[:2]
    view.clear_button.click()
    assert view.runs() == ["LSTM"]
    assert legend_labels(view) == ["LSTM", "validation (per epoch)"]
    for run in old:
        for item in run.items():
            assert not item_in(view.plots.loss, item) and not item_in(view.plots.grad_norm, item)
    assert len(view.plots.loss.listDataItems()) == 3  # raw, smooth, validation of LSTM


def test_run_labels_stay_distinct_and_an_empty_run_is_replaced(view: TrainingView) -> None:
    view.begin_run("GRU", "lm")
    view.begin_run("LSTM", "lm")  # GRU never got a step: replaced, not kept
    view.add_events(make_steps(2))
    view.begin_run("LSTM", "lm")
    view.add_events(make_steps(2))
    assert view.runs() == ["LSTM", "LSTM (2)"]


def test_events_without_begin_run_start_one(view: TrainingView) -> None:
    view.add_events(make_steps(3))
    assert view.runs() == ["run 1"]


def test_pause_non_finite_and_finish_show_in_the_status(view: TrainingView) -> None:
    view.begin_run("r", "lm")
    view.add_events(make_steps(2) + [Paused(2, 1, 1.0)])
    assert "paused at step 2" in view.status_text()
    view.add_events([NonFinite(2, 1, float("nan"), 3.0, 10.0, "the loss became nan")])
    assert "non-finite loss at step 3" in view.status_text()
    view.add_events([Finished("completed", 2, 1, 1.0)])
    assert "finished (completed)" in view.status_text()


# ---------------------------------------------------------------- exports


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_export_csv_writes_a_header_and_a_row_per_step_per_run(view: TrainingView, tmp_path: Path) -> None:
    view.begin_run("RNN, 1×32", "lm")  # a comma in the label: quoted
    rnn = make_steps(8)
    view.add_events(rnn + [epoch_end(8, 2.0)])
    view.begin_run("GRU", "lm")
    gru = make_steps(5, seed=7)
    view.add_events(gru + [epoch_end(4, None)])
    path = tmp_path / "curves.csv"
    view.export_csv(str(path))
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = read_csv(path)
    step_rows = [r for r in rows if r["kind"] == "step"]
    assert [r["run"] for r in step_rows] == ["RNN, 1×32"] * 8 + ["GRU"] * 5
    for row, event in zip(step_rows, rnn + gru):
        assert int(row["step"]) == event.step and int(row["epoch"]) == event.epoch
        assert int(row["batch"]) == event.batch and int(row["batches"]) == event.batches
        for column, field in (("elapsed_s", "elapsed"), ("loss", "loss"), ("perplexity", "perplexity"),
                              ("grad_norm", "grad_norm"), ("lr", "lr"), ("tokens_per_s", "tokens_per_s")):
            assert float(row[column]) == getattr(event, field)  # exact: repr round-trips
        assert row["val_loss"] == ""
    epochs = [r for r in rows if r["kind"] == "epoch"]
    assert [(r["run"], r["step"], r["val_loss"]) for r in epochs] == [("RNN, 1×32", "8", "2.0"), ("GRU", "4", "")]
    assert float(epochs[0]["val_perplexity"]) == pytest.approx(math.exp(2.0))
    assert float(epochs[0]["loss"]) == 2.5 and epochs[0]["grad_norm"] == ""


def test_failed_csv_export_raises_and_keeps_the_existing_file(view: TrainingView, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    view.begin_run("r", "lm")
    view.add_events(make_steps(4))
    good = tmp_path / "curves.csv"
    good.write_text("the good export\n", encoding="utf-8")

    missing = tmp_path / "no such folder" / "curves.csv"
    with pytest.raises(RnnvizError, match=re.escape(str(missing.parent)) + " does not exist"):
        view.export_csv(str(missing))
    assert not missing.parent.exists()  # refused, not created

    def failing_rows(run):
        yield ["half", "a", "row"]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(training_export, "_csv_rows", failing_rows)
    with pytest.raises(RnnvizError, match="No space left on device") as failure:
        view.export_csv(str(good))
    assert f"could not save the CSV to {good}: the disk is full" in str(failure.value)
    assert good.read_text(encoding="utf-8") == "the good export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.csv"]  # no temp file left behind


def test_csv_export_is_an_ordinary_file_replaced_whole(view: TrainingView, tmp_path: Path) -> None:
    view.begin_run("r", "lm")
    view.add_events(make_steps(3))
    path = tmp_path / "curves.csv"
    path.write_text("an older, longer export\n" * 100, encoding="utf-8")
    old = os.umask(0o022)
    try:
        view.export_csv(str(path))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # readable by others, as a file saved by an editor
    assert [r["step"] for r in read_csv(path)] == ["1", "2", "3"]
    assert path.read_bytes().count(b"\r\n") == 4  # csv's own line ends, not doubled
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.csv"]


def test_export_image_writes_png_and_svg(view: TrainingView, qtbot, tmp_path: Path) -> None:
    view.show()
    qtbot.waitExposed(view)
    view.begin_run("RNN", "lm")
    view.add_events(make_steps(12) + [epoch_end(4), epoch_end(8)])
    png, svg = tmp_path / "plots.png", tmp_path / "plots.svg"
    view.export_image(str(png))
    data = png.read_bytes()
    assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"
    view.export_image(str(svg))
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<?xml") or "<svg" in text
    assert "<svg" in text
    with pytest.raises(RnnvizError, match=r"\.png or \.svg"):
        view.export_image(str(tmp_path / "plots.gif"))
    with pytest.raises(RnnvizError):
        view.export_image(str(tmp_path / "missing" / "plots.png"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots.png", "plots.svg"]


# ---------------------------------------------------------------- scale


def test_buffers_grow_by_doubling_and_take_a_million_steps() -> None:
    buffer = SeriesBuffer(STEP_COLUMNS, initial_capacity=1000)
    capacities = set()
    row = tuple(float(i) for i in range(len(STEP_COLUMNS)))
    for _ in range(1_000_000):
        buffer.append(row)
        capacities.add(buffer.capacity)
    assert len(buffer) == 1_000_000
    for capacity in capacities:
        ratio = capacity // 1000
        assert capacity % 1000 == 0 and ratio & (ratio - 1) == 0  # 1000 × a power of two
    assert buffer.capacity == 1000 * 1024
    assert buffer.column("lr")[-1] == STEP_COLUMNS.index("lr")
    buffer.extend(np.zeros((5, len(STEP_COLUMNS))))
    assert len(buffer) == 1_000_005


def test_a_million_step_run_draws_only_what_the_pixels_need(view: TrainingView, qtbot) -> None:
    view.show()
    qtbot.waitExposed(view)
    view.begin_run("long", "lm")
    run = view.run_curves()[-1]
    n = 1_000_000
    rows = np.zeros((n, len(STEP_COLUMNS)))
    rows[:, 0] = np.arange(1, n + 1)  # step
    rows[:, 1], rows[:, 2], rows[:, 3] = 1, np.arange(1, n + 1), n  # epoch, batch, batches
    rows[:, 6] = 2 + np.random.default_rng(0).random(n)  # loss
    rows[:, 8] = 1.0
    for chunk in np.array_split(rows, 100):  # as the worker delivers them, in batches
        run.add_steps(chunk)
    view.add_events(make_steps(10, start=n, batches=n + 10))
    assert len(run.steps) == n + 10 and len(original(run.smooth)[0]) == n + 10
    qtbot.waitUntil(lambda: len(run.smooth.curve.getData()[0]) < n / 10)
    width = view.plots.loss.getViewBox().width()
    assert len(run.smooth.curve.getData()[0]) <= 8 * width  # peak downsampling: bounded by the pixels


# ---------------------------------------------------------------- theme, samples, probe, state




def test_show_sample_keeps_a_short_history_newest_first(view: TrainingView) -> None:
    view.show_sample(1, "time traveller the the")
    view.show_sample(2, "time traveller <unk> and the")
    text = view.samples_view.toPlainText()
    assert text.index("epoch 2: time traveller <unk> and the") < text.index("epoch 1: time traveller the the")
    for epoch in range(3, 3 + SAMPLE_HISTORY):
        view.show_sample(epoch, f"sample {epoch}")
    text = view.samples_view.toPlainText()
    assert f"epoch {2 + SAMPLE_HISTORY}: sample" in text and "epoch 1:" not in text
    assert text.count("epoch ") == SAMPLE_HISTORY


def test_probe_label_follows_the_task_and_edits_emit(view: TrainingView, qtbot) -> None:
    view.begin_run("lm run", "lm")
    assert view.probe_label.text() == "Prefix to continue"
    view.begin_run("mt run", "mt")
    assert view.probe_label.text() == "Sentence to translate"
    with qtbot.assertNotEmitted(view.sig_probe_changed):
        view.set_probe("go .")
    assert view.probe() == "go ."
    view.probe_edit.setText("i lost .")
    with qtbot.waitSignal(view.sig_probe_changed, timeout=2000) as blocker:
        view.probe_edit.editingFinished.emit()
    assert blocker.args == ["i lost ."]
    with qtbot.assertNotEmitted(view.sig_probe_changed):  # focus left again, nothing changed
        view.probe_edit.editingFinished.emit()
    with pytest.raises(ValueError):
        view.begin_run("x", "speech")




def test_no_torch_import() -> None:
    assert loaded_by(["rnnviz.gui.panels.training_view", "rnnviz.gui.widgets.curves"],
                     ["torch", "rnnviz.core.train", "rnnviz.core.models", "rnnviz.core.checkpoint",
                      "rnnviz.core.decoding"]) == []


def test_readout_keeps_the_latest_numbers_when_a_batch_has_no_step(view: TrainingView) -> None:
    view.begin_run("GRU", "lm")
    steps = make_steps(6)
    view.add_events(steps)
    view.add_events([epoch_end(steps[-1].step, val=2.5), Finished("completed", steps[-1].step, 1, 1.0)])
    text = view.readout.text()
    assert f"loss {steps[-1].loss:.3f}" in text and "tokens/s" in text and "validation perplexity" in text


def test_readout_keeps_the_last_epoch_figure_between_epochs(view: TrainingView) -> None:
    view.begin_run("GRU", "lm")
    view.add_events(make_steps(4) + [epoch_end(4, val=2.5)])
    view.add_events(make_steps(2, start=4))  # mid-epoch: only steps
    assert "validation perplexity 12.18 (epoch 1)" in view.readout.text()
    view.begin_run("LSTM", "lm")
    view.add_events(make_steps(2))
    assert "validation" not in view.readout.text()  # a new run starts without the old figure


def test_plots_keep_their_place_while_the_readout_changes_length(view: TrainingView, qtbot) -> None:
    """A readout that wraps for one batch and not the next must not resize the plots each time
    (every resize repaints the plots and regenerates their axes, which slows training)."""
    from PySide6.QtWidgets import QApplication, QLabel

    def settle() -> None:
        QApplication.sendPostedEvents()
        QApplication.processEvents()

    def batch(i: int) -> list[Step]:  # odd batches report a far higher speed: a longer text
        steps = make_steps(2, start=2 * i)
        return [dataclasses.replace(s, tokens_per_s=1.0e40 if i % 2 else 9.0) for s in steps]

    view.show()
    qtbot.waitExposed(view)
    view.begin_run("GRU", "lm")
    texts = []
    for i in range(2):
        view.add_events(batch(i))
        texts.append(view.readout.text())
    measure = QLabel()
    measure.setWordWrap(True)
    measure.setFont(view.readout.font())

    def height(text: str, width: int) -> int:
        measure.setText(text)
        return measure.heightForWidth(width)

    # A width the view can take at which the short text takes fewer lines than the long one.
    settle()
    others = view.width() - view.readout.width()
    narrowest = view.minimumSizeHint().width() - others
    width = next(w for w in range(narrowest, 4000, 10) if height(texts[0], w) < height(texts[1], w))
    view.resize(others + width, 800)
    settle()
    assert view.readout.width() == width
    places = []
    for i in range(2, 8):
        view.add_events(batch(i))
        settle()
        places.append((view.graphics.y(), view.graphics.height()))
    assert len(set(places[1:])) == 1, places
    assert view.readout.height() >= view.readout.heightForWidth(width)  # no line cut off


def test_validation_legend_key_is_kept_across_epochs_and_restyled_with_the_theme(view: TrainingView) -> None:
    view.begin_run("GRU", "lm")
    view.add_events(make_steps(4) + [epoch_end(4, val=2.5)])
    key = view.validation_key()
    view.add_events(make_steps(4, start=4) + [epoch_end(8, val=2.4)])
    assert view.validation_key() is key and legend_labels(view) == ["GRU", "validation (per epoch)"]
    view.apply_theme(PRESENTATION)
    assert view.validation_key() is not key
    assert view.validation_key().opts["pen"].widthF() == PRESENTATION.line_width
    assert legend_labels(view) == ["GRU", "validation (per epoch)"]


@pytest.mark.parametrize("theme", ["normal", "presentation"])
def test_the_legend_sits_beside_the_plots_and_six_runs_stay_readable(view: TrainingView, qtbot, theme: str) -> None:
    from rnnviz.gui.style import NORMAL

    long = "GRU 2×128 → GRU 2×128, adam lr 0.005 (continued)"
    for r in range(6):
        view.begin_run(long if r == 0 else f"LSTM 1×{32 * r} adam", "lm")
        view.add_events(make_steps(8, seed=r) + [epoch_end(8)])
    view.apply_theme(PRESENTATION if theme == "presentation" else NORMAL)
    view.resize(*((1280, 600) if theme == "presentation" else (1000, 520)))  # the tab on a 1280×720 projector
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(50)
    legend = view.plots.loss.legend
    assert legend_labels(view)[0] == long and len(legend.items) == 7  # names as given, wrapped for display only
    box = legend.sceneBoundingRect()
    for plot in (view.plots.loss, view.plots.grad_norm, view.plots.speed):
        assert not box.intersects(plot.getViewBox().sceneBoundingRect())
    assert box.width() <= 0.45 * view.graphics.width()  # a long name wraps rather than take the plots' width
    shown = view.graphics.mapToScene(view.graphics.viewport().rect()).boundingRect()
    assert all(shown.contains(label.sceneBoundingRect()) for _, label in legend.items)  # none cut off
    size = float(legend.opts["labelTextSize"].removesuffix("pt"))
    assert size == pytest.approx(view.font().pointSizeF(), abs=0.06)  # the type scales with the theme
