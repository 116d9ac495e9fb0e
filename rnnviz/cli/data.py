"""``rnnviz data list|fetch|info``: the corpora rnnviz knows, the book's downloads, statistics."""

from __future__ import annotations

import argparse
from pathlib import Path

from rnnviz.cli.common import ProgressBar, _print_json, in_range, ranged
from rnnviz.core.errors import RnnvizError
from rnnviz.core.limits import INFO_TOP


def cmd_data_list(args: argparse.Namespace) -> int:
    from rnnviz.core.data.corpora import availability, list_corpora

    rows = [(c.name, c.task_name, c.source, c.size_bytes, availability(c), c.title) for c in list_corpora()]
    if args.json:
        keys = ("name", "task", "source", "size_bytes", "status", "title")
        _print_json([dict(zip(keys, row)) for row in rows])
        return 0
    print(f"{'name':<15}{'task':<17}{'source':<10}{'size':>10}  {'status':<16}title")
    for name, task, source, size, status, title in rows:
        print(f"{name:<15}{task:<17}{source:<10}{size / 1e3:>8.0f}kB  {status:<16}{title}")
    print("\nAny UTF-8 text file (language model) or tab-separated pairs (translation) "
          "works too: rnnviz data info PATH")
    return 0


def _fetch(name: str, quiet: bool) -> Path | None:
    """Download a registered corpus unless it is built in (None) or already cached."""
    from rnnviz.core.data import hub
    from rnnviz.core.data.corpora import get_info

    info = get_info(name)
    if info.remote is None:
        return None
    bar = None if quiet else ProgressBar(f"fetching {info.remote.filename}")
    try:
        return hub.fetch(info.remote, bar)
    finally:
        if bar:
            bar.close()


def cmd_data_fetch(args: argparse.Namespace) -> int:
    path = _fetch(args.name, args.quiet)
    print(f"{args.name}: built into rnnviz, nothing to fetch" if path is None else f"{args.name}: {path}")
    return 0


def _task_info(name: str, as_json: bool) -> int:
    """A task that needs memory: what it asks, and its default settings (rnnviz train NAME --help)."""
    from rnnviz.core.config import DataConfig
    from rnnviz.core.data.memory_tasks import DESCRIPTIONS, TITLES

    config = DataConfig(corpus=name).resolved(name)  # type: ignore[arg-type]
    settings = {key: getattr(config, key) for key in ("num_steps", "lag", "symbols", "copy_length", "num_train",
                                                       "num_val", "batch_size", "seed") if getattr(config, key) is not None}
    if as_json:
        _print_json({"name": name, "title": TITLES[name], "task": name, "source": "generated",
                     "description": DESCRIPTIONS[name], "defaults": settings})
        return 0
    print(f"{name} — {TITLES[name]}")
    print(f"  {DESCRIPTIONS[name]}")
    print("  defaults    " + ", ".join(f"{key} {value:,}" for key, value in settings.items()))
    print(f"  train it    rnnviz train {name} --out FILE (options: rnnviz train --help)")
    return 0


def cmd_data_info(args: argparse.Namespace) -> int:
    from rnnviz.core.data.corpora import get_info, load_corpus
    from rnnviz.core.data.stats import LmStats, corpus_stats, stats_to_dict

    if len(args.corpus) > 1:  # several texts: each one's share of the corpus
        from rnnviz.cli.sources import info_of_several

        if args.task == "mt":
            raise RnnvizError("several texts make one language-model corpus; --task mt reads one file of pairs.")
        return info_of_several(args.corpus, args.json)
    args.corpus = args.corpus[0]
    registered = True
    try:
        get_info(args.corpus)
    except RnnvizError:
        registered = False
    if registered and get_info(args.corpus).source == "generated":
        return _task_info(args.corpus, args.json)
    if registered:
        _fetch(args.corpus, quiet=args.json)
    corpus = load_corpus(args.corpus, args.task)
    stats = corpus_stats(corpus)
    summary = stats_to_dict(stats, top=args.top)
    if args.json:
        _print_json(summary)
        return 0
    print(f"{summary['name']} — {summary['title']} ({corpus.info.task_name})")
    print(f"  provenance  {summary['provenance']}")
    print(f"  size        {summary['size_bytes']:,} bytes")
    if isinstance(stats, LmStats):
        print(f"  text        {stats.n_words:,} words, {stats.n_chars:,} characters after cleaning ({stats.cleaning})")
        print(f"  vocabulary  {stats.char_vocab_size} characters, {stats.word_vocab_size:,} words (<unk> included)")
        for label, key in (("top words", "top_words"), ("bigrams", "top_bigrams"), ("trigrams", "top_trigrams")):
            print(f"  {label:<11} " + ", ".join(f"{w} {n}" for w, n in summary[key]))
        return 0
    print(f"  pairs       {stats.n_pairs:,}")
    print(f"  tokens      {stats.src_tokens:,} source, {stats.tgt_tokens:,} target")
    print(f"  vocabulary  {stats.src_vocab_size:,} source, {stats.tgt_vocab_size:,} target "
          "(tokens seen at least twice, plus <pad> <bos> <eos> <unk>)")
    print("  top source  " + ", ".join(f"{w} {n}" for w, n in summary["top_source_tokens"]))
    print("  top target  " + ", ".join(f"{w} {n}" for w, n in summary["top_target_tokens"]))
    hist = summary["length_histogram"]
    peak = max(max(hist["source"]), max(hist["target"]), 1)
    print("  tokens per sentence (source | target)")
    for length, src, tgt in zip(hist["lengths"], hist["source"], hist["target"]):
        if src or tgt:
            print(f"  {length:>4} {src:>8,} {'#' * round(20 * src / peak):<20} | {tgt:>8,} {'#' * round(20 * tgt / peak)}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    data = commands.add_parser("data", help="corpora: list, fetch the book's data sets, statistics")
    data.set_defaults(func=lambda _args: (data.print_help(), 0)[1])
    data_commands = data.add_subparsers(title="data commands", metavar="ACTION")
    listing = data_commands.add_parser("list", help="every corpus rnnviz knows, and where it would be read from")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_data_list)
    fetch = data_commands.add_parser("fetch", help="download one of the book's data sets (SHA-1 verified)")
    fetch.add_argument("name", help="a corpus name, e.g. time-machine or fra-eng")
    fetch.add_argument("--quiet", action="store_true", help="no progress bar")
    fetch.set_defaults(func=cmd_data_fetch)
    info = data_commands.add_parser("info", help="statistics of a corpus or a text file")
    info.add_argument("corpus", metavar="NAME|PATH", nargs="+",
                      help="a corpus name or the path of a text file; several: one language-model corpus of "
                           "them all, with each text's share")
    info.add_argument("--task", choices=("lm", "mt"), help="for files: language model or translation "
                      "(default: translation if the file is .tsv or its first line has a TAB)")
    info.add_argument("--top", type=in_range(INFO_TOP), default=10,
                      help=ranged(INFO_TOP, "how many frequent tokens to show, default 10"))
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=cmd_data_info)
