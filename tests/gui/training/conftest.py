"""Fixtures of the training package's GUI tests: a controller that must end idle, its thread gone."""

from __future__ import annotations

import gc

import pytest

from rnnviz.gui.training import TrainingController
from tests.gui.training.helpers import Record


@pytest.fixture
def controller(qtbot):
    c = TrainingController()
    yield c
    assert c.shutdown(2000)
    assert c.state == "idle"
    assert gc.isenabled()  # the training thread is gone: automatic collection is back


@pytest.fixture
def record(controller) -> Record:
    return Record(controller)
