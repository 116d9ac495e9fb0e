"""Fixtures shared by the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnviz.cli import main


@pytest.fixture(scope="session")
def lm_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small language model trained by `rnnviz train` (one epoch of the phrasebook's English side)."""
    out = tmp_path_factory.mktemp("lm") / "lm.pt"
    assert main(["train", "lm", "--corpus", "phrasebook-en", "--hidden", "16", "--epochs", "1",
                 "--batch-size", "256", "--out", str(out)]) == 0
    return out
