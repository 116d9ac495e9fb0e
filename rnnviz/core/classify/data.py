"""Labelled sentences for sequence classification: the phrasebook's, or a user's TSV file, in batches.

The built-in corpus labels the phrasebook's English sentences by their form: ``statement``,
``question`` or ``negation`` (the grammar's affirmative, question and negative clauses). The
punctuation is taken off, so a final "?" cannot give a question away: the model has to read the words
("do", "does", "not", the order of subject and verb). Each class gets the same number of sentences,
and the same seed always gives the same sentences and the same split.

A user's file holds one example a line: the text, a TAB, the label (further columns are ignored; a
first line ``text<TAB>label`` is taken as a header). Texts are tokenised as the app's word-level
language models read text: lowercased, then words and punctuation marks as tokens.

Batches are ``(tokens (B, T) int64, lengths (B,) int64, labels (B,) int64)``, padded with ``<pad>``
(index 0) to the longest sentence of the batch.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnviz.core import limits as lim
from rnnviz.core.data.phrasebook import random_clause, render_english
from rnnviz.core.data.phrasebook_grammar import AFFIRMATIVE, NEGATIVE, QUESTION
from rnnviz.core.data.readers import decode_text, read_bytes
from rnnviz.core.data.tokenize import clean_lm_text, tokenize
from rnnviz.core.data.vocab import PAD, Vocab
from rnnviz.core.errors import DataError

#: The phrasebook's labels, in the order of the confusion matrix's rows and columns.
LABELS: tuple[str, ...] = ("statement", "question", "negation")
_POLARITY = {"statement": AFFIRMATIVE, "question": QUESTION, "negation": NEGATIVE}
#: A file needs at least this many examples: fewer leave no validation set worth a number.
MIN_EXAMPLES = 20
#: Each class needs at least this many: one to train on, one to validate on.
MIN_PER_CLASS = 2
#: Longer texts are cut to their first tokens (a notice says how many were cut).
MAX_TOKENS = 100
_FORMAT = "each line needs the text, a TAB, then its label (e.g. 'the film was long<TAB>negative')"
_LINE_END = re.compile(r"\r\n|\r|\n")
_PUNCTUATION = re.compile(r"[.?!,;:]")


@dataclass(frozen=True)
class Example:
    text: str
    label: str


def tokenize_text(text: str) -> list[str]:
    """As the app's word-level language models read text: lowercase, words and marks as tokens."""
    return tokenize(clean_lm_text(text, "lower"), "word")


def phrasebook_examples(per_class: int = 300, seed: int = 0) -> list[Example]:
    """``per_class`` distinct phrasebook sentences of each label, without punctuation, in a seeded order.

    Each clause drawn from the grammar is rendered in the form whose turn it is (statement, question,
    negation in rotation), so the classes are balanced and differ only in form, not in topic."""
    if not 1 <= per_class <= 20_000:
        raise ValueError(f"per_class must be 1 to 20,000, not {per_class}")
    rng = random.Random(seed)
    seen: set[str] = set()
    found: dict[str, list[Example]] = {label: [] for label in LABELS}
    turn = 0
    while any(len(v) < per_class for v in found.values()):
        label = LABELS[turn % len(LABELS)]
        turn += 1
        if len(found[label]) >= per_class:
            continue
        clause = dataclasses.replace(random_clause(rng), polarity=_POLARITY[label])
        text = _PUNCTUATION.sub("", render_english(clause)).strip().lower()
        if text not in seen:
            seen.add(text)
            found[label].append(Example(text, label))
    mixed = [e for group in zip(*found.values()) for e in group]
    rng.shuffle(mixed)
    return mixed


def read_tsv(path: str | Path) -> list[Example]:
    """The examples of a user's TSV file (text TAB label), every misuse a DataError naming the file."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = None  # read_bytes says what is wrong (no such file, a folder)
    if size is not None and path.is_file() and size > lim.CLASSIFY_FILE_BYTES.hi:  # an empty one: decode_text
        raise DataError(f"{path}: " + lim.CLASSIFY_FILE_BYTES.message(size))
    return parse_labelled(decode_text(read_bytes(path), str(path)), str(path))


def parse_labelled(text: str, name: str) -> list[Example]:
    """Examples from TSV text; ``name`` is how messages call the file."""
    examples: list[Example] = []
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        shown = line if len(line) <= 60 else line[:57] + "..."
        if len(parts) < 2 or not parts[1].strip():
            raise DataError(f"{name}, line {number}: this row has no label: {shown!r}; {_FORMAT}.")
        sentence, label = parts[0].strip(), parts[1].strip()
        if not examples and sentence.lower() in ("text", "sentence") and label.lower() in ("label", "class"):
            continue  # a header
        if not sentence:
            raise DataError(f"{name}, line {number}: this row has a label but no text: {shown!r}; {_FORMAT}.")
        if not tokenize_text(sentence):
            raise DataError(f"{name}, line {number}: the text {sentence[:40]!r} has no words; {_FORMAT}.")
        examples.append(Example(sentence, label))
    if not examples:
        raise DataError(f"{name} holds no examples; {_FORMAT}.")
    check_examples(examples, name)
    return examples


def check_examples(examples: Sequence[Example], name: str) -> None:
    """Enough examples, at least two classes, each with a few examples, not too many classes."""
    counts = Counter(e.label for e in examples)
    if len(counts) < 2:
        (label,) = counts
        raise DataError(f"{name}: every example has the label {label!r}; a classifier needs at least two classes "
                        "to tell apart. Give the file examples of another label too.")
    if len(examples) < MIN_EXAMPLES:
        raise DataError(f"{name} has {len(examples)} examples; a classifier needs at least {MIN_EXAMPLES} to train "
                        "on some and check it on others. Add more lines.")
    if not lim.CLASSIFY_CLASSES.contains(len(counts)):
        raise DataError(f"{name}: {lim.CLASSIFY_CLASSES.message(len(counts))} (Is the label in the second column?)")
    rare = sorted(label for label, n in counts.items() if n < MIN_PER_CLASS)
    if rare:
        raise DataError(f"{name}: the label(s) {', '.join(map(repr, rare[:5]))} have fewer than {MIN_PER_CLASS} "
                        "examples; each class needs one to train on and one to check with. Add examples or drop "
                        "those rows.")


@dataclass
class ClassifyData:
    """Train and validation examples, the vocabulary (of the training texts) and the labels, as batches."""

    train: tuple[Example, ...]
    val: tuple[Example, ...]
    labels: tuple[str, ...]
    vocab: Vocab
    batch_size: int = 32
    seed: int = 0
    source: str = "phrasebook"
    notices: tuple[str, ...] = ()
    _encoded: dict[str, tuple[list[list[int]], list[int]]] = field(default_factory=dict, repr=False)

    def encode(self, text: str) -> list[int]:
        """The text's token ids (unknown words as <unk>), cut to MAX_TOKENS."""
        return self.vocab.indices(tokenize_text(text)[:MAX_TOKENS])

    def _split(self, part: str) -> tuple[list[list[int]], list[int]]:
        if part not in self._encoded:
            examples = self.train if part == "train" else self.val
            index = {label: k for k, label in enumerate(self.labels)}
            self._encoded[part] = ([self.encode(e.text) for e in examples], [index[e.label] for e in examples])
        return self._encoded[part]

    def _batches(self, part: str, order: Sequence[int]) -> Iterator[tuple[np.ndarray, ...]]:
        ids, targets = self._split(part)
        for start in range(0, len(order), self.batch_size):
            chosen = order[start:start + self.batch_size]
            yield pad_batch([ids[k] for k in chosen], [targets[k] for k in chosen])

    def num_train_batches(self) -> int:
        return -(-len(self.train) // self.batch_size)

    def train_batches(self, epoch: int) -> Iterator[tuple[np.ndarray, ...]]:
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.train)).tolist()
        return self._batches("train", order)

    def val_batches(self) -> Iterator[tuple[np.ndarray, ...]]:
        return self._batches("val", range(len(self.val)))


def pad_batch(ids: Sequence[Sequence[int]], targets: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tokens (B, T), lengths (B,), labels (B,)), padded with <pad> = 0 to the longest sequence."""
    lengths = np.array([len(s) for s in ids], dtype=np.int64)  # (B,)
    tokens = np.zeros((len(ids), int(lengths.max())), dtype=np.int64)  # (B, T)
    for row, sequence in enumerate(ids):
        tokens[row, :len(sequence)] = sequence
    return tokens, lengths, np.asarray(targets, dtype=np.int64)


def build_data(examples: Sequence[Example], *, val_fraction: float = 0.2, batch_size: int = 32, seed: int = 0,
               source: str = "phrasebook", labels: Sequence[str] | None = None) -> ClassifyData:
    """Split per class (each keeps its share in both parts; at least one example each side), seeded;
    the vocabulary is the training texts' (validation words it lacks are read as <unk>)."""
    lim.VAL_FRACTION.check(val_fraction)
    check_examples(examples, source)
    labels = tuple(labels) if labels is not None else tuple(sorted({e.label for e in examples}))
    rng = random.Random(seed)
    train: list[Example] = []
    val: list[Example] = []
    for label in labels:
        group = [e for e in examples if e.label == label]
        rng.shuffle(group)
        k = min(max(1, round(len(group) * val_fraction)), len(group) - 1)
        val += group[:k]
        train += group[k:]
    rng.shuffle(train)
    notices = []
    long = sum(len(tokenize_text(e.text)) > MAX_TOKENS for e in examples)
    if long:
        notices.append(f"{long} text(s) longer than {MAX_TOKENS} tokens were cut to their first {MAX_TOKENS}.")
    # A file that repeats texts puts copies on both sides of the split: the accuracy on them is recall of the
    # training set, and the user should know how much of the number that is.
    trained = {tuple(tokenize_text(e.text)) for e in train}
    repeated = sum(tuple(tokenize_text(e.text)) in trained for e in val)
    if repeated:
        notices.append(f"{repeated} of the {len(val)} validation texts also appear among the training texts (the "
                       "file repeats them): on those, the accuracy measures memory, not generalisation.")
    vocab = Vocab([tokenize_text(e.text)[:MAX_TOKENS] for e in train], reserved=(PAD,))
    return ClassifyData(tuple(train), tuple(val), labels, vocab, batch_size, seed, source, tuple(notices))


def _sample(examples: Sequence[Example], size: int, seed: int) -> list[Example]:
    """``size`` examples drawn at random, every class keeping at least MIN_PER_CLASS of its own."""
    rng = random.Random(seed)
    shuffled = list(examples)
    rng.shuffle(shuffled)
    kept: Counter[str] = Counter()
    first, rest = [], []
    for example in shuffled:
        if kept[example.label] < MIN_PER_CLASS:
            kept[example.label] += 1
            first.append(example)
        else:
            rest.append(example)
    chosen = first + rest[:max(0, size - len(first))]
    rng.shuffle(chosen)
    return chosen


def phrasebook_data(per_class: int = 300, seed: int = 0, batch_size: int = 32) -> ClassifyData:
    """The built-in labelled corpus, split 80/20 per class."""
    return build_data(phrasebook_examples(per_class, seed), batch_size=batch_size, seed=seed, labels=LABELS)


def tsv_data(path: str | Path, seed: int = 0, batch_size: int = 32, max_examples: int | None = None) -> ClassifyData:
    """A user's file, split 80/20 per class; ``max_examples``: a seeded sample of at most that many."""
    examples = read_tsv(path)
    notices: tuple[str, ...] = ()
    if max_examples is not None and len(examples) > max_examples:
        notices = (f"the file has {len(examples):,} examples; this run uses a sample of {max_examples:,}.",)
        examples = _sample(examples, max_examples, seed)
    data = build_data(examples, batch_size=batch_size, seed=seed, source=Path(path).name)
    data.notices = notices + data.notices
    return data
