"""Decoding with a trained model: language-model continuation, greedy and beam translation.

Inputs are cleaned with the same rules as the training data. What the model
cannot see as typed (unknown tokens, an over-long sentence) is not an error:
it is done the book's way (``<unk>``, trimming) and said in ``notices``.

Beam search (:func:`translate_beam`, :func:`generate_beam`) runs the pure
:func:`rnnviz.core.beam.beam_search` over a :class:`RecurrentStep`: a step
callable that feeds all live hypotheses to the decoder in one batched call and
keeps each hypothesis's recurrent state, keyed by its prefix, so the search
itself stays a function of ``step(prefixes) -> log-probs``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import torch
from torch import Tensor

from rnnviz.core.beam import BeamOptions, BeamResult, Prefix, beam_search
from rnnviz.core.data.tokenize import clean_lm_text, tokenize, tokenize_mt
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK
from rnnviz.core.errors import DataError
from rnnviz.core.models.factory import ModelBundle
from rnnviz.core.models.stacks import State

BIDIRECTIONAL_LM_NOTICE = (
    "this language model is bidirectional: in training it saw the text after each position, "
    "which generation cannot supply, so its continuations are gibberish (the book's cautionary "
    "example, section 10.4)."
)


@dataclass(frozen=True)
class Generation:
    prefix: str  # the prefix as the model read it (cleaned)
    continuation: str
    tokens: tuple[str, ...]  # the generated tokens
    notices: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.prefix + self.continuation


@dataclass(frozen=True)
class Translation:
    source: str
    source_tokens: tuple[str, ...]  # as the encoder read them, <unk> and trimming included
    tokens: tuple[str, ...]  # the output, without <eos>
    unknown: tuple[str, ...]  # source words the vocabulary lacks
    trimmed: bool
    notices: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


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
    joiner = "" if data.token_level == "char" else " "
    shown = cleaned if data.token_level == "char" else " ".join(tokens)
    return PromptReading(tokens, shown, joiner, unknown, notices)


def _continuation(prompt: PromptReading, produced: Sequence[str]) -> str:
    text = prompt.joiner.join(produced)
    if prompt.joiner and text:  # the shown prefix is the words joined, without a trailing space
        text = " " + text
    return text


def generate(bundle: ModelBundle, prefix: str, length: int = 50,
             strategy: Literal["greedy", "sample"] = "greedy", temperature: float = 1.0,
             seed: int | None = None) -> Generation:
    """Continue ``prefix`` by ``length`` tokens (the book's ``predict``), greedily or by sampling."""
    if bundle.task != "lm":
        raise DataError("this is a translation model; generation needs a language model.")
    if length < 1:
        raise DataError(f"the length must be at least 1, not {length}.")
    if strategy == "sample" and not temperature > 0:
        raise DataError(f"the temperature must be positive, not {temperature}.")
    prompt = read_prompt(bundle, prefix)
    vocab = bundle.vocabs[0]
    model = bundle.model
    device = next(model.parameters()).device
    generator = torch.Generator(device="cpu")
    if seed is not None:
        generator.manual_seed(seed)
    model.eval()
    out: list[int] = []
    with torch.no_grad():
        ids = torch.tensor([vocab.indices(prompt.tokens)], device=device)  # (1, T) warm-up on the prefix
        logits, state = model.next_logits(ids)
        for _ in range(length):
            if strategy == "greedy":
                nxt = int(logits.argmax(-1))
            else:
                probs = torch.softmax(logits.float().cpu() / temperature, dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            out.append(nxt)
            logits, state = model.next_logits(torch.tensor([[nxt]], device=device), state)
    produced = tuple(vocab.to_tokens(out))
    return Generation(prompt.shown, _continuation(prompt, produced), produced, tuple(prompt.notices))


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
    num_steps = int(bundle.data_config.num_steps or 9)
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


def translate(bundle: ModelBundle, sentence: str, max_len: int | None = None) -> Translation:
    """Greedy translation (the book's ``predict_step``): the source padded to num_steps,
    then the most likely token at each step until ``<eos>`` or ``max_len`` tokens."""
    source = read_source(bundle, sentence)
    src_vocab, tgt_vocab = bundle.vocabs
    max_len = max_len or len(source.seen)
    model = bundle.model
    device = next(model.parameters()).device
    model.eval()
    out: list[str] = []
    with torch.no_grad():
        src = torch.tensor([src_vocab.indices(source.seen)], device=device)  # (1, T)
        state, context, _ = model.start(src)
        token = tgt_vocab.index(BOS)
        for _ in range(max_len):
            logits, state = model.decoder(torch.tensor([[token]], device=device), state, context)  # (1, 1, V)
            token = int(logits[0, -1].argmax())
            word = tgt_vocab.to_tokens(token)
            if word == EOS:
                break
            out.append(word)
    return Translation(sentence, source.shown, tuple(out), tuple(dict.fromkeys(source.unknown)), source.trimmed,
                       tuple(source.notices))


# ---- beam search over a model ------------------------------------------------------------------

#: ``advance(inputs (N, 1) ids, state batched over N) -> (logits (N, V), new state)``
Advance = Callable[[Tensor, State], tuple[Tensor, State]]
_START: Prefix = (-1,)  # the key of the state before the first input; no real prefix holds -1


def _map_state(state: State, fn: Callable[[Tensor], Tensor]) -> State:
    return [tuple(fn(x) for x in entry) if isinstance(entry, tuple) else fn(entry)  # type: ignore[misc]
            for entry in state]


def _cat_states(states: Sequence[State]) -> State:
    """Concatenate batched states along the batch: [(B1, H) ...] -> (B1+B2+..., H) per entry."""
    out: State = []
    for entries in zip(*states):
        if isinstance(entries[0], tuple):
            out.append(tuple(torch.cat(parts, dim=0) for parts in zip(*entries)))  # type: ignore[arg-type]
        else:
            out.append(torch.cat(entries, dim=0))  # type: ignore[arg-type]
    return out


class RecurrentStep:
    """A beam-search ``step`` over a recurrent decoder: one batched call for all prefixes.

    The decoder state reached by each prefix is cached under the prefix. A call
    with prefixes ``p`` looks up the state of each parent ``p[:-1]``, gathers
    them into one batch in the order asked (index_select by parent row: the
    reordering of states by parent index), feeds every prefix's last token
    (``first_input`` for the empty prefix) through ``advance`` at once, and
    caches the new states under ``p``. Only the last two prefix lengths are
    kept, so memory stays at two beams' worth. A parent that is not cached (a
    caller that jumps around) is recomputed from the start state, so any call
    order gives the same log-probabilities, only slower (counted in ``replays``).
    """

    def __init__(self, advance: Advance, start: State, first_input: int, device: torch.device | str = "cpu") -> None:
        self._advance, self._first, self.device = advance, int(first_input), torch.device(device)
        self._blocks: dict[int, tuple[int, State]] = {0: (-1, start)}  # block id -> (prefix length, state (B, ...))
        self._where: dict[Prefix, tuple[int, int]] = {_START: (0, 0)}  # prefix -> (block id, row)
        self._next_block = 1
        self.calls = 0  # decoder calls made
        self.replays = 0  # parents recomputed because they were not cached

    def _store(self, length: int, state: State, prefixes: Sequence[Prefix]) -> None:
        block = self._next_block
        self._next_block += 1
        self._blocks[block] = (length, state)
        for row, prefix in enumerate(prefixes):
            self._where[prefix] = (block, row)

    def _replay(self, prefix: Prefix) -> None:
        """Recompute the state reached by ``prefix`` from the start state, one token at a time."""
        state = self._blocks[0][1]
        for token in (self._first, *prefix):
            _, state = self._advance(torch.tensor([[token]], device=self.device), state)  # (1, V)
        self.replays += 1
        self._store(len(prefix), state, [prefix])

    def _gather(self, parents: list[Prefix]) -> State:
        """The parents' states as one batch, row i for parents[i]."""
        for parent in dict.fromkeys(parents):
            if parent not in self._where:
                self._replay(parent)
        places = [self._where[p] for p in parents]
        blocks = list(dict.fromkeys(b for b, _ in places))
        offsets, sources, size = {}, [], 0
        for block in blocks:  # usually one: the previous step's batch
            offsets[block] = size
            sources.append(self._blocks[block][1])
            size += _batch_size(self._blocks[block][1])
        source = sources[0] if len(sources) == 1 else _cat_states(sources)
        rows = torch.tensor([offsets[b] + r for b, r in places], device=self.device)  # (N,)
        return _map_state(source, lambda x: x.index_select(0, rows))  # (N, H) per entry

    def __call__(self, prefixes: list[Prefix]) -> Tensor:
        """Log-probabilities (N, V) of the next token after each prefix."""
        if not prefixes:
            raise ValueError("step needs at least one prefix.")
        with torch.no_grad():
            state = self._gather([p[:-1] if p else _START for p in prefixes])
            inputs = torch.tensor([[p[-1] if p else self._first] for p in prefixes], device=self.device)  # (N, 1)
            logits, state = self._advance(inputs, state)  # (N, V)
            self.calls += 1
        shortest = min(len(p) for p in prefixes)
        self._store(shortest, state, prefixes)
        self._evict(shortest - 1)
        return torch.log_softmax(logits.float(), dim=-1)  # (N, V)

    def _evict(self, keep_from: int) -> None:
        """Forget the states of prefixes shorter than ``keep_from`` (the start state stays)."""
        stale = {b for b, (length, _) in self._blocks.items() if b != 0 and length < keep_from}
        if stale:
            self._blocks = {b: v for b, v in self._blocks.items() if b not in stale}
            self._where = {p: w for p, w in self._where.items() if w[0] not in stale}


def _batch_size(state: State) -> int:
    first = state[0]
    return int((first[0] if isinstance(first, tuple) else first).shape[0])


def seq2seq_step(bundle: ModelBundle, src_ids: Sequence[int]) -> RecurrentStep:
    """A beam-search step for a translation model reading ``src_ids`` (num_steps source ids)."""
    model = bundle.model
    device = next(model.parameters()).device
    with torch.no_grad():
        state, context, _ = model.start(torch.tensor([list(src_ids)], device=device))  # context (1, C)

    def advance(inputs: Tensor, state: State) -> tuple[Tensor, State]:
        logits, state = model.decoder(inputs, state, context.expand(inputs.shape[0], -1))  # (N, 1, V)
        return logits[:, -1], state  # (N, V)

    return RecurrentStep(advance, state, bundle.vocabs[1].index(BOS), device)


def lm_step(bundle: ModelBundle, prompt_ids: Sequence[int]) -> RecurrentStep:
    """A beam-search step for a language model continuing ``prompt_ids`` (at least one id)."""
    model = bundle.model
    device = next(model.parameters()).device
    ids = list(prompt_ids)
    with torch.no_grad():
        if len(ids) > 1:  # warm up on all but the last token; the root step feeds the last one
            _, start = model.next_logits(torch.tensor([ids[:-1]], device=device))
        else:
            start = model.stack.init_state(1)
    return RecurrentStep(model.next_logits, start, ids[-1], device)


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
    return BeamTranslation(sentence, source.shown, _hypotheses(result, vocabulary, eos, " ".join),
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
    if length < 1:
        raise DataError(f"the length must be at least 1, not {length}.")
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
    hypotheses = _hypotheses(result, vocabulary, eos, lambda tokens: _continuation(prompt, tokens))
    return BeamGeneration(prompt.shown, hypotheses, tuple(prompt.notices), result, vocabulary)
