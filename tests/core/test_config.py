"""Settings: impossible ones are refused with a message that says why; the rest round-trip as plain data."""

from __future__ import annotations

import json
import math

import pytest

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.errors import ConfigError, RnnvizError


def mt(encoder: StackSpec, decoder: StackSpec | None, **kwargs) -> ModelConfig:
    return ModelConfig(task="mt", stack=encoder, decoder=decoder, embed_size=kwargs.pop("embed_size", 8), **kwargs)


# ---- StackSpec --------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"hidden_sizes": ()}, "at least one layer"),
    ({"hidden_sizes": (0,)}, "layer 1 has hidden size 0"),
    ({"hidden_sizes": (8, 0)}, "layer 2 has hidden size 0"),
    ({"hidden_sizes": (8, -3)}, "layer 2 has hidden size -3"),
    ({"dropout": -0.1}, "dropout must be in [0, 1)"),
    ({"dropout": 1.0}, "dropout must be in [0, 1)"),
    ({"dropout": 1.5}, "dropout must be in [0, 1)"),
    ({"cell": "transformer"}, "unknown cell 'transformer'"),
    ({"implementation": "cudnn"}, "unknown implementation 'cudnn'"),
    ({"cell": "gru-book", "implementation": "fused"}, "no fused kernel for the book's GRU"),
    ({"hidden_sizes": (8, 16), "implementation": "fused"}, "one hidden size for every layer"),
])
def test_stack_spec_refuses_impossible_settings(kwargs, message):
    with pytest.raises(ConfigError) as info:
        StackSpec(**kwargs)
    assert message in str(info.value)
    assert isinstance(info.value, RnnvizError)  # shown to the user as it is


@pytest.mark.parametrize("dropout", [0.0, 0.5, 0.99])
def test_stack_spec_accepts_dropout_in_range(dropout):
    assert StackSpec(hidden_sizes=(8, 8), dropout=dropout).dropout == dropout


def test_stack_spec_normalises_hidden_sizes_and_derives_sizes():
    spec = StackSpec(cell="lstm", hidden_sizes=[8, "12"], bidirectional=True)  # type: ignore[arg-type]
    assert spec.hidden_sizes == (8, 12)
    assert spec.num_layers == 2
    assert spec.num_directions == 2
    assert spec.output_size == 24  # the top layer, both directions
    assert StackSpec(hidden_sizes=(8, 12)).output_size == 12


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"cell": "gru", "hidden_sizes": (8, 8)}, "fused"),
    ({"cell": "lstm", "hidden_sizes": (8,)}, "fused"),
    ({"cell": "rnn", "hidden_sizes": (8,), "bidirectional": True}, "fused"),
    ({"cell": "gru-book", "hidden_sizes": (8,)}, "scratch"),  # torch has no kernel for it
    ({"cell": "gru", "hidden_sizes": (8, 16)}, "scratch"),  # unequal sizes
    ({"cell": "gru", "hidden_sizes": (8,), "implementation": "scratch"}, "scratch"),
    ({"cell": "lstm", "hidden_sizes": (8,), "implementation": "fused"}, "fused"),
    ({"cell": "gru-book", "hidden_sizes": (8, 16), "implementation": "scratch"}, "scratch"),
])
def test_resolved_implementation(kwargs, expected):
    assert StackSpec(**kwargs).resolved_implementation == expected


def test_stack_spec_round_trips_through_json():
    spec = StackSpec(cell="gru-book", hidden_sizes=(8, 16, 4), bidirectional=True, dropout=0.25,
                     implementation="scratch")
    data = json.loads(json.dumps(spec.to_dict()))  # plain data only
    assert data["hidden_sizes"] == [8, 16, 4]
    assert StackSpec.from_dict(data) == spec


# ---- ModelConfig ------------------------------------------------------------------------------

GRU8 = StackSpec(cell="gru", hidden_sizes=(8,))


@pytest.mark.parametrize(("build", "message"), [
    (lambda: mt(GRU8, StackSpec(hidden_sizes=(8,), bidirectional=True)), "decoder cannot be bidirectional"),
    (lambda: mt(GRU8, None), "needs a decoder stack"),
    (lambda: ModelConfig(task="mt", stack=GRU8, decoder=GRU8), "needs an embedding size"),
    (lambda: mt(GRU8, GRU8, embed_size=0), "embed_size must be at least 1, not 0"),
    (lambda: ModelConfig(task="lm", embed_size=-2), "embed_size must be at least 1, not -2"),
    (lambda: ModelConfig(task="lm", stack=GRU8, decoder=GRU8), "a decoder belongs to translation models"),
    (lambda: ModelConfig(task="tagging"), "unknown task 'tagging'"),  # type: ignore[arg-type]
    (lambda: mt(GRU8, GRU8, bridge="attention"), "unknown bridge 'attention'"),
    (lambda: mt(StackSpec(hidden_sizes=(8, 8)), GRU8), "encoder has 2 layers and the decoder 1"),
    (lambda: mt(GRU8, StackSpec(hidden_sizes=(8, 8, 8))), "encoder has 1 layers and the decoder 3"),
])
def test_model_config_refuses_impossible_models(build, message):
    with pytest.raises(ConfigError) as info:
        build()
    assert message in str(info.value)


@pytest.mark.parametrize(("encoder", "decoder", "reason"), [
    (StackSpec(hidden_sizes=(8,), bidirectional=True), GRU8, "bidirectional encoder has two states per layer"),
    (StackSpec(hidden_sizes=(16,)), GRU8, "encoder hidden sizes [16] differ from the decoder's [8]"),
    (StackSpec(cell="lstm", hidden_sizes=(8,)), GRU8, "an LSTM carries a cell state"),
    (GRU8, StackSpec(cell="lstm", hidden_sizes=(8,)), "an LSTM carries a cell state"),
])
def test_identity_bridge_that_cannot_fit_is_refused(encoder, decoder, reason):
    with pytest.raises(ConfigError) as info:
        mt(encoder, decoder, bridge="identity")
    message = str(info.value)
    assert reason in message
    assert "Use the linear bridge" in message
    # The same model is fine with the linear bridge, and auto picks it.
    assert mt(encoder, decoder, bridge="linear").resolved_bridge == "linear"
    assert mt(encoder, decoder).resolved_bridge == "linear"


@pytest.mark.parametrize(("encoder", "decoder", "bridge", "expected"), [
    (GRU8, GRU8, "auto", "identity"),  # the book's encoder-decoder
    (StackSpec(cell="lstm", hidden_sizes=(8, 8)), StackSpec(cell="lstm", hidden_sizes=(8, 8)), "auto", "identity"),
    (StackSpec(cell="gru", hidden_sizes=(8,)), StackSpec(cell="rnn", hidden_sizes=(8,)), "auto", "identity"),
    (StackSpec(cell="gru", hidden_sizes=(8,), bidirectional=True), GRU8, "auto", "linear"),
    (StackSpec(cell="gru", hidden_sizes=(8,)), StackSpec(cell="lstm", hidden_sizes=(8,)), "auto", "linear"),
    (StackSpec(cell="gru", hidden_sizes=(16,)), GRU8, "auto", "linear"),
    (GRU8, GRU8, "linear", "linear"),  # asked for, though identity would fit
    (GRU8, GRU8, "identity", "identity"),
])
def test_resolved_bridge(encoder, decoder, bridge, expected):
    assert mt(encoder, decoder, bridge=bridge).resolved_bridge == expected


def test_language_model_has_no_bridge():
    assert ModelConfig(task="lm").resolved_bridge is None
    assert ModelConfig(task="lm", bridge="identity").resolved_bridge is None


@pytest.mark.parametrize("config", [
    ModelConfig(task="lm"),
    ModelConfig(task="lm", stack=StackSpec(cell="lstm", hidden_sizes=(8, 4), bidirectional=True), embed_size=5),
    mt(StackSpec(cell="lstm", hidden_sizes=(8, 8), bidirectional=True, dropout=0.1),
       StackSpec(cell="gru-book", hidden_sizes=(6, 6)), embed_size=7),
    mt(GRU8, GRU8, bridge="identity"),
])
def test_model_config_round_trips_through_json(config):
    data = json.loads(json.dumps(config.to_dict()))
    assert ModelConfig.from_dict(data) == config


# ---- TrainConfig ------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"epochs": 0}, "epochs must be at least 1, not 0"),
    ({"epochs": -5}, "epochs must be at least 1, not -5"),
    ({"lr": 0.0}, "learning rate must be positive, not 0.0"),
    ({"lr": -0.1}, "learning rate must be positive, not -0.1"),
    ({"lr": math.nan}, "learning rate must be positive, not nan"),
    ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'; use sgd or adam"),
    ({"grad_clip": 0.0}, "grad_clip must be positive"),
])
def test_train_config_refuses_impossible_settings(kwargs, message):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**kwargs)
    assert message in str(info.value)


def test_train_config_defaults_are_the_books_and_round_trip():
    default = TrainConfig()
    assert (default.lr, default.optimizer, default.grad_clip) == (4.0, "sgd", 1.0)
    config = TrainConfig(epochs=3, lr=0.01, optimizer="adam", grad_clip=None, device="cpu", seed=7)
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


# ---- DataConfig -------------------------------------------------------------------------------


def test_data_config_round_trips_and_refuses_unknown_settings():
    config = DataConfig(corpus="phrasebook", task="mt", num_steps=7, max_examples=100, seed=3)
    assert DataConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ConfigError, match="unknown data settings: hidden"):
        DataConfig.from_dict({**config.to_dict(), "hidden": 3})


def test_data_config_resolved_takes_the_books_values_for_the_task():
    mt_config = DataConfig(corpus="phrasebook").resolved("mt")
    assert (mt_config.task, mt_config.num_steps, mt_config.batch_size, mt_config.min_freq) == ("mt", 9, 128, 2)
    lm_config = DataConfig(num_steps=5).resolved("lm")
    assert (lm_config.task, lm_config.num_steps, lm_config.batch_size) == ("lm", 5, 32)


# ---- where the configuration lives ------------------------------------------------------------


def test_the_old_import_path_reexports_the_same_objects() -> None:
    """``rnnviz.config`` is kept for old scripts; it must hand out the core's very classes, not copies."""
    import rnnviz.config as old
    import rnnviz.core.config as new

    assert old.__all__ == new.__all__
    assert "ModelConfig" in new.__all__ and "TASK_DEFAULTS" in new.__all__
    for name in new.__all__:
        assert getattr(old, name) is getattr(new, name), name
