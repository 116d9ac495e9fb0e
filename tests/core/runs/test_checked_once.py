"""A run's weights file is hashed once while it stays as it was; any change to it is checked in full again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch

from rnnviz.core.errors import DataError
from rnnviz.core.runs import open_run
from rnnviz.core.runs import weights


@pytest.fixture
def recorded(tmp_path: Path, record) -> tuple[Path, dict[int, dict[str, torch.Tensor]]]:
    folder = tmp_path / "run"
    return folder, record(folder, epochs=3)


@pytest.fixture
def hashes(monkeypatch) -> list[int]:
    """The number of bytes of every SHA-256 the weights module computes."""
    seen: list[int] = []
    real = weights.hashlib.sha256

    def counting(data: bytes = b"") -> object:
        seen.append(len(data))
        return real(data)
    monkeypatch.setattr(weights.hashlib, "sha256", counting)
    return seen


@pytest.fixture
def settled(monkeypatch) -> None:
    """Files just recorded count as left alone (else the racy-timestamp rule would not remember them)."""
    monkeypatch.setattr(weights, "SETTLED_S", -1.0)


def test_an_unchanged_file_is_hashed_once_and_opens_with_its_weights(recorded, hashes, settled) -> None:
    folder, seen = recorded
    run = open_run(folder)
    first = run.bundle_at(2)
    second = run.bundle_at(2)
    assert len(hashes) == 1
    assert first.model is not second.model  # a model per load, from one skeleton
    for bundle in (first, second):
        for name, tensor in bundle.model.state_dict().items():
            assert torch.equal(tensor, seen[2][name])
    other = run.bundle_at(1)
    assert not torch.equal(next(iter(other.model.parameters())), next(iter(first.model.parameters())))


@pytest.mark.parametrize("how", ["in place", "replaced"])
def test_a_file_changed_after_it_was_checked_is_checked_again_and_refused(recorded, hashes, settled,
                                                                           how: str) -> None:
    folder, _seen = recorded
    run = open_run(folder)
    assert run.check(2)  # remembered
    path = folder / "epoch-0002.safetensors"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # same size, other values
    time.sleep(0.05)  # a later timestamp tick than the check's
    if how == "in place":
        with open(path, "r+b") as handle:
            handle.write(bytes(data))
    else:
        other = folder / "other.tmp"
        other.write_bytes(bytes(data))
        os.replace(other, path)
    with pytest.raises(DataError, match="epoch-0002.safetensors does not match the SHA-256"):
        run.bundle_at(2)
    assert len(hashes) == 2 and 2 in run.refused


def test_a_file_restored_by_its_time_alone_is_still_checked_again(recorded, hashes, settled) -> None:
    """Setting the modification time back (touch -d) cannot hide a change: the identity holds ctime."""
    folder, _seen = recorded
    run = open_run(folder)
    run.check(1)
    path = folder / "epoch-0001.safetensors"
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    time.sleep(0.05)
    with open(path, "r+b") as handle:
        handle.write(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(DataError, match="does not match the SHA-256"):
        run.bundle_at(1)


def test_a_file_written_moments_ago_is_hashed_at_every_load(recorded, hashes) -> None:
    folder, _seen = recorded  # just recorded: within SETTLED_S
    run = open_run(folder)
    assert not run.check(3)
    run.bundle_at(3)
    run.bundle_at(3)
    assert len(hashes) == 3


def test_verify_hashes_every_file_even_those_checked_before(recorded, hashes, settled) -> None:
    folder, _seen = recorded
    run = open_run(folder)
    for epoch in run.epochs():
        run.check(epoch)
    before = len(hashes)
    assert run.verify() == []
    assert len(hashes) - before == len(run.epochs())


def test_checking_a_damaged_file_says_what_is_wrong(recorded, settled) -> None:
    folder, _seen = recorded
    path = folder / "epoch-0003.safetensors"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    run = open_run(folder)
    with pytest.raises(DataError, match="epoch 3 of the run run: epoch-0003.safetensors does not match the SHA-256"):
        run.check(3)
    with pytest.raises(DataError, match="does not match the SHA-256"):  # not remembered as good
        run.bundle_at(3)
