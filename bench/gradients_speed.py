"""Gradients-through-time speed: g and the G map against one fused forward and backward.

The model: a 2-layer LSTM of hidden 256 (torch.nn.LSTM's layout, random
weights) reading 200 characters one-hot (the Time Machine's 28), with an
output layer; the speed does not depend on the weights' values. Timed, in the
same run, medians of ``--repeats``:

- the baseline: one forward and backward of the fused ``nn.LSTM`` over the same
  200 tokens (mean cross-entropy, gradients of every weight);
- g: ``through_time(..., maps=False)``: one forward unrolled step by step and one
  backward pass (g, x and the cell's g of every layer);
- G: ``through_time(..., maps=True)`` with each method, ``batched`` (one backward
  pass per time block, ``is_grads_batched``) and ``loop`` (one pass per loss,
  ``retain_graph``), at each ``--blocks`` size. The loop takes seconds: it runs
  ``--loop-repeats`` times. The two methods' maps are compared (max difference).

Targets: g ≤ 150 ms, G ≤ 2 s on two CPU cores (``--threads 2``).

    python bench/gradients_speed.py [--tokens 200] [--hidden 256] [--layers 2] [--vocab 28]
                                    [--repeats 5] [--loop-repeats 1] [--blocks 32,64,128]
                                    [--threads 2] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from machine import cpu_name  # bench/machine.py: the scripts run from bench/
from rnnviz.core.config import StackSpec
from rnnviz.core.gradients import lm_step_loss, through_time
from rnnviz.core.models.stacks import build_stack

TARGET_G_MS = 150.0
TARGET_MAP_MS = 2000.0


def timed(fn: Callable[[], object], device: torch.device) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one call. The CPU time of the process counts only the time it ran:
    on a machine shared with other work it shows the cost the wall time hides behind waiting."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) * 1e3, (time.process_time() - cpu) * 1e3


def median_ms(fn: Callable[[], object], repeats: int, device: torch.device) -> tuple[float, float]:
    """Median wall and CPU milliseconds over ``repeats`` calls."""
    times = [timed(fn, device) for _ in range(repeats)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--vocab", type=int, default=28, help="one-hot input and output size")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loop-repeats", type=int, default=1)
    parser.add_argument("--blocks", default="32,64,128", help="time-block sizes to try for G, comma-separated "
                        "(the loop method runs at the first only: it takes seconds)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-loop", action="store_true", help="skip the one-pass-per-loss method")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    spec = StackSpec("lstm", (args.hidden,) * args.layers, implementation="fused")
    stack = build_stack(spec, args.vocab).to(device).eval()
    output = torch.nn.Linear(args.hidden, args.vocab).to(device)
    ids = torch.randint(0, args.vocab, (args.tokens + 1,), device=device)
    inputs = F.one_hot(ids[:-1], args.vocab).float()  # (T, V)
    targets = ids[1:]
    loss = lm_step_loss(output, targets)

    def baseline() -> None:
        outputs, _ = stack(inputs[:, None])  # (T, 1, H)
        F.cross_entropy(output(outputs[:, 0]), targets).backward()
        stack.zero_grad(set_to_none=True)
        output.zero_grad(set_to_none=True)

    def g_only() -> None:
        through_time(stack, inputs, loss, maps=False)

    where = (f"GPU {torch.cuda.get_device_name(device)}" if device.type == "cuda" else
             f"CPU {cpu_name()}")
    print(f"{args.layers}-layer LSTM, hidden {args.hidden}, {args.tokens} tokens one-hot of {args.vocab}; {where}, "
          f"{os.cpu_count()} cores visible, {torch.get_num_threads()} torch threads, torch {torch.__version__}")
    for _ in range(2):  # warm-up: allocator, caches, lazy initialisation
        baseline()
        g_only()
    base, base_cpu = median_ms(baseline, args.repeats * 2, device)
    g_ms, g_cpu = median_ms(g_only, args.repeats, device)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min)" if hasattr(os, "getloadavg") else "")
    print(f"baseline (fused forward + backward): {base:.1f} ms (CPU {base_cpu:.1f} ms)")
    print(f"g: {g_ms:.1f} ms (CPU {g_cpu:.1f} ms) = {g_ms / base:.1f}× baseline; target {TARGET_G_MS:.0f} ms: "
          f"{'met' if g_ms <= TARGET_G_MS else 'MISSED'}")
    results: dict[tuple[str, int], float] = {}
    maps: dict[tuple[str, int], np.ndarray] = {}
    methods = ("batched",) if args.no_loop else ("batched", "loop")
    blocks = [int(b) for b in args.blocks.split(",")]
    for block in blocks:
        for method in methods if block == blocks[0] else ("batched",):
            repeats = args.repeats if method == "batched" else args.loop_repeats
            result = through_time(stack, inputs, loss, method=method, block=block)  # warm, and kept to compare
            maps[method, block] = result.get(args.layers).G  # type: ignore[assignment]
            ms, cpu = median_ms(lambda: through_time(stack, inputs, loss, method=method, block=block), repeats,
                                device)
            results[method, block] = ms
            print(f"G, {method:7s} block {block:3d}: {ms:8.1f} ms (CPU {cpu:8.1f} ms) = {ms / base:6.1f}× baseline; "
                  f"target {TARGET_MAP_MS:.0f} ms: {'met' if ms <= TARGET_MAP_MS else 'MISSED'}")
    first = next(iter(maps.values()))
    differences = [float(np.nanmax(np.abs(m - first) / (np.abs(first) + 1e-12))) for m in maps.values()]
    print(f"largest relative difference between the maps of the methods and blocks: {max(differences):.2e}")
    best = min(results, key=results.__getitem__)
    print(f"fastest G: {best[0]} with block {best[1]}, {results[best]:.1f} ms; g {g_ms:.1f} ms; "
          f"baseline {base:.1f} ms")


if __name__ == "__main__":
    main()
