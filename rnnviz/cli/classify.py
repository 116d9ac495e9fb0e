"""``rnnviz classify`` and ``rnnviz context``: sequence classification and a word's states in context.

``classify`` trains the bidirectional classifier of the book's exercise in section 10.4 (mean-pooled
outputs, then an MLP) on the phrasebook's sentences labelled statement / question / negation, or on a
user's TSV file (text TAB label), and prints the validation accuracy, the confusion matrix and each
class's precision and recall. ``context WORD "A" "B"`` compares the word's hidden states in two
sentences, per layer and direction (cosine similarity), for a language-model checkpoint or, without
one, for a classifier trained briefly on the phrasebook labels.
"""

from __future__ import annotations

import argparse
import sys

from rnnviz.cli.common import _print_json, in_range, ranged
from rnnviz.core.limits import EPOCHS, HIDDEN_SIZE, NUM_LAYERS

#: The classifier ``context`` trains when no checkpoint is given: sentences per class and epochs.
CONTEXT_PER_CLASS, CONTEXT_EPOCHS = 200, 3


def _progress(quiet: bool):
    def progress(fraction: float, text: str) -> None:
        if not quiet:
            print(f"\r{100 * fraction:3.0f}% {text:<50}", end="", file=sys.stderr, flush=True)
    return progress


def _clear(quiet: bool) -> None:
    if not quiet:
        print("\r" + " " * 56 + "\r", end="", file=sys.stderr)


def _spec(cell: str, hidden: int, layers: int):
    from rnnviz.core.config import StackSpec

    return StackSpec(cell, (hidden,) * layers, bidirectional=True)  # type: ignore[arg-type]


def cmd_classify(args: argparse.Namespace) -> int:
    from rnnviz.core.classify import evaluate, phrasebook_data, train_classifier, tsv_data

    data = tsv_data(args.tsv) if args.tsv else phrasebook_data()
    for notice in data.notices:
        print(f"rnnviz: note: {notice}", file=sys.stderr)
    spec = _spec(args.cell, args.hidden, args.layers)
    trained = train_classifier(data, spec, epochs=args.epochs, progress=_progress(args.json))
    _clear(args.json)
    result = evaluate(trained.model, data)
    if args.json:
        _print_json({"data": data.source, "train": len(data.train), "validation": len(data.val),
                     "vocabulary": len(data.vocab), "epochs": trained.epochs, "cell": args.cell,
                     "hidden": args.hidden, "layers": args.layers, **result.to_dict()})
        return 0
    print(f"{data.source}: {len(data.train)} training and {len(data.val)} validation examples, "
          f"{len(data.labels)} classes, {len(data.vocab)} words")
    cell = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}.get(args.cell, args.cell)
    print(f"model: bidirectional {cell}, {args.layers} layer(s) of {args.hidden} units a direction, "
          f"outputs averaged over time, then an MLP; {trained.epochs} epoch(s)\n")
    print(f"validation accuracy {result.accuracy:.1%} (always the commonest class: {result.chance:.1%})\n")
    print(result.confusion_text() + "\n")
    print(f"{'class':<16}{'precision':>10}{'recall':>10}")
    for label, p, r in zip(result.labels, result.precision(), result.recall()):
        print(f"{label:<16}{'—' if p is None else f'{p:.1%}':>10}{'—' if r is None else f'{r:.1%}':>10}")
    if result.misclassified:
        print("\nmisclassified (text: true → predicted):")
        for text, truth, predicted in result.misclassified:
            print(f"  {text}: {truth} → {predicted}")
    return 0


def cmd_context(args: argparse.Namespace) -> int:
    from rnnviz.core.introspect.contextual import compare_contexts, reader_for_classifier, reader_for_lm

    if args.checkpoint:
        from rnnviz.core.checkpoint import load_checkpoint

        bundle = load_checkpoint(args.checkpoint, "lm")
        reader = reader_for_lm(bundle)
        model_name = f"{bundle.display_name} from {args.checkpoint}"
    else:
        from rnnviz.core.classify import phrasebook_data, train_classifier

        from rnnviz.core.classify.model import SequenceClassifier
        from rnnviz.core.introspect.contextual import check_request

        data = phrasebook_data(CONTEXT_PER_CLASS)
        # The word and sentences are checked against the untrained model first: a misspelt word is said at once,
        # not after the seconds of training.
        check_request(reader_for_classifier(SequenceClassifier(len(data.vocab), 2), data.vocab), args.word,
                      args.sentence_a, args.sentence_b)
        trained = train_classifier(data, _spec("lstm", 32, 2), epochs=CONTEXT_EPOCHS, progress=_progress(args.json))
        _clear(args.json)
        reader = reader_for_classifier(trained.model, data.vocab)
        model_name = ("the classifier's encoder (bidirectional LSTM, 2 layers of 32), trained briefly on the "
                      "phrasebook's statement/question/negation labels")
    result = compare_contexts(reader, args.word, args.sentence_a, args.sentence_b)
    for notice in result.notices:
        print(f"rnnviz: note: {notice}", file=sys.stderr)
    if args.json:
        _print_json({"model": model_name, **result.to_dict()})
        return 0
    print(f"{result.word!r} in\n  A: {' '.join(result.tokens[0])}\n  B: {' '.join(result.tokens[1])}")
    print(f"model: {model_name}\n")
    print(f"{'part':<20}{'cosine':>8}{'|A|':>9}{'|B|':>9}")
    for row in result.rows:
        print(f"{row.part:<20}{row.cosine:>8.3f}{row.norm_a:>9.3f}{row.norm_b:>9.3f}")
    print("\ncosine 1: the same state in both sentences; lower: the context changed it. The embedding has no "
          "context (always 1).")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    from rnnviz.core.config import CELLS

    parser = commands.add_parser(
        "classify", help="train a bidirectional sequence classifier; accuracy and confusion matrix",
        description="Sequence classification as the book's exercise in section 10.4 asks: a bidirectional RNN, "
                    "its outputs averaged over time, then an MLP. Without --tsv it learns to tell the phrasebook's "
                    "statements, questions and negations apart (punctuation removed).")
    parser.add_argument("--tsv", metavar="FILE", help="your examples: one per line, the text, a TAB, its label")
    parser.add_argument("--cell", choices=CELLS, default="gru", help="the recurrent cell (default: gru)")
    parser.add_argument("--hidden", type=in_range(HIDDEN_SIZE), default=32,
                        help=ranged(HIDDEN_SIZE, "units per direction and layer (default 32)"))
    parser.add_argument("--layers", type=in_range(NUM_LAYERS), default=1,
                        help=ranged(NUM_LAYERS, "recurrent layers (default 1)"))
    parser.add_argument("--epochs", type=in_range(EPOCHS), default=5,
                        help=ranged(EPOCHS, "passes over the training examples (default 5)"))
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=cmd_classify)

    context = commands.add_parser(
        "context", help="one word in two sentences: how alike its hidden states are, per layer and direction",
        description="Polysemy (the book's exercise in section 10.4): the cosine similarity of a word's hidden "
                    "states in two sentences, for every layer and direction; the embedding (no context) is the "
                    "reference.")
    context.add_argument("word", metavar="WORD", help="the word to compare (it must be in both sentences)")
    context.add_argument("sentence_a", metavar="SENTENCE_A", help="the first sentence")
    context.add_argument("sentence_b", metavar="SENTENCE_B", help="the second sentence")
    context.add_argument("--checkpoint", metavar="CKPT",
                         help="a language-model checkpoint (best bidirectional); without it a classifier is "
                              "trained on the phrasebook's labels for a few seconds")
    context.add_argument("--json", action="store_true", help="print JSON")
    context.set_defaults(func=cmd_context)
