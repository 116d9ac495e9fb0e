"""Sequence classification (the book's exercise in section 10.4): a bidirectional encoder, its outputs
averaged over the valid steps, then an MLP; trained on labelled phrasebook sentences or a user's TSV.

Rooms: :mod:`~rnnviz.core.classify.data` (the labelled corpus, a user's file, batches),
:mod:`~rnnviz.core.classify.model` (``SequenceClassifier``) and :mod:`~rnnviz.core.classify.results`
(training through ``rnnviz.core.train``, the confusion matrix, precision and recall).
"""

from __future__ import annotations

from rnnviz.core.classify.data import (
    LABELS, MIN_EXAMPLES, ClassifyData, Example, build_data, parse_labelled, phrasebook_data, phrasebook_examples,
    read_tsv, tokenize_text, tsv_data,
)
from rnnviz.core.classify.model import DEFAULT_SPEC, SequenceClassifier
from rnnviz.core.classify.results import Evaluation, TrainedClassifier, build_classifier, evaluate, train_classifier

__all__ = [
    "DEFAULT_SPEC", "LABELS", "MIN_EXAMPLES", "ClassifyData", "Evaluation", "Example", "SequenceClassifier",
    "TrainedClassifier", "build_classifier", "build_data", "evaluate", "parse_labelled", "phrasebook_data",
    "phrasebook_examples", "read_tsv", "tokenize_text", "train_classifier", "tsv_data",
]
