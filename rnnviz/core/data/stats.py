"""Corpus statistics for the data panel and ``rnnviz data info``.

Language models: characters and words, and the word n-gram frequencies whose
log–log plot the book draws (Zipf's law, section 9.2). Translation: tokens per
sentence on each side, the histogram the book draws in section 10.5.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnviz.core.data.corpora import Corpus, CorpusInfo, MtCorpus
from rnnviz.core.data.tokenize import clean_lm_text, tokenize, tokenize_mt
from rnnviz.core.data.vocab import Vocab


@dataclass(frozen=True, eq=False)
class FreqTable:
    """Distinct items by falling count (ties alphabetical)."""

    items: tuple[str, ...]
    counts: np.ndarray  # (n,) int64, non-increasing

    @classmethod
    def of(cls, counter: Counter[str]) -> FreqTable:
        ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        return cls(tuple(k for k, _ in ranked), np.array([c for _, c in ranked], dtype=np.int64))

    def top(self, k: int = 10) -> list[tuple[str, int]]:
        return [(item, int(count)) for item, count in zip(self.items[:k], self.counts[:k])]


@dataclass(frozen=True, eq=False)
class LmStats:
    info: CorpusInfo
    cleaning: str
    n_chars: int  # after cleaning
    n_words: int
    char_vocab_size: int  # the book's character vocabulary, <unk> included
    word_vocab_size: int
    unigrams: FreqTable
    bigrams: FreqTable
    trigrams: FreqTable


@dataclass(frozen=True, eq=False)
class MtStats:
    info: CorpusInfo
    n_pairs: int
    src_tokens: int
    tgt_tokens: int
    src_vocab_size: int  # tokens seen at least min_freq times, plus the reserved tokens
    tgt_vocab_size: int
    min_freq: int
    src_freqs: FreqTable
    tgt_freqs: FreqTable
    src_lengths: np.ndarray  # (n_pairs,) tokens per source sentence
    tgt_lengths: np.ndarray  # (n_pairs,)

    def length_histogram(self, bins: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bin edges, source counts, target counts); one bin per length by default."""
        top = int(max(self.src_lengths.max(), self.tgt_lengths.max()))
        edges = np.arange(1, top + 2) - 0.5 if bins is None else np.histogram_bin_edges(
            np.concatenate([self.src_lengths, self.tgt_lengths]), bins)
        return edges, np.histogram(self.src_lengths, edges)[0], np.histogram(self.tgt_lengths, edges)[0]


def _ngrams(words: list[str], n: int) -> Counter[str]:
    return Counter(" ".join(gram) for gram in zip(*(words[i:] for i in range(n))))


def lm_stats(corpus: Corpus, cleaning: str | None = None) -> LmStats:
    rule = cleaning or corpus.info.lm_cleaning
    text = clean_lm_text(corpus.text, rule)  # type: ignore[union-attr]
    words = tokenize(text, "word")
    chars = tokenize(text, "char")
    return LmStats(
        corpus.info, rule, len(chars), len(words),
        len(Vocab(chars, reserved=())), len(Vocab(words, reserved=())),
        FreqTable.of(Counter(words)), FreqTable.of(_ngrams(words, 2)), FreqTable.of(_ngrams(words, 3)),
    )


def mt_stats(corpus: MtCorpus, min_freq: int = 2) -> MtStats:
    src = [tokenize_mt(s) for s, _ in corpus.pairs]
    tgt = [tokenize_mt(t) for _, t in corpus.pairs]
    return MtStats(
        corpus.info, len(corpus.pairs), sum(map(len, src)), sum(map(len, tgt)),
        len(Vocab(src, min_freq=min_freq)), len(Vocab(tgt, min_freq=min_freq)), min_freq,
        FreqTable.of(Counter(t for s in src for t in s)), FreqTable.of(Counter(t for s in tgt for t in s)),
        np.array([len(s) for s in src], dtype=np.int64), np.array([len(t) for t in tgt], dtype=np.int64),
    )


def corpus_stats(corpus: Corpus) -> LmStats | MtStats:
    return mt_stats(corpus) if isinstance(corpus, MtCorpus) else lm_stats(corpus)


def stats_to_dict(stats: LmStats | MtStats, top: int = 10) -> dict[str, Any]:
    """Plain JSON-ready summary (the full frequency tables stay in the object)."""
    info = stats.info
    head: dict[str, Any] = {"name": info.name, "task": info.task, "title": info.title,
                            "source": info.source, "provenance": info.provenance,
                            "size_bytes": info.size_bytes}
    if isinstance(stats, LmStats):
        return {**head, "cleaning": stats.cleaning, "characters": stats.n_chars, "words": stats.n_words,
                "char_vocab_size": stats.char_vocab_size, "word_vocab_size": stats.word_vocab_size,
                "top_words": stats.unigrams.top(top), "top_bigrams": stats.bigrams.top(top),
                "top_trigrams": stats.trigrams.top(top)}
    edges, src_hist, tgt_hist = stats.length_histogram()
    return {**head, "pairs": stats.n_pairs, "source_tokens": stats.src_tokens,
            "target_tokens": stats.tgt_tokens, "source_vocab_size": stats.src_vocab_size,
            "target_vocab_size": stats.tgt_vocab_size, "vocab_min_freq": stats.min_freq,
            "top_source_tokens": stats.src_freqs.top(top), "top_target_tokens": stats.tgt_freqs.top(top),
            "length_histogram": {"lengths": [int(e + 0.5) for e in edges[:-1]],
                                 "source": src_hist.tolist(), "target": tgt_hist.tolist()}}
