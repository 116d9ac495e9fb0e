"""``rnnviz grads``: gradients through time of a model over a text, saved as NPZ or CSV, summarised as JSON.

A language model reads ``--text``; a translation model reads ``--text`` as the
source sentence and is scored on ``--reference`` (teacher forcing). ``--out``
writes every array as NPZ (``.npz``) or the values as a long-format CSV
(``.csv``); ``--json`` prints a summary to stdout (tokens, per layer and
direction g and the ratio g[1]/g[n−1]). A short summary and the notices go to
stderr. The formats are documented in ``rnnviz.core.gradients.export``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from rnnviz.cli.common import _print_json, add_run_options, in_range, load_model, ranged
from rnnviz.core.errors import RnnvizError
from rnnviz.core.limits import GRADIENT_SEQUENCE, GRADIENT_TOKENS

_SUFFIXES = (".npz", ".csv")


def _ratio(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3g}"


def _describe(result) -> list[str]:
    lines = []
    for stack in result.parts:
        what = "the whole target's loss" if stack.part == "encoder" else "the last loss"
        lines.append(f"{stack.part}: {stack.steps} steps × {stack.num_layers} layer(s) × {stack.num_directions} "
                     f"direction(s) of {stack.cell_variant}; g = ‖∂ℓ/∂H_t‖ for {what}")
        for d in stack.layers:
            finite = [v for v in d.g.tolist() if not math.isnan(v)]
            span = f"{min(finite):.3g} … {max(finite):.3g}" if finite else "n/a"
            lines.append(f"  layer {d.layer} {d.direction}: g from {span}; g[1]/g[{stack.steps}] = "
                         f"{_ratio(d.shrink)}")
    losses = [v for v in result.losses.tolist() if not math.isnan(v)]
    lines.append(f"mean loss {sum(losses) / len(losses):.3f} over {len(losses)} step(s)")
    return lines


def cmd_grads(args: argparse.Namespace) -> int:
    if not args.out and not args.json:
        raise RnnvizError("nothing to write: give --out FILE.npz (every array) or --out FILE.csv (one row per "
                          "value), and/or --json (a summary on stdout).")
    out = Path(args.out).expanduser() if args.out else None
    if out is not None and out.suffix.lower() not in _SUFFIXES:
        raise RnnvizError(f"--out {args.out}: the file name must end in .npz (every array) or .csv (one row "
                          "per value).")
    own = args.checkpoint is None and args.run is None  # the shipped model
    task = args.task or ("mt" if args.reference is not None and own else None)
    bundle = load_model(args.checkpoint, task, run=args.run, epoch=args.epoch)  # None: whichever it holds
    from rnnviz.core.gradients import (
        DEFAULT_MAX_TOKENS, export_gradients, gradients_lm, gradients_memory, gradients_translation,
    )

    if bundle.task not in ("lm", "mt"):  # a task that needs memory: it reads its own generated sequences
        if args.text is not None or args.reference is not None:
            raise RnnvizError(f"this is a {bundle.task} model: it reads the sequences of its task, generated from "
                              "its seed, not a text; leave out --text and --reference and pick one with "
                              "--sequence K (1 for the first validation sequence).")
        result = gradients_memory(bundle, (args.sequence or 1) - 1)
    elif args.text is None:
        raise RnnvizError("give the text to read with --text (the source sentence for a translation model).")
    elif args.sequence is not None:
        raise RnnvizError("--sequence picks a validation sequence of a recall, adding or copy model; this model "
                          "reads --text. Leave --sequence out.")
    elif bundle.task == "lm":
        if args.reference is not None:
            raise RnnvizError("this is a language model: it reads one text (--text) and predicts each next "
                              "token; --reference is for translation models. Leave it out.")
        result = gradients_lm(bundle, args.text, args.max_tokens or DEFAULT_MAX_TOKENS,
                              allow_unknown=args.allow_unknown)
    else:
        result = gradients_translation(bundle, args.text, args.reference, args.max_tokens,
                                       allow_unknown=args.allow_unknown)
    written: list[Path] = []
    if out is not None:
        is_npz = out.suffix.lower() == ".npz"
        written = export_gradients(result, npz=out if is_npz else None, csv_path=None if is_npz else out)
    for line in _describe(result):
        print(line, file=sys.stderr)
    for notice in result.notices:
        print(f"note: {notice}", file=sys.stderr)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    if args.json:
        _print_json(result.summary())
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    grads = commands.add_parser(
        "grads", help="gradients through time: how much each step's state matters to each loss (NPZ, CSV, JSON)",
        description="Read a text with a model and compute, exactly by autograd on its own weights, for every "
                    "layer and direction: g[t] = ‖∂ℓ_{n−1}/∂H_t‖ (how much the state at step t matters to the "
                    "last prediction), the map G[s, t] = ‖∂ℓ_s/∂H_t‖, the input attribution ‖∂ℓ/∂X_t‖ and, "
                    "for an LSTM, the same for its memory cell C_t. ℓ_s is the cross-entropy of predicting "
                    "token s+1 at step s.",
        epilog="A translation model reads --text as the source sentence and is scored on --reference, its "
               "translation (teacher forcing); its encoder gets g for the whole target's loss. NPZ keys: "
               "tokens, losses, g/{layer}/{forward|backward}, G/…, x/1/…, X/1/…, cell_g/…, cell_G/… (layers "
               "from 1), and encoder/… with source_tokens for translation; read one back with "
               "rnnviz.core.gradients.Gradients.from_npz. CSV columns: part, quantity, layer, direction, s, t, "
               "target, token, value. NaN (no CSV row) marks a state a loss cannot reach: above the diagonal "
               "of G for a forward direction, below it for the top backward one.")
    grads.add_argument("--checkpoint", help="a checkpoint (default: the shipped model for --task)")
    grads.add_argument("--task", choices=("lm", "mt"),
                       help="without --checkpoint: the shipped language model (lm, the default; mt when "
                            "--reference is given) or translation model (mt); with one: refuse a checkpoint "
                            "of the other task")
    add_run_options(grads)
    grads.add_argument("--text",
                       help="the text to read (language model), or the source sentence (translation)")
    grads.add_argument("--sequence", type=in_range(GRADIENT_SEQUENCE), metavar="K",
                       help=ranged(GRADIENT_SEQUENCE, "a recall, adding or copy model: its K-th validation "
                                                      "sequence, regenerated from its seed (default 1)"))
    grads.add_argument("--reference", help="translation: the reference translation the decoder is scored on")
    grads.add_argument("--out", metavar="FILE.npz|FILE.csv",
                       help="write every array (.npz) or one row per value (.csv)")
    grads.add_argument("--json", action="store_true",
                       help="print a summary as JSON on stdout: tokens, losses, g per layer and direction, "
                            "ratio g[1]/g[n-1]")
    grads.add_argument("--max-tokens", type=in_range(GRADIENT_TOKENS), metavar="N",
                       help=ranged(GRADIENT_TOKENS, "language model: the first N tokens of the text (default "
                                                    "500); translation: the first N tokens of the reference "
                                                    "with <eos> (default: the model's num_steps)"))
    grads.add_argument("--allow-unknown", action="store_true",
                       help="read tokens the model's vocabulary lacks as <unk> (with a note) instead of refusing")
    grads.set_defaults(func=cmd_grads)
