"""BLEU by source length (the book's exercise 2 of section 10.7: how does the encoder–decoder cope
with longer inputs?).

The validation pairs are translated greedily, the book's ``predict_step``, in batches: every source
is read as :func:`rnnviz.core.decoding.greedy.translate` reads it (its words, ``<eos>``, trimmed or
padded to the model's num_steps), and each step takes the most likely token until ``<eos>`` or
num_steps tokens. Each pair is scored with the book's BLEU (k = 2, as its section 10.7 does) against
its reference, and the pairs are grouped by the number of source words into buckets: how many pairs,
their mean BLEU, how many came out exactly right.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rnnviz.core.data.tokenize import tokenize_mt
from rnnviz.core.data.vocab import BOS, EOS
from rnnviz.core.decoding.analysis import BLEU_K
from rnnviz.core.errors import DataError
from rnnviz.core.metrics import bleu

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle

#: Buckets at most: past this many distinct lengths, neighbouring lengths share a bucket.
MAX_BUCKETS = 10
#: Pairs translated per forward pass.
BATCH = 256

Progress = Callable[[int, int], None]  # (pairs done, pairs in all)


@dataclass(frozen=True)
class PairScore:
    source: str
    reference: tuple[str, ...]  # the target as the model was trained on it (the book's preprocessing)
    prediction: tuple[str, ...]  # the greedy translation, without <eos>
    length: int  # source words (punctuation included, <eos> not)
    bleu: float

    @property
    def exact(self) -> bool:
        return self.prediction == self.reference


@dataclass(frozen=True)
class LengthBucket:
    low: int  # source words, inclusive
    high: int
    count: int
    mean_bleu: float
    exact: int  # pairs translated exactly as the reference

    @property
    def label(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


@dataclass(frozen=True)
class BleuByLength:
    buckets: tuple[LengthBucket, ...]
    pairs: tuple[PairScore, ...]
    k: int

    @property
    def mean_bleu(self) -> float:
        return sum(p.bleu for p in self.pairs) / len(self.pairs)

    def rows(self) -> list[list[object]]:
        """A table's rows: source words, pairs, mean BLEU, exact matches."""
        return [[b.label, b.count, round(b.mean_bleu, 4), b.exact] for b in self.buckets]


def greedy_batch(bundle: ModelBundle, sources: Sequence[str]) -> list[tuple[str, ...]]:
    """Greedy translations of ``sources``, as ``greedy.translate`` makes them one by one, in one batch."""
    import torch

    from rnnviz.core.decoding.reading import read_source

    src_vocab, tgt_vocab = bundle.vocabs
    model = bundle.model
    device = next(model.parameters()).device
    readings = [read_source(bundle, s) for s in sources]
    model.eval()
    eos = tgt_vocab.index(EOS)
    with torch.no_grad():
        src = torch.tensor([src_vocab.indices(r.seen) for r in readings], device=device)  # (B, T)
        state, context, _ = model.start(src)
        token = torch.full((len(sources), 1), tgt_vocab.index(BOS), device=device)  # (B, 1)
        steps = []
        for _ in range(src.shape[1]):  # at most num_steps tokens, as translate's default
            logits, state = model.decoder(token, state, context)  # (B, 1, V)
            token = logits[:, -1].argmax(-1, keepdim=True)  # (B, 1)
            steps.append(token[:, 0])
            if bool((torch.stack(steps, 1) == eos).any(1).all()):
                break
        ids = torch.stack(steps, 1).tolist()  # (B, steps)
    out = []
    for row in ids:
        cut = row.index(eos) if eos in row else len(row)
        out.append(tuple(tgt_vocab.to_tokens(row[:cut])))
    return out


def _edges(lengths: Sequence[int]) -> list[tuple[int, int]]:
    low, high = min(lengths), max(lengths)
    width = max(1, math.ceil((high - low + 1) / MAX_BUCKETS))
    return [(start, min(start + width - 1, high)) for start in range(low, high + 1, width)]


def bleu_by_length(bundle: ModelBundle, pairs: Sequence[tuple[str, str]], k: int = BLEU_K,
                   progress: Progress | None = None, stop: Callable[[], bool] | None = None) -> BleuByLength:
    """Translate ``pairs`` (source, reference) greedily and group their BLEU by source length.

    Buckets hold one length each, or neighbouring lengths when there are more than MAX_BUCKETS;
    empty ones are left out. Every pair is in exactly one bucket. ``stop()`` true ends early,
    with the pairs translated so far."""
    if bundle.task != "mt":
        raise DataError("BLEU by source length needs a translation model; this one is a "
                        f"{bundle.task} model.")
    usable = [(s, t) for s, t in pairs if tokenize_mt(s)]
    if not usable:
        raise DataError("there are no validation pairs to translate: train with a validation share (the "
                        "shuffled split keeps 10%, the book's split the pairs after the training ones).")
    scores: list[PairScore] = []
    for start in range(0, len(usable), BATCH):
        if stop is not None and stop():
            break
        chunk = usable[start:start + BATCH]
        for (source, target), predicted in zip(chunk, greedy_batch(bundle, [s for s, _ in chunk])):
            reference = tuple(tokenize_mt(target))
            scores.append(PairScore(source, reference, predicted, len(tokenize_mt(source)),
                                    bleu(list(predicted), list(reference), k)))
        if progress is not None:
            progress(len(scores), len(usable))
    if not scores:
        raise DataError("stopped before any pair was translated.")
    buckets = []
    for low, high in _edges([p.length for p in scores]):
        inside = [p for p in scores if low <= p.length <= high]
        if inside:
            buckets.append(LengthBucket(low, high, len(inside), sum(p.bleu for p in inside) / len(inside),
                                        sum(p.exact for p in inside)))
    return BleuByLength(tuple(buckets), tuple(scores), k)


def validation_pairs(bundle: ModelBundle) -> tuple[tuple[str, str], ...]:
    """The pairs the model was validated on: its data settings cut its corpus again (the same seed,
    the same split). A corpus that cannot be read raises DataError naming it."""
    from rnnviz.core.data.datasets import MtData, build_data

    data = build_data(bundle.data_config, download=False)
    if not isinstance(data, MtData):
        raise DataError(f"{bundle.data_config.corpus} is not a translation corpus.")
    return data.val.pairs
