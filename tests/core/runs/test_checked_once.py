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


def _craft(folder: Path, epoch: int, change) -> None:
    """Rewrite ``epoch``'s file as ``change(header, body)`` makes it, and its line to vouch for it (as someone
    who crafts a whole run would): only the parse can refuse it."""
    import hashlib
    import json

    from rnnviz.core.runs.layout import EVENTS

    path = folder / f"epoch-{epoch:04d}.safetensors"
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header, body = json.loads(data[8:8 + size]), data[8 + size:]
    header, body = change(header, body)
    raw = json.dumps(header).encode()
    data = len(raw).to_bytes(8, "little") + raw + body
    path.write_bytes(data)
    lines = [json.loads(line) for line in (folder / EVENTS).read_text().splitlines()]
    for line in lines:
        if line.get("file") == path.name:
            line.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (folder / EVENTS).write_text("".join(json.dumps(line) + "\n" for line in lines))


def _first(header: dict) -> dict:
    return header[next(k for k in header if k != "__metadata__")]


def _offsets_beyond(header: dict, body: bytes) -> tuple[dict, bytes]:
    _first(header)["data_offsets"][1] += 1 << 30
    return header, body


def _overlap(header: dict, body: bytes) -> tuple[dict, bytes]:
    """Two tensors of one shape (a GRU's two biases) on the same bytes: each fits its shape, the others' bytes
    are left out."""
    entries = [v for k, v in sorted(header.items()) if k != "__metadata__"]
    a, b = next((a, b) for a in entries for b in entries if a is not b and a["shape"] == b["shape"])
    b["data_offsets"] = list(a["data_offsets"])
    return header, body


def _shape_too_big(header: dict, body: bytes) -> tuple[dict, bytes]:
    _first(header)["shape"] = [10**9, 10**9]
    return header, body


def _unknown_dtype(header: dict, body: bytes) -> tuple[dict, bytes]:
    _first(header)["dtype"] = "F128"
    return header, body


def _trailing(header: dict, body: bytes) -> tuple[dict, bytes]:
    return header, body + bytes(16)


def _header_longer_than_file(header: dict, body: bytes) -> tuple[dict, bytes]:
    return {"x": "y" * 100}, b""


@pytest.mark.parametrize("change", [_offsets_beyond, _overlap, _shape_too_big, _unknown_dtype, _trailing,
                                    _header_longer_than_file])
def test_a_crafted_file_whose_line_vouches_for_it_is_refused_by_the_parse(recorded, change) -> None:
    folder, _seen = recorded
    _craft(folder, 2, change)
    run = open_run(folder)
    with pytest.raises(DataError, match=r"epoch 2 of the run run(: epoch-0002.safetensors cannot be read as "
                                        r"safetensors| was refused)"):
        run.bundle_at(2)
    assert run.bundle_at(3).origin.epoch == 3


def test_a_header_length_beyond_the_file_is_refused(recorded) -> None:
    import hashlib
    import json

    from rnnviz.core.runs.layout import EVENTS

    folder, _seen = recorded
    path = folder / "epoch-0001.safetensors"
    data = (1 << 40).to_bytes(8, "little") + path.read_bytes()[8:]
    path.write_bytes(data)
    lines = [json.loads(line) for line in (folder / EVENTS).read_text().splitlines()]
    for line in lines:
        if line.get("file") == path.name:
            line.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (folder / EVENTS).write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(DataError, match="cannot be read as safetensors"):
        open_run(folder).bundle_at(1)


def test_an_opened_epochs_weights_can_be_trained_further(recorded) -> None:
    """The tensors are views of the file's bytes: writable ones, so that Train can continue a run's epoch."""
    folder, seen = recorded
    model = open_run(folder).bundle_at(2).model
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    name, tensor = next(iter(model.state_dict().items()))
    assert torch.equal(tensor, seen[2][name] + 1.0)
    assert torch.equal(open_run(folder).bundle_at(2).model.state_dict()[name], seen[2][name])  # the file as it was
