"""Recording a run and opening it again: epochs, curves, weights per epoch, what a run folder holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from rnnviz.core.events import EpochEnd, Step
from rnnviz.core.runs import open_run
from rnnviz.core.runs.layout import EVENTS, MANIFEST


def test_a_recorded_run_opens_at_every_epoch_with_the_weights_it_had_then(tmp_path: Path, record) -> None:
    folder = tmp_path / "run"
    seen = record(folder, epochs=3)
    run = open_run(folder)
    assert run.status == "completed" and run.notices == []
    assert run.epochs() == (0, 1, 2, 3)
    for epoch in run.epochs():
        bundle = run.bundle_at(epoch)
        loaded = bundle.model.state_dict()
        assert loaded.keys() == seen[epoch].keys()
        assert all(torch.equal(loaded[k], seen[epoch][k]) for k in loaded)
        assert len(bundle.history.epoch) == epoch  # its curves end where its weights are from
        assert bundle.origin.describe() == f"opened run run, epoch {epoch}"
    assert not torch.equal(run.bundle_at(0).model.state_dict()["output.weight"], seen[3]["output.weight"])
    assert run.bundle_at().origin.epoch == 3  # default: the last complete epoch


def test_the_history_is_the_one_the_training_had(tmp_path: Path, session_for) -> None:
    from rnnviz.core.runs import RunRecorder

    session = session_for(2)
    with RunRecorder.create(tmp_path / "run", session.bundle) as recorder:
        session.run(recorder.record)
    history = open_run(tmp_path / "run").history()
    assert history.to_dict() == session.bundle.history.to_dict()
    assert len(history.step) > 10 and history.epoch == [1, 2]


def test_steps_keep_their_gradient_groups(tmp_path: Path, record) -> None:
    record(tmp_path / "run", epochs=1)
    steps = [e for e in open_run(tmp_path / "run").events if isinstance(e, Step)]
    assert steps and all(s.groups and len(s.groups) == len(s.group_norms) for s in steps)
    assert steps[0].groups is steps[-1].groups  # one tuple, as the training shares it
    assert any(g.gate == "update" for g in steps[0].groups)


def test_weights_every_n_steps_open_too(tmp_path: Path, record) -> None:
    record(tmp_path / "run", epochs=2, save_every_steps=5)
    run = open_run(tmp_path / "run")
    steps = run.saved_steps()
    assert steps and all(s % 5 == 0 for s in steps)
    bundle = run.bundle_at(step=steps[1])
    assert bundle.origin.describe() == f"opened run run, step {steps[1]}"
    assert bundle.history.step[-1] == steps[1]


def test_the_folder_holds_json_and_safetensors_only(tmp_path: Path, record) -> None:
    folder = tmp_path / "run"
    record(folder, epochs=2, label="GRU 8")
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([EVENTS, MANIFEST, "epoch-0000.safetensors", "epoch-0001.safetensors",
                            "epoch-0002.safetensors"])
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["format"] == "rnnviz-run" and manifest["version"] == 1 and manifest["status"] == "completed"
    assert manifest["label"] == "GRU 8" and manifest["vocabs"]["tokens"][:1] and manifest["task"] == "lm"
    assert manifest["corpus"]["digest"].startswith("sha256:")
    for line in (folder / EVENTS).read_text().splitlines():
        json.loads(line)  # strict JSON, one object a line
    for name in names:
        if name.endswith(".safetensors"):
            from safetensors import safe_open

            with safe_open(str(folder / name), framework="pt") as f:
                assert f.metadata()["format"] == "rnnviz-run-weights"


def test_epoch_lines_carry_the_weights_sha256(tmp_path: Path, record) -> None:
    import hashlib

    folder = tmp_path / "run"
    record(folder, epochs=2)
    lines = [json.loads(line) for line in (folder / EVENTS).read_text().splitlines()]
    epochs = [line for line in lines if line["type"] == "epoch"]
    assert [line["epoch"] for line in epochs] == [1, 2]
    for line in epochs:
        data = (folder / line["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == line["sha256"] and len(data) == line["bytes"]


def test_best_validation_is_the_lowest_validation_loss(tmp_path: Path, record) -> None:
    record(tmp_path / "run", epochs=3)
    run = open_run(tmp_path / "run")
    ends = [e for e in run.events if isinstance(e, EpochEnd)]
    best = run.best_validation()
    assert best is not None and best.val_loss == min(e.val_loss for e in ends)


def test_an_interrupted_recording_says_so(tmp_path: Path, session_for) -> None:
    from rnnviz.core.runs import RunRecorder

    session = session_for(3)
    with pytest.raises(KeyboardInterrupt):
        with RunRecorder.create(tmp_path / "run", session.bundle) as recorder:
            def on_event(event) -> None:
                recorder.record(event)
                if isinstance(event, EpochEnd):
                    raise KeyboardInterrupt
            session.run(on_event)
    run = open_run(tmp_path / "run")
    assert run.status == "interrupted" and run.epochs() == (0, 1)
    assert not (tmp_path / "run" / "lock").exists()


def test_a_continued_model_records_from_the_epoch_it_had_reached(tmp_path: Path, session_for) -> None:
    from rnnviz.core.runs import RunRecorder, summarize
    from rnnviz.core.session import TrainingSession

    first = session_for(2)
    first.run()
    again = TrainingSession(first.data_config, None, first.train_config, initial=first.bundle)
    assert again.prepare()
    with RunRecorder.create(tmp_path / "run", again.bundle) as recorder:
        again.run(recorder.record)
    run = open_run(tmp_path / "run")
    assert run.manifest.start_epoch == 2 and run.epochs() == (2, 3, 4)  # its first weights: where it had got to
    assert [e.epoch for e in run.epoch_ends()] == [3, 4]
    assert torch.equal(run.bundle_at(2).model.state_dict()["output.weight"],
                       first.bundle.model.state_dict()["output.weight"])
    assert summarize(tmp_path / "run").epochs == 2  # trained in this run


@pytest.mark.parametrize("stack", [
    dict(cell="lstm", hidden_sizes=(8, 6), implementation="scratch"),
    dict(cell="gru-book", hidden_sizes=(8,), implementation="scratch"),
    dict(cell="rnn", hidden_sizes=(8,), bidirectional=True),
])
def test_an_opened_epoch_computes_what_the_trained_model_computed(tmp_path: Path, session_for, stack: dict) -> None:
    from rnnviz.core.config import ModelConfig, StackSpec
    from rnnviz.core.runs import RunRecorder
    from rnnviz.core.train import to_device

    session = session_for(1, ModelConfig(task="lm", stack=StackSpec(**stack), embed_size=5))
    with RunRecorder.create(tmp_path / "run", session.bundle) as recorder:
        session.run(recorder.record)
    opened = open_run(tmp_path / "run").bundle_at(1).model
    trained = session.bundle.model.eval()
    batch = to_device(next(iter(session.data.val_batches())), torch.device("cpu"))
    with torch.no_grad():
        assert float(opened.batch_loss(batch)) == pytest.approx(float(trained.batch_loss(batch)), abs=1e-6)
    assert not opened.training and all(p.device.type == "cpu" for p in opened.parameters())
