"""Which way of sharing the cores trains fastest in the window and still keeps the GUI smooth.

The book's GRU language model of bench/gui_latency.py (hidden 32, batch 1024,
num_steps 32, SGD lr 4) trains from the main window under each arrangement, and
headless with every core (what `rnnviz train` gets) right after each GUI run:

- ``cores-1``: torch gets one thread fewer than the machine has cores (the app's
  choice until this benchmark decided);
- ``all``: torch gets every core, beside the GUI thread;
- ``all+nice``: every core, the training thread and the OpenMP threads it starts
  10 nice levels below the GUI thread (Linux).

Each round runs every arrangement once, in a shuffled order and each in a fresh
process (a nice level or a thread count must hold from torch's first OpenMP
thread on), each GUI run followed by its headless baseline in the same process,
so that drift on a shared machine hits both sides of a ratio alike. Per arrangement: the median of its rounds' ratios GUI/headless, and
the GUI stalls (a 5 ms QTimer probe; how late each tick fires) over its runs.
Targets (issue 14): ratio >= 0.9 on two cores, >= 0.95 on four or more;
stall p99 <= 30 ms, max <= 100 ms.

    RNNVIZ_DATA_DIR=../shared/data/d2l python bench/training_arrangements.py [--epochs 10] [--rounds 6]

The steal time the hypervisor took during the run is printed: above a few percent,
the figures are not worth recording.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_latency import BATCH, HIDDEN, NUM_STEPS, book_gru_window, corpus, headless_tokens_per_s  # noqa: E402

ARRANGEMENTS: dict[str, dict[str, str]] = {
    "cores-1": {"RNNVIZ_TRAINING_THREADS": "cores-1"},
    "all": {"RNNVIZ_TRAINING_THREADS": "all"},
    "all+nice": {"RNNVIZ_TRAINING_THREADS": "all", "RNNVIZ_TRAINING_NICE": "10"},
}


def steal_jiffies() -> tuple[int, int]:
    """(steal, total) jiffies of every CPU since boot, from /proc/stat (0, 0 elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields)


def run_one(epochs: int, all_cores: int, probe_ms: int) -> dict[str, object]:
    """In this process, arranged by its environment: a one-epoch warm-up of each side, then the run
    in the main window and the same run headless with every core. Returns tokens/s and stalls."""
    from PySide6.QtCore import QTimer

    app, window, tokens = book_gru_window(epochs)
    panel = window.config_panel
    jobs = iter([1, epochs])  # the warm-up, then the measured run
    result: dict[str, object] = {"stalls": []}
    state = {"measuring": False, "start": 0.0, "warm": False}
    last = [time.perf_counter()]

    def start_next() -> None:
        epochs_next = next(jobs, None)
        if epochs_next is None:
            app.quit()
            return
        panel.epochs.setValue(epochs_next)
        window.start_training()

    def started(_info: object) -> None:
        if state["warm"]:
            state["measuring"], state["start"] = True, time.perf_counter()

    def finished(_event: object) -> None:
        end = time.perf_counter()
        state["measuring"] = False
        if not state["warm"]:
            state["warm"] = True
            headless_tokens_per_s(1, all_cores)  # the headless side's warm-up
        else:
            result["gui"] = tokens / (end - state["start"])
            result["headless"] = headless_tokens_per_s(epochs, all_cores)
        last[0] = time.perf_counter()
        QTimer.singleShot(0, start_next)

    def tick() -> None:
        now = time.perf_counter()
        if state["measuring"]:
            result["stalls"].append(max(0.0, (now - last[0]) * 1000 - probe_ms))
        last[0] = now

    window.controller.sig_run_started.connect(started)
    window.controller.sig_finished.connect(finished)
    window.controller.sig_error.connect(lambda message, details: (print(message, details), app.quit()))
    probe = QTimer()
    probe.setInterval(probe_ms)
    probe.timeout.connect(tick)
    probe.start()
    QTimer.singleShot(0, start_next)
    app.exec()
    probe.stop()
    window.close()
    app.processEvents()
    return result


def measure(names: list[str], epochs: int, rounds: int, probe_ms: int) -> dict[str, dict[str, list[float]]]:
    """Each round runs every arrangement once, shuffled, each in a fresh process (the nice level and
    the thread count must hold from the first OpenMP thread on). Per arrangement: tokens/s of the
    GUI and headless side of each round, and every probe tick's stall."""
    rng = random.Random(0)
    results = {name: {"gui": [], "headless": [], "stalls": []} for name in names}
    for _ in range(rounds):
        for name in rng.sample(names, len(names)):
            env = {k: v for k, v in os.environ.items() if k not in ("RNNVIZ_TRAINING_THREADS", "RNNVIZ_TRAINING_NICE")}
            out = subprocess.run([sys.executable, __file__, "--one", "--epochs", str(epochs), "--probe-ms", str(probe_ms)], env={
                **env, **ARRANGEMENTS[name]}, capture_output=True, text=True, timeout=900)
            line = [x for x in out.stdout.splitlines() if x.startswith("{")]
            if out.returncode != 0 or not line:
                raise SystemExit(f"{name}: the run failed:\n{out.stderr[-2000:]}")
            one = json.loads(line[-1])
            for key in ("gui", "headless"):
                results[name][key].append(one[key])
            results[name]["stalls"] += one["stalls"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (short runs: pairs close in time)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--arrangements", default=",".join(ARRANGEMENTS),
                        help=f"comma-separated, of {', '.join(ARRANGEMENTS)}")
    parser.add_argument("--probe-ms", type=int, default=5,
                        help="the stall probe's interval; a long one measures throughput without its wake-ups")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child: one arranged run
    args = parser.parse_args()
    if args.one:
        import torch

        print(json.dumps(run_one(args.epochs, torch.get_num_threads(), args.probe_ms)), flush=True)
        return
    names = [n.strip() for n in args.arrangements.split(",") if n.strip()]
    unknown = [n for n in names if n not in ARRANGEMENTS]
    if unknown:
        parser.error(f"unknown arrangement(s) {', '.join(unknown)}; choose from {', '.join(ARRANGEMENTS)}")
    import torch

    all_cores = torch.get_num_threads()
    print(f"corpus {corpus()}, GRU hidden {HIDDEN}, batch {BATCH}x{NUM_STEPS}, {args.epochs} epochs x "
          f"{args.rounds} rounds x {len(names)} arrangements, torch {torch.__version__}, {os.cpu_count()} cores, "
          f"{all_cores} torch threads headless")
    steal0, total0 = steal_jiffies()
    results = measure(names, args.epochs, args.rounds, args.probe_ms)
    steal1, total1 = steal_jiffies()
    if total1 > total0:
        print(f"steal: {100 * (steal1 - steal0) / (total1 - total0):.1f}% of the CPU time during the run")
    for name in names:
        r = results[name]
        ratios = [g / h for g, h in zip(r["gui"], r["headless"])]
        stalls = sorted(r["stalls"])
        p99 = stalls[min(len(stalls) - 1, int(0.99 * len(stalls)))] if stalls else float("nan")
        print(f"{name:9s} ratio gui/headless-every-core: median {statistics.median(ratios):.2f} "
              f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}); GUI median {statistics.median(r['gui']):,.0f} "
              f"tokens/s, headless median {statistics.median(r['headless']):,.0f}; stalls p99 {p99:.1f} ms, "
              f"max {max(stalls, default=float('nan')):.1f} ms")


if __name__ == "__main__":
    main()
