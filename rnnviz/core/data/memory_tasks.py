"""Tasks built to need memory (issue 17): recall, the adding problem, copy; generated from a seed.

- **recall**: random symbols; the target at step t is the input at step t − lag (the GRU section's
  exercise: which gate values let the output at t depend only on the input at an earlier t′).
  Steps t < lag have no target.
- **adding** (Hochreiter & Schmidhuber, 1997): each step reads a value in [0, 1] and a marker; one
  step in each half is marked, and the target, read at the last step, is the sum of the two marked
  values. A constant guess of 1 scores a mean squared error of 1/6 (the variance of the sum).
- **copy**: ``copy_length`` symbols, ``lag`` blanks, the go marker, then as many steps in which the
  model must give the symbols back in order; only those steps have targets.

Symbols are the letters a, b, …; copy adds a blank and the go marker. The vocabulary starts with
``<unk>`` (never generated) so that it is a vocabulary like any other. Positions without a target
hold :data:`IGNORE` (−1), which the models' loss and metric skip. Arrays are numpy: the same seed
gives the same sequences on every machine (numpy's PCG64 streams), and nothing here needs torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rnnviz.core.config import MEMORY_TASKS, DataConfig
from rnnviz.core.data.vocab import UNK, Vocab
from rnnviz.core.errors import ConfigError

#: The target of a step that has none: the loss and the metric skip it (cross_entropy's ignore_index).
IGNORE = -1
SYMBOL_TOKENS = tuple("abcdefghijklmnopqrstuvwxyz")
BLANK, GO = "_", ">"
#: The error of the adding problem's best constant guess (1): the variance of a sum of two U(0, 1) values.
ADDING_BASELINE_MSE = 1.0 / 6.0
#: One sentence each, for the Data dock and ``rnnviz data list``.
DESCRIPTIONS: dict[str, str] = {
    "recall": "The output at step t must equal the input at step t − lag: the network has to hold each "
              "symbol for lag steps.",
    "adding": "Each step reads a value and a marker; at the last step the output must be the sum of the two "
              "marked values (guessing 1 scores a squared error of 1/6).",
    "copy": "A few symbols, a delay of blanks, then the go marker: the network must write the symbols back, "
            "in order, after the delay.",
}
TITLES: dict[str, str] = {"recall": "Recall at a lag (generated)", "adding": "The adding problem (generated)",
                          "copy": "Copy after a delay (generated)"}


def memory_vocab(task: str, symbols: int) -> Vocab:
    """``<unk>``, the letters, and for copy the blank and the go marker, in this order."""
    extra = (BLANK, GO) if task == "copy" else ()
    return Vocab.from_list([UNK, *SYMBOL_TOKENS[:symbols], *extra])


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for the training and the validation sequences of a seed."""
    return np.random.default_rng([seed, 17, 0]), np.random.default_rng([seed, 17, 1])


def recall_sequences(rng: np.random.Generator, count: int, length: int, lag: int,
                     symbols: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets), each (count, length) int64: symbol ids 1..symbols; targets[:, t] = inputs[:, t - lag]."""
    inputs = rng.integers(1, symbols + 1, size=(count, length), dtype=np.int64)  # (n, T); 0 is <unk>
    targets = np.full((count, length), IGNORE, dtype=np.int64)  # (n, T)
    targets[:, lag:] = inputs[:, :length - lag]
    return inputs, targets


def copy_sequences(rng: np.random.Generator, count: int, copy_length: int, lag: int,
                   symbols: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets), each (count, 2k + lag + 1) int64: k symbols, lag blanks, the go marker, k blanks
    during which the targets are the k symbols."""
    k = copy_length
    length = 2 * k + lag + 1
    blank, go = symbols + 1, symbols + 2  # ids after <unk> and the letters (memory_vocab)
    shown = rng.integers(1, symbols + 1, size=(count, k), dtype=np.int64)  # (n, k)
    inputs = np.full((count, length), blank, dtype=np.int64)  # (n, T)
    inputs[:, :k] = shown
    inputs[:, k + lag] = go
    targets = np.full((count, length), IGNORE, dtype=np.int64)  # (n, T)
    targets[:, length - k:] = shown
    return inputs, targets


def adding_sequences(rng: np.random.Generator, count: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (count, length, 2) float32: value and marker per step, targets (count,) float32: the sum of
    the two marked values). One marked step lies in the first half, one in the second."""
    values = rng.random((count, length), dtype=np.float32)  # (n, T) in [0, 1)
    half = length // 2
    first = rng.integers(0, half, size=count)  # (n,)
    second = rng.integers(half, length, size=count)  # (n,)
    markers = np.zeros((count, length), dtype=np.float32)  # (n, T)
    rows = np.arange(count)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    targets = values[rows, first] + values[rows, second]  # (n,)
    return np.stack([values, markers], axis=-1), targets.astype(np.float32)  # (n, T, 2), (n,)


def _generate(task: str, config: DataConfig, rng: np.random.Generator,
              count: int) -> tuple[np.ndarray, np.ndarray]:
    steps, lag, symbols = int(config.num_steps or 0), int(config.lag or 0), int(config.symbols or 0)
    if task == "recall":
        return recall_sequences(rng, count, steps, lag, symbols)
    if task == "copy":
        return copy_sequences(rng, count, int(config.copy_length or 0), lag, symbols)
    return adding_sequences(rng, count, steps)


def _batched(inputs: np.ndarray, targets: np.ndarray, batch_size: int,
             order: np.ndarray | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    order = np.arange(len(inputs)) if order is None else order
    for start in range(0, len(inputs), batch_size):
        pick = order[start:start + batch_size]
        yield inputs[pick], targets[pick]


@dataclass(frozen=True, eq=False)
class MemoryData:
    """A task that needs memory, generated: the training and validation sequences and their targets.

    ``vocab`` is None for the adding problem (it reads numbers). Batches are (inputs, targets):
    recall and copy (B, T) symbol ids and (B, T) targets with IGNORE where there is none; adding
    (B, T, 2) values and markers and (B,) sums.
    """

    task: str
    vocab: Vocab | None
    train_inputs: np.ndarray
    train_targets: np.ndarray
    val_inputs: np.ndarray
    val_targets: np.ndarray
    config: DataConfig  # resolved: every setting concrete

    @property
    def num_steps(self) -> int:
        return int(self.config.num_steps or 0)

    def num_train_batches(self) -> int:
        return -(-len(self.train_inputs) // int(self.config.batch_size or 1))

    def train_batches(self, epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Shuffled batches for one epoch; deterministic for (seed, epoch)."""
        order = np.random.default_rng([self.config.seed, epoch, 0]).permutation(len(self.train_inputs))
        yield from _batched(self.train_inputs, self.train_targets, int(self.config.batch_size or 1), order)

    def val_batches(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        yield from _batched(self.val_inputs, self.val_targets, int(self.config.batch_size or 1), None)

    def step_labels(self, index: int = 0) -> tuple[str, ...]:
        """One validation sequence's steps as the Gates tab labels them: its symbols, or for adding each
        value to two decimals, the marked ones starred ("*0.42")."""
        if not 0 <= index < len(self.val_inputs):
            raise IndexError(f"there are {len(self.val_inputs)} validation sequences, not {index + 1}.")
        return sequence_labels(self.task, self.vocab, self.val_inputs[index])

    def describe(self) -> str:
        """One line: the task, its settings, and how many sequences."""
        c = self.config
        parts = {"recall": f"lag {c.lag}, {c.symbols} symbols", "adding": "two marked values",
                 "copy": f"{c.copy_length} symbols, delay {c.lag}, {c.symbols} symbols in the alphabet"}
        return (f"{self.task}: sequences of {c.num_steps} steps, {parts[self.task]}; {len(self.train_inputs):,} "
                f"for training and {len(self.val_inputs):,} for validation (seed {c.seed})")


def sequence_labels(task: str, vocab: Vocab | None, inputs: np.ndarray) -> tuple[str, ...]:
    """The steps of one sequence as text: (T,) symbol ids, or (T, 2) values and markers for adding."""
    if task == "adding":
        return tuple(("*" if marker > 0.5 else "") + f"{value:.2f}" for value, marker in inputs)  # (T, 2)
    assert vocab is not None
    return tuple(vocab.to_tokens([int(i) for i in inputs]))


def build_memory_data(config: DataConfig) -> MemoryData:
    """Generate the task ``config`` names (``config.memory_task``) from ``config.seed``."""
    task = config.memory_task
    if task not in MEMORY_TASKS:
        raise ConfigError(f"{config.corpus!r} is not a task that needs memory; use one of {', '.join(MEMORY_TASKS)}.")
    config = config.resolved(task)  # type: ignore[arg-type]
    train_rng, val_rng = _streams(config.seed)
    train = _generate(task, config, train_rng, int(config.num_train or 0))
    val = _generate(task, config, val_rng, int(config.num_val or 0))
    vocab = None if task == "adding" else memory_vocab(task, int(config.symbols or 0))
    return MemoryData(task, vocab, *train, *val, config=config)


def validation_set(config: DataConfig) -> MemoryData:
    """The validation sequences of ``config`` alone (the same as ``build_memory_data``'s, drawn from their own
    stream), with no training sequences: what a trace of a saved model reads."""
    task = config.memory_task
    if task not in MEMORY_TASKS:
        raise ConfigError(f"{config.corpus!r} is not a task that needs memory; use one of {', '.join(MEMORY_TASKS)}.")
    config = config.resolved(task)  # type: ignore[arg-type]
    val = _generate(task, config, _streams(config.seed)[1], int(config.num_val or 0))
    vocab = None if task == "adding" else memory_vocab(task, int(config.symbols or 0))
    empty = (val[0][:0], val[1][:0])
    return MemoryData(task, vocab, *empty, *val, config=config)
