"""``rnnviz --self-test``: the whole app, offscreen, end to end; exit 0 when it all works.

Builds the main window and every panel, trains a few steps on the built-in
corpus through the worker thread, translates a sentence with the shipped
model, writes a checkpoint to a temporary folder and reads it back. Later
panels add their checks here. The packaged app runs it too.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings

CheckResult = str  # a one-line summary of what the check saw


def _wait_until(app, condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        app.processEvents()
        time.sleep(0.005)


def run_self_test(stream=None) -> int:
    stream = stream or sys.stdout
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before the QApplication exists
    from rnnviz.gui.app import make_app

    app = make_app()
    folder = Path(tempfile.mkdtemp(prefix="rnnviz-self-test-"))
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    state: dict = {}

    def build() -> CheckResult:
        from rnnviz.gui.main_window import MainWindow

        window = MainWindow(settings)
        window.show()
        state["window"] = window
        if not window.data_panel.wait_idle(30_000):
            raise RuntimeError("the data panel did not finish loading the built-in corpus")
        corpus, task = window.data_panel.selection()
        tabs = ", ".join(window.tabs.tabText(i) for i in range(window.tabs.count()))
        return f"main window with the data and config docks and the tabs {tabs}; corpus {corpus} ({task})"

    def train_steps() -> CheckResult:
        window = state["window"]
        steps: list = []
        window.controller.sig_events.connect(lambda events: steps.extend(e for e in events if type(e).__name__ == "Step"))
        panel = window.config_panel
        window.builder.encoder.set_hidden(16)
        panel.epochs.setValue(1)
        panel.batch_size.setValue(64)
        errors: list = []
        infos: list = []
        window.controller.sig_run_started.connect(infos.append)
        window.controller.sig_error.connect(lambda message, details: errors.append(message))
        window.controller.sig_error.disconnect(window.show_error)  # no modal dialog in a self-test
        if not window.start_training():
            raise RuntimeError("training could not start: " + panel.error_text())
        _wait_until(app, lambda: len(steps) >= 5 or errors, 120, "five training steps")
        window.controller.stop()
        _wait_until(app, lambda: window.controller.state == "idle" or errors, 30, "training to stop")
        if errors:
            raise RuntimeError(errors[0])
        loss = steps[-1].loss
        if loss != loss or loss <= 0:
            raise RuntimeError(f"the loss is {loss}")
        built, shown = infos[0].parameters, window.builder.anatomy().total_params
        if built != shown:
            raise RuntimeError(f"the run has {built:,} parameters, the builder counts {shown:,}")
        return (f"{len(steps)} steps on the worker thread, loss {steps[0].loss:.3f} → {loss:.3f}, "
                f"{built:,} parameters as the builder counts")

    def checkpoint() -> CheckResult:
        from rnnviz.core.checkpoint import load_checkpoint

        window = state["window"]
        path = folder / "self-test.pt"
        saved: list = []
        window.controller.sig_saved.connect(saved.append)
        window.controller.save_checkpoint(str(path))
        _wait_until(app, lambda: bool(saved), 30, "the checkpoint to be written")
        bundle = load_checkpoint(path)
        return f"checkpoint written and read back ({path.stat().st_size:,} bytes, {bundle.parameter_count():,} parameters)"

    def translation() -> CheckResult:
        from rnnviz.core.resources import pretrained_path
        from rnnviz.core.checkpoint import load_checkpoint
        from rnnviz.core.decoding import translate

        result = translate(load_checkpoint(pretrained_path("mt"), "mt"), "The girls are happy.")
        if not result.tokens:
            raise RuntimeError("the shipped translation model produced nothing")
        return f"'The girls are happy.' => {result.text}"

    def builder() -> CheckResult:
        """Every preset shown, its counts equal to the built model's, the builder round trip."""
        from rnnviz.core.config import ModelConfig
        from rnnviz.core.data.vocab import placeholder_vocab
        from rnnviz.core.models.factory import build_model
        from rnnviz.core.models.presets import PRESETS

        window = state["window"]
        panel = window.builder
        for name, preset in PRESETS.items():
            panel.apply_preset(name, with_recipe=False)
            app.processEvents()
            info = panel.anatomy()
            if panel.error_text() or info is None:
                raise RuntimeError(f"preset {name}: {panel.error_text() or 'no shapes and counts'}")
            is_mt = preset.config.task == "mt"
            built = build_model(panel.model_config(), tuple(placeholder_vocab(n, is_mt) for n in panel.vocab_sizes()))
            real = sum(p.numel() for p in built.parameters())
            if real != info.total_params:
                raise RuntimeError(f"preset {name}: the builder counts {info.total_params:,} parameters, "
                                   f"the built model has {real:,}")
            if ModelConfig.from_dict(panel.model_config().to_dict()) != preset.config:
                raise RuntimeError(f"preset {name}: the builder does not give back the preset's stack")
        panel.set_task("lm")  # back to the built-in corpus's task for the training check
        return f"{len(PRESETS)} presets drawn, counted and built"

    def model_panels() -> CheckResult:
        """The Gates, Translate, Generate and Beam search tabs on the shipped models."""
        window = state["window"]
        window.tabs.setCurrentWidget(window.gates_panel)  # loads the shipped models off the GUI thread
        _wait_until(app, lambda: all(window.store.model(task) is not None for task in ("lm", "mt")), 60,
                    "the shipped models")
        gates = window.gates_panel
        _wait_until(app, lambda: gates.trace() is not None and not gates.is_busy(), 60, "a gate trace")
        trace = gates.trace()
        gates.export_npz(folder / "trace.npz")
        translate = window.translate_panel
        window.tabs.setCurrentWidget(translate)  # a tab gets its model when it is shown
        translate.set_sentence("The girls are happy.")
        translate.translate_now()
        _wait_until(app, lambda: translate.outcome() is not None and not translate.is_busy(), 60, "a beam translation")
        best = translate.outcome().beam.hypotheses[0].text
        generate = window.generate_panel
        window.tabs.setCurrentWidget(generate)
        generate.generate_now()
        _wait_until(app, lambda: generate.outcome() is not None and not generate.is_busy(), 60, "a generation")
        beam = window.beam_panel
        window.tabs.setCurrentWidget(beam)
        beam.set_source("d2l")
        beam.set_strategy("beam")
        app.processEvents()
        top = beam.result().hypotheses[0]
        if round(top.probability, 3) != 0.054:
            raise RuntimeError(f"the book's toy example gave {top.probability:.3f}, not 0.054")
        return (f"gates of {len(trace.tokens)} tokens traced and saved; beam translation '{best}'; "
                f"the book's toy beam search finds P = {top.probability:.3f}")

    checks = [("window", build), ("builder", builder), ("training", train_steps), ("checkpoint", checkpoint),
              ("translation", translation), ("model panels", model_panels)]
    failed = False
    started = time.monotonic()
    for name, check in checks:
        try:
            print(f"ok    {name}: {check()}", file=stream, flush=True)
        except Exception as exc:  # every failure is reported, then the remaining checks are skipped
            print(f"FAIL  {name}: {type(exc).__name__}: {exc}", file=stream, flush=True)
            failed = True
            break
    window = state.get("window")
    if window is not None:
        window.close()
    print(f"self-test {'failed' if failed else 'passed'} in {time.monotonic() - started:.1f} s", file=stream)
    return 1 if failed else 0
