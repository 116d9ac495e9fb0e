"""The Builder's and `rnnviz stack`'s counts for the tasks that need memory equal the built models'."""

from __future__ import annotations

import pytest

from rnnviz.core.data.memory_tasks import memory_vocab
from rnnviz.core.models.anatomy import anatomy, memory_vocab_sizes
from rnnviz.core.models.factory import build_model
from rnnviz.core.models.memory_presets import MEMORY_PRESETS


@pytest.mark.parametrize("name", sorted(MEMORY_PRESETS))
def test_anatomy_counts_what_the_factory_builds(name: str) -> None:
    preset = MEMORY_PRESETS[name]
    task = preset.config.task
    symbols = int(preset.train.get("symbols") or 4)
    vocabs = () if task == "adding" else (memory_vocab(task, symbols),)
    model = build_model(preset.config, vocabs)
    info = anatomy(preset.config, memory_vocab_sizes(task, symbols))
    assert info.total_params == sum(p.numel() for p in model.parameters())
    assert info.vocab_sizes == tuple(len(v) for v in vocabs)


def test_adding_reads_two_numbers() -> None:
    info = anatomy(MEMORY_PRESETS["adding-gru"].config, ())
    assert info.layers[0].input_size == 2
