"""The training generator: events, commands, non-finite losses, reproducibility, history, devices."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import LmData, MtData, build_data
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.train import (
    EpochEnd, Finished, History, NonFinite, Pause, Paused, Resume, SetLearningRate, Step, StepOnce, Stop,
    evaluate, resolve_device, run, train)

GRU16 = ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(16,)))


def lm_data(tmp_path: Path, text: str = "abc." * 150, val_fraction: float = 0.1, **kwargs) -> LmData:
    path = tmp_path / "tiny.txt"
    path.write_text(text, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=kwargs.pop("num_steps", 8),
                                 batch_size=kwargs.pop("batch_size", 8), val_fraction=val_fraction, **kwargs))
    assert isinstance(data, LmData)
    return data


@pytest.fixture
def data(tmp_path: Path) -> LmData:
    return lm_data(tmp_path)  # 4 tokens + <unk>, 9 batches an epoch


@pytest.fixture
def bundle(data: LmData) -> ModelBundle:
    return bundle_for(data, GRU16, seed=0)


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    """Bit for bit, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        a[k].shape == b[k].shape and bool(((a[k] == b[k]) | (a[k].isnan() & b[k].isnan())).all()) for k in a)


ADAM = TrainConfig(epochs=2, lr=0.05, optimizer="adam")


# ---- learning and the shape of a run ----------------------------------------------------------


def test_loss_goes_down_on_a_repetitive_text(data, bundle):
    events = list(train(bundle.model, data, TrainConfig(epochs=3, lr=0.05, optimizer="adam")))
    steps = [e for e in events if isinstance(e, Step)]
    ends = [e for e in events if isinstance(e, EpochEnd)]
    # At the start: about log(5), a guess among the 5 tokens; "abc." repeats, so it is learnable.
    assert steps[0].loss > 1.2
    assert ends[-1].train_loss < 0.1 < ends[0].train_loss
    assert ends[-1].val_loss is not None and ends[-1].val_loss < 0.1
    assert ends[-1].val_loss < ends[0].val_loss


def test_translation_loss_goes_down_on_the_phrasebook():
    data = build_data(DataConfig(corpus="phrasebook", max_examples=300, batch_size=32))
    assert isinstance(data, MtData)
    config = ModelConfig(task="mt", stack=StackSpec(cell="gru", hidden_sizes=(16,)),
                         decoder=StackSpec(cell="gru", hidden_sizes=(16,)), embed_size=8)
    bundle = bundle_for(data, config)
    events = list(train(bundle.model, data, TrainConfig(epochs=3, lr=0.02, optimizer="adam")))
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert len(ends) == 3 and isinstance(events[-1], Finished)
    assert ends[-1].train_loss < ends[0].train_loss - 0.5
    assert ends[-1].val_loss is not None and ends[-1].val_loss < ends[0].val_loss


def test_step_and_epoch_numbering(data, bundle):
    events = list(train(bundle.model, data, TrainConfig(epochs=3, lr=0.5)))
    batches = data.num_train_batches()
    steps = [e for e in events if isinstance(e, Step)]
    assert [e.step for e in steps] == list(range(1, 3 * batches + 1))
    assert [(e.epoch, e.batch) for e in steps] == [(ep, b) for ep in (1, 2, 3) for b in range(1, batches + 1)]
    assert all(e.batches == batches for e in steps)
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [(e.epoch, e.step) for e in ends] == [(1, batches), (2, 2 * batches), (3, 3 * batches)]
    # Each epoch's events come before its EpochEnd, and Finished comes last, once.
    kinds = [type(e).__name__ for e in events]
    assert kinds == (["Step"] * batches + ["EpochEnd"]) * 3 + ["Finished"]
    assert events[-1] == Finished("completed", 3 * batches, 3, events[-1].elapsed)
    elapsed = [e.elapsed for e in events if isinstance(e, (Step, EpochEnd))]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 0


def _plain(value: object) -> bool:
    """A number, text, None, or a tuple or frozen dataclass of those: no tensor, no array, nothing mutable."""
    if value is None or type(value) in (int, float, str, bool):
        return True
    if type(value) is tuple:
        return all(_plain(v) for v in value)
    if dataclasses.is_dataclass(value) and value.__dataclass_params__.frozen:  # type: ignore[union-attr]
        return all(_plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def test_events_are_frozen_and_hold_plain_python_numbers(data, bundle):
    gen = train(bundle.model, data, TrainConfig(epochs=1, lr=0.5), start_paused=True)
    events = [next(gen), gen.send(Resume())]
    while not isinstance(events[-1], Finished):
        events.append(gen.send(None))
    assert {type(e) for e in events} == {Paused, Step, EpochEnd, Finished}
    for event in events:
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.step = 99  # type: ignore[misc]
        for f in dataclasses.fields(event):
            value = getattr(event, f.name)
            if f.name == "reason":
                assert type(value) is str
            else:
                assert _plain(value), (type(event).__name__, f.name, type(value))
    step = next(e for e in events if isinstance(e, Step))
    assert type(step.step) is int and type(step.loss) is float and type(step.lr) is float
    assert math.isclose(step.perplexity, math.exp(step.loss))
    assert step.grad_norm > 0 and step.tokens_per_s > 0


def test_epoch_train_loss_is_the_token_weighted_mean_of_its_steps(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("go .\tva !\ni lost .\tj'ai perdu .\nhe's calm .\til est calme .\n"
                    "i'm home .\tje suis chez moi .\nwe ran .\tnous avons couru .\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=6, batch_size=2, min_freq=1,
                                 val_fraction=0.0, test_fraction=0.0))
    assert isinstance(data, MtData)
    config = ModelConfig(task="mt", stack=StackSpec(hidden_sizes=(8,)), decoder=StackSpec(hidden_sizes=(8,)),
                         embed_size=4)
    bundle = bundle_for(data, config)
    events = list(train(bundle.model, data, TrainConfig(epochs=1, lr=0.5)))
    steps = [e for e in events if isinstance(e, Step)]
    end = next(e for e in events if isinstance(e, EpochEnd))
    counts = [bundle.model.count_tokens(batch) for batch in data.train_batches(0)]
    assert len(steps) == len(counts) == 3
    expected = sum(s.loss * n for s, n in zip(steps, counts)) / sum(counts)
    assert math.isclose(end.train_loss, expected, rel_tol=1e-9)
    assert end.val_loss is None and end.val_perplexity is None  # no validation split


def test_validation_loss_is_reported_each_epoch(data, bundle):
    events = list(train(bundle.model, data, ADAM))
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert len(ends) == 2
    for end in ends:
        assert isinstance(end.val_loss, float)
        assert math.isclose(end.val_perplexity, math.exp(end.val_loss))
    # The last one is the loss of the trained weights on the validation windows.
    final = evaluate(bundle.model, data.val_batches(), torch.device("cpu"))
    assert final is not None and math.isclose(ends[-1].val_loss, final, rel_tol=1e-6)
    assert bundle.model.training  # evaluate leaves the mode as it found it


def test_no_validation_data_gives_none(tmp_path):
    data = lm_data(tmp_path, val_fraction=0.0)
    bundle = bundle_for(data, GRU16)
    end = next(e for e in train(bundle.model, data, TrainConfig(epochs=1, lr=0.5)) if isinstance(e, EpochEnd))
    assert end.val_loss is None and end.val_perplexity is None


def test_run_drives_to_the_end_and_reports_every_event(data, bundle):
    seen = []
    final = run(train(bundle.model, data, TrainConfig(epochs=2, lr=0.5)), seen.append)
    assert isinstance(final, Finished) and final.reason == "completed"
    assert seen[-1] is final
    assert sum(isinstance(e, Step) for e in seen) == final.step == 2 * data.num_train_batches()


def test_same_seed_gives_identical_losses(tmp_path):
    data = lm_data(tmp_path)
    # Two layers with dropout: the run's own random numbers matter too.
    config = ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(8, 8), dropout=0.3), embed_size=4)

    def losses(seed: int) -> list[float]:
        bundle = bundle_for(data, config, seed=seed)
        events = train(bundle.model, data, TrainConfig(epochs=2, lr=1.0, seed=seed))
        return [e.loss if isinstance(e, Step) else e.val_loss for e in events if isinstance(e, (Step, EpochEnd))]

    first = losses(3)
    assert losses(3) == first
    assert losses(4) != first


# ---- commands ---------------------------------------------------------------------------------


def test_pause_takes_no_step_until_resume(data, bundle):
    gen = train(bundle.model, data, ADAM)
    assert isinstance(next(gen), Step)
    event = gen.send(Pause())
    assert isinstance(event, Paused) and (event.step, event.epoch) == (1, 1)
    before = weights(bundle.model)
    for _ in range(3):
        event = gen.send(None)
        assert isinstance(event, Paused) and event.step == 1
    assert same_weights(weights(bundle.model), before)
    event = gen.send(Resume())
    assert isinstance(event, Step) and event.step == 2
    assert not same_weights(weights(bundle.model), before)
    assert isinstance(gen.send(None), Step)  # running again, not paused
    gen.close()


def test_pause_time_is_not_counted(data, bundle):
    import time

    gen = train(bundle.model, data, ADAM)
    first = next(gen)
    paused = gen.send(Pause())
    time.sleep(0.3)
    gen.send(None)
    step = gen.send(Resume())
    assert isinstance(step, Step)
    assert step.elapsed - first.elapsed < 0.25
    assert paused.elapsed <= step.elapsed
    gen.close()


def test_step_once_while_paused_takes_exactly_one_step(data, bundle):
    gen = train(bundle.model, data, ADAM)
    next(gen)
    assert isinstance(gen.send(Pause()), Paused)
    before = weights(bundle.model)
    event = gen.send(StepOnce())
    assert isinstance(event, Step) and event.step == 2
    after_one = weights(bundle.model)
    assert not same_weights(after_one, before)
    event = gen.send(None)
    assert isinstance(event, Paused) and event.step == 2
    assert isinstance(gen.send(None), Paused)
    assert same_weights(weights(bundle.model), after_one)
    event = gen.send(StepOnce())
    assert isinstance(event, Step) and event.step == 3
    assert isinstance(gen.send(None), Paused)
    gen.close()


def test_start_paused_waits_before_the_first_step(data, bundle):
    before = weights(bundle.model)
    gen = train(bundle.model, data, ADAM, start_paused=True)
    event = next(gen)
    assert isinstance(event, Paused) and (event.step, event.epoch) == (0, 1)
    assert isinstance(gen.send(None), Paused)
    assert same_weights(weights(bundle.model), before)
    event = gen.send(Resume())
    assert isinstance(event, Step) and event.step == 1
    gen.close()


def test_stop_ends_with_finished_stopped(data, bundle):
    gen = train(bundle.model, data, ADAM)
    next(gen)
    next(gen)
    event = gen.send(Stop())
    assert isinstance(event, Finished)
    assert (event.reason, event.step, event.epoch) == ("stopped", 2, 1)
    with pytest.raises(StopIteration):
        gen.send(None)


def test_stop_while_paused_and_at_epoch_end(data, bundle):
    gen = train(bundle.model, data, ADAM, start_paused=True)
    next(gen)
    event = gen.send(Stop())
    assert isinstance(event, Finished) and (event.reason, event.step) == ("stopped", 0)

    gen = train(bundle.model, data, ADAM)
    event = next(gen)
    while not isinstance(event, EpochEnd):
        event = gen.send(None)
    event = gen.send(Stop())
    assert isinstance(event, Finished)
    assert (event.reason, event.epoch, event.step) == ("stopped", 1, data.num_train_batches())


def test_set_learning_rate_shows_in_the_next_step(data, bundle):
    gen = train(bundle.model, data, TrainConfig(epochs=1, lr=0.5))
    assert next(gen).lr == 0.5
    event = gen.send(SetLearningRate(0.125))
    assert isinstance(event, Step) and event.lr == 0.125
    assert gen.send(None).lr == 0.125  # it stays
    # While paused, too.
    assert isinstance(gen.send(Pause()), Paused)
    assert isinstance(gen.send(SetLearningRate(0.25)), Paused)
    assert gen.send(Resume()).lr == 0.25
    gen.close()


@pytest.mark.parametrize("lr, words", [(0.0, "must be positive"), (-1.0, "must be positive"),
                                       (math.nan, "must be positive"), (math.inf, "must be at most 100"),
                                       (1e38, "must be at most 100")])
def test_set_learning_rate_refuses_what_a_config_refuses(data, bundle, lr, words):
    gen = train(bundle.model, data, TrainConfig(epochs=1, lr=0.5))
    next(gen)
    with pytest.raises(ConfigError, match=f"the learning rate {words}"):
        gen.send(SetLearningRate(lr))


# ---- non-finite losses ------------------------------------------------------------------------


def test_non_finite_loss_skips_the_update_and_pauses(data, bundle):
    gen = train(bundle.model, data, TrainConfig(epochs=1, lr=0.5, grad_clip=None))
    assert isinstance(next(gen), Step)
    assert isinstance(gen.send(None), Step)
    # Between two events the weights are the caller's: break the model.
    with torch.no_grad():
        bundle.model.output.bias[0] = math.inf
    before = weights(bundle.model)
    event = gen.send(None)
    assert isinstance(event, NonFinite)
    assert event.step == 2 and event.epoch == 1 and event.lr == 0.5
    assert not math.isfinite(event.loss)
    assert "step 3" in event.message and "skipped" in event.message
    assert "weights of step 2" in event.message
    assert "gradient clipping" in event.message  # grad_clip None: it suggests clipping
    assert same_weights(weights(bundle.model), before)
    # Training is paused now.
    event = gen.send(None)
    assert isinstance(event, Paused) and event.step == 2
    assert same_weights(weights(bundle.model), before)
    gen.close()


def test_non_finite_weights_from_the_start(data, bundle):
    with torch.no_grad():
        for p in bundle.model.stack.parameters():
            p.fill_(math.nan)
    before = weights(bundle.model)
    events: list = []
    final = run(train(bundle.model, data, ADAM), events.append)
    assert isinstance(final, NonFinite) and events == [final]
    assert final.step == 0 and "step 1" in final.message and "skipped" in final.message
    assert same_weights(weights(bundle.model), before)


def test_weights_blown_up_to_overflow_are_caught(data, bundle):
    # The learning rate is bounded (at most 100), so blow the weights up directly: the logits overflow.
    with torch.no_grad():
        bundle.model.output.weight.mul_(1e20)
    final = run(train(bundle.model, data, TrainConfig(epochs=2, lr=100.0, grad_clip=None)))
    assert isinstance(final, NonFinite)
    assert f"step {final.step + 1}" in final.message
    assert "Lower the learning rate (now 100) or turn on gradient clipping" in final.message


def test_resume_after_non_finite_goes_on(data, bundle):
    gen = train(bundle.model, data, TrainConfig(epochs=1, lr=0.5))
    next(gen)
    with torch.no_grad():
        saved = bundle.model.output.bias[0].item()
        bundle.model.output.bias[0] = math.inf
    assert isinstance(gen.send(None), NonFinite)
    with torch.no_grad():
        bundle.model.output.bias[0] = saved
    event = gen.send(Resume())
    assert isinstance(event, Step) and event.step == 2 and math.isfinite(event.loss)
    gen.close()


# ---- history ----------------------------------------------------------------------------------


def test_history_collects_steps_and_epochs_and_round_trips(data, bundle):
    history = History()
    history.add(Paused(0, 1, 0.0))  # not a curve point
    final = run(train(bundle.model, data, TrainConfig(epochs=2, lr=0.5)), history.add)
    assert isinstance(final, Finished)
    n = 2 * data.num_train_batches()
    assert history.step == list(range(1, n + 1))
    assert len(history.loss) == len(history.grad_norm) == n
    assert history.epoch == [1, 2]
    assert len(history.train_loss) == len(history.val_loss) == len(history.elapsed) == 2
    data_dict = history.to_dict()
    assert set(data_dict) == {"step", "loss", "grad_norm", "epoch", "train_loss", "val_loss", "elapsed",
                              "clip_scale", "metric", "val_metric"}
    assert len(history.clip_scale) == n and all(0 < s <= 1 for s in history.clip_scale)
    assert history.metric == [None, None] and history.val_metric == [None, None]  # a language model has none
    again = History.from_dict(json.loads(json.dumps(data_dict)))
    assert again == history
    data_dict["step"].append(-1)  # to_dict hands out copies
    assert history.step[-1] == n


def test_history_from_dict_tolerates_missing_curves():
    history = History.from_dict({"step": [1, 2], "loss": [2.0, 1.5]})
    assert history.step == [1, 2] and history.loss == [2.0, 1.5]
    assert history.epoch == [] and history.val_loss == []
    history.add(EpochEnd(2, 1, 1.7, math.exp(1.7), None, None, 10.0, 0.5))
    assert history.val_loss == [None] and history.epoch == [1]
    # Curves an older file lacks are None where it had points: they stay aligned with the steps.
    assert history.clip_scale == [None, None]
    history.add(Step(3, 2, 1, 1, 1.2, math.exp(1.2), 2.0, 0.1, 10.0, 0.6, clip_scale=0.5, clip=1.0))
    assert history.clip_scale == [None, None, 0.5] and history.val_metric == [None]


# ---- devices ----------------------------------------------------------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_auto_device_is_cpu_here():
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        pytest.skip("an MPS device is present")
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize(("name", "message"), [
    ("gpu0", "unknown device 'gpu0'; use auto, cpu, cuda, cuda:N or mps"),
    ("banana:3", "unknown device 'banana:3'"),
    ("cuda:7", "device 'cuda:7' is not available here"),
    ("cuda", "device 'cuda' is not available here"),
])
def test_bad_device_names_are_refused(name, message):
    if name.startswith("cuda") and torch.cuda.device_count() > (7 if name == "cuda:7" else 0):
        pytest.skip("this machine has that CUDA device")
    with pytest.raises(ConfigError) as info:
        resolve_device(name)
    assert message in str(info.value)


def test_train_refuses_a_missing_device(data, bundle):
    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has eight CUDA devices")
    with pytest.raises(ConfigError, match="cuda:7"):
        next(train(bundle.model, data, TrainConfig(epochs=1, device="cuda:7")))
