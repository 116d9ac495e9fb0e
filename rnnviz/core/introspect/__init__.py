"""Gate traces: every gate of every layer and direction, step by step, for one input sequence.

A trace is data, not a picture (DESIGN.md §2): numpy arrays ``(T, H)`` per
gate, layer and direction, the tokens they belong to, and the name of the
cell equations that produced them. The GUI's gates panel draws traces; the
CLI (``rnnviz gates``) and the exports save them.

Public API
----------
``trace_lm(bundle, text, max_tokens=DEFAULT_MAX_TOKENS) -> GateTrace``
    A language model reading ``text`` (cleaned and tokenized as in training).
``trace_translation(bundle, sentence, max_tokens=None) -> (encoder, decoder)``
    The encoder over the source exactly as the model reads it (``<eos>``,
    trimmed or padded to ``num_steps``); the decoder over the model's own
    greedy translation, teacher-forced with its real inputs (the embedding of
    ``<bos>, y1, y2, …`` concatenated with the context) from the bridged
    initial state. ``max_tokens`` caps the translation's length (default: the
    model's ``num_steps``, as ``decoding.translate``).
``trace_sequence(stack, inputs, initial_state=None) -> list[DirectionTrace]``
    The low-level tracer: any ``RecurrentStack`` over a ``(T, d)`` input.
``GateTrace``, ``DirectionTrace``
    Frozen records of read-only float32 arrays (safe to hand to another thread).
    ``GateTrace.get(layer, direction, name) -> (T, H)``, ``.direction(layer,
    direction)``, ``.equations`` (gate name -> equation line), ``.final_state()``,
    ``.to_npz(path)``, ``GateTrace.from_npz(path)``, ``.to_csv(path)``;
    ``write_csv(traces, path)`` puts several traces (encoder and decoder) in one
    CSV; ``part_path(path, part)`` names the per-part NPZ files;
    ``export_traces(traces, npz, csv_path)`` writes the NPZ file(s) and/or the CSV
    of one export all or none (``core.atomic.Export``). ``direction``
    is ``"forward"``/``"backward"`` or 0/1.
``compare_contexts(reader, word, sentence_a, sentence_b) -> ContextComparison``
    One word in two sentences: the cosine similarity of its states per layer and direction, the
    embedding as the reference row (:mod:`~rnnviz.core.introspect.contextual`); ``reader_for_lm(bundle)``
    and ``reader_for_classifier(model, vocab)`` say how a model reads text.
``GATE_NAMES``, ``VALUE_RANGES``, ``equations_for(cell)``
    What each cell records, the interval each value lives in (for colour
    scales), and the equation line behind each name.

Bad input is not an error where the model has a rule for it: unknown tokens
are read as ``<unk>``, text beyond ``max_tokens`` is cut, a translation's
source is cut or padded to ``num_steps``; ``GateTrace.notices`` says so. An
empty text, ``max_tokens < 1`` or a model of the other task raise ``DataError``.

Speed: a 200-token trace of a 2-layer bidirectional LSTM of hidden 256 takes
about twice a fused ``torch.nn.LSTM`` forward (``bench/introspect_speed.py``).
While it runs, numpy's OpenBLAS is kept to one thread (see ``_one_blas_thread``).

Gates
-----
GRU (``gru`` and ``gru-book``): ``reset`` r, ``update`` z, ``candidate`` (torch's
n, the book's H̃), ``hidden`` h; the GRUs with one gate record the one they have
(``gru-reset``: ``reset``, ``candidate``, ``hidden``; ``gru-update``: ``update``,
``candidate``, ``hidden``). LSTM: ``input`` i, ``forget`` f, ``output`` o,
``candidate`` (torch's g, the book's C̃), ``cell`` c, ``hidden`` h. Vanilla
RNN: ``preactivation`` and ``hidden``. The values are computed here, in numpy,
from the model's torch.nn-layout weights with the equations of the model's
cell variant (``rnnviz.core.models.cells.EQUATIONS``): ``gru`` applies the
reset gate after the hidden matmul as torch does, ``gru-book`` before it as
the book does. The tests check that the hidden states equal the model's own
forward pass and the gates an independent recomputation. Dropout is not
applied: a trace is the model in evaluation mode.

Alignment
---------
Row ``t`` of every array belongs to input position ``t`` — in the backward
direction too, which reads the sequence from its end: its row ``t`` is the
state after reading positions ``T-1 … t``. So the final state of a forward
direction is row ``-1`` and that of a backward direction row ``0``.

The file formats are described in :mod:`rnnviz.core.introspect.records`.

Rooms: :mod:`~rnnviz.core.introspect.records` (the traces, NPZ and CSV),
:mod:`~rnnviz.core.introspect.kernels` (the numpy recurrences, ``trace_sequence``),
:mod:`~rnnviz.core.introspect.tracing` (a bundle: ``trace_lm``, ``trace_translation``),
:mod:`~rnnviz.core.introspect.probing` (what a view asks to trace, merged, with its cost),
:mod:`~rnnviz.core.introspect.unit_equations` (one unit's arithmetic at one step, with its
numbers) and :mod:`~rnnviz.core.introspect.saturation` (the fraction of saturated steps).
Every public name is importable from this package; the modules that import torch
(``kernels``, ``tracing``) load on first use of one of their names, so a view
that imports the package, or its numpy-only rooms, does not wait for torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnnviz.core.lazy import lazy_exports

from rnnviz.core.introspect.records import (
    CSV_HEADER,
    DEFAULT_MAX_TOKENS,
    DIRECTIONS,
    FORMAT,
    GATE_NAMES,
    PARTS,
    SYMBOLS,
    VALUE_RANGES,
    VERSION,
    DirectionTrace,
    GateTrace,
    equations_for,
    export_traces,
    part_path,
    write_csv,
    write_npz,
)
from rnnviz.core.introspect.saturation import saturation_fractions, thresholds
from rnnviz.core.introspect.unit_equations import (
    VARIANT_NOTES,
    UnitLine,
    UnitStep,
    equations_html,
    fmt,
    previous_state,
    unit_step,
)

if TYPE_CHECKING:
    from rnnviz.core.introspect.contextual import (
        ContextComparison, ContextRow, compare_contexts, reader_for_classifier, reader_for_lm,
    )
    from rnnviz.core.introspect.kernels import trace_sequence
    from rnnviz.core.introspect.tracing import trace_lm, trace_translation

#: Names of the modules that import torch, loaded on first use (PEP 562).
_LAZY: dict[str, str] = {"trace_sequence": "kernels", "trace_lm": "tracing", "trace_translation": "tracing",
                         **dict.fromkeys(("ContextComparison", "ContextRow", "compare_contexts",
                                          "reader_for_classifier", "reader_for_lm"), "contextual")}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "CSV_HEADER", "ContextComparison", "ContextRow", "DEFAULT_MAX_TOKENS", "DIRECTIONS", "FORMAT", "GATE_NAMES",
    "PARTS", "SYMBOLS", "VALUE_RANGES", "VARIANT_NOTES", "VERSION", "DirectionTrace", "GateTrace", "UnitLine",
    "UnitStep", "compare_contexts", "equations_for", "equations_html", "export_traces", "fmt", "part_path",
    "previous_state", "reader_for_classifier", "reader_for_lm", "saturation_fractions", "thresholds", "trace_lm",
    "trace_sequence", "trace_translation", "unit_step", "write_csv", "write_npz",
]
