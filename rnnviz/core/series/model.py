"""A recurrent regressor for time series: a window of τ values in, the next value out.

The book's section 9.1 fits a linear model to the τ lagged values; exercise 10.1.5 asks for an
LSTM instead. Here the window is read as a sequence of τ scalar inputs by one of the project's
stacks (rnn, gru or lstm, :mod:`rnnviz.core.models.stacks`), and a linear layer reads the last
hidden state. It speaks the training loop's protocol (:mod:`rnnviz.core.train`): ``batch_loss``
(mean squared error on the normalised values), ``count_tokens`` (windows), ``metric_name`` "mse"
and ``batch_metric`` (squared errors in the series' own units).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.core.config import StackSpec
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.stacks import build_stack

#: The cells a regressor can use (the project's fused kernels; the scratch cells would work too, slower).
SERIES_CELLS: tuple[str, ...] = ("rnn", "gru", "lstm")


class SeriesRegressor(nn.Module):
    """(B, τ) windows -> the stack over τ steps of one input -> a linear layer on the last state -> (B,)."""

    metric_name: str | None = "mse"

    def __init__(self, cell: str = "lstm", hidden: int = 16, scale: float = 1.0) -> None:
        super().__init__()
        if cell not in SERIES_CELLS:
            raise ConfigError(f"unknown cell {cell!r} for a time series; choose one of {', '.join(SERIES_CELLS)}.")
        self.stack = build_stack(StackSpec(cell, (hidden,)), 1)
        self.output = nn.Linear(self.stack.spec.output_size, 1)
        # The series' standard deviation: squared errors of normalised values times scale² are in its units.
        self.scale = float(scale)

    def forward(self, windows: Tensor) -> Tensor:
        inputs = windows.transpose(0, 1).unsqueeze(-1).float()  # (τ, B, 1): time first, one value a step
        outputs, _ = self.stack(inputs)  # (τ, B, H)
        return self.output(outputs[-1]).squeeze(-1)  # (B,): the value after the window

    def batch_loss(self, batch: list[Tensor]) -> Tensor:
        features, labels = batch  # (B, τ), (B,)
        return F.mse_loss(self(features), labels.float())

    def count_tokens(self, batch: tuple[np.ndarray, ...]) -> int:
        """Windows: each has one label, so the loop weighs batches by their size."""
        return int(batch[0].shape[0])

    @torch.no_grad()
    def batch_metric(self, batch: list[Tensor]) -> tuple[float, int]:
        """(sum of squared errors in the series' units, windows) of one batch."""
        features, labels = batch  # (B, τ), (B,)
        errors = (self(features) - labels.float()) * self.scale  # (B,)
        return float((errors ** 2).sum()), int(labels.shape[0])

    @torch.no_grad()
    def predict(self, windows: np.ndarray, chunk: int = 65_536) -> np.ndarray:
        """Predictions for (N, τ) normalised windows, (N,) float64, in chunks (a long series fits in memory)."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = []
        try:
            for start in range(0, windows.shape[0], chunk):
                part = torch.from_numpy(np.ascontiguousarray(windows[start:start + chunk], dtype=np.float32))
                out.append(self(part.to(device)).cpu().numpy())  # (n,)
        finally:
            self.train(was_training)
        return np.concatenate(out).astype(np.float64) if out else np.zeros(0)  # (N,)
