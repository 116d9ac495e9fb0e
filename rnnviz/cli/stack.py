"""``rnnviz stack``: the book's models by name, layer by layer, with shapes and parameter counts."""

from __future__ import annotations

import argparse
import re
from typing import Any

from rnnviz.cli.common import _print_json, in_range, ranged
from rnnviz.core.errors import ConfigError
from rnnviz.core.limits import BATCH_SIZE, COST_SECONDS, HIDDEN_SIZE, NUM_STEPS, VOCAB_SIZE

#: The options only --costs reads.
_COST_OPTIONS = ("hidden", "seconds", "batch_size", "num_steps", "no_measure")

#: Vocabulary sizes assumed when --vocab is not given: The Time Machine's 28 characters
#: (26 letters, space, <unk>) for language models; a round 200 per side for translation.
DEFAULT_VOCAB: dict[str, tuple[int, ...]] = {"lm": (28,), "mt": (200, 200)}


def _vocab_sizes(task: str, vocab: int | None) -> tuple[int, ...]:
    if vocab is None:
        return DEFAULT_VOCAB[task]
    return (VOCAB_SIZE.check(vocab),) * len(DEFAULT_VOCAB[task])  # argparse checked it; callers may not


def _preset_vocab_sizes(preset: Any, vocab: int | None) -> tuple[int, ...]:
    """A memory task's vocabulary follows from its alphabet (the preset's symbols); --vocab overrides it."""
    from rnnviz.core.config import MEMORY_TASKS, TASK_DEFAULTS
    from rnnviz.core.models.anatomy import memory_vocab_sizes

    task = preset.config.task
    if task not in MEMORY_TASKS:
        return _vocab_sizes(task, vocab)
    sizes = memory_vocab_sizes(task, int(preset.train.get("symbols") or TASK_DEFAULTS[task].get("symbols", 0)))
    return sizes if vocab is None else (VOCAB_SIZE.check(vocab),) * len(sizes)


def _short_section(section: str) -> str:
    """The section's number and title, without a trailing remark such as "(exercise ...)"."""
    return re.split(r" \((?=[a-z])", section, maxsplit=1)[0]


def cmd_stack_list(args: argparse.Namespace) -> int:
    from rnnviz.core.models.presets import get_preset, preset_names

    presets = [get_preset(name) for name in preset_names()]  # the book's, then the tasks that need memory
    if args.json:
        _print_json([{"name": p.name, "title": p.title, "section": p.section, "task": p.config.task}
                     for p in presets])
        return 0
    width = max(len(p.name) for p in presets) + 2
    for preset in presets:
        print(f"{preset.name:<{width}}{preset.title}  [{_short_section(preset.section)}]")
    print("\nShow one: rnnviz stack --preset NAME [--vocab N] [--json]")
    return 0


def _layer_json(layer) -> dict[str, Any]:
    from rnnviz.core.models.anatomy import layer_dict

    data = layer_dict(layer)
    # The short form first (forward size, torch's count); per-direction detail stays in "directions".
    data.update(hidden_size=layer.directions[0].hidden_size, params=layer.torch_params)
    return data


def _hidden_text(layer) -> str:
    return "/".join(str(h) for h in layer.hidden_sizes)


def _print_table(preset, info) -> None:
    vocab = ", ".join(f"{label}={size:,}" for label, size in zip(
        ("V_src", "V_tgt") if preset.config.task == "mt" else ("V",), info.vocab_sizes))
    vocab = vocab or "none (two numbers per step)"  # the adding problem
    print(f"{preset.name}: {preset.title}")
    print(f"  book section {preset.section}")
    print(f"  vocabulary   {vocab}   (B = batch size)")
    header = (f"{'part':<9}{'layer':>5}  {'cell':<9}{'input':>6}  {'hidden →/←':>11}{'output':>8}"
              f"{'book params':>13}{'torch params':>14}  impl")
    print()
    print(header)
    print("-" * len(header))
    for layer in info.layers:
        print(f"{layer.part:<9}{layer.index + 1:>5}  {layer.cell:<9}{layer.input_size:>6}  "
              f"{_hidden_text(layer):>11}{layer.output_size:>8}{layer.book_params:>13,}"
              f"{layer.torch_params:>14,}  {layer.implementation}")
    print()
    for layer in info.layers:
        print(f"  {layer.part} layer {layer.index + 1}: {layer.formula}")
    print()
    name_width = max(len(e.name) for e in info.extras) + 2
    for extra in info.extras:
        print(f"  {extra.name:<{name_width}}{extra.params:>11,}  {extra.shape}")
    print()
    print(f"total        {info.total_params:,} parameters (torch: two biases per gate block, b_ih and b_hh)")
    print(f"book's count {info.total_book_params:,} (one bias per gate block)")


def cmd_stack_show(args: argparse.Namespace) -> int:
    from rnnviz.core.models.anatomy import anatomy
    from rnnviz.core.models.presets import get_preset

    preset = get_preset(args.preset)
    info = anatomy(preset.config, _preset_vocab_sizes(preset, args.vocab))
    if args.json:
        _print_json({"preset": preset.name, "title": preset.title, "section": preset.section,
                     "task": preset.config.task, "config": preset.config.to_dict(),
                     "train": dict(preset.train), "note": preset.note,
                     "vocab_sizes": list(info.vocab_sizes),
                     "layers": [_layer_json(layer) for layer in info.layers],
                     "extras": info.to_dict()["extras"],
                     "total_params": info.total_params, "total_book_params": info.total_book_params})
        return 0
    _print_table(preset, info)
    return 0


def cmd_stack(args: argparse.Namespace) -> int:
    given = [name for name in _COST_OPTIONS if getattr(args, name, None)]
    if args.costs:
        if args.vocab is not None:
            raise ConfigError("--costs compares one recurrent layer of each cell; --vocab does not apply.")
        from rnnviz.cli.cell_costs import cmd_costs

        return cmd_costs(args)
    if given:
        raise ConfigError(f"--{given[0].replace('_', '-')} applies to the cost table; give --costs as well "
                          "(rnnviz stack --costs --hidden 256).")
    if args.preset is None:
        if args.vocab is not None:
            raise ConfigError("--vocab applies to a preset; give --preset NAME as well (rnnviz stack --list "
                              "shows the names).")
        return cmd_stack_list(args)
    return cmd_stack_show(args)


def add_commands(commands: argparse._SubParsersAction) -> None:
    stack = commands.add_parser(
        "stack", help="the book's models by name: layers, shapes and parameter counts",
        description="List the book's model presets, or show one layer by layer: input and hidden sizes "
                    "per direction, the book's parameter count (one bias per gate block) and torch's "
                    "(b_ih and b_hh), and the total of the model as built (embeddings, bridge and output "
                    "layer included).")
    which = stack.add_mutually_exclusive_group()
    which.add_argument("--list", action="store_true", help="list the presets with their titles (the default)")
    which.add_argument("--preset", metavar="NAME", help="show one preset, e.g. gru-lm or seq2seq")
    which.add_argument("--costs", action="store_true",
                       help="the cost of the RNN, GRU and LSTM at one hidden size (the book's exercise 3 of "
                            "section 10.1): parameters and FLOPs per token by formula, training and inference "
                            "tokens/s measured on this machine with torch's fused kernels")
    stack.add_argument("--vocab", type=in_range(VOCAB_SIZE), metavar="N",
                       help=ranged(VOCAB_SIZE, "vocabulary size, for every vocabulary of the model (default: 28 "
                                               "for language models, The Time Machine's characters; 200 for both "
                                               "the source and the target vocabulary of translation models)"))
    costs = stack.add_argument_group("the cost table (--costs)")
    costs.add_argument("--hidden", type=in_range(HIDDEN_SIZE), metavar="H",
                       help=ranged(HIDDEN_SIZE, "hidden size, and input size, of the layer compared; default 256"))
    costs.add_argument("--seconds", type=in_range(COST_SECONDS), metavar="S",
                       help=ranged(COST_SECONDS, "measuring time per cell, default 2"))
    costs.add_argument("--batch-size", type=in_range(BATCH_SIZE), metavar="B",
                       help=ranged(BATCH_SIZE, "windows per batch while measuring, default 32"))
    costs.add_argument("--num-steps", type=in_range(NUM_STEPS), metavar="T",
                       help=ranged(NUM_STEPS, "tokens per window while measuring, default 32"))
    costs.add_argument("--no-measure", action="store_true", help="the formulas only: measure nothing")
    stack.add_argument("--json", action="store_true", help="print JSON")
    stack.set_defaults(func=cmd_stack)
