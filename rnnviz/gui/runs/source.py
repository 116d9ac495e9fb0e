"""An open run folder on the app's side: its epochs and curves, a model per epoch, and following it.

:class:`RunSource` owns one :class:`~rnnviz.core.runs.Run`. Everything that reads the folder
runs off the GUI thread (``rnnviz.gui.concurrency``): opening it, loading an epoch's weights
(latest request wins: scrubbing past ten epochs loads the last one asked for) and, while the
run is written by another process, a poll every :data:`POLL_MS` with ``Run.refresh``. A Run is
not thread-safe, so those jobs take turns on a lock; the GUI thread only sees the frozen
:class:`RunState` / :class:`RunGrowth` they return.

Epochs already loaded stay in a small LRU cache (:data:`CACHE_EPOCHS` models, at most
:data:`CACHE_BYTES` of weights): going back over them hands the same model over at once,
without reading the disk again. The epoch after the one shown is read ahead (shortly after it is
shown: :data:`READ_AHEAD_DELAY_MS`); and once the run is
open, the other epochs' files are checked in the background, one per job (``Run.check``: the
SHA-256, the shapes, NaN), so that a far jump along the slider finds its file already vouched
for and pays only the read, the parse and the model (a file changed since is checked again).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from rnnviz.core.errors import RnnvizError
from rnnviz.gui.concurrency import LatestJob, run_in_background

#: How often a run being written is read again (ms): new epochs appear within a second or so.
POLL_MS = 1000
#: Epoch models kept in memory; a 2×256 GRU seq2seq of the phrasebook takes ~7 MB (bench/scrubbing_latency.py).
CACHE_EPOCHS = 32
CACHE_BYTES = 512 * 2**20
#: How long after an epoch is shown its next one is read ahead (ms): the tab shown computes first (a read-ahead
#: at once shares the two cores with its job: a far jump's Gates p95 was 20-40 ms longer), and Play at its
#: default 2 epochs/s still finds the next model ready. Faster steps load on demand.
READ_AHEAD_DELAY_MS = 120
#: How long the background check of the epochs' files waits while an epoch is being loaded (ms).
CHECK_PAUSE_MS = 100


@dataclass(frozen=True)
class RunState:
    """What the GUI shows of a run just opened (a copy: the Run itself stays with the jobs)."""

    path: str
    name: str
    task: str
    model: str  # the model in words
    label: str
    status: str  # running | completed | stopped | diverged | interrupted | failed | unfinished
    epochs: tuple[int, ...]  # complete epochs (the initial weights' first)
    events: tuple[Any, ...]  # Step, EpochEnd ... for the curves
    notices: tuple[str, ...]  # what was skipped, and why
    planned: int  # the last epoch the run was started for

    @property
    def running(self) -> bool:
        return self.status == "running"


@dataclass(frozen=True)
class RunGrowth:
    """What a poll found: events for the curves, the complete epochs now, new notices, the status."""

    events: tuple[Any, ...]
    epochs: tuple[int, ...]
    notices: tuple[str, ...]
    status: str


def _state(run: Any) -> RunState:
    manifest = run.manifest
    planned = manifest.start_epoch + (manifest.train_config.epochs if manifest.train_config is not None else 0)
    epochs = run.epochs()
    if run.finished or not planned:
        planned = epochs[-1] if epochs else planned
    notices = tuple(run.notices) + tuple(f"note: {n}" for n in run.notes)
    return RunState(str(run.folder), run.name, manifest.task, manifest.model_words, manifest.label, run.status,
                    epochs, tuple(run.events), notices, planned)


def bundle_bytes(bundle: Any) -> int:
    """The bytes of a model's weights (what a cached epoch costs)."""
    return sum(t.numel() * t.element_size() for t in bundle.model.state_dict().values())


class RunSource(QObject):
    """One open run (see the module doc). Signals, on the GUI thread:

    - ``sig_opened(RunState)``: the run was opened (its epochs, curves and notices);
    - ``sig_failed(str)``: the folder could not be opened as a run (the message says why);
    - ``sig_grew(RunGrowth)``: a run being written grew (or ended);
    - ``sig_bundle(int, ModelBundle)``: the model of the epoch asked for last;
    - ``sig_refused(int, str)``: that epoch's weights cannot be used (the message says why).
    """

    sig_opened = Signal(object)
    sig_failed = Signal(str)
    sig_grew = Signal(object)
    sig_bundle = Signal(int, object)
    sig_refused = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run: Any = None
        self._lock = threading.Lock()  # Run is not thread-safe: the jobs take turns
        self._cache: OrderedDict[int, tuple[Any, int]] = OrderedDict()  # epoch -> (bundle, bytes)
        self._opening = 0  # which open() the next answer belongs to
        self._wanted: int | None = None
        self.loads = 0  # epochs read from disk (not from the cache): the tests count them
        self._ahead: int | None = None  # the epoch being read ahead, if one is
        self._checked: set[int] = set()  # epochs whose files the background pass has checked
        self._fresh: set[int] = set()  # checked but written too recently to be remembered: tried again later
        self._tries: dict[int, int] = {}  # epoch -> checks that found it too recent (a clock ahead: at most 3)
        self._checking = False
        self.checks = 0  # files checked in the background: the tests count them
        self._ahead_timer = QTimer(self)
        self._ahead_timer.setSingleShot(True)
        self._ahead_timer.setInterval(READ_AHEAD_DELAY_MS)
        self._ahead_timer.timeout.connect(self._read_ahead_now)
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_PAUSE_MS)
        self._check_timer.timeout.connect(self._check_ahead)
        self._settle_timer = QTimer(self)  # files written too recently are checked again once settled
        self._settle_timer.setSingleShot(True)
        self._settle_timer.timeout.connect(self._check_settled)
        self.state: RunState | None = None
        self._loader = LatestJob(self, self._loaded, self._load_failed)
        self._polling = False
        self._poll_timer = QTimer(self)
        self._poll_timer.setObjectName("rnnviz-run-poll")
        self._poll_timer.setInterval(POLL_MS)
        self._poll_timer.timeout.connect(self.poll)

    # ---- opening ----

    def open(self, path: str) -> None:
        """Open the run in ``path`` off the GUI thread; sig_opened or sig_failed follows."""
        self.close()
        self._opening += 1
        ticket = self._opening

        def job() -> tuple[Any, RunState]:
            from rnnviz.core.runs import open_run

            run = open_run(path)
            return run, _state(run)

        run_in_background(job, lambda result: self._opened(ticket, *result),
                          lambda message, details: self._open_failed(ticket, message), owner=self)

    def _opened(self, ticket: int, run: Any, state: RunState) -> None:
        if ticket != self._opening:  # another run was asked for meanwhile
            return
        self._run, self.state = run, state
        if state.running:
            self._poll_timer.start()
        self.sig_opened.emit(state)
        self._check_ahead()

    def _open_failed(self, ticket: int, message: str) -> None:
        if ticket == self._opening:
            self.sig_failed.emit(message)

    def close(self) -> None:
        """Forget the run: no more polls, loads or cached epochs."""
        self._opening += 1
        self._poll_timer.stop()
        self._loader.cancel()
        self._check_timer.stop()
        self._settle_timer.stop()
        self._ahead_timer.stop()
        self._run, self.state, self._wanted, self._ahead = None, None, None, None
        self._cache.clear()
        self._checked, self._fresh, self._tries, self._checking = set(), set(), {}, False

    @property
    def is_open(self) -> bool:
        return self._run is not None

    # ---- epochs ----

    def cached(self, epoch: int) -> bool:
        return epoch in self._cache

    def cache_bytes(self) -> int:
        return sum(size for _bundle, size in self._cache.values())

    def request(self, epoch: int) -> None:
        """The model of ``epoch``: at once from the cache, else loaded off the GUI thread (latest wins)."""
        run = self._run
        if run is None:
            return
        self._wanted = epoch
        if epoch in self._cache:
            self._cache.move_to_end(epoch)
            self._loader.cancel()  # an older load still running must not overtake this answer
            self.sig_bundle.emit(epoch, self._cache[epoch][0])
            self._ahead_timer.start()
            return
        if epoch == self._ahead:  # already on its way: its arrival answers
            self._loader.cancel()
            return
        self.loads += 1
        lock = self._lock

        def job() -> tuple[int, Any, int, str]:
            with lock:
                try:
                    bundle = run.bundle_at(epoch)
                except RnnvizError as exc:
                    return epoch, None, 0, str(exc)
            return epoch, bundle, bundle_bytes(bundle), ""

        self._loader.submit(job)

    def _loaded(self, result: tuple[int, Any, int, str]) -> None:
        epoch, bundle, size, error = result
        if self._run is None:
            return
        if bundle is None:
            self.sig_refused.emit(epoch, error)
            return
        self._keep(epoch, bundle, size)
        if epoch == self._wanted:
            self.sig_bundle.emit(epoch, bundle)
            self._ahead_timer.start()

    def _keep(self, epoch: int, bundle: Any, size: int) -> None:
        self._cache[epoch] = (bundle, size)
        while len(self._cache) > CACHE_EPOCHS or (len(self._cache) > 1 and self.cache_bytes() > CACHE_BYTES):
            self._cache.popitem(last=False)

    def _read_ahead_now(self) -> None:
        if self._wanted is not None and self._wanted in self._cache:  # the epoch shown (not one on its way)
            self._read_ahead(self._wanted)

    def _read_ahead(self, shown: int) -> None:
        """Read the epoch after ``shown`` into the cache off the GUI thread, so that Play, ] or the next
        step of the slider finds its model ready; one at a time, never one that is cached."""
        run, state = self._run, self.state
        if run is None or state is None or self._ahead is not None:
            return
        later = [e for e in state.epochs if e > shown]
        if not later or later[0] in self._cache:
            return
        epoch, ticket, lock = later[0], self._opening, self._lock
        self._ahead = epoch

        def job() -> tuple[Any, int]:
            with lock:
                bundle = run.bundle_at(epoch)
            return bundle, bundle_bytes(bundle)

        def done(result: tuple[Any, int]) -> None:
            self._ahead = None
            if ticket != self._opening or self._run is None:
                return  # another run meanwhile
            if epoch not in self._cache:
                self._keep(epoch, *result)
            if epoch == self._wanted:  # asked for while it was on its way
                self.sig_bundle.emit(epoch, self._cache[epoch][0])
                self._ahead_timer.start()

        def failed(message: str, details: str) -> None:
            self._ahead = None
            if ticket == self._opening and epoch == self._wanted:
                self.request(epoch)  # read it the usual way, which says what is wrong with it

        run_in_background(job, done, failed, owner=self)

    def _check_ahead(self) -> None:
        """Check the next epoch's file not checked yet off the GUI thread (see the module doc); one
        file per job, and none while an epoch is loaded or read ahead, so that a load waits on the
        run's lock for one file's check at most."""
        run, state = self._run, self.state
        if run is None or state is None or self._checking:
            return
        todo = [e for e in state.epochs if e not in self._checked and e not in self._fresh and e not in self._cache]
        if not todo:
            if self._fresh and not self._settle_timer.isActive():
                from rnnviz.core.runs import weights  # torch: not before the first window is painted

                self._settle_timer.start(max(0, int(weights.SETTLED_S * 1000)) + 200)
            return
        if self._loader.busy or self._ahead is not None:
            self._check_timer.start()
            return
        epoch, ticket, lock = todo[0], self._opening, self._lock
        self._checking = True

        def job() -> bool:
            with lock:
                try:
                    return run.check(epoch)
                except RnnvizError:
                    return True  # damaged: loading it says so; not checked again

        def done(remembered: bool) -> None:
            if ticket != self._opening:
                return  # another run meanwhile
            self._checking = False
            self.checks += 1
            self._tries[epoch] = self._tries.get(epoch, 0) + 1
            (self._checked if remembered or self._tries[epoch] >= 3 else self._fresh).add(epoch)
            self._check_ahead()

        def failed(message: str, details: str) -> None:
            if ticket == self._opening:
                self._checking = False
                self._checked.add(epoch)

        run_in_background(job, done, failed, owner=self)

    def _check_settled(self) -> None:
        self._fresh.clear()
        self._check_ahead()

    def _load_failed(self, message: str) -> None:
        if self._run is not None and self._wanted is not None:
            self.sig_refused.emit(self._wanted, message)

    # ---- following ----

    @property
    def following(self) -> bool:
        return self._poll_timer.isActive()

    def poll(self) -> None:
        """Read what the run's writer added (off the GUI thread; one poll at a time)."""
        run = self._run
        if run is None or self._polling:
            return
        self._polling = True
        lock, seen = self._lock, len(run.notices)

        def job() -> RunGrowth:
            with lock:
                update = run.refresh()
                return RunGrowth(update.events, run.epochs(), tuple(run.notices[seen:]), run.status)

        run_in_background(job, lambda growth: self._grew(run, growth),
                          lambda message, details: self._grew(run, None, message), owner=self)

    def _grew(self, run: Any, growth: RunGrowth | None, error: str = "") -> None:
        self._polling = False
        if run is not self._run or self.state is None:
            return
        before = self.state
        if growth is None:  # the folder could not be read this time (a sync in progress): said, tried again
            growth = RunGrowth((), before.epochs, (error,), before.status)
        planned = max(before.planned, growth.epochs[-1] if growth.epochs else 0)
        if growth.status != "running" and growth.epochs:
            planned = growth.epochs[-1]  # it ended: its last epoch is the last there will be
        self.state = RunState(before.path, before.name, before.task, before.model, before.label, growth.status,
                              growth.epochs, before.events + growth.events, before.notices + growth.notices,
                              planned)
        if growth.status != "running":
            self._poll_timer.stop()
        if growth.events or growth.notices or growth.status != before.status or growth.epochs != before.epochs:
            self.sig_grew.emit(growth)
        if growth.epochs != before.epochs:
            self._check_ahead()

    def folder(self) -> Path | None:
        return Path(self.state.path) if self.state is not None else None
