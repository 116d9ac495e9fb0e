"""A language model's corpus of several texts (issue 18): one vocabulary, each text split on its own.

``DataConfig(corpus=A, sources=(B, C))`` reads A, B and C (names from ``rnnviz data list`` or
file paths). Every text is cleaned by one rule (the config's, else the rule the texts share,
else "lower", which keeps every text's letters), one vocabulary counts the tokens of all of
them, and each text gives its own first 1 - val_fraction to training and the rest to
validation, so that every source is in the validation set. :class:`LmData` keeps the parts
apart: training windows never straddle two sources, and :func:`perplexity_by_source` reads
each source's validation windows alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from rnnviz.core.config import DataConfig
from rnnviz.core.data.corpora import LmCorpus, MtCorpus, get_info, list_corpora, load_corpus
from rnnviz.core.data.datasets import LmData
from rnnviz.core.data.hub import Progress
from rnnviz.core.data.tokenize import LmCleaning, clean_lm_text, tokenize
from rnnviz.core.data.vocab import Vocab
from rnnviz.core.errors import DataError, TextTooShort

__all__ = ["SourcePerplexity", "SourceShare", "build_lm_sources", "build_sources_data", "common_cleaning",
           "load_sources", "perplexity_by_source", "source_labels", "source_shares"]

_LM_NAMES = "text files, or phrasebook-en, phrasebook-fr, time-machine"


class SourcePerplexity(NamedTuple):
    """A model's perplexity on one source's validation text (None: the source has no validation window)."""

    source: str
    tokens: int  # the tokens predicted
    perplexity: float | None


@dataclass(frozen=True)
class SourceShare:
    """How much of a corpus of several texts one source is, once cleaned."""

    source: str
    characters: int
    words: int
    share: float  # of the corpus's characters, 0 … 1


def source_labels(names: tuple[str, ...] | list[str]) -> list[str]:
    """Short names for tables: a registered name as it is, a file by its name (its path where two files share
    a name)."""
    registered = {info.name for info in list_corpora()}
    short = [n if n in registered else Path(n).name or n for n in names]
    return [s if short.count(s) == 1 else n for s, n in zip(short, names)]


def _load_one(name: str, progress: Progress | None, download: bool) -> LmCorpus:
    registered = {info.name for info in list_corpora()}
    if name in registered:
        info = get_info(name)
        if info.source == "generated":
            raise DataError(f"{name} is a task generated from a seed, not a text: it cannot be a source of a "
                            f"language model's corpus. Give {_LM_NAMES}.")
        if info.task == "mt":
            raise DataError(f"{name} is a translation corpus (sentence pairs), not a text: a corpus of several "
                            f"sources is for a language model. Give {_LM_NAMES}.")
    corpus = load_corpus(name, None, progress, download)  # a missing, empty or binary file: its own message
    if isinstance(corpus, MtCorpus):
        raise DataError(f"{name} looks like a translation file (it is .tsv, or its first line has a TAB), not "
                        "a text: a corpus of several sources is for a language model. Give a plain text file "
                        "(TABs replaced by spaces), or train a translation model on it alone.")
    return corpus


def _identity(name: str) -> str:
    """What makes two sources the same text: a registered name, or the file's resolved path."""
    if name in {info.name for info in list_corpora()}:
        return name
    return str(Path(name).expanduser().resolve())


def load_sources(config: DataConfig, progress: Progress | None = None, download: bool = True) -> list[LmCorpus]:
    """Every source of ``config`` (corpus, then sources) loaded as text; DataError names a wrong one."""
    seen: dict[str, str] = {}
    corpora = []
    for name in config.all_sources:
        key = _identity(name)
        if key in seen:
            raise DataError(f"{name} and {seen[key]} are the same text, given twice as sources; give each "
                            "text once.")
        seen[key] = name
        corpora.append(_load_one(name, progress, download))
    return corpora


def common_cleaning(corpora: list[LmCorpus], rule: LmCleaning | None = None) -> LmCleaning:
    """One rule for every source: ``rule`` when given, else the rule they share, else "lower" (the
    book's letters-only rule would strip an accented text's letters)."""
    if rule is not None:
        return rule
    rules = {c.info.lm_cleaning for c in corpora}
    return rules.pop() if len(rules) == 1 else "lower"


def _too_short(name: str, count: int, config: DataConfig) -> DataError:
    num_steps, fraction = int(config.num_steps or 0), config.val_fraction
    unit = "characters" if config.token_level == "char" else "words"
    need_val = num_steps + 1 if fraction > 0 else 0
    minimum = int(np.ceil(max((num_steps + 1) / (1 - fraction), need_val / fraction if need_val else 0)))
    return TextTooShort(f"the source {name} is too short for one window: it has {count:,} {unit} after cleaning, "
                        f"and each source gives {fraction:.0%} of itself to validation, so num_steps={num_steps} "
                        f"needs at least {minimum:,}. Use a longer text, a smaller num_steps, or leave it out.",
                        name, count, unit, minimum)


def build_lm_sources(corpora: list[LmCorpus], config: DataConfig, names: tuple[str, ...] | None = None) -> LmData:
    """The LmData of several texts: one vocabulary over all, each text split into training and validation."""
    rule = common_cleaning(corpora, config.lm_cleaning)
    config = replace(config.resolved("lm"), lm_cleaning=rule)
    num_steps = int(config.num_steps or 0)
    streams = [tokenize(clean_lm_text(c.text, rule), config.token_level) for c in corpora]
    labels = source_labels(list(names or config.all_sources))
    vocab = Vocab(list(itertools.chain.from_iterable(streams)), min_freq=int(config.min_freq or 0), reserved=())
    train_parts, val_parts = [], []
    for label, tokens in zip(labels, streams):
        ids = np.asarray(vocab.indices(tokens), dtype=np.int64)  # (N_k,)
        n_val = int(len(ids) * config.val_fraction)
        if len(ids) - n_val < num_steps + 1 or (config.val_fraction > 0 and n_val < num_steps + 1):
            raise _too_short(label, len(ids), config)
        train_parts.append(ids[:len(ids) - n_val])
        val_parts.append(ids[len(ids) - n_val:])
    ends = [tuple(int(e) for e in np.cumsum([len(p) for p in parts])) for parts in (train_parts, val_parts)]
    return LmData(vocab, config.token_level, np.concatenate(train_parts), np.concatenate(val_parts), config,
                  tuple(labels), ends[0], ends[1])


def build_sources_data(config: DataConfig, progress: Progress | None = None, download: bool = True) -> LmData:
    """Load every source of ``config`` and cut the corpus (``datasets.build_data`` calls it for sources)."""
    return build_lm_sources(load_sources(config, progress, download), config)


def source_shares(corpora: list[LmCorpus], rule: LmCleaning | None = None,
                  names: tuple[str, ...] | list[str] | None = None) -> list[SourceShare]:
    """Characters and words of each source, cleaned by the rule the corpus of them all uses, and its share."""
    rule = common_cleaning(corpora, rule)
    cleaned = [clean_lm_text(c.text, rule) for c in corpora]
    total = sum(len(t) for t in cleaned) or 1
    labels = source_labels(list(names or [c.info.name for c in corpora]))
    return [SourceShare(label, len(text), len(tokenize(text, "word")), len(text) / total)
            for label, text in zip(labels, cleaned)]


def _windows_for(bundle: Any, data: LmData, source: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Source ``source``'s validation batches in the model's own vocabulary (a model trained on other texts
    reads a token it never saw as <unk>)."""
    model_vocab = bundle.vocabs[0]
    if model_vocab == data.vocab:
        return list(data.val_batches(source))
    tokens = data.vocab.to_tokens(data.val_parts()[source][1].tolist())
    ids = np.asarray(model_vocab.indices(tokens), dtype=np.int64)  # (N,)
    alone = LmData(model_vocab, data.level, ids[:0], ids, data.config)
    return list(alone.val_batches())


def perplexity_by_source(bundle: Any, data: LmData, max_batches: int | None = None) -> list[SourcePerplexity]:
    """The model's perplexity on each source's validation windows, in the corpus's order.

    ``bundle`` is a ModelBundle of a language model; ``data`` need not be the data it trained on (a
    model of one author read on another's text). With one source it equals the perplexity of the
    whole validation set. ``max_batches`` reads at most that many batches of each source.
    """
    from rnnviz.core.metrics import perplexity
    from rnnviz.core.train import validate

    model = bundle.model
    device = next(model.parameters()).device
    results = []
    for k, (name, _ids) in enumerate(data.val_parts()):
        batches = _windows_for(bundle, data, k)
        batches = batches if max_batches is None else batches[:max_batches]
        tokens = sum(int(model.count_tokens(b)) for b in batches)
        loss = validate(model, batches, device).loss
        results.append(SourcePerplexity(name, tokens, None if loss is None else perplexity(loss)))
    return results
