"""``rnnviz series``: forecast a time series with a recurrent network, as the book's section 9.1 does.

The book's noisy sine by default, or ``--csv FILE --column C``; trains a small rnn/gru/lstm on
windows of ``--tau`` values, then prints the mean squared error of the 1-, 4-, 16- and 64-step
forecasts (``--horizons``) and of the multi-step forecast beside a naive forecast that repeats the
last known value. ``--plot OUT.svg|png`` draws the forecasts; ``--json`` prints everything.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnnviz.cli.common import _print_json, in_range, ranged
from rnnviz.core.limits import EPOCHS, HIDDEN_SIZE, LEARNING_RATE, SEED, SERIES_HORIZON, SERIES_TAU, Limit


def horizons_type(limit: Limit = SERIES_HORIZON) -> Callable[[str], tuple[int, ...]]:
    """An argparse type for "1,4,16,64": whole numbers, each within ``limit``."""
    one = in_range(limit)

    def parse(text: str) -> tuple[int, ...]:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts:
            raise argparse.ArgumentTypeError(f"give horizons as whole numbers separated by commas, e.g. 1,4,16,64 "
                                             f"(allowed: {limit.range_text()}).")
        return tuple(int(one(p)) for p in parts)

    parse.__name__ = "horizons"
    parse.limit = limit  # type: ignore[attr-defined]  # the limit every number of the list keeps
    return parse


def _describe(series: Any, num_train: int, tau: int) -> str:
    start = series.time[num_train + tau]
    return (f"{series.name} ({series.source}): {len(series):,} values; windows of τ = {tau}; the first "
            f"{num_train:,} windows train (values up to t = {start - 1:g}), later values check")


def _table(result: Any) -> str:
    lines = [f"{'forecast':<22}{'MSE':>12}{'repeat last':>14}{'ratio':>9}{'scored':>9}", "-" * 66]
    for error in result.errors:
        name = (f"{error.horizon} step{'s' if error.horizon != 1 else ''} ahead" if error.horizon is not None
                else "multi-step (fed back)")
        ratio = error.mse / error.baseline_mse if error.baseline_mse > 0 else float("nan")
        lines.append(f"{name:<22}{error.mse:>12.4g}{error.baseline_mse:>14.4g}{ratio:>8.2f}×{error.count:>9,}")
    return "\n".join(lines)


def _to_dict(result: Any, written: tuple[Path, ...]) -> dict[str, Any]:
    c = result.config
    return {"series": {"name": result.series.name, "source": result.series.source, "values": len(result.series),
                       "train_windows": result.num_train, "first_checked_time": float(result.series.time[result.start])},
            "model": {"cell": c.cell, "hidden": c.hidden, "tau": c.tau, "epochs": c.epochs, "lr": c.lr,
                      "seed": c.seed},
            "errors": [{"horizon": e.horizon, "label": e.label, "mse": e.mse, "baseline_mse": e.baseline_mse,
                        "count": e.count} for e in result.errors],
            "epochs": [{"epoch": r.epoch, "train_loss": r.train_loss, "val_mse": r.val_mse} for r in result.epochs],
            "stopped": result.stopped, "seconds": result.seconds, "plots": [str(p) for p in written]}


def cmd_series(args: argparse.Namespace) -> int:
    from rnnviz.core.atomic import check_destination
    from rnnviz.core.errors import ConfigError
    from rnnviz.core.series import SeriesConfig, book_series, forecast_series, read_csv_column
    from rnnviz.core.series.forecast import compounding_words

    if args.column is not None and args.csv is None:
        raise ConfigError("--column picks a column of --csv FILE; give the file too, or leave both out for the "
                          "book's series.")
    plot = None
    if args.plot is not None:
        plot = check_destination(args.plot, "the figure", "--plot")
        if plot.suffix.lower() not in (".svg", ".png"):
            raise ConfigError(f"--plot {args.plot!r}: give a file ending in .svg or .png.")
    config = SeriesConfig(cell=args.cell, hidden=args.hidden, tau=args.tau, epochs=args.epochs, lr=args.lr,
                          seed=args.seed, horizons=args.horizons)
    series = read_csv_column(args.csv, args.column, tau=config.tau) if args.csv is not None \
        else book_series(seed=args.seed)
    live = sys.stderr.isatty() and not args.json

    def progress(fraction: float, text: str) -> None:
        if live:
            print(f"\r{100 * fraction:3.0f}% {text:<40}", end="", file=sys.stderr, flush=True)

    result = forecast_series(series, config, progress=progress)
    if live:
        print("\r" + " " * 46 + "\r", end="", file=sys.stderr)
    written: tuple[Path, ...] = ()
    if plot is not None:
        from rnnviz.core.series.figures import write_forecast_figures

        written = write_forecast_figures(result, plot)
    if args.json:
        _print_json(_to_dict(result, written))
        return 0
    print(_describe(result.series, result.num_train, config.tau))
    print(f"model: {config.cell.upper()} of {config.hidden} units, {config.epochs} epoch(s) of Adam at lr "
          f"{config.lr:g}; {result.seconds:.1f} s")
    if result.epochs:
        last = result.epochs[-1]
        if last.val_mse is not None:
            print(f"after epoch {last.epoch}: training loss {last.train_loss:.4g} (normalised), one-step MSE on the "
                  f"checking windows {last.val_mse:.4g}")
    print()
    print(f"Mean squared error on the checking part, in the series' units (t ≥ {series.time[result.start]:g}):")
    print(_table(result))
    print("\nThe naive forecast repeats the last known value. " + compounding_words(result.errors))
    for path in written:
        print(f"wrote {path}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "series", help="forecast a time series (the book's noisy sine, or a CSV column) with an RNN, GRU or LSTM",
        description="Train a recurrent regressor on windows of a time series and forecast it one step, k steps "
                    "and many steps ahead, as section 9.1 of Dive into Deep Learning does (exercise 10.1.5 with an "
                    "LSTM). Without --csv: the book's sine with noise, T = 1000, 600 training windows of τ = 4.")
    parser.add_argument("--csv", metavar="FILE", help="a CSV file with a header row; one value a row")
    parser.add_argument("--column", metavar="C",
                        help="the column of --csv: its header name or number (1 = first); not needed for a file of "
                             "one column")
    parser.add_argument("--cell", choices=("rnn", "gru", "lstm"), default="lstm", help="the recurrent cell (lstm)")
    parser.add_argument("--hidden", type=in_range(HIDDEN_SIZE), default=16,
                        help=ranged(HIDDEN_SIZE, "hidden units (16)"))
    parser.add_argument("--tau", type=in_range(SERIES_TAU), default=4,
                        help=ranged(SERIES_TAU, "values in each window (the book's 4)"))
    parser.add_argument("--epochs", type=in_range(EPOCHS), default=10, help=ranged(EPOCHS, "epochs (10)"))
    parser.add_argument("--lr", type=in_range(LEARNING_RATE), default=0.01,
                        help=ranged(LEARNING_RATE, "Adam's learning rate (0.01)"))
    parser.add_argument("--seed", type=in_range(SEED), default=0,
                        help=ranged(SEED, "the seed of the book's noise, the weights and the batches (0)"))
    parser.add_argument("--horizons", type=horizons_type(), default=(1, 4, 16, 64), metavar="K,K,…",
                        help=ranged(SERIES_HORIZON, "the k of the k-step forecasts, e.g. 1,4,16,64 (the book's)"))
    parser.add_argument("--plot", metavar="OUT", help="draw the forecasts into OUT.svg or OUT.png, and the k-step "
                                                       "forecasts into OUT-ksteps.svg/png")
    parser.add_argument("--json", action="store_true", help="print JSON: the errors, the epochs, the files written")
    parser.set_defaults(func=cmd_series)
