"""The GUI thread's side of training: one controller, one ``QThread``, coalesced events.

``TrainingController`` lives in the GUI thread and owns one ``QThread`` with a
plain ``QObject`` worker (``rnnviz.gui.training.worker``) moved to it; QThread
is never subclassed. A job (``TrainingJob``) is handed to the worker through a
queued signal; the worker drives one ``rnnviz.core.session.TrainingSession``
per job. Commands (pause, resume, step, stop, learning rate) and requests
(probe, save, snapshot) go to the worker through the job's ``queue.Queue``.

Coalescing: the worker appends events to a locked buffer; the controller
empties it into one ``sig_events`` tuple on a ~33 ms timer in the GUI thread,
paced by ``rnnviz.gui.training.pacing`` (at most 10 a second, fewer when
redraws cost the GUI thread more than its share), however fast steps come; a
busy GUI simply receives bigger tuples instead of a backlog of signals. Paused,
NonFinite and Finished (and any state change, sample or non-finite message)
flush the buffer at once, so the events always reach the UI before the signal
that follows from them; an EpochEnd flushes as soon as the pacing allows.

No torch is imported here: the first window must paint before torch loads.
While a training thread exists, Python's cyclic garbage collector runs only in
the GUI thread (``rnnviz.gui.gc_guard``).
"""

from __future__ import annotations

import gc
import importlib
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QDeadlineTimer, QObject, Qt, QThread, QTimer, Signal, Slot

from rnnviz.core.errors import ConfigError
from rnnviz.core.events import Finished, Pause, Resume, SetLearningRate, StepOnce, Stop
from rnnviz.gui.gc_guard import LIVE, Handle, guard_gc, release_gc_if_unused
from rnnviz.gui.training.pacing import RedrawPacer
from rnnviz.gui.training.values import (
    NO_MODEL_TO_SAVE, NO_MODEL_TO_SNAPSHOT, EventBuffer, Failure, Probe, RunInfo, Save, Snapshot, Ticket,
    TrainingJob, drain_queue,
)
from rnnviz.gui.training.worker import TrainingWorker

#: Training threads a shutdown gave up waiting for (a step still running): held here until they end,
#: so that they are freed by _free_ended_orphans, never by whoever else drops them from gc_guard.LIVE.
_ORPHANS: list[Handle] = []


@contextmanager
def _collector_off() -> Iterator[None]:
    """Automatic collection off while a thread and its worker are freed. Freeing a QObject calls back
    into Python (a disconnect notification); a collection starting there that frees another QObject
    deadlocks on Qt's locks. The app collects on a timer anyway (rnnviz.gui.app); the tests do not."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _free_ended_orphans() -> None:
    """Forget the orphaned training threads that have ended (GUI thread, queued from their end)."""
    with _collector_off():
        _ORPHANS[:] = [handle for handle in _ORPHANS if not handle.thread.isFinished()]
        LIVE[:] = [handle for handle in LIVE if not (handle.orphan and handle.thread.isFinished())]
    release_gc_if_unused()


#: Timer period of the coalescing flush. Emissions not forced by a state change are paced
#: by rnnviz.gui.training.pacing: at most 10 a second, fewer when redraws cost the GUI thread
#: more than its share (at 30 a second they took a core from training: bench/gui_latency.py).
FLUSH_INTERVAL_MS = 33


class TrainingController(QObject):
    """Trains one job at a time on a worker thread and reports through signals.

    Signals (all emitted in the GUI thread):

    - ``sig_state(str)``: "idle" | "preparing" | "running" | "paused", on every change.
    - ``sig_run_started(RunInfo)``: the data and model are built; the first step follows.
    - ``sig_events(tuple)``: core events in order, coalesced (~30 emissions a second at most).
    - ``sig_sample(int, str)``: (epoch, text) after each epoch while a probe is set: the
      continuation (LM) or translation (MT) by the live model, or why the probe cannot be used.
    - ``sig_nonfinite(str)``: the loss or gradient became inf/NaN; training is paused with
      the weights of the last good step (state "paused" comes first).
    - ``sig_finished(Finished)``: the job ended ("completed", "stopped" or "diverged"); state is "idle".
    - ``sig_error(str, str)``: (message for the user, details or traceback). When a job
      fails, the state is "idle" when it arrives and a new job may start. A failed save or
      snapshot also reports here, and a job in progress goes on.
    - ``sig_saved(str)``: the path a checkpoint was written to.
    - ``sig_snapshot(ModelBundle)``: a copy (model on the CPU, eval mode), the receiver's own.
    - ``sig_recording(RecordingNews)``: the run folder a job is recorded into, or why recording
      stopped (training goes on); ``record_home`` ('' = off) says where jobs are recorded.
    """

    sig_state = Signal(str)
    sig_run_started = Signal(object)
    sig_events = Signal(object)
    sig_sample = Signal(int, str)
    sig_nonfinite = Signal(str)
    sig_finished = Signal(object)
    sig_error = Signal(str, str)
    sig_saved = Signal(str)
    sig_snapshot = Signal(object)
    sig_recording = Signal(object)

    _sig_run = Signal(object)  # -> worker.run_job
    _sig_idle = Signal(object, object)  # -> worker.run_idle

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = "idle"
        self._bundle: Any = None
        self.record_home = ""  # the runs folder jobs are recorded into ('' = not recorded)
        self._ticket: Ticket | None = None
        self._handle: Handle | None = None
        self._abort = threading.Event()
        self._shut = False
        self._pacer = RedrawPacer()
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)

    # ---- public API ----

    @property
    def state(self) -> str:
        """The last state emitted by ``sig_state``."""
        return self._state

    @property
    def worker_thread(self) -> QThread | None:
        """The training thread once started (None before, and after shutdown)."""
        return self._handle.thread if self._handle is not None else None

    @property
    def bundle(self) -> Any:
        """The model of the last job that ended (None before); use it only while idle."""
        return self._bundle

    def start(self, job: TrainingJob) -> None:
        """Train ``job`` on the worker thread; RuntimeError unless idle."""
        if self._shut:
            raise RuntimeError("the training controller has been shut down.")
        if self._state != "idle":
            raise RuntimeError(f"training is {self._state}; stop it before starting another run.")
        if not isinstance(job, TrainingJob):
            raise TypeError(f"start() takes a TrainingJob, not {type(job).__name__}.")
        self._ensure_thread()
        ticket = Ticket(job, queue.Queue(), EventBuffer(), threading.Event(), self._abort, probe=job.probe,
                        record_home=self.record_home)
        self._ticket = ticket
        self._pacer.reset()
        self._timer.start()
        self._sig_run.emit(ticket)
        self._set_state("preparing")

    def pause(self) -> None:
        """Pause between two steps (ignored when idle)."""
        self._command(Pause())

    def resume(self) -> None:
        self._command(Resume())

    def step(self) -> None:
        """Take one step, then stay paused (pauses first if running or preparing).

        Pause is always sent before StepOnce: the state seen here may lag the worker by a
        step (a resume just given), and a Pause while paused costs only a second Paused event.
        """
        self._command(Pause(), StepOnce())

    def stop(self) -> None:
        """End the job after the current step (or abandon its preparation)."""
        if self._ticket is not None:
            self._ticket.stop.set()
        self._command(Stop())

    def set_lr(self, lr: float) -> None:
        """The learning rate from the next step on; ConfigError unless positive."""
        if not (isinstance(lr, (int, float)) and lr > 0):
            raise ConfigError(f"the learning rate must be positive, not {lr}.")
        self._command(SetLearningRate(float(lr)))

    def set_probe(self, text: str) -> None:
        """The live sample's prefix (LM) or sentence (MT) for the job in progress; '' turns it off."""
        self._command(Probe(str(text)))

    def save_checkpoint(self, path: str) -> None:
        """Write the model to ``path`` on the worker thread, between steps; sig_saved or sig_error."""
        self._request(Save(str(path)), NO_MODEL_TO_SAVE)

    def request_snapshot(self) -> None:
        """Ask for a copy of the model made between steps; it arrives in sig_snapshot."""
        self._request(Snapshot(), NO_MODEL_TO_SNAPSHOT)

    def forget_model(self) -> None:
        """Drop the kept model (and the one of a job still running once it ends): the next run is fresh."""
        self._bundle = None
        if self._ticket is not None:
            self._ticket.forget = True

    def request_shutdown(self) -> None:
        """Ask the training thread to end, without waiting for it; the state becomes "idle" at once.

        The thread leaves at its next check: between two steps, between two phases of a
        preparation, or within ``WAIT_S`` while paused; from then on it emits nothing. The
        controller cannot start jobs afterwards. :meth:`shutdown` waits for the thread too.
        """
        if not self._shut:
            self._shut = True
            self._abort.set()
            self._timer.stop()
            ticket, self._ticket = self._ticket, None
            if ticket is not None:
                ticket.stop.set()
                ticket.commands.put(Stop())
            if self._handle is not None:
                self._handle.thread.quit()  # its event loop ends once the job in hand has returned
        self._set_state("idle")

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop training, end the thread and wait for it; True if it ended within the timeout.

        A thread still busy then (a slow step) is left to end on its own: it stays listed in
        ``gc_guard.LIVE`` until it does, and the app waits for it before exiting
        (``rnnviz.gui.app.finish_threads``). What closeEvent calls.
        """
        self.request_shutdown()
        handle, self._handle = self._handle, None
        if handle is None:
            return True
        ended = handle.thread.wait(QDeadlineTimer(max(int(timeout_ms), 0)))
        if ended:
            with _collector_off():  # the thread and its worker are freed here
                LIVE.remove(handle)
                del handle
        else:  # listed, and the GC guard on, until it ends; then freed by _free_ended_orphans
            handle.orphan = True
            _ORPHANS.append(handle)
            handle.thread.finished.connect(_free_ended_orphans, Qt.ConnectionType.QueuedConnection)
        release_gc_if_unused()
        return ended

    # ---- internals ----

    def _command(self, *items: object) -> None:
        ticket = self._ticket
        if ticket is None:
            return
        for item in items:
            ticket.commands.put(item)

    def _request(self, request: object, no_model: str) -> None:
        if self._ticket is not None:
            self._ticket.commands.put(request)
        elif self._bundle is None:
            QTimer.singleShot(0, self, lambda: self.sig_error.emit(no_model, ""))
        else:
            self._dispatch_idle(request)

    def _dispatch_idle(self, request: object) -> None:
        if self._shut:
            self.sig_error.emit("The training thread has been shut down.", "")
            return
        self._ensure_thread()
        self._sig_idle.emit(request, self._bundle)

    def _ensure_thread(self) -> Handle:
        if self._handle is None:
            # Importing torch on the training thread imports concurrent.futures.thread, which registers
            # an exit hook with threading: once the interpreter has begun to exit, that raises "can't
            # register atexit after shutdown". Imported here, on the GUI thread, it is registered in time.
            importlib.import_module("concurrent.futures.thread")

            thread = QThread()
            thread.setObjectName("rnnviz-training")
            worker = TrainingWorker(self._abort)
            worker.moveToThread(thread)
            queued = Qt.ConnectionType.QueuedConnection
            self._sig_run.connect(worker.run_job, queued)
            self._sig_idle.connect(worker.run_idle, queued)
            worker.sig_state.connect(self._on_state, queued)
            worker.sig_run_started.connect(self._on_run_started, queued)
            worker.sig_wake.connect(self._on_wake, queued)
            worker.sig_sample.connect(self._on_sample, queued)
            worker.sig_nonfinite.connect(self._on_nonfinite, queued)
            worker.sig_error.connect(self._on_error, queued)
            worker.sig_saved.connect(self._on_saved, queued)
            worker.sig_snapshot.connect(self._on_snapshot, queued)
            worker.sig_job_ended.connect(self._on_job_ended, queued)
            worker.sig_recording.connect(self._on_recording, queued)
            self._handle = Handle(thread, worker, self._abort)
            LIVE.append(self._handle)
            guard_gc()
            thread.start()
        return self._handle

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.sig_state.emit(state)

    def _flush(self, force: bool) -> None:
        ticket = self._ticket
        if ticket is None:
            return
        if not force and not self._pacer.due():
            return  # the next tick carries them
        events = ticket.buffer.take()
        if events:
            self._pacer.drawn()
            self.sig_events.emit(events)

    # ---- slots for the worker's signals (GUI thread) ----

    @Slot()
    def _on_tick(self) -> None:
        self._flush(force=False)

    @Slot(bool)
    def _on_wake(self, urgent: bool) -> None:
        if not self._shut:
            self._flush(force=urgent)

    @Slot(str)
    def _on_state(self, state: str) -> None:
        if self._shut or self._ticket is None:
            return
        self._flush(force=True)
        self._set_state(state)

    @Slot(object)
    def _on_run_started(self, info: RunInfo) -> None:
        if not self._shut:
            self.sig_run_started.emit(info)

    @Slot(int, str)
    def _on_sample(self, epoch: int, text: str) -> None:
        if not self._shut:
            self._flush(force=True)  # the EpochEnd goes out before its sample
            self.sig_sample.emit(epoch, text)

    @Slot(str)
    def _on_nonfinite(self, message: str) -> None:
        if not self._shut:
            self._flush(force=True)
            self.sig_nonfinite.emit(message)

    @Slot(str, str)
    def _on_error(self, message: str, details: str) -> None:
        if not self._shut:
            self.sig_error.emit(message, details)

    @Slot(str)
    def _on_saved(self, path: str) -> None:
        if not self._shut:
            self.sig_saved.emit(path)

    @Slot(object)
    def _on_snapshot(self, bundle: Any) -> None:
        if not self._shut:
            self.sig_snapshot.emit(bundle)

    @Slot(object)
    def _on_recording(self, news: Any) -> None:
        if not self._shut:
            self.sig_recording.emit(news)

    @Slot(object, object)
    def _on_job_ended(self, bundle: Any, outcome: object) -> None:
        if self._shut or self._ticket is None:
            return
        self._flush(force=True)
        ticket, self._ticket = self._ticket, None
        self._timer.stop()
        if bundle is not None and not ticket.forget:
            self._bundle = bundle
        # Saves and snapshots asked for as the job was ending: served now, with the final model.
        late = [item for item in drain_queue(ticket.commands) if isinstance(item, (Save, Snapshot))]
        for request in late:
            self._request(request, NO_MODEL_TO_SAVE if isinstance(request, Save) else NO_MODEL_TO_SNAPSHOT)
        self._set_state("idle")
        if isinstance(outcome, Finished):
            self.sig_finished.emit(outcome)
        elif isinstance(outcome, Failure):
            self.sig_error.emit(outcome.message, outcome.details)

