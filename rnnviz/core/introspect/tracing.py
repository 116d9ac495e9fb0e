"""Tracing a model bundle: a language model reading a text, a translation model translating a sentence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch

from rnnviz.core.data.tokenize import clean_lm_text, tokenize
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK, Vocab
from rnnviz.core.decoding.greedy import translate
from rnnviz.core.decoding.reading import read_source
from rnnviz.core.errors import DataError
from rnnviz.core.introspect.kernels import trace_sequence
from rnnviz.core.introspect.records import DEFAULT_MAX_TOKENS, DirectionTrace, GateTrace
from rnnviz.core.models.factory import ModelBundle

def _check_max_tokens(max_tokens: int | None) -> None:
    if max_tokens is not None and max_tokens < 1:
        raise DataError(f"max_tokens must be at least 1, not {max_tokens}.")


def _unknown_notice(tokens: Iterable[str]) -> str:
    shown = ", ".join(repr(t) if t.isspace() else t for t in dict.fromkeys(tokens))
    return f"not in the model's vocabulary, read and shown as {UNK}: {shown}"


def _predicted(output: torch.nn.Module, directions: Sequence[DirectionTrace], num_dirs: int,
               vocab: Vocab) -> tuple[str, ...]:
    """The output layer's top token after each step, from the top layer's traced states."""
    top = np.concatenate([d.hidden for d in directions[-num_dirs:]], axis=1)  # (T, D*H)
    reference = next(output.parameters())
    with torch.inference_mode():
        logits = output(torch.from_numpy(top).to(reference.device, reference.dtype))  # (T, V)
        ids = logits.argmax(-1).tolist()
    return tuple(vocab.to_tokens(ids))


def trace_lm(bundle: ModelBundle, text: str, max_tokens: int = DEFAULT_MAX_TOKENS) -> GateTrace:
    """Trace a language model reading ``text``, cleaned and tokenized as its training data.

    Tokens the vocabulary lacks are read as ``<unk>`` (and named in a notice);
    text longer than ``max_tokens`` tokens is cut to its beginning (with a notice).
    """
    if bundle.task != "lm":
        raise DataError("this is a translation model; trace it with trace_translation "
                        "(`rnnviz gates` picks the right one from the checkpoint).")
    _check_max_tokens(max_tokens)
    data = bundle.data_config
    rule = data.lm_cleaning or "letters"
    if not text.strip():
        raise DataError("the probe text is empty; type some text for the model to read.")
    tokens = tokenize(clean_lm_text(text, rule), data.token_level)
    if not tokens:
        kept = "letters a-z only" if rule == "letters" else "visible characters"
        raise DataError(f"the probe text {text[:40]!r} is empty once cleaned for this model (its training "
                        f"text kept {kept}); type some words.")
    notices: list[str] = []
    if len(tokens) > max_tokens:
        notices.append(f"the text has {len(tokens)} tokens; the trace covers the first {max_tokens} "
                       "(max_tokens); raise max_tokens to see more.")
        tokens = tokens[:max_tokens]
    vocab = bundle.vocabs[0]
    unknown = [t for t in tokens if t not in vocab]
    if unknown:
        notices.append(_unknown_notice(unknown))
    model = bundle.model
    if model.stack.spec.bidirectional:
        notices.append("this language model is bidirectional: its predictions use the backward direction, "
                       "which has already read the text after each position (the book's caution, section 10.4).")
    device = next(model.parameters()).device
    with torch.inference_mode():
        ids = torch.tensor([vocab.indices(tokens)], device=device)  # (1, T)
        inputs = model.embed(ids)[:, 0]  # (T, E) one-hot or embedding, as the model feeds it
    directions = trace_sequence(model.stack, inputs)
    predicted = _predicted(model.output, directions, model.stack.spec.num_directions, vocab)
    shown = tuple(t if t in vocab else UNK for t in tokens)
    return GateTrace(shown, model.stack.spec.cell, "lm", tuple(directions), tuple(notices), predicted)


def trace_translation(bundle: ModelBundle, sentence: str,
                      max_tokens: int | None = None) -> tuple[GateTrace, GateTrace]:
    """Trace a translation model: (encoder over the source, decoder over its greedy translation).

    The encoder reads what ``decoding.translate`` feeds it: the words, ``<eos>``,
    cut or padded with ``<pad>`` to the model's ``num_steps``. The decoder is
    traced teacher-forced on the translation the model produces (``max_tokens``
    at most; default ``num_steps``): its inputs are the embeddings of ``<bos>,
    y1, …`` each concatenated with the context, from the bridged initial state,
    exactly as in generation. Its ``predicted`` tokens are the translation
    (then ``<eos>`` when the model ended it).
    """
    if bundle.task != "mt":
        raise DataError("this is a language model; trace it with trace_lm "
                        "(`rnnviz gates` picks the right one from the checkpoint).")
    _check_max_tokens(max_tokens)
    if not sentence.strip():
        raise DataError("the sentence is empty; type a sentence to translate and trace.")
    num_steps = bundle.max_len
    limit = max_tokens or num_steps
    result = translate(bundle, sentence, max_len=limit)  # also the notices on unknown words and trimming
    src_vocab, tgt_vocab = bundle.vocabs
    seen = read_source(bundle, sentence).seen  # as translate() feeds it: the encoder reads the padding too
    enc_notices = list(result.notices)
    if PAD in seen:
        enc_notices.append(f"the encoder reads the sentence padded with {PAD} to num_steps={num_steps}, as in "
                           "training; its state after the padding is what the decoder starts from.")
    # The decoder read <bos> and every produced token but the last one if it stopped at the limit.
    ended = len(result.tokens) < limit
    dec_tokens = [BOS, *result.tokens] if ended else [BOS, *result.tokens[:-1]]
    dec_notices = [] if ended else [f"the translation reached max_tokens={limit} without {EOS} and was cut there."]
    model = bundle.model
    device = next(model.parameters()).device
    with torch.inference_mode():
        src = torch.tensor([src_vocab.indices(seen)], device=device)  # (1, S)
        enc_inputs = model.encoder.embedding(src.T)[:, 0]  # (S, E)
        state, context, _ = model.start(src)  # the bridged state, (1, C) context
        tgt = torch.tensor([tgt_vocab.indices(dec_tokens)], device=device)  # (1, T)
        dec_inputs = model.decoder.inputs(tgt, context)[:, 0]  # (T, E + C)
    encoder = trace_sequence(model.encoder.stack, enc_inputs)
    decoder = trace_sequence(model.decoder.stack, dec_inputs, state)
    predicted = _predicted(model.decoder.output, decoder, model.decoder.stack.spec.num_directions, tgt_vocab)
    src_shown = tuple(w if w in src_vocab else UNK for w in seen)
    return (GateTrace(src_shown, model.encoder.stack.spec.cell, "encoder", tuple(encoder), tuple(enc_notices)),
            GateTrace(tuple(dec_tokens), model.decoder.stack.spec.cell, "decoder", tuple(decoder),
                      tuple(dec_notices), predicted))
