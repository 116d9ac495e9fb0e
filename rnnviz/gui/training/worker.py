"""The training thread's side: a plain QObject that drives ``rnnviz.core.session`` for each job.

The session builds the data and the model *on this thread* (loading a corpus or
importing torch never freezes the window) and drives ``core.train``. While it
runs, this thread is busy in the loop, so queued slots could not run here:
commands and requests travel through the ticket's ``queue.Queue``, drained
between two steps and blocked on (with a short timeout, so that ``shutdown`` is
never stuck) while training waits for a command. Nothing but immutable values
goes back: frozen events (through the ticket's buffer), text, ``RunInfo``; the
two exceptions are a snapshot, a fresh copy owned by its receiver, and the
finished model, handed over once this side is done with it.

The live samples' cadence lives here: tests patch ``SAMPLE_MIN_GAP_S`` in this module.
"""

from __future__ import annotations

import os
import threading
import sys
import queue
import time
import traceback
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from rnnviz.core.errors import RnnvizError
from rnnviz.core.events import EpochEnd, Event, Finished, NonFinite, Paused, Resume
from rnnviz.gui.training.values import (
    COMMANDS, NO_MODEL_TO_SAVE, NO_MODEL_TO_SNAPSHOT, STOPPED_EARLY, Failure, Probe, Save, Snapshot,
    Ticket, drain_queue,
)

#: How long the waiting worker blocks on its queue before looking at the abort flag again.
WAIT_S = 0.05
#: Live samples come at an epoch's end, at most one a second (and always after the last
#: epoch): with quarter-second epochs a sample every epoch cost 13% of the training speed
#: and changed faster than anyone can read.
SAMPLE_MIN_GAP_S = 1.0

_ABORT = object()  # _next_command's answer when shutdown() asked the worker to leave


def training_threads(default: int) -> int:
    """The torch threads a training run gets, out of ``default``: one core is left to the GUI
    thread. On few cores, torch's threads waiting at their barriers for a core the GUI is
    painting on slow training more than that core adds (measured on 2 cores: 535k tokens/s
    with one thread, 320k with two). OMP_NUM_THREADS, when set, is obeyed as it is.

    RNNVIZ_TRAINING_THREADS chooses otherwise: "all" (``default``, every core), "cores-1", or a
    number (bench/training_arrangements.py measures them against each other)."""
    choice = os.environ.get("RNNVIZ_TRAINING_THREADS", "").strip().lower()
    if choice == "all":
        return default
    if choice.isdigit() and int(choice) > 0:
        return int(choice)
    cores = os.cpu_count() or 1
    if cores > 1 and "OMP_NUM_THREADS" not in os.environ:
        return max(1, min(default, cores - 1))
    return default


def _share_cores() -> None:
    import torch

    lower_priority()
    # Set on the training thread: OpenMP keeps the count per thread once one has run torch ops.
    torch.set_num_threads(training_threads(torch.get_num_threads()))


def lower_priority() -> None:
    """RNNVIZ_TRAINING_NICE=N: the training thread (and the OpenMP threads it starts, which inherit
    it) runs N nice levels below the GUI thread (Linux). For measuring arrangements (bench/training_arrangements.py)."""
    nice = os.environ.get("RNNVIZ_TRAINING_NICE")
    if nice and hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), int(nice))
        except (OSError, ValueError):
            pass


class TrainingWorker(QObject):
    """Runs jobs on the training thread. Its signals are for the controller, which re-emits them."""

    sig_state = Signal(str)  # "running" | "paused"
    sig_run_started = Signal(object)  # RunInfo (the session's RunFacts)
    sig_wake = Signal(bool)  # events wait in the buffer; True: flush now whatever the rate
    sig_sample = Signal(int, str)
    sig_nonfinite = Signal(str)
    sig_error = Signal(str, str)  # a save or snapshot failed; training goes on
    sig_saved = Signal(str)
    sig_snapshot = Signal(object)
    sig_job_ended = Signal(object, object)  # (ModelBundle | None, Finished | Failure | None)
    sig_recording = Signal(object)  # RecordingNews: where the job is recorded, or why recording stopped

    def __init__(self, abort: threading.Event | None = None) -> None:
        super().__init__()
        self._state = ""
        self._abort = abort if abort is not None else threading.Event()  # the controller's shutdown

    def _say(self, signal: Any, *args: Any) -> None:
        """Emit ``signal`` unless the controller has shut down. After a shutdown nobody listens, and
        this thread, still ending a slow step, must not touch Qt objects the app may be deleting."""
        if self._abort.is_set():
            return
        try:
            signal.emit(*args)
        except RuntimeError:  # "Signal source has been deleted": the app is being torn down
            pass

    # -- slots, run in the worker's thread through queued signals --

    @Slot(object)
    def run_job(self, ticket: Ticket) -> None:
        self._state = ""
        bundle: list[Any] = [None]  # filled once the model exists, so that a crash still hands it back
        try:
            outcome: object = self._run(ticket, bundle)
        except Exception as exc:  # a crash becomes a message and an idle controller, never a dead thread
            outcome = Failure.of(exc)
        self._say(self.sig_job_ended, bundle[0], outcome)

    @Slot(object, object)
    def run_idle(self, request: object, bundle: Any) -> None:
        """A save or snapshot asked for while no job runs."""
        self._serve(request, bundle, None)

    # -- a job --

    def _run(self, ticket: Ticket, out: list[Any]) -> object:
        from rnnviz.core.session import TrainingSession

        job = ticket.job
        ticket.probe = job.probe
        if ticket.cancelled():  # stopped or closed before this thread got to it: not even torch is loaded
            return None if ticket.abort.is_set() else self._stopped_early(ticket)
        _share_cores()
        session = TrainingSession(job.data_config, job.model_config, job.train_config, initial=job.initial,
                                  label=job.label)
        if not session.prepare(cancelled=ticket.cancelled):
            return None if ticket.abort.is_set() else self._stopped_early(ticket)
        out[0] = session.bundle
        self._say(self.sig_run_started, session.facts())

        # Commands given while preparing go to the session, which folds them into how the run
        # starts; requests are served now, with the model as it was built.
        commands = []
        for item in drain_queue(ticket.commands):
            if isinstance(item, COMMANDS):
                commands.append(item)
            else:
                self._serve(item, session.bundle, ticket)
        events = session.start(commands)
        if events is None:  # stopped before the first step: nothing trained, nothing kept
            out[0] = None
            return self._stopped_early(ticket)
        recorder = self._start_recording(ticket, session)
        outcome: object = Failure("", "")  # what the recording says if the loop raises
        try:
            outcome = self._loop(ticket, session, events, recorder)
        finally:
            if recorder is not None:  # what is queued written, the manifest's status, the lock removed
                self._recording_news(recorder, recorder.close(outcome))
        return outcome

    def _start_recording(self, ticket: Ticket, session: Any) -> Any:
        """The job's recorder (gui.runs.recording), when the window records runs; None otherwise."""
        if not ticket.record_home:
            return None
        from rnnviz.gui.runs.recording import JobRecorder

        recorder, news = JobRecorder.start(ticket.record_home, session, ticket.job.label)
        self._say(self.sig_recording, news)
        return recorder

    def _recording_news(self, recorder: Any, message: str) -> None:
        if message:
            from rnnviz.gui.runs.recording import RecordingNews

            self._say(self.sig_recording, RecordingNews(recorder.folder, message))

    def _loop(self, ticket: Ticket, session: Any, events: Any, recorder: Any = None) -> object:
        try:
            if not session.plan.paused:
                self._set_state("running")
            event = next(events)
            while True:
                ticket.buffer.add(event)
                if recorder is not None:  # between two steps: the weights are this event's
                    self._recording_news(recorder, recorder.record(event))
                self._react(ticket, session, event)
                if isinstance(event, Finished):
                    return event
                command = self._next_command(ticket, session.bundle, session.awaits_command(event))
                if command is _ABORT:
                    return None
                if isinstance(command, Resume):
                    self._set_state("running")
                event = events.send(command)
        finally:
            events.close()

    def _react(self, ticket: Ticket, session: Any, event: Event) -> None:
        if isinstance(event, EpochEnd):
            self._say(self.sig_wake, False)
            last = event.epoch == session.history_end.epoch + ticket.job.train_config.epochs
            due = time.monotonic() - ticket.last_sample >= SAMPLE_MIN_GAP_S
            if ticket.probe.strip() and (due or last):
                self._say(self.sig_sample, event.epoch, session.sample(ticket.probe))
                ticket.last_sample = time.monotonic()
        elif isinstance(event, Paused):
            self._set_state("paused")
            self._say(self.sig_wake, True)
        elif isinstance(event, NonFinite):
            self._set_state("paused")  # the generator paused itself
            self._say(self.sig_nonfinite, event.message)
        elif isinstance(event, Finished):
            self._say(self.sig_wake, True)

    def _next_command(self, ticket: Ticket, bundle: Any, waiting: bool) -> object:
        """The next command for the session (None: carry on); requests are served on the way."""
        while True:
            if ticket.abort.is_set():
                return _ABORT
            try:
                item = ticket.commands.get(timeout=WAIT_S) if waiting else ticket.commands.get_nowait()
            except queue.Empty:
                if waiting:
                    continue
                return None
            if isinstance(item, COMMANDS):
                return item
            self._serve(item, bundle, ticket)

    def _serve(self, request: object, bundle: Any, ticket: Ticket | None) -> None:
        if isinstance(request, Probe):
            if ticket is not None:
                ticket.probe = request.text
            return
        if bundle is None:
            self._say(self.sig_error, NO_MODEL_TO_SAVE if isinstance(request, Save) else NO_MODEL_TO_SNAPSHOT, "")
            return
        what = "Saving the checkpoint" if isinstance(request, Save) else "Copying the model"
        try:
            if isinstance(request, Save):
                from rnnviz.core.checkpoint import save_checkpoint

                self._say(self.sig_saved, str(save_checkpoint(bundle, request.path)))
            elif isinstance(request, Snapshot):
                from rnnviz.core.session import snapshot_of

                self._say(self.sig_snapshot, snapshot_of(bundle))
        except RnnvizError as exc:
            self._say(self.sig_error, str(exc), "")
        except Exception as exc:
            self._say(self.sig_error, f"{what} failed unexpectedly: {type(exc).__name__}: {exc}",
                      traceback.format_exc())

    def _stopped_early(self, ticket: Ticket) -> Finished:
        ticket.buffer.add(STOPPED_EARLY)
        return STOPPED_EARLY

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self._say(self.sig_state, state)
