"""Shared by the training package's GUI tests: jobs, and a recorder of everything a controller emits."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.events import EpochEnd, Finished, Step
from rnnviz.gui.training import RunInfo, TrainingController, TrainingJob

GRU8 = ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(8,)))
PHRASEBOOK_EN = DataConfig(corpus="phrasebook-en", batch_size=256, num_steps=16)  # 74 batches an epoch
QUIET = 300  # ms of listening for something that must not happen
LONG = 20_000  # ms: generous for a shared 2-core machine


def lm_job(epochs: int = 50, probe: str = "", data: DataConfig = PHRASEBOOK_EN, **train) -> TrainingJob:
    return TrainingJob(data, GRU8, TrainConfig(epochs=epochs, **{"lr": 1.0, "device": "cpu", **train}),
                       label="GRU 1×8, sgd", probe=probe)


def tiny_text(tmp_path: Path, text: str = "the time traveller was expounding a recondite matter. " * 40) -> DataConfig:
    path = tmp_path / "tiny.txt"
    path.write_text(text, encoding="utf-8")
    return DataConfig(corpus=str(path), num_steps=8, batch_size=8)


class Record:
    """Everything a controller emits, with the state it was in at that moment."""

    def __init__(self, controller: TrainingController) -> None:
        self.controller = controller
        self.events: list = []
        self.emissions: list[tuple[float, tuple]] = []
        self.states: list[str] = []
        self.log: list[tuple[str, object]] = []
        self.samples: list[tuple[int, str]] = []
        self.errors: list[tuple[str, str, str]] = []  # (message, details, state when emitted)
        self.finished: list[tuple[Finished, str]] = []
        self.nonfinite: list[tuple[str, str]] = []
        self.infos: list[RunInfo] = []
        self.saved: list[str] = []
        self.snapshots: list = []
        c = controller
        c.sig_events.connect(self._on_events)
        c.sig_state.connect(lambda s: (self.states.append(s), self.log.append(("state", s))))
        c.sig_sample.connect(lambda e, t: (self.samples.append((e, t)), self.log.append(("sample", e))))
        c.sig_error.connect(lambda m, d: self.errors.append((m, d, c.state)))
        c.sig_finished.connect(lambda f: self.finished.append((f, c.state)))
        c.sig_nonfinite.connect(lambda m: self.nonfinite.append((m, c.state)))
        c.sig_run_started.connect(self.infos.append)
        c.sig_saved.connect(self.saved.append)
        c.sig_snapshot.connect(self.snapshots.append)

    def _on_events(self, events: tuple) -> None:
        assert isinstance(events, tuple) and events
        self.emissions.append((time.perf_counter(), events))
        self.events.extend(events)
        for event in events:
            if isinstance(event, EpochEnd):
                self.log.append(("epoch", event.epoch))

    @property
    def steps(self) -> list[Step]:
        return [e for e in self.events if isinstance(e, Step)]


def run_to_end(qtbot, controller: TrainingController, job: TrainingJob, timeout: int = LONG) -> Finished:
    with qtbot.waitSignal(controller.sig_finished, timeout=timeout) as blocker:
        controller.start(job)
    return blocker.args[0]


def start_and_wait_for_steps(qtbot, controller: TrainingController, record: Record, job: TrainingJob,
                             count: int = 3) -> None:
    controller.start(job)
    qtbot.waitUntil(lambda: len(record.steps) >= count, timeout=LONG)


def stop_and_wait(qtbot, controller: TrainingController) -> Finished:
    with qtbot.waitSignal(controller.sig_finished, timeout=LONG) as blocker:
        controller.stop()
    return blocker.args[0]


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
