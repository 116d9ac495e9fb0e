"""``rnnviz translate --bleu-by-length``: the model's validation pairs translated greedily, BLEU grouped
by source length (the book's exercise 2 of section 10.7)."""

from __future__ import annotations

import argparse
import json
import sys

from rnnviz.cli.common import load_model
from rnnviz.core.errors import RnnvizError


def cmd_bleu_by_length(args: argparse.Namespace) -> int:
    from rnnviz.core.decoding.by_length import bleu_by_length, validation_pairs

    if args.sentences:
        raise RnnvizError("--bleu-by-length translates the model's own validation pairs; leave the sentences out.")
    if args.beam is not None:
        raise RnnvizError("--bleu-by-length translates greedily, as the book's predict_step; leave --beam out.")
    bundle = load_model(args.checkpoint, "mt", run=args.run, epoch=args.epoch)
    pairs = validation_pairs(bundle)
    result = bleu_by_length(bundle, pairs)
    if args.json:
        print(json.dumps({"k": result.k, "pairs": len(result.pairs), "mean_bleu": result.mean_bleu,
                          "buckets": [{"low": b.low, "high": b.high, "count": b.count, "mean_bleu": b.mean_bleu,
                                       "exact": b.exact} for b in result.buckets]}, indent=2))
        return 0
    print(f"BLEU (k = {result.k}) by source length, {len(result.pairs):,} validation pairs of "
          f"{bundle.data_config.corpus}, greedy translation; mean BLEU {result.mean_bleu:.3f}", file=sys.stderr)
    print(f"{'source words':>12}  {'pairs':>6}  {'mean BLEU':>9}  {'exact':>6}")
    for bucket in result.buckets:
        bar = "#" * round(30 * bucket.mean_bleu)
        print(f"{bucket.label:>12}  {bucket.count:>6,}  {bucket.mean_bleu:>9.3f}  {bucket.exact:>6,}  {bar}")
    return 0
