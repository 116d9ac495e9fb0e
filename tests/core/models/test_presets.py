"""The book's models by name: each preset builds, and holds the book's values."""

from __future__ import annotations

import json
import re

import pytest

from rnnviz.core.config import DataConfig, TrainConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.anatomy import anatomy
from rnnviz.core.models.presets import PRESETS, Preset, get_preset
from tests.core.models.builders import built, numel

BOOK_PRESETS = ("rnn-lm", "lstm-lm", "gru-lm", "deep-gru", "deep-lstm", "bi-lstm-lm", "seq2seq", "seq2seq-256")


def test_the_books_presets_are_there() -> None:
    assert set(BOOK_PRESETS) <= set(PRESETS)
    for name, preset in PRESETS.items():
        assert preset.name == name and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
        assert re.match(r"\d+\.\d+ [A-Z]", preset.section), preset.section
        assert preset.title and len(preset.note) > 40


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_and_its_anatomy_counts_right(name: str) -> None:
    preset = get_preset(name)
    sizes = (28,) if preset.config.task == "lm" else (30, 40)
    assert anatomy(preset.config, sizes).total_params == numel(built(preset.config, sizes))
    assert isinstance(preset.data_config(), DataConfig) and preset.data_config().task == preset.config.task
    train = preset.train_config()
    assert isinstance(train, TrainConfig) and train.lr == preset.train["lr"]
    assert {"optimizer", "lr", "epochs", "num_steps", "batch_size", "token_level", "corpus"} <= set(preset.train)
    assert json.loads(json.dumps(preset.to_dict()))["name"] == name


def stack(name: str):
    return get_preset(name).config.stack


def test_language_models_follow_the_book() -> None:
    for name, cell, layers, lr in (("rnn-lm", "rnn", 1, 1.0), ("lstm-lm", "lstm", 1, 4.0), ("gru-lm", "gru", 1, 4.0),
                                   ("deep-gru", "gru", 2, 2.0), ("deep-lstm", "lstm", 2, 2.0)):
        preset = get_preset(name)
        assert preset.config.task == "lm" and preset.config.embed_size is None  # one-hot characters
        assert stack(name).cell == cell and stack(name).hidden_sizes == (32,) * layers and not stack(name).bidirectional
        assert preset.train["optimizer"] == "sgd" and preset.train["lr"] == lr, name
        assert preset.train["corpus"] == "time-machine" and preset.train["token_level"] == "char"
    assert get_preset("gru-lm").section.startswith("10.2")
    assert get_preset("deep-gru").section.startswith("10.3")


def test_the_bidirectional_language_model_is_the_cautionary_one() -> None:
    preset = get_preset("bi-lstm-lm")
    assert preset.section.startswith("10.4")
    assert stack("bi-lstm-lm").cell == "lstm" and stack("bi-lstm-lm").bidirectional
    note = preset.note.lower()
    assert "perplexity" in note and "gibberish" in note and "predict" in note


def test_unequal_directions_preset() -> None:
    s = stack("bi-gru-unequal")
    assert s.bidirectional and s.direction_sizes(0) == (32, 16) and s.output_size == 48
    assert s.resolved_implementation == "scratch"


@pytest.mark.parametrize("name, size, dropout", [("seq2seq", 32, 0.1), ("seq2seq-256", 256, 0.2)])
def test_encoder_decoders_follow_the_book(name: str, size: int, dropout: float) -> None:
    preset: Preset = get_preset(name)
    config = preset.config
    assert config.task == "mt" and config.embed_size == size
    assert config.decoder is not None and config.resolved_bridge == "identity"
    for spec in (config.stack, config.decoder):
        assert spec.cell == "gru" and spec.hidden_sizes == (size, size) and spec.dropout == dropout
    assert preset.section.startswith("10.7")
    assert preset.train["optimizer"] == "adam" and preset.train["lr"] == 0.005 and preset.train["corpus"] == "fra-eng"


def test_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="no preset named 'gru'.*gru-lm.*seq2seq-256"):
        get_preset("gru")
