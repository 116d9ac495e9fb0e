"""Tracing for a view: a probe and a saturation text, what to trace of them, and what it costs.

:func:`compute` is the work a view asks for (the Gates tab's probe, its
saturation text, or both); problems the user can fix (an empty probe, a text
the model cannot read) become messages in the :class:`TraceResult`, not
exceptions. :class:`TraceCost` says about how long a trace will take, guessed
from the model's size and then learnt from measured traces, so that a caller
can choose between tracing at once and tracing in the background.

No torch at import: :func:`trace_all` loads the torch rooms of
:mod:`rnnviz.core.introspect` on its first call, so a view that imports this
module does not wait for torch.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rnnviz.core.errors import RnnvizError

if TYPE_CHECKING:
    from rnnviz.core.introspect.records import GateTrace
    from rnnviz.core.models.factory import ModelBundle

#: The saturation text may be longer than a probe: it is one trace, cut to this many tokens.
SATURATION_MAX_TOKENS = 5000
#: Translation: at most this many sentences (lines) of the saturation text.
SATURATION_MAX_SENTENCES = 200


@dataclass(frozen=True)
class TraceRequest:
    """What to (re)trace: the probe, the saturation text, or both. ``a | b`` asks for both's parts."""

    probe: bool
    saturation: bool

    def __or__(self, other: TraceRequest) -> TraceRequest:
        return TraceRequest(self.probe or other.probe, self.saturation or other.saturation)


@dataclass(frozen=True)
class TraceResult:
    """What :func:`compute` made of a request (immutable: safe to hand to another thread)."""

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
    """About how many steps a trace of ``text`` takes (a translation: source and greedy output)."""
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


def speed_key(bundle: ModelBundle) -> Hashable:
    """Models of one shape (config and vocabulary sizes) trace at one speed: a snapshot inherits its model's."""
    return bundle.model_config, tuple(len(v) for v in bundle.vocabs)


class TraceCost:
    """About how long a trace takes: guessed from the model's size until a trace of its shape was timed."""

    def __init__(self) -> None:
        self._seconds_per_token: dict[Hashable, float] = {}

    def seconds_per_token(self, bundle: ModelBundle) -> float:
        return self._seconds_per_token.get(speed_key(bundle)) or guess_seconds_per_token(bundle)

    def estimate(self, bundle: ModelBundle, probe: str, saturation_text: str, request: TraceRequest) -> float:
        """The seconds :func:`compute` will take for ``request`` on these texts, roughly."""
        tokens = (estimate_tokens(bundle, probe) if request.probe else 0) + (
            estimate_tokens(bundle, saturation_text) if request.saturation and saturation_text.strip() else 0)
        return tokens * self.seconds_per_token(bundle)

    def learn(self, bundle: ModelBundle, result: TraceResult) -> None:
        """Remember the measured speed of ``result`` for models of ``bundle``'s shape."""
        if result.tokens and result.seconds > 0:
            self._seconds_per_token[speed_key(bundle)] = result.seconds / result.tokens
