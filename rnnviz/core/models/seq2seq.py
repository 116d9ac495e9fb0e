"""The book's RNN encoder–decoder for machine translation (section 10.7).

The encoder reads the source; its final state initialises the decoder through
the bridge, and its top layer's final hidden state (both directions, when
bidirectional) is the context vector concatenated to every decoder input.
The loss is softmax cross-entropy with the padding masked out, as the book's; with
``ModelConfig.mask_padding`` False (the book's exercise 3 of section 10.7) it averages over every
target position instead, so the ``<pad>`` tokens after ``<eos>`` count as targets the decoder must
predict.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.models.initialisation import initialise
from rnnviz.core.models.stacks import State, build_stack


def _hidden(entry: Tensor | tuple[Tensor, Tensor]) -> Tensor:
    return entry[0] if isinstance(entry, tuple) else entry


def _cell(entry: Tensor | tuple[Tensor, Tensor]) -> Tensor | None:
    return entry[1] if isinstance(entry, tuple) else None


def context_of(spec: StackSpec, state: State) -> Tensor:
    """The top layer's final hidden state, directions concatenated: (B, spec.output_size).

    For a unidirectional encoder this is the book's ``enc_outputs[-1]``.
    """
    top = (spec.num_layers - 1) * spec.num_directions
    return torch.cat([_hidden(state[top + d]) for d in range(spec.num_directions)], dim=-1)


class LinearBridge(nn.Module):
    """Per layer, h_dec = tanh(W [h_fwd; h_bwd] + b); an LSTM decoder's cell state
    likewise from the encoder's cell state, or zeros when the encoder has none.

    Layer k's W is (h_dec_k, h_fwd_k + h_bwd_k): the directions may differ in size.
    """

    def __init__(self, encoder: StackSpec, decoder: StackSpec) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        sizes = bridge_sizes(encoder, decoder)
        self.hidden = nn.ModuleList(nn.Linear(i, o) for i, o in sizes)
        carries_cell = encoder.cell == "lstm" and decoder.cell == "lstm"
        self.cell = nn.ModuleList(nn.Linear(i, o) for i, o in sizes) if carries_cell else None

    def forward(self, state: State) -> State:
        directions = self.encoder.num_directions
        out: State = []
        for layer, project in enumerate(self.hidden):
            entries = state[layer * directions:(layer + 1) * directions]
            both = torch.cat([_hidden(e) for e in entries], dim=-1)  # (B, h_fwd + h_bwd)
            h = torch.tanh(project(both))  # (B, H_dec)
            if self.decoder.cell != "lstm":
                out.append(h)
            elif self.cell is not None:
                c = torch.tanh(self.cell[layer](torch.cat([_cell(e) for e in entries], dim=-1)))  # (B, H_dec)
                out.append((h, c))
            else:
                out.append((h, torch.zeros_like(h)))
        return out


def bridge_sizes(encoder: StackSpec, decoder: StackSpec) -> list[tuple[int, int]]:
    """(in, out) features of each layer's bridge: the encoder layer's directions concatenated -> decoder h."""
    return [(encoder.layer_output_size(layer), decoder.hidden_sizes[layer]) for layer in range(encoder.num_layers)]


class Encoder(nn.Module):
    def __init__(self, spec: StackSpec, vocab_size: int, embed_size: int) -> None:
        super().__init__()
        self.spec = spec
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.stack = build_stack(spec, embed_size)

    def forward(self, src: Tensor) -> tuple[Tensor, State]:
        """(B, T) ids -> outputs (T, B, spec.output_size) and the final state."""
        return self.stack(self.embedding(src.T))


class Decoder(nn.Module):
    def __init__(self, spec: StackSpec, vocab_size: int, embed_size: int, context_size: int) -> None:
        super().__init__()
        self.spec = spec
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.stack = build_stack(spec, embed_size + context_size)
        self.output = nn.Linear(spec.output_size, vocab_size)

    def inputs(self, tgt_in: Tensor, context: Tensor) -> Tensor:
        """What the stack reads: (B, T) ids and the (B, C) context -> (T, B, E + C), each
        step's embedding concatenated with the context (the book's decoder)."""
        embs = self.embedding(tgt_in.T)  # (T, B, E)
        ctx = context.unsqueeze(0).expand(embs.shape[0], -1, -1)  # (T, B, C)
        return torch.cat([embs, ctx], dim=-1)  # (T, B, E + C)

    def forward(self, tgt_in: Tensor, state: State, context: Tensor) -> tuple[Tensor, State]:
        """(B, T) ids, the state and the (B, C) context -> logits (B, T, V) and the new state."""
        outputs, state = self.stack(self.inputs(tgt_in, context), state)  # (T, B, H)
        return self.output(outputs).transpose(0, 1), state  # (B, T, V)


class Seq2Seq(nn.Module):
    def __init__(self, config: ModelConfig, src_vocab_size: int, tgt_vocab_size: int, pad_index: int) -> None:
        super().__init__()
        assert config.decoder is not None and config.embed_size is not None
        self.config, self.pad_index = config, pad_index
        self.mask_padding = config.mask_padding
        self.encoder = Encoder(config.stack, src_vocab_size, config.embed_size)
        self.bridge = LinearBridge(config.stack, config.decoder) if config.resolved_bridge == "linear" else None
        self.decoder = Decoder(config.decoder, tgt_vocab_size, config.embed_size, config.stack.output_size)
        initialise(self, config)  # "book": the book's init_seq2seq (Xavier-uniform)

    def start(self, src: Tensor) -> tuple[State, Tensor, Tensor]:
        """Encode (B, T) source ids: the decoder's initial state, the context, the encoder outputs."""
        enc_outputs, enc_state = self.encoder(src)
        context = context_of(self.config.stack, enc_state)  # (B, C)
        state = self.bridge(enc_state) if self.bridge is not None else enc_state
        return state, context, enc_outputs

    def forward(self, src: Tensor, tgt_in: Tensor, src_valid_len: Tensor | None = None) -> Tensor:
        """Teacher-forced logits (B, T, V). As in the book, the encoder reads the padding too."""
        state, context, _ = self.start(src)
        logits, _ = self.decoder(tgt_in, state, context)
        return logits

    def loss(self, logits: Tensor, targets: Tensor, mask_padding: bool | None = None) -> Tensor:
        """Cross-entropy averaged over the non-padding target tokens (masked, the book's), or over every
        target position, padding included (unmasked). ``mask_padding`` None: the model's setting."""
        masked = self.mask_padding if mask_padding is None else mask_padding
        per_token = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                    reduction="none")  # (B * T,)
        if not masked:
            return per_token.mean()
        mask = (targets.reshape(-1) != self.pad_index).float()  # (B * T,)
        return (per_token * mask).sum() / mask.sum().clamp(min=1.0)

    def batch_loss(self, batch: list[Tensor]) -> Tensor:
        src, tgt_in, src_valid_len, tgt_out = batch
        return self.loss(self(src, tgt_in, src_valid_len), tgt_out)

    def count_tokens(self, batch: tuple[np.ndarray, ...]) -> int:
        """Target tokens that count in the loss: padding excluded when masked, every position when not
        (so that an epoch's loss, weighted by these counts, is the mean the loss took)."""
        if not self.mask_padding:
            return int(np.asarray(batch[3]).size)
        return int((batch[3] != self.pad_index).sum())
