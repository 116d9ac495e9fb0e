"""Saves that fail say why and leave nothing behind: full disks, killed saves, exports as one
transaction, file modes, and destinations refused before any work."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from rnnviz.core import atomic
from rnnviz.core.atomic import Export, check_destination, remove_stale_temps, write_atomically
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.data.datasets import build_data
from rnnviz.core.errors import DataError
from rnnviz.core.models.factory import ModelBundle, bundle_for


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> ModelBundle:
    """A GRU of 64 units: its weights (about 100 KB) are more than a write buffer holds."""
    path = tmp_path_factory.mktemp("corpus") / "tiny.txt"
    path.write_text("the cat sat on the mat. " * 30, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8))
    return bundle_for(data, ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(64,))), seed=0)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every temporary file rnnviz writes lands on /dev/full: the kernel answers ENOSPC, for real."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    real = atomic._create_temp

    def on_full_disk(target: Path) -> tuple[int, Path]:
        handle, tmp = real(target)
        full = os.open("/dev/full", os.O_WRONLY)
        os.dup2(full, handle)
        os.close(full)
        return handle, tmp

    monkeypatch.setattr(atomic, "_create_temp", on_full_disk)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


# ---- a full disk, and other reasons ------------------------------------------------------------


def test_a_full_disk_during_a_checkpoint_save_says_so_and_keeps_the_old_file(bundle, tmp_path, full_disk):
    target = tmp_path / "model.pt"
    target.write_bytes(b"the previous checkpoint")
    with pytest.raises(DataError) as info:
        save_checkpoint(bundle, target)  # torch.save sees the failed write as a RuntimeError of its own
    message = str(info.value)
    assert "the disk is full" in message and str(target) in message and "unchanged" in message
    assert "enforce fail" not in message and "unexpected pos" not in message  # not torch's words
    assert target.read_bytes() == b"the previous checkpoint"
    assert names(tmp_path) == ["model.pt"]


def test_a_full_disk_with_a_large_torch_file_and_a_small_text_file(tmp_path, full_disk):
    with pytest.raises(DataError, match="the disk is full"):
        write_atomically(tmp_path / "big.pt", "wb", lambda f: torch.save({"x": torch.zeros(250_000)}, f), "the tensor")
    with pytest.raises(DataError, match="could not save the note to .*note.txt: the disk is full"):
        write_atomically(tmp_path / "note.txt", "w", lambda f: f.write("a few words"), "the note")  # fails at flush
    assert names(tmp_path) == []


@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "the disk is full"),
    (errno.EDQUOT, "the disk is full for this user"),
    (errno.EROFS, "the file system is read-only"),
    (errno.EACCES, "permission denied"),
])
def test_each_reason_is_said_in_words_with_the_path(tmp_path, code, words):
    target = tmp_path / "trace.csv"

    def fails(f):
        f.write("part,layer\n")
        raise OSError(code, os.strerror(code))

    with pytest.raises(DataError) as info:
        write_atomically(target, "w", fails, "the gate trace")
    message = str(info.value)
    assert words in message and str(target) in message and os.strerror(code) in message
    assert names(tmp_path) == []


def test_an_error_that_is_not_the_disks_passes_through_and_leaves_nothing(tmp_path):
    def bug(f):
        f.write(b"half")
        raise ValueError("a bug in the writer")

    with pytest.raises(ValueError, match="a bug in the writer"):
        write_atomically(tmp_path / "x.bin", "wb", bug)
    assert names(tmp_path) == []


# ---- temporary files of killed saves -----------------------------------------------------------

SLOW_SAVE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from rnnviz.core.atomic import write_atomically

    def write(f):
        f.write(b"x" * 4096)
        f.flush()
        print("writing", flush=True)
        time.sleep(120)

    write_atomically(Path(sys.argv[1]), "wb", write)
""")


def test_a_killed_save_leaves_a_temp_that_the_next_save_removes_but_not_while_it_runs(tmp_path):
    other = tmp_path / "other.pt"
    saver = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, str(other)], stdout=subprocess.PIPE, text=True)
    try:
        assert saver.stdout is not None and saver.stdout.readline().strip() == "writing"
        temps = [n for n in names(tmp_path) if n.startswith(".other.pt.rnnviz-")]
        assert len(temps) == 1 and f"-{saver.pid}-" in temps[0]
        # A save of ours in the same folder while the other process is still saving: its file stays.
        write_atomically(tmp_path / "mine.txt", "w", lambda f: f.write("1"))
        assert temps[0] in names(tmp_path)
    finally:
        saver.kill()  # a kill -9 in the middle of its save
        saver.wait()
    assert temps[0] in names(tmp_path)  # what the kill left behind
    write_atomically(tmp_path / "mine.txt", "w", lambda f: f.write("2"))
    assert names(tmp_path) == ["mine.txt"]
    assert (tmp_path / "mine.txt").read_text() == "2"


def test_only_rnnviz_temps_are_cleaned_and_an_idle_one_after_an_hour(tmp_path):
    live = tmp_path / f".a.pt.rnnviz-{atomic._HOST}-{os.getppid()}-0123abcd.tmp"  # a live process: kept
    idle = tmp_path / f".b.pt.rnnviz-{atomic._HOST}-{os.getppid()}-4567abcd.tmp"  # untouched for 2 hours
    foreign = tmp_path / ".c.pt.x8y7z6w5.tmp"  # not rnnviz's pattern: never touched
    other_host = tmp_path / ".d.pt.rnnviz-00000000-1-89abcdef.tmp"  # another machine's save in progress
    for path in (live, idle, foreign, other_host):
        path.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(idle, (two_hours_ago, two_hours_ago))
    assert remove_stale_temps(tmp_path) == [idle]
    assert names(tmp_path) == sorted(p.name for p in (live, foreign, other_host))


# ---- an export is one transaction --------------------------------------------------------------


def test_a_failed_second_file_leaves_neither_new_file_and_keeps_the_old_ones(tmp_path):
    npz, table = tmp_path / "trace.npz", tmp_path / "trace.csv"
    npz.write_bytes(b"old npz")
    table.write_text("old csv")

    def disk_full(f):
        f.write("part,layer\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(DataError) as info:
        with Export("the gate trace") as export:
            export.add(npz, "wb", lambda f: f.write(b"new npz"))
            export.add(table, "w", disk_full)
    assert "the disk is full" in str(info.value) and str(table) in str(info.value)
    assert npz.read_bytes() == b"old npz" and table.read_text() == "old csv"
    assert names(tmp_path) == ["trace.csv", "trace.npz"]


def test_a_failed_export_of_new_files_leaves_none(tmp_path):
    with pytest.raises(DataError):
        with Export("the gate trace") as export:
            export.add(tmp_path / "a.npz", "wb", lambda f: f.write(b"a"))
            export.add(tmp_path / "a.csv", "w", lambda f: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only")))
    assert names(tmp_path) == []


def test_a_rename_that_fails_puts_back_the_files_already_replaced(tmp_path):
    first, blocked = tmp_path / "a.npz", tmp_path / "b.csv"
    first.write_bytes(b"old a")
    blocked.mkdir()  # the second rename fails: a folder has that name
    with pytest.raises(DataError, match="could not save the gate trace to .*b.csv: it is a folder"):
        with Export("the gate trace") as export:
            export.add(first, "wb", lambda f: f.write(b"new a"))
            export.add(blocked, "w", lambda f: f.write("new b"))
    assert first.read_bytes() == b"old a" and blocked.is_dir()
    assert names(tmp_path) == ["a.npz", "b.csv"]


def test_a_successful_export_writes_every_file(tmp_path):
    with Export("the gate trace") as export:
        export.add(tmp_path / "a.npz", "wb", lambda f: f.write(b"a"))
        export.add(tmp_path / "a.csv", "w", lambda f: f.write("a,b\n"))
        export.add_path(tmp_path / "a.png", lambda tmp: tmp.write_bytes(b"png"))
    assert export.paths == [tmp_path / "a.npz", tmp_path / "a.csv", tmp_path / "a.png"]
    assert names(tmp_path) == ["a.csv", "a.npz", "a.png"] and (tmp_path / "a.png").read_bytes() == b"png"


# ---- file modes --------------------------------------------------------------------------------


def test_checkpoints_and_exports_get_0644_under_umask_022(bundle, tmp_path, umask_022):
    save_checkpoint(bundle, tmp_path / "model.pt")
    with Export("the gate trace") as export:
        export.add(tmp_path / "t.npz", "wb", lambda f: f.write(b"npz"))
        export.add(tmp_path / "t.csv", "w", lambda f: f.write("csv"))
    for name in ("model.pt", "t.npz", "t.csv"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


def test_the_mode_follows_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        write_atomically(tmp_path / "private.txt", "w", lambda f: f.write("x"))
    finally:
        os.umask(old)
    assert (tmp_path / "private.txt").stat().st_mode & 0o777 == 0o600


# ---- destinations checked before the work ------------------------------------------------------


def test_check_destination_accepts_a_new_or_existing_file_and_leaves_nothing(tmp_path):
    (tmp_path / "old.pt").write_bytes(b"old")
    assert check_destination(tmp_path / "new.pt", "the checkpoint", "--out") == tmp_path / "new.pt"
    assert check_destination(str(tmp_path / "old.pt")) == tmp_path / "old.pt"
    assert names(tmp_path) == ["old.pt"]


@pytest.mark.parametrize("make, words", [
    (lambda tmp: "", "no file name given"),
    (lambda tmp: "   ", "no file name given"),
    (lambda tmp: tmp, "is a folder"),
    (lambda tmp: tmp / "missing" / "model.pt", "does not exist"),
    (lambda tmp: (tmp / "file").write_text("x") and tmp / "file" / "model.pt", "is a file, not a folder"),
    (lambda tmp: "/dev/null", "is not a regular file"),
])
def test_check_destination_refuses_with_the_option_and_the_path(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(DataError) as info:
        check_destination(path, "the checkpoint", "--out")
    message = str(info.value)
    assert words in message and message.startswith(f"--out {str(path)!r}")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_check_destination_refuses_a_folder_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(DataError, match="permission denied"):
            check_destination(locked / "model.pt", "the checkpoint", "--out")
    finally:
        locked.chmod(0o700)


def test_check_destination_says_why_a_folder_cannot_be_written(tmp_path, monkeypatch):
    def read_only(target: Path) -> tuple[int, Path]:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(target))

    monkeypatch.setattr(atomic, "_create_temp", read_only)
    with pytest.raises(DataError, match=r"--out .*model.pt.*: cannot write the checkpoint in .*read-only"):
        check_destination(tmp_path / "model.pt", "the checkpoint", "--out")


def test_a_checkpoint_saved_after_cleaning_loads(bundle, tmp_path):
    stale = tmp_path / f".model.pt.rnnviz-{atomic._HOST}-999999999-0123abcd.tmp"  # no such PID
    stale.write_bytes(b"PK\x03\x04 half")
    save_checkpoint(bundle, tmp_path / "model.pt")
    assert names(tmp_path) == ["model.pt"]
    load_checkpoint(tmp_path / "model.pt")
