"""Model anatomy: the counted shapes and parameters are those of the model build_model builds."""

from __future__ import annotations

import itertools
import json

import pytest
from torch import nn

from rnnviz.core.config import GATES, ModelConfig, StackSpec
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.anatomy import ModelAnatomy, anatomy
from rnnviz.core.models.stacks import RecurrentStack, parameter_names
from tests.core.models.builders import built, numel


def stacks_of(model: nn.Module, config: ModelConfig) -> dict[str, RecurrentStack]:
    if config.task == "lm":
        return {"lm": model.stack}  # type: ignore[dict-item]
    return {"encoder": model.encoder.stack, "decoder": model.decoder.stack}  # type: ignore[union-attr]


def check_against_model(config: ModelConfig, sizes: tuple[int, ...]) -> ModelAnatomy:
    info = anatomy(config, sizes)
    model = built(config, sizes)
    assert info.total_params == numel(model)
    stacks = stacks_of(model, config)
    assert [layer.part for layer in info.layers] == [
        part for part, stack in stacks.items() for _ in range(stack.spec.num_layers)]
    for layer in info.layers:
        rnn = stacks[layer.part].rnn
        assert layer.torch_params == sum(getattr(rnn, name).numel()
                                         for d in range(len(layer.directions))
                                         for name in parameter_names(layer.index, d))
        for d, direction in enumerate(layer.directions):
            w_ih, w_hh, b_ih, b_hh = (getattr(rnn, name) for name in parameter_names(layer.index, d))
            assert direction.torch_params == w_ih.numel() + w_hh.numel() + b_ih.numel() + b_hh.numel()
            assert direction.input_size == layer.input_size == w_ih.shape[1]
            assert direction.hidden_size == w_hh.shape[1]
            assert direction.gate_blocks == len(GATES[layer.cell]) == w_hh.shape[0] // w_hh.shape[1]
            # The book keeps one bias per gate block where torch keeps two.
            assert direction.torch_params - direction.book_params == b_hh.numel()
        assert layer.output_size == sum(d.hidden_size for d in layer.directions)
    extra_biases = sum(d.torch_params - d.book_params for layer in info.layers for d in layer.directions)
    assert info.total_book_params == info.total_params - extra_biases
    # Extras, one by one, against the modules that hold them.
    extras = {e.name: e.params for e in info.extras}
    if config.task == "lm":
        assert extras["output layer"] == numel(model.output)  # type: ignore[arg-type]
        if config.embed_size:
            assert extras["embedding"] == numel(model.embedding)  # type: ignore[arg-type]
        else:
            assert extras["one-hot input"] == 0 and model.embedding is None
    else:
        assert extras["encoder embedding"] == numel(model.encoder.embedding)  # type: ignore[union-attr]
        assert extras["decoder embedding"] == numel(model.decoder.embedding)  # type: ignore[union-attr]
        assert extras["output layer"] == numel(model.decoder.output)  # type: ignore[union-attr]
        bridge = sum(e.params for e in info.extras if e.part == "bridge")
        assert bridge == (numel(model.bridge) if model.bridge is not None else 0)  # type: ignore[arg-type]
        assert info.part("decoder")[0].input_size == model.decoder.stack.input_size  # type: ignore[union-attr]
    json.dumps(info.to_dict())  # JSON-ready
    return info


def stack_grid() -> list[StackSpec]:
    specs = []
    for cell, layers, bi in itertools.product(("rnn", "gru", "gru-book", "lstm"), (1, 2, 3), (False, True)):
        sizes = tuple(6 + 2 * k for k in range(layers))  # unequal across layers from 2 layers on
        specs.append(StackSpec(cell=cell, hidden_sizes=(5,) * layers, bidirectional=bi))  # type: ignore[arg-type]
        if layers > 1:
            specs.append(StackSpec(cell=cell, hidden_sizes=sizes, bidirectional=bi))  # type: ignore[arg-type]
        if bi:
            backward = tuple(3 + k for k in range(layers))
            specs.append(StackSpec(cell=cell, hidden_sizes=sizes, bidirectional=True,  # type: ignore[arg-type]
                                   backward_sizes=backward))
    return specs


@pytest.mark.parametrize("embed_size", [None, 4], ids=["one-hot", "embedded"])
@pytest.mark.parametrize("stack", stack_grid(), ids=repr)
def test_language_model_counts_match_the_built_model(stack: StackSpec, embed_size: int | None) -> None:
    check_against_model(ModelConfig(task="lm", stack=stack, embed_size=embed_size), (11,))


def mt_grid() -> list[ModelConfig]:
    configs = []
    for cell, dec_cell, layers in itertools.product(("rnn", "gru", "lstm"), ("gru-book", "lstm"), (1, 2, 3)):
        same = StackSpec(cell=cell, hidden_sizes=(6,) * layers)  # type: ignore[arg-type]
        configs.append(ModelConfig(task="mt", stack=same, decoder=StackSpec(cell=cell, hidden_sizes=(6,) * layers),  # type: ignore[arg-type]
                                   embed_size=4, bridge="identity"))
        decoder = StackSpec(cell=dec_cell, hidden_sizes=tuple(5 + k for k in range(layers)))  # type: ignore[arg-type]
        for encoder in (same, StackSpec(cell=cell, hidden_sizes=(6,) * layers, bidirectional=True),  # type: ignore[arg-type]
                        StackSpec(cell=cell, hidden_sizes=(6,) * layers, bidirectional=True,  # type: ignore[arg-type]
                                  backward_sizes=tuple(3 + k for k in range(layers)))):
            configs.append(ModelConfig(task="mt", stack=encoder, decoder=decoder, embed_size=4, bridge="linear"))
    return configs


@pytest.mark.parametrize("config", mt_grid(), ids=lambda c: f"{c.stack!r}->{c.decoder!r}:{c.bridge}")
def test_translation_model_counts_match_the_built_model(config: ModelConfig) -> None:
    info = check_against_model(config, (13, 17))
    assert len(info.part("encoder")) == len(info.part("decoder")) == config.stack.num_layers


# --- the numbers a lecture shows ------------------------------------------------------


def test_the_books_gru_language_model() -> None:
    info = anatomy(ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(32,))), (28,))
    (layer,) = info.layers
    assert (layer.part, layer.index, layer.cell, layer.input_size, layer.output_size) == ("lm", 0, "gru", 28, 32)
    assert layer.formula == "3 × (28·32 + 32·32 + 32) = 5,856"
    assert layer.book_params == 5856 and layer.torch_params == 5856 + 3 * 32
    assert layer.torch_formula == "3 × (28·32 + 32·32 + 2·32) = 5,952"
    assert layer.shapes["X_t"] == "(B, d=V=28)" and layer.shapes["H_t"] == "(B, 32)"
    assert layer.shapes["W_x"].startswith("3 × (28, 32)")
    assert layer.implementation == "fused"
    output = info.extras[-1]
    assert output.name == "output layer" and output.params == 32 * 28 + 28 and "(B, q=28)" in output.shape
    assert info.total_params == 5952 + 924 and info.total_book_params == 5856 + 924


def test_vanilla_rnn_formula_has_no_gate_factor() -> None:
    info = anatomy(ModelConfig(task="lm", stack=StackSpec(cell="rnn", hidden_sizes=(32,), bidirectional=True)), (28,))
    assert info.layers[0].formula == "2 × (28·32 + 32·32 + 32) = 3,904"
    assert info.layers[0].shapes["W_x forward"] == "(28, 32)"


def test_bidirectional_layers_concatenate_their_directions() -> None:
    stack = StackSpec(cell="lstm", hidden_sizes=(32, 16), bidirectional=True, backward_sizes=(8, 4))
    info = anatomy(ModelConfig(task="lm", stack=stack, embed_size=10), (28,))
    first, second = info.layers
    assert [d.direction for d in first.directions] == ["forward", "backward"]
    assert first.hidden_sizes == (32, 8) and first.output_size == 40 and first.bidirectional
    assert first.shapes["[H_t→; H_t←]"] == "(B, 40)" and first.shapes["C_t backward"] == "(B, 8)"
    assert first.shapes["X_t"] == "(B, d=e=10)"
    assert second.input_size == 40 and second.shapes["X_t"] == "(B, 40)"
    assert second.formula == "4 × (40·16 + 16·16 + 16) + 4 × (40·4 + 4·4 + 4) = 4,368"
    assert info.extras[-1].params == (16 + 4) * 28 + 28


def test_decoder_reads_embedding_and_context() -> None:
    encoder = StackSpec(cell="gru", hidden_sizes=(32, 32), bidirectional=True, backward_sizes=(16, 16))
    config = ModelConfig(task="mt", stack=encoder, decoder=StackSpec(cell="gru", hidden_sizes=(32, 32)), embed_size=8)
    info = anatomy(config, (100, 120))
    assert info.vocab_sizes == (100, 120)
    decoder = info.part("decoder")
    assert decoder[0].input_size == 8 + 48 and decoder[0].shapes["X_t"] == "(B, d=e+c=8+48=56)"
    assert decoder[1].input_size == 32
    bridges = [e for e in info.extras if e.part == "bridge"]
    assert [e.params for e in bridges] == [48 * 32 + 32, 48 * 32 + 32]
    assert {e.name for e in info.extras} >= {"encoder embedding", "context", "decoder embedding", "output layer"}


def test_vocabulary_sizes_are_checked() -> None:
    lm = ModelConfig(task="lm", stack=StackSpec())
    with pytest.raises(ConfigError, match="one vocabulary size"):
        anatomy(lm, (28, 28))
    with pytest.raises(ConfigError, match="at least 1, not 0"):
        anatomy(lm, (0,))
    mt = ModelConfig(task="mt", stack=StackSpec(), decoder=StackSpec(), embed_size=4)
    with pytest.raises(ConfigError, match="two vocabulary sizes"):
        anatomy(mt, (28,))


def test_to_dict_is_plain_json() -> None:
    stack = StackSpec(cell="gru", hidden_sizes=(8,), bidirectional=True, backward_sizes=(4,))
    data = json.loads(json.dumps(anatomy(ModelConfig(task="lm", stack=stack), (28,)).to_dict()))
    assert data["vocab_sizes"] == [28] and data["config"]["stack"]["backward_sizes"] == [4]
    layer = data["layers"][0]
    assert layer["hidden_sizes"] == [8, 4] and [d["hidden_size"] for d in layer["directions"]] == [8, 4]
    assert data["total_params"] == sum(x["torch_params"] for x in data["layers"]) + sum(
        e["params"] for e in data["extras"])
