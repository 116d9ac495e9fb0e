"""Helpers for tests that build real models from a config and vocabulary sizes."""

from __future__ import annotations

from torch import nn

from rnnviz.core.config import ModelConfig
from rnnviz.core.data.vocab import Vocab, placeholder_vocab
from rnnviz.core.models.factory import build_model


def vocab_of_size(size: int, translation: bool) -> Vocab:
    """A vocabulary of exactly ``size`` tokens (translation reserves <pad> <bos> <eos> as well as <unk>)."""
    vocab = placeholder_vocab(size, translation)
    assert len(vocab) == size
    return vocab


def built(config: ModelConfig, sizes: tuple[int, ...]) -> nn.Module:
    """The model build_model makes for vocabularies of these sizes."""
    return build_model(config, tuple(vocab_of_size(n, config.task == "mt") for n in sizes))


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
