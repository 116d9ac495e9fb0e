"""``rnnviz train``'s options on the loss: ``--no-mask-padding`` (the book's exercise 3 of section 10.7).

Kept beside ``rnnviz.cli.train`` so that the training command stays one screen of options shorter.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from rnnviz.core.config import ModelConfig
from rnnviz.core.errors import ConfigError


def add_loss_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mask-padding", action=argparse.BooleanOptionalAction, default=None,
                        help="mt: average the loss over the real target tokens only, as the book (the default); "
                             "--no-mask-padding counts the <pad> tokens after <eos> as targets too (exercise 3 "
                             "of section 10.7); the run's name then says 'unmasked loss'")


def apply_loss_options(args: argparse.Namespace, config: ModelConfig) -> ModelConfig:
    """The model's config with the typed loss options over it; refused for a task without padding."""
    mask = getattr(args, "mask_padding", None)
    if mask is None:
        return config
    if config.task != "mt":
        raise ConfigError(f"--{'' if mask else 'no-'}mask-padding is about the padding of translation targets; "
                          f"task {config.task!r} has none: leave it out.")
    return replace(config, mask_padding=mask)
