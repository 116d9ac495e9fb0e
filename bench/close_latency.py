"""How promptly the main window closes, in every state of a run.

For each state, a fresh window (the tests' tiny GRU language model on the
built-in phrasebook) is brought to that state and closed as the user closes
it; three times are taken from the call to ``close()``:

- hidden: until the window is hidden (target <= 1 s in every state);
- returned: until ``close()`` returns (the GUI thread waits at most
  ``CLOSE_WAIT_MS`` for the training thread and background jobs);
- thread: until the training thread has finished (a slow step or preparation
  phase ends on its own after the window has gone; the app's exit waits for it).

States: idle (no run, and after a run), preparing (the real preparation, and
one whose data phase takes 1 s, like a large corpus), training, mid-step of a
model whose step takes 1 s, paused, finishing (the last epoch's validation,
slowed to 0.5 s). Then "fresh process": ``python -X dev`` builds the window,
starts a run and closes it 100 ms later, while torch still loads on the
training thread; times there are to the window hidden and to the process's
exit (its stderr must stay empty but for the offscreen platform's note).

    python bench/close_latency.py [--tries 3]

Runs offscreen unless DISPLAY is set. Figures: the median of the tries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Qt  # noqa: E402

from rnnviz.gui.app import make_app  # noqa: E402

SLOW_S = 1.0


class Timing(QObject):
    """When the window was hidden and when its training thread finished (perf_counter seconds)."""

    def __init__(self, window, thread) -> None:
        super().__init__(window)
        self.hidden: float | None = None
        self.finished: float | None = None
        window.installEventFilter(self)
        if thread is not None:  # emitted on the training thread as it ends: a direct call notes the moment
            thread.finished.connect(self._on_finished, Qt.ConnectionType.DirectConnection)

    def _on_finished(self) -> None:
        self.finished = time.perf_counter()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Hide and self.hidden is None:
            self.hidden = time.perf_counter()
        return False


def wait_until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the state was not reached")
        QCoreApplication.processEvents()
        time.sleep(0.002)


@contextmanager
def patched(owner: object, name: str, replacement: object):
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield original
    finally:
        setattr(owner, name, original)


def new_window(folder: Path, epochs: int = 50):
    from rnnviz.gui.main_window import MainWindow

    window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    window.show()
    window.data_panel.wait_idle(30_000)
    window.builder.encoder.set_hidden(8)
    window.config_panel.batch_size.setValue(256)
    window.config_panel.num_steps.setValue(16)
    window.config_panel.epochs.setValue(epochs)
    window.device_box.setCurrentText("cpu")
    return window


def measure(window) -> tuple[float, float, float]:
    """(hidden, returned, thread finished) seconds after close(); waits for the thread."""
    thread = window.controller.worker_thread
    timing = Timing(window, thread)
    started = time.perf_counter()
    window.close()
    returned = time.perf_counter()
    if thread is not None:
        wait_until(lambda: timing.finished is not None, 30)
    finished = timing.finished if timing.finished is not None else returned  # no thread: nothing to wait for
    window.deleteLater()
    QCoreApplication.processEvents()
    assert timing.hidden is not None
    return timing.hidden - started, returned - started, finished - started


# ---- the states ---------------------------------------------------------------------------------


def idle(folder: Path) -> tuple[float, float, float]:
    return measure(new_window(folder))


def idle_after_a_run(folder: Path) -> tuple[float, float, float]:
    window = new_window(folder, epochs=1)
    window.start_training()
    wait_until(lambda: window.controller.state == "idle")
    return measure(window)


def preparing(folder: Path) -> tuple[float, float, float]:
    window = new_window(folder)
    window.start_training()
    time.sleep(0.05)
    return measure(window)


def preparing_slow_data(folder: Path) -> tuple[float, float, float]:
    import rnnviz.core.data.datasets as datasets

    entered = threading.Event()
    window = new_window(folder)

    def build_data(*args, **kwargs):
        entered.set()
        time.sleep(SLOW_S)
        return original(*args, **kwargs)
    with patched(datasets, "build_data", build_data) as original:
        window.start_training()
        wait_until(entered.is_set)
        return measure(window)


def training(folder: Path) -> tuple[float, float, float]:
    window = new_window(folder)
    steps: list[object] = []
    window.controller.sig_events.connect(steps.extend)
    window.start_training()
    wait_until(lambda: len(steps) >= 3)
    return measure(window)


def slow_step(folder: Path) -> tuple[float, float, float]:
    from rnnviz.core.models.lm import RNNLM

    in_step = threading.Event()
    window = new_window(folder)

    def batch_loss(self, batch):
        in_step.set()
        time.sleep(SLOW_S)
        return original(self, batch)
    with patched(RNNLM, "batch_loss", batch_loss) as original:
        window.start_training()
        wait_until(in_step.is_set)
        return measure(window)


def paused(folder: Path) -> tuple[float, float, float]:
    window = new_window(folder)
    window.start_training()
    wait_until(lambda: window.controller.state == "running")
    window.controller.pause()
    wait_until(lambda: window.controller.state == "paused")
    return measure(window)


def finishing(folder: Path) -> tuple[float, float, float]:
    import rnnviz.core.train as core_train

    validating = threading.Event()
    window = new_window(folder, epochs=1)

    def evaluate(*args, **kwargs):
        validating.set()
        time.sleep(SLOW_S / 2)
        return original(*args, **kwargs)
    with patched(core_train, "evaluate", evaluate) as original:
        window.start_training()
        wait_until(validating.is_set)
        return measure(window)


STATES: dict[str, Callable[[Path], tuple[float, float, float]]] = {
    "idle": idle, "idle after a run": idle_after_a_run, "preparing": preparing,
    "preparing, 1 s data phase": preparing_slow_data, "training": training, "mid-step, 1 s step": slow_step,
    "paused": paused, "finishing (validation)": finishing,
}

FRESH = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from rnnviz.gui.app import make_app
app = make_app()
from rnnviz.gui.main_window import MainWindow
window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))

class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Hide:
            print("hidden", time.time(), flush=True)
        return False

def close():
    window.installEventFilter(Watch(window))
    print("close", time.time(), flush=True)
    window.close()

def start():
    window.data_panel.wait_idle(30_000)
    window.builder.encoder.set_hidden(8)
    window.device_box.setCurrentText("cpu")
    window.start_training()
    QTimer.singleShot(100, close)

window.show()
QTimer.singleShot(0, start)
sys.exit(app.exec())
"""


def fresh_process(folder: Path) -> tuple[float, float, str]:
    """(hidden, process ended) seconds after close() in a fresh process, and its stderr."""
    process = subprocess.run([sys.executable, "-X", "dev", "-c", FRESH, str(folder / "fresh.ini")],
                             capture_output=True, text=True, timeout=120, env=os.environ)
    ended = time.time()
    times = dict(line.split() for line in process.stdout.splitlines() if line.split()[0] in ("close", "hidden"))
    closed = float(times["close"])
    stderr = "\n".join(line for line in process.stderr.splitlines() if not line.startswith("This plugin does not"))
    return float(times["hidden"]) - closed, ended - closed, stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=3)
    args = parser.parse_args()
    make_app()
    folder = Path(tempfile.mkdtemp(prefix="rnnviz-close-"))
    idle_after_a_run(folder)  # torch's first optimizer imports torch._dynamo (seconds): paid once, here
    print(f"{'state':28} {'hidden':>8} {'returned':>9} {'thread':>8}   (seconds after close(), median of "
          f"{args.tries})")
    for name, reach in STATES.items():
        runs = [reach(folder) for _ in range(args.tries)]
        hidden, returned, thread = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"{name:28} {hidden:8.3f} {returned:9.3f} {thread:8.3f}", flush=True)
    fresh = [fresh_process(folder) for _ in range(args.tries)]
    print(f"{'fresh process, close 0.1 s after start':28}  hidden {statistics.median(f[0] for f in fresh):.3f}, "
          f"process ended {statistics.median(f[1] for f in fresh):.3f}; stderr: "
          f"{'empty' if not any(f[2] for f in fresh) else repr([f[2] for f in fresh if f[2]])}")


if __name__ == "__main__":
    main()
