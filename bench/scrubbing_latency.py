"""Scrubbing a run: from a change of epoch on the run bar to the tab's result on screen.

A 2-layer GRU encoder–decoder of hidden size 256 (the book's seq2seq size, ``seq2seq-256``) is
trained for a few epochs on a few hundred sentence pairs (fra-eng when RNNVIZ_DATA_DIR holds it,
else the built-in phrasebook) and recorded into a run folder. The main window then opens the run
and the run bar is moved epoch by epoch, N times, with the Translate tab shown and then with the
Gates tab shown (a tab computes only while it is on screen). Each change is timed from the bar's
move to the tab's result (Translate: ``sig_translated``; Gates: ``sig_trace_ready``):

- first visits: the epoch's weights are read from the run (off the GUI thread), then the tab computes;
- revisits: the epoch's model comes from the cache (the same object), and the tab shows what it cached
  for that model (Gates: ``panels.gates.result_cache``; no job);
- far jumps: the run's model cache is emptied before each change and the epochs are visited out of
  order (a stride through them), so that every change reads an epoch never read ahead: what a click far
  along the slider costs.

Target: p95 <= 150 ms on two cores (revisits at least). Also printed: the memory one cached epoch takes.

    RNNVIZ_DATA_DIR=../shared/data/d2l python bench/scrubbing_latency.py [--epochs 12] [--pairs 400] [--profile]

Runs offscreen unless DISPLAY is set.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path


def record(folder: Path, epochs: int, pairs: int) -> str:
    from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
    from rnnviz.core.runs import RunRecorder
    from rnnviz.core.session import TrainingSession

    data_dir = os.environ.get("RNNVIZ_DATA_DIR", "")
    corpus = "fra-eng" if data_dir and (Path(data_dir) / "fra-eng.zip").exists() else "phrasebook"
    stack = StackSpec("gru", (256, 256), dropout=0.2)
    session = TrainingSession(DataConfig(corpus=corpus, task="mt", num_steps=9, batch_size=128, max_examples=pairs),
                              ModelConfig("mt", stack, stack, embed_size=256, bridge="identity"),
                              TrainConfig(epochs=epochs, optimizer="adam", lr=0.005, grad_clip=1.0, device="cpu"))
    assert session.prepare()
    started = time.perf_counter()
    with RunRecorder.create(folder, session.bundle, label="seq2seq 2×256") as recorder:
        session.run(recorder.record)
    print(f"recorded {epochs} epochs of a GRU seq2seq 2×256 on {pairs} pairs of {corpus} in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return corpus


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def far_order(epochs: tuple[int, ...]) -> list[int]:
    """The epochs in a stride that is coprime with their count: each change jumps about a third of the run."""
    n = len(epochs)
    stride = next(s for s in range(max(2, n // 3), n + 2) if math.gcd(s, n) == 1)
    return [epochs[(i * stride) % n] for i in range(1, n + 1)]


def measure(app, window, tab, signal, epochs: tuple[int, ...],
            repeats: int) -> tuple[list[float], list[float], list[float]]:
    """(first visits, revisits, far jumps) in ms for ``tab`` shown."""
    runs = window.runs
    seen: list[float] = []
    signal.connect(lambda *_a: seen.append(time.perf_counter()))
    window.tabs.setCurrentWidget(tab)

    def settle(timeout: float = 60.0) -> None:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            app.processEvents()
            if not runs.source._loader.busy:
                break
            time.sleep(0.001)
        for _ in range(50):  # the tab's own job
            app.processEvents()
            time.sleep(0.002)

    def change(epoch: int) -> float:
        before = len(seen)
        start = time.perf_counter()
        runs.bar.go_to(epoch)
        end = time.perf_counter() + 60.0
        while len(seen) == before and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.0005)
        if len(seen) == before:
            raise SystemExit(f"no result for epoch {epoch} within a minute")
        value = (seen[before] - start) * 1000
        settle()
        return value

    order = [e for e in epochs if e != runs.bar.epoch()]
    runs.source._cache.clear()  # first visits: every epoch read from the run
    first = [change(e) for e in order]
    again: list[float] = []
    for _ in range(repeats):
        for e in reversed(epochs):
            if e != runs.bar.epoch():  # the epoch shown now would change nothing
                again.append(change(e))
    far: list[float] = []
    for e in far_order(epochs):
        if e != runs.bar.epoch():
            runs.source._cache.clear()  # never read before, never read ahead
            far.append(change(e))
    return first, again, far


def profile_gates_job(panel) -> None:
    """Where a first visit's time goes: the Gates tab's job (``probing.compute``) on the model shown."""
    import cProfile
    import pstats

    from rnnviz.core.introspect import probing
    from rnnviz.core.introspect.probing import TraceRequest

    bundle, probe = panel.bundle(), panel.probe()
    request = TraceRequest(probe=True, saturation=False)
    probing.compute(bundle, probe, "", request)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        probing.compute(bundle, probe, "", request)
    profiler.disable()
    print(f"cProfile of 10 traces of the probe {probe!r} (the job of a first visit):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(14)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=2, help="revisit passes over the epochs")
    parser.add_argument("--profile", action="store_true", help="also cProfile the Gates tab's job on one epoch")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    folder = Path(tempfile.mkdtemp(prefix="rnnviz-scrub-")) / "seq2seq-256"
    os.environ.setdefault("RNNVIZ_RUNS_DIR", str(folder.parent / "recorded"))
    corpus = record(folder, args.epochs, args.pairs)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from rnnviz.gui.main_window import MainWindow
    from rnnviz.gui.runs.source import bundle_bytes

    window = MainWindow(QSettings(str(folder.parent / "settings.ini"), QSettings.Format.IniFormat))
    window.resize(1280, 720)
    window.show()
    opened: list[object] = []
    window.runs.source.sig_bundle.connect(lambda *a: opened.append(a))
    window.runs.open(str(folder))
    end = time.perf_counter() + 120
    while not opened and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)
    epochs = window.runs.bar.epochs()
    bundle = opened[0][1]
    size = bundle_bytes(bundle)
    # The tabs' first computations (imports, warm-up) are not what a lecturer scrubs through.
    for tab in (window.translate_panel, window.gates_panel):
        window.tabs.setCurrentWidget(tab)
        for _ in range(200):
            app.processEvents()
            time.sleep(0.005)
    results = {}
    results["Translate"] = measure(app, window, window.translate_panel, window.translate_panel.sig_translated,
                                   epochs, args.repeats)
    tracer = window.gates_panel._tracer
    jobs_before = tracer.jobs_started
    results["Gates"] = measure(app, window, window.gates_panel, window.gates_panel.sig_trace_ready, epochs,
                               args.repeats)
    print(f"Gates: {tracer.jobs_started - jobs_before} trace jobs for {sum(map(len, results['Gates']))} epoch "
          f"changes; its cache holds {len(tracer.cache)} parts, {tracer.cache.nbytes() / 2**20:.1f} MB")
    if args.profile:
        profile_gates_job(window.gates_panel)
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; corpus {corpus}; {len(epochs)} epochs; "
          f"one cached epoch: {size / 2**20:.1f} MB of weights")
    print("| tab | visits | n | p50 ms | p95 ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (first, again, far) in results.items():
        for kind, values in (("first", first), ("revisit", again), ("far jump", far)):
            print(f"| {name} | {kind} | {len(values)} | {statistics.median(values):.0f} | "
                  f"{percentile(values, 0.95):.0f} | {max(values):.0f} |")
    window.close()


if __name__ == "__main__":
    main()
