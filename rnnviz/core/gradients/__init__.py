"""Gradients are data too: how far back a loss reaches through a recurrent network, exact by autograd.

A language model reads n tokens; step t = 1 … n−1 reads token t and its loss
ℓ_t is the cross-entropy of predicting token t+1. H_t is the state a layer
(and direction) outputs at step t; an LSTM's memory cell C_t is reported
beside it. For every layer and direction:

- ``g[t] = ‖∂ℓ_{n−1}/∂H_t‖₂``: how much each step's state matters to the last prediction;
- ``G[s, t] = ‖∂ℓ_s/∂H_t‖₂``: the map, row s (a loss), column t (a state);
- ``x[t] = ‖∂ℓ_{n−1}/∂X_t‖₂`` and the map ``X[s, t]``: the input attribution, X_t the
  first layer's input vector (embedding or one-hot);
- LSTM: ``cell_g`` and ``cell_G``, the same for C_t.

The derivatives are exact (autograd) on the model's own weights, with no dropout:
the stack is unrolled step by step on its torch-layout weights (scratch and fused
stacks alike, :mod:`~rnnviz.core.gradients.unrolled`), every state kept as a node
of the graph, and the recomputed forward equals the model's own (tested).
∂ℓ/∂H_t is the gradient with respect to the state as it leaves the step, through
every path: the next step, the layer above, the output layer. For an LSTM, H_t
is perturbed with C_t held, while ∂ℓ/∂C_t perturbs C_t and lets H_t = o ⊙
tanh(C_t) follow, as the cell computes it: the memory's whole influence.

Where a loss cannot depend on a state at all, the value is NaN, not 0, so that a
plot can tell "no path" from "a path that vanished":

- a unidirectional stack (and a decoder): NaN above the diagonal (t > s), in every layer;
- a bidirectional stack's top layer: the forward direction as above; the backward
  direction reads the sequence from its end, so ℓ_s reaches its H_t for t ≥ s
  and its map is NaN *below* the diagonal (t < s); its ``g`` (the last loss) is
  NaN but at t = n−1: look at its first row ``G[1, :]`` instead;
- a bidirectional stack's lower layers: no NaN, since the layer above reads both
  directions at every step and so every loss reaches every state;
- the input map: the union of what the first layer's directions reach;
- an encoder: no NaN (every decoder loss reads the whole encoder through the
  context and the bridged state).

Public API
----------
``gradients_lm(bundle, text, max_tokens=500, *, allow_unknown=False, maps=True) -> Gradients``
    A language model reading ``text``, cleaned and tokenized as its training text.
``gradients_translation(bundle, source, reference, max_tokens=None, *, allow_unknown=False, maps=True)``
    A translation model scoring ``reference`` (teacher forcing): the decoder's
    g, G, x as above; the encoder's ``g`` for the whole target's loss
    L = Σ_s ℓ_s and its maps with one row per decoder loss ℓ_s.
``gradients_memory(bundle, index=0, *, maps=True)``
    A model of a task that needs memory (recall, copy, adding) reading its validation sequence
    ``index``, scored where it is trained (:mod:`~rnnviz.core.gradients.memory`); ``recall_reach``
    picks recall's lesson, G[s, s − lag].
``gradients_sequence(model, inputs, targets, *, tokens=None, labels=None, maps=True) -> Gradients``
    Any model with ``embed``, ``stack`` and ``output`` (an RNNLM, the memory
    tasks' models) reading token ids or numbers, scored at each step by
    cross-entropy on integer targets (negative: no loss there) or by squared
    error on float targets (NaN: no loss there).
``through_time(stack, inputs, step_loss, initial_state=None, *, tokens=None, labels=None, loss_steps=None, maps=True)``
    The general entry: any ``RecurrentStack`` reading ``(T, d)`` inputs, scored
    at every step by ``step_loss(top_outputs, steps) -> losses`` (e.g.
    ``lm_step_loss(output_layer, targets)``; a task without a loss at some steps
    passes ``loss_steps``).
``Gradients``, ``StackGradients``, ``LayerGradients``
    Frozen records of read-only float32 arrays (safe to hand to another thread):
    ``result.get(layer, direction)`` (layer from 1) ``.g``, ``.G``, ``.cell_g``,
    ``.cell_G``, ``.shrink`` (g[1] / g[n−1]); ``result.stack.x`` / ``.X``;
    ``result.losses``; ``result.encoder`` (translation); ``result.notices``;
    ``result.to_npz(path)``, ``Gradients.from_npz(path)``, ``result.to_csv(path)``,
    ``result.summary()`` (JSON-ready). ``export_gradients(result, npz, csv_path)``
    writes both as one transaction. Formats: :mod:`rnnviz.core.gradients.export`.

Bad input raises ``DataError`` with what to do: an empty text, a text of fewer
than two tokens, tokens the vocabulary lacks (named; ``allow_unknown`` reads them
as ``<unk>`` with a notice instead), a translation model without a reference, a
model of the other task, ``max_tokens`` outside ``limits.GRADIENT_TOKENS``.

Speed (``bench/gradients_speed.py``, docs/benchmarks.md "Gradients through time"): 200
characters through a 2-layer LSTM of hidden 256, one thread of a shared 2-core Xeon VM: g in
89 ms of CPU time (180 ms wall at load 5), the whole G map in 0.64 s of CPU time (1.2 s wall),
against 18 ms for one fused forward and backward. The G map costs n² (one row per loss); it is
computed by one batched backward pass per time block of 64 losses (``is_grads_batched``), 7×
faster than one pass per loss (``method="loop"``), which is kept for comparison. Denormal floats
are flushed to zero while computing (``engine.no_denormals``): gradients below 1.2e-38 read 0.

Rooms: :mod:`~rnnviz.core.gradients.records` (the records, numpy only),
:mod:`~rnnviz.core.gradients.export` (NPZ, CSV, summary), :mod:`~rnnviz.core.gradients.unrolled`
(the stack step by step), :mod:`~rnnviz.core.gradients.engine` (the engine, ``through_time``),
:mod:`~rnnviz.core.gradients.bundles` (a model bundle and a text). The per-group gradient norms
during training live in :mod:`rnnviz.core.gradients.norms`. The torch rooms load on first use of
one of their names, so importing the package does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnnviz.core.lazy import lazy_exports

from rnnviz.core.gradients.export import CSV_HEADER, FORMAT, VERSION, arrays, export_gradients, read_npz, summary
from rnnviz.core.gradients.records import (
    DEFAULT_MAX_TOKENS,
    DIRECTIONS,
    Gradients,
    LayerGradients,
    StackGradients,
)

if TYPE_CHECKING:
    from rnnviz.core.gradients.bundles import gradients_lm, gradients_sequence, gradients_translation
    from rnnviz.core.gradients.engine import (
        DEFAULT_METHOD, METHODS, StepLoss, lm_step_loss, reach, through_time,
    )
    from rnnviz.core.gradients.memory import gradients_memory, recall_reach
    from rnnviz.core.gradients.unrolled import StackRun, run_stack

#: Names of the modules that import torch, loaded on first use (PEP 562).
_LAZY: dict[str, str] = {
    "gradients_lm": "bundles", "gradients_sequence": "bundles", "gradients_translation": "bundles",
    "through_time": "engine", "lm_step_loss": "engine", "reach": "engine",
    "StepLoss": "engine", "METHODS": "engine", "DEFAULT_METHOD": "engine",
    "run_stack": "unrolled", "StackRun": "unrolled",
    "gradients_memory": "memory", "recall_reach": "memory",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())

__all__ = [
    "CSV_HEADER", "DEFAULT_MAX_TOKENS", "DEFAULT_METHOD", "DIRECTIONS", "FORMAT", "METHODS", "VERSION",
    "Gradients", "LayerGradients", "StackGradients", "StackRun", "StepLoss", "arrays", "export_gradients",
    "gradients_lm", "gradients_memory", "gradients_translation", "lm_step_loss", "reach", "read_npz",
    "recall_reach", "run_stack", "summary", "through_time",
]
