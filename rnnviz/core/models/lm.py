"""The book's RNN language model (sections 9.5–9.6): inputs, a stack, an output layer."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.core.config import ModelConfig
from rnnviz.core.models.initialisation import initialise
from rnnviz.core.models.stacks import State, build_stack


class RNNLM(nn.Module):
    """Next-token logits for every position of a batch of token ids.

    With ``embed_size`` None the inputs are one-hot vectors, as in the book's
    RNNLMScratch; otherwise a learned embedding.
    """

    def __init__(self, config: ModelConfig, vocab_size: int) -> None:
        super().__init__()
        self.config, self.vocab_size = config, vocab_size
        self.embedding = nn.Embedding(vocab_size, config.embed_size) if config.embed_size else None
        self.stack = build_stack(config.stack, config.embed_size or vocab_size)
        # O_t = H_t W_hq + b_q reads the top layer's directions concatenated (h_fwd + h_bwd wide).
        self.output = nn.Linear(config.stack.output_size, vocab_size)
        initialise(self, config)  # "book": the book's draws where they differ from torch's defaults

    def embed(self, tokens: Tensor) -> Tensor:
        """(B, T) ids -> (T, B, E) inputs, time first as the stacks expect."""
        if self.embedding is None:
            return F.one_hot(tokens.T, self.vocab_size).float()  # (T, B, V)
        return self.embedding(tokens.T)  # (T, B, E)

    def forward(self, tokens: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        outputs, state = self.stack(self.embed(tokens), state)  # (T, B, stack.output_size)
        return self.output(outputs).transpose(0, 1), state  # (B, T, V)

    def loss(self, logits: Tensor, targets: Tensor) -> Tensor:
        """Mean cross-entropy per token; (B, T, V) logits against (B, T) targets."""
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))

    def batch_loss(self, batch: list[Tensor]) -> Tensor:
        inputs, targets = batch  # (B, T) each
        return self.loss(self(inputs)[0], targets)

    def count_tokens(self, batch: tuple[np.ndarray, ...]) -> int:
        return int(batch[0].size)

    @torch.no_grad()
    def next_logits(self, tokens: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """Logits of the token after the last one: (B, T) ids -> (B, V)."""
        logits, state = self(tokens, state)
        return logits[:, -1], state
