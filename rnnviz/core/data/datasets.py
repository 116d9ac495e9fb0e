"""Token-id arrays and batches: the book's TimeMachine and MTFraEng, in numpy.

Arrays are numpy (int64) so the data layer needs no torch; training wraps them
with ``torch.from_numpy`` without a copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnnviz.core.config import DataConfig
from rnnviz.core.data.corpora import Corpus, LmCorpus, MtCorpus, load_corpus
from rnnviz.core.data.hub import Progress
from rnnviz.core.data.memory_tasks import MemoryData, build_memory_data
from rnnviz.core.data.tokenize import clean_lm_text, tokenize, tokenize_mt
from rnnviz.core.data.vocab import BOS, EOS, PAD, Vocab
from rnnviz.core.errors import ConfigError, DataError, TextTooShort


def _rng(seed: int, epoch: int, stream: int = 0) -> np.random.Generator:
    """Independent streams: 0 for epoch shuffles, 1 for the split (seed must be >= 0)."""
    return np.random.default_rng([abs(seed), epoch, stream])


def lm_windows(ids: np.ndarray, num_steps: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows starting at ``offset``: inputs X and targets Y = X shifted by one."""
    count = (len(ids) - 1 - offset) // num_steps
    end = offset + count * num_steps
    inputs = ids[offset:end].reshape(count, num_steps)  # (n, T)
    targets = ids[offset + 1:end + 1].reshape(count, num_steps)  # (n, T)
    return inputs, targets


def every_window(ids: np.ndarray, num_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The book's TimeMachine windows: one per start position i, X = ids[i:i+T], Y = ids[i+1:i+T+1].

    Views into ``ids`` (nothing is copied): len(ids) - num_steps windows, as the book's
    ``range(len(corpus) - num_steps)``.
    """
    if len(ids) <= num_steps:
        empty = np.empty((0, num_steps), dtype=ids.dtype)
        return empty, empty
    rows = sliding_window_view(ids, num_steps + 1)  # (len - T, T + 1)
    return rows[:, :-1], rows[:, 1:]  # (n, T) each


def _batched(arrays: tuple[np.ndarray, ...], batch_size: int,
             order: np.ndarray | None) -> Iterator[tuple[np.ndarray, ...]]:
    total = len(arrays[0])
    order = np.arange(total) if order is None else order
    for start in range(0, total, batch_size):
        pick = order[start:start + batch_size]
        yield tuple(a[pick] for a in arrays)


@dataclass(frozen=True, eq=False)
class LmData:
    """A language-model corpus as token ids, split in two by position.

    ``config.lm_sampling`` "random-offset": each training epoch starts the windows
    at a random offset in [0, num_steps) and shuffles them: the partition the
    book's prose describes (section 9.3), so that every epoch sees different cut
    points; validation uses offset 0. "book": the book's TimeMachine class, every
    window (one per start position) of the first num_train + num_val, the
    training ones shuffled each epoch; ``train_ids`` then holds the tokens of the
    num_train training windows and ``val_ids`` those of the validation windows
    (the two overlap by num_steps tokens, as in the book).

    Several sources (``config.sources``, built by rnnviz.core.data.sources): ``train_ids`` and
    ``val_ids`` hold every source's part one after the other, ``train_ends``/``val_ends`` where
    each part ends; windows are cut inside each part, never across two sources.
    """

    vocab: Vocab
    level: str
    train_ids: np.ndarray  # (N_train,) int64
    val_ids: np.ndarray  # (N_val,) int64
    config: DataConfig
    source_names: tuple[str, ...] = ()  # one per source; () for a corpus of one text
    train_ends: tuple[int, ...] = ()  # cumulative: source k's training part is train_ids[ends[k-1]:ends[k]]
    val_ends: tuple[int, ...] = ()

    @staticmethod
    def _parts(ids: np.ndarray, ends: tuple[int, ...]) -> list[np.ndarray]:
        if not ends:
            return [ids]
        return [ids[a:b] for a, b in zip((0, *ends[:-1]), ends)]

    def val_parts(self) -> list[tuple[str, np.ndarray]]:
        """(source, its validation ids) for every source, in the corpus's order."""
        names = self.source_names or (self.config.corpus,)
        return list(zip(names, self._parts(self.val_ids, self.val_ends)))

    @property
    def num_steps(self) -> int:
        return int(self.config.num_steps or 0)

    @property
    def book_sampling(self) -> bool:
        return self.config.lm_sampling == "book"

    def num_train_batches(self) -> int:
        if self.book_sampling:
            windows = max(len(self.train_ids) - self.num_steps, 0)
        else:
            windows = sum((len(p) - 1) // self.num_steps for p in self._parts(self.train_ids, self.train_ends))
        return -(-windows // int(self.config.batch_size or 1))

    def train_batches(self, epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Batches (X, Y), each (B, T), for one epoch; deterministic for (seed, epoch)."""
        rng = _rng(self.config.seed, epoch)
        if self.book_sampling:  # the book's shuffled training loader over every window
            inputs, targets = every_window(self.train_ids, self.num_steps)
        else:
            offset = int(rng.integers(self.num_steps))
            inputs, targets = _joined([lm_windows(p, self.num_steps, offset)
                                       for p in self._parts(self.train_ids, self.train_ends)])
        order = rng.permutation(len(inputs))
        yield from _batched((inputs, targets), int(self.config.batch_size or 1), order)

    def val_batches(self, source: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Validation batches (X, Y) in order: of every source, or of source number ``source`` only."""
        parts = self._parts(self.val_ids, self.val_ends)
        parts = parts if source is None else [parts[source]]
        windows = every_window if self.book_sampling else lm_windows
        cut = [windows(p, self.num_steps) for p in parts if len(p) > self.num_steps]
        if not cut:
            return
        yield from _batched(_joined(cut), int(self.config.batch_size or 1), None)


def _joined(cut: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The windows of several parts as one (n, T) pair; one part's windows as they are (no copy)."""
    if len(cut) == 1:
        return cut[0]
    return np.concatenate([c[0] for c in cut]), np.concatenate([c[1] for c in cut])  # (n, T) each


@dataclass(frozen=True, eq=False)
class MtSplit:
    """Padded id arrays for one split, as the book's MTFraEng builds them."""

    pairs: tuple[tuple[str, str], ...]  # the raw sentences, for probes and BLEU
    src: np.ndarray  # (n, T): tokens, <eos>, then <pad>
    tgt_in: np.ndarray  # (n, T): <bos>, tokens, <eos>, <pad>... (decoder input)
    tgt_out: np.ndarray  # (n, T): tokens, <eos>, <pad>... (labels; <pad> is masked out)
    src_valid_len: np.ndarray  # (n,) tokens before the padding, <eos> included

    def __len__(self) -> int:
        return len(self.src)

    def batches(self, batch_size: int, order: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, ...]]:
        """Batches (src, tgt_in, src_valid_len, tgt_out)."""
        yield from _batched((self.src, self.tgt_in, self.src_valid_len, self.tgt_out), batch_size, order)


@dataclass(frozen=True, eq=False)
class MtData:
    src_vocab: Vocab
    tgt_vocab: Vocab
    train: MtSplit
    val: MtSplit
    test: MtSplit
    config: DataConfig
    #: How many source and target sentences were cut to num_steps (the book trims silently).
    trimmed: tuple[int, int] = field(default=(0, 0))

    def num_train_batches(self) -> int:
        return -(-len(self.train) // int(self.config.batch_size or 1))

    def train_batches(self, epoch: int) -> Iterator[tuple[np.ndarray, ...]]:
        order = _rng(self.config.seed, epoch).permutation(len(self.train))
        yield from self.train.batches(int(self.config.batch_size or 1), order)

    def val_batches(self) -> Iterator[tuple[np.ndarray, ...]]:
        yield from self.val.batches(int(self.config.batch_size or 1))


def build_lm_data(corpus: LmCorpus, config: DataConfig) -> LmData:
    # The cleaning rule is made concrete here so a checkpoint can clean prompts the same way.
    config = replace(config.resolved("lm"), lm_cleaning=config.lm_cleaning or corpus.info.lm_cleaning)
    num_steps = int(config.num_steps or 0)
    cleaning = config.lm_cleaning
    tokens = tokenize(clean_lm_text(corpus.text, cleaning), config.token_level)
    # The book's character vocabulary reserves only <unk> (28 tokens for The Time Machine).
    vocab = Vocab(tokens, min_freq=int(config.min_freq or 0), reserved=())
    ids = np.asarray(vocab.indices(tokens), dtype=np.int64)
    if config.lm_sampling == "book":
        return _book_lm_data(corpus, config, vocab, ids)
    n_val = int(len(ids) * config.val_fraction)
    need_train, need_val = num_steps + 1, (num_steps + 1 if config.val_fraction > 0 else 0)
    if len(ids) - n_val < need_train or n_val < need_val:
        unit = "characters" if config.token_level == "char" else "words"
        minimum = int(np.ceil(max(need_train / (1 - config.val_fraction),
                                  need_val / config.val_fraction if need_val else 0)))
        raise TextTooShort(
            f"{corpus.info.name} is too short for one window: it has {len(ids)} {unit} after "
            f"cleaning, and num_steps={num_steps} with {config.val_fraction:.0%} held out for "
            f"validation needs at least {minimum}. Use a longer text or a smaller num_steps.",
            corpus.info.name, len(ids), unit, minimum)
    return LmData(vocab, config.token_level, ids[:len(ids) - n_val], ids[len(ids) - n_val:], config)


def _book_lm_data(corpus: LmCorpus, config: DataConfig, vocab: Vocab, ids: np.ndarray) -> LmData:
    """The book's TimeMachine: windows num_train..num_train + num_val - 1 validate, those before train."""
    num_steps, num_train, num_val = int(config.num_steps or 0), int(config.num_train or 0), int(config.num_val or 0)
    windows = len(ids) - num_steps  # the book's range(len(corpus) - num_steps)
    if windows <= num_train:  # the book would train on fewer windows and validate on none
        unit = "characters" if config.token_level == "char" else "words"
        raise DataError(
            f"{corpus.info.name} is too short for the book's sampling: it has {len(ids):,} {unit} after cleaning, "
            f"and {num_train:,} training windows of {num_steps} with validation windows after them need at least "
            f"{num_train + num_steps + 1:,}. Use a longer text, a smaller num_train, or random-offset sampling."
        )
    end = min(num_train + num_val, windows)
    # Tokens the windows read: window i covers ids[i : i + num_steps + 1].
    return LmData(vocab, config.token_level, ids[:num_train + num_steps], ids[num_train:end + num_steps], config)


def _pad_or_trim(tokens: list[str], length: int) -> list[str]:
    return tokens[:length] if len(tokens) > length else tokens + [PAD] * (length - len(tokens))


def _mt_split(pairs: list[tuple[list[str], list[str]]], raw: list[tuple[str, str]],
              src_vocab: Vocab, tgt_vocab: Vocab, num_steps: int) -> MtSplit:
    src = np.array([src_vocab.indices(_pad_or_trim(s + [EOS], num_steps)) for s, _ in pairs],
                   dtype=np.int64).reshape(len(pairs), num_steps)
    tgt = np.array([tgt_vocab.indices([BOS] + _pad_or_trim(t + [EOS], num_steps)) for _, t in pairs],
                   dtype=np.int64).reshape(len(pairs), num_steps + 1)
    valid = (src != src_vocab.index(PAD)).sum(axis=1).astype(np.int64)
    return MtSplit(tuple(raw), src, tgt[:, :-1], tgt[:, 1:], valid)


def _book_mt_data(corpus: MtCorpus, config: DataConfig) -> MtData:
    """The book's MTFraEng: the first num_train pairs train, the next num_val + 1 validate (its loop
    reads line num_train + num_val too), and the vocabularies count the padded or trimmed
    sentences of both, min_freq 2, as its ``_build_arrays``; no test split."""
    num_steps, num_train, num_val = int(config.num_steps or 0), int(config.num_train or 0), int(config.num_val or 0)
    raw = list(corpus.pairs[:num_train + num_val + 1])
    if len(raw) <= num_train:
        n = len(raw)
        raise DataError(
            f"{corpus.info.name} has {n:,} sentence pair{'s' if n != 1 else ''}: the book's split trains on the "
            f"first {num_train:,} (num_train, or max_examples) and validates on the pairs after them, so it needs "
            f"at least {num_train + 1:,}. Use a smaller num_train, or leave num_train and num_val out to split "
            "by fractions."
        )
    tokens = [(tokenize_mt(s), tokenize_mt(t)) for s, t in raw]
    min_freq = int(config.min_freq or 0)
    # The source never holds <bos>: the book's source vocabulary has none (194 tokens for 512 + 128 pairs).
    src_vocab = Vocab((_pad_or_trim(s + [EOS], num_steps) for s, _ in tokens), min_freq=min_freq,
                      reserved=(PAD, EOS))
    tgt_vocab = Vocab(([BOS] + _pad_or_trim(t + [EOS], num_steps) for _, t in tokens), min_freq=min_freq)
    splits = [_mt_split(tokens[a:b], raw[a:b], src_vocab, tgt_vocab, num_steps)
              for a, b in ((0, num_train), (num_train, len(raw)), (len(raw), len(raw)))]
    trimmed = (sum(len(s) + 1 > num_steps for s, _ in tokens), sum(len(t) + 1 > num_steps for _, t in tokens))
    return MtData(src_vocab, tgt_vocab, *splits, config=config, trimmed=trimmed)


def build_mt_data(corpus: MtCorpus, config: DataConfig) -> MtData:
    config = config.resolved("mt")
    if config.uses_book_split("mt"):
        return _book_mt_data(corpus, config)
    num_steps = int(config.num_steps or 0)
    raw = list(corpus.pairs[:config.max_examples] if config.max_examples else corpus.pairs)
    n = len(raw)
    n_val, n_test = round(n * config.val_fraction), round(n * config.test_fraction)
    n_train = n - n_val - n_test
    if n_train < 1 or (config.val_fraction > 0 and n_val < 1) or (config.test_fraction > 0 and n_test < 1):
        raise DataError(
            f"{corpus.info.name} has {n} sentence pair{'s' if n != 1 else ''}: that leaves {n_train} for "
            f"training, {n_val} for validation (val_fraction={config.val_fraction}) and {n_test} for test "
            f"(test_fraction={config.test_fraction}), and each needs at least one. Add pairs, or change "
            "the fractions (0 turns a split off)."
        )
    # The book takes the first pairs of a length-sorted file; shuffling before the
    # split keeps the validation and test sets from being the longest sentences.
    order = _rng(config.seed, 0, stream=1).permutation(n)
    raw = [raw[i] for i in order]
    tokens = [(tokenize_mt(s), tokenize_mt(t)) for s, t in raw]
    bounds = (n_train, n - n_test)
    train_tok = tokens[:bounds[0]]
    min_freq = int(config.min_freq or 0)
    src_vocab = Vocab((s for s, _ in train_tok), min_freq=min_freq)
    tgt_vocab = Vocab((t for _, t in train_tok), min_freq=min_freq)
    splits = [
        _mt_split(tokens[a:b], raw[a:b], src_vocab, tgt_vocab, num_steps)
        for a, b in ((0, bounds[0]), (bounds[0], bounds[1]), (bounds[1], n))
    ]
    trimmed = (sum(len(s) + 1 > num_steps for s, _ in tokens), sum(len(t) + 1 > num_steps for _, t in tokens))
    return MtData(src_vocab, tgt_vocab, *splits, config=config, trimmed=trimmed)


def build_data(config: DataConfig, progress: Progress | None = None,
               download: bool = True) -> LmData | MtData | MemoryData:
    """Load the configured corpus and cut it into the task's arrays (a task that needs memory is generated)."""
    if config.memory_task is not None:
        return build_memory_data(config)
    if config.sources:  # a language model on several texts
        from rnnviz.core.data.sources import build_sources_data

        return build_sources_data(config, progress, download)
    corpus: Corpus = load_corpus(config.corpus, config.task, progress, download)
    if isinstance(corpus, MtCorpus):
        return build_mt_data(corpus, config)
    if config.token_level not in ("char", "word"):
        raise ConfigError(f"token_level must be 'char' or 'word', not {config.token_level!r}.")
    return build_lm_data(corpus, config)
