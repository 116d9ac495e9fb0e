"""Screenshots of the tasks that need memory (issue 17), and a check of the lecture keys beside them.

    xvfb-run -s "-screen 0 1280x720x24" python scripts/memory_screenshots.py --out /tmp/shots
    xvfb-run -s "-screen 0 1920x1080x24" python scripts/memory_screenshots.py --out /tmp/shots --size 1920x1080

Shoots, in the normal mode and in presentation mode: the Data dock with recall chosen, the
Training tab after a short recall run (GRU, lag 10) with its accuracy curve, and the Gates tab on
that model, at a step where it must recall. Then, with the focus in the Data dock's lag spin box,
presses F5, →, Space and Esc and prints what each did. Settings go to a temporary file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1280x720", help="the screen, WxH")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--compare-lag", type=int, default=20,
                        help="the lag of the RNN · GRU · LSTM comparison shot last (each preset cut to --epochs)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("RNNVIZ_DATA_DIR", "/work/shared/data/d2l")

    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest

    from rnnviz.gui.app import make_app
    from rnnviz.gui.main_window import MainWindow

    app = make_app()

    def wait(condition: Callable[[], bool], what: str, timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"memory screenshots: timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.6) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shoot(widget, name: str) -> None:
        settle()
        path = args.out / f"{name}-{width}x{height}.png"
        if not widget.grab().save(str(path), "PNG"):
            raise SystemExit(f"could not write {path}")
        print(path)

    settings = QSettings(str(Path(tempfile.mkdtemp(prefix="rnnviz-memshots-")) / "settings.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.setGeometry(0, 0, width, height)
    window.show()
    wait(lambda: window.data_panel.wait_idle(100), "the built-in corpus")

    # The Data dock with recall chosen (the GRU preset sets its data: lag, symbols, sequences).
    window.builder.apply_preset("recall-gru")
    window.data_panel.memory_box.lag.setValue(10)
    window.config_panel.epochs.setValue(args.epochs)
    window.data_dock.raise_()
    shoot(window, "memory-data")

    finished: list = []
    window.controller.sig_finished.connect(finished.append)
    window.tabs.setCurrentWidget(window.training_view)
    if not window.start_training():
        raise SystemExit("training could not start: " + window.config_panel.error_text())
    wait(lambda: bool(finished), "the recall run", timeout_s=900)
    wait(lambda: window.store.own_model("recall") is not None, "the trained model")
    window.training_view.set_y_metric("val_metric")
    shoot(window, "memory-training")

    window.tabs.setCurrentWidget(window.gates_panel)
    gates = window.gates_panel
    wait(lambda: gates.trace() is not None and not gates.is_busy(), "a gate trace")
    gates.set_step(min(12, gates.num_steps() - 1))
    shoot(window, "memory-gates")

    window.toggle_presentation(True)
    window.setGeometry(0, 0, width, height)  # no window manager under Xvfb: full screen keeps the size
    settle(1.0)
    shoot(window, "memory-gates-presentation")
    window.tabs.setCurrentWidget(window.training_view)
    shoot(window, "memory-training-presentation")
    window.toggle_presentation(False)
    settle(0.5)

    # Compare RNN · GRU · LSTM (the presets cut to --epochs, so that the shot takes a minute).
    import dataclasses

    from rnnviz.core.models import memory_presets

    memory_presets.MEMORY_PRESETS = {n: dataclasses.replace(p, train={**p.train, "epochs": args.epochs})
                                     for n, p in memory_presets.MEMORY_PRESETS.items()}
    window.data_panel.memory_box.lag.setValue(args.compare_lag)
    done: list = []
    window.models.comparison = None
    window.data_panel.memory_box.compare_button.click()
    window.models.comparison.sig_done.connect(done.append)
    wait(lambda: bool(done), "the comparison", timeout_s=1200)
    window.tabs.setCurrentWidget(window.training_view)
    shoot(window, "memory-compare")
    window.toggle_presentation(True)
    window.setGeometry(0, 0, width, height)
    settle(1.0)
    shoot(window, "memory-compare-presentation")
    window.toggle_presentation(False)
    settle(0.5)

    # The lecture keys with the focus in a spin box of the Data dock.
    spin = window.data_panel.memory_box.lag
    window.data_dock.raise_()
    spin.setFocus()
    settle(0.3)
    before = (spin.value(), window.tabs.currentIndex(), window.presentation.on)
    QTest.keyClick(spin, Qt.Key.Key_F5)
    settle(0.5)
    print(f"F5 in the lag box: presentation {before[2]} -> {window.presentation.on}, lag {spin.value()}")
    window.toggle_presentation(False)
    settle(0.3)
    spin.setFocus()
    index = window.tabs.currentIndex()
    QTest.keyClick(spin, Qt.Key.Key_Right)
    settle(0.3)
    print(f"→ in the lag box: tab {index} -> {window.tabs.currentIndex()}, lag {spin.value()}")
    spin.setFocus()
    QTest.keyClick(spin, Qt.Key.Key_Space)
    settle(0.5)
    print(f"Space in the lag box: training state {window.controller.state}, lag {spin.value()}")
    QTest.keyClick(spin, Qt.Key.Key_Escape)
    wait(lambda: window.controller.state == "idle", "the stop")
    print(f"Esc: training state {window.controller.state}")
    window.close()
    settle(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
