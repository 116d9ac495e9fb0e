"""Build a model from its config and vocabularies, and keep them together with the facts about it.

Callers ask the bundle, not its configs, how long a decoding runs by default
(``max_len``), how its tokens are joined into text (``joiner``, ``join``), what
to call it (``display_name``) and where it came from (``origin``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnviz.core.config import MEMORY_TASKS, DataConfig, ModelConfig, TrainConfig
from rnnviz.core.data.datasets import LmData, MtData
from rnnviz.core.data.memory_tasks import MemoryData
from rnnviz.core.data.vocab import PAD, Vocab
from rnnviz.core.errors import ConfigError
from rnnviz.core.models import labels
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.models.memory import AddingRNN, SymbolRNN
from rnnviz.core.models.origin import ModelOrigin
from rnnviz.core.models.seq2seq import Seq2Seq
from rnnviz.core.events import History

#: The decoding length of a model whose data config leaves num_steps unset (the book's MT num_steps).
DEFAULT_MAX_LEN = 9


def build_model(config: ModelConfig, vocabs: tuple[Vocab, ...]) -> nn.Module:
    """An RNNLM for one vocabulary, a Seq2Seq for (source, target); for the tasks that need memory a
    SymbolRNN (recall, copy: one vocabulary) or an AddingRNN (no vocabulary)."""
    if config.task == "adding":
        if vocabs:
            raise ConfigError("the adding problem reads numbers and takes no vocabulary.")
        return AddingRNN(config)
    if config.task in ("recall", "copy"):
        if len(vocabs) != 1:
            raise ConfigError(f"a {config.task} model takes one vocabulary (its symbols).")
        return SymbolRNN(config, len(vocabs[0]))
    if config.task == "lm":
        if len(vocabs) != 1:
            raise ConfigError("a language model takes one vocabulary.")
        return RNNLM(config, len(vocabs[0]))
    if len(vocabs) != 2:
        raise ConfigError("a translation model takes a source and a target vocabulary.")
    src, tgt = vocabs
    return Seq2Seq(config, len(src), len(tgt), tgt.index(PAD))


@dataclass
class ModelBundle:
    """A model with what it takes to use it again: configs, vocabularies, history."""

    model: nn.Module
    model_config: ModelConfig
    data_config: DataConfig  # resolved: every field concrete
    vocabs: tuple[Vocab, ...]  # (tokens,) for a language model and recall/copy; (source, target) for translation;
    # () for the adding problem
    train_config: TrainConfig | None = None
    history: History = field(default_factory=History)
    origin: ModelOrigin = ModelOrigin("new")  # where this object came from; not saved in checkpoints

    @property
    def task(self) -> str:
        return self.model_config.task

    @property
    def max_len(self) -> int:
        """The default decoding length: the model's num_steps (the book's 9 when unset). A translation
        reads its source cut or padded to it and writes at most this many tokens."""
        return int(self.data_config.num_steps or DEFAULT_MAX_LEN)

    @property
    def joiner(self) -> str:
        """What goes between two of its tokens in text: "" for characters, " " for words (a translation
        model's tokens are always words; its data config's token level does not apply)."""
        return "" if self.task == "lm" and self.data_config.token_level == "char" else " "

    def join(self, tokens: Iterable[str]) -> str:
        """Its tokens as text: "the cat" from words, "thecat" from characters."""
        return self.joiner.join(tokens)

    @property
    def display_name(self) -> str:
        """E.g. "GRU 1×32 language model", "GRU 2×32 encoder–decoder"."""
        return labels.display_name(self.model_config)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def bundle_for(data: LmData | MtData | MemoryData, config: ModelConfig, seed: int = 0) -> ModelBundle:
    """A freshly initialised model for the data (weights deterministic for the seed)."""
    if isinstance(data, MemoryData) or config.task in MEMORY_TASKS:
        task = data.task if isinstance(data, MemoryData) else ("mt" if isinstance(data, MtData) else "lm")
        if task != config.task:
            raise ConfigError(f"a {config.task} model cannot train on {task} data; pick the task's own data, "
                              "or a model for this task.")
        assert isinstance(data, MemoryData)
        torch.manual_seed(seed)
        vocabs = () if data.vocab is None else (data.vocab,)
        return ModelBundle(build_model(config, vocabs), config, data.config, vocabs)
    is_mt = isinstance(data, MtData)
    if (config.task == "mt") != is_mt:
        kind = "translation" if is_mt else "language-model"
        raise ConfigError(f"a {config.task} model cannot train on {kind} data; pick a matching corpus or task.")
    vocabs = (data.src_vocab, data.tgt_vocab) if isinstance(data, MtData) else (data.vocab,)
    torch.manual_seed(seed)
    return ModelBundle(build_model(config, vocabs), config, data.config, vocabs)
