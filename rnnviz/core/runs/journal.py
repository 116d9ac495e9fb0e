"""The lines of a run's events.jsonl: one JSON object each, with a "type".

==========  =================================================================================
type        what the line says
==========  =================================================================================
groups      the parameter groups whose gradient norms the steps report (once, before them)
step        a ``Step``'s fields (its ``group_norms`` in the order of the last groups line)
epoch       an ``EpochEnd``'s fields, and its weights file: ``file``, ``sha256``, ``bytes``
weights     weights saved between epochs: ``kind`` "initial" (before the first step) or "step"
nonfinite   a ``NonFinite``'s fields (a non-finite loss or gradient norm is written as null)
finished    a ``Finished``'s fields: the run ended with ``reason``
note        something a reader should be told (``text``): a lock taken over, a failed write
==========  =================================================================================

A weights or epoch line is appended only after its file is complete and in place, so a line
always means a whole file; its SHA-256 lets a reader check the file before loading it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

from rnnviz.core.events import EpochEnd, Event, Finished, GradientGroup, NonFinite, Step


@dataclass(frozen=True)
class WeightsRecord:
    """A weights file a line vouches for."""

    kind: str  # "epoch", "initial" or "step"
    epoch: int  # the epoch it ends ("epoch", "initial": the epoch the run starts from) or is in ("step")
    step: int  # optimizer steps before these weights
    file: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Note:
    text: str


def _finite_or_none(value: Any) -> Any:
    return value if not isinstance(value, float) or math.isfinite(value) else None


def _fields(event: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.name: _finite_or_none(getattr(event, f.name)) for f in dataclasses.fields(event) if f.name not in skip}


def encode(event: Event, weights: WeightsRecord | None = None) -> dict[str, Any]:
    """The line of a training event (Paused is not recorded: it changes nothing a reader shows)."""
    if isinstance(event, Step):
        line = {"type": "step", **_fields(event, ("groups", "group_norms"))}
        line["group_norms"] = list(event.group_norms)
        return line
    if isinstance(event, EpochEnd):
        line = {"type": "epoch", **_fields(event)}
        if weights is not None:
            line.update(file=weights.file, sha256=weights.sha256, bytes=weights.bytes)
        return line
    if isinstance(event, NonFinite):
        return {"type": "nonfinite", **_fields(event)}
    if isinstance(event, Finished):
        return {"type": "finished", **_fields(event)}
    raise TypeError(f"not a recorded event: {event!r}")


def encode_groups(groups: tuple[GradientGroup, ...]) -> dict[str, Any]:
    return {"type": "groups", "groups": [dataclasses.asdict(g) for g in groups]}


def encode_weights(record: WeightsRecord) -> dict[str, Any]:
    return {"type": "weights", **dataclasses.asdict(record)}


def dumps(line: dict[str, Any]) -> bytes:
    """One line, newline included; strict JSON (no NaN), so that any JSON reader takes it."""
    return (json.dumps(line, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")


class LineError(ValueError):
    """A line that is JSON but not a record this rnnviz understands."""


def _build(kind: type, data: dict[str, Any], **extra: Any) -> Any:
    names = {f.name for f in dataclasses.fields(kind)}
    values = {k: v for k, v in data.items() if k in names}
    values.update(extra)
    try:
        return kind(**values)
    except TypeError as exc:
        raise LineError(f"a {data.get('type')} line lacks a field ({exc})") from None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Decoder:
    """Turns lines back into events; remembers the last groups line for the steps after it."""

    def __init__(self) -> None:
        self.groups: tuple[GradientGroup, ...] = ()

    def decode(self, data: Any) -> Event | WeightsRecord | Note | tuple[Event, WeightsRecord] | None:
        """An event, a weights record, a note, (EpochEnd, its weights) for an epoch line; None for a
        groups line or a type this rnnviz does not know (a newer writer's addition: passed over)."""
        if not isinstance(data, dict):
            raise LineError("not a JSON object")
        kind = data.get("type")
        if kind == "groups":
            groups = data.get("groups")
            if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
                raise LineError("a groups line without a list of groups")
            self.groups = tuple(_build(GradientGroup, g) for g in groups)
            return None
        if kind == "step":
            norms = data.get("group_norms") or []
            if not isinstance(norms, list) or not all(_number(n) for n in norms):
                raise LineError("a step line whose group_norms are not numbers")
            groups = self.groups if norms and len(norms) == len(self.groups) else ()
            step = _build(Step, data, groups=groups, group_norms=tuple(norms) if groups else ())
            if not all(_number(getattr(step, name)) for name in ("step", "epoch", "loss", "grad_norm", "elapsed")):
                raise LineError("a step line whose numbers are not numbers")
            return step
        if kind == "epoch":
            end = _build(EpochEnd, data)
            if not all(_number(getattr(end, name)) for name in ("step", "epoch", "train_loss", "elapsed")):
                raise LineError("an epoch line whose numbers are not numbers")
            return end, _weights(data, "epoch")
        if kind == "weights":
            return _weights(data, data.get("kind"))
        if kind == "nonfinite":
            values = {k: (math.nan if v is None and k in ("loss", "grad_norm") else v) for k, v in data.items()}
            return _build(NonFinite, values)
        if kind == "finished":
            return _build(Finished, data)
        if kind == "note":
            return Note(str(data.get("text", "")))
        return None


def _weights(data: dict[str, Any], kind: Any) -> WeightsRecord:
    file, digest, size = data.get("file"), data.get("sha256"), data.get("bytes")
    epoch, step = data.get("epoch"), data.get("step")
    if kind not in ("epoch", "initial", "step"):
        raise LineError(f"a weights line of kind {str(kind)[:20]!r}")
    if not (isinstance(file, str) and "/" not in file and "\\" not in file and not file.startswith(".")):
        raise LineError("a weights line whose file is not a plain file name")  # never a path out of the run
    if not (isinstance(digest, str) and len(digest) == 64 and isinstance(size, int) and size >= 0):
        raise LineError("a weights line without its SHA-256 and size")
    if not (isinstance(epoch, int) and isinstance(step, int)) or isinstance(epoch, bool) or isinstance(step, bool):
        raise LineError("a weights line without its epoch and step")
    return WeightsRecord(kind, epoch, step, file, digest, size)
