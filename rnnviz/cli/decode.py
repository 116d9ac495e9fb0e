"""``rnnviz generate`` and ``rnnviz translate``: decode with a model (a checkpoint or the shipped one)."""

from __future__ import annotations

import argparse
import json
import sys

from rnnviz.cli.beam import add_beam_options
from rnnviz.cli.common import add_run_options, in_range, load_model, ranged
from rnnviz.core.errors import RnnvizError
from rnnviz.core.limits import BEAM_SIZE, DECODE_MAX_LEN, GENERATION_LENGTH, SEED, TEMPERATURE


def cmd_generate(args: argparse.Namespace) -> int:
    from rnnviz.core.decoding import generate

    bundle = load_model(args.checkpoint, "lm", run=args.run, epoch=args.epoch)
    # Temperature 0 samples greedily (generate() says so); it must never fall back to 1.
    strategy = "sample" if args.temperature is not None else "greedy"
    temperature = args.temperature if args.temperature is not None else 1.0
    result = generate(bundle, args.prefix, args.length, strategy, temperature, args.seed)
    for notice in result.notices:
        print(f"note: {notice}", file=sys.stderr)
    print(result.text)
    return 0


_BEAM_FLAGS = ("alpha", "length_penalty", "nbest", "min_len", "candidates", "max_len")


def _beam_options(args: argparse.Namespace, bundle):
    """BeamOptions from ``rnnviz translate --beam K ...``; None for greedy translation."""
    from rnnviz.core.decoding import BeamOptions

    if args.beam is None:
        given = [f"--{name.replace('_', '-')}" for name in _BEAM_FLAGS if getattr(args, name) is not None]
        if given:
            raise RnnvizError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to beam search; "
                              "add --beam K (--beam 1 is greedy search).")
        return None
    chosen = {name: getattr(args, name) for name in _BEAM_FLAGS if getattr(args, name) is not None}
    chosen.setdefault("max_len", bundle.max_len)  # as greedy translation
    return BeamOptions(beam_size=args.beam, **chosen)


def cmd_translate(args: argparse.Namespace) -> int:
    from rnnviz.core.decoding import translate, translate_beam

    if args.bleu_by_length:
        from rnnviz.cli.bleu_length import cmd_bleu_by_length

        return cmd_bleu_by_length(args)
    sentences = list(args.sentences) or [line.strip() for line in sys.stdin if line.strip()]
    if not sentences:
        raise RnnvizError("there is nothing to translate: give sentences as arguments or on standard input.")
    bundle = load_model(args.checkpoint, "mt", run=args.run, epoch=args.epoch)
    options = _beam_options(args, bundle)
    if options is None and args.tree is not None:
        raise RnnvizError("--tree applies to beam search with --json; add --beam K.")
    results = []
    for sentence in sentences:
        result = translate(bundle, sentence) if options is None else translate_beam(bundle, sentence, options)
        results.append(result)
        if not args.json:
            for notice in result.notices:
                print(f"note: {sentence!r}: {notice}", file=sys.stderr)
            print(f"{sentence} => {result.text}")
            if options is not None and options.nbest > 1:
                for rank, h in enumerate(result.hypotheses, 1):
                    print(f"  {rank}. {h.text}  (log P {h.log_prob:.3f}, score {h.score:.3f}"
                          f"{'' if h.finished else ', unfinished'})")
    if args.json and options is not None:
        tree = args.tree or "survivors"
        data = [r.to_dict(include_pruned=tree == "all") for r in results]
        if tree == "none":
            for entry in data:
                del entry["tree"]
        print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
    elif args.json:
        print(json.dumps([{"source": r.source, "translation": r.text, "tokens": list(r.tokens),
                           "source_tokens": list(r.source_tokens), "unknown": list(r.unknown),
                           "trimmed": r.trimmed, "notices": list(r.notices)} for r in results],
                         indent=2, ensure_ascii=False))
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    gen = commands.add_parser("generate", help="continue a prefix with a language model")
    gen.add_argument("--checkpoint", help="a language-model checkpoint (default: the shipped one)")
    add_run_options(gen)
    gen.add_argument("--prefix", required=True, help="text to continue, e.g. 'time traveller '")
    gen.add_argument("--length", type=in_range(GENERATION_LENGTH), default=50,
                     help=ranged(GENERATION_LENGTH, "tokens to generate, default 50"))
    gen.add_argument("--temperature", type=in_range(TEMPERATURE, special=True), metavar="T",
                     help="sample with temperature T: below 1 sharper, above 1 flatter; 0 is greedy, the same as "
                          f"leaving it out ({TEMPERATURE.range_text()}; default: greedy)")
    gen.add_argument("--seed", type=in_range(SEED), help=ranged(SEED, "seed for sampling"))
    gen.set_defaults(func=cmd_generate)

    tr = commands.add_parser(
        "translate", help="translate sentences (arguments, or one per line on stdin), greedily or by beam search",
        description="Translate with the model's greedy search (the book's predict_step), or with beam search "
                    "given --beam K. Beam search shows the best hypothesis, and with --nbest N the N best "
                    "with their log-probability and length-normalised score.",
        epilog="--json prints a list with one object per sentence. Greedy: source, translation, tokens, "
               "source_tokens, unknown, trimmed, notices. With --beam, also: strategy, options, hypotheses "
               "(best first, each with tokens (no <eos>), text, log_prob, score, finished, node) and tree "
               "(root, steps with the candidates considered/kept/finished/pruned per step, nodes with id, parent, "
               "token, text, step, log_prob, cum_log_prob, score, status); translation and tokens are the best "
               "hypothesis's.")
    tr.add_argument("sentences", nargs="*", metavar="SENTENCE")
    tr.add_argument("--checkpoint", help="a translation checkpoint (default: the shipped one)")
    add_run_options(tr)
    tr.add_argument("--beam", type=in_range(BEAM_SIZE), metavar="K",
                    help=ranged(BEAM_SIZE, "beam search with beam size K (default: greedy search)"))
    tr.add_argument("--max-len", type=in_range(DECODE_MAX_LEN), metavar="T",
                    help=ranged(DECODE_MAX_LEN, "beam search: at most T tokens, <eos> included (default: the "
                                                "model's num_steps)"))
    add_beam_options(tr, defaults=False)
    tr.add_argument("--json", action="store_true", help="print JSON (see below)")
    tr.add_argument("--bleu-by-length", action="store_true",
                    help="translate the model's validation pairs greedily and print the book's BLEU (k = 2) "
                         "grouped by source length, with the pairs and exact matches per group (exercise 2 of "
                         "section 10.7); with --json: k, pairs, mean_bleu, buckets (low, high, count, "
                         "mean_bleu, exact)")
    tr.add_argument("--tree", choices=("all", "survivors", "none"),
                    help="beam search with --json: the tree's nodes: all (k·|V| candidates a step), "
                         "survivors (default), or none")
    tr.set_defaults(func=cmd_translate)
