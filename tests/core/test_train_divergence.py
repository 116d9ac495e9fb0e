"""A run whose loss blows up ends as "diverged", and says what to do; a healthy run never does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import LmData, build_data
from rnnviz.core.events import diverged_message
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.train import DIVERGED_LOSS, DIVERGED_RISE, DIVERGED_STEPS, EpochEnd, Finished, Step, train

GRU16 = ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(16,)))


@pytest.fixture
def data(tmp_path: Path) -> LmData:
    path = tmp_path / "tiny.txt"
    path.write_text("abc." * 150, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8, val_fraction=0.1))
    assert isinstance(data, LmData) and data.num_train_batches() < DIVERGED_STEPS  # 9 batches an epoch
    return data


@pytest.fixture
def bundle(data: LmData) -> ModelBundle:
    return bundle_for(data, GRU16, seed=0)


def shift_loss(bundle: ModelBundle, offset_at: dict[int, float]) -> None:
    """Make the model's loss ``offset_at[call]`` nats higher at those calls (from 1) of batch_loss in
    training; the gradient is the same, so only the reported loss moves."""
    model, real, calls = bundle.model, bundle.model.batch_loss, [0]

    def batch_loss(batch: list[torch.Tensor]) -> torch.Tensor:
        loss = real(batch)
        if not model.training:
            return loss
        calls[0] += 1
        return loss + offset_at.get(calls[0], 0.0)

    model.batch_loss = batch_loss  # type: ignore[method-assign]


def test_a_huge_learning_rate_with_a_finite_loss_ends_as_diverged(data, bundle):
    # The largest learning rate allowed, no clipping: the loss climbs into the hundreds and stays there.
    events = list(train(bundle.model, data, TrainConfig(epochs=5, lr=100.0, grad_clip=None)))
    final = events[-1]
    assert isinstance(final, Finished) and final.reason == "diverged"
    assert final.epoch == 1 and final.loss is not None and final.loss > DIVERGED_LOSS and final.lr == 100.0
    assert not [e for e in events if isinstance(e, EpochEnd) and e.epoch > 1]  # it ended there
    message = diverged_message(final, clipped=False)
    assert "diverged" in message and f"epoch {final.epoch}" in message
    assert "Lower the learning rate (now 100) or turn on gradient clipping" in message


def test_a_long_epoch_is_caught_after_ten_bad_steps(tmp_path):
    path = tmp_path / "longer.txt"
    path.write_text("abc." * 600, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8, val_fraction=0.1))
    assert data.num_train_batches() > 2 * DIVERGED_STEPS
    bundle = bundle_for(data, GRU16, seed=0)
    shift_loss(bundle, {call: 1e5 for call in range(1, 100)})
    final = list(train(bundle.model, data, TrainConfig(epochs=2, lr=0.5)))[-1]
    assert isinstance(final, Finished) and final.reason == "diverged"
    assert final.step == DIVERGED_STEPS and final.epoch == 1  # mid-epoch, as soon as it shows
    assert diverged_message(final, clipped=True).endswith("Lower the learning rate (now 0.5) and train again.")


def test_one_wild_batch_is_not_a_divergence(data, bundle):
    shift_loss(bundle, {4: 1e5})
    events = list(train(bundle.model, data, TrainConfig(epochs=2, lr=0.5)))
    assert max(e.loss for e in events if isinstance(e, Step)) > 1e5
    assert events[-1].reason == "completed"


def test_a_loss_that_stays_far_above_its_start_for_two_epochs_ends_as_diverged(data, bundle):
    rise = DIVERGED_RISE + 3  # under DIVERGED_LOSS, but far above where the run began
    shift_loss(bundle, {call: rise for call in range(2, 100)})
    events = list(train(bundle.model, data, TrainConfig(epochs=4, lr=0.5)))
    final = events[-1]
    assert isinstance(final, Finished) and final.reason == "diverged" and final.epoch == 2
    assert final.loss is not None and final.loss < DIVERGED_LOSS
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [1, 2]


def test_a_rise_for_one_epoch_only_is_not_a_divergence(data, bundle):
    shift_loss(bundle, {call: DIVERGED_RISE + 2 for call in range(2, 10)})  # epoch 1 only
    assert list(train(bundle.model, data, TrainConfig(epochs=3, lr=0.5)))[-1].reason == "completed"


@pytest.mark.parametrize("config", [
    TrainConfig(epochs=3, lr=4.0, grad_clip=1.0),  # the book's GRU language model
    TrainConfig(epochs=3, lr=1.0, grad_clip=1.0),  # the book's RNN from scratch
    TrainConfig(epochs=3, lr=0.005, optimizer="adam", grad_clip=1.0),  # the book's seq2seq optimiser
    TrainConfig(epochs=3, lr=10.0, grad_clip=1.0),  # far more than the book, yet it wobbles and recovers
])
def test_healthy_runs_complete(data, bundle, config):
    assert list(train(bundle.model, data, config))[-1].reason == "completed"


def test_a_continued_run_that_diverges_names_the_epoch_the_curves_show(data, tmp_path):
    from rnnviz.core.session import TrainingSession

    path = tmp_path / "tiny.txt"  # the fixture's text
    config = DataConfig(corpus=str(path), num_steps=8, batch_size=8, val_fraction=0.1)
    first = TrainingSession(config, GRU16, TrainConfig(epochs=2, lr=0.5, device="cpu"))
    assert isinstance(first.run(), Finished) and first.bundle is not None
    second = TrainingSession(config, None, TrainConfig(epochs=3, lr=100.0, grad_clip=None, device="cpu"),
                             initial=first.bundle)
    final = second.run()
    assert isinstance(final, Finished) and final.reason == "diverged" and final.epoch == 3  # 2 before, then 1
    assert final.loss is not None and final.lr == 100.0
    assert "(epoch 3)" in diverged_message(final, clipped=False)
