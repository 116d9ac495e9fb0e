"""What recording a run costs: the book's GRU language model trained with and without a run folder.

The recipe is the preset gru-lm (section 10.2: one-hot characters, GRU hidden 32, batch 1024,
num_steps 32, SGD lr 4, clipping at 1, the book's TimeMachine windows), for ``--epochs``
epochs (the preset's 50 by default would take minutes a run; the cost per epoch is what
matters). The time spent inside the recorder (creating, recording each event, closing) is also
summed per run: on a shared machine it is the steadier measure of the work recording adds. The data are built once; each repeat trains a fresh model from the same seed twice,
once plain and once recorded by ``rnnviz.core.runs.RunRecorder`` (every step a line, every
epoch its weights, fsynced), alternating which goes first. The time is the whole run's wall
time: ``TrainingSession.run`` (validation included) and, recorded, the recorder's creation
(manifest, initial weights) and close. Reported: the medians and the ratio of the medians, with
the machine's load and the CPU time stolen by its hypervisor during the runs.

Target: recording adds at most 3% (ratio <= 1.03).

    RNNVIZ_DATA_DIR=../shared/data/d2l python bench/recording_overhead.py [--epochs 10] [--repeats 5]
        [--threads 2] [--save-every-steps N] [--folder DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch

from machine import cpu_name  # bench/machine.py: the scripts run from bench/
from rnnviz.core.data.datasets import build_data
from rnnviz.core.models.presets import get_preset
from rnnviz.core.runs import RunRecorder, open_run
from rnnviz.core.session import TrainingSession

TARGET = 1.03


def steal_ticks() -> int | None:
    """The CPU time stolen from this VM so far (clock ticks, all CPUs), from /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
        return int(fields[8])
    except (OSError, IndexError, ValueError):
        return None


def train_once(data, data_config, model_config, train_config, folder: Path | None,
               every: int | None) -> tuple[float, float]:
    """(the run's wall time, the part of it spent inside the recorder: creating, recording, closing)."""
    session = TrainingSession(data_config, model_config, train_config, data=data)
    session.prepare()
    start = time.perf_counter()
    if folder is None:
        session.run()
        return time.perf_counter() - start, 0.0
    inside = 0.0
    recorder = RunRecorder.create(folder, session.bundle, save_every_steps=every)
    inside += time.perf_counter() - start

    def record(event) -> None:
        nonlocal inside
        began = time.perf_counter()
        recorder.record(event)
        inside += time.perf_counter() - began

    session.run(record)
    began = time.perf_counter()
    recorder.close()
    inside += time.perf_counter() - began
    return time.perf_counter() - start, inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--save-every-steps", type=int, default=None)
    parser.add_argument("--folder", help="where to write the runs (default: a temporary folder on /tmp's disk)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    preset = get_preset("gru-lm")
    train_config = preset.train_config()
    from dataclasses import replace

    train_config = replace(train_config, epochs=args.epochs, device="cpu")
    data_config = preset.data_config()
    data = build_data(data_config)
    root = Path(args.folder) if args.folder else Path(tempfile.mkdtemp(prefix="rnnviz-bench-runs-"))
    print(f"recipe gru-lm, {args.epochs} epochs, {data.num_train_batches()} batches an epoch; torch "
          f"{torch.__version__}, {args.threads} threads; {os.cpu_count()} CPUs: {cpu_name()}; runs in {root}")
    load_before, steal_before, clock = os.getloadavg(), steal_ticks(), time.monotonic()
    plain: list[float] = []
    recorded: list[float] = []
    inside: list[float] = []  # seconds inside the recorder, per recorded run
    train_once(data, data_config, preset.config, replace(train_config, epochs=1), None, None)  # warm-up
    for repeat in range(args.repeats):
        order = ("plain", "recorded") if repeat % 2 == 0 else ("recorded", "plain")
        for kind in order:
            folder = root / f"run-{repeat}" if kind == "recorded" else None
            seconds, spent = train_once(data, data_config, preset.config, train_config, folder,
                                        args.save_every_steps)
            (plain if kind == "plain" else recorded).append(seconds)
            if kind == "recorded":
                inside.append(spent)
            print(f"repeat {repeat + 1} {kind:8s} {seconds:7.2f} s" + (f" ({1000 * spent:.0f} ms in the recorder)"
                                                                      if kind == "recorded" else ""), flush=True)
    run = open_run(root / "run-0")
    size = sum(p.stat().st_size for p in (root / "run-0").iterdir())
    load_after, steal_after, elapsed = os.getloadavg(), steal_ticks(), time.monotonic() - clock
    ratio = statistics.median(recorded) / statistics.median(plain)
    print(f"plain:    median {statistics.median(plain):.2f} s (runs: {', '.join(f'{s:.2f}' for s in plain)})")
    print(f"recorded: median {statistics.median(recorded):.2f} s (runs: {', '.join(f'{s:.2f}' for s in recorded)})")
    print(f"one run folder: {len(run.epochs())} epochs of weights, {len(run.events):,} events, {size / 1e6:.2f} MB")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}", end="")
    if steal_before is not None and steal_after is not None:
        ticks = os.sysconf("SC_CLK_TCK")
        share = (steal_after - steal_before) / ticks / (elapsed * (os.cpu_count() or 1))
        print(f"; CPU time stolen by the hypervisor: {100 * share:.1f}% of the machine's CPU time")
    else:
        print()
    share = statistics.median(i / r for i, r in zip(inside, recorded))
    print(f"time inside the recorder: median {1000 * statistics.median(inside):.0f} ms a run, {100 * share:.2f}% "
          "of the recorded run's time (the work recording adds to the training thread, measured directly: far less "
          "sensitive to a shared machine's noise than the ratio of wall times)")
    print(f"ratio recorded/plain: {ratio:.3f} (target <= {TARGET})")
    if not args.folder:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
