"""GUI responsiveness while training, and time to the first painted window.

1. Stalls: the book's GRU language model (hidden 32, batch 1024, num_steps 32,
   SGD lr 4, clip 1) trains through the main window's worker thread while a 5 ms
   QTimer probes the GUI event loop; a stall is how late each tick fires.
   Targets: p99 <= 30 ms, max <= 100 ms.
2. Throughput: the same training run headless (a rnnviz.core.session run, as
   the CLI makes one) in the same process, right after each GUI run (rounds interleave, so
   drift on a shared machine hits both sides); target: GUI >= 0.95 of headless,
   the median of the rounds' ratios (each side's fastest round is printed too).
   The app leaves one core to the GUI thread (torch gets cores - 1 threads),
   so two headless baselines are printed: with that thread count (the same
   run; the last line) and with torch's default of every core (what the CLI
   gets). The GUI run includes its live sample after each epoch, as a user
   sees it.
3. First paint: process start to the main window's first paint event, in fresh
   processes (median of several); torch must not be loaded by then.
   Target: <= 1.5 s on a 2-core machine.

    RNNVIZ_DATA_DIR=../shared/data/d2l python bench/gui_latency.py [--epochs 30] [--rounds 5] [--starts 5]

Runs offscreen unless DISPLAY is set (then in a real window, e.g. under Xvfb).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

HIDDEN, BATCH, NUM_STEPS, LR = 32, 1024, 32, 4.0


def corpus() -> str:
    return "time-machine" if os.environ.get("RNNVIZ_DATA_DIR") else "phrasebook-en"


def first_paint_seconds(starts: int) -> tuple[list[float], bool]:
    """Start ``python -m rnnviz`` afresh ``starts`` times; the app prints when it first paints
    (RNNVIZ_EXIT_AFTER_FIRST_PAINT, as the packaged app is timed) and quits."""
    times, torch_loaded = [], False
    env = {**os.environ, "RNNVIZ_EXIT_AFTER_FIRST_PAINT": "1"}
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    for _ in range(starts):
        started = time.time()
        out = subprocess.run([sys.executable, "-m", "rnnviz"], capture_output=True, text=True, env=env,
                             timeout=120).stdout
        line = [x for x in out.splitlines() if x.startswith("first-paint ")][-1]
        _, painted, torch_flag = line.split()
        times.append(float(painted) - started)
        torch_loaded |= torch_flag == "torch=True"
    return times, torch_loaded


def headless_tokens_per_s(epochs: int, threads: int) -> float:
    """Tokens/s of a ``rnnviz.core.session`` run (as the app's worker drives one) on this thread,
    with ``threads`` torch threads."""
    import torch

    from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
    from rnnviz.core.data.datasets import build_data
    from rnnviz.core.session import TrainingSession

    data = build_data(DataConfig(corpus=corpus(), batch_size=BATCH, num_steps=NUM_STEPS), download=False)
    session = TrainingSession(data.config, ModelConfig("lm", StackSpec("gru", (HIDDEN,))),
                              TrainConfig(epochs=epochs, lr=LR, device="cpu"), data=data)
    session.prepare()
    tokens = sum(x.size for e in range(epochs) for x, _ in data.train_batches(e))
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        start = time.perf_counter()
        session.run()
        return tokens / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)


@dataclass
class Round:
    gui: float  # tokens/s
    headless: float  # tokens/s, the app's thread count
    headless_all: float  # tokens/s, every core


def book_gru_window(epochs: int):  # -> (QApplication, MainWindow, tokens per run)
    """The main window set up for the benchmark's model, and the tokens ``epochs`` epochs train on."""
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    from PySide6.QtCore import QSettings

    from rnnviz.core.config import DataConfig
    from rnnviz.core.data.datasets import build_data
    from rnnviz.gui.app import make_app
    from rnnviz.gui.main_window import MainWindow

    app = make_app()
    window = MainWindow(QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat))
    window.show()
    window.data_panel.wait_idle(60_000)
    window.data_panel.set_selection(corpus(), "lm")
    window.data_panel.wait_idle(60_000)
    panel = window.config_panel
    window.builder.encoder.set_hidden(HIDDEN)
    panel.batch_size.setValue(BATCH)
    panel.num_steps.setValue(NUM_STEPS)
    panel.lr.setValue(LR)
    window.device_box.setCurrentText("cpu")
    data = build_data(DataConfig(corpus=corpus(), batch_size=BATCH, num_steps=NUM_STEPS), download=False)
    return app, window, sum(x.size for e in range(epochs) for x, _ in data.train_batches(e))


def measure(epochs: int, rounds: int, all_cores: int) -> tuple[list[Round], list[float], int]:
    """``rounds`` x (the run in the main window, then the same run headless with the app's
    thread count and with every core), after a one-epoch warm-up of each. Interleaving keeps
    the machine's drift out of the ratios. Returns the rounds, the stall milliseconds of
    every probe tick during the GUI runs, and the app's torch thread count."""
    from PySide6.QtCore import QTimer

    from rnnviz.gui.training import training_threads

    app, window, tokens = book_gru_window(epochs)
    panel = window.config_panel

    jobs = iter([1] + [epochs] * rounds)  # the warm-up, then one job a round
    results: list[Round] = []
    stalls: list[float] = []
    state = {"measuring": False, "start": 0.0, "warm": False}
    threads = training_threads(all_cores)  # what the worker gives torch

    def start_next() -> None:
        epochs_next = next(jobs, None)
        if epochs_next is None:
            app.quit()
            return
        panel.epochs.setValue(epochs_next)
        window.start_training()

    def started(_info) -> None:
        if state["warm"]:
            state["measuring"], state["start"] = True, time.perf_counter()

    def finished(_event) -> None:
        end = time.perf_counter()
        state["measuring"] = False
        if not state["warm"]:
            state["warm"] = True
            headless_tokens_per_s(1, threads)  # the headless side's warm-up
        else:
            # The event loop waits while the baselines run on this thread; the worker is idle.
            results.append(Round(tokens / (end - state["start"]), headless_tokens_per_s(epochs, threads),
                                 headless_tokens_per_s(epochs, all_cores)))
        last[0] = time.perf_counter()
        QTimer.singleShot(0, start_next)

    window.controller.sig_run_started.connect(started)
    window.controller.sig_finished.connect(finished)
    window.controller.sig_error.connect(lambda message, details: (print(message, details), app.quit()))
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        if state["measuring"]:
            stalls.append(max(0.0, (now - last[0]) * 1000 - 5.0))
        last[0] = now
    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(tick)
    probe.start()
    QTimer.singleShot(0, start_next)
    app.exec()
    probe.stop()
    window.close()
    return results, stalls, threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5, help="GUI/headless pairs, interleaved")
    parser.add_argument("--starts", type=int, default=5, help="fresh processes for the first-paint time")
    args = parser.parse_args()
    paints, torch_early = first_paint_seconds(args.starts)
    import torch

    all_cores = torch.get_num_threads()
    print(f"corpus {corpus()}, GRU hidden {HIDDEN}, batch {BATCH}x{NUM_STEPS}, {args.epochs} epochs x "
          f"{args.rounds} rounds, torch {torch.__version__} with {all_cores} threads, "
          f"platform {os.environ.get('QT_QPA_PLATFORM') or ('xcb' if os.environ.get('DISPLAY') else 'offscreen')}")
    rounds, stalls, gui_threads = measure(args.epochs, args.rounds, all_cores)
    stalls.sort()
    p99 = stalls[min(len(stalls) - 1, int(0.99 * len(stalls)))] if stalls else float("nan")
    print(f"first paint: median {statistics.median(paints):.2f} s (runs: {', '.join(f'{p:.2f}' for p in paints)}); "
          f"torch loaded before it: {torch_early}")
    print(f"GUI stalls over {len(stalls)} probe ticks: p50 {statistics.median(stalls):.1f} ms, "
          f"p99 {p99:.1f} ms, max {max(stalls):.1f} ms; the five longest: "
          + ", ".join(f"{x:.1f}" for x in stalls[-5:][::-1]))
    for i, r in enumerate(rounds, 1):
        print(f"round {i}: GUI {r.gui:,.0f} tokens/s; headless {r.headless:,.0f} with {gui_threads} torch "
              f"thread(s) (as the app trains), {r.headless_all:,.0f} with {all_cores} (every core); "
              f"ratios {r.gui / r.headless:.2f}, {r.gui / r.headless_all:.2f}")
    best = Round(max(r.gui for r in rounds), max(r.headless for r in rounds), max(r.headless_all for r in rounds))
    print(f"best of {len(rounds)}: GUI {best.gui:,.0f} tokens/s; headless {best.headless:,.0f} "
          f"({gui_threads} thread(s)), {best.headless_all:,.0f} (every core)")
    print(f"fastest rounds' ratios: {best.gui / best.headless:.2f} (same threads), "
          f"{best.gui / best.headless_all:.2f} (every core)")
    print(f"ratio gui/headless-every-core: {statistics.median(r.gui / r.headless_all for r in rounds):.2f} "
          f"(median of the rounds)")
    print(f"ratio gui/headless: {statistics.median(r.gui / r.headless for r in rounds):.2f} (median of the rounds)")


if __name__ == "__main__":
    main()
