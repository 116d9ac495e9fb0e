"""Checkpoints are checked before they are trusted: shapes, limits, types, finite weights.

Every file here is one a user might be handed: crafted to exhaust memory, or simply wrong
(damaged files: test_checkpoint_damage.py). Each is refused with a DataError naming the file
and the field, before any model is built; every kind of model still round-trips exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import torch

from rnnviz.core import checkpoint as checkpoint_module
from rnnviz.core import limits
from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.checkpoint_checks import checksum, expected_shapes
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.vocab import placeholder_vocab
from rnnviz.core.errors import DataError
from rnnviz.core.events import History
from rnnviz.core.models.factory import ModelBundle, build_model
from rnnviz.core.models.shipped import load_shipped
from rnnviz.core.resources import pretrained_path


def make_bundle(config: ModelConfig, seed: int = 0) -> ModelBundle:
    """A freshly initialised model of ``config`` over small made-up vocabularies."""
    vocabs = ((placeholder_vocab(11, False),) if config.task == "lm"
              else (placeholder_vocab(9, True), placeholder_vocab(10, True)))
    torch.manual_seed(seed)
    model = build_model(config, vocabs).eval()
    corpus = "phrasebook-en" if config.task == "lm" else "phrasebook"
    history = History.from_dict({"step": [1, 2], "loss": [2.5, 2.0], "grad_norm": [1.0, 0.75]})
    return ModelBundle(model, config, DataConfig(corpus=corpus).resolved(config.task), vocabs, history=history)


LM = ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(6,)))
MT = ModelConfig(task="mt", stack=StackSpec(cell="lstm", hidden_sizes=(5,), bidirectional=True),
                 decoder=StackSpec(cell="lstm", hidden_sizes=(4,)), embed_size=3)

#: Every kind of model rnnviz builds: both tasks, every cell, deep, bidirectional, unequal
#: directions, one-hot and embedded inputs, identity and linear bridges.
KINDS: dict[str, ModelConfig] = {
    "lm-gru": LM,
    "lm-rnn-embed": ModelConfig(task="lm", stack=StackSpec(cell="rnn", hidden_sizes=(5,)), embed_size=4),
    "lm-lstm-deep-bi": ModelConfig(task="lm", stack=StackSpec(cell="lstm", hidden_sizes=(4, 4), bidirectional=True)),
    "lm-gru-book-deep": ModelConfig(task="lm", stack=StackSpec(cell="gru-book", hidden_sizes=(5, 3))),
    "lm-gru-unequal-directions": ModelConfig(task="lm", stack=StackSpec(
        cell="gru", hidden_sizes=(4, 5), bidirectional=True, backward_sizes=(3, 2))),
    "mt-gru-identity": ModelConfig(task="mt", stack=StackSpec(cell="gru", hidden_sizes=(5, 5)),
                                   decoder=StackSpec(cell="gru", hidden_sizes=(5, 5)), embed_size=3),
    "mt-lstm-bi-linear": MT,
    "mt-rnn-to-lstm": ModelConfig(task="mt", stack=StackSpec(cell="rnn", hidden_sizes=(4,)),
                                  decoder=StackSpec(cell="lstm", hidden_sizes=(4,)), embed_size=3),
    "mt-gru-deep-bi-book-decoder": ModelConfig(task="mt", stack=StackSpec(cell="gru", hidden_sizes=(4, 3),
                                                                          bidirectional=True),
                                               decoder=StackSpec(cell="gru-book", hidden_sizes=(5, 2)),
                                               embed_size=4),
}


@pytest.fixture
def lm_file(tmp_path: Path) -> Path:
    return save_checkpoint(make_bundle(LM), tmp_path / "lm.pt")


@pytest.fixture
def mt_file(tmp_path: Path) -> Path:
    return save_checkpoint(make_bundle(MT), tmp_path / "mt.pt")


def edit(path: Path, change: Callable[[dict[str, Any]], None], restamp: bool = True) -> Path:
    """Rewrite the file with ``change`` applied; ``restamp`` makes its checksum match, as a crafted
    file's would, so that the checks behind the checksum are what refuses it."""
    payload = torch.load(path, weights_only=True)
    change(payload)
    if restamp:
        payload["checksum"] = checksum(payload)
    torch.save(payload, path)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(DataError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message
    return message


# ---- round trips of every kind of model ---------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_model_round_trips_exactly(kind: str, tmp_path: Path) -> None:
    bundle = make_bundle(KINDS[kind], seed=3)
    loaded = load_checkpoint(save_checkpoint(bundle, tmp_path / f"{kind}.pt"))
    assert loaded.model_config == bundle.model_config and loaded.vocabs == bundle.vocabs
    assert loaded.origin.kind == "opened" and loaded.origin.notes == ()
    original = bundle.model.state_dict()
    restored = loaded.model.state_dict()
    assert list(restored) == list(original)
    assert all(torch.equal(restored[name], original[name]) for name in original)


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_from_the_settings_are_the_shapes_the_model_has(kind: str) -> None:
    # The loader checks shapes by arithmetic, without building the model: this keeps it honest.
    bundle = make_bundle(KINDS[kind])
    built = {name: tuple(t.shape) for name, t in bundle.model.state_dict().items()}
    assert expected_shapes(bundle.model_config, tuple(len(v) for v in bundle.vocabs)) == built


# ---- settings that claim a huge model ---------------------------------------------------------------


@pytest.fixture
def no_model_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a model was built from settings that do not match the weights")

    monkeypatch.setattr(checkpoint_module, "build_model", refuse)


def test_a_small_file_claiming_a_huge_hidden_size_is_refused_before_anything_is_built(
        lm_file: Path, no_model_is_built: None) -> None:
    edit(lm_file, lambda p: p["model_config"]["stack"].update(hidden_sizes=[10**6]))
    assert lm_file.stat().st_size < 20_000  # a few kilobytes claiming a model of terabytes
    message = refusal(lm_file)
    assert "1000000" in message or "1,000,000" in message  # the hidden size refused, whichever check sees it first


def test_weights_smaller_than_the_settings_claim_are_refused_by_their_shapes(
        lm_file: Path, mt_file: Path, no_model_is_built: None) -> None:
    # Settings within every limit, weights of another size: the shapes alone tell.
    widest = limits.HIDDEN_SIZE.hi
    edit(lm_file, lambda p: p["model_config"]["stack"].update(hidden_sizes=[widest]))
    message = refusal(lm_file)
    assert "the weights do not fit the model its settings describe" in message
    assert f"stack.rnn.weight_hh_l0 is 18×6 in the file, the settings need {3 * widest}×{widest}" in message
    edit(mt_file, lambda p: p["model_config"].update(embed_size=1000))
    assert "encoder.embedding.weight is 9×3 in the file, the settings need 9×1000" in refusal(mt_file)


def test_a_file_claiming_more_layers_than_it_holds_is_refused_by_counting(
        lm_file: Path, no_model_is_built: None) -> None:
    layers = limits.NUM_LAYERS.hi
    edit(lm_file, lambda p: p["model_config"]["stack"].update(hidden_sizes=[6] * layers))
    assert f"the settings need at least {4 * layers} recurrent weight tensors, the file holds 6" in refusal(lm_file)


def test_tensors_claiming_more_values_than_the_file_stores_are_refused(
        lm_file: Path, no_model_is_built: None) -> None:
    # One stored number, expanded (stride 0) to the shapes the settings claim: a few kilobytes that
    # would become hundreds of megabytes the moment anything copied them.
    widest = limits.HIDDEN_SIZE.hi

    def expanded(payload: dict[str, Any]) -> None:
        payload["model_config"]["stack"].update(hidden_sizes=[widest])
        shapes = expected_shapes(ModelConfig.from_dict(payload["model_config"]), (11,))
        payload["state_dict"] = {name: torch.zeros(1).expand(*shape) for name, shape in shapes.items()}

    edit(lm_file, expanded, restamp=False)  # its checksum would copy the values: the check comes first
    assert lm_file.stat().st_size < 20_000
    message = refusal(lm_file)
    assert ("state_dict['stack.rnn.weight_ih_l0'] claims 135,168 values (12288×11) but the file stores 4 bytes"
            in message)

    def shared(payload: dict[str, Any]) -> None:
        weights = payload["state_dict"]
        base = torch.zeros(18 * 11)  # the input weights' own values, read again as the hidden weights
        weights["stack.rnn.weight_ih_l0"] = base.view(18, 11)
        weights["stack.rnn.weight_hh_l0"] = base[:18 * 6].view(18, 6)

    lm_file.unlink()
    save_checkpoint(make_bundle(LM), lm_file)
    edit(lm_file, shared, restamp=False)
    assert "its tensors share their values" in refusal(lm_file)


@pytest.mark.parametrize("field, value", [("num_steps", 10**9), ("batch_size", 10**12), ("seed", 10**21),
                                          ("num_steps", 0), ("min_freq", -1)])
def test_absurd_data_settings_are_refused(lm_file: Path, no_model_is_built: None, field: str, value: int) -> None:
    edit(lm_file, lambda p: p["data_config"].update({field: value}))
    message = refusal(lm_file)
    assert f"data_config.{field} is out of range: " in message and "(allowed: " in message


def test_settings_that_are_not_plain_data_are_refused(lm_file: Path, no_model_is_built: None) -> None:
    nested: list[Any] = []
    for _ in range(50):  # lists inside lists: a crafted file may nest them as deep as Python recursion goes
        nested = [nested]
    edit(lm_file, _set("data_config", "corpus", value=nested), restamp=False)
    assert "data_config.corpus[0][0][0] is nested deeper than the 4 levels rnnviz writes" in refusal(lm_file)
    edit(lm_file, _set("data_config", "corpus", value="phrasebook-en"), restamp=False)
    edit(lm_file, _set("train_config", value={"epochs": 10**100}), restamp=False)  # no setting is that long
    assert "train_config.epochs is a 333-bit number, beyond any number rnnviz writes" in refusal(lm_file)


def test_the_longest_accepted_window_still_opens(lm_file: Path) -> None:
    longest = limits.NUM_STEPS.hi
    edit(lm_file, lambda p: p["data_config"].update(num_steps=longest))
    assert load_checkpoint(lm_file).max_len == longest


def test_training_settings_out_of_range_are_dropped_with_a_note(tmp_path: Path) -> None:
    bundle = make_bundle(LM)
    bundle.train_config = TrainConfig(epochs=2, lr=0.5)
    path = save_checkpoint(bundle, tmp_path / "lm.pt")
    assert load_checkpoint(path).train_config == bundle.train_config
    # An older rnnviz accepted a learning rate of inf: the model opens, its recipe does not apply.
    edit(path, lambda p: p["train_config"].update(lr=float("inf")))
    loaded = load_checkpoint(path)
    assert loaded.train_config is None
    (note,) = loaded.origin.notes
    assert "the training settings saved in lm.pt do not apply here (the learning rate must be" in note


# ---- fields of the wrong type --------------------------------------------------------------------------


def _set(*keys: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        target = payload
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda payload: payload.pop(key)


WRONG_FIELDS = {
    "history not a table": (_set("history", value="loss went down"), "history (the training curves) is a str"),
    "history curve not a list": (_set("history", "loss", value=3.5), "history.loss is a float, not a list"),
    "state dict a string": (_set("state_dict", value="weights"), "state_dict (the weights) is a str"),
    "a weight not a tensor": (_set("state_dict", "output.bias", value=[0.0] * 11),
                              "state_dict['output.bias'] is a list, not a dense tensor"),
    "integer weights": (_set("state_dict", "output.bias", value=torch.zeros(11, dtype=torch.int64)),
                        "state_dict['output.bias'] holds torch.int64 values"),
    "no model configuration": (_drop("model_config"), "model_config (the model's settings) is missing"),
    "no data configuration": (_drop("data_config"), "data_config (the data settings) is missing"),
    "model configuration a list": (_set("model_config", value=[1, 2]), "model_config (the model's settings) is a list"),
    "no cell": (lambda p: p["model_config"]["stack"].pop("cell"), "model_config.stack.cell is missing"),
    "unknown cell": (_set("model_config", "stack", "cell", value="transformer"),
                     "model_config.stack.cell is 'transformer', not one of rnn, gru, gru-book, gru-reset, gru-update, lstm"),
    "hidden size as text": (_set("model_config", "stack", "hidden_sizes", value=["6"]),
                            "model_config.stack.hidden_sizes is not a list of whole numbers"),
    "bidirectional as text": (_set("model_config", "stack", "bidirectional", value="yes"),
                              "model_config.stack.bidirectional is a str, not true or false"),
    "integer tokens": (_set("vocabs", "tokens", 3, value=7), "vocabs.tokens[3] is 7 (a int), not a token"),
    "vocabulary a string": (_set("vocabs", "tokens", value="abc"), "vocabs.tokens is a str, not a list of tokens"),
    "vocabulary without <unk>": (lambda p: p["vocabs"]["tokens"].remove("<unk>"),
                                 "vocabs.tokens lacks the reserved token(s) <unk>"),
    "unknown token level": (_set("data_config", "token_level", value="syllable"),
                            "data_config.token_level is 'syllable', not one of char, word"),
    "unknown cleaning rule": (_set("data_config", "lm_cleaning", value="shout"),
                              "data_config.lm_cleaning is 'shout', not one of none, letters, lower"),
    "corpus a number": (_set("data_config", "corpus", value=12), "data_config.corpus is a int, not a non-empty text"),
    "window length as text": (_set("data_config", "num_steps", value="32"), "data_config.num_steps is a str"),
    "training settings a list": (_set("train_config", value=[0.5]), "train_config (the training settings) is a list"),
    "unknown task": (_set("task", value="vision"), "task is 'vision', not lm (a language model) or mt"),
    "version as text": (_set("version", value="2"), "its format version is '2', not a version rnnviz wrote"),
}


@pytest.mark.parametrize("case", WRONG_FIELDS)
def test_a_field_of_the_wrong_type_is_named(lm_file: Path, no_model_is_built: None, case: str) -> None:
    change, expected = WRONG_FIELDS[case]
    message = refusal(edit(lm_file, change, restamp=False))
    assert expected in message
    assert "Unexpected" not in message


def test_an_unknown_setting_is_named(lm_file: Path, no_model_is_built: None) -> None:
    edit(lm_file, _set("data_config", "colour", value="red"))  # restamped: the settings' own check refuses it
    assert "its data_config cannot be read (unknown data settings: colour.)" in refusal(lm_file)


def test_a_translation_model_without_decoder_or_reserved_tokens(mt_file: Path, no_model_is_built: None) -> None:
    edit(mt_file, _set("model_config", "decoder", value=None), restamp=False)
    assert "model_config.decoder (a recurrent stack) is missing" in refusal(mt_file)
    edit(mt_file, _set("model_config", "decoder", value=MT.decoder.to_dict()), restamp=False)
    edit(mt_file, lambda p: p["vocabs"]["target"].remove("<bos>"), restamp=False)
    assert "vocabs.target lacks the reserved token(s) <bos>" in refusal(mt_file)


# ---- weights that are not numbers -----------------------------------------------------------------------


def test_nan_and_infinite_weights_are_named(tmp_path: Path) -> None:
    bundle = make_bundle(LM)
    with torch.no_grad():
        bundle.model.stack.rnn.weight_hh_l0[0, :2] = float("nan")
        bundle.model.output.bias[3] = float("-inf")
    path = save_checkpoint(bundle, tmp_path / "diverged.pt")  # checksummed: not damage, the weights themselves
    message = refusal(path)
    assert "its weights are not all finite numbers" in message
    assert "stack.rnn.weight_hh_l0 has 2 NaN of 108 values" in message
    assert "output.bias has 1 infinite of 11 values" in message
    assert "stack.rnn.weight_ih_l0" not in message  # only the parameters at fault




def test_the_shipped_checkpoints_are_checksummed() -> None:
    for task in ("lm", "mt"):
        payload = torch.load(pretrained_path(task), weights_only=True)
        assert payload["version"] == 2 and payload["checksum"] == checksum(payload)
        shipped = load_shipped(task)
        assert shipped.origin.kind == "shipped" and shipped.origin.notes == ()
