"""Text preprocessing and tokenizers, following the book's rules.

Language modelling (the book's TimeMachine, section 9.2): keep letters only,
lowercase, then split into characters or words.
Machine translation (the book's MTFraEng, section 10.5): lowercase, turn
non-breaking spaces into spaces, put a space before ``, . ! ?``, split on spaces.
"""

from __future__ import annotations

import re
from typing import Literal

Level = Literal["char", "word"]
LmCleaning = Literal["letters", "lower"]

_NOT_LETTERS = re.compile(r"[^A-Za-z]+")
_WHITESPACE = re.compile(r"\s+")
# A word is letters or digits, with inner apostrophes (j'aime, don't); any other
# visible character is a token of its own, so "passe." gives "passe" and ".".
_WORD_OR_MARK = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\S")
# U+00A0 no-break space and U+202F narrow no-break space: French typography
# puts one before ``! ? :`` and the Tatoeba file keeps them.
_NBSP = str.maketrans({"\u00a0": " ", "\u202f": " "})
# A space goes before , . ! ? unless one is already there (and not at the very start).
_PUNCT_NEEDING_SPACE = re.compile(r"(?<=[^ ])([,.!?])")


def clean_lm_text(text: str, rule: LmCleaning = "letters") -> str:
    """Clean raw text for language modelling.

    ``letters`` is the book's rule (anything but A–Z becomes one space, then
    lowercase): right for English, destructive for accented text, so user
    files default to ``lower`` (lowercase and collapse whitespace only).
    """
    if rule == "letters":
        return _NOT_LETTERS.sub(" ", text).lower().strip()
    if rule == "lower":
        return _WHITESPACE.sub(" ", text).lower().strip()
    raise ValueError(f"unknown cleaning rule {rule!r}; use 'letters' or 'lower'")


def tokenize(text: str, level: Level = "char") -> list[str]:
    """Split cleaned text into characters (spaces included) or words.

    On the book's letters-only text, words are exactly ``text.split()``.
    """
    if level == "char":
        return list(text)
    if level == "word":
        return _WORD_OR_MARK.findall(text)
    raise ValueError(f"unknown token level {level!r}; use 'char' or 'word'")


def preprocess_mt(text: str) -> str:
    """The book's translation preprocessing of one sentence (or a whole file)."""
    return _PUNCT_NEEDING_SPACE.sub(r" \1", text.translate(_NBSP).lower())


def tokenize_mt(sentence: str) -> list[str]:
    """Preprocess one sentence and split it into word tokens (punctuation included)."""
    return [token for token in preprocess_mt(sentence).split(" ") if token]
