"""The classifier: padding never read (mean over the valid steps, each sequence at its own length), a
short training that beats chance, a confusion matrix that adds up, and a Stop that stops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.classify import SequenceClassifier, evaluate, phrasebook_data, train_classifier
from rnnviz.core.classify.data import pad_batch
from rnnviz.core.config import StackSpec


@pytest.mark.parametrize("spec", [
    StackSpec("gru", (8,), bidirectional=True),  # torch's fused kernel, packed
    StackSpec("lstm", (6, 6), bidirectional=True),
    StackSpec("gru-book", (5, 7), bidirectional=True),  # the book's scratch equations, grouped by length
], ids=lambda s: f"{s.cell}-{len(s.hidden_sizes)}")
def test_padding_changes_no_logit(spec: StackSpec) -> None:
    torch.manual_seed(0)
    model = SequenceClassifier(20, 3, spec, embed_size=4, mlp_hidden=5).eval()
    sequences = [[3, 4, 5, 6, 7, 8], [9, 2], [5, 5, 5, 1]]
    tokens, lengths, _ = pad_batch(sequences, [0, 1, 2])  # (3, 6), <pad> = 0 after the short ones
    with torch.no_grad():
        batched = model(torch.from_numpy(tokens), torch.from_numpy(lengths))  # (3, C)
        for row, sequence in enumerate(sequences):
            alone = model(torch.tensor([sequence]), torch.tensor([len(sequence)]))  # (1, C)
            torch.testing.assert_close(batched[row], alone[0], rtol=1e-5, atol=1e-6)
        # What padding would have done had it been read: a different pooled vector.
        full = model.stack(model.embedding(torch.from_numpy(tokens).T))[0].mean(0)  # (B, D·H)
        pooled = model.pooled(torch.from_numpy(tokens), torch.from_numpy(lengths))
        assert not torch.allclose(full[1], pooled[1])


def test_a_short_training_beats_chance_and_the_matrix_adds_up() -> None:
    data = phrasebook_data(60, seed=0)
    trained = train_classifier(data, StackSpec("gru", (16,), bidirectional=True), epochs=3)
    result = evaluate(trained.model, data)
    assert result.chance == pytest.approx(1 / 3)
    assert result.accuracy > 0.6  # chance is 1/3
    assert result.total == len(data.val) == int(result.confusion.sum())
    assert result.confusion.sum(1).tolist() == [len([e for e in data.val if e.label == c]) for c in data.labels]
    assert len(trained.val_accuracy) == 3 and trained.val_accuracy[-1] == pytest.approx(result.accuracy)
    for k, (p, r) in enumerate(zip(result.precision(), result.recall())):
        assert r == pytest.approx(result.confusion[k, k] / result.confusion[k].sum())
        assert p is None or p == pytest.approx(result.confusion[k, k] / result.confusion[:, k].sum())
    wrong = len(data.val) - int(np.trace(result.confusion))
    assert len(result.misclassified) == min(wrong, 8)
    for text, truth, guess in result.misclassified:
        assert truth != guess and any(e.text == text and e.label == truth for e in data.val)


def test_a_stop_ends_the_training_after_the_step_it_came_in() -> None:
    data = phrasebook_data(20)
    trained = train_classifier(data, epochs=5, stop=lambda: True)
    assert trained.stopped and trained.steps == 1 and trained.epochs == 0
