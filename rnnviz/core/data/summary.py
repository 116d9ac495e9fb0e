"""A corpus summed up for a view: loaded and counted off the GUI thread, the newest request winning.

:func:`load_corpus_stats` loads a corpus (registered or a user's file) and
computes what the Data tab shows: its statistics and, for a language-model
corpus, the words per line. Each request carries a serial number; a job whose
request is no longer the newest (:class:`Serial`) skips its work and returns
None, and the caller drops any result but the newest's. A failure is an
:class:`RnnvizError` whose message is for the user; an unexpected one is
logged and becomes such a message too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from rnnviz.core.data.corpora import LmCorpus, load_corpus
from rnnviz.core.data.stats import LmStats, MtStats, corpus_stats
from rnnviz.core.data.tokenize import clean_lm_text, tokenize
from rnnviz.core.errors import RnnvizError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadRequest:
    """One load asked for: its serial number, the corpus, the task."""

    serial: int
    corpus: str  # registered name or file path
    task: str | None  # None: a file whose task is guessed from its name and first line


@dataclass(frozen=True)
class Loaded:
    """One finished load: what a view shows of the corpus."""

    corpus: str
    task: str
    stats: LmStats | MtStats
    line_lengths: np.ndarray | None  # LM: words per non-empty line
    is_file: bool


class Serial:
    """The newest request's number; workers read it to skip superseded work."""

    def __init__(self) -> None:
        self.value = 0


def words_per_line(corpus: LmCorpus) -> np.ndarray:
    """Words in each non-empty line, once cleaned as the corpus's language model reads it."""
    rule = corpus.info.lm_cleaning
    lengths = (len(tokenize(clean_lm_text(line, rule), "word")) for line in corpus.text.splitlines())
    return np.array([n for n in lengths if n > 0], dtype=np.int64)


def load_corpus_stats(request: LoadRequest, latest: Serial, registered: frozenset[str]) -> Loaded | None:
    """Load, compute statistics; None when a newer request superseded this one."""
    if request.serial != latest.value:
        return None
    try:
        corpus = load_corpus(request.corpus, request.task, download=False)  # type: ignore[arg-type]
        if request.serial != latest.value:
            return None
        stats = corpus_stats(corpus)
        lengths = words_per_line(corpus) if isinstance(corpus, LmCorpus) else None
    except RnnvizError:
        raise
    except Exception as exc:  # a bug must not kill the window: tell, log, stay usable
        log.exception("loading %s failed", request.corpus)
        raise RnnvizError(f"{request.corpus} could not be loaded: {exc}") from None
    return Loaded(request.corpus, corpus.info.task, stats, lengths, request.corpus not in registered)
