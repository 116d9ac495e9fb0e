"""Perplexity and the book's BLEU (section 10.7)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


def perplexity(mean_nll: float) -> float:
    """exp of the mean negative log-likelihood per token; inf when it overflows."""
    try:
        return math.exp(mean_nll)
    except OverflowError:
        return math.inf


def _tokens(seq: str | Sequence[str]) -> list[str]:
    return seq.split(" ") if isinstance(seq, str) else list(seq)


def ngram_precision(pred: Sequence[str], label: Sequence[str], n: int) -> float:
    """p_n: matched n-grams of the prediction (each label n-gram used once) over its n-gram count."""
    available = Counter(tuple(label[i:i + n]) for i in range(len(label) - n + 1))
    matches = 0
    for i in range(len(pred) - n + 1):
        gram = tuple(pred[i:i + n])
        if available[gram] > 0:
            matches += 1
            available[gram] -= 1
    return matches / (len(pred) - n + 1)


def bleu(pred_seq: str | Sequence[str], label_seq: str | Sequence[str], k: int) -> float:
    """The book's BLEU: exp(min(0, 1 - len_label/len_pred)) * prod_{n<=k} p_n^(1/2^n).

    Strings are split on single spaces, as the book does; token lists are used
    as they are. An empty prediction scores 0 (the book's formula divides by it).
    """
    pred, label = _tokens(pred_seq), _tokens(label_seq)
    if not pred or pred == [""]:
        return 0.0
    score = math.exp(min(0.0, 1 - len(label) / len(pred)))
    for n in range(1, min(k, len(pred)) + 1):
        score *= ngram_precision(pred, label, n) ** (0.5 ** n)
    return score
