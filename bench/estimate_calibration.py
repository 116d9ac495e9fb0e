"""Calibrate rnnviz.core.estimate: time training steps of the models the app builds, fit the cost model.

The estimator predicts the seconds of one training batch as

    a0 + a_step · T · (layer-directions) + MACs / rate + a_param · parameters

(``rnnviz.core.estimate.cost_terms``). This script builds real models with the
app's factory, times full training steps (forward, backward, clipping, the
optimizer) on random batches, and fits the four constants by non-negative
least squares on the relative error. Paste the printed constants into
``rnnviz/core/estimate.py`` (``CALIBRATION``) with the machine and the date.

    python bench/estimate_calibration.py [--threads 1] [--repeats 5]

One torch thread by default: the app trains with one thread on a 2-core machine (the
other core is the GUI's, rnnviz.gui.training.worker.training_threads). Each model's
time is the fastest of the repeats: other processes on a shared machine only ever
slow a step down, so the minimum is the closest to the machine's own speed.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from rnnviz.core.config import ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.vocab import Vocab
from rnnviz.core.estimate import cost_terms
from rnnviz.core.models.factory import build_model
from rnnviz.core.train import make_optimizer

# (label, model config, vocab sizes, batch size, num_steps)
GRID = [
    ("rnn32 b1024", ModelConfig("lm", StackSpec("rnn", (32,))), (28,), 1024, 32),
    ("gru32 b32", ModelConfig("lm", StackSpec("gru", (32,))), (28,), 32, 32),
    ("gru32 b1024", ModelConfig("lm", StackSpec("gru", (32,))), (28,), 1024, 32),
    ("lstm32x2 b1024", ModelConfig("lm", StackSpec("lstm", (32, 32))), (28,), 1024, 32),
    ("gru256 b1024", ModelConfig("lm", StackSpec("gru", (256,))), (28,), 1024, 32),
    ("bilstm32x2 b32", ModelConfig("lm", StackSpec("lstm", (32, 32), True)), (28,), 32, 35),
    ("bilstm256x2 b32", ModelConfig("lm", StackSpec("lstm", (256, 256), True)), (28,), 32, 35),
    ("bigru32/16 scratch", ModelConfig("lm", StackSpec("gru", (32,), True, backward_sizes=(16,))), (28,), 1024, 32),
    ("grubook32 scratch", ModelConfig("lm", StackSpec("gru-book", (32,))), (28,), 1024, 32),
    ("seq2seq32 V200", ModelConfig("mt", StackSpec("gru", (32, 32)), StackSpec("gru", (32, 32)), 32, "identity"),
     (200, 250), 128, 9),
    ("seq2seq32 V8k", ModelConfig("mt", StackSpec("gru", (32, 32)), StackSpec("gru", (32, 32)), 32, "identity"),
     (6000, 9000), 128, 9),
    ("seq2seq32 fra-eng", ModelConfig("mt", StackSpec("gru", (32, 32)), StackSpec("gru", (32, 32)), 32,
                                      "identity"), (9126, 15889), 128, 9),
    ("seq2seq256 V2k", ModelConfig("mt", StackSpec("gru", (256, 256)), StackSpec("gru", (256, 256)), 256,
                                   "identity"), (1500, 2000), 128, 9),
]


def vocab_of(size: int) -> Vocab:
    return Vocab([[f"w{i}" for i in range(size)]], min_freq=0)


def batch_for(task: str, vocabs: tuple[Vocab, ...], batch: int, steps: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    if task == "lm":
        v = len(vocabs[0])
        return rng.integers(0, v, (batch, steps)), rng.integers(0, v, (batch, steps))
    vs, vt = len(vocabs[0]), len(vocabs[1])
    src = rng.integers(4, vs, (batch, steps))
    tgt = rng.integers(4, vt, (batch, steps))
    return src, tgt, np.full(batch, steps), tgt


def time_step(config: ModelConfig, sizes: tuple[int, ...], batch: int, steps: int, repeats: int) -> float:
    vocabs = tuple(vocab_of(s) for s in sizes)
    model = build_model(config, vocabs)
    optimizer = make_optimizer(model.parameters(), TrainConfig(optimizer="adam" if config.task == "mt" else "sgd",
                                                               lr=0.01))
    tensors = [torch.from_numpy(a) for a in batch_for(config.task, vocabs, batch, steps)]

    def one() -> None:
        loss = model.batch_loss(tensors)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    one()  # warm-up
    times = []
    for _ in range(repeats):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.25 or count < 2:
            one()
            count += 1
        times.append((time.perf_counter() - start) / count)
    return float(min(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="the whole grid this many times, interleaved")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    best = [float("inf")] * len(GRID)
    for _ in range(args.rounds):  # interleaved rounds: a busy spell of the machine hits one round, not one model
        for i, (label, config, sizes, batch, steps) in enumerate(GRID):
            best[i] = min(best[i], time_step(config, sizes, batch, steps, args.repeats))
    rows, measured = [], []
    for (label, config, sizes, batch, steps), seconds in zip(GRID, best):
        rows.append(cost_terms(config, sizes, batch, steps))
        measured.append(seconds)
        print(f"{label:22s} {seconds * 1e3:9.2f} ms/batch  {batch * steps / seconds:12,.0f} positions/s")
    a = np.array(rows) / np.array(measured)[:, None]  # relative error: each row divided by its time
    from scipy.optimize import nnls
    coef, _ = nnls(a, np.ones(len(measured)))
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} threads")
    print("CALIBRATION = Calibration(" + ", ".join(f"{c:.4g}" for c in coef) + ")")
    for (label, *_), terms, seconds in zip(GRID, rows, measured):
        predicted = float(np.dot(terms, coef))
        print(f"{label:22s} measured {seconds * 1e3:8.2f} ms  predicted {predicted * 1e3:8.2f} ms  "
              f"ratio {predicted / seconds:5.2f}")


if __name__ == "__main__":
    main()
