"""A run written by another process: killed (SIGKILL) at random moments it still opens up to its last
complete epoch; followed while it grows, the reader sees every event the writer wrote."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnviz.core.errors import DataError
from rnnviz.core.events import EpochEnd, Step
from rnnviz.core.runs import RunRecorder, follow, is_run, open_run

CHILD = Path(__file__).with_name("record_child.py")
ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and pid probes are POSIX")


def _start(folder: Path, corpus: Path, epochs: int, every: int, pause: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(CHILD), str(folder), str(corpus), str(epochs), str(every),
                             str(pause)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for_steps(folder: Path, child: subprocess.Popen[str]) -> None:
    """Until the child has written a few steps (its first step comes seconds after it starts)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        try:
            if (folder / "events.jsonl").read_bytes().count(b'"type":"step"') >= 3:
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise AssertionError(f"the child wrote no steps: {child.stderr.read() if child.stderr else ''}")


def _check_survivor(folder: Path) -> tuple[int, ...]:
    """What a killed run must be: it opens; its epochs run 0..K without a gap, each loads and verifies."""
    run = open_run(folder)
    assert run.status == "unfinished"
    epochs = run.epochs()
    assert epochs == tuple(range(len(epochs)))
    for epoch in epochs:
        bundle = run.bundle_at(epoch)
        assert len(bundle.history.epoch) == epoch
    for step in run.saved_steps():
        run.bundle_at(step=step)
    assert [e.epoch for e in run.events if isinstance(e, EpochEnd)] == list(epochs[1:])
    assert not run.verify()
    # Anything skipped is only what a kill can leave: a last line cut short, weights saved but not yet noted.
    assert all("cut short" in n or "has no line" in n for n in run.notices), run.notices
    return epochs


@pytest.mark.parametrize("seed", range(12))
def test_a_run_killed_at_any_moment_opens_up_to_its_last_complete_epoch(tmp_path: Path, corpus: Path,
                                                                       seed: int) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "run"
    child = _start(folder, corpus, epochs=500, every=7, pause=0.0)
    try:
        if seed % 4 == 0:  # from the start: the folder, the lock, the manifest, the first weights may be half-done
            time.sleep(rng.uniform(0.3, 5.0))
        else:  # while it trains (about ten epochs a second): epochs, step saves and lines at every stage
            _wait_for_steps(folder, child)
            time.sleep(rng.uniform(0.0, 1.5))
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
        child.stdout.close()  # type: ignore[union-attr]
        child.stderr.close()  # type: ignore[union-attr]
    if not is_run(folder):
        with pytest.raises(DataError, match="not an rnnviz run|no such folder"):
            open_run(folder)
    else:
        _check_survivor(folder)
    # The folder can be recorded into again only when it holds no run: a dead writer's lock is no obstacle.
    if folder.is_dir() and not is_run(folder):
        from tests.core.runs.conftest import GRU8  # noqa: F401 (the same tiny model)
        from rnnviz.core.config import DataConfig, TrainConfig
        from rnnviz.core.session import TrainingSession

        session = TrainingSession(DataConfig(corpus=str(corpus), num_steps=8, batch_size=8), GRU8,
                                  TrainConfig(epochs=1, lr=1.0, device="cpu"))
        session.prepare()
        with RunRecorder.create(folder, session.bundle) as recorder:
            session.run(recorder.record)
        assert open_run(folder).status == "completed"


def test_a_reader_follows_a_run_another_process_writes(tmp_path: Path, corpus: Path) -> None:
    folder = tmp_path / "run"
    child = _start(folder, corpus, epochs=4, every=0, pause=0.01)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready", child.stderr
        deadline = time.monotonic() + 60
        while not is_run(folder):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        run = open_run(folder)
        assert run.status == "running"
        seen = list(run.events)
        epochs = list(run.epochs())
        loaded = []
        updates = 0
        for update in follow(run, interval=0.02, timeout=120):
            updates += 1
            seen.extend(update.events)
            epochs.extend(update.epochs)
            for epoch in update.epochs:  # an epoch is usable the moment it appears
                loaded.append(run.bundle_at(epoch).origin.epoch)
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()  # type: ignore[union-attr]
        child.stderr.close()  # type: ignore[union-attr]
    assert run.status == "completed" and run.finished
    assert updates > 4  # it grew while we watched, not all at once
    final = open_run(folder)
    assert seen == final.events  # every event, once, in order
    assert epochs == list(final.epochs()) == [0, 1, 2, 3, 4]
    assert loaded and set(loaded) <= set(epochs)
    assert sum(isinstance(e, Step) for e in seen) > 40
