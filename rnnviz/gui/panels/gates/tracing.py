"""The Gates panel's tracing: what to trace, the work itself, and who runs it where.

``compute`` is the work (``rnnviz.core.introspect`` on the probe and the
saturation text); errors the user can fix become messages, not exceptions.
:class:`Tracer` decides where it runs: a trace expected to take longer than
about a frame (``SYNC_BUDGET_S``, estimated from the model's size and then
from measured times) runs off the GUI thread (``rnnviz.gui.concurrency``).
Requests that arrive meanwhile are merged into one; a result overtaken by a
newer request is dropped, so the panel always ends on the latest model and
text. Torch is imported only when a model arrives (``rnnviz.core.introspect``
lazily), not when the panel is built.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from rnnviz.core.errors import RnnvizError
from rnnviz.gui.concurrency import run_in_background

if TYPE_CHECKING:
    from rnnviz.core.introspect import GateTrace
    from rnnviz.core.models.factory import ModelBundle

log = logging.getLogger(__name__)

#: A trace expected to take longer than this (seconds) runs off the GUI thread.
SYNC_BUDGET_S = 0.012
#: The saturation text may be longer than a probe: it is one trace, made in the background.
SATURATION_MAX_TOKENS = 5000
#: Translation: at most this many sentences (lines) of the saturation text.
SATURATION_MAX_SENTENCES = 200


@dataclass(frozen=True)
class TraceRequest:
    """What to (re)trace: the probe, the saturation text, or both."""

    probe: bool
    saturation: bool

    def __or__(self, other: TraceRequest) -> TraceRequest:
        return TraceRequest(self.probe or other.probe, self.saturation or other.saturation)


@dataclass(frozen=True)
class TraceResult:
    request: TraceRequest
    traces: tuple[GateTrace, ...]  # the probe's parts; () when it could not be traced
    probe_error: str  # why not ("" when traced)
    saturation: dict[str, list[GateTrace]] | None  # part -> traces of the saturation text; None: use the probe
    saturation_error: str
    saturation_notices: tuple[str, ...]
    tokens: int  # tokens traced, to learn the seconds per token
    seconds: float


def trace_all(bundle: ModelBundle, text: str, max_tokens: int | None = None) -> tuple[GateTrace, ...]:
    """Every part of ``bundle`` reading ``text``: (lm,) or (encoder, decoder)."""
    from rnnviz.core.introspect import DEFAULT_MAX_TOKENS, trace_lm, trace_translation

    if bundle.task == "mt":
        return tuple(trace_translation(bundle, text))
    return (trace_lm(bundle, text, max_tokens or DEFAULT_MAX_TOKENS),)


def compute(bundle: ModelBundle, probe: str, saturation_text: str, request: TraceRequest) -> TraceResult:
    """Trace what ``request`` asks for. Errors the user can fix become messages, not exceptions."""
    start = time.perf_counter()
    traces: tuple[GateTrace, ...] = ()
    probe_error = ""
    tokens = 0
    if request.probe:
        if not probe.strip():
            probe_error = ("The probe is empty: type a text for the model to read"
                           + (" (a sentence to translate)." if bundle.task == "mt" else "."))
        else:
            try:
                traces = trace_all(bundle, probe)
                tokens += sum(t.num_steps for t in traces)
            except RnnvizError as error:
                probe_error = str(error)
    saturation: dict[str, list[GateTrace]] | None = None
    saturation_error = ""
    notices: list[str] = []
    if request.saturation and saturation_text.strip():
        try:
            if bundle.task == "mt":
                lines = [line for line in saturation_text.splitlines() if line.strip()]
                if len(lines) > SATURATION_MAX_SENTENCES:
                    notices.append(f"the saturation text has {len(lines)} sentences; the plot uses the first "
                                   f"{SATURATION_MAX_SENTENCES}.")
                    lines = lines[:SATURATION_MAX_SENTENCES]
                saturation = {"encoder": [], "decoder": []}
                for line in lines:
                    encoder, decoder = trace_all(bundle, line)
                    saturation["encoder"].append(encoder)
                    saturation["decoder"].append(decoder)
                    tokens += encoder.num_steps + decoder.num_steps
            else:
                (trace,) = trace_all(bundle, saturation_text, SATURATION_MAX_TOKENS)
                saturation = {"lm": [trace]}
                notices += [n for n in trace.notices if "max_tokens" in n]
                tokens += trace.num_steps
        except RnnvizError as error:
            saturation_error = f"The saturation text cannot be used: {error}"
    return TraceResult(request, traces, probe_error, saturation, saturation_error, tuple(notices), tokens,
                       time.perf_counter() - start)


def estimate_tokens(bundle: ModelBundle, text: str) -> int:
    """About how many steps a trace of ``text`` takes (for the sync-or-background choice)."""
    if bundle.task == "mt":
        steps = bundle.max_len
        lines = max(1, sum(1 for line in text.splitlines() if line.strip()))
        return 2 * steps * min(lines, SATURATION_MAX_SENTENCES)
    if bundle.data_config.token_level == "char":
        return len(text)
    return len(text.split())


def guess_seconds_per_token(bundle: ModelBundle) -> float:
    """Before any measurement: numpy's loop costs ~40 µs a step and layer-direction, plus the matmuls."""
    params = sum(int(p.numel()) for p in bundle.model.parameters())
    config = bundle.model_config
    stacks = [config.stack] + ([config.decoder] if config.decoder is not None else [])
    loops = sum(len(s.hidden_sizes) * (2 if s.bidirectional else 1) for s in stacks)
    extra = 3.0 if bundle.task == "mt" else 1.0  # translation also decodes greedily, in torch
    return extra * (40e-6 * loops + 2.0 * params / 2e9)


class Tracer(QObject):
    """Runs :func:`compute` for one model, on the GUI thread when quick, else on the pool; latest wins.

    ``texts()`` gives the probe and the saturation text as they are when a trace starts
    (a merged request traces the latest text, not the one typed when it was asked for).
    """

    #: A trace is on its way off the GUI thread (True) or back (False).
    sig_busy = Signal(bool)
    #: A result for the current model: TraceResult.
    sig_done = Signal(object)
    #: A trace raised (a bug, or a failure in the background); the message for the user.
    sig_failed = Signal(str)

    def __init__(self, texts: Callable[[], tuple[str, str]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._texts = texts
        self._bundle: ModelBundle | None = None
        self._in_flight: TraceRequest | None = None
        self._pending: TraceRequest | None = None
        self._seconds_per_token: dict[Any, float] = {}

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

    def _start(self, request: TraceRequest) -> None:
        bundle = self._bundle
        assert bundle is not None
        probe, saturation_text = self._texts()
        tokens = (estimate_tokens(bundle, probe) if request.probe else 0) + (
            estimate_tokens(bundle, saturation_text) if request.saturation and saturation_text.strip() else 0)
        per_token = self._seconds_per_token.get(_speed_key(bundle)) or guess_seconds_per_token(bundle)
        job = lambda: compute(bundle, probe, saturation_text, request)  # noqa: E731
        if tokens * per_token <= SYNC_BUDGET_S:
            try:
                result = job()
            except Exception as error:  # a bug: a message, never a traceback on screen
                log.exception("tracing failed")
                self.sig_failed.emit(f"Unexpected error while tracing: {type(error).__name__}: {error}")
                return
            self._deliver(result, bundle)
            return
        self._in_flight = request
        self.sig_busy.emit(True)
        run_in_background(job, lambda result: self._on_done(result, bundle), self._on_background_failed, owner=self)

    def _on_done(self, result: TraceResult, bundle: ModelBundle) -> None:
        if not isValid(self):  # the panel was closed while the trace ran
            return
        request, self._in_flight = self._in_flight, None
        self.sig_busy.emit(False)
        if self._pending is not None:  # overtaken: drop it and trace the latest state instead
            merged = self._pending | (request or self._pending)
            self._pending = None
            self.request(merged)
            return
        self._deliver(result, bundle)

    def _on_background_failed(self, message: str, details: str) -> None:
        if not isValid(self):
            return
        self._in_flight = None
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
        if result.tokens and result.seconds > 0:
            self._seconds_per_token[_speed_key(bundle)] = result.seconds / result.tokens
        self.sig_done.emit(result)


def _speed_key(bundle: ModelBundle) -> Any:
    return bundle.model_config, tuple(len(v) for v in bundle.vocabs)
