"""Gate-trace speed: ``introspect.trace_sequence`` against a plain fused forward of the same stack.

The stack: torch.nn.LSTM, 2 layers, bidirectional, hidden 256 (the fused
implementation), reading 200 steps of 64 features, as an embedding of size 64
would feed it (random inputs: the speed does not depend on the values). The
trace records every gate of every layer-direction (i, f, o, c̃, c, h: 6 arrays
of (200, 256) each, 4 layer-directions) plus a copy of the weights; the
baseline is ``stack(inputs)`` under ``torch.inference_mode``, which returns
only the top layer's outputs and the final states. Runs alternate so that
machine noise hits both; the target is a trace in 30 ms or less.

On a small machine shared with other work, torch's two-thread forward sometimes
stalls for a second or more (its threads wait on each other while a core is
busy elsewhere; a sleep between forwards shows it as well as a trace does), so
the baseline's p90 can be wild while its median holds; ``--threads 1`` gives a
steadier baseline. The trace itself keeps numpy's BLAS on one thread.

    python bench/introspect_speed.py [--tokens 200] [--hidden 256] [--layers 2] [--input 64]
                                     [--cell lstm] [--repeats 50] [--threads N]

The last line reads ``ratio trace/forward: X.XX``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch

from rnnviz.core.config import StackSpec
from rnnviz.core.introspect import trace_sequence
from rnnviz.core.models.stacks import build_stack

TARGET_MS = 30.0


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def describe(label: str, times: list[float]) -> str:
    p90 = float(np.percentile(times, 90))
    return f"{label}: median {statistics.median(times):.2f} ms, p90 {p90:.2f} ms, min {min(times):.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--input", type=int, default=64, help="features per step (an embedding's size)")
    parser.add_argument("--cell", choices=("rnn", "gru", "gru-book", "lstm"), default="lstm")
    parser.add_argument("--unidirectional", action="store_true")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec = StackSpec(args.cell, (args.hidden,) * args.layers, bidirectional=not args.unidirectional)
    stack = build_stack(spec, args.input).eval()
    inputs = torch.randn(args.tokens, 1, args.input)  # (T, B=1, d)

    def forward() -> None:
        with torch.inference_mode():
            stack(inputs)

    def trace() -> None:
        trace_sequence(stack, inputs)

    name = platform.processor() or platform.machine()
    print(f"{spec.num_layers}-layer {'bidirectional ' if spec.bidirectional else ''}{args.cell}, hidden "
          f"{args.hidden}, {spec.resolved_implementation} implementation; {args.tokens} steps of {args.input} "
          f"features (as an embedding of size {args.input})")
    print(f"cpu {name}, torch {torch.__version__}, numpy {np.__version__}, {torch.get_num_threads()} torch "
          f"threads, {args.repeats} repeats")
    for _ in range(3):  # warm-up: allocator, caches, lazy initialisation
        forward()
        trace()
    forward_ms, trace_ms = [], []
    for repeat in range(args.repeats):
        order = (forward, trace) if repeat % 2 == 0 else (trace, forward)
        for fn in order:
            (forward_ms if fn is forward else trace_ms).append(timed(fn))
    print(describe("fused forward (baseline)", forward_ms))
    print(describe("trace_sequence          ", trace_ms))
    median = statistics.median(trace_ms)
    print(f"target {TARGET_MS:.0f} ms: {'met' if median <= TARGET_MS else 'MISSED'} (median {median:.2f} ms)")
    print(f"ratio trace/forward: {median / statistics.median(forward_ms):.2f}")


if __name__ == "__main__":
    main()
