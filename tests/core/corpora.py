"""Small corpora written to a folder and read back as the data a model trains on."""

from __future__ import annotations

from pathlib import Path

from rnnviz.core.config import DataConfig
from rnnviz.core.data.datasets import LmData, build_data


def lm_data(folder: Path, text: str, **kwargs) -> LmData:
    """``text`` as a user's corpus file: character-level windows of 8, batches of 8."""
    path = folder / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8, **kwargs))
    assert isinstance(data, LmData)
    return data
