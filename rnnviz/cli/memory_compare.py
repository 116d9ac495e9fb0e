"""``rnnviz train --compare rnn,gru,lstm --preset recall --lags 5,20,50``: the lesson of issue 17 in one go.

One run per cell and lag, each with its family's preset (the same recipe for every cell), and a
table of the final validation metric: accuracy for recall and copy (chance: 1 / symbols), mean
squared error for the adding problem (a constant guess of 1 scores 1/6). Nothing is saved.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from rnnviz.core.config import CELLS
from rnnviz.core.errors import ConfigError
from rnnviz.core.limits import LAG


@dataclass(frozen=True)
class Result:
    cell: str
    lag: int | None
    metric: str
    value: float
    seconds: float


def _parse_cells(text: str) -> tuple[str, ...]:
    cells = tuple(c.strip() for c in text.split(",") if c.strip())
    unknown = [c for c in cells if c not in CELLS]
    if not cells or unknown:
        raise ConfigError(f"--compare takes cells separated by commas, e.g. rnn,gru,lstm; "
                          f"{'not ' + ', '.join(map(repr, unknown)) if unknown else 'none was given'} "
                          f"(the cells: {', '.join(CELLS)}).")
    return tuple(dict.fromkeys(cells))


def _parse_lags(text: str | None) -> tuple[int | None, ...]:
    if text is None:
        return (None,)
    lags: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            lags.append(LAG.check(int(part)))
        except ValueError:
            raise ConfigError(f"--lags takes whole numbers separated by commas, e.g. 5,20,50; not {part!r}.") from None
    if not lags:
        raise ConfigError("--lags takes whole numbers separated by commas, e.g. 5,20,50.")
    return tuple(dict.fromkeys(lags))


def _metric_cell(metric: str, value: float) -> str:
    return f"{100 * value:.1f}%" if metric == "accuracy" else f"{value:.4f}"


def format_table(results: list[Result], cells: tuple[str, ...], lags: tuple[int | None, ...], baseline: str) -> str:
    """Rows: cells; columns: lags; entries: the final validation metric and the run's time."""
    by_key = {(r.cell, r.lag): r for r in results}
    metric = results[0].metric if results else "accuracy"
    heads = [f"lag {lag}" if lag is not None else ("validation " + metric) for lag in lags]
    width = max(14, *(len(h) for h in heads))
    lines = [f"{'cell':<10}" + "".join(f"{h:>{width}}" for h in heads)]
    for cell in cells:
        entries = []
        for lag in lags:
            r = by_key.get((cell, lag))
            entries.append("—" if r is None else f"{_metric_cell(r.metric, r.value)} ({r.seconds:.0f} s)")
        lines.append(f"{cell:<10}" + "".join(f"{e:>{width}}" for e in entries))
    lines.append(baseline)
    return "\n".join(lines)


def run_comparison(args: argparse.Namespace, preset_configs: Callable[[argparse.Namespace, Any], tuple]) -> int:
    """Train every cell at every lag with the family's preset (options given beside it override it)."""
    from rnnviz.core.data.memory_tasks import ADDING_BASELINE_MSE
    from rnnviz.core.models.memory import evaluate_metric
    from rnnviz.core.models.memory_presets import family_preset
    from rnnviz.core.session import TrainingSession

    if args.preset is None:
        raise ConfigError("--compare needs a recipe: --preset recall, adding or copy (or one of their presets).")
    if args.out is not None:
        raise ConfigError("--compare trains several models and saves none of them: leave --out out (train the one "
                          "you want to keep with --preset NAME --out FILE).")
    cells, lags = _parse_cells(args.compare), _parse_lags(args.lags)
    results: list[Result] = []
    first = family_preset(args.preset, cells[0])
    task = first.config.task
    if task == "adding" and args.lags is not None:
        raise ConfigError("the adding problem has no lag: how far the first marked value must be carried is set "
                          "by the sequence's length; compare at another length with --num-steps.")
    for lag in lags:
        for cell in cells:
            preset = family_preset(args.preset, cell)
            run_args = argparse.Namespace(**{**vars(args), "lag": lag if lag is not None else args.lag, "cell": None})
            data, model, train = preset_configs(run_args, preset)
            model = replace(model, stack=replace(model.stack, cell=cell))
            session = TrainingSession(data, model, train, label=f"{cell} lag {lag}")
            started = time.perf_counter()
            session.prepare()
            session.run()
            seconds = time.perf_counter() - started
            value = evaluate_metric(session.bundle.model, session.data.val_batches(), session.device)
            metric = session.bundle.model.metric_name
            assert value is not None and metric is not None
            results.append(Result(cell, lag, metric, value, seconds))
            shown_lag = session.data.config.lag
            print(f"{cell} {'' if shown_lag is None else f'lag {shown_lag} '}({session.data.config.num_steps} steps): "
                  f"validation {metric} {_metric_cell(metric, value)}, {seconds:.0f} s", file=sys.stderr)
    symbols = session.data.config.symbols
    baseline = (f"chance: {100 / symbols:.1f}% (1 in {symbols} symbols)" if task != "adding" else
                f"a constant guess of 1 scores MSE {ADDING_BASELINE_MSE:.3f} (1/6)")
    print(format_table(results, cells, lags, baseline))
    return 0
