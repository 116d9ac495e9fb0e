"""Training throughput: rnnviz's training session (core.train inside) against a bare torch.nn loop.

The book's GRU language model (section 10.2): one-hot characters, hidden 32,
batch 1024, num_steps 32, SGD with learning rate 4, gradients clipped to norm 1.
Data: The Time Machine from RNNVIZ_DATA_DIR when it is there, else the built-in
phrasebook. Both loops see the same batches on the same device; runs alternate
so that machine noise hits both, and the median of the repeats is reported.
Validation is off (val_fraction=0): this measures training steps only.

    python bench/train_throughput.py [--epochs 10] [--repeats 5] [--device auto]

The last line reads ``ratio rnnviz/bare: X.XX``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import LmData, build_data
from rnnviz.core.session import TrainingSession
from rnnviz.core.train import resolve_device

HIDDEN, BATCH, NUM_STEPS, LR, CLIP = 32, 1024, 32, 4.0, 1.0


class BareGRULM(nn.Module):
    """The same model written plainly on torch.nn, as one would without rnnviz."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.rnn = nn.GRU(vocab_size, HIDDEN)
        self.output = nn.Linear(HIDDEN, vocab_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(F.one_hot(x.T, self.vocab_size).float())  # (T, B, H)
        return self.output(outputs).transpose(0, 1)  # (B, T, V)


def bare_epochs(data: LmData, epochs: int, device: torch.device) -> tuple[int, float]:
    torch.manual_seed(0)
    model = BareGRULM(len(data.vocab)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    tokens = 0
    sync(device)
    start = time.perf_counter()
    for epoch in range(epochs):
        for inputs, targets in data.train_batches(epoch):
            x = torch.from_numpy(inputs).to(device)
            y = torch.from_numpy(targets).to(device)
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimizer.step()
            tokens += inputs.size
    sync(device)
    return tokens, time.perf_counter() - start


def rnnviz_epochs(data: LmData, epochs: int, device: torch.device) -> tuple[int, float]:
    """A run as the CLI and the app make one: a core session (its model built, the data given)."""
    config = TrainConfig(epochs=epochs, lr=LR, optimizer="sgd", grad_clip=CLIP, device=str(device), seed=0)
    session = TrainingSession(data.config, ModelConfig("lm", StackSpec("gru", (HIDDEN,))), config, data=data)
    session.prepare()
    sync(device)
    start = time.perf_counter()
    session.run()
    sync(device)
    elapsed = time.perf_counter() - start
    tokens = sum(x.size for e in range(epochs) for x, _ in data.train_batches(e))
    return tokens, elapsed


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    corpus = "time-machine" if os.environ.get("RNNVIZ_DATA_DIR") else "phrasebook-en"
    data = build_data(DataConfig(corpus=corpus, batch_size=BATCH, num_steps=NUM_STEPS, val_fraction=0.0),
                      download=False)
    assert isinstance(data, LmData)
    threads = torch.get_num_threads()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine()
    print(f"corpus {corpus}: {len(data.train_ids):,} tokens, vocab {len(data.vocab)}, "
          f"{data.num_train_batches()} batches of {BATCH}x{NUM_STEPS} per epoch")
    print(f"device {device} ({name}), torch {torch.__version__}, {threads} threads, "
          f"{args.epochs} epochs x {args.repeats} repeats")
    bare_epochs(data, 1, device)  # warm-up: allocator, kernels, caches
    rnnviz_epochs(data, 1, device)
    bare_rates, rnnviz_rates = [], []
    for repeat in range(args.repeats):
        order = (bare_epochs, rnnviz_epochs) if repeat % 2 == 0 else (rnnviz_epochs, bare_epochs)
        for fn in order:
            tokens, seconds = fn(data, args.epochs, device)
            (bare_rates if fn is bare_epochs else rnnviz_rates).append(tokens / seconds)
    bare, ours = statistics.median(bare_rates), statistics.median(rnnviz_rates)
    print(f"bare torch.nn loop: {bare:,.0f} tokens/s (runs: {', '.join(f'{r:,.0f}' for r in bare_rates)})")
    print(f"rnnviz.core session: {ours:,.0f} tokens/s (runs: {', '.join(f'{r:,.0f}' for r in rnnviz_rates)})")
    print(f"ratio rnnviz/bare: {ours / bare:.2f}")


if __name__ == "__main__":
    main()
