"""One training session: build or continue a model, drive core.train, keep the history going,
commands given before the first step, snapshots, live samples and the facts of a run."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.events import (
    EpochEnd, Event, Finished, NonFinite, Pause, Paused, Resume, SetLearningRate, Step, StepOnce, Stop,
)
from rnnviz.core.models.anatomy import anatomy
from rnnviz.core.models.presets import PRESETS
from rnnviz.core.session import HistoryEnd, TrainingSession, snapshot_of

GRU8 = ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(8,)))
SGD = TrainConfig(epochs=2, lr=1.0, device="cpu")


def text_config(tmp_path: Path, text: str = "the time traveller was expounding a recondite matter. " * 20,
                name: str = "tiny.txt") -> DataConfig:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return DataConfig(corpus=str(path), num_steps=8, batch_size=8)


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def drive(session: TrainingSession, commands: list[object] = ()) -> list[Event]:
    """Prepare if needed and run to the end; ``commands`` are given in turn after the first events."""
    if session.bundle is None:
        assert session.prepare()
    events = session.start()
    seen = [next(events)]
    queued = list(commands)
    while not isinstance(seen[-1], Finished):
        seen.append(events.send(queued.pop(0) if queued else None))
    return seen


@pytest.fixture
def first(tmp_path: Path) -> TrainingSession:
    """A fresh language model trained for two epochs."""
    session = TrainingSession(text_config(tmp_path), GRU8, SGD)
    drive(session)
    return session


def test_a_fresh_run_builds_trains_and_keeps_its_history(tmp_path: Path) -> None:
    session = TrainingSession(text_config(tmp_path), GRU8, SGD, label="GRU 8")
    assert session.prepare() and session.history_end == HistoryEnd()
    facts = session.facts()
    assert (facts.label, facts.task, facts.device, facts.epochs) == ("GRU 8", "lm", "cpu", 2)
    assert facts.batches_per_epoch > 1 and (facts.start_step, facts.start_epoch, facts.start_elapsed) == (0, 0, 0.0)
    assert facts.parameters == sum(p.numel() for p in session.bundle.model.parameters())
    assert f"{facts.parameters:,} parameters" in facts.description
    events = drive(session)
    steps = [e.step for e in events if isinstance(e, Step)]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= 2 * (facts.batches_per_epoch - 1)
    assert session.bundle.history.step == steps and session.bundle.history.epoch == [1, 2]
    assert events[-1] == Finished("completed", steps[-1], 2, events[-1].elapsed)
    assert session.bundle.train_config == SGD


def test_a_continued_run_follows_on_from_the_history(first: TrainingSession, tmp_path: Path) -> None:
    initial = first.bundle
    before, done = weights(initial.model), list(initial.history.step)
    end = HistoryEnd.of(initial.history)
    assert end.step == done[-1] and end.epoch == 2 and end.elapsed > 0
    session = TrainingSession(text_config(tmp_path), None, SGD, initial=initial)
    assert session.prepare() and session.history_end == end
    facts = session.facts()
    assert (facts.start_step, facts.start_epoch, facts.start_elapsed) == (end.step, end.epoch, end.elapsed)
    events = drive(session)
    steps = [e for e in events if isinstance(e, Step)]
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert steps[0].step == end.step + 1 and steps[0].epoch == 3 and steps[0].elapsed > end.elapsed
    assert [e.epoch for e in epochs] == [3, 4] and events[-1].step == 2 * end.step and events[-1].epoch == 4
    history = session.bundle.history
    assert history.step == list(range(1, 2 * end.step + 1)) and history.epoch == [1, 2, 3, 4]
    assert history.elapsed == sorted(history.elapsed) and len(set(history.elapsed)) == 4
    # The caller's model is copied, never changed.
    assert session.bundle is not initial and initial.history.step == done
    assert all(torch.equal(before[k], v) for k, v in weights(initial.model).items())


def test_a_continued_run_shifts_pauses_stops_and_non_finite_messages(first: TrainingSession, tmp_path: Path) -> None:
    end = HistoryEnd.of(first.bundle.history)
    session = TrainingSession(text_config(tmp_path), None, SGD, initial=first.bundle)
    session.prepare()
    events = session.start([Pause()])
    paused = next(events)
    assert paused == Paused(end.step, end.epoch + 1, end.elapsed)
    finished = events.send(Stop())
    assert finished == Finished("stopped", end.step, end.epoch + 1, end.elapsed)

    huge = TrainingSession(text_config(tmp_path), None, TrainConfig(epochs=1, lr=100.0, grad_clip=None, device="cpu"),
                           initial=first.bundle)
    assert huge.prepare()
    with torch.no_grad():  # the learning rate is bounded (at most 100): blow the copy's weights up instead
        huge.bundle.model.output.weight.mul_(1e20)
    outcome = huge.run()
    assert isinstance(outcome, NonFinite) and outcome.step >= end.step and outcome.epoch == end.epoch + 1
    assert f"at step {outcome.step + 1} (epoch {end.epoch + 1})" in outcome.message
    assert f"the weights of step {outcome.step}." in outcome.message and "gradient clipping" in outcome.message


def test_continuing_with_other_data_says_why_not(first: TrainingSession, tmp_path: Path) -> None:
    other = text_config(tmp_path, "zyxw vuts. " * 200, "other.txt")
    with pytest.raises(ConfigError) as vocabulary:
        TrainingSession(other, None, SGD, initial=first.bundle).prepare()
    assert str(vocabulary.value).startswith("the model to continue knows a different vocabulary (")
    assert "use the data settings it was trained with, or reset the model" in str(vocabulary.value)
    mt = DataConfig(corpus="phrasebook", max_examples=100)
    with pytest.raises(ConfigError) as task:
        TrainingSession(mt, None, SGD, initial=first.bundle).prepare()
    assert str(task.value) == ("the model to continue is a language model and this corpus is for the other task; "
                               "pick a matching corpus, or reset the model to train a fresh one.")


def test_commands_given_while_preparing(tmp_path: Path) -> None:
    session = TrainingSession(text_config(tmp_path), GRU8, SGD)
    assert session.prepare()
    events = session.start([SetLearningRate(0.5), Pause(), StepOnce(), StepOnce()])
    assert session.plan.paused and session.plan.config.lr == 0.5
    event = next(events)
    assert isinstance(event, Paused) and event.step == 0 and not session.awaits_command(event)
    seen = []
    while not (isinstance(event, Paused) and session.awaits_command(event)):
        event = events.send(None)  # the pending steps go first
        seen.append(event)
    assert [(e.step, e.lr) for e in seen if isinstance(e, Step)] == [(1, 0.5), (2, 0.5)]
    assert event.step == 2 and session.awaits_command(event)
    assert isinstance(events.send(Resume()), Step)
    events.close()

    resumed = TrainingSession(text_config(tmp_path), GRU8, SGD)
    resumed.prepare()
    assert isinstance(next(resumed.start([Pause(), StepOnce(), Resume()])), Step) and not resumed.plan.paused

    stopped = TrainingSession(text_config(tmp_path), GRU8, SGD)
    stopped.prepare()
    assert stopped.start([Pause(), Stop()]) is None and stopped.bundle is None  # nothing trained, nothing kept

    refused = TrainingSession(text_config(tmp_path), GRU8, SGD)
    refused.prepare()
    with pytest.raises(ConfigError, match="positive"):
        refused.start([SetLearningRate(0.0)])


def test_prepare_can_be_cancelled_and_reports_user_errors(tmp_path: Path) -> None:
    session = TrainingSession(text_config(tmp_path), GRU8, SGD)
    assert not session.prepare(cancelled=lambda: True)
    with pytest.raises(ConfigError, match="cuda:7"):
        TrainingSession(text_config(tmp_path), GRU8, TrainConfig(device="cuda:7")).prepare()
    with pytest.raises(ConfigError, match="cannot train on language-model data"):
        TrainingSession(text_config(tmp_path), PRESETS["seq2seq"].config, SGD).prepare()


def test_a_snapshot_shares_nothing_with_the_live_model(tmp_path: Path) -> None:
    session = TrainingSession(text_config(tmp_path), GRU8, TrainConfig(epochs=3, lr=1.0, device="cpu"))
    session.prepare()
    events = session.start()
    next(events)
    for _ in range(3):
        events.send(None)
    snap = session.snapshot()
    live = session.bundle
    assert snap is not live and snap.model is not live.model and not snap.model.training and live.model.training
    assert all(p.device.type == "cpu" and p.grad is None for p in snap.model.parameters())
    assert snap.history.step == live.history.step and snap.history is not live.history
    taken = weights(snap.model)
    with torch.no_grad():
        for p in snap.model.parameters():
            p.zero_()
    snap.history.step.clear()
    assert any(not torch.equal(v, torch.zeros_like(v)) for v in weights(live.model).values())
    assert live.history.step == [1, 2, 3, 4][: len(live.history.step)] and live.history.step
    for _ in range(5):
        events.send(None)
    events.close()
    assert any(not torch.equal(taken[k], v) for k, v in weights(live.model).items())  # training went on
    assert not {p.data_ptr() for p in live.model.parameters()} & {p.data_ptr() for p in snap.model.parameters()}
    assert snapshot_of(live).model is not live.model


def test_a_sample_keeps_the_models_mode_and_says_why_it_cannot_be(first: TrainingSession, monkeypatch) -> None:
    import rnnviz.core.decoding as decoding

    model = first.bundle.model
    for training in (True, False):
        model.train(training)
        text = first.sample("the tim")
        assert text.startswith("the tim") and len(text) > len("the tim") + 20
        assert model.training is training
    model.train()

    def unusable(bundle, prefix, length):
        bundle.model.eval()
        raise DataError("the prefix is empty once cleaned")

    monkeypatch.setattr(decoding, "generate", unusable)
    assert first.sample("123") == "the prefix is empty once cleaned" and model.training
    monkeypatch.setattr(decoding, "generate", lambda bundle, prefix, length: 1 / 0)
    assert first.sample("the") == "(no sample: ZeroDivisionError: division by zero)" and model.training


@pytest.mark.parametrize("name", ["rnn-lm", "lstm-lm", "deep-gru", "bi-gru-unequal", "seq2seq"])
def test_the_parameter_count_is_the_builders(tmp_path: Path, name: str) -> None:
    """What the status bar says of a run is what the Builder's anatomy counts for the same model."""
    config = PRESETS[name].config
    data = (DataConfig(corpus="phrasebook", max_examples=200) if config.task == "mt" else text_config(tmp_path))
    session = TrainingSession(data, config, TrainConfig(epochs=1, device="cpu"))
    assert session.prepare()
    facts = session.facts()
    assert facts.parameters == anatomy(config, facts.vocab_sizes).total_params
    assert facts.parameters == sum(p.numel() for p in session.bundle.model.parameters())
    assert facts.vocab_sizes == tuple(len(v) for v in session.bundle.vocabs)


def test_run_drives_a_prepared_session_to_its_end(tmp_path: Path) -> None:
    session = TrainingSession(text_config(tmp_path), GRU8, TrainConfig(epochs=1, lr=1.0, device="cpu"))
    seen: list[Event] = []
    outcome = session.run(seen.append)
    assert isinstance(outcome, Finished) and outcome.reason == "completed" and seen[-1] is outcome
    assert all(math.isfinite(e.loss) for e in seen if isinstance(e, Step))
