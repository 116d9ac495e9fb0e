"""Beam search's options and scores: how to search, and how a hypothesis is scored for its length.

The rules these options steer are in :mod:`rnnviz.core.decoding.beam`.
Penalties by name: ``"book"`` divides ``log P`` by ``L^α`` (α = 0.75 by
default), ``"gnmt"`` by ``((5 + L)/6)^α`` (Wu et al. 2016), ``"none"`` by 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np

from rnnviz.core.errors import ConfigError
from rnnviz.core.limits import ALPHA, BEAM_SIZE, DECODE_MAX_LEN, MIN_LEN, NBEST

Prefix = tuple[int, ...]
#: ``step(prefixes) -> log-probabilities (len(prefixes), vocab_size)``, array or tensor.
Step = Callable[[list[Prefix]], "np.ndarray | Tensor"]

LENGTH_PENALTIES: tuple[str, ...] = ("book", "gnmt", "none")
CANDIDATE_RULES: tuple[str, ...] = ("book", "eos")
STRATEGIES: tuple[str, ...] = ("greedy", "beam", "exhaustive")
STATUSES: tuple[str, ...] = ("kept", "pruned", "finished")  # index = the code in BeamTree.status_codes
KEPT, PRUNED, FINISHED = 0, 1, 2
ROOT_TOKEN = -1  # the root's token: it stands for <bos>, or the prompt, and is no vocabulary entry
#: Exhaustive search refuses a search space with more nodes (scored sequences) than this.
EXHAUSTIVE_LIMIT = 200_000
#: Exhaustive search hands ``step`` at most this many prefixes per call.
EXHAUSTIVE_CHUNK = 8192


# ---- options and scores ------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclass(frozen=True)
class BeamOptions:
    """How to search. Invalid values raise :class:`ConfigError` with a message for the user.

    Checks that need the vocabulary or the strategy (a beam wider than the
    search space, an ``nbest`` beyond what a beam of ``beam_size`` can keep in
    ``max_len`` steps or beyond the sequences that exist) happen in the search
    functions, with the same kind of error.
    """

    beam_size: int = 2  # k: candidates that survive each step (1 = greedy); ignored by exhaustive search
    max_len: int = 10  # at most this many tokens per hypothesis, <eos> included
    nbest: int = 1  # how many hypotheses to return, best first (fewer if fewer candidates survive)
    min_len: int = 0  # <eos> is not a candidate at steps 1..min_len: at least min_len tokens before it
    alpha: float = 0.75  # the exponent α of the length penalty (the book's 0.75)
    length_penalty: Literal["book", "gnmt", "none"] = "book"
    candidates: Literal["book", "eos"] = "eos"  # which survivors compete for the final output

    def __post_init__(self) -> None:
        for name in ("beam_size", "max_len", "nbest", "min_len"):
            value = getattr(self, name)
            if not _is_int(value):
                raise ConfigError(f"{name.replace('_', ' ')} must be a whole number, not {value!r}.")
        # The ranges of rnnviz.core.limits, before any search: a min_len of a million is refused here.
        BEAM_SIZE.check(self.beam_size)
        DECODE_MAX_LEN.check(self.max_len)
        if self.min_len < 0:
            raise ConfigError(f"the minimum length cannot be negative ({self.min_len}).")
        MIN_LEN.check(self.min_len)
        if self.min_len >= self.max_len:
            raise ConfigError(f"the minimum length ({self.min_len}) must be below the maximum length "
                              f"({self.max_len}), or <eos> could never end a hypothesis.")
        NBEST.check(self.nbest)
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float, np.floating)) \
                or not math.isfinite(self.alpha) or self.alpha < 0:
            raise ConfigError(f"alpha must be a number of at least 0, not {self.alpha!r}.")
        ALPHA.check(self.alpha)
        if self.length_penalty not in LENGTH_PENALTIES:
            raise ConfigError(f"unknown length penalty {self.length_penalty!r}; choose one of "
                              f"{', '.join(LENGTH_PENALTIES)}.")
        if self.candidates not in CANDIDATE_RULES:
            raise ConfigError(f"unknown candidate rule {self.candidates!r}; choose one of "
                              f"{', '.join(CANDIDATE_RULES)}.")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def length_penalty(length: int, name: str = "book", alpha: float = 0.75) -> float:
    """The divisor of ``log P`` for a hypothesis of ``length`` tokens (``<eos>`` included)."""
    if name == "book":
        return float(length) ** alpha
    if name == "gnmt":
        return ((5.0 + length) / 6.0) ** alpha
    if name == "none":
        return 1.0
    raise ConfigError(f"unknown length penalty {name!r}; choose one of {', '.join(LENGTH_PENALTIES)}.")


def normalised_score(log_prob: float, length: int, name: str = "book", alpha: float = 0.75) -> float:
    """``log_prob / length_penalty(length)``; 0 for the empty root (length 0)."""
    if length == 0:
        return 0.0
    return log_prob / length_penalty(length, name, alpha)
