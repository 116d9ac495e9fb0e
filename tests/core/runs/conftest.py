"""Fixtures of the run-folder tests: a tiny corpus, a tiny model, a recorded run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.events import EpochEnd, Event
from rnnviz.core.runs import RunRecorder
from rnnviz.core.session import TrainingSession

TEXT = "the time traveller was expounding a recondite matter to us. " * 20
GRU8 = ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(8,)))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.fixture
def session_for(corpus: Path) -> Callable[..., TrainingSession]:
    def make(epochs: int = 3, model: ModelConfig = GRU8) -> TrainingSession:
        session = TrainingSession(DataConfig(corpus=str(corpus), num_steps=8, batch_size=8), model,
                                  TrainConfig(epochs=epochs, lr=1.0, device="cpu"))
        assert session.prepare()
        return session
    return make


@pytest.fixture
def record(session_for: Callable[..., TrainingSession]) -> Callable[..., dict[int, dict[str, torch.Tensor]]]:
    """Record a run into a folder; returns each epoch's weights as they were when it ended (0: initial)."""
    def run(folder: Path, epochs: int = 3, **options: object) -> dict[int, dict[str, torch.Tensor]]:
        session = session_for(epochs)
        seen = {0: {k: v.clone() for k, v in session.bundle.model.state_dict().items()}}

        with RunRecorder.create(folder, session.bundle, **options) as recorder:
            def on_event(event: Event) -> None:
                recorder.record(event)
                if isinstance(event, EpochEnd):
                    seen[event.epoch] = {k: v.clone() for k, v in session.bundle.model.state_dict().items()}
            session.run(on_event)
        return seen
    return run
