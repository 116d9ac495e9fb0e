"""Corpora of several texts on the command line: ``rnnviz train --corpus A --corpus B`` and ``rnnviz data info A B``.

``--corpus`` may be given several times: the first is the corpus, the others are its
further sources (``DataConfig.sources``), one language model over all of them. At the end
of the run the validation perplexity of each source is printed (stderr, beside the
clipping summary). ``rnnviz data info A B`` says how much of the corpus each text is.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace

from rnnviz.cli.common import _print_json
from rnnviz.core.config import DataConfig

#: What --corpus says in `rnnviz train --help`.
CORPUS_HELP = ("a corpus name (rnnviz data list) or a file; default: the built-in phrasebook, or the preset's "
               "corpus. Give it again for a language model of several texts (--corpus a.txt --corpus b.txt, at "
               "most 16): one vocabulary, each text split into training and validation on its own, and the "
               "validation perplexity of each text said at the end")


def split_corpus_option(args: argparse.Namespace) -> None:
    """``--corpus`` given n times: the first stays ``args.corpus``, the others become ``args.sources``."""
    given = args.corpus
    if isinstance(given, list):
        args.corpus, args.sources = given[0], tuple(given[1:])
    else:
        args.sources = ()


def with_sources(config: DataConfig, args: argparse.Namespace) -> DataConfig:
    """The data settings with the further texts of ``--corpus`` (refused with a message where they do not fit)."""
    sources = getattr(args, "sources", ())
    return replace(config, sources=sources) if sources else config


def corpus_words(config: DataConfig) -> str:
    """"phrasebook-en", or "a.txt + b.txt" for several texts."""
    if not config.sources:
        return config.corpus
    from rnnviz.core.data.sources import source_labels

    return " + ".join(source_labels(list(config.all_sources)))


def report_sources(bundle, data) -> None:
    """Each source's validation perplexity, on stderr, for a model of several texts (nothing for one)."""
    if not getattr(data, "source_names", ()):
        return
    from rnnviz.core.data.sources import perplexity_by_source

    bundle.model.eval()
    rows = perplexity_by_source(bundle, data)
    width = max(len(r.source) for r in rows)
    print("validation perplexity by source:", file=sys.stderr)
    for row in rows:
        value = "no validation window" if row.perplexity is None else f"{row.perplexity:.3f}"
        print(f"  {row.source:<{width}}  {value}  ({row.tokens:,} tokens)", file=sys.stderr)


def info_of_several(names: list[str], as_json: bool) -> int:
    """``rnnviz data info A B …``: each text's characters and words once cleaned, and its share of the corpus."""
    from rnnviz.core.data.sources import common_cleaning, load_sources, source_shares

    config = DataConfig(corpus=names[0], sources=tuple(names[1:]))
    corpora = load_sources(config)
    rule = common_cleaning(corpora)
    shares = source_shares(corpora, rule, names)
    if as_json:
        _print_json({"task": "lm", "cleaning": rule,
                     "sources": [{"source": s.source, "path_or_name": n, "characters": s.characters,
                                  "words": s.words, "share": s.share} for s, n in zip(shares, names)]})
        return 0
    width = max(len("source"), *(len(s.source) for s in shares))
    print(f"{len(shares)} texts, one language-model corpus (cleaned with the {rule!r} rule; each text gives its "
          "own validation part)")
    print(f"  {'source':<{width}}  {'characters':>12}  {'words':>10}  {'share':>6}")
    for share in shares:
        print(f"  {share.source:<{width}}  {share.characters:>12,}  {share.words:>10,}  {share.share:>6.1%}")
    print("  train on them: rnnviz train lm " + " ".join(f"--corpus {shlex.quote(n)}" for n in names)
          + " --out model.pt")
    return 0
