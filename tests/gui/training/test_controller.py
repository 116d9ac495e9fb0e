"""The training controller: one worker thread, commands through a queue, coalesced events,
checkpoints, snapshots, user errors and shutdown."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.data.datasets import build_data
from rnnviz.core.errors import ConfigError, RnnvizError
from rnnviz.core.events import EpochEnd, Paused
from rnnviz.gui.training import NO_MODEL_TO_SAVE, NO_MODEL_TO_SNAPSHOT, RunInfo, TrainingController, TrainingJob
from tests.gui.training.helpers import (
    LONG, PHRASEBOOK_EN, QUIET, lm_job, run_to_end, start_and_wait_for_steps, stop_and_wait, tiny_text, weights,
)


# ---- a whole run ------------------------------------------------------------------------------


def test_a_run_reports_its_events_and_keeps_the_model(qtbot, controller, record):
    assert controller.state == "idle" and controller.bundle is None
    finished = run_to_end(qtbot, controller, lm_job(epochs=2))
    assert finished.reason == "completed" and record.finished == [(finished, "idle")]
    assert record.states == ["preparing", "running", "idle"] and controller.state == "idle"
    (info,) = record.infos
    assert info == RunInfo("GRU 1×8, sgd", "lm", info.description, info.parameters, "cpu", 74, 2, (25,))
    assert "GRU" in info.description and info.parameters > 0
    steps = record.steps
    assert [s.step for s in steps] == list(range(1, 2 * 74 + 1))
    assert all(math.isfinite(s.loss) and s.lr == 1.0 for s in steps)
    assert [e.epoch for e in record.events if isinstance(e, EpochEnd)] == [1, 2]
    assert record.events[-1] == finished and finished.step == 148
    bundle = controller.bundle
    assert bundle is not None and bundle.task == "lm" and bundle.train_config == lm_job(epochs=2).train_config
    assert bundle.history.step == list(range(1, 149)) and bundle.history.epoch == [1, 2]
    assert not record.errors and not record.samples


def test_start_refuses_unless_idle(qtbot, controller, record):
    controller.start(lm_job())
    with pytest.raises(RuntimeError, match="stop it"):
        controller.start(lm_job())
    assert stop_and_wait(qtbot, controller).reason == "stopped"
    with pytest.raises(TypeError):
        controller.start("not a job")  # type: ignore[arg-type]


# ---- commands ---------------------------------------------------------------------------------


def test_pause_holds_the_steps_until_resume(qtbot, controller, record):
    start_and_wait_for_steps(qtbot, controller, record, lm_job())
    with qtbot.waitSignal(controller.sig_state, check_params_cb=lambda s: s == "paused", timeout=LONG):
        controller.pause()
    assert isinstance(record.events[-1], Paused)  # the events came before the state change
    held = len(record.steps)
    with qtbot.waitSignal(controller.sig_events, timeout=QUIET, raising=False) as blocker:
        pass
    assert not blocker.signal_triggered and len(record.steps) == held
    controller.resume()
    qtbot.waitUntil(lambda: len(record.steps) >= held + 3, timeout=LONG)
    assert controller.state == "running" and record.states[-2:] == ["paused", "running"]
    assert [s.step for s in record.steps] == list(range(1, len(record.steps) + 1))
    # Stop works while paused too.
    with qtbot.waitSignal(controller.sig_state, check_params_cb=lambda s: s == "paused", timeout=LONG):
        controller.pause()
    assert stop_and_wait(qtbot, controller).reason == "stopped"
    assert controller.state == "idle" and controller.bundle is not None


def test_step_while_paused_takes_exactly_one_step(qtbot, controller, record):
    start_and_wait_for_steps(qtbot, controller, record, lm_job())
    with qtbot.waitSignal(controller.sig_state, check_params_cb=lambda s: s == "paused", timeout=LONG):
        controller.pause()
    held = len(record.steps)
    states_before = len(record.states)
    for expected in (held + 1, held + 2):
        controller.step()
        qtbot.waitUntil(lambda: len(record.steps) == expected and isinstance(record.events[-1], Paused),
                        timeout=LONG)
        assert record.steps[-1].step == expected
    with qtbot.waitSignal(controller.sig_events, timeout=QUIET, raising=False) as blocker:
        pass
    assert not blocker.signal_triggered and len(record.steps) == held + 2
    assert controller.state == "paused" and len(record.states) == states_before  # no flicker to "running"
    stop_and_wait(qtbot, controller)


def test_step_from_idle_prepares_then_takes_one_step(qtbot, controller, record):
    controller.start(lm_job())
    controller.step()  # while preparing: the run starts paused and takes one step
    qtbot.waitUntil(lambda: controller.state == "paused" and len(record.steps) == 1
                    and isinstance(record.events[-1], Paused), timeout=LONG)
    with qtbot.waitSignal(controller.sig_events, timeout=QUIET, raising=False) as blocker:
        pass
    assert not blocker.signal_triggered
    assert record.states == ["preparing", "paused"] and record.steps[0].step == 1
    controller.step()  # pauses first when running: from paused, just one more
    qtbot.waitUntil(lambda: len(record.steps) == 2 and isinstance(record.events[-1], Paused), timeout=LONG)
    stop_and_wait(qtbot, controller)


def test_stop_mid_run_finishes_stopped(qtbot, controller, record):
    start_and_wait_for_steps(qtbot, controller, record, lm_job())
    finished = stop_and_wait(qtbot, controller)
    assert finished.reason == "stopped" and record.events[-1] == finished
    assert finished.step == record.steps[-1].step < 50 * 74
    assert controller.state == "idle" and record.finished == [(finished, "idle")]
    assert controller.bundle is not None and controller.bundle.history.step[-1] == finished.step


def test_set_lr_shows_in_the_next_steps(qtbot, controller, record):
    start_and_wait_for_steps(qtbot, controller, record, lm_job(lr=1.0))
    with pytest.raises(ConfigError, match="positive"):
        controller.set_lr(0.0)  # refused at once; training goes on
    controller.set_lr(0.125)
    qtbot.waitUntil(lambda: any(s.lr == 0.125 for s in record.steps[-1:]), timeout=LONG)
    lrs = [s.lr for s in record.steps]
    first = lrs.index(0.125)
    assert first >= 3 and set(lrs[:first]) == {1.0} and set(lrs[first:]) == {0.125}
    stop_and_wait(qtbot, controller)
    assert not record.errors


def test_twenty_start_stop_cycles_end_idle_with_no_leaks(qtbot, controller, record, tmp_path):
    job = lm_job(data=tiny_text(tmp_path))
    run_to_end(qtbot, controller, lm_job(epochs=1, data=tiny_text(tmp_path)))
    thread = controller.worker_thread
    baseline = threading.active_count()
    for cycle in range(20):
        with qtbot.waitSignal(controller.sig_finished, timeout=LONG) as blocker:
            controller.start(job)
            if cycle % 2:  # stop once it runs
                qtbot.waitUntil(lambda: controller.state == "running", timeout=LONG)
            controller.stop()  # even cycles: stop while it prepares
        assert blocker.args[0].reason == "stopped" and controller.state == "idle"
        assert controller.worker_thread is thread  # one thread for every job
    assert not record.errors and record.states[-1] == "idle"
    assert len(record.finished) == 21 and all(state == "idle" for _, state in record.finished)
    assert threading.active_count() <= baseline
    assert controller.shutdown(1000) and thread.isFinished()


# ---- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("job", [
    lm_job(data=DataConfig(corpus="no-such-corpus")),
    lm_job(epochs=1, device="cuda:7"),
    TrainingJob(PHRASEBOOK_EN, ModelConfig(task="mt", stack=StackSpec(hidden_sizes=(8,)),
                                           decoder=StackSpec(hidden_sizes=(8,)), embed_size=8),
                TrainConfig(epochs=1), "wrong task"),
], ids=["missing-corpus", "missing-device", "task-mismatch"])
def test_a_user_error_is_reported_and_the_controller_takes_a_new_job(qtbot, controller, record, tmp_path, job):
    with qtbot.waitSignal(controller.sig_error, timeout=LONG) as blocker:
        controller.start(job)
    message, details = blocker.args
    assert details == "" and record.errors == [(message, "", "idle")]
    if job.data_config.corpus == "no-such-corpus":
        with pytest.raises(RnnvizError) as expected:
            build_data(job.data_config)
        assert message == str(expected.value)
    else:
        assert "cuda:7" in message or "translation" in message or "mt" in message
    assert controller.state == "idle" and controller.bundle is None and not record.finished
    assert run_to_end(qtbot, controller, lm_job(epochs=1, data=tiny_text(tmp_path))).reason == "completed"
    assert controller.bundle is not None


# ---- coalescing -------------------------------------------------------------------------------


def test_events_are_coalesced_to_at_most_ten_emissions_a_second(qtbot, controller, record, tmp_path):
    data = tiny_text(tmp_path, "abcd efgh. " * 1200)  # ~165 batches an epoch of a tiny model
    started = time.perf_counter()
    run_to_end(qtbot, controller, lm_job(epochs=3, data=data, grad_clip=1.0))
    duration = time.perf_counter() - started
    emissions = len(record.emissions)
    steps = len(record.steps)
    assert steps == 3 * record.infos[0].batches_per_epoch
    assert emissions <= 10 * duration + 4, (emissions, duration)  # + the ones a state change forces
    assert steps >= 4 * emissions, (steps, emissions)
    numbers = [s.step for s in record.steps]
    assert numbers == sorted(numbers) == list(range(1, steps + 1))  # nothing lost, nothing reordered


def test_costly_redraws_come_less_often_and_lose_no_event(qtbot, controller, record, tmp_path):
    """A window whose every redraw costs 40 ms of GUI thread gets fewer, bigger batches
    (its share is 5% of the wall time: one batch every ~0.5 s), and every step still."""
    def slow_redraw(events: tuple) -> None:
        spent = time.thread_time()
        while time.thread_time() - spent < 0.040:
            pass
    controller.sig_events.connect(slow_redraw)
    data = tiny_text(tmp_path, "abcd efgh. " * 1200)
    started = time.perf_counter()
    run_to_end(qtbot, controller, lm_job(epochs=4, data=data, grad_clip=1.0))
    duration = time.perf_counter() - started
    emissions = len(record.emissions)
    assert emissions <= 2.5 * duration + 4, (emissions, duration)  # + the ones a state change forces
    numbers = [s.step for s in record.steps]
    assert numbers == list(range(1, 4 * record.infos[0].batches_per_epoch + 1))


# ---- checkpoints and snapshots ----------------------------------------------------------------


def test_save_checkpoint_during_training_and_when_idle(qtbot, controller, record, tmp_path):
    start_and_wait_for_steps(qtbot, controller, record, lm_job())
    with qtbot.waitSignal(controller.sig_saved, timeout=LONG) as saved:
        controller.save_checkpoint(str(tmp_path / "during.pt"))
    assert saved.args == [str(tmp_path / "during.pt")] and controller.state == "running"
    during = load_checkpoint(tmp_path / "during.pt")
    assert during.task == "lm" and during.history.step and during.train_config == lm_job().train_config
    stop_and_wait(qtbot, controller)

    with qtbot.waitSignal(controller.sig_saved, timeout=LONG):
        controller.save_checkpoint(str(tmp_path / "idle.pt"))
    idle = load_checkpoint(tmp_path / "idle.pt")
    live = weights(controller.bundle.model)
    assert all(torch.equal(idle.model.state_dict()[k], live[k].cpu()) for k in live)
    assert idle.history.step == controller.bundle.history.step

    (tmp_path / "a-file").write_text("x")
    with qtbot.waitSignal(controller.sig_error, timeout=LONG) as failed:
        controller.save_checkpoint(str(tmp_path / "a-file" / "x.pt"))
    assert "cannot write the checkpoint" in failed.args[0] and controller.state == "idle"

    controller.forget_model()
    with qtbot.waitSignal(controller.sig_error, timeout=LONG) as nothing:
        controller.save_checkpoint(str(tmp_path / "none.pt"))
    assert nothing.args == [NO_MODEL_TO_SAVE, ""] and not (tmp_path / "none.pt").exists()
    with qtbot.waitSignal(controller.sig_error, timeout=LONG) as nothing:
        controller.request_snapshot()
    assert nothing.args == [NO_MODEL_TO_SNAPSHOT, ""]


def test_requests_made_while_preparing_are_served_once_the_model_exists(qtbot, controller, record, tmp_path):
    with qtbot.waitSignals([controller.sig_saved, controller.sig_snapshot], timeout=LONG):
        controller.start(lm_job())
        assert controller.state == "preparing"
        controller.save_checkpoint(str(tmp_path / "early.pt"))
        controller.request_snapshot()
        controller.set_lr(0.5)
    assert load_checkpoint(tmp_path / "early.pt").task == "lm" and len(record.snapshots) == 1
    qtbot.waitUntil(lambda: len(record.steps) >= 1, timeout=LONG)
    assert record.steps[0].lr == 0.5  # a learning rate set while preparing applies from the first step
    stop_and_wait(qtbot, controller)


def test_a_snapshot_is_an_independent_copy(qtbot, controller, record):
    start_and_wait_for_steps(qtbot, controller, record, lm_job())
    with qtbot.waitSignal(controller.sig_state, check_params_cb=lambda s: s == "paused", timeout=LONG):
        controller.pause()
    for _ in range(2):
        with qtbot.waitSignal(controller.sig_snapshot, timeout=LONG):
            controller.request_snapshot()
    first, second = record.snapshots
    assert first is not second and first.model is not second.model
    assert not first.model.training and all(p.device.type == "cpu" for p in first.model.parameters())
    taken = weights(first.model)
    assert all(torch.equal(taken[k], v) for k, v in weights(second.model).items())  # paused: same weights
    with torch.no_grad():  # the receiver owns its copy: changing it changes nothing else
        for p in first.model.parameters():
            p.zero_()
        first.history.step.clear()
    controller.resume()
    qtbot.waitUntil(lambda: len(record.steps) >= first.history.step.__len__() + 10, timeout=LONG)
    stop_and_wait(qtbot, controller)
    trained = controller.bundle
    assert trained.history.step and trained.model is not first.model
    assert any(not torch.equal(v, torch.zeros_like(v)) for v in weights(trained.model).values())
    assert any(not torch.equal(taken[k], v) for k, v in weights(trained.model).items())  # it went on training
    pointers = {p.data_ptr() for p in trained.model.parameters()}
    assert not pointers & {p.data_ptr() for p in second.model.parameters()}
    with qtbot.waitSignal(controller.sig_snapshot, timeout=LONG) as idle:
        controller.request_snapshot()  # when idle: a copy of the kept model
    assert idle.args[0].model is not trained.model
    assert all(torch.equal(v, weights(trained.model)[k]) for k, v in weights(idle.args[0].model).items())


def test_forget_model_during_a_run_keeps_nothing(qtbot, controller, record):
    start_and_wait_for_steps(qtbot, controller, record, lm_job())
    controller.forget_model()
    stop_and_wait(qtbot, controller)
    assert controller.bundle is None


# ---- shutdown and imports ---------------------------------------------------------------------


def test_shutdown_during_training_ends_the_thread_in_time(qtbot, controller, record):
    start_and_wait_for_steps(qtbot, controller, record, lm_job())
    thread = controller.worker_thread
    started = time.perf_counter()
    assert controller.shutdown(1000)
    assert time.perf_counter() - started < 1.0
    assert thread.isFinished() and controller.state == "idle"
    with pytest.raises(RuntimeError, match="shut down"):
        controller.start(lm_job())


def test_shutdown_while_preparing_and_without_a_thread(qtbot):
    assert TrainingController().shutdown()  # never started: nothing to wait for
    controller = TrainingController()
    controller.start(lm_job())
    thread = controller.worker_thread
    assert controller.shutdown(1000) and thread.isFinished()


def test_importing_the_training_package_does_not_import_torch():
    code = ("import sys, rnnviz.gui.training as w; w.TrainingJob; w.RunInfo; w.TrainingController; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[3])
    assert result.returncode == 0, result.stderr or "torch was imported"


