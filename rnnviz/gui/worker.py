"""The one bridge between ``core.train`` and Qt: a controller in the GUI thread, a worker in its own.

``TrainingController`` lives in the GUI thread and owns one ``QThread`` with a
plain ``QObject`` worker moved to it (QThread is never subclassed). A job
(``TrainingJob``) is handed to the worker through a queued signal; the worker
builds the data and the model *on its thread* (loading a corpus or importing
torch never freezes the window), then drives the ``core.train`` generator.

While the generator runs, the worker's thread is busy in the loop, so queued
slots could not run there: commands (pause, resume, step, stop, learning rate,
probe, save, snapshot) travel through a ``queue.Queue`` that the worker drains
between two steps, and blocks on (with a short timeout, so that ``shutdown``
is never stuck) while training is paused. Nothing but immutable values crosses
back: frozen events, text, ``RunInfo``; the two exceptions are the snapshot,
a fresh copy owned by its receiver, and the finished model, handed over once
the worker is done with it.

Coalescing: the worker appends events to a locked buffer; the controller
empties it into one ``sig_events`` tuple on a ~33 ms timer in the GUI thread,
paced by ``rnnviz.gui.pacing`` (at most 10 a second, fewer when redraws cost the
GUI thread more than its share), however fast steps come; a busy GUI simply
receives bigger tuples instead of a backlog of signals. Paused, NonFinite and
Finished (and any state change, sample or non-finite message) flush the buffer
at once, so the events always reach the UI before the signal that follows from
them; an EpochEnd flushes as soon as the pacing allows.

This module imports no torch at import time: the first window must paint
before torch loads. The core's torch modules are imported on the worker thread.
While a training thread exists, Python's cyclic garbage collector runs only in
the GUI thread (see ``_guard_gc``): collected on the training thread, a cycle
holding a GUI QObject would be deleted from the wrong thread and crash Qt.
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import gc
import importlib
import os
import queue
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, Qt, QThread, QTimer, Signal, Slot

from rnnviz.config import DataConfig, ModelConfig, TrainConfig
from rnnviz.core.errors import ConfigError, RnnvizError
from rnnviz.core.events import (
    EpochEnd, Event, Finished, History, NonFinite, Pause, Paused, Resume, SetLearningRate, Step, StepOnce, Stop,
)
from rnnviz.gui.pacing import RedrawPacer

#: Timer period of the coalescing flush. Emissions not forced by a state change are paced
#: by rnnviz.gui.pacing: at most 10 a second, fewer when redraws cost the GUI thread more
#: than its share (at 30 a second they took a core from training: bench/gui_latency.py).
FLUSH_INTERVAL_MS = 33
#: How long the paused worker blocks on its queue before looking at the abort flag again.
_WAIT_S = 0.05
#: Tokens a language model generates for the live sample.
SAMPLE_LENGTH = 60
#: Live samples come at an epoch's end, at most one a second (and always after the last
#: epoch): with quarter-second epochs a sample every epoch cost 13% of the training speed
#: and changed faster than anyone can read.
SAMPLE_MIN_GAP_S = 1.0

NO_MODEL_TO_SAVE = "There is no model to save yet; train or open one first."
NO_MODEL_TO_SNAPSHOT = "There is no model yet; train or open one first."
_COMMANDS = (Pause, Resume, StepOnce, Stop, SetLearningRate)


# ---- values that cross threads --------------------------------------------------------------


@dataclass(frozen=True)
class TrainingJob:
    """Everything one run needs; the GUI builds it, the worker reads it."""

    data_config: DataConfig
    model_config: ModelConfig  # ignored when ``initial`` is given: that model is trained as it is
    train_config: TrainConfig
    label: str  # names the run in legends, e.g. "GRU 1×32, sgd lr 4"
    probe: str = ""  # LM: prefix to continue; MT: sentence to translate ('' = no live sample)
    initial: object | None = None  # a ModelBundle to continue training (copied first); None = fresh model


@dataclass(frozen=True)
class RunInfo:
    """Sent once the data and the model are built, before the first step."""

    label: str
    task: str  # "lm" or "mt"
    description: str  # checkpoint.describe(bundle): cell variant, implementation, parameters
    parameters: int
    device: str  # the resolved device, e.g. "cpu" or "cuda"
    batches_per_epoch: int
    epochs: int
    vocab_sizes: tuple[int, ...]  # (tokens,) or (source, target)


@dataclass(frozen=True)
class _Failure:
    message: str
    details: str


@dataclass(frozen=True)
class _Save:
    path: str


@dataclass(frozen=True)
class _Snapshot:
    pass


@dataclass(frozen=True)
class _Probe:
    text: str


class _EventBuffer:
    """Events the worker produced and the GUI has not emitted yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []

    def add(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def take(self) -> tuple[Event, ...]:
        with self._lock:
            events, self._events = tuple(self._events), []
        return events


def _drain_queue(commands: queue.Queue) -> list[object]:
    """Everything waiting in the queue now, without blocking."""
    items = []
    while True:
        try:
            items.append(commands.get_nowait())
        except queue.Empty:
            return items


@dataclass(eq=False)
class _Ticket:
    """One job in flight: its settings and the channels between the two threads."""

    job: TrainingJob
    commands: queue.Queue  # GUI -> worker: commands and _Save/_Snapshot/_Probe requests
    buffer: _EventBuffer  # worker -> GUI: events waiting to be coalesced
    stop: threading.Event  # set by stop(): also cancels a download while preparing
    abort: threading.Event  # set by shutdown(): leave at once, report nothing
    probe: str = ""  # worker side: the probe in use
    last_sample: float = -1e9  # worker side: time.monotonic() of the last live sample
    forget: bool = False  # GUI side: forget_model() was called while the job ran

    def cancelled(self) -> bool:
        return self.stop.is_set() or self.abort.is_set()


_STOPPED_EARLY = Finished("stopped", 0, 0, 0.0)
_ABORT = object()  # _next_command's answer when shutdown() asked the worker to leave


# ---- the worker (its own thread) ------------------------------------------------------------


def _failure(exc: BaseException) -> _Failure:
    if isinstance(exc, RnnvizError):
        return _Failure(str(exc), "")
    return _Failure(f"Training failed unexpectedly: {type(exc).__name__}: {exc}", traceback.format_exc())


def _snapshot_of(bundle: Any) -> Any:
    """A copy of the bundle that shares nothing mutable with it: model on the CPU, in eval mode."""
    model = copy.deepcopy(bundle.model).to("cpu").eval()
    for parameter in model.parameters():
        parameter.grad = None
    return dataclasses.replace(bundle, model=model, history=History.from_dict(bundle.history.to_dict()))


def training_threads(default: int) -> int:
    """The torch threads a training run gets, out of ``default``: one core is left to the GUI
    thread. On few cores, torch's threads waiting at their barriers for a core the GUI is
    painting on slow training more than that core adds (measured on 2 cores: 535k tokens/s
    with one thread, 320k with two). OMP_NUM_THREADS, when set, is obeyed as it is."""
    cores = os.cpu_count() or 1
    if cores > 1 and "OMP_NUM_THREADS" not in os.environ:
        return max(1, min(default, cores - 1))
    return default


def _share_cores() -> None:
    import torch

    # Set on the training thread: OpenMP keeps the count per thread once one has run torch ops.
    torch.set_num_threads(training_threads(torch.get_num_threads()))


def _sample_text(bundle: Any, probe: str) -> str:
    from rnnviz.core.decoding import generate, translate

    model = bundle.model
    was_training = model.training
    try:  # decoding puts the model in eval mode; training must go on as it was
        if bundle.task == "mt":
            return translate(bundle, probe).text
        return generate(bundle, probe, SAMPLE_LENGTH).text
    finally:
        model.train(was_training)


def _history_offsets(history: History) -> tuple[int, int, float]:
    """Where a continued model's history ends, so that its curves go on instead of restarting."""
    return (history.step[-1] if history.step else 0, history.epoch[-1] if history.epoch else 0,
            history.elapsed[-1] if history.elapsed else 0.0)


def _shifted(event: Event, offsets: tuple[int, int, float]) -> Event:
    step, epoch, elapsed = offsets
    if not (step or epoch or elapsed) or not isinstance(event, (Step, EpochEnd)):
        return event
    return dataclasses.replace(event, step=event.step + step, epoch=event.epoch + epoch,
                               elapsed=event.elapsed + elapsed)


class _Worker(QObject):
    """Runs jobs on the training thread. Signals are private: the controller re-emits them."""

    sig_state = Signal(str)  # "running" | "paused"
    sig_run_started = Signal(object)  # RunInfo
    sig_wake = Signal(bool)  # events wait in the buffer; True: flush now whatever the rate
    sig_sample = Signal(int, str)
    sig_nonfinite = Signal(str)
    sig_error = Signal(str, str)  # a save or snapshot failed; training goes on
    sig_saved = Signal(str)
    sig_snapshot = Signal(object)
    sig_job_ended = Signal(object, object)  # (ModelBundle | None, Finished | _Failure | None)

    def __init__(self) -> None:
        super().__init__()
        self._state = ""

    # -- slots, run in the worker's thread through queued signals --

    @Slot(object)
    def run_job(self, ticket: _Ticket) -> None:
        self._state = ""
        bundle: list[Any] = [None]  # filled once the model exists, so that a crash still hands it back
        try:
            outcome: object = self._run(ticket, bundle)
        except Exception as exc:  # a crash becomes a message and an idle controller, never a dead thread
            outcome = _failure(exc)
        self.sig_job_ended.emit(bundle[0], outcome)

    @Slot(object, object)
    def run_idle(self, request: object, bundle: Any) -> None:
        """A save or snapshot asked for while no job runs."""
        self._serve(request, bundle, None)

    # -- a job --

    def _run(self, ticket: _Ticket, out: list[Any]) -> object:
        from rnnviz.core.data.datasets import build_data
        from rnnviz.core.data.hub import DownloadCancelled

        job = ticket.job
        ticket.probe = job.probe
        _share_cores()
        try:
            data = build_data(job.data_config, progress=lambda received, total: not ticket.cancelled())
        except DownloadCancelled:
            if ticket.cancelled():
                return None if ticket.abort.is_set() else self._stopped_early(ticket)
            raise
        if ticket.cancelled():
            return None if ticket.abort.is_set() else self._stopped_early(ticket)

        # The module, looked up at each job (a test may replace its train function).
        train_module = importlib.import_module("rnnviz.core.train")
        from rnnviz.core.checkpoint import describe
        from rnnviz.core.models.factory import bundle_for

        bundle = bundle_for(data, job.model_config, seed=job.train_config.seed) if job.initial is None \
            else self._continued(job.initial, data)
        bundle.train_config = job.train_config
        device = train_module.resolve_device(job.train_config.device)
        if ticket.cancelled():
            return None if ticket.abort.is_set() else self._stopped_early(ticket)
        out[0] = bundle
        self.sig_run_started.emit(RunInfo(
            label=job.label, task=bundle.task, description=describe(bundle),
            parameters=bundle.parameter_count(), device=str(device),
            batches_per_epoch=data.num_train_batches(), epochs=job.train_config.epochs,
            vocab_sizes=tuple(len(v) for v in bundle.vocabs)))

        # Commands given while preparing: folded into how the generator starts.
        config, paused, stop, pending = job.train_config, False, False, deque()
        for item in _drain_queue(ticket.commands):
            if isinstance(item, Stop):
                stop = True
            elif isinstance(item, Pause):
                paused = True
            elif isinstance(item, Resume):
                paused = False
                pending.clear()
            elif isinstance(item, StepOnce):
                paused = True
                pending.append(item)
            elif isinstance(item, SetLearningRate):
                config = dataclasses.replace(config, lr=item.lr)
            else:
                self._serve(item, bundle, ticket)
        if stop:  # before the first step: nothing trained, nothing kept
            out[0] = None
            return self._stopped_early(ticket)
        return self._loop(ticket, bundle, train_module.train(bundle.model, data, config, start_paused=paused),
                          paused, pending)

    def _loop(self, ticket: _Ticket, bundle: Any, generator: Any, paused: bool, pending: deque) -> object:
        offsets = _history_offsets(bundle.history)
        try:
            if not paused:
                self._set_state("running")
            event = next(generator)
            while True:
                ticket.buffer.add(event)
                bundle.history.add(_shifted(event, offsets))
                self._react(ticket, bundle, event)
                if isinstance(event, Finished):
                    return event
                command = self._next_command(ticket, bundle, pending, isinstance(event, (Paused, NonFinite)))
                if command is _ABORT:
                    return None
                if isinstance(command, Resume):
                    self._set_state("running")
                event = generator.send(command)
        finally:
            generator.close()

    def _react(self, ticket: _Ticket, bundle: Any, event: Event) -> None:
        if isinstance(event, EpochEnd):
            self.sig_wake.emit(False)
            last = event.epoch == ticket.job.train_config.epochs
            due = time.monotonic() - ticket.last_sample >= SAMPLE_MIN_GAP_S
            if ticket.probe.strip() and (due or last):
                self._sample(ticket, bundle, event.epoch)
                ticket.last_sample = time.monotonic()
        elif isinstance(event, Paused):
            self._set_state("paused")
            self.sig_wake.emit(True)
        elif isinstance(event, NonFinite):
            self._set_state("paused")  # the generator paused itself
            self.sig_nonfinite.emit(event.message)
        elif isinstance(event, Finished):
            self.sig_wake.emit(True)

    def _sample(self, ticket: _Ticket, bundle: Any, epoch: int) -> None:
        try:
            text = _sample_text(bundle, ticket.probe)
        except RnnvizError as exc:  # e.g. a prefix that is empty once cleaned: said, not fatal
            text = str(exc)
        except Exception as exc:  # a bug in decoding must not end the training either
            text = f"(no sample: {type(exc).__name__}: {exc})"
        self.sig_sample.emit(epoch, text)

    def _next_command(self, ticket: _Ticket, bundle: Any, pending: deque, waiting: bool) -> object:
        """The next command for the generator (None: carry on); requests are served on the way."""
        while True:
            if ticket.abort.is_set():
                return _ABORT
            if pending:
                return pending.popleft()
            try:
                item = ticket.commands.get(timeout=_WAIT_S) if waiting else ticket.commands.get_nowait()
            except queue.Empty:
                if waiting:
                    continue
                return None
            if isinstance(item, _COMMANDS):
                return item
            self._serve(item, bundle, ticket)

    def _serve(self, request: object, bundle: Any, ticket: _Ticket | None) -> None:
        if isinstance(request, _Probe):
            if ticket is not None:
                ticket.probe = request.text
            return
        if bundle is None:
            self.sig_error.emit(NO_MODEL_TO_SAVE if isinstance(request, _Save) else NO_MODEL_TO_SNAPSHOT, "")
            return
        what = "Saving the checkpoint" if isinstance(request, _Save) else "Copying the model"
        try:
            if isinstance(request, _Save):
                from rnnviz.core.checkpoint import save_checkpoint

                self.sig_saved.emit(str(save_checkpoint(bundle, request.path)))
            elif isinstance(request, _Snapshot):
                self.sig_snapshot.emit(_snapshot_of(bundle))
        except RnnvizError as exc:
            self.sig_error.emit(str(exc), "")
        except Exception as exc:
            self.sig_error.emit(f"{what} failed unexpectedly: {type(exc).__name__}: {exc}", traceback.format_exc())

    def _continued(self, initial: Any, data: Any) -> Any:
        """A copy of an opened or earlier model, checked against the data it is to learn from."""
        is_mt = hasattr(data, "src_vocab")
        if (initial.task == "mt") != is_mt:
            raise ConfigError(f"the model to continue is a {'translation' if initial.task == 'mt' else 'language'} "
                              "model and this corpus is for the other task; pick a matching corpus, or reset "
                              "the model to train a fresh one.")
        vocabs = (data.src_vocab, data.tgt_vocab) if is_mt else (data.vocab,)
        if tuple(vocabs) != tuple(initial.vocabs):
            sizes = "/".join(str(len(v)) for v in initial.vocabs)
            raise ConfigError(f"the model to continue knows a different vocabulary ({sizes} tokens) than these "
                              f"data settings give ({'/'.join(str(len(v)) for v in vocabs)}); use the data "
                              "settings it was trained with, or reset the model to train a fresh one.")
        bundle = copy.deepcopy(initial)  # the caller may still be using it
        bundle.data_config = data.config
        return bundle

    def _stopped_early(self, ticket: _Ticket) -> Finished:
        ticket.buffer.add(_STOPPED_EARLY)
        return _STOPPED_EARLY

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.sig_state.emit(state)


# ---- threads that must not be destroyed while they run --------------------------------------


@dataclass(eq=False)
class _Handle:
    thread: QThread
    worker: _Worker
    abort: threading.Event
    orphan: bool = False  # its controller gave up waiting for it at shutdown


_LIVE: list[_Handle] = []  # training threads started and not yet seen to finish


@atexit.register
def _stop_live_threads() -> None:
    """Last resort for a controller that was never shut down: a QThread destroyed while it
    runs aborts the process ("QThread: Destroyed while thread is still running")."""
    for handle in list(_LIVE):
        handle.abort.set()
        handle.thread.quit()
    for handle in list(_LIVE):
        handle.thread.wait(QDeadlineTimer(2000))
    _LIVE.clear()


# ---- garbage collection only in the GUI thread while a training thread lives -----------------
#
# Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
# crossed, and the training thread allocates a lot. If it collects a cycle holding a QObject of
# the GUI thread (a widget, a timer, a closure connected to a signal), Qt deletes that object from
# the wrong thread ("QObject::killTimer: Timers cannot be stopped from another thread") and the
# process crashes later, in the GUI thread. So while a training thread exists, automatic
# collection is off and a GUI-thread timer collects instead (what pyqtgraph's GarbageCollector
# does); the previous setting comes back when the last training thread has ended.

GC_INTERVAL_MS = 500
_gc_timer: QTimer | None = None
_gc_was_enabled = True


def _guard_gc() -> None:
    global _gc_timer, _gc_was_enabled
    if _gc_timer is not None and _gc_timer.isActive():
        return
    _gc_was_enabled = gc.isenabled()
    gc.disable()
    if _gc_timer is None:
        _gc_timer = QTimer(QCoreApplication.instance())
        _gc_timer.setInterval(GC_INTERVAL_MS)
        _gc_timer.timeout.connect(_gc_tick)
    _gc_timer.start()


def _release_gc_if_unused() -> None:
    for handle in [h for h in _LIVE if h.orphan and h.thread.isFinished()]:
        _LIVE.remove(handle)
    if _LIVE or _gc_timer is None or not _gc_timer.isActive():
        return
    _gc_timer.stop()
    if _gc_was_enabled:
        gc.enable()


def _gc_tick() -> None:
    """Collect the generations whose thresholds were crossed, as the automatic collector would."""
    threshold = gc.get_threshold()
    count = gc.get_count()
    if count[0] > threshold[0]:
        gc.collect(0)
        if count[1] > threshold[1]:
            gc.collect(1)
            if count[2] > threshold[2]:
                gc.collect(2)
    _release_gc_if_unused()


# ---- the controller (GUI thread) ------------------------------------------------------------


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
    - ``sig_finished(Finished)``: the job ended ("completed" or "stopped"); state is "idle".
    - ``sig_error(str, str)``: (message for the user, details or traceback). When a job
      fails, the state is "idle" when it arrives and a new job may start. A failed save or
      snapshot also reports here, and a job in progress goes on.
    - ``sig_saved(str)``: the path a checkpoint was written to.
    - ``sig_snapshot(ModelBundle)``: a copy (model on the CPU, eval mode), the receiver's own.
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

    _sig_run = Signal(object)  # -> worker.run_job
    _sig_idle = Signal(object, object)  # -> worker.run_idle

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = "idle"
        self._bundle: Any = None
        self._ticket: _Ticket | None = None
        self._handle: _Handle | None = None
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
        ticket = _Ticket(job, queue.Queue(), _EventBuffer(), threading.Event(), self._abort, probe=job.probe)
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
        self._command(_Probe(str(text)))

    def save_checkpoint(self, path: str) -> None:
        """Write the model to ``path`` on the worker thread, between steps; sig_saved or sig_error."""
        self._request(_Save(str(path)), NO_MODEL_TO_SAVE)

    def request_snapshot(self) -> None:
        """Ask for a copy of the model made between steps; it arrives in sig_snapshot."""
        self._request(_Snapshot(), NO_MODEL_TO_SNAPSHOT)

    def forget_model(self) -> None:
        """Drop the kept model (and the one of a job still running once it ends): the next run is fresh."""
        self._bundle = None
        if self._ticket is not None:
            self._ticket.forget = True

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop training, end the thread and wait for it; True if it ended within the timeout.

        The controller cannot start jobs afterwards. What closeEvent calls.
        """
        self._shut = True
        self._abort.set()
        self._timer.stop()
        ticket, self._ticket = self._ticket, None
        if ticket is not None:
            ticket.stop.set()
            ticket.commands.put(Stop())
        ended = True
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.thread.quit()
            ended = handle.thread.wait(QDeadlineTimer(max(int(timeout_ms), 0)))
            if ended:
                _LIVE.remove(handle)
            else:  # stays listed, and the GC guard stays on, until it ends; atexit waits for it
                handle.orphan = True
            _release_gc_if_unused()
        self._set_state("idle")
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

    def _ensure_thread(self) -> _Handle:
        if self._handle is None:
            thread = QThread()
            thread.setObjectName("rnnviz-training")
            worker = _Worker()
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
            self._handle = _Handle(thread, worker, self._abort)
            _LIVE.append(self._handle)
            _guard_gc()
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
        late = [item for item in _drain_queue(ticket.commands) if isinstance(item, (_Save, _Snapshot))]
        for request in late:
            self._request(request, NO_MODEL_TO_SAVE if isinstance(request, _Save) else NO_MODEL_TO_SNAPSHOT)
        self._set_state("idle")
        if isinstance(outcome, Finished):
            self.sig_finished.emit(outcome)
        elif isinstance(outcome, _Failure):
            self.sig_error.emit(outcome.message, outcome.details)

