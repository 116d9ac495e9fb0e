"""What a recurrent cell costs: parameters and FLOPs per token by formula, tokens per second measured.

The book's exercise 3 of section 10.1 asks for the computational cost of the RNN, the GRU and
the LSTM, in training and in inference. One layer of hidden size ``h`` reading ``d`` features
per token, with ``G`` gate blocks (RNN 1, GRU 3, LSTM 4; torch's layout, two biases per block):

Parameters (torch's count; the book keeps one bias per block, ``G (d·h + h·h + h)``)::

    P = G · (d·h + h·h + 2·h)

Forward FLOPs per token (a multiply-add counts 2; an activation, σ or tanh, counts 1)::

    F = 2·G·h·(d + h)      the two products x W_ihᵀ and h W_hhᵀ
      + 3·G·h              adding them and the two biases
      + E·h                the elementwise gate work, E per unit:
                           RNN 1  (tanh)
                           GRU 7  (σ r, σ z, r ⊙ (W_hn h + b_hn), tanh, and h' = n + z ⊙ (h − n): 3)
                           LSTM 9 (σ i, σ f, σ o, tanh g, c' = f ⊙ c + i ⊙ g: 3, tanh c', o ⊙ tanh c')

Training FLOPs per token ≈ 3 F: the backward pass computes two products per product of the
forward one (the gradient with respect to the input and to the weights). The products
dominate: for d = h the ratio of the FLOPs is close to that of G (1 : 3 : 4).

The measurement (:func:`measure_cell`, :func:`cell_costs`) times torch's fused kernels
(``torch.nn.RNN``, ``GRU``, ``LSTM``) on this machine: inference is a forward pass without
autograd, training a forward pass, a backward pass and an SGD step, on random inputs of
``batch_size`` windows of ``num_steps`` tokens; each phase runs for about ``seconds / 2``
after a warm-up pass, in three rounds of which the fastest counts (on a shared machine the
slower rounds measure the other work). The times include what the formula leaves out: a fused kernel runs
the gates of a step as one product and one loop of elementwise code, and at small sizes the
time goes to moving memory and to the per-step overhead, not to arithmetic, so the measured
ratios are nearer 1 than the FLOPs ratios (docs/benchmarks.md, "Cost of the cells (issue 18)").

No torch at import: the formulas serve the Builder as it redraws; the measurement loads torch.
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from rnnviz.core import limits as lim
from rnnviz.core.errors import ConfigError

#: The cells the table compares: the ones torch has a fused kernel for.
COST_CELLS: tuple[str, ...] = ("rnn", "gru", "lstm")
#: Gate blocks and the elementwise FLOPs per hidden unit of each (see the module's doc).
GATE_BLOCKS: dict[str, int] = {"rnn": 1, "gru": 3, "lstm": 4}
ELEMENTWISE: dict[str, int] = {"rnn": 1, "gru": 7, "lstm": 9}
ELEMENTWISE_WORDS: dict[str, str] = {
    "rnn": "tanh",
    "gru": "σ r, σ z, r ⊙ (·), tanh n, h' = n + z ⊙ (h − n)",
    "lstm": "σ i, σ f, σ o, tanh g, c' = f ⊙ c + i ⊙ g, tanh c', o ⊙ tanh c'",
}
CELL_TITLES: dict[str, str] = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
#: Training computes about three times the forward pass's FLOPs.
TRAIN_FACTOR = 3
DEFAULT_BATCH = 32  # the book's language model
DEFAULT_STEPS = 32
DEFAULT_SECONDS = 2.0
ROUNDS = 3  # timed rounds per phase; the fastest counts

Progress = Callable[[float, str], None]  # (fraction done, what runs now)


@dataclass(frozen=True)
class Measured:
    """Tokens per second of one cell, measured with the fused kernel."""

    train_tokens_per_s: float
    infer_tokens_per_s: float
    train_batches: int  # timed batches (after the warm-up)
    infer_batches: int


@dataclass(frozen=True)
class CellCost:
    """One row of the table: one layer of ``cell`` by formula, and (once measured) its speed."""

    cell: str
    title: str
    input_size: int  # d
    hidden_size: int  # h
    gate_blocks: int  # G
    params: int  # torch's count, G (d·h + h·h + 2h)
    book_params: int  # the book's, G (d·h + h·h + h)
    params_formula: str
    flops: int  # forward, per token
    train_flops: int  # ≈ TRAIN_FACTOR × flops
    flops_formula: str
    elementwise: str  # the elementwise work in words
    measured: Measured | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def params(cell: str, d: int, h: int) -> int:
    """torch's parameter count of one layer-direction: G (d·h + h·h + 2h)."""
    return _blocks(cell) * (d * h + h * h + 2 * h)


def forward_flops(cell: str, d: int, h: int) -> int:
    """Forward FLOPs per token of one layer-direction: 2·G·h·(d + h) + 3·G·h + E·h."""
    g = _blocks(cell)
    return 2 * g * h * (d + h) + 3 * g * h + ELEMENTWISE[cell] * h


def _blocks(cell: str) -> int:
    if cell not in GATE_BLOCKS:
        raise ConfigError(f"the cost table compares {', '.join(COST_CELLS)}, not {cell!r}.")
    return GATE_BLOCKS[cell]


def cell_cost(cell: str, hidden: int, input_size: int | None = None) -> CellCost:
    """One row by formula; ``input_size`` d defaults to ``hidden`` (a layer inside a stack)."""
    h = lim.HIDDEN_SIZE.check(hidden)
    d = h if input_size is None else lim.HIDDEN_SIZE.check(input_size)
    g, e = _blocks(cell), ELEMENTWISE[cell]
    count = params(cell, d, h)
    flops = forward_flops(cell, d, h)
    terms = f"{d}·{h} + {h}·{h} + 2·{h}"
    return CellCost(
        cell=cell, title=CELL_TITLES[cell], input_size=d, hidden_size=h, gate_blocks=g, params=count,
        book_params=g * (d * h + h * h + h),
        params_formula=f"{g} × ({terms}) = {count:,}" if g > 1 else f"{terms} = {count:,}",
        flops=flops, train_flops=TRAIN_FACTOR * flops,
        flops_formula=f"2·{g}·{h}·({d} + {h}) + 3·{g}·{h} + {e}·{h} = {flops:,}",
        elementwise=ELEMENTWISE_WORDS[cell])


@dataclass(frozen=True)
class CostTable:
    """Every cell at one size; ``machine`` says where the measured numbers come from."""

    hidden_size: int
    input_size: int
    batch_size: int
    num_steps: int
    rows: tuple[CellCost, ...]
    machine: str = ""
    stopped: bool = False  # a Stop came before every row was measured
    notes: tuple[str, ...] = field(default_factory=tuple)

    def row(self, cell: str) -> CellCost:
        return next(r for r in self.rows if r.cell == cell)

    def flops_ratio(self, cell: str, base: str = "rnn") -> float:
        """The cell's forward FLOPs over the base cell's (training's ratio is the same)."""
        return self.row(cell).flops / self.row(base).flops

    def time_ratio(self, cell: str, phase: str, base: str = "rnn") -> float | None:
        """Time per token of the cell over the base cell's, measured (``phase`` "train" or "infer");
        None until both are measured."""
        a, b = self.row(cell).measured, self.row(base).measured
        if a is None or b is None:
            return None
        key = f"{phase}_tokens_per_s"
        return getattr(b, key) / getattr(a, key)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rows"] = [
            {**row.to_dict(), "flops_ratio": self.flops_ratio(row.cell),
             "train_time_ratio": self.time_ratio(row.cell, "train"),
             "infer_time_ratio": self.time_ratio(row.cell, "infer")} for row in self.rows]
        data["notes"] = list(self.notes)
        return data


def formula_table(hidden: int, input_size: int | None = None, batch_size: int = DEFAULT_BATCH,
                  num_steps: int = DEFAULT_STEPS) -> CostTable:
    """The table by formula alone (nothing measured)."""
    rows = tuple(cell_cost(cell, hidden, input_size) for cell in COST_CELLS)
    return CostTable(rows[0].hidden_size, rows[0].input_size, lim.BATCH_SIZE.check(batch_size),
                     lim.NUM_STEPS.check(num_steps), rows)


def machine_description() -> str:
    """The CPU, its cores, torch's version and threads: where a measurement was made."""
    import torch

    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            name = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), name)
    except OSError:
        pass
    return (f"{name} ({os.cpu_count()} logical cores), {platform.system()}, Python {platform.python_version()}, "
            f"torch {torch.__version__} on the CPU with {torch.get_num_threads()} threads")


def _check_size(cell: str, hidden: int, input_size: int, batch_size: int, num_steps: int) -> None:
    lim.BATCH_POSITIONS.check(batch_size * num_steps)
    g = _blocks(cell)
    weights = params(cell, input_size, hidden)
    # Weights, their gradients and SGD's copy; per position the input, the gates and the state, kept for backward.
    needed = 4 * (3 * weights + batch_size * num_steps * (input_size + (g + 2) * hidden) * 2)
    lim.check_memory(f"measuring the {CELL_TITLES[cell]} at hidden size {hidden:,}", needed,
                     "measure at a smaller hidden size, batch or window.")


def measure_cell(cell: str, hidden: int, input_size: int | None = None, batch_size: int = DEFAULT_BATCH,
                 num_steps: int = DEFAULT_STEPS, seconds: float = DEFAULT_SECONDS,
                 should_stop: Callable[[], bool] | None = None, seed: int = 0) -> Measured | None:
    """Tokens per second of one fused layer of ``cell``, training and inference (see the module's doc).

    Returns None when ``should_stop()`` turned true before both phases were timed."""
    import torch

    from rnnviz.core.config import StackSpec
    from rnnviz.core.models.stacks import build_stack

    h = lim.HIDDEN_SIZE.check(hidden)
    d = h if input_size is None else lim.HIDDEN_SIZE.check(input_size)
    lim.COST_SECONDS.check(seconds)
    _check_size(cell, h, d, batch_size, num_steps)
    stop = should_stop or (lambda: False)
    torch.manual_seed(seed)
    stack = build_stack(StackSpec(cell, (h,), implementation="fused"), d)  # type: ignore[arg-type]
    x = torch.randn(num_steps, batch_size, d)  # (T, B, d)
    optimizer = torch.optim.SGD(stack.parameters(), lr=1e-3)

    def infer() -> None:
        with torch.inference_mode():
            stack(x)  # (T, B, h)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        outputs, _ = stack(x)  # (T, B, h)
        outputs.square().mean().backward()  # a loss that reaches every output
        optimizer.step()

    rates = []
    for phase in (train_step, infer):
        stack.train(phase is train_step)
        phase()  # warm-up: first-call allocations and kernel choice stay out of the time
        best, total = 0.0, 0
        # The fastest of a few rounds: on a shared machine the slow ones measure the other work.
        for _ in range(ROUNDS):
            batches, start = 0, time.perf_counter()
            while True:
                if stop():
                    return None
                phase()
                batches += 1
                elapsed = time.perf_counter() - start
                if elapsed >= seconds / (2 * ROUNDS):
                    break
            best, total = max(best, batches * batch_size * num_steps / elapsed), total + batches
        rates.append((best, total))
    (train_rate, train_batches), (infer_rate, infer_batches) = rates
    return Measured(train_rate, infer_rate, train_batches, infer_batches)


def cell_costs(hidden: int, input_size: int | None = None, batch_size: int = DEFAULT_BATCH,
               num_steps: int = DEFAULT_STEPS, seconds: float = DEFAULT_SECONDS,
               should_stop: Callable[[], bool] | None = None, progress: Progress | None = None) -> CostTable:
    """The whole table: every cell by formula and measured on this machine, ``seconds`` per cell.

    ``progress(fraction, text)`` is told before each cell; ``should_stop()`` is asked between
    batches: a Stop returns the rows measured so far, ``stopped`` set."""
    table = formula_table(hidden, input_size, batch_size, num_steps)
    lim.COST_SECONDS.check(seconds)
    for cell in COST_CELLS:  # refuse a size that cannot be measured before measuring anything
        _check_size(cell, table.hidden_size, table.input_size, batch_size, num_steps)
    rows = list(table.rows)
    stopped = False
    for k, row in enumerate(rows):
        if progress is not None:
            progress(k / len(rows), f"measuring the {row.title} ({k + 1} of {len(rows)})")
        measured = None if stopped else measure_cell(row.cell, table.hidden_size, table.input_size, batch_size,
                                                     num_steps, seconds, should_stop)
        if measured is None:
            stopped = True
            continue
        rows[k] = replace(row, measured=measured)
    if progress is not None:
        progress(1.0, "stopped" if stopped else "done")
    notes = ("Measured with torch's fused kernels (nn.RNN, nn.GRU, nn.LSTM), one layer, "
             f"batches of {batch_size} windows of {num_steps} tokens; training = forward + backward + SGD step.",)
    return replace(table, rows=tuple(rows), machine=machine_description(), stopped=stopped, notes=notes)


def format_rate(value: float | None) -> str:
    """Tokens per second as the table shows them: "12,345"; "—" when not measured."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:,.0f}"
