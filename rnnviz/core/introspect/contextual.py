"""Contextual states: one word in two sentences, and how alike its states are, layer by layer.

The book's exercise on polysemy (section 10.4) asks whether a bidirectional model gives a word
different representations in different contexts. Here a model reads both sentences; at the word's
position we take each layer's and each direction's hidden state and compare the two sentences' states
by their cosine similarity (1: the same direction; 0: unrelated). The embedding comes first as the
reference: it has no context, so the same word always has the same embedding (cosine 1).

Where the states are read: a word-level model has the word as one token, and both directions are read
at it. A character-level language model reads a word as several steps: its forward direction is read
at the word's last character and its backward direction at its first, where each has just read the
whole word (and the embedding row compares the characters' embeddings, concatenated).

Models: any ``RecurrentStack`` with a way to embed tokens (:class:`Reader`); :func:`reader_for_lm`
adapts the app's language models (their own cleaning and token level), :func:`reader_for_classifier`
the sequence classifier's encoder (``rnnviz.core.classify``). The states come from
``introspect.trace_sequence`` (the model in evaluation mode, no dropout).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.core.data.tokenize import clean_lm_text, tokenize
from rnnviz.core.data.vocab import Vocab
from rnnviz.core.errors import DataError
from rnnviz.core.introspect.kernels import trace_sequence
from rnnviz.core.models.stacks import RecurrentStack


@dataclass(frozen=True)
class Reader:
    """How a model reads text: ``words(text)`` the words as it sees them (cleaned), ``tokens(words)`` its
    tokens with each word's (first, last) token index, ``embed(ids)`` (T,) -> (T, E), and its vocabulary."""

    stack: RecurrentStack
    words: Callable[[str], list[str]]
    tokens: Callable[[list[str]], tuple[list[str], list[tuple[int, int]]]]
    embed: Callable[[torch.Tensor], torch.Tensor]
    vocab: Vocab
    unit: str  # "word" or "char": what a token is


@dataclass(frozen=True)
class ContextRow:
    """One part of the model: the embedding (layer 0) or one layer's direction."""

    part: str  # "embedding", "layer 1 forward", …
    layer: int  # 0 for the embedding, then from 1
    direction: str  # "" for the embedding, "forward" or "backward"
    cosine: float
    norm_a: float
    norm_b: float


@dataclass(frozen=True)
class ContextComparison:
    word: str
    sentences: tuple[str, str]
    tokens: tuple[tuple[str, ...], tuple[str, ...]]  # as the model read them
    positions: tuple[tuple[int, int], tuple[int, int]]  # the word's (first, last) token in each
    rows: tuple[ContextRow, ...]
    notices: tuple[str, ...] = ()

    def cosine(self, layer: int, direction: str = "") -> float:
        return next(r.cosine for r in self.rows if r.layer == layer and r.direction == direction)

    def to_dict(self) -> dict[str, object]:
        return {"word": self.word, "sentences": list(self.sentences), "tokens": [list(t) for t in self.tokens],
                "positions": [list(p) for p in self.positions], "notices": list(self.notices),
                "rows": [{"part": r.part, "layer": r.layer, "direction": r.direction or None, "cosine": r.cosine,
                          "norm_a": r.norm_a, "norm_b": r.norm_b} for r in self.rows]}


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors; for an all-zero vector (no direction): 1 if both are, else 0."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 1.0 if na == nb else 0.0
    return float(np.clip(np.dot(a, b) / (na * nb), -1.0, 1.0))


def _word_tokens(words: list[str]) -> tuple[list[str], list[tuple[int, int]]]:
    return list(words), [(k, k) for k in range(len(words))]


def _char_tokens(words: list[str]) -> tuple[list[str], list[tuple[int, int]]]:
    """The characters of the words joined by spaces, and each word's (first, last) character."""
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    for k, word in enumerate(words):
        if k:
            chars.append(" ")
        spans.append((len(chars), len(chars) + len(word) - 1))
        chars.extend(word)
    return chars, spans


def reader_for_lm(bundle) -> Reader:
    """A language model of the app (a ModelBundle of task "lm"), reading text as in its training."""
    if bundle.task != "lm":
        raise DataError(f"contextual states need a language model or the classifier; this is a {bundle.task} "
                        "model. Give a language-model checkpoint (best a bidirectional one).")
    data = bundle.data_config
    rule = data.lm_cleaning or "letters"
    level = data.token_level
    model = bundle.model

    def words(text: str) -> list[str]:
        cleaned = clean_lm_text(text, rule)
        return tokenize(cleaned, "word") if level == "word" else cleaned.split()

    def embed(ids: torch.Tensor) -> torch.Tensor:
        return model.embed(ids.unsqueeze(0))[:, 0]  # (T, E): one-hot or the embedding, as the model feeds it

    return Reader(model.stack, words, _word_tokens if level == "word" else _char_tokens, embed,
                  bundle.vocabs[0], "word" if level == "word" else "char")


def reader_for_classifier(model, vocab) -> Reader:
    """The sequence classifier's encoder (``rnnviz.core.classify.SequenceClassifier``) and its vocabulary."""
    from rnnviz.core.classify.data import tokenize_text

    return Reader(model.stack, tokenize_text, _word_tokens, lambda ids: model.embedding(ids), vocab, "word")


def _locate(reader: Reader, word: str, sentence: str, name: str) -> tuple[list[str], tuple[int, int], str | None]:
    words = reader.words(sentence)
    if not words:
        raise DataError(f"sentence {name} is empty once cleaned for this model; type a sentence with words.")
    if word not in words:
        shown = " ".join(words) if len(words) <= 20 else " ".join(words[:20]) + " …"
        raise DataError(f"{word!r} is not a word of sentence {name} ({shown!r}); give a sentence that uses it.")
    index = words.index(word)
    notice = (f"{word!r} occurs {words.count(word)} times in sentence {name}; its first occurrence is compared."
              if words.count(word) > 1 else None)
    tokens, spans = reader.tokens(words)
    return tokens, spans[index], notice


def check_request(reader: Reader, word: str, sentence_a: str, sentence_b: str) -> str:
    """The word as the model reads it, or a DataError for a request no model state can answer: not one word,
    a word out of the vocabulary, a sentence without it. Needs no trained weights (only ``words``, ``tokens``
    and ``vocab``), so a caller that trains a model first can check before spending the training."""
    cleaned = reader.words(word)
    if len(cleaned) != 1:
        raise DataError(f"give one word to compare, not {word!r}" + (" (it is empty once cleaned)." if not cleaned
                                                                      else f" (it reads as {len(cleaned)} words)."))
    word = cleaned[0]
    pieces = [word] if reader.unit == "word" else list(word)
    missing = [p for p in pieces if p not in reader.vocab]
    if missing:
        raise DataError(f"{word!r} is not in the model's vocabulary ({len(reader.vocab)} tokens), so the model "
                        "reads it as <unk> and has learnt nothing about it; pick a word of its training text.")
    for sentence, name in ((sentence_a, "A"), (sentence_b, "B")):
        _locate(reader, word, sentence, name)
    return word


def compare_contexts(reader: Reader, word: str, sentence_a: str, sentence_b: str) -> ContextComparison:
    """The word's states in both sentences, compared per layer and direction (see the module doc)."""
    word = check_request(reader, word, sentence_a, sentence_b)
    notices: list[str] = []
    located = [_locate(reader, word, s, n) for s, n in ((sentence_a, "A"), (sentence_b, "B"))]
    notices += [n for _, _, n in located if n]
    unknown = sorted({t for tokens, _, _ in located for t in tokens if t not in reader.vocab and t != " "})
    if unknown:
        notices.append("not in the model's vocabulary, read as <unk>: " + ", ".join(unknown[:10]))
    parameter = next(reader.stack.parameters())
    traces, embeddings = [], []
    with torch.inference_mode():
        for tokens, _, _ in located:
            ids = torch.tensor(reader.vocab.indices(tokens), device=parameter.device)  # (T,)
            inputs = reader.embed(ids).to(parameter.dtype)  # (T, E)
            embeddings.append(inputs.cpu().numpy())
            traces.append(trace_sequence(reader.stack, inputs))
    (first_a, last_a), (first_b, last_b) = located[0][1], located[1][1]
    emb_a = embeddings[0][first_a:last_a + 1].reshape(-1)  # the word's tokens' inputs, concatenated
    emb_b = embeddings[1][first_b:last_b + 1].reshape(-1)
    rows = [ContextRow("embedding", 0, "", cosine(emb_a, emb_b), float(np.linalg.norm(emb_a)),
                       float(np.linalg.norm(emb_b)))]
    for trace_a, trace_b in zip(*traces):
        # Forward has read the whole word at its last token; backward at its first.
        at_a, at_b = (first_a, first_b) if trace_a.direction == "backward" else (last_a, last_b)
        ha, hb = trace_a.hidden[at_a], trace_b.hidden[at_b]  # (H,) each
        rows.append(ContextRow(f"layer {trace_a.layer + 1} {trace_a.direction}", trace_a.layer + 1,
                               trace_a.direction, cosine(ha, hb), float(np.linalg.norm(ha)), float(np.linalg.norm(hb))))
    if not reader.stack.spec.bidirectional:
        notices.append("this model reads forward only: the word's state knows the words before it, none after.")
    return ContextComparison(word, (sentence_a, sentence_b), (tuple(located[0][0]), tuple(located[1][0])),
                             (located[0][1], located[1][1]), tuple(rows), tuple(notices))
