"""``rnnviz stack --costs``: the cost of the RNN, the GRU and the LSTM at one hidden size.

Parameters and FLOPs per token by formula (``rnnviz.core.costs``), and training and inference
tokens per second measured here with torch's fused kernels (``--no-measure``: formulas only).
"""

from __future__ import annotations

import argparse
import sys

from rnnviz.cli.common import _print_json
from rnnviz.core.costs import (
    DEFAULT_BATCH,
    DEFAULT_SECONDS,
    DEFAULT_STEPS,
    TRAIN_FACTOR,
    CostTable,
    cell_costs,
    format_rate,
    formula_table,
)


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def format_cost_table(table: CostTable) -> str:
    """The table as the terminal shows it: counts and FLOPs, then the measured speeds and the ratios."""
    d, h = table.input_size, table.hidden_size
    lines = [f"One layer, input d = {d:,}, hidden h = {h:,} (per token; G gate blocks: RNN 1, GRU 3, LSTM 4)", ""]
    header = (f"{'cell':<6}{'params':>12}{'forward FLOPs':>15}{'train FLOPs':>14}{'FLOPs ×RNN':>12}"
              f"{'train tok/s':>13}{'infer tok/s':>13}{'train time ×RNN':>17}{'infer time ×RNN':>17}")
    lines += [header, "-" * len(header)]
    for row in table.rows:
        m = row.measured
        lines.append(
            f"{row.title:<6}{row.params:>12,}{row.flops:>15,}{row.train_flops:>14,}"
            f"{_ratio(table.flops_ratio(row.cell)):>12}"
            f"{format_rate(m.train_tokens_per_s if m else None):>13}{format_rate(m.infer_tokens_per_s if m else None):>13}"
            f"{_ratio(table.time_ratio(row.cell, 'train')):>17}{_ratio(table.time_ratio(row.cell, 'infer')):>17}")
    lines += ["", "Formulas (torch's layout, two biases per block; a multiply-add counts 2, σ and tanh 1 each):",
              "  params = G (d·h + h·h + 2h)",
              "  forward FLOPs = 2·G·h·(d + h) [the two products] + 3·G·h [their sum and the biases] "
              "+ E·h [elementwise]",
              f"  training FLOPs ≈ {TRAIN_FACTOR} × forward (the backward pass: two products per forward product)"]
    for row in table.rows:
        lines.append(f"  {row.title:<5} params {row.params_formula}")
        lines.append(f"  {'':<5} FLOPs  {row.flops_formula}   (E: {row.elementwise})")
    if table.machine:
        lines += ["", *table.notes, f"Measured on: {table.machine}."]
        lines.append("Time ratios are measured time per token over the RNN's; FLOPs ratios are the formula's. "
                     "They differ: fused kernels, memory traffic and per-step overhead are not FLOPs.")
    if table.stopped:
        lines.append("Stopped before every cell was measured: '—' marks the cells not measured.")
    return "\n".join(lines)


def cmd_costs(args: argparse.Namespace) -> int:
    hidden = args.hidden or 256
    batch, steps = args.batch_size or DEFAULT_BATCH, args.num_steps or DEFAULT_STEPS
    if args.no_measure:
        table = formula_table(hidden, batch_size=batch, num_steps=steps)
    else:
        seconds = args.seconds or DEFAULT_SECONDS

        def progress(fraction: float, text: str) -> None:
            if not args.json and fraction < 1:
                print(f"{text}, about {seconds:g} s …", file=sys.stderr, flush=True)

        table = cell_costs(hidden, batch_size=batch, num_steps=steps, seconds=seconds, progress=progress)
    if args.json:
        _print_json(table.to_dict())
    else:
        print(format_cost_table(table))
    return 0
