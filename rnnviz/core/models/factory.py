"""Build a model from its config and vocabularies, and keep them together."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from rnnviz.config import DataConfig, ModelConfig, TrainConfig
from rnnviz.core.data.datasets import LmData, MtData
from rnnviz.core.data.vocab import PAD, Vocab
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.models.seq2seq import Seq2Seq
from rnnviz.core.events import History


def build_model(config: ModelConfig, vocabs: tuple[Vocab, ...]) -> nn.Module:
    """An RNNLM for one vocabulary, a Seq2Seq for (source, target)."""
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
    vocabs: tuple[Vocab, ...]  # (tokens,) for a language model; (source, target) for translation
    train_config: TrainConfig | None = None
    history: History = field(default_factory=History)

    @property
    def task(self) -> str:
        return self.model_config.task

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def bundle_for(data: LmData | MtData, config: ModelConfig, seed: int = 0) -> ModelBundle:
    """A freshly initialised model for the data (weights deterministic for the seed)."""
    is_mt = isinstance(data, MtData)
    if (config.task == "mt") != is_mt:
        kind = "translation" if is_mt else "language-model"
        raise ConfigError(f"a {config.task} model cannot train on {kind} data; pick a matching corpus or task.")
    vocabs = (data.src_vocab, data.tgt_vocab) if isinstance(data, MtData) else (data.vocab,)
    torch.manual_seed(seed)
    return ModelBundle(build_model(config, vocabs), config, data.config, vocabs)
