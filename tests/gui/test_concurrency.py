"""The one way to run work off the GUI thread: results on the GUI thread, errors as messages,
the newest request winning, and nothing delivered to a closed owner."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QWidget

from rnnviz.core.errors import RnnvizError
from rnnviz.gui import concurrency
from rnnviz.gui.concurrency import LatestJob, run_in_background


def test_result_and_progress_arrive_on_the_gui_thread(qtbot) -> None:
    seen: list[tuple[str, object, bool]] = []
    gui = QThread.currentThread()

    def work(report) -> int:
        assert QThread.currentThread() is not gui
        for i in range(3):
            report(i)
        return 42

    run_in_background(work, lambda r: seen.append(("done", r, QThread.currentThread() is gui)),
                      lambda m, d: seen.append(("error", m, False)),
                      progress=lambda v: seen.append(("progress", v, QThread.currentThread() is gui)))
    qtbot.waitUntil(lambda: any(kind == "done" for kind, _, _ in seen), timeout=5000)
    assert seen == [("progress", 0, True), ("progress", 1, True), ("progress", 2, True), ("done", 42, True)]
    assert concurrency.active_jobs() == 0


def test_errors_become_messages_with_details_only_for_bugs(qtbot) -> None:
    errors: list[tuple[str, str]] = []

    def user_error() -> None:
        raise RnnvizError("the file is not a checkpoint; open one saved by rnnviz.")

    def bug() -> None:
        raise KeyError("oops")

    for fn in (user_error, bug):
        run_in_background(fn, lambda r: None, lambda m, d: errors.append((m, d)))
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=5000)
    (message, details), (bug_message, bug_details) = sorted(errors, key=lambda e: "Unexpected" in e[0])
    assert message == "the file is not a checkpoint; open one saved by rnnviz." and details == ""
    assert bug_message.startswith("Unexpected error: KeyError") and "Traceback" in bug_details


def test_nothing_is_delivered_to_an_owner_that_is_gone(qtbot) -> None:
    owner = QWidget()
    release = threading.Event()
    delivered: list[object] = []
    run_in_background(lambda: release.wait(5) and "late", delivered.append, lambda m, d: delivered.append(m),
                      owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner), timeout=5000)
    release.set()
    assert concurrency.wait_for_jobs(5000)
    assert delivered == []


def _alive(obj: QObject) -> bool:
    from shiboken6 import isValid

    return isValid(obj)


def test_latest_job_delivers_only_the_newest_answer(qtbot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    answers: list[str] = []
    job = LatestJob(owner, answers.append, answers.append)
    gate = threading.Event()

    def slow(name: str):
        def run() -> str:
            gate.wait(5)
            return name
        return run

    job.submit(slow("first"))  # runs, its answer will be stale
    job.submit(lambda: "second")  # waits, then is replaced
    job.submit(lambda: "third")
    assert job.busy
    gate.set()
    qtbot.waitUntil(lambda: not job.busy, timeout=5000)
    assert answers == ["third"]
    job.submit(lambda: "fourth")
    job.cancel()  # the owner shows something else now
    assert concurrency.wait_for_jobs(5000)
    assert answers == ["third"]


@pytest.mark.parametrize("delay", [0.0, 0.05])
def test_wait_for_jobs_waits_for_the_outcome(qtbot, delay: float) -> None:
    done: list[int] = []
    run_in_background(lambda: time.sleep(delay) or 1, done.append, lambda m, d: None)
    assert concurrency.wait_for_jobs(5000)
    assert done == [1] and concurrency.active_jobs() == 0
