"""Beam search over a model: translation of a sentence, continuation of a prefix.

Both run the pure :func:`rnnviz.core.decoding.beam.beam_search` over a
:class:`~rnnviz.core.decoding.steps.RecurrentStep` and read their input as the
greedy decoders do (the same notices).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rnnviz.core.data.vocab import EOS
from rnnviz.core.decoding.beam import beam_search
from rnnviz.core.decoding.reading import continuation_text, read_prompt, read_source
from rnnviz.core.decoding.scoring import BeamOptions
from rnnviz.core.decoding.steps import lm_step, seq2seq_step
from rnnviz.core.decoding.tree import BeamResult
from rnnviz.core.errors import DataError
from rnnviz.core.limits import GENERATION_LENGTH
from rnnviz.core.models.factory import ModelBundle

@dataclass(frozen=True)
class TextHypothesis:
    """One hypothesis of a model's beam search, in tokens of its vocabulary."""

    tokens: tuple[str, ...]  # without <eos>
    log_prob: float  # log P, <eos> included when finished
    score: float  # normalised for length
    finished: bool  # ended in <eos>
    node: int  # its node in the result's tree
    text: str  # the tokens joined as the model's output is shown

    def to_dict(self) -> dict[str, Any]:
        return {"tokens": list(self.tokens), "text": self.text, "log_prob": self.log_prob, "score": self.score,
                "finished": self.finished, "node": self.node}


def _hypotheses(result: BeamResult, vocabulary: Sequence[str], eos: int | None,
                join: Callable[[tuple[str, ...]], str]) -> tuple[TextHypothesis, ...]:
    out = []
    for h in result.hypotheses:
        ids = h.tokens[:-1] if h.finished else h.tokens  # <eos> ends the output; it is not shown
        tokens = tuple(vocabulary[i] for i in ids)
        out.append(TextHypothesis(tokens, h.log_prob, h.score, h.finished, h.node, join(tokens)))
    return tuple(out)


@dataclass(frozen=True)
class BeamTranslation:
    """Beam translation: the ranked hypotheses, the search tree, and the same notices as :func:`translate`."""

    source: str
    source_tokens: tuple[str, ...]  # as the encoder read them, <unk> and trimming included
    hypotheses: tuple[TextHypothesis, ...]  # best first
    unknown: tuple[str, ...]
    trimmed: bool
    notices: tuple[str, ...]
    result: BeamResult  # the search: options, ids, the tree
    vocabulary: tuple[str, ...]  # target tokens by id: labels for the tree's nodes

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.hypotheses[0].tokens if self.hypotheses else ()

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def to_dict(self, include_pruned: bool = False) -> dict[str, Any]:
        """JSON data; the tree lists pruned candidates only when asked (k·|V| per step adds up)."""
        return {"source": self.source, "translation": self.text, "tokens": list(self.tokens),
                "source_tokens": list(self.source_tokens), "unknown": list(self.unknown), "trimmed": self.trimmed,
                "notices": list(self.notices), "strategy": self.result.strategy,
                "options": self.result.options.to_dict(), "hypotheses": [h.to_dict() for h in self.hypotheses],
                "tree": self.result.tree.to_dict(self.vocabulary, include_pruned)}


def translate_beam(bundle: ModelBundle, sentence: str, options: BeamOptions | None = None) -> BeamTranslation:
    """Beam-search translation; ``options`` default to a beam of 2 and max_len = num_steps.

    The source is read as :func:`translate` reads it (same notices). A beam of
    1 gives :func:`translate`'s output. Raises :class:`DataError` for an empty
    sentence or one of which the model knows no word.
    """
    source = read_source(bundle, sentence, require_known=True)
    src_vocab, tgt_vocab = bundle.vocabs
    options = options or BeamOptions(max_len=len(source.seen))
    vocabulary = tuple(tgt_vocab.to_list())
    eos = tgt_vocab.index(EOS)
    model = bundle.model
    was_training = model.training
    model.eval()
    try:
        step = seq2seq_step(bundle, src_vocab.indices(source.seen))
        result = beam_search(step, len(vocabulary), eos, options)
    finally:
        model.train(was_training)
    return BeamTranslation(sentence, source.shown, _hypotheses(result, vocabulary, eos, bundle.join),
                           tuple(dict.fromkeys(source.unknown)), source.trimmed, tuple(source.notices), result,
                           vocabulary)


@dataclass(frozen=True)
class BeamGeneration:
    """Beam-search continuation of a prefix by a language model."""

    prefix: str  # the prefix as the model read it (cleaned)
    hypotheses: tuple[TextHypothesis, ...]  # best first; text is the continuation
    notices: tuple[str, ...]
    result: BeamResult
    vocabulary: tuple[str, ...]

    @property
    def continuation(self) -> str:
        return self.hypotheses[0].text if self.hypotheses else ""

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.hypotheses[0].tokens if self.hypotheses else ()

    @property
    def text(self) -> str:
        return self.prefix + self.continuation


def generate_beam(bundle: ModelBundle, prefix: str, length: int = 50,
                  options: BeamOptions | None = None) -> BeamGeneration:
    """Continue ``prefix`` by at most ``length`` tokens with beam search.

    ``length`` replaces ``options.max_len``. A vocabulary with ``<eos>`` lets
    hypotheses end early; the book's character models have none, so every
    hypothesis runs ``length`` tokens. Raises :class:`DataError` for an empty
    prefix or one made only of tokens the model does not know.
    """
    GENERATION_LENGTH.check(length, error=DataError)
    prompt = read_prompt(bundle, prefix, require_known=True)
    vocab = bundle.vocabs[0]
    options = replace(options or BeamOptions(), max_len=length)
    vocabulary = tuple(vocab.to_list())
    eos = vocab.token_to_idx.get(EOS)
    model = bundle.model
    was_training = model.training
    model.eval()
    try:
        result = beam_search(lm_step(bundle, vocab.indices(prompt.tokens)), len(vocabulary), eos, options)
    finally:
        model.train(was_training)
    hypotheses = _hypotheses(result, vocabulary, eos, lambda tokens: continuation_text(prompt, tokens))
    return BeamGeneration(prompt.shown, hypotheses, tuple(prompt.notices), result, vocabulary)
