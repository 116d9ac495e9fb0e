"""Gradients through time of a model bundle: a language model reading a text, a translation model
scoring a reference translation of a sentence (teacher forcing).

Input is read as the model's training data was: a language model's text
cleaned and tokenized by its rules, a translation's source as ``decoding.
read_source`` reads it (the words, ``<eos>``, cut or padded to ``num_steps``)
and its reference as the training targets (the words and ``<eos>``, cut to
``num_steps`` unless ``max_tokens`` says otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch
from torch import Tensor, nn

from rnnviz.core.data.tokenize import clean_lm_text, tokenize, tokenize_mt
from rnnviz.core.data.vocab import BOS, EOS, UNK, Vocab
from rnnviz.core.decoding.reading import read_source
from rnnviz.core.errors import DataError
from rnnviz.core.gradients.records import DEFAULT_MAX_TOKENS, Gradients
from rnnviz.core.gradients.engine import (
    DEFAULT_METHOD, _losses, _norms, _stack_record, check_gradient_memory, lm_step_loss, no_denormals, passes,
    through_time,
)
from rnnviz.core.gradients.unrolled import DEFAULT_BLOCK, run_stack
from rnnviz.core.limits import GRADIENT_TOKENS
from rnnviz.core.models.factory import ModelBundle
from rnnviz.core.models.seq2seq import context_of


def _shown(tokens: list[str]) -> str:
    return ", ".join(repr(t) for t in dict.fromkeys(tokens))


def _read_as(tokens: list[str], vocab: Vocab, allow_unknown: bool, where: str, consequence: str,
             notices: list[str]) -> list[str]:
    """The tokens as the model reads them; unknown ones refused (named, with ``consequence``), or read
    as <unk> with a notice."""
    unknown = [t for t in tokens if t not in vocab]
    if unknown and not allow_unknown:
        raise DataError(f"{where} has tokens the model's vocabulary lacks: {_shown(unknown)}. {consequence} "
                        f"Change them, or let them be read as {UNK} (allow_unknown=True; "
                        "`rnnviz grads --allow-unknown`).")
    if unknown:
        notices.append(f"{where}: not in the model's vocabulary, read as {UNK}: {_shown(unknown)}")
    return [t if t in vocab else UNK for t in tokens]


def gradients_lm(bundle: ModelBundle, text: str, max_tokens: int = DEFAULT_MAX_TOKENS, *,
                 allow_unknown: bool = False, maps: bool = True, method: str = DEFAULT_METHOD,
                 block: int = DEFAULT_BLOCK) -> Gradients:
    """A language model reading ``text`` (n tokens once cleaned): g, G, x (and the LSTM's cell) per
    layer-direction, for the losses ℓ_s of predicting token s+1 at step s, s = 1 … n−1.

    Raises DataError for a translation model, an empty text, a text of fewer
    than two tokens, and tokens the vocabulary lacks (named; ``allow_unknown``
    reads them as ``<unk>`` instead, with a notice). A text longer than
    ``max_tokens`` is cut to its beginning, with a notice.
    """
    if bundle.task != "lm":
        raise DataError("this is a translation model: its gradients need a source sentence and a reference "
                        "translation (gradients_translation; `rnnviz grads --text SOURCE --reference TARGET`).")
    GRADIENT_TOKENS.check(max_tokens, error=DataError)
    if not text.strip():
        raise DataError("the text is empty; type a text for the model to read (two tokens at least).")
    data = bundle.data_config
    rule = data.lm_cleaning or "letters"
    tokens = tokenize(clean_lm_text(text, rule), data.token_level)
    kind = "characters" if data.token_level == "char" else "words"
    if len(tokens) < 2:
        kept = "letters a-z only" if rule == "letters" else "visible characters"
        got = "nothing" if not tokens else f"one token ({tokens[0]!r})"
        raise DataError(f"the text {text[:40]!r} leaves {got} once cleaned as the model's training text was "
                        f"({kept}, {kind}); gradients through time need two tokens at least: one to read, "
                        "one to predict. Type a longer text.")
    notices: list[str] = []
    if len(tokens) > max_tokens:
        notices.append(f"the text has {len(tokens)} tokens; the gradients cover the first {max_tokens} "
                       "(max_tokens); raise max_tokens to see more.")
        tokens = tokens[:max_tokens]
    known = "A character model knows only the characters of its training text; it" if kind == "characters" \
        else "The model"
    shown = _read_as(tokens, bundle.vocabs[0], allow_unknown, "the text", f"{known} would read each as {UNK}, "
                     f"and the loss of predicting {UNK} says little about the text.", notices)
    model = bundle.model
    if model.stack.spec.bidirectional:
        notices.append("this language model is bidirectional: the backward direction has read the text after "
                       "each step, so its gradients reach later steps (its maps fill the lower triangle).")
    device = next(model.parameters()).device
    with torch.no_grad():
        ids = torch.tensor([bundle.vocabs[0].indices(shown)], device=device)  # (1, n)
        inputs = model.embed(ids[:, :-1])[:, 0]  # (n-1, E) one-hot or embedding, as the model reads it
    result = through_time(model.stack, inputs, lm_step_loss(model.output, ids[0, 1:]), tokens=shown,
                          maps=maps, method=method, block=block)
    return replace(result, notices=tuple(notices))


def gradients_sequence(model: nn.Module, inputs: Sequence[int] | Sequence[Sequence[float]] | Tensor,
                       targets: Sequence[float] | Tensor, *, tokens: Sequence[str] | None = None,
                       labels: Sequence[str] | None = None, maps: bool = True, method: str = DEFAULT_METHOD,
                       block: int = DEFAULT_BLOCK) -> Gradients:
    """Any model shaped like a language model (``embed``, ``stack``, ``output``: an RNNLM, the memory
    tasks' models) reading one sequence and scored at each step.

    ``inputs``: (T,) token ids, or (T, d) numbers, as ``model.embed`` takes a
    batch of one. ``targets`` (T,): integer ids scored by cross-entropy (a
    negative id: no loss at that step, as the recall and copy tasks mark them),
    or floats scored by the squared error of a one-number output (NaN: no loss,
    as the adding problem has a target at its last step only). ``tokens`` /
    ``labels`` name the inputs and targets (see :func:`through_time`).
    """
    device = next(model.parameters()).device
    x_in = torch.as_tensor(inputs, device=device)
    wanted = torch.as_tensor(targets, device=device)
    if wanted.dim() != 1 or wanted.shape[0] != x_in.shape[0]:
        raise ValueError(f"targets must be one per step ({x_in.shape[0]}), not of shape {tuple(wanted.shape)}.")
    with torch.no_grad():
        x = model.embed(x_in[None])[:, 0]  # (T, d) as the model reads a batch of one
    if wanted.is_floating_point():
        has = torch.isfinite(wanted)
        clean = torch.nan_to_num(wanted)

        def squared_error(top: Tensor, steps: slice) -> Tensor:
            error = model.output(top).reshape(-1) - clean[steps]  # (len,)
            return torch.where(has[steps], error * error, torch.zeros_like(error))

        step_loss = squared_error
    else:
        has = wanted >= 0
        step_loss = lm_step_loss(model.output, wanted)
    return through_time(model.stack, x, step_loss, tokens=tokens, labels=labels, loss_steps=has.cpu().numpy(),
                        maps=maps, method=method, block=block)


def gradients_translation(bundle: ModelBundle, source: str, reference: str | None,
                          max_tokens: int | None = None, *, allow_unknown: bool = False, maps: bool = True,
                          method: str = DEFAULT_METHOD, block: int = DEFAULT_BLOCK) -> Gradients:
    """A translation model scoring ``reference`` as the translation of ``source`` (teacher forcing).

    The decoder reads ``<bos>, y1 … ym`` and ℓ_s scores ``y_s`` (``<eos>``
    last): g, G, x per decoder layer-direction as for a language model. The
    encoder gets ‖∂L/∂H_t‖ for the whole target's loss L = Σ_s ℓ_s (the
    training loss is their mean: divide by n−1) and, with ``maps``, one row per
    ℓ_s. The targets are cut to ``max_tokens`` (default: the model's
    ``num_steps``, as in training), with a notice.
    """
    if bundle.task != "mt":
        raise DataError("this is a language model: it reads one text, with no reference translation "
                        "(gradients_lm; leave --reference out).")
    if reference is None or not reference.strip():
        raise DataError("a translation model needs a reference translation of the sentence: the losses are "
                        "its cross-entropy on the reference, word by word. Give one (--reference \"...\").")
    limit = bundle.max_len if max_tokens is None else max_tokens
    GRADIENT_TOKENS.check(limit, error=DataError)
    src_vocab, tgt_vocab = bundle.vocabs
    reading = read_source(bundle, source)  # the words, <eos>, cut or padded to num_steps, as the encoder reads
    notices = [n for n in reading.notices if "vocabulary" not in n]
    seen = _read_as(reading.seen, src_vocab, allow_unknown, "the sentence",
                    f"The encoder would read each as {UNK}, which is not the sentence you typed.", notices)
    words = tokenize_mt(" ".join(reference.split()))
    if not words:
        raise DataError(f"the reference {reference[:40]!r} has no words once read as the training targets; "
                        "type the translation.")
    targets = words + [EOS]
    if len(targets) > limit:
        notices.append(f"the reference has {len(targets)} tokens with {EOS}; the decoder is scored on the first "
                       f"{limit} (max_tokens, by default the model's num_steps as in training).")
        targets = targets[:limit]
    targets = _read_as(targets, tgt_vocab, allow_unknown, "the reference",
                       f"The decoder would be scored on {UNK} there, a word it cannot name.", notices)
    tokens = [BOS, *targets]  # n tokens: the decoder reads tokens[:-1], scored on tokens[1:]
    model = bundle.model
    device = next(model.parameters()).device
    steps = len(targets)
    how, batchable = passes(method, maps)
    enc_spec, dec_spec = model.config.stack, model.config.decoder
    assert dec_spec is not None
    embed = int(model.config.embed_size or 0)
    check_gradient_memory([(enc_spec, embed, len(seen)), (dec_spec, embed + enc_spec.output_size, steps)], maps)
    with torch.enable_grad(), no_denormals():
        src = torch.tensor([src_vocab.indices(seen)], device=device)  # (1, S)
        tgt = torch.tensor([tgt_vocab.indices(tokens)], device=device)  # (1, n)
        with torch.no_grad():
            enc_inputs = model.encoder.embedding(src.T)[:, 0]  # (S, E)
        encoder = run_stack(model.encoder.stack, enc_inputs, None, block, batchable)
        context = context_of(model.config.stack, encoder.final)  # (1, C), from the unrolled states
        state = model.bridge(encoder.final) if model.bridge is not None else encoder.final
        dec_inputs = model.decoder.inputs(tgt[:, :-1], context)[:, 0]  # (n-1, E + C)
        decoder = run_stack(model.decoder.stack, dec_inputs, state, block, batchable)
        losses = _losses(decoder, lm_step_loss(model.decoder.output, tgt[0, 1:]))
        # Rows: e_s for every decoder loss (with maps), and the ones row: L = Σ_s ℓ_s.
        reference_dtype = losses[0]
        every = torch.ones(1, steps, dtype=reference_dtype.dtype, device=device)
        unit = torch.eye(steps, dtype=reference_dtype.dtype, device=device)
        rows = torch.cat([unit, every]) if maps else torch.cat([unit[-1:], every])
        dec_norms, enc_norms = _norms(losses, decoder.blocks, rows, [decoder, encoder], how)
        values = torch.cat(losses).detach().cpu().numpy()
    has = np.ones(steps, bool)
    map_rows = slice(0, steps) if maps else None
    dec_record = _stack_record("decoder", tokens, dec_spec.cell, dec_spec.num_layers, dec_spec.bidirectional,
                               dec_norms, has, map_rows, steps - 1 if maps else 0, steps - 1)
    enc_record = _stack_record("encoder", seen, enc_spec.cell, enc_spec.num_layers, enc_spec.bidirectional,
                               enc_norms, has, map_rows, steps if maps else 1, None)
    return Gradients(dec_record, values, enc_record, tuple(notices))
