"""``rnnviz runs``: list, show and compare recorded runs, and export their scalars for TensorBoard.

A run is a folder ``rnnviz train ... --run-dir DIR`` (or the app) records: see
:mod:`rnnviz.core.runs`. This module also holds what ``rnnviz train`` needs to record one
(``check_run_dir``, ``start_recording``, ``recorded_words``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from rnnviz.cli.common import in_range, ranged
from rnnviz.core.errors import ConfigError
from rnnviz.core.limits import FOLLOW_INTERVAL, FOLLOW_TIMEOUT

# ---- recording, for rnnviz train --run-dir ----------------------------------------------------


def check_run_dir(folder: str) -> None:
    """Refuse, before any work, a --run-dir that cannot hold a new run (see ``check_run_folder``)."""
    from rnnviz.core.runs import check_run_folder

    if not str(folder).strip():
        raise ConfigError("--run-dir '': give a folder for the run, e.g. runs/gru-lm.")
    check_run_folder(Path(folder).expanduser())


def start_recording(args: argparse.Namespace, session: Any, model_config: Any) -> Any:
    """A RunRecorder for the prepared ``session``, into ``args.run_dir``; says so on stderr."""
    from rnnviz.core.runs import RunRecorder

    label = f"preset {args.preset}" if args.preset else session.bundle.display_name
    recorder = RunRecorder.create(args.run_dir, session.bundle, label=label, device=str(session.device),
                                  save_every_steps=args.save_every_steps)
    for note in recorder.notes:
        print(f"rnnviz: note: {note}", file=sys.stderr)
    every = f", and every {args.save_every_steps:,} steps" if args.save_every_steps else ""
    print(f"recording the run into {recorder.folder} (weights at the end of every epoch{every})", file=sys.stderr)
    return recorder


def recorded_words(recorder: Any) -> str:
    epochs = recorder.epochs
    kept = f"epochs {epochs[0]}–{epochs[-1]}" if len(epochs) > 1 else (
        f"epoch {epochs[0]}" if epochs else "no complete epoch")
    return f"recorded {recorder.folder} ({kept})"


# ---- rnnviz runs list | show -------------------------------------------------------------------


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def cmd_list(args: argparse.Namespace) -> int:
    from rnnviz.core.runs import find_runs, runs_home, summarize

    folder = Path(args.folder).expanduser() if args.folder else runs_home()
    if not folder.is_dir():
        where = "" if args.folder else " (the user's runs folder; RNNVIZ_RUNS_DIR sets another)"
        print(f"no runs: {folder} does not exist{where}.", file=sys.stderr)
        return 0
    runs = [summarize(path) for path in find_runs(folder)]
    if args.json:
        print(json.dumps([{"path": str(r.path), "name": r.name, "task": r.task, "model": r.model, "epochs": r.epochs,
                           "best_val_loss": r.best_val, "status": r.status, "error": r.error} for r in runs],
                         indent=2, ensure_ascii=False))
        return 0
    if not runs:
        print(f"no runs in {folder}.", file=sys.stderr)
        return 0
    rows = [("name", "task", "model", "epochs", "best val loss", "status")]
    for r in runs:
        rows.append((str(r.path.relative_to(folder)) if r.path != folder else r.name, r.task, r.model,
                     str(r.epochs), _number(r.best_val), r.status if r.error is None else f"unreadable: {r.error}"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[5])
    return 0


def _show_dict(run: Any) -> dict[str, Any]:
    from rnnviz.core.events import EpochEnd

    manifest = run.manifest
    best = run.best_validation()
    ends = [e for e in run.events if isinstance(e, EpochEnd)]
    return {
        "path": str(run.folder), "name": run.name, "label": manifest.label, "status": run.status,
        "reason": manifest.reason, "created": manifest.created, "ended": manifest.ended, "rnnviz": manifest.rnnviz,
        "task": manifest.task, "model": manifest.description, "corpus": manifest.corpus,
        "model_config": manifest.raw.get("model_config"), "data_config": manifest.raw.get("data_config"),
        "train_config": manifest.raw.get("train_config"), "epochs": list(run.epochs()),
        "saved_steps": list(run.saved_steps()), "steps": ends[-1].step if ends else 0,
        "best": None if best is None else {"epoch": best.epoch, "val_loss": best.val_loss,
                                           "val_perplexity": best.val_perplexity, "metric": best.metric,
                                           "val_metric": best.val_metric},
        "last": None if not ends else {"epoch": ends[-1].epoch, "train_loss": ends[-1].train_loss,
                                       "val_loss": ends[-1].val_loss, "elapsed": ends[-1].elapsed},
        "notes": list(run.notes), "notices": list(run.notices),
    }


def cmd_show(args: argparse.Namespace) -> int:
    from rnnviz.core.events import metric_text
    from rnnviz.core.runs import open_run
    from rnnviz.core.runs.reader import epoch_ranges

    run = open_run(args.run)
    if args.verify:
        run.notices.extend(run.verify())
    info = _show_dict(run)
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False, allow_nan=False))
        return 1 if args.verify and run.notices else 0
    manifest = run.manifest
    print(f"run {run.name}{f' ({manifest.label})' if manifest.label else ''}: {run.status}"
          + (f" — {manifest.reason}" if manifest.reason else ""))
    print(f"  folder   {run.folder}")
    print(f"  recorded {manifest.created} by rnnviz {manifest.rnnviz}" + (f", ended {manifest.ended}"
                                                                          if manifest.ended else ""))
    print(f"  model    {manifest.description}")
    data = manifest.data_config
    corpus = manifest.corpus.get("name") or data.corpus
    digest = manifest.corpus.get("digest")
    print(f"  data     {corpus}" + (f" ({digest[:19]}…)" if digest else "") + f", num_steps {data.num_steps}, "
          f"batch size {data.batch_size}, seed {data.seed}")
    train = manifest.train_config
    if train is not None:
        clip = "off" if train.grad_clip is None else f"{train.grad_clip:g}"
        print(f"  training {train.optimizer} lr {train.lr:g}, {train.epochs} epochs, clip {clip}, seed {train.seed}"
              f", on {manifest.raw.get('device') or train.device}")
    epochs = run.epochs()
    print(f"  epochs   {epoch_ranges(epochs) if epochs else 'none complete'}"
          + (f"; weights also at {len(run.saved_steps())} steps" if run.saved_steps() else ""))
    last, best = info["last"], run.best_validation()
    if last is not None:
        print(f"  last     epoch {last['epoch']}: train loss {_number(last['train_loss'])}, validation loss "
              f"{_number(last['val_loss'])}, {last['elapsed']:.1f} s of training, {info['steps']:,} steps")
    if best is not None:
        metric = metric_text(best.metric, best.val_metric)
        print(f"  best     validation loss {_number(best.val_loss)} (perplexity {_number(best.val_perplexity, 2)}) "
              f"at epoch {best.epoch}" + (f", {metric}" if metric else ""))
    for note in run.notes:
        print(f"  note     {note}")
    for notice in run.notices:
        print(f"  skipped  {notice}")
    return 1 if args.verify and run.notices else 0


def _epoch_line(end: Any) -> str:
    from rnnviz.core.events import metric_text

    val = "" if end.val_loss is None else f", validation loss {end.val_loss:.3f}"
    metric = metric_text(end.metric, end.val_metric)
    return (f"epoch {end.epoch}: train loss {end.train_loss:.3f}{val}" + (f", {metric}" if metric else "")
            + f" (step {end.step:,}, {end.elapsed:.1f} s)")


def cmd_follow(args: argparse.Namespace) -> int:
    """Print the run's epochs as they come, until it ends (or --timeout)."""
    from rnnviz.core.events import EpochEnd
    from rnnviz.core.runs import follow, open_run

    run = open_run(args.run)
    print(f"run {run.name}: {run.status}", flush=True)
    for end in run.epoch_ends():
        print(_epoch_line(end), flush=True)
    for update in follow(run, interval=args.interval, timeout=args.timeout):
        for event in update.events:
            if isinstance(event, EpochEnd):
                print(_epoch_line(event), flush=True)
        for note in update.notes:
            print(f"note: {note}", flush=True)
    print(f"run {run.name}: {run.status}" + ("" if run.finished else " (still running; stopped following)"))
    return 0


# ---- rnnviz runs compare | export-tb -----------------------------------------------------------


def cmd_compare(args: argparse.Namespace) -> int:
    from rnnviz.core.atomic import check_destination
    from rnnviz.core.runs import open_run
    from rnnviz.core.runs.plot import compare_figure, write_figure

    out = check_destination(args.out, "the figure", "--out")
    if out.suffix.lower() not in (".svg", ".png"):
        raise ConfigError(f"--out {args.out}: the figure is written as SVG or PNG; end the name in .svg or .png.")
    runs = [open_run(path) for path in args.runs]
    for run in runs:
        for notice in run.notices:
            print(f"rnnviz: note: the run {run.name}: {notice}", file=sys.stderr)
    figure = compare_figure(runs, args.curve)
    write_figure(figure, out)
    print(f"wrote {out} ({len(runs)} run(s), {args.curve} loss per epoch)", file=sys.stderr)
    return 0


def cmd_export_tb(args: argparse.Namespace) -> int:
    from rnnviz.core.runs import open_run
    from rnnviz.core.runs.tensorboard import export_scalars

    run = open_run(args.run)
    path, count = export_scalars(run, Path(args.out).expanduser())
    print(f"wrote {count:,} scalars of the run {run.name} to {path}; view them with: tensorboard --logdir "
          f"{Path(args.out).expanduser()}", file=sys.stderr)
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    runs = commands.add_parser(
        "runs", help="list, show and compare recorded runs (rnnviz train --run-dir); export them for TensorBoard",
        description="A run is a folder that rnnviz train --run-dir DIR (or the app) records: the settings, the "
                    "curves of every step and epoch, and the weights at the end of every epoch. Open an epoch's "
                    "model with rnnviz gates/generate/translate --run DIR --epoch K.")
    sub = runs.add_subparsers(title="commands", metavar="COMMAND", required=True)

    listing = sub.add_parser("list", help="the runs under a folder, one line each",
                             description="One line per run under FOLDER (two levels deep): its name, task, model, "
                                         "complete epochs, best validation loss and status.")
    listing.add_argument("folder", nargs="?", metavar="FOLDER",
                         help="where to look (default: the user's runs folder; RNNVIZ_RUNS_DIR sets another)")
    listing.add_argument("--json", action="store_true", help="print a JSON list instead")
    listing.set_defaults(func=cmd_list)

    show = sub.add_parser("show", help="what a run is: its settings, epochs and best validation",
                          description="The run's settings, status, complete epochs, last and best validation, and "
                                      "anything skipped while reading it (an epoch missing or cut short).")
    show.add_argument("run", metavar="RUN", help="a run folder")
    show.add_argument("--verify", action="store_true",
                      help="also check every weights file against its SHA-256 (reads them all); exit 1 on a problem")
    show.add_argument("--json", action="store_true", help="print JSON instead")
    show.set_defaults(func=cmd_show)

    follow = sub.add_parser("follow", help="print a run's epochs as another process records them",
                            description="Print each epoch of the run as it is recorded (by another process, or "
                                        "on another machine into a synced folder), until the run ends.")
    follow.add_argument("run", metavar="RUN", help="a run folder")
    follow.add_argument("--interval", type=in_range(FOLLOW_INTERVAL), default=1.0, metavar="S",
                        help=ranged(FOLLOW_INTERVAL, "seconds between two looks at the folder, default 1"))
    follow.add_argument("--timeout", type=in_range(FOLLOW_TIMEOUT), metavar="S",
                        help=ranged(FOLLOW_TIMEOUT, "stop following after S seconds (default: when the run ends)"))
    follow.set_defaults(func=cmd_follow)

    compare = sub.add_parser("compare", help="overlay the loss curves of several runs, as SVG or PNG",
                             description="Draw the loss per epoch of each run, one colour a run (validation solid, "
                                         "training dashed), into one figure.")
    compare.add_argument("runs", nargs="+", metavar="RUN", help="run folders")
    compare.add_argument("--out", required=True, metavar="FILE", help="the figure: FILE.svg or FILE.png")
    compare.add_argument("--curve", choices=("both", "val", "train"), default="both",
                         help="which losses to draw (default both)")
    compare.set_defaults(func=cmd_compare)

    export = sub.add_parser("export-tb", help="write a run's scalars as TensorBoard event files",
                            description="Write the run's scalars (training and validation loss and perplexity per "
                                        "epoch; loss, gradient norm, clip scale and learning rate per step; a memory "
                                        "task's metric) as a TensorBoard event file in OUT/NAME, so that the run "
                                        "sits beside other work in tensorboard --logdir OUT. TensorBoard itself is "
                                        "not needed to write them.")
    export.add_argument("run", metavar="RUN", help="a run folder")
    export.add_argument("out", metavar="OUT", help="the TensorBoard log folder; the run goes to OUT/NAME")
    export.set_defaults(func=cmd_export_tb)
