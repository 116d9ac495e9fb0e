"""The worker on the training thread: it drives one core session per job (continuing a model,
live samples, a non-finite loss, a crash in the loop)."""

from __future__ import annotations

import math

import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.events import EpochEnd, NonFinite, Step
from rnnviz.gui.training import TrainingJob
from tests.gui.training.helpers import GRU8, LONG, QUIET, lm_job, run_to_end, stop_and_wait, tiny_text, weights


# ---- failures in the loop ------------------------------------------------------------------


def test_a_crash_in_the_loop_gives_a_traceback_and_an_idle_controller(qtbot, controller, record, tmp_path,
                                                                      monkeypatch):
    import rnnviz.core.train as core_train

    def broken_train(model, data, config, *, start_paused=False):
        yield Step(1, 1, 1, 9, 2.0, math.exp(2.0), 1.0, config.lr, 100.0, 0.01)
        raise RuntimeError("boom in the loop")

    monkeypatch.setattr(core_train, "train", broken_train)
    with qtbot.waitSignal(controller.sig_error, timeout=LONG) as blocker:
        controller.start(lm_job(data=tiny_text(tmp_path)))
    message, details = blocker.args
    assert message == "Training failed unexpectedly: RuntimeError: boom in the loop"
    assert "Traceback" in details and "broken_train" in details and "boom in the loop" in details
    assert record.errors[0][2] == "idle" and controller.state == "idle" and len(record.steps) == 1
    assert controller.bundle is not None  # the model it had, kept
    monkeypatch.undo()
    assert run_to_end(qtbot, controller, lm_job(epochs=1, data=tiny_text(tmp_path))).reason == "completed"


def test_a_non_finite_loss_pauses_and_stop_still_works(qtbot, controller, record):
    from rnnviz.core.data.datasets import build_data
    from rnnviz.core.models.factory import bundle_for
    from tests.gui.training.helpers import PHRASEBOOK_EN

    # The learning rate is bounded (at most 100): continue a model whose output weights were blown up.
    blown = bundle_for(build_data(PHRASEBOOK_EN), GRU8, seed=0)
    with torch.no_grad():
        blown.model.output.weight.mul_(1e20)
    job = TrainingJob(PHRASEBOOK_EN, GRU8, TrainConfig(epochs=5, lr=100.0, grad_clip=None, device="cpu"),
                      "blown up", initial=blown)
    with qtbot.waitSignal(controller.sig_nonfinite, timeout=LONG) as blocker:
        controller.start(job)
    (message,) = blocker.args
    assert "Lower the learning rate" in message and "skipped" in message
    assert record.nonfinite == [(message, "paused")] and controller.state == "paused"
    assert isinstance(record.events[-1], NonFinite)
    held = len(record.steps)
    with qtbot.waitSignal(controller.sig_events, timeout=QUIET, raising=False) as quiet:
        pass
    assert not quiet.signal_triggered and len(record.steps) == held
    count = len(record.events)
    controller.step()  # a step is tried again: a Step, or another NonFinite
    qtbot.waitUntil(lambda: any(isinstance(e, (Step, NonFinite)) for e in record.events[count:]), timeout=LONG)
    finished = stop_and_wait(qtbot, controller)
    assert finished.reason == "stopped" and controller.state == "idle" and not record.errors


# ---- live samples -----------------------------------------------------------------------------


def test_a_language_model_sample_follows_each_epoch(qtbot, controller, record):
    run_to_end(qtbot, controller, lm_job(epochs=2, probe="the tim"))
    assert [epoch for epoch, _ in record.samples] == [1, 2]
    assert all(text.startswith("the tim") and len(text) > len("the tim") + 20 for _, text in record.samples)
    for epoch in (1, 2):  # each sample comes after its epoch's EpochEnd
        assert record.log.index(("epoch", epoch)) < record.log.index(("sample", epoch))


def test_samples_come_at_most_once_a_second_and_after_the_last_epoch(qtbot, controller, record, monkeypatch):
    import rnnviz.gui.training.worker as worker

    monkeypatch.setattr(worker, "SAMPLE_MIN_GAP_S", 3600.0)  # tiny epochs: only the first and the last are due
    run_to_end(qtbot, controller, lm_job(epochs=4, probe="the "))
    assert [epoch for epoch, _ in record.samples] == [1, 4]


def test_an_unusable_probe_is_said_and_training_goes_on(qtbot, controller, record):
    def first_sample(epoch: int, text: str) -> None:
        if epoch == 1:
            controller.set_probe("the ")

    controller.sig_sample.connect(first_sample)
    finished = run_to_end(qtbot, controller, lm_job(epochs=3, probe="123"))
    assert finished.reason == "completed" and not record.errors
    assert record.samples[0][0] == 1 and "empty once cleaned" in record.samples[0][1]
    assert record.samples[-1][0] == 3 and record.samples[-1][1].startswith("the ")


def test_a_translation_sample_follows_each_epoch(qtbot, controller, record):
    model = ModelConfig(task="mt", stack=StackSpec(hidden_sizes=(8,)), decoder=StackSpec(hidden_sizes=(8,)),
                        embed_size=8)
    job = TrainingJob(DataConfig(corpus="phrasebook", max_examples=300), model,
                      TrainConfig(epochs=2, lr=0.01, optimizer="adam", device="cpu"), "seq2seq", probe="i am cold .")
    assert run_to_end(qtbot, controller, job).reason == "completed"
    assert record.infos[0].task == "mt" and len(record.infos[0].vocab_sizes) == 2
    assert [epoch for epoch, _ in record.samples] == [1, 2]
    assert all(isinstance(text, str) for _, text in record.samples) and not record.errors


# ---- continuing a model --------------------------------------------------------------------


def test_continuing_a_model_extends_its_history_and_leaves_it_untouched(qtbot, controller, record, tmp_path):
    data = tiny_text(tmp_path)
    run_to_end(qtbot, controller, lm_job(epochs=1, data=data))
    first = controller.bundle
    before = weights(first.model)
    steps = len(first.history.step)
    job = TrainingJob(data, GRU8, TrainConfig(epochs=1, lr=1.0, device="cpu"), "continued", initial=first,
                      probe="the ")
    seen = len(record.events)
    finished = run_to_end(qtbot, controller, job)
    assert finished.reason == "completed" and finished.step == 2 * steps and finished.epoch == 2
    second = controller.bundle
    info = record.infos[-1]
    assert (info.start_step, info.start_epoch, info.start_elapsed) == (steps, 1, first.history.elapsed[-1])
    # What the GUI receives follows on from the history, as the history itself does.
    later = record.events[seen:]
    assert [e.step for e in later if isinstance(e, Step)] == list(range(steps + 1, 2 * steps + 1))
    assert [e.epoch for e in later if isinstance(e, EpochEnd)] == [2] and record.samples[-1][0] == 2
    assert min(e.elapsed for e in later if isinstance(e, Step)) > first.history.elapsed[-1]
    assert second is not first and all(torch.equal(before[k], v) for k, v in weights(first.model).items())
    assert second.history.step == list(range(1, 2 * steps + 1)) and second.history.epoch == [1, 2]
    assert len(first.history.step) == steps
    other = TrainingJob(tiny_text(tmp_path, "zyxw vuts. " * 200), GRU8, TrainConfig(epochs=1, device="cpu"),
                        "other text", initial=first)
    with qtbot.waitSignal(controller.sig_error, timeout=LONG) as blocker:
        controller.start(other)
    assert "different vocabulary" in blocker.args[0] and controller.bundle is second




def test_the_training_thread_can_run_below_the_gui_thread(monkeypatch) -> None:
    """RNNVIZ_TRAINING_NICE lowers the calling thread's priority only (bench/gui_latency.py measures it)."""
    import os
    import sys
    import threading

    import pytest

    from rnnviz.gui.training.worker import lower_priority

    if not sys.platform.startswith("linux"):
        pytest.skip("per-thread priorities are Linux's")
    monkeypatch.setenv("RNNVIZ_TRAINING_NICE", "3")
    seen: dict[str, int] = {}

    def run() -> None:
        lower_priority()
        seen["thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen["thread"] == before + 3
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # this thread untouched


def test_the_training_threads_follow_the_chosen_arrangement(monkeypatch) -> None:
    import os

    from rnnviz.gui.training.worker import training_threads

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.delenv("RNNVIZ_TRAINING_THREADS", raising=False)
    assert training_threads(4) == 3  # the app's choice: a core left to the GUI
    for choice, threads in (("all", 4), ("cores-1", 3), ("2", 2), ("nonsense", 3)):
        monkeypatch.setenv("RNNVIZ_TRAINING_THREADS", choice)
        assert training_threads(4) == threads, choice
    monkeypatch.delenv("RNNVIZ_TRAINING_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    assert training_threads(4) == 4  # the user's OpenMP setting is obeyed
