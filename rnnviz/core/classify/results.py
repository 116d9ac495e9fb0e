"""Training a sequence classifier through the core's loop, and what it got right and wrong.

:func:`train_classifier` builds a :class:`SequenceClassifier` for the data and drives
``rnnviz.core.train.train`` (Adam, the gradient clipped to norm 1), asking ``stop()`` after every
step. :func:`evaluate` reads the validation set once: accuracy, the confusion matrix (rows the true
class, columns the predicted one), each class's precision and recall, and some misclassified texts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from rnnviz.core.classify.data import ClassifyData
from rnnviz.core.classify.model import DEFAULT_SPEC, SequenceClassifier
from rnnviz.core.config import StackSpec, TrainConfig
from rnnviz.core.errors import RnnvizError
from rnnviz.core.train import to_device

#: Adam's learning rate for the classifier: the book's for its Adam-trained models (section 10.7).
LEARNING_RATE = 0.005


@dataclass(frozen=True)
class Evaluation:
    """A classifier on the validation set."""

    labels: tuple[str, ...]
    confusion: np.ndarray  # (C, C) int64: rows the true class, columns the predicted one
    misclassified: tuple[tuple[str, str, str], ...]  # (text, true label, predicted label)

    @property
    def total(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(self.total, 1))

    def precision(self) -> list[float | None]:
        """Per class: of the texts predicted as it, the share that are (None: none predicted as it)."""
        predicted = self.confusion.sum(0)  # (C,)
        return [None if n == 0 else float(self.confusion[k, k] / n) for k, n in enumerate(predicted)]

    def recall(self) -> list[float | None]:
        """Per class: of its texts, the share predicted as it (None: the class has no validation text)."""
        actual = self.confusion.sum(1)  # (C,)
        return [None if n == 0 else float(self.confusion[k, k] / n) for k, n in enumerate(actual)]

    @property
    def chance(self) -> float:
        """The accuracy of always answering the commonest class of the validation set."""
        return float(self.confusion.sum(1).max() / max(self.total, 1))

    def to_dict(self) -> dict[str, object]:
        return {"labels": list(self.labels), "accuracy": self.accuracy, "chance": self.chance,
                "confusion": self.confusion.tolist(), "precision": self.precision(), "recall": self.recall(),
                "misclassified": [list(m) for m in self.misclassified]}

    def confusion_text(self) -> str:
        """The matrix as aligned text, true classes down, predicted across."""
        width = max(len(x) for x in (*self.labels, "true \\ predicted", str(self.confusion.max())))
        lines = ["true \\ predicted".ljust(width) + "  " + "  ".join(label.rjust(width) for label in self.labels)]
        for label, row in zip(self.labels, self.confusion):
            lines.append(label.ljust(width) + "  " + "  ".join(str(int(v)).rjust(width) for v in row))
        return "\n".join(lines)


@dataclass
class TrainedClassifier:
    model: SequenceClassifier
    data: ClassifyData
    epochs: int  # completed
    steps: int
    stopped: bool
    val_accuracy: list[float] = field(default_factory=list)  # after each epoch
    train_loss: list[float] = field(default_factory=list)


def build_classifier(data: ClassifyData, spec: StackSpec = DEFAULT_SPEC, embed_size: int = 32,
                     mlp_hidden: int = 32, seed: int = 0) -> SequenceClassifier:
    torch.manual_seed(seed)
    return SequenceClassifier(len(data.vocab), len(data.labels), spec, embed_size, mlp_hidden)


def train_classifier(data: ClassifyData, spec: StackSpec = DEFAULT_SPEC, *, epochs: int = 5,
                     lr: float = LEARNING_RATE, seed: int = 0, embed_size: int = 32, mlp_hidden: int = 32,
                     progress: Callable[[float, str], None] | None = None,
                     stop: Callable[[], bool] | None = None) -> TrainedClassifier:
    """Train a fresh classifier for ``epochs`` on the CPU; ``progress(fraction, text)`` hears each step."""
    from rnnviz.core.events import EpochEnd, Finished, NonFinite, Step, Stop
    from rnnviz.core.train import train

    model = build_classifier(data, spec, embed_size, mlp_hidden, seed)
    config = TrainConfig(epochs=epochs, lr=lr, optimizer="adam", grad_clip=1.0, device="cpu", seed=seed)
    result = TrainedClassifier(model, data, 0, 0, False)
    total = max(1, epochs * data.num_train_batches())
    run = train(model, data, config, group_norms_every=1_000_000)  # the groups' norms are not read here
    event = next(run)
    try:
        while True:
            command = None
            if isinstance(event, Step):
                result.steps = event.step
                if progress is not None:
                    progress(min(1.0, event.step / total), f"epoch {event.epoch}, step {event.step}: "
                                                          f"loss {event.loss:.3f}")
                if stop is not None and stop():
                    result.stopped, command = True, Stop()
            elif isinstance(event, EpochEnd):
                result.epochs = event.epoch
                result.train_loss.append(event.train_loss)
                if event.val_metric is not None:
                    result.val_accuracy.append(event.val_metric)
            elif isinstance(event, NonFinite):
                raise RnnvizError(f"the classifier's training broke down: {event.message} "
                                  "Try a smaller learning rate.")
            elif isinstance(event, Finished):
                break
            event = run.send(command)
    finally:
        run.close()
    model.eval()
    return result


@torch.no_grad()
def evaluate(model: SequenceClassifier, data: ClassifyData, max_examples: int = 8) -> Evaluation:
    """The validation set's confusion matrix and up to ``max_examples`` misclassified texts."""
    model.eval()
    device = next(model.parameters()).device
    size = len(data.labels)
    confusion = np.zeros((size, size), dtype=np.int64)  # (C, C)
    wrong: list[tuple[str, str, str]] = []
    seen = 0
    for batch in data.val_batches():
        tokens, lengths, labels = to_device(batch, device)
        predicted = model.predict(tokens, lengths).cpu().numpy()  # (B,)
        truth = batch[2]  # (B,)
        np.add.at(confusion, (truth, predicted), 1)
        for k in np.nonzero(predicted != truth)[0]:
            if len(wrong) < max_examples:
                wrong.append((data.val[seen + int(k)].text, data.labels[truth[k]], data.labels[predicted[k]]))
        seen += len(truth)
    return Evaluation(data.labels, confusion, tuple(wrong))
