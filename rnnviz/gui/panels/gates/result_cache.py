"""The Gates tab's finished traces, per model and text, so that scrubbing back over a run is instant.

A run's epochs come from :mod:`rnnviz.gui.runs.source`, whose LRU cache hands a revisited
epoch over as the SAME model object; a training snapshot is always a new object. So a model is
known by its identity (a weak reference: a model that is gone frees its entries) and by its
weight version (the sum of torch's in-place counters of its parameters: an optimiser step or a
``load_state_dict`` on the same object changes it, so its old traces are never shown again).

Each entry holds one part of a :class:`~rnnviz.core.introspect.probing.TraceResult`: the probe's
traces for one probe text, or the saturation traces for one saturation text (a memory task: one
validation sequence). Bounded by :data:`MAX_ENTRIES` and :data:`MAX_BYTES` (least recently used
go first). Qt-free and torch-free: it only reads ``p._version`` of the parameters it is given.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from rnnviz.core.introspect.probing import TraceResult
    from rnnviz.core.models.factory import ModelBundle

#: Entries kept (a probe part and a saturation part of an epoch are two).
MAX_ENTRIES = 64
#: Bytes of trace arrays kept (a 2×256 GRU seq2seq's probe: ~6 MB, its weights are copied in).
MAX_BYTES = 256 * 2**20


def weight_version(bundle: ModelBundle) -> int:
    """Grows whenever a parameter of ``bundle``'s model is changed in place (torch counts it)."""
    return sum(int(getattr(p, "_version", 0)) for p in bundle.model.parameters())


def result_bytes(result: TraceResult) -> int:
    """The bytes of the numpy arrays a result holds (each array counted once)."""
    seen: dict[int, int] = {}

    def walk(value: Any) -> None:
        if isinstance(value, np.ndarray):
            seen[id(value)] = value.nbytes
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                walk(getattr(value, name, None))

    walk(result.traces)
    walk(result.saturation)
    return sum(seen.values())


class _Entry:
    __slots__ = ("bundle", "model", "version", "result", "nbytes")

    def __init__(self, bundle: ModelBundle, version: int, result: TraceResult) -> None:
        self.bundle = weakref.ref(bundle)
        self.model = weakref.ref(bundle.model)
        self.version = version
        self.result = result
        self.nbytes = result_bytes(result)

    def serves(self, bundle: ModelBundle, version: int) -> bool:
        return self.bundle() is bundle and self.model() is bundle.model and self.version == version


class ResultCache:
    """Finished parts of traces by (model, weight version, what was traced); LRU, bounded."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[tuple[int, Hashable], _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def nbytes(self) -> int:
        return sum(e.nbytes for e in self._entries.values())

    def get(self, bundle: ModelBundle, what: Hashable, version: int | None = None) -> TraceResult | None:
        """The part ``what`` traced of this very model at its current weights, or None."""
        key = (id(bundle), what)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if not entry.serves(bundle, weight_version(bundle) if version is None else version):
            del self._entries[key]  # another model at a recycled id, or the same one changed since
            return None
        self._entries.move_to_end(key)
        return entry.result

    def put(self, bundle: ModelBundle, what: Hashable, result: TraceResult, version: int | None = None) -> None:
        """Keep ``result`` for ``bundle`` at ``version`` (its weights when the trace started)."""
        key = (id(bundle), what)
        self._entries[key] = _Entry(bundle, weight_version(bundle) if version is None else version, result)
        self._entries.move_to_end(key)
        self._trim()

    def clear(self) -> None:
        self._entries.clear()

    def _trim(self) -> None:
        dead = [k for k, e in self._entries.items() if e.bundle() is None or e.model() is None]
        for key in dead:  # models let go by their owners (the runs' cache, a replaced snapshot)
            del self._entries[key]
        total = self.nbytes()
        while self._entries and (len(self._entries) > self.max_entries or total > self.max_bytes):
            _, entry = self._entries.popitem(last=False)
            total -= entry.nbytes

