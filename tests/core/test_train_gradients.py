"""What training reports about its gradients (per-group norms, clipping) and the memory tasks' metric hook."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnviz.core.config import ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import LmData
from rnnviz.core.events import History
from rnnviz.core.gradients.norms import GradientMeter, summarize_clipping
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.train import EpochEnd, Finished, Step, model_metric, run, to_device, train, validate
from tests.core.test_train import lm_data

LSTM = ModelConfig("lm", StackSpec("lstm", (12, 12), bidirectional=True), embed_size=6)


@pytest.fixture
def data(tmp_path: Path) -> LmData:
    return lm_data(tmp_path)


def _steps(model, data, config: TrainConfig, **options) -> list[Step]:
    return [e for e in train(model, data, config, **options) if isinstance(e, Step)]


def test_the_first_steps_group_norms_are_those_of_its_gradient(data):
    bundle = bundle_for(data, LSTM, seed=0)
    twin = copy.deepcopy(bundle.model)
    config = TrainConfig(epochs=1, lr=0.5, grad_clip=0.05)
    first = _steps(bundle.model, data, config)[0]
    # The same first batch through an untouched copy of the model (train seeds torch as it starts).
    torch.manual_seed(config.seed)
    batch = next(iter(data.train_batches(0)))
    twin.train()
    twin.batch_loss(to_device(batch, torch.device("cpu"))).backward()
    meter = GradientMeter(twin)
    expected = meter.measure()
    assert [g.name for g in first.groups] == list(meter.names)
    assert first.group_norms == pytest.approx(expected.norms, rel=1e-5)
    assert first.grad_norm == pytest.approx(expected.total, rel=1e-5)
    assert first.clip == 0.05 and first.clipped
    assert first.clip_scale == pytest.approx(min(1.0, 0.05 / expected.total), rel=1e-5)
    assert first.clipped_norm == pytest.approx(0.05, rel=1e-5)
    assert first.group_norms_clipped == pytest.approx([n * first.clip_scale for n in expected.norms])


def test_grouped_clipping_updates_the_weights_as_torchs_clipping_did(data):
    config = TrainConfig(epochs=1, lr=0.5, grad_clip=0.1)
    measured, plain = bundle_for(data, LSTM, seed=0), bundle_for(data, LSTM, seed=0)
    steps = _steps(measured.model, data, config, group_norms_every=1)
    others = _steps(plain.model, data, config, group_norms_every=10**9)  # after the first: clip_grad_norm_ alone
    assert all(s.group_norms for s in steps) and [s.step for s in others if s.group_norms] == [1]
    assert [s.clip_scale for s in steps] == pytest.approx([s.clip_scale for s in others], rel=1e-4)
    for (name, a), b in zip(measured.model.state_dict().items(), plain.model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6, msg=name)


def test_group_norms_every_kth_step_and_one_names_tuple_for_the_run(data):
    bundle = bundle_for(data, LSTM, seed=0)
    steps = _steps(bundle.model, data, TrainConfig(epochs=1, lr=0.5), group_norms_every=3)
    assert [s.step for s in steps if s.group_norms] == [1, 4, 7]
    assert all(len(s.group_norms) == len(s.groups) for s in steps)
    measured = [s for s in steps if s.groups]
    assert all(s.groups is measured[0].groups for s in measured)  # shared, not copied per step


def test_how_often_clipping_acts_is_counted(data):
    never = _steps(bundle_for(data, LSTM, seed=0).model, data, TrainConfig(epochs=1, lr=0.5, grad_clip=100.0))
    always = _steps(bundle_for(data, LSTM, seed=0).model, data, TrainConfig(epochs=1, lr=0.5, grad_clip=1e-4))
    off = _steps(bundle_for(data, LSTM, seed=0).model, data, TrainConfig(epochs=1, lr=0.5, grad_clip=None))
    assert not any(s.clipped for s in never) and all(s.clipped for s in always)
    assert all(s.clip_scale == 1.0 and s.clip is None for s in off)
    summary = summarize_clipping(s.clip_scale for s in always)
    assert summary.clipped == summary.steps == len(always)
    assert summary.largest == pytest.approx(max(s.grad_norm for s in always) / 1e-4, rel=1e-3)
    # The history keeps the scale of every step: how often and by how much, for a saved model too.
    history = History()
    run(train(bundle_for(data, LSTM, seed=0).model, data, TrainConfig(epochs=1, lr=0.5, grad_clip=1e-4)), history.add)
    assert len(history.clip_scale) == len(always) and summarize_clipping(history.clip_scale).share == 1.0


# ---- the metric hook of the memory tasks ------------------------------------------------------


class _Accuracy(RNNLM):
    """A language model that also counts its correct next-token guesses, as a memory task's model would."""

    metric_name = "accuracy"

    def batch_metric(self, batch: list[torch.Tensor]) -> tuple[float, int]:
        inputs, targets = batch  # (B, T) each
        guesses = self(inputs)[0].argmax(-1)  # (B, T)
        return float((guesses == targets).sum()), int(targets.numel())


class _Mse(RNNLM):
    metric_name = "mse"

    def batch_metric(self, batch: list[torch.Tensor]) -> tuple[float, int]:
        inputs, targets = batch
        probability = self(inputs)[0].softmax(-1).gather(-1, targets.unsqueeze(-1))  # (B, T, 1)
        return float(((1 - probability) ** 2).sum()), int(targets.numel())


GRU = ModelConfig("lm", StackSpec("gru", (16,)))


def _direct_metric(model, data) -> float:
    model.eval()
    with torch.no_grad():
        parts = [model.batch_metric(to_device(b, torch.device("cpu"))) for b in data.val_batches()]
    model.train()
    return sum(s for s, _ in parts) / sum(n for _, n in parts)


@pytest.mark.parametrize("kind", [_Accuracy, _Mse])
def test_a_model_with_a_metric_reports_it_each_epoch(data, kind):
    torch.manual_seed(0)
    model = kind(GRU, len(data.vocab))
    assert model_metric(model) == kind.metric_name
    history = History()
    events = []
    run(train(model, data, TrainConfig(epochs=2, lr=0.05, optimizer="adam")), lambda e: (events.append(e), history.add(e)))
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.metric for e in ends] == [kind.metric_name] * 2
    assert all(isinstance(e.val_metric, float) for e in ends)
    assert ends[-1].val_metric == pytest.approx(_direct_metric(model, data), rel=1e-6)
    if kind is _Accuracy:
        assert all(0.0 <= e.val_metric <= 1.0 for e in ends)
    assert history.metric == [kind.metric_name] * 2 and history.val_metric == [e.val_metric for e in ends]
    assert isinstance(events[-1], Finished)


def test_validate_gives_loss_and_metric_in_one_pass_and_none_without_data(tmp_path, data):
    torch.manual_seed(0)
    model = _Accuracy(GRU, len(data.vocab))
    result = validate(model, data.val_batches(), torch.device("cpu"))
    assert result.metric == "accuracy" and result.value == pytest.approx(_direct_metric(model, data))
    assert result.loss is not None and model.training  # the mode is left as it was
    empty = validate(model, [], torch.device("cpu"))
    assert (empty.loss, empty.metric, empty.value) == (None, "accuracy", None)


def test_models_without_a_metric_report_none(data):
    plain = bundle_for(data, GRU, seed=0).model
    assert model_metric(plain) is None
    half = RNNLM(GRU, len(data.vocab))
    half.metric_name = "accuracy"  # type: ignore[attr-defined]  # a name without batch_metric is no metric
    assert model_metric(half) is None
    end = next(e for e in train(plain, data, TrainConfig(epochs=1, lr=0.5)) if isinstance(e, EpochEnd))
    assert end.metric is None and end.val_metric is None


def test_step_values_are_plain_numbers(data):
    step = _steps(bundle_for(data, LSTM, seed=0).model, data, TrainConfig(epochs=1, lr=0.5))[0]
    assert all(type(n) is float for n in step.group_norms) and type(step.clip_scale) is float
    assert not any(isinstance(v, (torch.Tensor, np.ndarray)) for v in vars(step).values())
    assert math.isfinite(sum(step.group_norms))


def test_a_checkpoint_keeps_the_clip_scales_and_the_metric_and_refuses_a_bad_one(data, tmp_path):
    from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
    from rnnviz.core.errors import DataError

    bundle = bundle_for(data, GRU, seed=0)
    run(train(bundle.model, data, TrainConfig(epochs=1, lr=0.5, grad_clip=0.01)), bundle.history.add)
    bundle.history.add(EpochEnd(99, 2, 1.0, math.e, None, None, 1.0, 9.0, "accuracy", 0.75))
    path = save_checkpoint(bundle, tmp_path / "m.pt")
    loaded = load_checkpoint(path, "lm")
    assert loaded.history == bundle.history
    assert loaded.history.metric[-1] == "accuracy" and loaded.history.val_metric[-1] == 0.75
    assert summarize_clipping(loaded.history.clip_scale).clipped > 0
    payload = torch.load(path, weights_only=True)
    payload["history"]["metric"][-1] = "bleu"
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(DataError, match="history.metric"):
        load_checkpoint(tmp_path / "bad.pt", "lm")
