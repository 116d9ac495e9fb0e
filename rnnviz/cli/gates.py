"""``rnnviz gates``: trace every gate of a model over a text, and save the trace as NPZ and/or CSV.

A language model writes one trace. A translation model writes two, the
encoder over the source sentence and the decoder over the model's own greedy
translation: the NPZ goes to two files named by ``introspect.part_path``
(``--out trace.npz`` -> ``trace.encoder.npz`` and ``trace.decoder.npz``), the
CSV to one file whose ``part`` column says which is which. The formats are
documented in ``rnnviz.core.introspect``. A summary, and any notices about the
input, go to stderr; a failed write leaves an existing file as it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnnviz.cli.common import add_run_options, in_range, load_model, ranged
from rnnviz.core.errors import RnnvizError
from rnnviz.core.limits import TRACE_TOKENS, check_memory


def _summary(trace) -> str:
    first = trace.directions[0]
    sizes = "/".join(str(d.hidden_size) for d in trace.directions)
    return (f"{trace.part}: {trace.num_steps} steps × {trace.num_layers} layer(s) × {trace.num_directions} "
            f"direction(s) of {trace.variant_description}; hidden {sizes}, input {first.input_size}; "
            f"gates {', '.join(trace.gate_names)}")


def trace_bytes(config, input_size: int, tokens: int) -> int:
    """About how many bytes tracing ``tokens`` steps of a model takes: every gate, the hidden and
    cell states and the input of every layer-direction (float32), held twice while exported."""
    from rnnviz.core.config import GATES

    stacks = [config.stack] if config.decoder is None else [config.stack, config.decoder]
    width = config.embed_size or input_size
    floats = sum((len(GATES[s.cell]) + 2) * h + s.layer_input_size(k, width)
                 for s in stacks for k in range(s.num_layers) for h in s.direction_sizes(k))
    return 2 * 4 * floats * tokens


def cmd_gates(args: argparse.Namespace) -> int:
    from rnnviz.core.introspect import DEFAULT_MAX_TOKENS, trace_lm, trace_translation
    from rnnviz.core.introspect.records import export_traces

    if not args.out and not args.csv:
        raise RnnvizError("nothing to write: give --out FILE.npz (every array) and/or --csv FILE.csv "
                          "(the gate values, one row each).")
    bundle = load_model(args.checkpoint, args.task, run=args.run, epoch=args.epoch)  # task None: the file's
    tokens = args.max_tokens or (DEFAULT_MAX_TOKENS if bundle.task == "lm" else bundle.max_len)
    check_memory(f"tracing {tokens:,} tokens", trace_bytes(bundle.model_config, len(bundle.vocabs[0]), tokens),
                 "give a smaller --max-tokens, or a shorter text.")
    if bundle.task == "lm":
        traces = [trace_lm(bundle, args.text, DEFAULT_MAX_TOKENS if args.max_tokens is None else args.max_tokens)]
    else:
        traces = list(trace_translation(bundle, args.text, args.max_tokens))
    # NPZ and CSV are one export: both are written, or neither (an older file is then kept).
    written: list[Path] = export_traces(traces, args.out or None, args.csv or None)
    for trace in traces:
        print(_summary(trace), file=sys.stderr)
        print(f"  tokens: {' '.join(repr(t) if not t.strip() else t for t in trace.tokens)}", file=sys.stderr)
        if trace.predicted:
            print(f"  predicted: {' '.join(repr(t) if not t.strip() else t for t in trace.predicted)}",
                  file=sys.stderr)
        for notice in trace.notices:
            print(f"note: {notice}", file=sys.stderr)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    gates = commands.add_parser(
        "gates", help="trace every gate of a model over a text; save the trace as NPZ and/or CSV",
        description="Run a model over a text and record, for every layer, direction and time step, its gates "
                    "(GRU: reset, update, candidate, hidden; LSTM: input, forget, output, candidate, cell, hidden; "
                    "RNN: preactivation, hidden), computed with the equations of the model's cell variant.",
        epilog="A translation model traces the encoder over the sentence and the decoder over the model's "
               "greedy translation: --out trace.npz then writes trace.encoder.npz and trace.decoder.npz, and "
               "--csv writes both into one file with a 'part' column. NPZ keys: tokens, cell_variant, part, "
               "notices, predicted, and {layer}/{forward|backward}/{gate|x|weight_ih|weight_hh|bias_ih|bias_hh|"
               "h0|c0}; read one back with rnnviz.core.introspect.GateTrace.from_npz. CSV columns: part, layer, "
               "direction, gate, step, token, unit, value.")
    gates.add_argument("--checkpoint", help="a checkpoint; its task decides what is traced "
                       "(default: the shipped model for --task)")
    add_run_options(gates)
    gates.add_argument("--task", choices=("lm", "mt"),
                       help="without --checkpoint: the shipped language model (lm, the default) or translation "
                            "model (mt); with one: refuse a checkpoint of the other task")
    gates.add_argument("--text", required=True,
                       help="the text to read (language model), or the source sentence (translation)")
    gates.add_argument("--out", metavar="FILE.npz", help="write every array as NPZ (two files for translation)")
    gates.add_argument("--csv", metavar="FILE.csv", help="write the gate values as a long-format CSV")
    gates.add_argument("--max-tokens", type=in_range(TRACE_TOKENS), metavar="N",
                       help=ranged(TRACE_TOKENS, "language model: trace the first N tokens (default 500); "
                                                 "translation: let the translation run to N tokens (default: the "
                                                 "model's num_steps)"))
    gates.set_defaults(func=cmd_gates)
