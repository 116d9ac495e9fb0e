"""GUI tests: live samples after every epoch, so that tests can count them."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _sample_every_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    import rnnviz.gui.worker as worker

    monkeypatch.setattr(worker, "SAMPLE_MIN_GAP_S", 0.0)
