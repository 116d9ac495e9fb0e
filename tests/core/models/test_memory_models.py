"""Models of the tasks that need memory: masked losses, metrics, and a GRU that learns recall."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.memory_tasks import IGNORE, build_memory_data
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.models.memory import AddingRNN, SymbolRNN, evaluate_metric
from rnnviz.core.train import run, train


def _bundle(task: str, cell: str = "gru", **settings):
    data = build_memory_data(DataConfig(corpus=task, num_train=32, num_val=16, **settings))
    return bundle_for(data, ModelConfig(task, StackSpec(cell, (8,)))), data


def test_symbol_model_is_an_rnnlm_whose_loss_skips_untargeted_steps() -> None:
    bundle, data = _bundle("recall", num_steps=6, lag=2, symbols=3)
    model = bundle.model
    assert isinstance(model, SymbolRNN) and isinstance(model, RNNLM)
    inputs, targets = (torch.from_numpy(a) for a in next(data.val_batches()))
    logits = model(inputs)[0]  # (B, T, V)
    loss = model.batch_loss([inputs, targets])
    kept = targets[:, 2:]
    expected = F.cross_entropy(logits[:, 2:].reshape(-1, logits.shape[-1]), kept.reshape(-1))
    assert torch.allclose(loss, expected)
    assert model.count_tokens((inputs.numpy(), targets.numpy())) == targets.shape[0] * 4


def test_accuracy_counts_correct_targeted_steps() -> None:
    bundle, _ = _bundle("recall", num_steps=4, lag=1, symbols=3)
    model = bundle.model
    inputs = torch.tensor([[1, 2, 3, 1]])
    with torch.no_grad():
        predicted = model(inputs)[0].argmax(-1)  # (1, T)
    targets = torch.full((1, 4), IGNORE)
    targets[0, 1:] = predicted[0, 1:]
    targets[0, 3] = (predicted[0, 3] + 1) % 4  # one wrong
    assert model.batch_metric([inputs, targets]) == (2.0, 3)
    assert model.metric_name == "accuracy"


def test_adding_model_reads_numbers_and_scores_squared_error() -> None:
    bundle, data = _bundle("adding", num_steps=6)
    model = bundle.model
    assert isinstance(model, AddingRNN) and bundle.vocabs == () and model.metric_name == "mse"
    inputs, targets = (torch.from_numpy(a) for a in next(data.val_batches()))
    with torch.no_grad():
        guess = model.predict(inputs)  # (B,)
    total, count = model.batch_metric([inputs, targets])
    assert count == len(targets)
    assert math.isclose(total, float(((guess - targets) ** 2).sum()), rel_tol=1e-5)
    with torch.no_grad():
        assert math.isclose(float(model.batch_loss([inputs, targets])), total / count, rel_tol=1e-5)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_any_cell_and_a_bidirectional_deep_stack(cell: str) -> None:
    data = build_memory_data(DataConfig(corpus="copy", num_train=8, num_val=8, copy_length=2, lag=1))
    config = ModelConfig("copy", StackSpec(cell, (6, 6), bidirectional=True))
    model = bundle_for(data, config).model
    assert model(torch.from_numpy(data.val_inputs))[0].shape == (8, data.num_steps, len(data.vocab))


def test_a_model_of_another_task_is_refused() -> None:
    data = build_memory_data(DataConfig(corpus="recall", num_train=8, num_val=8))
    with pytest.raises(ConfigError, match="adding model cannot train on recall data"):
        bundle_for(data, ModelConfig("adding", StackSpec("gru", (4,))))
    with pytest.raises(ConfigError, match="no embedding"):
        ModelConfig("adding", StackSpec(), embed_size=8)


def test_a_gru_learns_recall_at_lag_two() -> None:
    torch.manual_seed(0)
    data = build_memory_data(DataConfig(corpus="recall", num_steps=10, lag=2, symbols=4, num_train=512,
                                        num_val=128, batch_size=32))
    bundle = bundle_for(data, ModelConfig("recall", StackSpec("gru", (24,))), seed=0)
    before = evaluate_metric(bundle.model, data.val_batches())
    run(train(bundle.model, data, TrainConfig(epochs=12, lr=0.02, optimizer="adam")))
    after = evaluate_metric(bundle.model, data.val_batches())
    assert before is not None and before < 0.5  # chance is 1 in 4
    assert after is not None and after > 0.95


@pytest.mark.parametrize("task", ["recall", "adding"])
def test_trace_reads_a_validation_sequence_as_the_model_does(task: str) -> None:
    from rnnviz.core.data.memory_tasks import validation_set
    from rnnviz.core.introspect.memory import trace_memory

    bundle, data = _bundle(task, num_steps=7)
    again = validation_set(bundle.data_config)
    assert np.array_equal(again.val_inputs, data.val_inputs)  # regenerated from the seed, the same sequences
    trace = trace_memory(bundle, 3)
    assert trace.tokens == data.step_labels(3) and len(trace.predicted) == 7
    with torch.no_grad():
        outputs = bundle.model(torch.from_numpy(data.val_inputs[3:4]))[0][0]  # (T, V) or (T,)
    if task == "adding":
        assert trace.predicted[-1] == f"{float(outputs[-1]):.2f}"
        assert sum(token.startswith("*") for token in trace.tokens) == 2
    else:
        assert list(trace.predicted) == data.vocab.to_tokens(outputs.argmax(-1).tolist())
    with pytest.raises(DataError, match="choose one from 0"):
        trace_memory(bundle, 99)
