"""Fixtures of the app's runs tests: a tiny recorded run, and a window to open it in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.events import EpochEnd, Event
from rnnviz.core.runs import RunRecorder
from rnnviz.core.session import TrainingSession
from tests.core.runs.conftest import corpus  # noqa: F401 (the same tiny text file as the core's runs tests)
from tests.gui.test_main_window import make_window


@pytest.fixture
def record_run(corpus: Path) -> Callable[..., dict[int, dict[str, torch.Tensor]]]:
    """Record a tiny GRU language model into a folder; returns each epoch's weights (0: the initial ones)."""
    def run(folder: Path, epochs: int = 3) -> dict[int, dict[str, torch.Tensor]]:
        session = TrainingSession(DataConfig(corpus=str(corpus), num_steps=8, batch_size=8),
                                  ModelConfig("lm", StackSpec("gru", (8,))), TrainConfig(epochs=epochs, lr=1.0,
                                                                                          device="cpu"))
        assert session.prepare()
        seen = {0: {k: v.clone() for k, v in session.bundle.model.state_dict().items()}}
        with RunRecorder.create(folder, session.bundle, label="tiny GRU") as recorder:
            def on_event(event: Event) -> None:
                recorder.record(event)
                if isinstance(event, EpochEnd):
                    seen[event.epoch] = {k: v.clone() for k, v in session.bundle.model.state_dict().items()}
            session.run(on_event)
        return seen
    return run


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator:
    window = make_window(qtbot, tmp_path)
    yield window
    window.runs.stop()
    window.controller.shutdown(3000)
