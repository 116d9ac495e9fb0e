"""Bad input: each a clear message, and the rest of the run still opens."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest
import torch

from rnnviz.core.errors import DataError
from rnnviz.core.events import EpochEnd
from rnnviz.core.runs import RecordingFailed, RunRecorder, open_run
from rnnviz.core.runs import writer
from rnnviz.core.runs.layout import EVENTS, LOCK, MANIFEST


@pytest.fixture
def run_folder(tmp_path: Path, record) -> Path:
    folder = tmp_path / "run"
    record(folder, epochs=3)
    return folder


def _lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / EVENTS).read_text().splitlines()]


def _rewrite(folder: Path, lines: list[dict]) -> None:
    (folder / EVENTS).write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_a_missing_epoch_is_skipped_and_named(run_folder: Path) -> None:
    (run_folder / "epoch-0002.safetensors").unlink()
    run = open_run(run_folder)
    assert run.epochs() == (0, 1, 3)
    assert any("epoch 2" in n and "missing" in n for n in run.notices)
    with pytest.raises(DataError, match=r"no complete epoch 2 \(complete: 0–1, 3\)"):
        run.bundle_at(2)
    run.bundle_at(3)  # the others open


def test_a_truncated_epoch_is_skipped_and_named(run_folder: Path) -> None:
    path = run_folder / "epoch-0001.safetensors"
    path.write_bytes(path.read_bytes()[:100])
    run = open_run(run_folder)
    assert run.epochs() == (0, 2, 3)
    assert any("epoch 1" in n and "cut short" in n for n in run.notices)


def test_weights_that_do_not_match_their_sha256_are_refused_on_loading(run_folder: Path) -> None:
    path = run_folder / "epoch-0002.safetensors"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # same size, other values
    path.write_bytes(bytes(data))
    run = open_run(run_folder)
    with pytest.raises(DataError, match="epoch 2 of the run run: epoch-0002.safetensors does not match the SHA-256"):
        run.bundle_at(2)
    assert 2 in run.refused and any("SHA-256" in n for n in run.notices)
    assert run.bundle_at(3).origin.epoch == 3
    assert any("SHA-256" in problem for problem in open_run(run_folder).verify())


def test_weights_whose_shapes_do_not_fit_the_settings_are_refused_naming_the_epoch(run_folder: Path) -> None:
    from safetensors.torch import load, save

    path = run_folder / "epoch-0001.safetensors"
    tensors = load(path.read_bytes())
    tensors["output.weight"] = torch.zeros(3, 5)
    data = save(tensors)
    path.write_bytes(data)
    lines = _lines(run_folder)
    for line in lines:  # a consistent record, so that only the shapes are wrong
        if line.get("file") == path.name:
            line.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    _rewrite(run_folder, lines)
    run = open_run(run_folder)
    with pytest.raises(DataError) as refused:
        run.bundle_at(1)
    message = str(refused.value)
    assert message.startswith("epoch 1 of the run run was refused") and "output.weight is 3×5" in message
    run.bundle_at(2)


def test_non_finite_weights_are_refused(run_folder: Path) -> None:
    from safetensors.torch import load, save

    path = run_folder / "epoch-0003.safetensors"
    tensors = load(path.read_bytes())
    tensors["output.bias"][0] = float("nan")
    data = save(tensors)
    path.write_bytes(data)
    lines = _lines(run_folder)
    for line in lines:
        if line.get("file") == path.name:
            line.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    _rewrite(run_folder, lines)
    with pytest.raises(DataError, match="not all finite"):
        open_run(run_folder).bundle_at(3)


def test_a_manifest_from_a_newer_rnnviz_is_refused_naming_the_version(run_folder: Path) -> None:
    manifest = json.loads((run_folder / MANIFEST).read_text())
    manifest.update(version=7, rnnviz="9.0.0")
    (run_folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"newer rnnviz \(9.0.0, run format 7.*update rnnviz to open it"):
        open_run(run_folder)


def test_a_folder_that_is_not_a_run_says_so(tmp_path: Path, run_folder: Path) -> None:
    with pytest.raises(DataError, match="is not an rnnviz run: it has no manifest.json. It holds 1 run"):
        open_run(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="Record one with rnnviz train"):
        open_run(tmp_path / "empty")
    with pytest.raises(DataError, match="no such folder"):
        open_run(tmp_path / "nowhere")


@pytest.mark.parametrize("change, words", [
    (lambda m: m.update(format="other"), "is not an rnnviz run manifest"),
    (lambda m: m.update(task="poetry"), "its task is 'poetry'"),
    (lambda m: m["model_config"]["stack"].update(cell="transformer"), "its model_config cannot be read"),
    (lambda m: m.update(vocabs={"tokens": [1, 2]}), "vocabs.tokens is not a list of tokens"),
    (lambda m: m.update(status="flying"), "its status is 'flying'"),
])
def test_a_damaged_manifest_names_the_field(run_folder: Path, change, words: str) -> None:
    manifest = json.loads((run_folder / MANIFEST).read_text())
    change(manifest)
    (run_folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=words):
        open_run(run_folder)


def test_a_torn_last_line_and_a_garbled_line_are_skipped(run_folder: Path) -> None:
    lines = (run_folder / EVENTS).read_text().splitlines(keepends=True)
    lines.insert(5, "this is not json\n")
    (run_folder / EVENTS).write_text("".join(lines) + '{"type":"step","st')
    run = open_run(run_folder)
    assert run.epochs() == (0, 1, 2, 3)
    assert any("line 6" in n for n in run.notices) and any("cut short" in n for n in run.notices)


def test_weights_without_their_line_are_skipped(run_folder: Path) -> None:
    lines = _lines(run_folder)
    cut = max(i for i, line in enumerate(lines) if line["type"] == "epoch")
    _rewrite(run_folder, lines[:cut])  # as if killed between the weights' rename and their line
    run = open_run(run_folder)
    assert run.epochs() == (0, 1, 2)
    assert any("epoch-0003.safetensors has no line" in n for n in run.notices)


def test_a_second_writer_is_refused(tmp_path: Path, session_for) -> None:
    first = session_for(1)
    with RunRecorder.create(tmp_path / "run", first.bundle):
        with pytest.raises(DataError, match=rf"being written by process {os.getpid()} on .*two processes cannot write"):
            RunRecorder.create(tmp_path / "run", session_for(1).bundle)
    with pytest.raises(DataError, match="already holds a run"):
        RunRecorder.create(tmp_path / "run", session_for(1).bundle)


def test_a_stale_lock_from_a_dead_process_is_taken_over_with_a_note(tmp_path: Path, session_for) -> None:
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    session = session_for(1)
    with RunRecorder.create(folder, session.bundle) as recorder:
        session.run(recorder.record)
    run = open_run(folder)
    assert any("no longer running; its lock was taken over" in note for note in run.notes)


def test_a_folder_with_other_files_is_refused(tmp_path: Path, session_for) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(DataError, match=r"is not empty \(notes.txt\) and is not a run"):
        RunRecorder.create(folder, session_for(1).bundle)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("what, fail_at, kept", [
    ("line", 30, (0, 1)),  # the 30th event line: a step of epoch 2 (an epoch has 17 steps)
    ("weights", 2, (0, 1)),  # epoch 2's weights file (the first after the recorder started is epoch 1's)
])
def test_a_full_disk_stops_the_recording_cleanly_keeping_what_it_had(tmp_path: Path, session_for,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      what: str, fail_at: int,
                                                                      kept: tuple[int, ...]) -> None:
    real = writer._write
    calls = {"line": 0, "weights": 0}

    def full_disk(target, data) -> None:
        kind = "line" if isinstance(target, int) else "weights"
        calls[kind] += 1
        if kind == what and calls[kind] >= fail_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(target, data)

    session = session_for(4)
    recorder = RunRecorder.create(tmp_path / "run", session.bundle)
    monkeypatch.setattr(writer, "_write", full_disk)
    failure = None
    events = session.start()
    event = next(events)
    try:
        while True:
            try:
                recorder.record(event)
            except RecordingFailed as exc:
                failure = exc
                break
            if isinstance(event, EpochEnd) and event.epoch == 3:
                break
            event = events.send(None)
        if failure is None:  # written by the recorder's thread: the failure may come out only now
            try:
                recorder.flush()
            except RecordingFailed as exc:
                failure = exc
    finally:
        events.close()
        recorder.close()
    assert failure is not None and "the disk is full" in str(failure) and "The run keeps what it had" in str(failure)
    monkeypatch.setattr(writer, "_write", real)
    run = open_run(tmp_path / "run")
    assert run.status == "failed" and "the disk is full" in (run.manifest.reason or "")
    assert run.epochs() == kept and all(run.bundle_at(e) for e in run.epochs())  # every epoch it kept opens
    assert not (tmp_path / "run" / LOCK).exists()
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]


def test_a_weights_file_larger_than_the_model_can_take_is_refused_unread(run_folder: Path) -> None:
    path = run_folder / "epoch-0002.safetensors"
    data = path.read_bytes() + bytes(8 << 20)  # a file of megabytes for a model of kilobytes
    path.write_bytes(data)
    lines = _lines(run_folder)
    for line in lines:
        if line.get("file") == path.name:
            line.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    _rewrite(run_folder, lines)
    with pytest.raises(DataError, match="more than the model its settings describe can take"):
        open_run(run_folder).bundle_at(2)


def test_a_line_naming_a_file_outside_the_run_is_skipped(run_folder: Path) -> None:
    lines = _lines(run_folder)
    for line in lines:
        if line.get("type") == "epoch" and line["epoch"] == 2:
            line["file"] = "../../etc/passwd"
    _rewrite(run_folder, lines)
    run = open_run(run_folder)
    assert 2 not in run.epochs() and any("not a plain file name" in n for n in run.notices)


def test_a_manifest_nested_beyond_reason_is_refused_not_a_crash(run_folder: Path) -> None:
    (run_folder / MANIFEST).write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataError, match="not JSON as rnnviz writes it"):
        open_run(run_folder)
