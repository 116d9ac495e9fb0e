"""What the decoding views ask of a model: a search with its tree, translations with BLEU, a
continuation with the distribution at each step.

Each function returns one frozen value that can cross threads (the GUI runs
them off its thread); errors are :class:`~rnnviz.core.errors.RnnvizError` with
a message for the user. torch is imported only when a function runs, so a
view that imports this module opens without waiting for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rnnviz.core.data.tokenize import tokenize_mt
from rnnviz.core.data.vocab import BOS, EOS
from rnnviz.core.decoding.beam import beam_search, exhaustive_search, greedy_search
from rnnviz.core.decoding.reading import SourceReading, read_prompt, read_source
from rnnviz.core.decoding.scoring import BeamOptions, Step
from rnnviz.core.decoding.tree import BeamResult
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.limits import TEMPERATURE
from rnnviz.core.metrics import bleu

if TYPE_CHECKING:  # these import torch
    from rnnviz.core.decoding.greedy import Translation
    from rnnviz.core.decoding.model_beam import BeamGeneration, BeamTranslation
    from rnnviz.core.models.factory import ModelBundle

#: The book's BLEU uses n-grams up to k = 2 in its translation example (section 10.7).
BLEU_K = 2


@dataclass(frozen=True)
class SearchOutcome:
    """A search over a model, ready to draw: the result, token strings and what the model read."""

    result: BeamResult
    vocabulary: tuple[str, ...]  # token strings by id: labels for the tree's nodes
    root_label: str  # "<bos>" for translation, the end of the prompt for a language model
    source_tokens: tuple[str, ...]  # what the model read (unknown words as <unk>)
    notices: tuple[str, ...]
    text: str  # the sentence or prefix as typed


@dataclass(frozen=True, eq=False)
class TreeRequest:
    """What a "Show beam tree" button hands the beam panel: a model search already run, and its model,
    so that the beam panel shows it at once and can search again when its options change."""

    bundle: ModelBundle
    outcome: SearchOutcome


def _eval(bundle: ModelBundle) -> bool:
    was_training = bundle.model.training
    bundle.model.eval()
    return was_training


def run_search(strategy: str, step: Step, vocab_size: int, eos: int | None, options: BeamOptions) -> BeamResult:
    """The core's greedy, beam or exhaustive search over ``step``, by name."""
    if strategy == "greedy":
        return greedy_search(step, vocab_size, eos, options=options)
    if strategy == "exhaustive":
        return exhaustive_search(step, vocab_size, eos, options=options)
    if strategy == "beam":
        return beam_search(step, vocab_size, eos, options)
    raise ConfigError(f"unknown strategy {strategy!r}; choose greedy, beam or exhaustive.")


def source_ids(bundle: ModelBundle, sentence: str) -> tuple[list[int], SourceReading]:
    """The ids the encoder reads for ``sentence`` and the core's reading of it."""
    reading = read_source(bundle, sentence, require_known=True)  # <unk>, trimming, notices, as translate_beam
    return bundle.vocabs[0].indices(reading.seen), reading


def prompt_tokens(bundle: ModelBundle, prefix: str) -> tuple[list[str], str, tuple[str, ...]]:
    """A language model's prompt as it reads it: tokens, the cleaned prefix, notices."""
    reading = read_prompt(bundle, prefix, require_known=True)
    return reading.tokens, reading.shown, tuple(reading.notices)


def prompt_label(shown: str, joiner: str) -> str:
    """The end of a prompt, short enough for the root node."""
    text = shown.replace(" ", "␣") if joiner == "" else shown  # characters: a space shown as the tree shows it
    return text if len(text) <= 14 else "…" + text[-13:]


def search_model(bundle: ModelBundle, text: str, strategy: str, options: BeamOptions) -> SearchOutcome:
    """Greedy, beam or exhaustive search over a translation model (``text`` = the sentence) or a
    language model (``text`` = the prefix; ``options.max_len`` tokens at most)."""
    from rnnviz.core.decoding.steps import lm_step, seq2seq_step

    was_training = _eval(bundle)
    try:
        if bundle.task == "mt":
            ids, reading = source_ids(bundle, text)
            vocabulary = tuple(bundle.vocabs[1].to_list())
            step = seq2seq_step(bundle, ids)
            result = run_search(strategy, step, len(vocabulary), bundle.vocabs[1].index(EOS), options)
            return SearchOutcome(result, vocabulary, BOS, reading.shown, tuple(reading.notices), text)
        tokens, shown, notices = prompt_tokens(bundle, text)
        vocab = bundle.vocabs[0]
        vocabulary = tuple(vocab.to_list())
        step = lm_step(bundle, vocab.indices(tokens))
        result = run_search(strategy, step, len(vocabulary), vocab.token_to_idx.get(EOS), options)
        return SearchOutcome(result, vocabulary, prompt_label(shown, bundle.joiner), tuple(tokens), notices, text)
    finally:
        bundle.model.train(was_training)


# ---- translation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TranslationOutcome:
    """Greedy and beam translations of one sentence, with BLEU against a reference if one was given."""

    sentence: str
    reference: str
    reference_tokens: tuple[str, ...]  # the reference as the book preprocesses it; () without one
    greedy: Translation
    beam: BeamTranslation
    greedy_bleu: float | None
    beam_bleu: tuple[float | None, ...]  # one per hypothesis, best first


def translate_and_score(bundle: ModelBundle, sentence: str, reference: str,
                        options: BeamOptions) -> TranslationOutcome:
    """``translate`` and ``translate_beam`` (the same source reading, the same notices), and BLEU."""
    from rnnviz.core.decoding.greedy import translate
    from rnnviz.core.decoding.model_beam import translate_beam

    if bundle.task != "mt":
        raise DataError("this is a language model; translation needs a translation model.")
    beam = translate_beam(bundle, sentence, options)  # refuses an empty sentence or only unknown words
    greedy = translate(bundle, sentence)
    ref = tuple(tokenize_mt(" ".join(reference.split()))) if reference.strip() else ()

    def score(tokens: Sequence[str]) -> float | None:
        return bleu(list(tokens), list(ref), BLEU_K) if ref else None

    return TranslationOutcome(sentence, reference, ref, greedy, beam, score(greedy.tokens),
                              tuple(score(h.tokens) for h in beam.hypotheses))


# ---- generation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationOutcome:
    """A continuation and, for each generated token, the next-token distribution it was chosen from."""

    prefix: str  # the prompt as the model read it
    tokens: tuple[str, ...]  # the generated tokens
    continuation: str  # as the core joins them
    notices: tuple[str, ...]
    vocabulary: tuple[str, ...]
    probs: np.ndarray  # (len(tokens), V) float32: P(next token | prompt + tokens before it)
    token_ids: tuple[int, ...]
    temperature: float  # the distributions' temperature (1 unless sampling)
    strategy: str  # "greedy" | "sample" | "beam"
    seed: int | None
    beam: BeamGeneration | None = None  # for strategy "beam"

    @property
    def text(self) -> str:
        return self.prefix + self.continuation


def step_distributions(bundle: ModelBundle, prompt_ids: Sequence[int], token_ids: Sequence[int],
                       temperature: float = 1.0) -> np.ndarray:
    """(len(token_ids), V): the model's next-token probabilities before each generated token.

    Computed as :func:`rnnviz.core.decoding.greedy.generate` computes them: a warm-up on
    the whole prompt, then one token at a time with the carried state (for a
    bidirectional model a single pass over prompt + tokens would differ). At
    temperature 0 (greedy) each row puts all its mass on the most likely token.
    """
    import torch

    TEMPERATURE.check(temperature, special=True, error=DataError)

    model = bundle.model
    device = next(model.parameters()).device
    was_training = _eval(bundle)
    rows = []
    try:
        with torch.no_grad():
            logits, state = model.next_logits(torch.tensor([list(prompt_ids)], device=device))  # (1, V)
            for i, token in enumerate(token_ids):
                if temperature == 0:  # the limit of softmax(logits / T) as T -> 0
                    rows.append(torch.nn.functional.one_hot(logits[0].argmax().cpu(), logits.shape[-1]).double())
                else:
                    rows.append(torch.softmax(logits.double().cpu()[0] / temperature, dim=-1))  # (V,)
                if i + 1 < len(token_ids):
                    logits, state = model.next_logits(torch.tensor([[int(token)]], device=device), state)
    finally:
        model.train(was_training)
    if not rows:
        return np.zeros((0, len(bundle.vocabs[0])), dtype=np.float32)
    return torch.stack(rows).float().numpy()  # float32: a long text over a word vocabulary stays small


def generate_with_distributions(bundle: ModelBundle, prefix: str, length: int, strategy: str,
                                temperature: float = 1.0, seed: int | None = None, beam_size: int = 3,
                                alpha: float = 0.75) -> GenerationOutcome:
    """Greedy, sampled or beam continuation of ``prefix``, with its per-step distributions.

    Sampling at temperature 0 is greedy decoding; its distributions are then one-hot.
    """
    from rnnviz.core.decoding.greedy import generate
    from rnnviz.core.decoding.model_beam import generate_beam

    if bundle.task != "lm":
        raise DataError("this is a translation model; generation needs a language model.")
    beam = None
    if strategy == "beam":
        beam = generate_beam(bundle, prefix, length, BeamOptions(beam_size=beam_size, alpha=alpha, max_len=length))
        produced, continuation, notices, shown = beam.tokens, beam.continuation, beam.notices, beam.prefix
        temperature = 1.0
    elif strategy in ("greedy", "sample"):
        gen = generate(bundle, prefix, length, strategy, temperature, seed)  # type: ignore[arg-type]
        produced, continuation, notices, shown = gen.tokens, gen.continuation, gen.notices, gen.prefix
        if strategy == "greedy":
            temperature = 1.0
    else:
        raise ConfigError(f"unknown strategy {strategy!r}; choose greedy, sample or beam.")
    vocab = bundle.vocabs[0]
    prompt = vocab.indices(read_prompt(bundle, prefix).tokens)  # the tokens the continuation follows
    ids = tuple(vocab.indices(list(produced)))
    probs = step_distributions(bundle, prompt, ids, temperature)
    return GenerationOutcome(shown, tuple(produced), continuation, tuple(notices), tuple(vocab.to_list()), probs, ids,
                             float(temperature), strategy, seed if strategy == "sample" else None, beam)


def top_k(probs: np.ndarray, k: int) -> list[int]:
    """Token ids of the k most probable entries, best first (ties: the smaller id)."""
    order = np.lexsort((np.arange(probs.shape[0]), -probs))
    return [int(i) for i in order[:k]]
