"""The headless runs of the bidirectional section's exercises 3 and 4 (10.4): classifying sequences
(bi-3) and one word's states in two contexts (bi-4), both on the classifier of ``rnnviz.core.classify``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.config import StackSpec
from rnnviz.core.exercises.records import ExerciseResult, Plot, Progress, Series, ShouldStop, Table


@dataclass(frozen=True)
class _Size:
    per_class: int  # phrasebook sentences per class
    max_examples: int  # of a user's file
    spec: StackSpec
    epochs: int


_SMALL = _Size(120, 900, StackSpec("gru", (16,), bidirectional=True), 3)
_FULL = _Size(1000, 20_000, StackSpec("gru", (64, 64), bidirectional=True), 10)
#: bi-4's encoder: two layers, so the table shows how context builds up with depth.
_CONTEXT_SMALL = _Size(150, 0, StackSpec("lstm", (32, 32), bidirectional=True), 3)
_CONTEXT_FULL = _Size(1000, 0, StackSpec("lstm", (64, 64), bidirectional=True), 8)

#: bi-4's word and sentences: "do" as a question's auxiliary and as a negation's (the phrasebook has no word
#: with two meanings; this is its word with two uses). The control changes one word far from "do" only.
WORD = "do"
TWO_USES = ("do you like cats", "you do not like cats")
CONTROL = ("do you like cats", "do you like dogs")


def run_bi_3(small: bool, progress: Progress | None, stop: ShouldStop | None, files: tuple[str, ...] = (),
             column: str | None = None) -> ExerciseResult:
    from rnnviz.core.classify import evaluate, phrasebook_data, train_classifier, tsv_data

    size = _SMALL if small else _FULL
    data = tsv_data(files[0], max_examples=size.max_examples) if files else phrasebook_data(size.per_class)
    trained = train_classifier(data, size.spec, epochs=size.epochs, progress=progress, stop=stop)
    result = evaluate(trained.model, data)
    labels = list(result.labels)
    source = (f"examples of your file {data.source}" if files
              else "phrasebook sentences labelled by form (punctuation removed)")
    summary = (f"A bidirectional GRU ({len(size.spec.hidden_sizes)} layer(s) of {size.spec.hidden_sizes[0]} units "
               f"a direction), its outputs averaged over time, then an MLP, trained {trained.epochs} epoch(s) on "
               f"{len(data.train)} {source}: validation accuracy {result.accuracy:.1%} against "
               f"{result.chance:.1%} for always guessing the commonest class. The confusion matrix shows which "
               "classes it mixes up (rows: the true class; columns: its guess).")
    if data.notices:
        summary += " Note: " + " ".join(data.notices)
    accuracy = Table("accuracy", ("data", "training examples", "validation examples", "classes", "epochs",
                                  "accuracy", "commonest class"),
                     ((data.source, len(data.train), len(data.val), len(labels), trained.epochs, result.accuracy,
                       result.chance),))
    counts = result.confusion.sum(1).tolist()
    per_class = Table("per class", ("class", "validation examples", "precision", "recall"),
                      tuple(zip(labels, counts, result.precision(), result.recall())))
    matrix = Plot("confusion matrix (validation)", "matrix", x_label="predicted", y_label="true",
                  values=tuple(tuple(row) for row in result.confusion.tolist()),
                  row_labels=tuple(labels), column_labels=tuple(labels))
    epochs = tuple(range(1, len(trained.val_accuracy) + 1))
    curve = Plot("validation accuracy by epoch", "lines", x_label="epoch", y_label="accuracy",
                 series=(Series("validation accuracy", epochs, tuple(trained.val_accuracy)),))
    wrong = "\n  ".join(f"{text}  ({truth}, guessed {guess})" for text, truth, guess in result.misclassified)
    texts = {"misclassified": wrong or "none: every validation example was classified right."}
    return ExerciseResult("bi-3", summary, (accuracy, per_class), {"confusion": result.confusion}, texts,
                          stopped=trained.stopped, plots=(matrix, curve))


def run_bi_4(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.classify import phrasebook_data, train_classifier
    from rnnviz.core.introspect.contextual import compare_contexts, reader_for_classifier

    size = _CONTEXT_SMALL if small else _CONTEXT_FULL
    data = phrasebook_data(size.per_class)
    trained = train_classifier(data, size.spec, epochs=size.epochs, progress=progress, stop=stop)
    reader = reader_for_classifier(trained.model, data.vocab)
    uses = compare_contexts(reader, WORD, *TWO_USES)
    control = compare_contexts(reader, WORD, *CONTROL)
    parts = [row.part for row in uses.rows]
    rows = tuple((u.part, u.cosine, c.cosine) for u, c in zip(uses.rows, control.rows))
    table = Table(f"cosine similarity of the states of {WORD!r}", ("part", "two uses", "control"), rows)
    bars = Plot(f"cosine similarity of the states of {WORD!r}, per layer and direction", "bars",
                y_label="cosine", categories=tuple(parts),
                series=(Series("two uses", range(len(parts)), [u.cosine for u in uses.rows]),
                        Series("control", range(len(parts)), [c.cosine for c in control.rows])))
    top = [u for u in uses.rows if u.layer == max(r.layer for r in uses.rows)]
    summary = (f"{WORD!r} as a question's auxiliary ({TWO_USES[0]!r}) and as a negation's ({TWO_USES[1]!r}), read "
               f"by the encoder of a bidirectional LSTM classifier trained {trained.epochs} epoch(s) on the "
               "phrasebook's statement/question/negation labels. The embedding has no context (cosine 1); the "
               f"hidden states do: the top layer's cosines are {', '.join(f'{r.cosine:.2f}' for r in top)} "
               f"({' and '.join(r.direction for r in top)}). The control pair ({CONTROL[0]!r} / {CONTROL[1]!r}) keeps "
               f"{WORD!r} in the same use and changes one later word: its forward direction in layer 1 has read "
               "the same words and stays at 1, the backward one has read the changed word.")
    arrays = {"cosine_two_uses": np.array([u.cosine for u in uses.rows]),
              "cosine_control": np.array([c.cosine for c in control.rows])}
    texts = {"sentences": f"two uses: {TWO_USES[0]} | {TWO_USES[1]}\n  control: {CONTROL[0]} | {CONTROL[1]}"}
    return ExerciseResult("bi-4", summary, (table,), arrays, texts, stopped=trained.stopped, plots=(bars,))
