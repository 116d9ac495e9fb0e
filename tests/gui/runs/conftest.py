"""Fixtures of the app's runs tests: a tiny recorded run, and a window to open it in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

# The same tiny text file and recorded run as the core's runs tests.
from tests.core.runs.conftest import corpus, record, session_for  # noqa: F401
from tests.gui.test_main_window import make_window

Weights = dict[int, dict[str, torch.Tensor]]  # each epoch's weights (0: the initial ones)


@pytest.fixture
def record_run(record: Callable[..., Weights]) -> Callable[..., Weights]:
    """Record a tiny GRU language model into a folder; returns each epoch's weights (0: the initial ones)."""
    return lambda folder, epochs=3: record(folder, epochs, label="tiny GRU")


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator:
    window = make_window(qtbot, tmp_path)
    yield window
    window.runs.stop()
    window.controller.shutdown(3000)
