"""Where the Gates panel's traces run: on the GUI thread when quick, else in the background.

The work itself is Qt-free, in :mod:`rnnviz.core.introspect.probing` (``compute``:
the probe and the saturation text; ``TraceCost``: how long that takes).
:class:`Tracer` decides where it runs: a trace expected to take longer than
about a frame (``SYNC_BUDGET_S``, estimated from the model's size and then
from measured times) runs off the GUI thread (``rnnviz.gui.concurrency``).
Requests that arrive meanwhile are merged into one; a result overtaken by a
newer request is dropped, so the panel always ends on the latest model and
text. Torch is imported only when a model arrives (``rnnviz.core.introspect``
lazily), not when the panel is built.

Finished parts are kept in a :class:`~.result_cache.ResultCache` (per model object, weight
version and text): scrubbing back to an epoch seen before shows its trace at once, on the GUI
thread, without a job. A first visit traces the probe first (what the user looks at) and a
saturation text after it, as a second job that a newer request overtakes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.errors import RnnvizError
from rnnviz.core.introspect import probing
from rnnviz.core.introspect.probing import TraceCost, TraceRequest, TraceResult
from rnnviz.gui.concurrency import run_in_background
from rnnviz.gui.panels.gates.result_cache import ResultCache, weight_version

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle

log = logging.getLogger(__name__)

#: A trace expected to take longer than this (seconds) runs off the GUI thread.
SYNC_BUDGET_S = 0.012
#: A memory task's sequence up to this many steps is traced on the GUI thread (a few ms).
MEMORY_SYNC_STEPS = 200


def compute_memory(bundle: ModelBundle, index: int, request: TraceRequest) -> TraceResult:
    """A memory task's model reading validation sequence ``index`` (``core.introspect.memory``); the
    saturation plot reads the same sequence. A bad index becomes a message, not an exception."""
    from rnnviz.core.introspect.memory import trace_memory

    start = time.perf_counter()
    try:
        trace = trace_memory(bundle, index)
    except RnnvizError as error:
        return TraceResult(request, (), str(error), None, "", (), 0, time.perf_counter() - start)
    saturation = {"lm": [trace]} if request.saturation else None
    return TraceResult(request, (trace,) if request.probe else (), "", saturation, "", (), trace.num_steps,
                       time.perf_counter() - start)


def _part(result: TraceResult, probe: bool) -> TraceResult:
    """The probe's part (``probe``) or the saturation part of ``result``, as a result of its own."""
    if probe:
        return TraceResult(TraceRequest(True, False), result.traces, result.probe_error, None, "", (),
                           result.tokens, result.seconds)
    return TraceResult(TraceRequest(False, True), (), "", result.saturation, result.saturation_error,
                       result.saturation_notices, result.tokens, result.seconds)


def _joined(probe: TraceResult | None, saturation: TraceResult | None) -> TraceResult | None:
    """Cached parts as one result (None when neither is there)."""
    if probe is None and saturation is None:
        return None
    return TraceResult(TraceRequest(probe is not None, saturation is not None),
                       probe.traces if probe else (), probe.probe_error if probe else "",
                       saturation.saturation if saturation else None,
                       saturation.saturation_error if saturation else "",
                       saturation.saturation_notices if saturation else (), 0, 0.0)


class Tracer(QObject):
    """Runs ``probing.compute`` for one model: on the GUI thread when quick, else on the pool; latest wins.

    ``texts()`` gives the probe and the saturation text as they are when a trace starts
    (a merged request traces the latest text, not the one typed when it was asked for).
    Parts traced before for the same model object, weights and text come from the cache.
    """

    #: A trace is on its way off the GUI thread (True) or back (False).
    sig_busy = Signal(bool)
    #: A result for the current model: TraceResult.
    sig_done = Signal(object)
    #: A trace raised (a bug, or a failure in the background); the message for the user.
    sig_failed = Signal(str)

    def __init__(self, texts: Callable[[], tuple[str, str]], parent: QObject | None = None,
                 sequence: Callable[[], int] = lambda: 0) -> None:
        super().__init__(parent)
        self._texts = texts
        self._sequence = sequence  # a memory task's validation sequence to read
        self._bundle: ModelBundle | None = None
        self._in_flight: TraceRequest | None = None
        self._pending: TraceRequest | None = None
        self._followup: TraceRequest | None = None  # the saturation text, traced after the probe
        self._cost = TraceCost()
        self.cache = ResultCache()
        #: Jobs started off the GUI thread (the tests count them).
        self.jobs_started = 0
        #: The last result delivered came from the cache.
        self.from_cache = False

    def bundle(self) -> ModelBundle | None:
        return self._bundle

    def set_bundle(self, bundle: ModelBundle | None) -> None:
        """The model to trace from now on; a result for an earlier one is dropped."""
        self._bundle = bundle

    def is_busy(self) -> bool:
        """A trace is running off the GUI thread."""
        return self._in_flight is not None

    def request(self, request: TraceRequest) -> None:
        """Trace now, or once the trace in flight is back (requests meanwhile merge into one)."""
        if self._bundle is None:
            return
        if self._in_flight is not None:
            self._pending = request if self._pending is None else self._pending | request
            return
        self._start(request)

    def _keys(self, bundle: ModelBundle, probe: str, saturation_text: str) -> tuple[Hashable, Hashable]:
        if bundle.task in MEMORY_TASKS:
            index = self._sequence()
            return ("probe", "memory", index), ("saturation", "memory", index)
        return ("probe", probe), ("saturation", saturation_text)

    def _start(self, request: TraceRequest) -> None:
        bundle = self._bundle
        assert bundle is not None
        self._followup = None
        probe, saturation_text = self._texts()
        version = weight_version(bundle)  # the weights this trace reads (a key of the cache)
        probe_key, saturation_key = self._keys(bundle, probe, saturation_text)
        hit_probe = self.cache.get(bundle, probe_key, version) if request.probe else None
        hit_saturation = self.cache.get(bundle, saturation_key, version) if request.saturation else None
        cached = _joined(hit_probe, hit_saturation)
        if cached is not None:  # a revisit: at once, on the GUI thread
            self.from_cache = True
            self.sig_done.emit(cached)
            if self._bundle is not bundle:  # the panel moved on while it drew
                return
        request = TraceRequest(request.probe and hit_probe is None, request.saturation and hit_saturation is None)
        if not (request.probe or request.saturation):
            return
        memory = bundle.task in MEMORY_TASKS
        if not memory and request.probe and request.saturation and saturation_text.strip():
            # The probe is what the user looks at: it goes first; the saturation text after it.
            self._followup, request = TraceRequest(False, True), TraceRequest(True, False)
        if memory:
            index = self._sequence()
            job = lambda: compute_memory(bundle, index, request)  # noqa: E731
            quick = int(bundle.data_config.num_steps or 0) <= MEMORY_SYNC_STEPS
        else:
            # Looked up in probing at each call: a test patches the work there.
            job = lambda: probing.compute(bundle, probe, saturation_text, request)  # noqa: E731
            quick = self._cost.estimate(bundle, probe, saturation_text, request) <= SYNC_BUDGET_S
        keys = (probe_key, saturation_key, version)
        if quick:
            try:
                result = job()
            except Exception as error:  # a bug: a message, never a traceback on screen
                log.exception("tracing failed")
                self._followup = None
                self.sig_failed.emit(f"Unexpected error while tracing: {type(error).__name__}: {error}")
                return
            self._keep(bundle, result, keys)
            self._deliver(result, bundle)
            self._next()
            return
        self._in_flight = request
        self.jobs_started += 1
        self.sig_busy.emit(True)
        run_in_background(job, lambda result: self._on_done(result, bundle, keys), self._on_background_failed,
                          owner=self)

    def _keep(self, bundle: ModelBundle, result: TraceResult, keys: tuple[Hashable, Hashable, int]) -> None:
        """Cache what ``result`` traced (valid for its model and weights, shown or not)."""
        probe_key, saturation_key, version = keys
        if result.request.probe:
            self.cache.put(bundle, probe_key, _part(result, True), version)
        if result.request.saturation:
            self.cache.put(bundle, saturation_key, _part(result, False), version)

    def _next(self) -> None:
        """The saturation text after the probe, unless something newer came meanwhile."""
        followup, self._followup = self._followup, None
        if followup is not None and self._bundle is not None:
            self.request(followup)

    def _on_done(self, result: TraceResult, bundle: ModelBundle, keys: tuple[Hashable, Hashable, int]) -> None:
        if not isValid(self):  # the panel was closed while the trace ran
            return
        self._keep(bundle, result, keys)
        request, self._in_flight = self._in_flight, None
        self.sig_busy.emit(False)
        if self._pending is not None:  # overtaken: drop it and trace the latest state instead (cached parts
            merged = self._pending | (request or self._pending)  # come back at once)
            if self._followup is not None:
                merged = merged | self._followup
            self._pending = self._followup = None
            self.request(merged)
            return
        self._deliver(result, bundle)
        self._next()

    def _on_background_failed(self, message: str, details: str) -> None:
        if not isValid(self):
            return
        self._in_flight = None
        self._followup = None
        self.sig_busy.emit(False)
        if details:
            log.error("tracing failed: %s\n%s", message, details)
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.request(pending)
            return
        self.sig_failed.emit(message)

    def _deliver(self, result: TraceResult, bundle: ModelBundle) -> None:
        if bundle is not self._bundle:
            return  # a model replaced while this was traced: its request is already queued
        if bundle.task not in MEMORY_TASKS:
            self._cost.learn(bundle, result)
        self.from_cache = False
        self.sig_done.emit(result)
