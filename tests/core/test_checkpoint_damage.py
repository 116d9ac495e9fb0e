"""Damaged checkpoints: a byte flipped in a tensor, a compressed archive, random damage anywhere.

The checksum (format version 2) tells weights that changed; the archive check refuses what
torch would inflate; whatever else a damaged file does, it is refused with a DataError naming
it, or it loads the very same model. Version-1 files, without a checksum, still open, saying so.
"""

from __future__ import annotations

import io
import random
import struct
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
import torch

from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.errors import DataError
from tests.core.test_checkpoint_checks import edit, lm_file, mt_file, refusal  # noqa: F401 (the fixtures)


def fix_crcs(data: bytearray) -> None:
    """Rewrite every CRC-32 of the zip (local headers and central directory) to match the bytes, so
    that a change inside an entry leaves a valid archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
            entries, start_dir = archive.infolist(), archive.start_dir
    except Exception:
        return  # the change broke the archive itself: nothing to fix
    crcs: dict[str, bytes] = {}
    try:
        for entry in entries:
            name_len, extra_len = struct.unpack("<HH", data[entry.header_offset + 26:entry.header_offset + 30])
            start = entry.header_offset + 30 + name_len + extra_len
            crcs[entry.filename] = struct.pack("<I", zlib.crc32(bytes(data[start:start + entry.file_size])))
            data[entry.header_offset + 14:entry.header_offset + 18] = crcs[entry.filename]
        position = start_dir
        while data[position:position + 4] == b"PK\x01\x02":
            n, m, k = struct.unpack("<HHH", data[position + 28:position + 34])
            name = data[position + 46:position + 46 + n].decode(errors="replace")
            if name in crcs:
                data[position + 16:position + 20] = crcs[name]
            position += 46 + n + m + k
    except struct.error:
        return  # a header offset the change made point past the end: leave the rest as it is


def flip_byte_in_tensor_data(path: Path, offset: int = 5) -> None:
    """Flip one bit of the largest tensor's stored bytes, keeping the zip valid: only the checksum can tell."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        entry = max((i for i in archive.infolist() if "/data/" in i.filename and "/.data/" not in i.filename),
                    key=lambda i: i.file_size)
    name_len, extra_len = struct.unpack("<HH", data[entry.header_offset + 26:entry.header_offset + 30])
    data[entry.header_offset + 30 + name_len + extra_len + offset] ^= 0x01
    fix_crcs(data)
    path.write_bytes(bytes(data))


def test_a_byte_flipped_inside_a_tensor_is_refused_by_the_checksum(mt_file: Path) -> None:
    before = torch.load(mt_file, weights_only=True)["state_dict"]
    flip_byte_in_tensor_data(mt_file)
    with zipfile.ZipFile(mt_file) as archive:
        assert archive.testzip() is None  # a valid archive: every CRC matches
    after = torch.load(mt_file, weights_only=True)["state_dict"]
    assert [name for name in before if not torch.equal(before[name], after[name])]  # the weights did change
    message = refusal(mt_file)
    assert ("its weights or settings do not match their checksum: the file is damaged; save or download it again"
            in message)


def test_a_compressed_archive_is_refused_before_torch_inflates_it(lm_file: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The same checkpoint, its tensors deflated: torch would read it, inflating every entry in memory.
    deflated = lm_file.with_name("deflated.pt")
    with zipfile.ZipFile(lm_file) as source, zipfile.ZipFile(deflated, "w") as out:
        for entry in source.infolist():
            compression = zipfile.ZIP_DEFLATED if "/data/" in entry.filename else zipfile.ZIP_STORED
            out.writestr(entry.filename, source.read(entry.filename), compress_type=compression)
    assert torch.load(deflated, weights_only=True)["task"] == "lm"  # torch alone takes it

    def no_torch_load(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("torch read a compressed archive")

    monkeypatch.setattr(torch, "load", no_torch_load)
    message = refusal(deflated)
    assert "is compressed, which torch.save never does" in message


def test_settings_changed_behind_the_checksum_are_refused(lm_file: Path) -> None:
    edit(lm_file, lambda p: p["vocabs"]["tokens"].reverse(), restamp=False)
    assert "do not match their checksum" in refusal(lm_file)


def test_a_version_1_file_without_checksum_still_opens_with_a_note(lm_file: Path) -> None:
    original = load_checkpoint(lm_file)

    def as_version_1(payload: dict[str, Any]) -> None:
        payload["version"] = 1
        del payload["checksum"]

    loaded = load_checkpoint(edit(lm_file, as_version_1, restamp=False))
    assert all(torch.equal(a, b) for a, b in zip(loaded.model.state_dict().values(),
                                                  original.model.state_dict().values()))
    (note,) = loaded.origin.notes
    assert "lm.pt" in note and "without a checksum" in note and "save it again" in note
    # Saved again, it is a checked version-2 file with the same weights.
    again = load_checkpoint(save_checkpoint(loaded, lm_file))
    assert again.origin.notes == () and torch.load(lm_file, weights_only=True)["version"] == 2


def test_a_version_2_file_without_its_checksum_is_refused(lm_file: Path) -> None:
    edit(lm_file, lambda p: p.pop("checksum"), restamp=False)
    assert "checksum is None, not a SHA-256 checksum" in refusal(lm_file)


def test_random_damage_is_refused_by_a_message_or_changes_nothing(mt_file: Path) -> None:
    """Bytes changed anywhere (zip headers, the pickle, tensors), with the zip's CRCs fixed or not:
    the file is refused with a DataError naming it, or it loads the very same model (the change hit
    bytes without meaning: padding, a timestamp). Never another exception, never other weights."""
    original = load_checkpoint(mt_file)
    source = mt_file.read_bytes()
    with zipfile.ZipFile(mt_file) as archive:  # where the pickle lies: most of its bytes mean something
        pickle_entry = next(i for i in archive.infolist() if i.filename.endswith("data.pkl"))
    pickle_start = source.index(b"\x80", pickle_entry.header_offset + 30)  # its protocol opcode
    pickle_bytes = range(pickle_start, pickle_start + pickle_entry.file_size)
    rng = random.Random(15)
    outcomes = {"refused": 0, "same": 0}
    for case in range(200):
        data = bytearray(source)
        for _ in range(rng.choice((1, 1, 2, 8))):
            position = rng.choice(pickle_bytes) if case % 2 else rng.randrange(len(data))
            data[position] = rng.randrange(256) if rng.random() < 0.5 else data[position] ^ (1 << rng.randrange(8))
        if rng.random() < 0.7:
            fix_crcs(data)
        damaged = mt_file.with_name(f"damaged-{case}.pt")
        damaged.write_bytes(bytes(data))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch warns about odd pickle protocols it then refuses
                loaded = load_checkpoint(damaged)
        except DataError as exc:
            assert str(damaged) in str(exc)
            outcomes["refused"] += 1
            continue
        assert loaded.model_config == original.model_config and loaded.vocabs == original.vocabs
        assert loaded.data_config == original.data_config
        assert all(torch.equal(a, b) for a, b in zip(loaded.model.state_dict().values(),
                                                      original.model.state_dict().values()))
        outcomes["same"] += 1
    assert outcomes["refused"] > 50  # most changes land in meaningful bytes
