"""Facts about a model asked of its bundle: decoding length, joiner, display name, origin."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.errors import RnnvizError
from rnnviz.core.models import shipped as shipped_module
from rnnviz.core.models.factory import DEFAULT_MAX_LEN, ModelBundle, build_model
from rnnviz.core.models.labels import display_name, stack_label
from rnnviz.core.models.origin import ModelOrigin
from rnnviz.core.models.shipped import load_shipped
from tests.core.models.builders import vocab_of_size


def bundle(task: str = "lm", token_level: str = "char", num_steps: int | None = 12,
           stack: StackSpec = StackSpec("gru", (32,)), decoder: StackSpec | None = None) -> ModelBundle:
    config = ModelConfig(task=task, stack=stack, decoder=decoder or (stack if task == "mt" else None),
                         embed_size=8 if task == "mt" else None)
    sizes = (20,) if task == "lm" else (20, 22)
    vocabs = tuple(vocab_of_size(n, task == "mt") for n in sizes)
    data = DataConfig(task=task, token_level=token_level, num_steps=num_steps)
    return ModelBundle(build_model(config, vocabs), config, data, vocabs)


def test_max_len_is_num_steps_or_the_books_nine() -> None:
    assert bundle(num_steps=12).max_len == 12
    assert bundle(num_steps=None).max_len == DEFAULT_MAX_LEN == 9


def test_joiner_is_empty_for_characters_and_a_space_for_words_and_translation() -> None:
    chars, words = bundle(token_level="char"), bundle(token_level="word")
    assert chars.joiner == "" and chars.join(["a", "b", " ", "c"]) == "ab c"
    assert words.joiner == " " and words.join(["the", "cat"]) == "the cat"
    mt = bundle("mt", token_level="char")  # a translation model's tokens are words, whatever the level says
    assert mt.joiner == " " and mt.join(("le", "chat")) == "le chat"


def test_display_names() -> None:
    assert bundle().display_name == "GRU 1×32 language model"
    assert bundle("mt", stack=StackSpec("gru", (32, 32))).display_name == "GRU 2×32 encoder–decoder"
    mixed = bundle("mt", stack=StackSpec("lstm", (16, 8), bidirectional=True), decoder=StackSpec("gru", (16, 8)))
    assert mixed.display_name == "LSTM 16/8 bi → GRU 16/8 encoder–decoder"
    assert stack_label(StackSpec("gru-book", (4, 4, 4))) == "GRU(book) 3×4"
    assert display_name(ModelConfig(stack=StackSpec("rnn", (64,)))) == "RNN 1×64 language model"


def test_origins_describe_themselves() -> None:
    assert ModelOrigin("shipped", corpus="phrasebook").describe() == "shipped phrasebook model"
    assert ModelOrigin.trained(run=2, step=650).describe() == "trained here, run 2, step 650"
    assert ModelOrigin.opened("/tmp/runs/lm.pt").describe() == "opened lm.pt"
    assert ModelOrigin().describe() == "new model"
    with pytest.raises(ValueError, match="unknown model origin"):
        ModelOrigin("downloaded")  # type: ignore[arg-type]


def test_a_new_bundle_is_new_and_copies_keep_the_origin() -> None:
    fresh = bundle()
    assert fresh.origin == ModelOrigin("new")
    trained = dataclasses.replace(fresh, origin=ModelOrigin.trained(1, 10))
    assert dataclasses.replace(trained).origin == trained.origin
    assert copy.deepcopy(trained).origin == trained.origin


def test_a_checkpoint_opens_as_opened_and_does_not_save_the_origin(tmp_path: Path) -> None:
    trained = dataclasses.replace(bundle(), origin=ModelOrigin.trained(3, 99))
    path = save_checkpoint(trained, tmp_path / "mine.pt")
    opened = load_checkpoint(path)
    assert opened.origin == ModelOrigin.opened(path)
    assert opened.origin.describe() == "opened mine.pt"


@pytest.mark.parametrize("task", ["lm", "mt"])
def test_the_shipped_models_say_they_are_shipped(task: str) -> None:
    model = load_shipped(task)
    assert model.task == task and model.origin.kind == "shipped"
    assert model.origin.describe() == f"shipped {model.data_config.corpus} model"


def test_a_missing_shipped_model_is_a_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(shipped_module, "pretrained_path", lambda task: tmp_path / "gone.pt")
    with pytest.raises(RnnvizError, match="shipped pretrained model is missing"):
        load_shipped("lm")
