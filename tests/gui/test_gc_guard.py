"""Garbage collection runs only in the GUI thread while a training thread lives or a background job runs."""

from __future__ import annotations

import gc
import threading

from rnnviz.gui import concurrency
from rnnviz.gui.training import TrainingController
from tests.gui.training.helpers import LONG, lm_job


def test_garbage_is_collected_only_in_the_gui_thread_while_a_training_thread_lives(qtbot):
    assert gc.isenabled()
    controller = TrainingController()
    controller.start(lm_job(epochs=1))
    assert not gc.isenabled()  # the training thread must never run the cyclic collector
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=LONG)
    assert not gc.isenabled()  # idle, but the thread lives on for the next job
    assert controller.shutdown(1000)
    assert gc.isenabled()


def test_garbage_is_collected_only_in_the_gui_thread_while_a_background_job_runs(qtbot):
    assert gc.isenabled()
    release = threading.Event()
    seen: list[bool] = []
    concurrency.run_in_background(lambda: release.wait(5), seen.append, lambda message, details: None)
    assert not gc.isenabled()  # a pool thread collecting a widget's cycle deadlocks on Qt's locks
    release.set()
    assert concurrency.wait_for_jobs(5000) and seen == [True]
    assert gc.isenabled()
