"""Screenshots of the app for the README: one PNG per tab and per dock.

    python scripts/screenshots.py [--out docs/screenshots] [--epochs 4]
    xvfb-run -s "-screen 0 1280x720x24" python scripts/screenshots.py --presentation

With ``--presentation`` every tab is shot in presentation mode, full screen, into
``docs/screenshots/presentation/`` (run it on a 1280×720 screen, as above: the
projector's size). Without it, rendered offscreen:

The main window is 1600×1000 on the built-in phrasebook (its English side, the
default). The model tabs show the shipped pretrained models; the Training tab is
shot after a short real training run of the book's GRU language model; the Data
and Config docks' panels are shot whole, on the translation pairs.
Settings go to a temporary file: the user's own are neither read nor changed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1600, 1000
PROJECTOR = (1280, 720)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--epochs", type=int, default=4, help="epochs of the training run shown")
    parser.add_argument("--presentation", action="store_true",
                        help="shoot every tab in presentation mode, full screen (on a 1280×720 screen)")
    args = parser.parse_args(argv)
    if args.presentation:
        args.out = args.out / "presentation"
    else:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QRect, QSettings

    from rnnviz.gui.app import make_app
    from rnnviz.gui.main_window import MainWindow

    app = make_app()

    def wait(condition: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"screenshots: timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.5) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shoot(widget, name: str, fit: bool = False) -> None:
        """Save ``widget`` as NAME.png; ``fit``: only its top, as tall as its content needs."""
        settle()
        path = args.out / f"{name}.png"
        area = QRect(0, 0, widget.width(), min(widget.height(), widget.sizeHint().height())) if fit else QRect(0, 0, -1, -1)
        if not widget.grab(area).save(str(path), "PNG"):
            raise SystemExit(f"screenshots: could not write {path}")
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size / 1e3:.0f} kB")

    settings = QSettings(str(Path(tempfile.mkdtemp(prefix="rnnviz-shots-")) / "settings.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(WIDTH, HEIGHT)
    window.show()
    wait(lambda: window.data_panel.wait_idle(100), "the built-in corpus")
    window.resize(WIDTH, HEIGHT)
    if args.presentation:
        window.toggle_presentation(True)
        # Without a window manager (Xvfb) full screen keeps the size it had: the projector's, then.
        window.setGeometry(0, 0, *PROJECTOR)
        settle(1.0)

    window.tabs.setCurrentWidget(window.builder)
    shoot(window, "builder")

    # The model tabs, on the shipped pretrained models.
    window.tabs.setCurrentWidget(window.gates_panel)
    wait(lambda: window.store.model("lm") is not None and window.store.model("mt") is not None, "the shipped models")
    gates = window.gates_panel
    wait(lambda: gates.trace() is not None and not gates.is_busy(), "a gate trace")
    gates.set_step(min(6, gates.num_steps() - 1))
    shoot(window, "gates")

    translate = window.translate_panel
    window.tabs.setCurrentWidget(translate)
    translate.set_sentence("She does not have a car.")
    translate.translate_now()
    wait(lambda: translate.outcome() is not None and not translate.is_busy(), "a translation")
    shoot(window, "translate")

    generate = window.generate_panel
    window.tabs.setCurrentWidget(generate)
    generate.generate_now()
    wait(lambda: generate.outcome() is not None and not generate.is_busy(), "a generation")
    shoot(window, "generate")

    beam = window.beam_panel
    window.tabs.setCurrentWidget(beam)
    beam.set_source("d2l")
    beam.set_strategy("beam")
    wait(lambda: beam.result() is not None and not beam.is_busy(), "the book's toy beam search")
    shoot(window, "beam")

    # Training: a short real run of a language model on the phrasebook's English side.
    window.data_panel.set_selection("phrasebook-en", "lm")
    wait(lambda: window.data_panel.wait_idle(100), "the phrasebook's English side")
    window.config_panel.epochs.setValue(args.epochs)
    window.tabs.setCurrentWidget(window.training_view)
    finished: list = []
    window.controller.sig_finished.connect(finished.append)
    if not window.start_training():
        raise SystemExit("screenshots: training could not start: " + window.config_panel.error_text())
    wait(lambda: bool(finished), "the training run", timeout_s=900)
    shoot(window, "training")

    if args.presentation:  # the docks are hidden on the projector
        window.close()
        settle(0.5)  # the window's close (training thread, background jobs) ends before Python does
        return 0
    # The Data dock's panel, whole (the dock scrolls), on the built-in translation pairs.
    window.data_panel.set_selection("phrasebook", "mt")
    wait(lambda: window.data_panel.wait_idle(100), "the phrasebook")
    shoot(window.data_panel, "data")
    shoot(window.config_panel, "config", fit=True)

    window.close()
    settle(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
