"""The tasks that need memory: generated from a seed, targets where the task puts them, the rest masked."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.config import TASK_DEFAULTS, DataConfig
from rnnviz.core.data.corpora import list_corpora, load_corpus
from rnnviz.core.data.datasets import build_data
from rnnviz.core.data.memory_tasks import BLANK, GO, IGNORE, MemoryData, build_memory_data
from rnnviz.core.errors import ConfigError, DataError


def _data(task: str, **settings) -> MemoryData:
    data = build_memory_data(DataConfig(corpus=task, num_train=40, num_val=10, **settings))
    assert isinstance(data, MemoryData)
    return data


def test_recall_targets_are_the_inputs_lag_steps_before() -> None:
    data = _data("recall", num_steps=12, lag=3, symbols=4)
    assert data.train_inputs.shape == data.train_targets.shape == (40, 12)
    assert data.val_inputs.shape == (10, 12)
    assert (data.train_targets[:, :3] == IGNORE).all()  # no target before the lag
    assert np.array_equal(data.train_targets[:, 3:], data.train_inputs[:, :9])
    tokens = set(data.vocab.to_tokens(np.unique(data.train_inputs).tolist()))
    assert tokens == {"a", "b", "c", "d"}  # the alphabet, all of it and nothing else


def test_same_seed_same_data_other_seed_other_data() -> None:
    first, again, other = _data("recall", seed=3), _data("recall", seed=3), _data("recall", seed=4)
    assert np.array_equal(first.train_inputs, again.train_inputs)
    assert np.array_equal(first.val_inputs, again.val_inputs)
    assert not np.array_equal(first.train_inputs, other.train_inputs)
    assert not np.array_equal(first.train_inputs[:10], first.val_inputs)  # validation is drawn apart
    batches = [[b[0].copy() for b in d.train_batches(2)] for d in (first, again)]
    assert all(np.array_equal(a, b) for a, b in zip(*batches))  # the epoch's shuffle too


def test_copy_layout_symbols_delay_go_then_answers() -> None:
    data = _data("copy", copy_length=3, lag=4, symbols=5)
    assert data.num_steps == 2 * 3 + 4 + 1
    row, target = data.train_inputs[0], data.train_targets[0]
    tokens = data.vocab.to_tokens(row.tolist())
    assert tokens[3:7] == [BLANK] * 4 and tokens[7] == GO and tokens[8:] == [BLANK] * 3
    assert (data.train_inputs[:, 7] == data.vocab.index(GO)).all()  # one go marker, always there
    assert ((data.train_inputs == data.vocab.index(GO)).sum(axis=1) == 1).all()
    assert (data.train_targets[:, :8] == IGNORE).all()
    assert np.array_equal(data.train_targets[:, 8:], data.train_inputs[:, :3])


def test_copy_length_follows_from_steps_when_the_lag_is_left_out() -> None:
    assert _data("copy", copy_length=2, num_steps=9).config.lag == 4


def test_adding_two_markers_one_per_half_and_target_their_sum() -> None:
    data = _data("adding", num_steps=10)
    values, markers = data.train_inputs[..., 0], data.train_inputs[..., 1]  # (n, T) each
    assert data.train_inputs.shape == (40, 10, 2) and data.train_targets.shape == (40,)
    assert ((values >= 0) & (values <= 1)).all()
    assert (markers[:, :5].sum(axis=1) == 1).all() and (markers[:, 5:].sum(axis=1) == 1).all()
    assert np.allclose(data.train_targets, (values * markers).sum(axis=1))


def test_adding_baseline_is_one_sixth() -> None:
    data = build_memory_data(DataConfig(corpus="adding", num_train=20000, num_val=10))
    assert abs(float(((data.train_targets - 1.0) ** 2).mean()) - 1 / 6) < 0.01


@pytest.mark.parametrize("settings, words", [
    (dict(corpus="recall", num_steps=10, lag=10), "shorter than the sequence"),
    (dict(corpus="recall", num_steps=10, lag=25), "shorter than the sequence"),
    (dict(corpus="copy", copy_length=5, num_steps=8), "copy delay does not fit"),
    (dict(corpus="copy", copy_length=2, num_steps=30, lag=3), "disagree"),
    (dict(corpus="adding", lag=3), "lag is a setting of the recall and copy"),
    (dict(corpus="recall", symbols=27), "the alphabet must be at most 26"),
    (dict(corpus="recall", num_train=10**9), "the sequences must be at most"),
    (dict(corpus="recall", num_steps=1000, num_train=900_000), "too many"),
    (dict(corpus="phrasebook-en", lag=3), "not of a language-model corpus"),
    (dict(corpus="phrasebook-en", task="recall"), "generated, not read from a corpus"),
])
def test_settings_that_do_not_fit_are_refused_with_a_reason(settings, words) -> None:
    with pytest.raises(ConfigError, match=words):
        DataConfig(**settings)


def test_tasks_are_listed_like_corpora_and_built_by_build_data() -> None:
    listed = {info.name: info for info in list_corpora()}
    assert {"recall", "adding", "copy"} <= set(listed)
    assert listed["recall"].source == "generated" and listed["recall"].task == "recall"
    assert isinstance(build_data(DataConfig(corpus="copy", num_train=5, num_val=5)), MemoryData)
    with pytest.raises(DataError, match="generated from a seed"):
        load_corpus("recall")


def test_labels_name_symbols_and_mark_the_marked_values() -> None:
    assert len(_data("recall").step_labels(0)) == TASK_DEFAULTS["recall"]["num_steps"]
    labels = _data("adding", num_steps=8).step_labels(1)
    assert sum(label.startswith("*") for label in labels) == 2
