"""How long a run will take, before it starts: seconds per epoch from the model, the data and the batch.

No torch and no Qt: plain arithmetic on the configs, fast enough to redo on every
keystroke in the Config dock. The cost of one training batch is modelled as

    a0 + a_step · T · (layer-directions) + MACs / rate + a_param · parameters + a_elem · elements

- ``a0``: the fixed cost of a step (Python, the loss, zeroing gradients);
- ``a_step``: each time step of each layer-direction launches kernels (torch's fused
  loop in C++, or the book's equations in Python for a scratch stack: far dearer);
- ``MACs``: multiply-accumulates of the forward pass times 3 (the backward pass costs
  about twice the forward): input and hidden matmuls of every gate block, the output layer;
- ``a_param``: gradient clipping and the optimizer touch every parameter once per batch;
- ``a_elem``: element-wise work on every activation: the gates' sigmoids and tanhs and their
  products, and the softmax and cross-entropy over the output vocabulary at every position.

An epoch is the training batches plus a validation pass (forward only, about a third
of a training step). The corpora the app ships or downloads have their sizes measured
here (``CORPUS_SIZES``); a user's file is sized from its bytes.

Calibration (``CALIBRATION``): ``python bench/estimate_calibration.py`` times full
training steps (forward, backward, clipping, optimizer) of thirteen models the app builds
(language models from RNN 32 to a 2×256 bidirectional LSTM, scratch stacks, encoder–decoders
with 200 to 15,889 target words), with one torch thread as the app trains on two cores, the
fastest of interleaved rounds (the development VM is shared: others only slow a step down),
and fits the constants by non-negative least squares on the relative error. On the 2-core
development VM it predicted those models' step times within 0.63 to 1.37 of the measured
ones. Another machine is faster or slower by a roughly constant factor: ``Calibration.scaled``
takes the ratio of a measured tokens/s to the predicted one. The UI says "about".
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

from rnnviz.core.config import BOOK_SPLIT, GATES, TASK_DEFAULTS, DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.limits import MODEL_PARAMETERS, check_memory

#: Above this many seconds a run is "long": the UI warns before it starts and offers a smaller size.
LONG_RUN_S = 600.0
#: A run this long is what a lecture can wait for ("about a minute").
CLASS_RUN_S = 90.0
#: The book's translation data: MTFraEng(num_train=512, num_val=128) (D2L section 10.5): 640 pairs.
BOOK_MT_TRAIN, BOOK_MT_VAL = BOOK_SPLIT["mt"]
BOOK_MT_PAIRS = BOOK_MT_TRAIN + BOOK_MT_VAL
#: Validation: a forward pass over val_fraction of the data, about a third of a training step.
_VAL_COST = 0.35


@dataclass(frozen=True)
class Calibration:
    """Seconds per unit of each cost term (see the module doc)."""

    batch_s: float  # a0: per training batch
    step_s: float  # per time step and layer-direction, torch's fused kernels
    scratch_step_s: float  # the same for the book's equations, step by step in Python
    mac_s: float  # per multiply-accumulate (forward; the terms carry the ×3 for backward)
    param_s: float  # per parameter per batch (clipping, optimizer)
    element_s: float  # per activation element (gate non-linearities, softmax over the vocabulary)

    def as_tuple(self) -> tuple[float, ...]:
        return (self.batch_s, self.step_s, self.scratch_step_s, self.mac_s, self.param_s, self.element_s)

    def scaled(self, factor: float) -> Calibration:
        """Every constant × ``factor``: a machine ``1/factor`` times as fast as the calibration's."""
        return Calibration(*(c * factor for c in self.as_tuple()))


# 2-core x86_64 VM, torch 2.13.0+cpu, 1 thread (as the app trains beside the GUI), fastest of
# 2 interleaved rounds × 5 repeats: python bench/estimate_calibration.py --rounds 2.
CALIBRATION = Calibration(2.789e-3, 0.0, 1.516e-4, 1.171e-11, 1.099e-8, 4.363e-9)


@dataclass(frozen=True)
class CorpusSize:
    """What an epoch is made of: tokens (language model) or sentence pairs (translation)."""

    units: int  # LM: tokens after cleaning; MT: sentence pairs
    vocab: tuple[int, ...]  # LM: (V,); MT: (source V, target V) at ``units`` pairs
    measured: bool = True  # False: guessed from a file's bytes


#: Measured with rnnviz's own data pipeline (build_data) on the book's files and the phrasebook.
CORPUS_SIZES: dict[tuple[str, str], CorpusSize] = {
    ("phrasebook-en", "char"): CorpusSize(333_234, (25,)),
    ("phrasebook-en", "word"): CorpusSize(67_692, (133,)),
    ("phrasebook-fr", "char"): CorpusSize(394_618, (36,)),
    ("phrasebook-fr", "word"): CorpusSize(70_000, (160,)),
    ("time-machine", "char"): CorpusSize(173_427, (28,)),
    ("time-machine", "word"): CorpusSize(32_775, (4_580,)),
    ("phrasebook", "mt"): CorpusSize(12_000, (138, 242)),
    ("fra-eng", "mt"): CorpusSize(167_130, (9_126, 15_889)),
}
#: Vocabulary sizes (min_freq 2) of fra-eng's first N pairs: the vocabulary grows with the data.
_FRA_ENG_VOCAB: tuple[tuple[int, int, int], ...] = (
    (640, 166, 176), (5_000, 766, 1_043), (40_000, 3_399, 5_508), (167_130, 9_126, 15_889))


def _interpolate_vocab(pairs: int, table: tuple[tuple[int, int, int], ...]) -> tuple[int, int]:
    """Log-log interpolation (Heaps' law, piece by piece), clamped at the ends."""
    if pairs <= table[0][0]:
        first = table[0]
        return max(8, round(first[1] * pairs / first[0])), max(8, round(first[2] * pairs / first[0]))
    for (n0, s0, t0), (n1, s1, t1) in zip(table, table[1:]):
        if pairs <= n1:
            w = math.log(pairs / n0) / math.log(n1 / n0)
            return round(s0 * (s1 / s0) ** w), round(t0 * (t1 / t0) ** w)
    return table[-1][1], table[-1][2]


def corpus_size(data: DataConfig, task: str) -> CorpusSize | None:
    """The size of the corpus ``data`` names, cut to ``max_examples``; None when it cannot be told."""
    if data.sources:  # a language model of several texts: their tokens together, the largest vocabulary
        parts = [corpus_size(replace(data, corpus=name, sources=()), task) for name in data.all_sources]
        if any(part is None for part in parts):
            return None
        return CorpusSize(sum(p.units for p in parts), (max(p.vocab[0] for p in parts),),  # type: ignore[union-attr]
                          all(p.measured for p in parts))  # type: ignore[union-attr]
    key = (data.corpus, "mt" if task == "mt" else data.token_level)
    size = CORPUS_SIZES.get(key)
    if size is None:
        size = _file_size(data.corpus, task, data.token_level)
        if size is None:
            return None
    if task == "mt" and data.max_examples and data.max_examples < size.units:
        n = data.max_examples
        if data.corpus == "fra-eng":
            vocab = _interpolate_vocab(n, _FRA_ENG_VOCAB)
        else:  # a small corpus's vocabulary is nearly whole after a few hundred pairs
            vocab = tuple(max(8, round(v * min(1.0, (n / size.units) ** 0.3))) for v in size.vocab)
        return CorpusSize(n, vocab, size.measured)
    return size


def _file_size(path: str, task: str, level: str) -> CorpusSize | None:
    """A user's text file, sized from its bytes (a guess: the UI says so)."""
    try:
        file = Path(path).expanduser()
        if not file.is_file():
            return None
        size = os.stat(file).st_size
        if task == "mt":
            with open(file, "rb") as handle:
                pairs = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            pairs = max(pairs, 1)
            return CorpusSize(pairs, _interpolate_vocab(pairs, _FRA_ENG_VOCAB), measured=False)
    except OSError:
        return None
    if level == "word":
        words = max(1, size // 6)  # English prose: about 5.3 characters a word with its space
        return CorpusSize(words, (min(50_000, round(4_580 * (words / 32_775) ** 0.6)),), measured=False)
    return CorpusSize(size, (60,), measured=False)


# ---- the cost of one batch ---------------------------------------------------------------------

def _stack_terms(spec: StackSpec, input_size: int) -> tuple[int, float, float]:
    """(layer-directions, MACs per position, gate activations per position) of one stack."""
    blocks = len(GATES[spec.cell])
    directions, macs, elements = 0, 0.0, 0.0
    for layer in range(spec.num_layers):
        d = spec.layer_input_size(layer, input_size)
        for h in spec.direction_sizes(layer):
            directions += 1
            macs += blocks * (d * h + h * h)
            elements += blocks * h
    return directions, macs, elements


def cost_terms(model: ModelConfig, vocab: tuple[int, ...], batch: int, num_steps: int) -> tuple[float, ...]:
    """The six terms of one training batch, in ``Calibration``'s order (multiply by it, then add)."""
    from rnnviz.core.models.anatomy import anatomy  # plain arithmetic, no torch

    positions = batch * num_steps
    fused = scratch = 0.0
    if model.task == "lm":
        width = model.embed_size or vocab[0]  # one-hot inputs: a dense V-wide matmul
        dirs, macs, elements = _stack_terms(model.stack, width)
        macs += model.stack.output_size * vocab[0]
        elements += vocab[0] + (vocab[0] if model.embed_size is None else 0)  # softmax; the one-hot input
        stacks = [(model.stack, dirs)]
    else:
        assert model.decoder is not None and model.embed_size is not None
        enc_dirs, enc_macs, enc_elements = _stack_terms(model.stack, model.embed_size)
        # The decoder's first layer reads [embedding; context], the context being the encoder's top output.
        dec_dirs, dec_macs, dec_elements = _stack_terms(model.decoder, model.embed_size + model.stack.output_size)
        macs = enc_macs + dec_macs + model.decoder.output_size * vocab[-1]
        elements = enc_elements + dec_elements + vocab[-1]
        stacks = [(model.stack, enc_dirs), (model.decoder, dec_dirs)]
    for spec, dirs in stacks:
        if spec.resolved_implementation == "fused":
            fused += num_steps * dirs
        else:
            scratch += num_steps * dirs
    try:
        params = float(anatomy(model, vocab).total_params)
    except Exception:  # noqa: BLE001 — a vocabulary the anatomy refuses: count the matmuls' weights
        params = macs
    return (1.0, fused, scratch, 3.0 * macs * positions, params, elements * positions)


# ---- memory ---------------------------------------------------------------------------------------

#: Float32 copies of every weight a training step holds: the weights and their gradients, and Adam's two moments.
_WEIGHT_COPIES = {"sgd": 2, "adam": 4}
#: Copies of every activation: the forward value, the one autograd saves, and its gradient.
_ACTIVATION_COPIES = 3


def training_bytes(model: ModelConfig, vocab: tuple[int, ...], batch: int, num_steps: int,
                   optimizer: str = "sgd") -> float:
    """About how many bytes one training step needs (float32): weights, gradients and optimizer
    state, and the activations of a batch (gates, states, one-hot inputs, logits and softmax)."""
    terms = cost_terms(model, vocab, batch, num_steps)
    params, elements = terms[4], terms[5]
    return 4.0 * (params * _WEIGHT_COPIES.get(optimizer, 4) + elements * _ACTIVATION_COPIES)


def check_training_memory(data: DataConfig, model: ModelConfig, train: TrainConfig, vocab: tuple[int, ...],
                          available: int | None = None) -> None:
    """Refuse, before the model is built, a run whose model or batch would not fit: the model's
    weights with its vocabulary (the output layer grows with it) against the fixed limit, then the
    whole step against the memory free now (``available``: for tests). Raises ConfigError."""
    from rnnviz.core.models.anatomy import anatomy  # plain arithmetic, no torch

    params = anatomy(model, vocab).total_params  # a vocabulary of no token: ConfigError
    if not MODEL_PARAMETERS.contains(params):
        raise ConfigError(f"with a vocabulary of {' and '.join(f'{v:,}' for v in vocab)} tokens the model has "
                          f"{params:,} weights: {MODEL_PARAMETERS.message(params)}")
    task = model.task
    batch = int(data.batch_size or TASK_DEFAULTS[task]["batch_size"])
    steps = int(data.num_steps or TASK_DEFAULTS[task]["num_steps"])
    check_memory(f"training this model ({params:,} weights) on batches of {batch:,} × {steps:,} tokens",
                 training_bytes(model, vocab, batch, steps, train.optimizer),
                 "lower the batch size, the window (num_steps) or the model's size.", available)


# ---- a run ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunEstimate:
    """What a run will cost on this machine, before it starts."""

    seconds_per_epoch: float
    epochs: int
    batches_per_epoch: int
    units: int  # tokens (LM) or sentence pairs (MT) in the corpus as cut
    unit_name: str  # "characters", "words" or "sentence pairs"
    measured_size: bool  # False: the corpus was sized from its bytes

    @property
    def total_s(self) -> float:
        return self.seconds_per_epoch * self.epochs

    @property
    def is_long(self) -> bool:
        return self.total_s > LONG_RUN_S

    def text(self) -> str:
        """"about 40 s on this machine" (with the epoch's cost when there are several)."""
        per = f" ({format_duration(self.seconds_per_epoch, about=False)} an epoch)" if self.epochs > 1 else ""
        return f"{format_duration(self.total_s)} on this machine{per}"


def format_duration(seconds: float, about: bool = True) -> str:
    """"about 40 s", "about 3 min", "about 2 h 10 min", "about 19 h"; rounded as an estimate deserves."""
    if seconds < 1:
        text = "under 1 s"
        return text if not about else "under a second"
    if seconds < 60:
        text = f"{max(1, round(seconds / 5) * 5) if seconds >= 10 else round(seconds)} s"
    elif seconds < 3600:
        text = f"{round(seconds / 60)} min"
    elif seconds < 10 * 3600:
        hours, minutes = divmod(round(seconds / 600) * 10, 60)
        text = f"{hours} h" + (f" {minutes} min" if minutes else "")
    else:
        text = f"{round(seconds / 3600)} h"
    return f"about {text}" if about else text


def estimate_run(data: DataConfig, model: ModelConfig, train: TrainConfig,
                 calibration: Calibration = CALIBRATION) -> RunEstimate | None:
    """Seconds per epoch and in all for this run on this machine's CPU; None when the corpus is unknown."""
    task = model.task
    book = data.uses_book_split(task)
    if book and task == "mt":  # the vocabulary comes from the training and validation pairs only
        n_train, n_val = _book_mt_sizes(data)
        data = replace(data, max_examples=n_train + n_val, num_train=None, num_val=None)
    size = corpus_size(data, task)
    if size is None:
        return None
    defaults = TASK_DEFAULTS[task]
    batch = int(data.batch_size or defaults["batch_size"])
    steps = int(data.num_steps or defaults["num_steps"])
    if book and task == "lm":  # every window of the first num_train + num_val tokens (TimeMachine)
        n_train = min(data.num_train or BOOK_SPLIT["lm"][0], max(1, size.units - steps))
        batches = max(1, math.ceil(n_train / batch))
        val_batches = (data.num_val or BOOK_SPLIT["lm"][1]) / batch
        unit = "characters" if data.token_level == "char" else "words"
    elif book:
        batches = max(1, math.ceil(n_train / batch))
        val_batches = n_val / batch
        unit = "sentence pairs"
    elif task == "lm":
        train_units = size.units * (1 - data.val_fraction)
        batches = max(1, math.ceil(train_units / steps / batch))
        val_batches = size.units * data.val_fraction / steps / batch
        unit = "characters" if data.token_level == "char" else "words"
    else:
        train_units = size.units * (1 - data.val_fraction - data.test_fraction)
        batches = max(1, math.ceil(train_units / batch))
        val_batches = size.units * data.val_fraction / batch
        unit = "sentence pairs"
    terms = cost_terms(model, size.vocab, batch, steps)
    per_batch = sum(t * c for t, c in zip(terms, calibration.as_tuple()))
    epoch = per_batch * (batches + _VAL_COST * val_batches)
    return RunEstimate(epoch, train.epochs, batches, size.units, unit, size.measured)


def _book_mt_sizes(data: DataConfig) -> tuple[int, int]:
    """(training, validation) pairs of the book's translation split (MTFraEng)."""
    return (data.num_train or data.max_examples or BOOK_MT_TRAIN), (data.num_val or BOOK_MT_VAL)


# ---- what the UI offers -------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    """A smaller run the UI can offer with one click: the book's size, or fewer epochs."""

    label: str  # the button's text, e.g. "Use the book's size (512 + 128 pairs)"
    why: str  # one sentence for the warning
    max_examples: int | None = None  # translation: the first N pairs train (the book's split)
    epochs: int | None = None


def suggest_smaller(data: DataConfig, model: ModelConfig, train: TrainConfig,
                    calibration: Calibration = CALIBRATION) -> Suggestion | None:
    """The book's size when the run is long (or None): 640 pairs for fra-eng, else fewer epochs."""
    estimate = estimate_run(data, model, train, calibration)
    if estimate is None or not estimate.is_long:
        return None
    if model.task == "mt" and data.corpus == "fra-eng" and data.resolved("mt") != replace(
            data, max_examples=BOOK_MT_TRAIN, num_train=None, num_val=BOOK_MT_VAL).resolved("mt"):
        return Suggestion(f"Use the book's size ({BOOK_MT_TRAIN} + {BOOK_MT_VAL} pairs)",
                          f"The book trains on its first {BOOK_MT_TRAIN} pairs and validates on the next "
                          f"{BOOK_MT_VAL} (MTFraEng), enough to see the model learn short phrases.",
                          max_examples=BOOK_MT_TRAIN)
    epochs = int(CLASS_RUN_S * 2 // max(estimate.seconds_per_epoch, 1e-9))
    if 1 <= epochs < train.epochs:
        shorter = replace(train, epochs=epochs)
        guess = estimate_run(data, model, shorter, calibration)
        took = format_duration(guess.total_s) if guess is not None else ""
        return Suggestion(f"Use {epochs} epoch{'s' if epochs != 1 else ''} ({took})",
                          "Fewer epochs show the same shape of the curves in class; train longer at home.",
                          epochs=epochs)
    return None


def how_long(estimate: RunEstimate, train: TrainConfig) -> str:
    """"about 2 hours on this machine's CPU: 30 epochs of 167,130 sentence pairs, 4 min each"."""
    guessed = "" if estimate.measured_size else " (the corpus was sized from its file: a rough guess)"
    return (f"{format_duration(estimate.total_s)} on this machine's CPU: {train.epochs} "
            f"epoch{'s' if train.epochs != 1 else ''} of {estimate.units:,} {estimate.unit_name}, "
            f"{format_duration(estimate.seconds_per_epoch, about=False)} each{guessed}")


def long_run_warning(data: DataConfig, model: ModelConfig, train: TrainConfig,
                     calibration: Calibration = CALIBRATION) -> str | None:
    """What to tell the user before a run of more than ``LONG_RUN_S`` starts; None for a short run.

    The main window asks before it starts training and shows this text with the
    buttons "Train anyway" and the suggestion's label (:func:`suggest_smaller`).
    """
    estimate = estimate_run(data, model, train, calibration)
    if estimate is None or not estimate.is_long:
        return None
    text = f"This run would take {how_long(estimate, train)}."
    suggestion = suggest_smaller(data, model, train, calibration)
    if suggestion is not None:
        text += f" {suggestion.why} {suggestion.label}?"
    else:
        text += " Choose a smaller model or corpus, or train on a GPU (Device)."
    return text
