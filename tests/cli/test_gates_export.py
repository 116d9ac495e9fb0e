"""`rnnviz gates` writes one export as one transaction: every file, or none (older ones kept)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from rnnviz.cli import main


def test_a_failed_csv_leaves_no_new_npz_and_keeps_the_old_one(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    npz, table = tmp_path / "trace.npz", tmp_path / "trace.csv"
    npz.write_bytes(b"an older trace")
    table.mkdir()  # the CSV cannot go there: a folder has its name
    assert main(["gates", "--text", "hello", "--out", str(npz), "--csv", str(table)]) == 1
    err = capsys.readouterr().err
    assert f"could not save the gate trace to {table}" in err and "Traceback" not in err
    assert npz.read_bytes() == b"an older trace" and table.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.csv", "trace.npz"]


def test_a_translation_trace_writes_both_parts_or_neither(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    real, calls = np.savez, []

    def full_at_the_second_part(file, **arrays):
        calls.append(1)
        if len(calls) == 2:
            file.write(b"half the decoder")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(file, **arrays)

    monkeypatch.setattr(np, "savez", full_at_the_second_part)
    out = tmp_path / "mt.npz"
    assert main(["gates", "--task", "mt", "--text", "The cat is black.", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "the disk is full" in err and "mt.decoder.npz" in err
    assert list(tmp_path.iterdir()) == []  # the encoder's file, written first, is gone too
