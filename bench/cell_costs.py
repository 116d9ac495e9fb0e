"""The cost of the RNN, the GRU and the LSTM (issue 18, the book's exercise 3 of section 10.1).

For each ``--hidden`` size: parameters and forward FLOPs per token by formula
(``rnnviz.core.costs``), and training and inference tokens/s measured with torch's fused
kernels (one layer, input size = hidden size, batches of 32 windows of 32 tokens), the fastest
of three rounds per phase. The FLOPs ratios (by formula) stand beside the measured time ratios
(time per token over the RNN's).

    python bench/cell_costs.py [--hidden 32,256,1024] [--seconds 3] [--threads 2]
                               [--doc docs/benchmarks.md] [--note TEXT]

With ``--doc`` the script writes its section of that file (replacing it if it is there).
"""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

import torch

from rnnviz.core.atomic import write_atomically
from rnnviz.core.costs import CostTable, cell_costs, format_rate

HEADING = "## Cost of the cells (issue 18)"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def section(tables: list[tuple[CostTable, str]], command: str, note: str) -> str:
    first = tables[0][0]
    lines = [
        f"{HEADING} — `bench/cell_costs.py`", "",
        "The book's exercise 3 of section 10.1: one layer of each cell, input size = hidden size h, by formula "
        "(`rnnviz.core.costs`: params = G (d·h + h·h + 2h); forward FLOPs per token = 2·G·h·(d + h) + 3·G·h + "
        "E·h with G = 1, 3, 4 gate blocks and E = 1, 7, 9 elementwise operations per unit; training ≈ 3 × "
        "forward) and measured with torch's fused kernels (`nn.RNN`, `nn.GRU`, `nn.LSTM`): training = forward, "
        f"backward and an SGD step, inference = a forward pass without autograd, batches of {first.batch_size} "
        f"windows of {first.num_steps} tokens, the fastest of three rounds per phase. The ratios are the cell's "
        "over the RNN's: FLOPs by formula, time per token measured. The same table: `rnnviz stack --costs "
        "--hidden H`, and the Builder's Compare cells tab.", "",
        "```text", command, "```", "",
        f"Machine: {first.machine}.", "",
        "| h | load (1 min) | cell | params | FLOPs/token | FLOPs ×RNN | train tok/s | infer tok/s "
        "| train time ×RNN | infer time ×RNN |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for table, load_then in tables:
        for row in table.rows:
            m = row.measured
            lines.append(
                f"| {table.hidden_size:,} | {load_then} | {row.title} | {row.params:,} | {row.flops:,} | "
                f"{_ratio(table.flops_ratio(row.cell))} | {format_rate(m.train_tokens_per_s if m else None)} | "
                f"{format_rate(m.infer_tokens_per_s if m else None)} | "
                f"{_ratio(table.time_ratio(row.cell, 'train'))} | {_ratio(table.time_ratio(row.cell, 'infer'))} |")
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def write_section(path: Path, text: str) -> None:
    """Replace this script's section of ``path`` (up to the next '## ' heading), or append it."""
    doc = path.read_text(encoding="utf-8")
    start = doc.find(HEADING)
    if start < 0:
        doc = doc.rstrip("\n") + "\n\n" + text
    else:
        end = doc.find("\n## ", start + len(HEADING))
        doc = doc[:start] + text + ("\n" + doc[end + 1:] if end >= 0 else "")
    write_atomically(path, "w", lambda f: f.write(doc), "the benchmarks document")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", default="32,256,1024", help="hidden sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per cell")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--doc", default=None, help="write the section into this file (e.g. docs/benchmarks.md)")
    parser.add_argument("--note", default="", help="a paragraph after the table: what the figures say")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    tables = []
    for hidden in (int(h) for h in args.hidden.split(",")):
        table = cell_costs(hidden, seconds=args.seconds,
                           progress=lambda f, text, h=hidden: print(f"h={h}: {text}", flush=True))
        tables.append((table, load()))
    command = "python bench/cell_costs.py " + " ".join(
        [f"--hidden {args.hidden}", f"--seconds {args.seconds:g}"]
        + ([f"--threads {args.threads}"] if args.threads else []))
    text = section(tables, f"{command}   # {datetime.date.today()}", args.note)
    print(text)
    if args.doc:
        write_section(Path(args.doc), text)


if __name__ == "__main__":
    main()
