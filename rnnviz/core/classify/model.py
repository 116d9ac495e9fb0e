"""The sequence classifier of the book's exercise in section 10.4: embedding, a bidirectional
recurrent encoder, its outputs averaged over time, then an MLP.

Padding is never read. Averaging over the valid steps alone is not enough: in a padded batch the
backward direction would start from the padding and carry it into every step. So the encoder reads
each sequence at its own length: torch's fused kernels through a packed sequence, the book's scratch
stacks (which have no packing) one group of equal-length sequences at a time. A sentence thus gets
the same logits alone and in any padded batch (a test checks both implementations).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnviz.core.config import StackSpec
from rnnviz.core.models.stacks import FusedStack, build_stack

#: The default stack: a bidirectional GRU of one layer, 32 units a direction.
DEFAULT_SPEC = StackSpec("gru", (32,), bidirectional=True)


class SequenceClassifier(nn.Module):
    """tokens (B, T) and lengths (B,) -> one logit per class (B, C).

    ``embedding`` (V, E) with <pad> at index ``pad``; ``stack`` a RecurrentStack (any cell, layers,
    directions); ``mlp``: Linear(D·H, hidden), ReLU, Linear(hidden, C)."""

    metric_name: str | None = "accuracy"

    def __init__(self, vocab_size: int, num_classes: int, spec: StackSpec = DEFAULT_SPEC, embed_size: int = 32,
                 mlp_hidden: int = 32, pad: int = 0) -> None:
        super().__init__()
        self.spec = spec
        self.pad = pad
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=pad)
        self.stack = build_stack(spec, embed_size)
        self.mlp = nn.Sequential(nn.Linear(spec.output_size, mlp_hidden), nn.ReLU(), nn.Linear(mlp_hidden, num_classes))

    def encode(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """The top layer's outputs, both directions, zero at padded steps: (T, B, D·H)."""
        inputs = self.embedding(tokens.T)  # (T, B, E)
        if isinstance(self.stack, FusedStack):
            packed = pack_padded_sequence(inputs, lengths.cpu(), enforce_sorted=False)
            outputs, _ = self.stack.rnn(packed)
            padded, _ = pad_packed_sequence(outputs, total_length=inputs.shape[0])  # (T, B, D·H)
            return padded
        steps, batch = int(inputs.shape[0]), int(inputs.shape[1])
        padded = inputs.new_zeros(steps, batch, self.spec.output_size)  # (T, B, D·H)
        for length in torch.unique(lengths).tolist():
            rows = (lengths == length).nonzero().squeeze(1)  # (b,)
            outputs, _ = self.stack(inputs[:length, rows])  # (length, b, D·H)
            padded[:length, rows] = outputs
        return padded

    def pooled(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """The mean of the outputs over each sequence's valid steps: (B, D·H)."""
        outputs = self.encode(tokens, lengths)  # (T, B, D·H), zeros where padded
        return outputs.sum(0) / lengths.to(outputs.dtype).clamp(min=1).unsqueeze(1)  # (B, D·H)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        return self.mlp(self.pooled(tokens, lengths))  # (B, C)

    # --- the training loop's hooks (rnnviz.core.train) ---

    def batch_loss(self, batch: list[Tensor]) -> Tensor:
        tokens, lengths, labels = batch  # (B, T), (B,), (B,)
        return F.cross_entropy(self(tokens, lengths), labels)

    def count_tokens(self, batch: tuple[np.ndarray, ...]) -> int:
        """Sequences: the loss is a mean over them, so the loop weighs batches by their size."""
        return int(batch[0].shape[0])

    @torch.no_grad()
    def batch_metric(self, batch: list[Tensor]) -> tuple[float, int]:
        """(correctly classified sequences, sequences) of one batch."""
        tokens, lengths, labels = batch
        return float((self(tokens, lengths).argmax(-1) == labels).sum()), int(labels.shape[0])

    @torch.no_grad()
    def predict(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """The predicted class per sequence, (B,)."""
        return self(tokens, lengths).argmax(-1)
