"""Greedy translation and greedy or sampled generation (the book's ``predict_step`` and ``predict``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from rnnviz.core.data.vocab import BOS, EOS
from rnnviz.core.decoding.reading import continuation_text, read_prompt, read_source
from rnnviz.core.errors import DataError
from rnnviz.core.limits import DECODE_MAX_LEN, GENERATION_LENGTH, SEED, TEMPERATURE
from rnnviz.core.models.factory import ModelBundle

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



def generate(bundle: ModelBundle, prefix: str, length: int = 50,
             strategy: Literal["greedy", "sample"] = "greedy", temperature: float = 1.0,
             seed: int | None = None) -> Generation:
    """Continue ``prefix`` by ``length`` tokens (the book's ``predict``), greedily or by sampling.

    Sampling at temperature 0 is greedy decoding (the limit of ever colder sampling), never
    temperature 1. Every number is checked against its range (:mod:`rnnviz.core.limits`)
    before the model runs: a length of ten million is refused, not started.
    """
    if bundle.task != "lm":
        raise DataError("this is a translation model; generation needs a language model.")
    GENERATION_LENGTH.check(length, error=DataError)
    if strategy not in ("greedy", "sample"):
        raise DataError(f"unknown strategy {strategy!r}; use greedy or sample.")
    if strategy == "sample":
        TEMPERATURE.check(temperature, special=True, error=DataError)
        if temperature == 0:
            strategy = "greedy"
    if seed is not None:
        SEED.check(seed, error=DataError)
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
            else:  # at the lowest temperature, 1e-6, logits of 50 become 5e7: still finite in float32
                probs = torch.softmax(logits.float().cpu() / temperature, dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            out.append(nxt)
            logits, state = model.next_logits(torch.tensor([[nxt]], device=device), state)
    produced = tuple(vocab.to_tokens(out))
    return Generation(prompt.shown, continuation_text(prompt, produced), produced, tuple(prompt.notices))


def translate(bundle: ModelBundle, sentence: str, max_len: int | None = None) -> Translation:
    """Greedy translation (the book's ``predict_step``): the source padded to num_steps,
    then the most likely token at each step until ``<eos>`` or ``max_len`` tokens."""
    if max_len is not None:
        DECODE_MAX_LEN.check(max_len, error=DataError)
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
