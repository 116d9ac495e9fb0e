"""``rnnviz train``'s settings from its options: the quick defaults, or a preset with what was typed over it.

Kept beside ``rnnviz.cli.train`` (which runs the command): every option defaults to None, so that
only what was typed overrides a preset's values; the task alone takes the quick defaults for a laptop
(``RECIPES`` and ``TASK_DEFAULTS`` in :mod:`rnnviz.core.config`).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rnnviz.core.config import RECIPES, DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.errors import ConfigError

if TYPE_CHECKING:
    from rnnviz.core.models.presets import Preset

_TASK_WORDS = {"lm": "a language model (lm)", "mt": "a translation model (mt)", "recall": "the recall task",
               "adding": "the adding problem", "copy": "the copy task"}
#: The options of the tasks that need memory, by config field (their ranges say which task reads each).
_MEMORY_OPTIONS = {"lag": "lag", "symbols": "symbols", "copy_length": "copy_length", "num_train": "num_train",
                   "num_val": "num_val"}


# ---- the configs: quick defaults, or a preset with what was typed over it ----------------------

def resolve_task(args: argparse.Namespace) -> tuple[str, Preset | None]:
    """(task, preset or None); a preset's task must agree with a task given beside it."""
    if args.preset is None:
        if args.task is None:
            raise ConfigError("say what to train: a task (rnnviz train lm or rnnviz train mt, quick defaults) "
                              "or one of the book's recipes (rnnviz train --preset NAME; rnnviz stack --list "
                              "names them).")
        return args.task, None
    from rnnviz.core.models.presets import PRESETS, get_preset

    preset = get_preset(args.preset)  # an unknown name: the error lists the presets
    task = preset.config.task
    if args.task is not None and args.task != task:
        fitting = ", ".join(p.name for p in PRESETS.values() if p.config.task == args.task)
        raise ConfigError(f"the preset {preset.name} trains {_TASK_WORDS[task]}, not {_TASK_WORDS[args.task]}; "
                          f"leave the task out (the preset knows it), or choose a preset for {args.task}: {fitting}.")
    return task, preset


def _quick_model(args: argparse.Namespace, task: str) -> ModelConfig:
    recipe = RECIPES[task]

    def given(name: str) -> Any:
        value = getattr(args, name)
        return recipe[name] if value is None else value

    hidden = tuple([given("hidden")] * given("layers"))
    cell, dropout, implementation = args.cell or "gru", args.dropout or 0.0, args.implementation or "auto"
    stack = StackSpec(cell, hidden, bool(args.bidirectional), dropout, implementation)
    embed = given("embed")
    if task != "mt":  # a language model, or a task that needs memory: one stack
        config = ModelConfig(task, stack, embed_size=embed or None)  # type: ignore[arg-type]
    else:
        config = ModelConfig("mt", stack, StackSpec(cell, hidden, False, dropout, implementation), embed or 32)
    return config if args.init is None else replace(config, init=args.init)


def quick_configs(args: argparse.Namespace, task: str) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    from rnnviz.core.data.corpora import default_corpus

    recipe, seed = RECIPES[task], args.seed or 0
    data = DataConfig(corpus=args.corpus or default_corpus(task), task=task,  # type: ignore[arg-type]
                      token_level=args.token_level or "char", num_steps=args.num_steps,
                      batch_size=args.batch_size, max_examples=args.max_examples, seed=seed,
                      lm_sampling=args.sampling or "random-offset",
                      # As the book: all N pairs train, and validation comes from the pairs after them.
                      num_train=args.max_examples if task == "mt" else args.num_train,
                      num_val=args.num_val, lag=args.lag, symbols=args.symbols, copy_length=args.copy_length)
    train = TrainConfig(epochs=recipe["epochs"] if args.epochs is None else args.epochs,
                        lr=recipe["lr"] if args.lr is None else args.lr,
                        optimizer=args.optimizer or recipe["optimizer"], grad_clip=_clip(args.clip, 1.0),
                        device=args.device or "auto", seed=seed)
    return data, _quick_model(args, task), train


def check_task_options(args: argparse.Namespace, task: str) -> None:
    """Options of one kind of task given for another: said before anything is built."""
    text_only = {"--sampling": args.sampling, "--token-level": args.token_level, "--max-examples": args.max_examples}
    if task in ("recall", "adding", "copy"):
        given = [name for name, value in text_only.items() if value is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} {'cut' if len(given) > 1 else 'cuts'} a text corpus; "
                              f"{_TASK_WORDS[task]} is generated: leave "
                              f"{'them' if len(given) > 1 else 'it'} out (its options: --num-steps, --lag, --symbols, "
                              "--copy-length, --num-train, --num-val, --seed).")
        return
    given = [f"--{name.replace('_', '-')}" for name in _MEMORY_OPTIONS if getattr(args, name) is not None]
    if given:
        raise ConfigError(f"{', '.join(given)} {'belong' if len(given) > 1 else 'belongs'} to the tasks that need memory (recall, adding, copy), not to "
                          f"{_TASK_WORDS[task]}; leave {'them' if len(given) > 1 else 'it'} out.")


def _clip(flag: float | None, preset: float | None) -> float | None:
    """--clip: 0 turns clipping off; not given, the preset's (or the default's) value."""
    if flag is None:
        return preset
    return None if flag == 0 else flag


def _given(args: argparse.Namespace, names: dict[str, str]) -> dict[str, Any]:
    """{config field: value} of the options that were typed (not None)."""
    return {field: getattr(args, option) for option, field in names.items() if getattr(args, option) is not None}


def _stack_over(spec: StackSpec, args: argparse.Namespace, decoder: bool) -> StackSpec:
    """A preset's stack with the typed options over it; --hidden/--layers make every layer (and both
    directions) that size."""
    changes = _given(args, {"cell": "cell", "dropout": "dropout", "implementation": "implementation"})
    if args.hidden is not None or args.layers is not None:
        hidden = spec.hidden_sizes[0] if args.hidden is None else args.hidden
        changes.update(hidden_sizes=(hidden,) * (spec.num_layers if args.layers is None else args.layers),
                       backward_sizes=None)
    if args.bidirectional is not None and not decoder:  # the decoder generates left to right
        changes["bidirectional"] = args.bidirectional
        if not args.bidirectional:
            changes["backward_sizes"] = None
    return replace(spec, **changes) if changes else spec


def _model_over(config: ModelConfig, args: argparse.Namespace) -> ModelConfig:
    changes: dict[str, Any] = {"stack": _stack_over(config.stack, args, decoder=False)}
    if config.decoder is not None:
        changes["decoder"] = _stack_over(config.decoder, args, decoder=True)
    if args.embed is not None:  # 0: one-hot inputs, for a language model; a translation model keeps its size
        changes["embed_size"] = (args.embed or None) if config.task == "lm" else (args.embed or config.embed_size)
    if args.init is not None:
        changes["init"] = args.init
    if config.bridge == "identity" and not replace(config, **changes, bridge="auto").identity_bridge_fits:
        changes["bridge"] = "auto"  # the encoder's state no longer fits the decoder as it is: the linear bridge
    return replace(config, **changes)


def preset_configs(args: argparse.Namespace, preset: Preset) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    data = preset.data_config()
    changes = _given(args, {"corpus": "corpus", "token_level": "token_level", "num_steps": "num_steps",
                            "batch_size": "batch_size", "max_examples": "max_examples", "seed": "seed",
                            "sampling": "lm_sampling", **_MEMORY_OPTIONS})
    if data.task == "mt" and data.num_train is not None and args.max_examples is not None:
        changes["num_train"] = args.max_examples  # the book's split: all N pairs train, validation after them
    data = replace(data, **changes)
    train = preset.train_config()
    train = replace(train, **_given(args, {"epochs": "epochs", "lr": "lr", "optimizer": "optimizer",
                                           "device": "device", "seed": "seed"}),
                    grad_clip=_clip(args.clip, train.grad_clip))
    return data, _model_over(preset.config, args), train
