"""Decoding with a trained model: language-model continuation and greedy translation.

Inputs are cleaned with the same rules as the training data. What the model
cannot see as typed (unknown tokens, an over-long sentence) is not an error:
it is done the book's way (``<unk>``, trimming) and said in ``notices``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from rnnviz.core.data.tokenize import clean_lm_text, tokenize, tokenize_mt
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK
from rnnviz.core.errors import DataError
from rnnviz.core.models.factory import ModelBundle

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
    model = bundle.model
    device = next(model.parameters()).device
    generator = torch.Generator(device="cpu")
    if seed is not None:
        generator.manual_seed(seed)
    model.eval()
    out: list[int] = []
    with torch.no_grad():
        ids = torch.tensor([vocab.indices(tokens)], device=device)  # (1, T) warm-up on the prefix
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
    joiner = "" if data.token_level == "char" else " "
    continuation = joiner.join(produced)
    if joiner:  # the shown prefix is the words joined, without a trailing space
        continuation = " " + continuation
    shown_prefix = cleaned if data.token_level == "char" else " ".join(tokens)
    return Generation(shown_prefix, continuation, produced, tuple(notices))


def translate(bundle: ModelBundle, sentence: str, max_len: int | None = None) -> Translation:
    """Greedy translation (the book's ``predict_step``): the source padded to num_steps,
    then the most likely token at each step until ``<eos>`` or ``max_len`` tokens."""
    if bundle.task != "mt":
        raise DataError("this is a language model; translation needs a translation model.")
    words = tokenize_mt(" ".join(sentence.split()))  # tabs and line ends are spaces, as in training
    if not words:
        raise DataError("the sentence is empty; type a sentence to translate.")
    src_vocab, tgt_vocab = bundle.vocabs
    num_steps = int(bundle.data_config.num_steps or 9)
    max_len = max_len or num_steps
    notices: list[str] = []
    unknown = [w for w in words if w not in src_vocab]
    if unknown:
        notices.append(_unknown_notice(unknown))
    seen = words + [EOS]
    trimmed = len(seen) > num_steps
    if trimmed:
        notices.append(f"the sentence has {len(seen)} tokens with {EOS}; the model reads {num_steps} "
                       f"(its num_steps), so it read only: {' '.join(seen[:num_steps])}")
    seen = seen[:num_steps] + [PAD] * (num_steps - len(seen))
    model = bundle.model
    device = next(model.parameters()).device
    model.eval()
    out: list[str] = []
    with torch.no_grad():
        src = torch.tensor([src_vocab.indices(seen)], device=device)  # (1, T)
        state, context, _ = model.start(src)
        token = tgt_vocab.index(BOS)
        for _ in range(max_len):
            logits, state = model.decoder(torch.tensor([[token]], device=device), state, context)  # (1, 1, V)
            token = int(logits[0, -1].argmax())
            word = tgt_vocab.to_tokens(token)
            if word == EOS:
                break
            out.append(word)
    shown = tuple(w if w in src_vocab else UNK for w in seen if w != PAD)
    return Translation(sentence, shown, tuple(out), tuple(dict.fromkeys(unknown)), trimmed, tuple(notices))
