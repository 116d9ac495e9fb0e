"""Reading a prompt or a source sentence as the model reads it, with notices for what it cannot see.

Inputs are cleaned with the same rules as the training data. What the model
cannot see as typed (unknown tokens, an over-long sentence) is not an error:
it is done the book's way (``<unk>``, trimming) and said in ``notices``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rnnviz.core.data.tokenize import clean_lm_text, tokenize, tokenize_mt
from rnnviz.core.data.vocab import EOS, PAD, UNK
from rnnviz.core.errors import DataError

if TYPE_CHECKING:  # the factory imports torch; reading a prompt does not need it
    from rnnviz.core.models.factory import ModelBundle

BIDIRECTIONAL_LM_NOTICE = (
    "this language model is bidirectional: in training it saw the text after each position, "
    "which generation cannot supply, so its continuations are gibberish (the book's cautionary "
    "example, section 10.4)."
)


def _unknown_notice(words: list[str]) -> str:
    shown = ", ".join(dict.fromkeys(words))
    return f"not in the model's vocabulary, read as {UNK}: {shown}"


@dataclass(frozen=True)
class PromptReading:
    """A language-model prefix as the model reads it."""

    tokens: list[str]
    shown: str  # the prefix as shown before the continuation
    joiner: str  # "" between characters, " " between words
    unknown: list[str]
    notices: list[str]


def read_prompt(bundle: ModelBundle, prefix: str, require_known: bool = False) -> PromptReading:
    """A prefix as the language model reads it (cleaned, tokenized, with notices); ``require_known``
    refuses one made only of tokens the model does not know (beam search has nothing to rank then)."""
    if bundle.task != "lm":
        raise DataError("this is a translation model; generation needs a language model.")
    data = bundle.data_config
    vocab = bundle.vocabs[0]
    cleaned = clean_lm_text(prefix, data.lm_cleaning or "letters")
    if cleaned and prefix[-1:].isspace():
        cleaned += " "  # "time traveller " asks for the next word, as in the book
    tokens = tokenize(cleaned, data.token_level)
    if not tokens:
        raise DataError(f"the prefix {prefix!r} is empty once cleaned for this model; type a few letters to start from.")
    notices = [BIDIRECTIONAL_LM_NOTICE] if bundle.model_config.stack.bidirectional else []
    unknown = [t for t in tokens if t not in vocab]
    if unknown:
        notices.append(_unknown_notice(unknown))
    if require_known and len(unknown) == len(tokens):
        raise DataError(f"none of the tokens of {prefix.strip()!r} is in the model's vocabulary, so it would "
                        f"read only {UNK}; start from text like its training data.")
    joiner = bundle.joiner
    shown = cleaned if joiner == "" else joiner.join(tokens)
    return PromptReading(tokens, shown, joiner, unknown, notices)


def continuation_text(prompt: PromptReading, produced: Sequence[str]) -> str:
    """``produced`` tokens as text that follows the shown prompt: " word word" or "chars"."""
    text = prompt.joiner.join(produced)
    if prompt.joiner and text:  # the shown prefix is the words joined, without a trailing space
        text = " " + text
    return text


@dataclass(frozen=True)
class SourceReading:
    """A source sentence as the encoder reads it."""

    words: list[str]  # the cleaned words, before trimming
    seen: list[str]  # num_steps tokens: the words, <eos>, trimmed or padded
    shown: tuple[str, ...]  # what the encoder read: unknown words as <unk>, no padding
    unknown: list[str]
    trimmed: bool
    notices: list[str]


def read_source(bundle: ModelBundle, sentence: str, require_known: bool = False) -> SourceReading:
    """A sentence as the encoder reads it: the words, <eos>, cut or padded to num_steps, with
    notices; ``require_known`` refuses one of which the model knows no word."""
    if bundle.task != "mt":
        raise DataError("this is a language model; translation needs a translation model.")
    words = tokenize_mt(" ".join(sentence.split()))  # tabs and line ends are spaces, as in training
    if not words:
        raise DataError("the sentence is empty; type a sentence to translate.")
    src_vocab = bundle.vocabs[0]
    num_steps = bundle.max_len
    notices: list[str] = []
    unknown = [w for w in words if w not in src_vocab]
    if unknown:
        notices.append(_unknown_notice(unknown))
    seen = words + [EOS]
    trimmed = len(seen) > num_steps
    if trimmed:
        notices.append(f"the sentence has {len(seen)} tokens with {EOS}; the model reads {num_steps} "
                       f"(its num_steps), so it read only: {' '.join(seen[:num_steps])}")
    if require_known and len(unknown) == len(words):
        raise DataError(f"none of the words of {sentence.strip()!r} is in the model's vocabulary, so it would "
                        f"read only {UNK}; try words from its training data.")
    seen = seen[:num_steps] + [PAD] * (num_steps - len(seen))
    shown = tuple(w if w in src_vocab else UNK for w in seen if w != PAD)
    return SourceReading(words, seen, shown, unknown, trimmed, notices)

