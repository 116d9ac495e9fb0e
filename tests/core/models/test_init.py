"""Initialisation as the book's code draws it ("book") or torch's defaults ("torch"), issue 16 item 2.

The book: ``init_seq2seq`` (Xavier-uniform on nn.Linear and nn.GRU weights; its decoder's LazyLinear
output escapes it), RNNScratch / GRUScratch / LSTMScratch and RNNLMScratch (N(0, 0.01²) weights, zero
biases), torch's defaults for its concise nn.RNN / nn.GRU / nn.LSTM models.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn

from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import build_data
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.models import lm as lm_module
from rnnviz.core.models import seq2seq as seq2seq_module
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.models.init_scheme import BOOK_SIGMA, describe_init, init_note
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.models.seq2seq import Seq2Seq
from rnnviz.core.session import TrainingSession, continued_bundle
from tests.core.models.builders import built
from tests.core.test_checkpoint_checks import KINDS, edit, make_bundle

V = 28  # The Time Machine's characters: one-hot inputs as in the book's scratch models
SRC_V, TGT_V = 50, 60


def xavier_bound(w: Tensor) -> float:
    fan_out, fan_in = w.shape  # torch's layout: (out, in)
    return math.sqrt(6.0 / (fan_in + fan_out))


def assert_uniform(w: Tensor, bound: float, name: str) -> None:
    """Drawn from U(-bound, bound): inside the bound, spread over it, the uniform's variance bound²/3."""
    values = w.detach().double()
    assert values.abs().max() <= bound + 1e-7, name
    assert values.abs().max() > 0.9 * bound, f"{name} is not spread over ±{bound}"
    # The sample variance's relative spread is sqrt(0.8 / n) for a uniform: 4 of those, or 10%.
    tolerance = max(0.1, 4 * math.sqrt(0.8 / values.numel()))
    assert values.var().item() == pytest.approx(bound ** 2 / 3, rel=tolerance), name


def assert_normal(w: Tensor, sigma: float, name: str) -> None:
    values = w.detach().double()
    assert values.std().item() == pytest.approx(sigma, rel=0.1), name
    assert abs(values.mean().item()) < 5 * sigma / math.sqrt(values.numel()), name


def recurrent(module: nn.Module) -> dict[str, Tensor]:
    """A stack's parameters by torch's names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...)."""
    return {name.rsplit(".", 1)[-1]: p for name, p in module.named_parameters()}


def hidden_of(name: str, spec: StackSpec) -> int:
    layer = int(name.split("_l")[1].split("_")[0])
    return spec.hidden_size(layer, 1 if name.endswith("_reverse") else 0)


def mt(encoder: StackSpec, decoder: StackSpec, init: str = "book", embed: int = 32) -> ModelConfig:
    return ModelConfig(task="mt", stack=encoder, decoder=decoder, embed_size=embed, init=init)  # type: ignore[arg-type]


def seq2seq(config: ModelConfig, seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    return Seq2Seq(config, SRC_V, TGT_V, 0)


def lm(config: ModelConfig, seed: int = 0) -> RNNLM:
    torch.manual_seed(seed)
    return RNNLM(config, V)


def weights(model: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same(a: dict[str, Tensor], b: dict[str, Tensor]) -> None:
    assert list(a) == list(b)
    for name in a:
        assert torch.equal(a[name], b[name]), name


# ---- the configuration ------------------------------------------------------------------------------


def test_new_configs_are_the_books_and_old_saved_ones_read_as_torchs() -> None:
    config = ModelConfig()
    assert config.init == "book"
    assert ModelConfig.from_dict(config.to_dict()) == config  # the field is saved
    old = {k: v for k, v in config.to_dict().items() if k != "init"}  # written before the option existed
    assert ModelConfig.from_dict(old).init == "torch"
    assert ModelConfig(init="torch").same_model(config) and not ModelConfig(init="torch") == config
    assert not ModelConfig(embed_size=4).same_model(config)
    with pytest.raises(ConfigError, match=r"unknown initialisation 'xavier'; use 'book' .* or 'torch'"):
        ModelConfig(init="xavier")  # type: ignore[arg-type]


# ---- "book": the encoder–decoder, as init_seq2seq ------------------------------------------------------


BOOK_SEQ2SEQ = mt(StackSpec("gru", (64, 64)), StackSpec("gru", (64, 64)))


def test_the_encoder_decoder_is_xavier_where_init_seq2seq_is_and_torchs_elsewhere() -> None:
    model = seq2seq(BOOK_SEQ2SEQ)
    for part in (model.encoder, model.decoder):
        assert isinstance(part.stack.rnn, nn.GRU)  # torch's fused GRU, as the book's d2l.GRU
        for name, p in recurrent(part.stack).items():
            if name.startswith("weight"):
                assert_uniform(p, xavier_bound(p), name)
            else:  # init_seq2seq leaves the GRU's biases at torch's ±1/√h
                assert_uniform(p, 1 / math.sqrt(hidden_of(name, part.spec)), name)
        assert part.embedding.weight.std().item() == pytest.approx(1.0, rel=0.1)  # nn.Embedding's N(0, 1)
    # The book's output layer is a LazyLinear, which init_seq2seq's type test skips: torch's default.
    out = model.decoder.output
    assert_uniform(out.weight, 1 / math.sqrt(64), "output.weight")
    assert xavier_bound(out.weight) > 1.5 / math.sqrt(64)  # so the check above tells the two apart
    assert_uniform(out.bias, 1 / math.sqrt(64), "output.bias")


@pytest.mark.parametrize("config", [
    mt(StackSpec("lstm", (48,), bidirectional=True), StackSpec("lstm", (40,))),  # the linear bridge
    mt(StackSpec("gru", (48, 32)), StackSpec("gru-book", (48, 32))),  # scratch stacks
], ids=["lstm-bidirectional-linear-bridge", "scratch-gru-book"])
def test_every_encoder_decoder_is_xavier_whatever_its_cells_and_bridge(config: ModelConfig) -> None:
    model = seq2seq(config)
    for part in (model.encoder, model.decoder):
        for name, p in recurrent(part.stack).items():
            if name.startswith("weight"):
                assert_uniform(p, xavier_bound(p), name)
            else:
                assert p.abs().max() <= 1 / math.sqrt(hidden_of(name, part.spec)) and p.abs().max() > 0
    if model.bridge is not None:  # an nn.Linear: init_seq2seq's Xavier weight, torch's bias
        for layer in (*model.bridge.hidden, *(model.bridge.cell or ())):
            assert_uniform(layer.weight, xavier_bound(layer.weight), "bridge weight")
            assert layer.bias.abs().max() <= 1 / math.sqrt(layer.in_features)


# ---- "book": the scratch cells, as RNNScratch, GRUScratch, LSTMScratch and RNNLMScratch ---------------------


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-book", "lstm"])
def test_scratch_cells_draw_n_0_001_weights_and_zero_biases(cell: str) -> None:
    config = ModelConfig(stack=StackSpec(cell, (256,), implementation="scratch"))  # type: ignore[arg-type]
    model = lm(config)
    for name, p in recurrent(model.stack).items():
        if name.startswith("weight"):
            assert_normal(p, BOOK_SIGMA, name)
        else:
            assert torch.count_nonzero(p) == 0, name
    assert_normal(model.output.weight, BOOK_SIGMA, "output.weight")  # RNNLMScratch's W_hq
    assert torch.count_nonzero(model.output.bias) == 0  # and b_q


def test_deep_and_bidirectional_scratch_stacks_draw_the_same_in_every_layer_direction() -> None:
    # The book's StackedRNNScratch and BiRNNScratch: every layer-direction an RNNScratch-like cell.
    spec = StackSpec("gru-book", (64, 48), bidirectional=True, backward_sizes=(32, 48))
    model = lm(ModelConfig(stack=spec, embed_size=16))
    params = recurrent(model.stack)
    assert len(params) == 16
    for name, p in params.items():
        if name.startswith("weight"):
            assert_normal(p, BOOK_SIGMA, name)
        else:
            assert torch.count_nonzero(p) == 0, name
    assert model.embedding is not None  # not in the book's scratch models: torch's N(0, 1)
    assert model.embedding.weight.std().item() == pytest.approx(1.0, rel=0.1)


# ---- "book" where the book uses torch's layers; "torch" everywhere ---------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_fused_language_models_keep_torchs_default_as_the_books_concise_models(cell: str) -> None:
    book = lm(ModelConfig(stack=StackSpec(cell, (64, 64)), embed_size=8), seed=4)  # type: ignore[arg-type]
    assert isinstance(book.stack.rnn, nn.RNNBase)
    for name, p in recurrent(book.stack).items():
        assert_uniform(p, 1 / math.sqrt(64), name)
    same_as_torch = ModelConfig(stack=StackSpec(cell, (64, 64)), embed_size=8, init="torch")  # type: ignore[arg-type]
    torch_default = lm(same_as_torch, seed=4)
    assert_same(weights(book), weights(torch_default))


def test_torch_is_todays_initialisation_exactly() -> None:
    # Today's code path, spelled out: torch's layers built in the model's order under the same seed.
    torch.manual_seed(7)
    gru, out = nn.GRU(V, 32), nn.Linear(32, V)
    model = lm(ModelConfig(stack=StackSpec("gru", (32,)), init="torch"), seed=7)
    expected = {f"stack.rnn.{k}": v for k, v in gru.state_dict().items()}
    assert_same(expected | {f"output.{k}": v for k, v in out.state_dict().items()}, weights(model))
    torch.manual_seed(7)
    layers = [nn.Embedding(SRC_V, 8), nn.GRU(8, 16, num_layers=2), nn.Embedding(TGT_V, 8), nn.GRU(24, 16, num_layers=2),
              nn.Linear(16, TGT_V)]
    names = ["encoder.embedding", "encoder.stack.rnn", "decoder.embedding", "decoder.stack.rnn", "decoder.output"]
    expected = {f"{prefix}.{k}": v for prefix, layer in zip(names, layers) for k, v in layer.state_dict().items()}
    assert_same(expected, weights(seq2seq(mt(StackSpec("gru", (16, 16)), StackSpec("gru", (16, 16)), "torch", 8), 7)))


@pytest.mark.parametrize("kind", KINDS)
def test_torch_draws_what_the_models_drew_before_the_option(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = dataclasses.replace(KINDS[kind], init="torch")
    sizes = (V,) if config.task == "lm" else (SRC_V, TGT_V)
    torch.manual_seed(3)
    now = weights(built(config, sizes))
    for module in (lm_module, seq2seq_module):  # the code before the option: no redraw at all
        monkeypatch.setattr(module, "initialise", lambda model, config: None)
    torch.manual_seed(3)
    assert_same(weights(built(config, sizes)), now)


# ---- seeds ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [
    ModelConfig(stack=StackSpec("gru-book", (16,))),
    mt(StackSpec("gru", (16, 16)), StackSpec("gru", (16, 16)), embed=8),
], ids=["scratch-lm", "seq2seq"])
def test_book_initialisation_is_deterministic_under_the_seed(config: ModelConfig, tmp_path: Path) -> None:
    if config.task == "lm":
        path = tmp_path / "tiny.txt"
        path.write_text("the time traveller was expounding a recondite matter. " * 20, encoding="utf-8")
        data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8))
    else:
        data = build_data(DataConfig(corpus="phrasebook", max_examples=100))
    first, again, other = (weights(bundle_for(data, config, seed=s).model) for s in (5, 5, 6))
    assert_same(first, again)
    assert any(not torch.equal(first[k], other[k]) for k in first)


# ---- checkpoints and continued runs ---------------------------------------------------------------------


def test_the_init_is_saved_and_an_old_checkpoint_without_it_loads_as_torchs(tmp_path: Path) -> None:
    bundle = make_bundle(ModelConfig(stack=StackSpec("gru-book", (6,))), seed=2)
    assert bundle.model_config.init == "book"
    path = save_checkpoint(bundle, tmp_path / "new.pt")
    assert load_checkpoint(path).model_config.init == "book"
    edit(path, lambda payload: payload["model_config"].pop("init"))  # as rnnviz wrote it before the option
    old = load_checkpoint(path)
    assert old.model_config.init == "torch" and old.origin.notes == ()
    assert_same(weights(old.model), weights(bundle.model))  # the file's weights, whatever the option
    edit(path, lambda payload: payload["model_config"].__setitem__("init", "xavier"))
    with pytest.raises(DataError, match=r"model_config\.init is 'xavier', not one of book, torch"):
        load_checkpoint(path)


def test_continuing_a_model_made_with_another_init_says_so_and_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text("the time traveller was expounding a recondite matter. " * 20, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8))
    old = bundle_for(data, ModelConfig(stack=StackSpec("gru", (8,)), init="torch"), seed=1)
    before = weights(old.model)
    same = continued_bundle(old, data, "torch")
    assert same.origin.notes == ()
    quiet = continued_bundle(old, data)  # no choice given (the CLI without --init): nothing to say
    assert quiet.origin.notes == ()
    told = continued_bundle(old, data, "book")
    assert told.origin.notes == ("This model was initialised with torch's default; the initialisation chosen "
                                 "now (book) applies only to new models, so it goes on from its own weights.",)
    assert told.model_config.init == "torch"  # described as it was made, not as asked
    assert_same(weights(told.model), before) and old.origin.notes == ()  # a copy; the caller's is untouched
    assert init_note("book", "torch") is not None and init_note("book", "book") is None
    # A run continued with the Builder's config: its init is the choice the model is checked against.
    session = TrainingSession(data.config, dataclasses.replace(old.model_config, init="book"),
                              TrainConfig(epochs=1, device="cpu"), initial=old, data=data)
    assert session.prepare() and session.bundle.origin.notes == told.origin.notes


def test_the_words_for_each_model_name_what_book_does_there() -> None:
    assert "Xavier-uniform" in describe_init(BOOK_SEQ2SEQ) and "LazyLinear" in describe_init(BOOK_SEQ2SEQ)
    assert "N(0, 0.01²)" in describe_init(ModelConfig(stack=StackSpec("lstm", (8,), implementation="scratch")))
    assert "LSTMScratch" in describe_init(ModelConfig(stack=StackSpec("lstm", (8,), implementation="scratch")))
    assert "torch's default" in describe_init(ModelConfig(stack=StackSpec("lstm", (8,))))
    assert describe_init(ModelConfig(init="torch")).startswith("torch's default for every layer")
