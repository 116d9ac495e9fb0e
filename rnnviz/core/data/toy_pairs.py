"""Toy sequence-to-sequence tasks, generated (the book's exercises 1 of sections 10.6 and 10.7: other
applications of the encoder–decoder): reversing a string of digits, sorting it, normalising a date.

Each task makes sentence pairs as a translation corpus holds them, tokens separated by spaces, so that
the translation pipeline reads them at its word level unchanged (``tokenize.tokenize_mt`` splits on
spaces; digits and ``-`` pass its rules untouched):

- **toy-reverse**: ``3 1 4 1 5`` → ``5 1 4 1 3``
- **toy-sort**: ``3 1 4 1 5`` → ``1 1 3 4 5``
- **toy-dates**: ``march 5 2021`` or ``5 march 2021`` → ``2021 - 03 - 05`` (year, month and day
  as whole tokens: the decoder learns a reordering and a lookup, not arithmetic)

Digit strings have from ``min_len`` to ``max_len`` digits (default 2 to 8, so that a target and its
``<eos>`` fit the translation default of 9 tokens). The same seed gives the same pairs on every machine
(numpy's PCG64). The registered corpora (``rnnviz.core.data.corpora``) are :data:`CORPUS_PAIRS` pairs
drawn with seed :data:`CORPUS_SEED`; the data split's own seed then shuffles them.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from rnnviz.core.errors import ConfigError

#: The months' names as a date's source spells them (lowercase, as the translation pipeline reads text).
MONTHS = tuple(name.lower() for name in calendar.month_name[1:])
YEARS = (1950, 2049)  # inclusive: a hundred year tokens, each seen about 20 times in a corpus of 2,000
CORPUS_PAIRS = 2000
CORPUS_SEED = 0
MIN_LEN, MAX_LEN = 2, 8
LENGTH_RANGE = (1, 30)  # what toy_pairs accepts for min_len and max_len

TITLES: dict[str, str] = {
    "toy-reverse": "Toy: reverse a string of digits (generated)",
    "toy-sort": "Toy: sort a string of digits (generated)",
    "toy-dates": "Toy: normalise a date to YYYY - MM - DD (generated)",
}
DESCRIPTIONS: dict[str, str] = {
    "toy-reverse": "2 to 8 digits in, the same digits in reverse order out: '3 1 4' → '4 1 3'.",
    "toy-sort": "2 to 8 digits in, the same digits sorted out: '3 1 4' → '1 3 4'.",
    "toy-dates": "A date written 'march 5 2021' or '5 march 2021' in, '2021 - 03 - 05' out.",
}
TOY_TASKS: tuple[str, ...] = tuple(TITLES)


def reverse_digits(source: str) -> str:
    return " ".join(reversed(source.split()))


def sort_digits(source: str) -> str:
    return " ".join(sorted(source.split()))


def _digits(rng: np.random.Generator, min_len: int, max_len: int) -> str:
    length = int(rng.integers(min_len, max_len + 1))
    return " ".join(str(d) for d in rng.integers(0, 10, size=length))


def _date(rng: np.random.Generator, min_len: int, max_len: int) -> tuple[str, str]:
    year = int(rng.integers(YEARS[0], YEARS[1] + 1))
    month = int(rng.integers(1, 13))
    day = int(rng.integers(1, calendar.monthrange(year, month)[1] + 1))  # only days the month has
    name = MONTHS[month - 1]
    source = f"{name} {day} {year}" if rng.random() < 0.5 else f"{day} {name} {year}"
    return source, f"{year} - {month:02d} - {day:02d}"


def _digit_task(answer: Callable[[str], str]) -> Callable[[np.random.Generator, int, int], tuple[str, str]]:
    def make(rng: np.random.Generator, min_len: int, max_len: int) -> tuple[str, str]:
        source = _digits(rng, min_len, max_len)
        return source, answer(source)
    return make


_MAKERS: dict[str, Callable[[np.random.Generator, int, int], tuple[str, str]]] = {
    "toy-reverse": _digit_task(reverse_digits),
    "toy-sort": _digit_task(sort_digits),
    "toy-dates": _date,
}


def toy_pairs(task: str, count: int = CORPUS_PAIRS, seed: int = CORPUS_SEED, min_len: int = MIN_LEN,
              max_len: int = MAX_LEN) -> tuple[tuple[str, str], ...]:
    """``count`` (source, target) pairs of a toy task, the same for the same arguments.

    ``min_len``/``max_len``: the digits per string (the digit tasks; a date is always three tokens)."""
    if task not in _MAKERS:
        raise ConfigError(f"there is no toy task {task!r}; the toy tasks are: {', '.join(TOY_TASKS)}.")
    low, high = LENGTH_RANGE
    if not (low <= min_len <= max_len <= high):
        raise ConfigError(f"the digit strings' lengths must satisfy {low} ≤ min_len ≤ max_len ≤ {high}, "
                          f"not {min_len} and {max_len}.")
    if not 1 <= count <= 1_000_000:
        raise ConfigError(f"a toy corpus holds from 1 to 1,000,000 pairs, not {count:,}.")
    rng = np.random.default_rng(seed)
    make = _MAKERS[task]
    return tuple(make(rng, min_len, max_len) for _ in range(count))


@lru_cache(maxsize=None)
def corpus_pairs(task: str) -> tuple[tuple[str, str], ...]:
    """The registered corpus of a toy task: CORPUS_PAIRS pairs drawn with CORPUS_SEED (made once a process)."""
    return toy_pairs(task, CORPUS_PAIRS, CORPUS_SEED)


def corpus_bytes(task: str) -> int:
    """The registered corpus's size as a file of source TAB target lines would hold it (UTF-8)."""
    return sum(len(f"{source}\t{target}\n".encode()) for source, target in corpus_pairs(task))
