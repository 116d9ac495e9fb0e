"""``rnnviz beam``: greedy, beam and exhaustive search on a toy probability table, headless.

Text output: the hypotheses (probability, log-probability, score), then one
line per step: candidates considered, how many were kept, finished and pruned,
and the survivors with their probabilities. ``--json`` prints one object::

    {"toy": {"name", "vocab", "eos"}, "strategy", "options", "vocab_size", "eos",
     "hypotheses": [{"ids", "tokens", "log_prob", "probability", "score", "finished", "node"}, ...],
     "tree": {"root", "steps": [{"step", "considered", "kept", "finished", "pruned", "survivors"}],
              "nodes": [{"id", "parent", "token", "text", "step", "log_prob", "cum_log_prob",
                         "score", "status"}, ...]}}

(see :meth:`rnnviz.core.decoding.BeamResult.to_dict`; a log-probability of -inf is null).
"""

from __future__ import annotations

import argparse
import json
import math

from rnnviz.cli.common import in_range, ranged
from rnnviz.core.decoding import CANDIDATE_RULES, LENGTH_PENALTIES, STRATEGIES
from rnnviz.core.decoding.toy import BUILTIN_TOYS, D2L_BEAM_SIZE, D2L_MAX_LEN
from rnnviz.core.errors import RnnvizError
from rnnviz.core.limits import ALPHA, BEAM_SIZE, DECODE_MAX_LEN, MIN_LEN, NBEST

FILE_MAX_LEN = 10  # a toy file's sequences may be longer than the book's four steps
SHOWN_SURVIVORS = 6  # survivors listed per step in the text table; the rest are counted
SHOWN_TOKENS = 12  # of a longer survivor, the step table shows the last tokens


def add_beam_options(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
    """The search options shared by ``rnnviz beam`` and ``rnnviz translate --beam``.

    With ``defaults=False`` every option defaults to None, so a caller can tell
    what was given.
    """
    def default(value):
        return value if defaults else None

    parser.add_argument("--alpha", type=in_range(ALPHA), default=default(0.75),
                        help=ranged(ALPHA, "length-penalty exponent α, default 0.75, the book's"))
    parser.add_argument("--length-penalty", choices=LENGTH_PENALTIES, default=default("book"),
                        help="book: log P / L^α; gnmt: log P / ((5+L)/6)^α; none: log P "
                             "(L counts the tokens with <eos>; default book)")
    parser.add_argument("--nbest", type=in_range(NBEST), default=default(1),
                        help=ranged(NBEST, "how many hypotheses to show, default 1"))
    parser.add_argument("--min-len", type=in_range(MIN_LEN), default=default(0),
                        help=ranged(MIN_LEN, "<eos> is not allowed before this many tokens, default 0; below "
                                             "--max-len"))
    parser.add_argument("--candidates", choices=CANDIDATE_RULES, default=default("eos"),
                        help="eos: finished hypotheses, and unfinished ones at the maximum length (default); "
                             "book: every step's survivors, finished or not (the book's literal rule)")


def _fmt_prob(log_prob: float) -> str:
    return "0" if log_prob == -math.inf else f"{math.exp(log_prob):.4g}"


def cmd_beam(args: argparse.Namespace) -> int:
    from rnnviz.core.decoding import BeamOptions, beam_search, exhaustive_search, greedy_search, load_toy

    toy = load_toy(args.toy)
    builtin = args.toy in BUILTIN_TOYS
    max_len = args.max_len if args.max_len is not None else (D2L_MAX_LEN if builtin else FILE_MAX_LEN)
    if args.beam is not None and args.strategy != "beam":
        raise RnnvizError(f"--beam applies to beam search; {args.strategy} search "
                          f"{'is a beam of 1' if args.strategy == 'greedy' else 'keeps every candidate'}. "
                          "Drop --beam, or use --strategy beam.")
    beam_size = args.beam if args.beam is not None else (1 if args.strategy == "greedy" else D2L_BEAM_SIZE)
    options = BeamOptions(beam_size=beam_size, max_len=max_len,
                          nbest=args.nbest, min_len=args.min_len, alpha=args.alpha,
                          length_penalty=args.length_penalty, candidates=args.candidates)
    if args.strategy == "greedy":
        result = greedy_search(toy.step, toy.vocab_size, toy.eos, options=options)
    elif args.strategy == "exhaustive":
        result = exhaustive_search(toy.step, toy.vocab_size, toy.eos, options=options)
    else:
        result = beam_search(toy.step, toy.vocab_size, toy.eos, options)
    if args.json:
        data = result.to_dict(toy.vocab, include_pruned=args.tree == "all")
        if args.tree == "none":
            del data["tree"]
        data["toy"] = {"name": toy.name, "vocab": list(toy.vocab), "eos": toy.eos_token}
        print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    _print_text(toy, result)
    return 0


def _tail(toy, tree, node: int, length: int) -> str:
    """A survivor's tokens; of a long one only the last SHOWN_TOKENS (a line per step stays short)."""
    text = " ".join(toy.decode(tree.tokens(node, last=SHOWN_TOKENS)))
    return text if length <= SHOWN_TOKENS else f"… {text}"


def _print_text(toy, result) -> None:
    o = result.options
    width = "" if result.strategy != "beam" else f"beam {o.beam_size}, "
    penalty = "none" if o.length_penalty == "none" else f"{o.length_penalty} (alpha {o.alpha:g})"
    print(f"toy table {toy.name}: {' '.join(toy.vocab)} (ends with {toy.eos_token})")
    print(f"{result.strategy} search: {width}max length {o.max_len}"
          f"{f', min length {o.min_len}' if o.min_len else ''}, length penalty {penalty}, candidates {o.candidates}")
    print()
    rows = [(str(i), " ".join(toy.decode(h.tokens)), _fmt_prob(h.log_prob), f"{h.log_prob:.4f}", f"{h.score:.4f}")
            for i, h in enumerate(result.hypotheses, 1)]
    widths = [max(len(r[c]) for r in rows + [("rank", "hypothesis", "probability", "log P", "score")])
              for c in range(5)]
    header = ("rank", "hypothesis", "probability", "log P", "score")
    for row in [header, *rows]:
        print(f"{row[0]:>{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]:>{widths[3]}}  "
              f"{row[4]:>{widths[4]}}")
    print()
    tree = result.tree
    print("step  considered  kept  finished  pruned  survivors (probability)")
    for s in result.steps():
        shown = " · ".join(f"{_tail(toy, tree, i, s.step)} {_fmt_prob(tree.node(i).cum_log_prob)}"
                           for i in s.survivors[:SHOWN_SURVIVORS])
        if len(s.survivors) > SHOWN_SURVIVORS:
            shown += f" · … (+{len(s.survivors) - SHOWN_SURVIVORS} more)"
        print(f"{s.step:>4}  {s.considered:>10}  {s.kept:>4}  {s.finished:>8}  {s.pruned:>6}  {shown}")


def add_commands(commands: argparse._SubParsersAction) -> None:
    beam = commands.add_parser(
        "beam", help="greedy, beam or exhaustive search on a toy probability table (the book's section 10.8)",
        description="Search a toy next-token probability table and show the hypotheses and, step by step, "
                    "the candidates considered and the survivors. --toy d2l is the book's example: greedy "
                    "search finds A B C <eos> (0.048), beam search A C B <eos> (0.054).",
        epilog="A toy FILE is JSON: {\"vocab\": [\"A\", \"B\", \"<eos>\"], \"eos\": \"<eos>\", "
               "\"table\": {\"\": [0.5, 0.3, 0.2], \"A\": [0.1, 0.6, 0.3]}, \"default\": [0.3, 0.3, 0.4]}: "
               "for each prefix (tokens joined by spaces, \"\" for the first step) the probabilities of the "
               "next token in vocab order; default for every other prefix.")
    beam.add_argument("--toy", default="d2l", metavar="d2l|FILE", help="a built-in table (d2l) or a JSON file")
    beam.add_argument("--strategy", choices=STRATEGIES, default="beam", help="default: beam")
    beam.add_argument("--beam", type=in_range(BEAM_SIZE), metavar="K",
                      help=ranged(BEAM_SIZE, f"beam size (beam search; default {D2L_BEAM_SIZE}, as the book's "
                                             "figure 10.8.3)"))
    beam.add_argument("--max-len", type=in_range(DECODE_MAX_LEN), metavar="T",
                      help=ranged(DECODE_MAX_LEN, f"at most this many tokens, <eos> included (default "
                                                  f"{D2L_MAX_LEN} for d2l, the four time steps of the book's "
                                                  f"figures; {FILE_MAX_LEN} for a file)"))
    add_beam_options(beam)
    beam.add_argument("--json", action="store_true", help="print JSON: hypotheses, per-step counts and the tree")
    beam.add_argument("--tree", choices=("all", "survivors", "none"), default="all",
                      help="with --json: every node (default), only the survivors, or no tree")
    beam.set_defaults(func=cmd_beam)
