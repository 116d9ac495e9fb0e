"""Downloads of the book's data sets: offline folder first, cache next, SHA-1 always.

A real HTTP server on 127.0.0.1 stands in for the book's data hub.
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest

from rnnviz.core.data import hub
from rnnviz.core.errors import DataError
from tests.fake_hub import FakeHub

CONTENT = b"The Time Traveller (for so it will be convenient to speak of him)\n" * 300
GOOD = hub.RemoteFile("tiny.txt", hashlib.sha1(CONTENT).hexdigest(), len(CONTENT))


@pytest.fixture
def fake_hub(serve_files, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    server = serve_files({"tiny.txt": CONTENT})
    monkeypatch.setenv("RNNVIZ_DATA_URL", server.url)
    return server


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_fetch_downloads_verifies_and_reports_progress(fake_hub: FakeHub, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    path = hub.fetch(GOOD, progress=lambda done, total: seen.append((done, total)), cache=tmp_path)
    assert path == tmp_path / "tiny.txt"
    assert path.read_bytes() == CONTENT
    assert seen[0] == (0, len(CONTENT)) and seen[-1] == (len(CONTENT), len(CONTENT))
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.txt"]  # no partial files left


def test_a_valid_copy_is_never_fetched_again(fake_hub: FakeHub, tmp_path: Path) -> None:
    hub.fetch(GOOD, cache=tmp_path)
    hub.fetch(GOOD, cache=tmp_path)
    assert fake_hub.requests == 1


def test_offline_folder_is_looked_in_first(fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "tiny.txt").write_bytes(CONTENT)
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(offline))
    assert hub.fetch(GOOD, cache=tmp_path / "cache") == offline / "tiny.txt"
    assert fake_hub.requests == 0


def test_wrong_file_in_offline_folder_is_reported_and_kept(tmp_path: Path) -> None:
    (tmp_path / "tiny.txt").write_bytes(b"something else")
    with pytest.raises(DataError, match="not the book's tiny.txt") as err:
        hub.fetch(GOOD, offline=tmp_path, cache=tmp_path / "cache")
    assert str(tmp_path / "tiny.txt") in str(err.value)
    assert (tmp_path / "tiny.txt").read_bytes() == b"something else"  # the user's file stays


def test_sha1_mismatch_removes_the_bad_download_and_says_so(tmp_path: Path, serve_files) -> None:
    server = serve_files({"tiny.txt": CONTENT[:-10] + b"corrupted!"})
    with pytest.raises(DataError) as err:
        hub.fetch(GOOD, cache=tmp_path, url=server.url)
    message = str(err.value)
    assert "SHA-1" in message and "removed" in message and GOOD.sha1 in message
    assert list(tmp_path.iterdir()) == []


def test_damaged_cached_copy_is_replaced(fake_hub: FakeHub, tmp_path: Path) -> None:
    (tmp_path / "tiny.txt").write_bytes(b"half a file")
    path = hub.fetch(GOOD, cache=tmp_path)
    assert path.read_bytes() == CONTENT
    assert fake_hub.requests == 1


def test_no_network_says_how_to_work_offline(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        hub.fetch(GOOD, cache=tmp_path, url=closed_port_url(), timeout=5)
    message = str(err.value)
    assert "could not download tiny.txt" in message
    assert "RNNVIZ_DATA_DIR" in message and GOOD.sha1 in message
    assert list(tmp_path.iterdir()) == []


def test_missing_file_on_the_server_names_the_status(fake_hub: FakeHub, tmp_path: Path) -> None:
    missing = hub.RemoteFile("absent.txt", GOOD.sha1, 1)
    with pytest.raises(DataError, match="404"):
        hub.fetch(missing, cache=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cancel_from_the_progress_callback_keeps_nothing(fake_hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(hub.DownloadCancelled, match="cancelled"):
        hub.fetch(GOOD, progress=lambda done, total: done < 1000, cache=tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert hub.locate(GOOD, cache=tmp_path) is None


def test_book_files_are_found_offline_with_their_real_sums(d2l_dir: Path, tmp_path: Path) -> None:
    from rnnviz.core.data.corpora import FRA_ENG, TIME_MACHINE

    for remote in (TIME_MACHINE, FRA_ENG):
        path = hub.fetch(remote, cache=tmp_path)
        assert path == d2l_dir / remote.filename
        assert path.stat().st_size == remote.size


def test_packaged_app_finds_the_bundled_files_after_the_offline_folder(
        fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    (bundle / hub.BUNDLED_DATA_FOLDER).mkdir(parents=True)
    (bundle / hub.BUNDLED_DATA_FOLDER / "tiny.txt").write_bytes(CONTENT)
    monkeypatch.setattr(hub.sys, "_MEIPASS", str(bundle), raising=False)
    assert hub.bundled_dir() is None  # a _MEIPASS alone is not a frozen app
    monkeypatch.setattr(hub.sys, "frozen", True, raising=False)
    assert hub.bundled_dir() == bundle / hub.BUNDLED_DATA_FOLDER
    cache = tmp_path / "cache"
    assert hub.fetch(GOOD, cache=cache) == bundle / hub.BUNDLED_DATA_FOLDER / "tiny.txt"
    assert fake_hub.requests == 0 and not (cache / "tiny.txt").exists()
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "tiny.txt").write_bytes(CONTENT)
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(offline))
    assert hub.locate(GOOD, cache=cache) == offline / "tiny.txt"  # the user's folder comes first


def test_a_frozen_app_without_bundled_files_uses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub.sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    monkeypatch.setattr(hub.sys, "frozen", True, raising=False)
    assert hub.bundled_dir() is None
    (tmp_path / "tiny.txt").write_bytes(CONTENT)
    assert hub.locate(GOOD, cache=tmp_path) == tmp_path / "tiny.txt"


def test_book_files_bundled_with_the_app_are_listed_as_bundled(
        d2l_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from rnnviz.core.data.corpora import TIME_MACHINE, availability, get_info

    monkeypatch.delenv("RNNVIZ_DATA_DIR")
    (tmp_path / hub.BUNDLED_DATA_FOLDER).mkdir()
    shutil.copy(d2l_dir / TIME_MACHINE.filename, tmp_path / hub.BUNDLED_DATA_FOLDER)
    monkeypatch.setattr(hub.sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(hub.sys, "frozen", True, raising=False)
    assert availability(get_info("time-machine")) == "bundled"
    assert availability(get_info("fra-eng")) == "not downloaded"


def test_a_full_disk_during_a_download_says_so_and_keeps_nothing(
        fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import io

    real_open = Path.open

    class FullDisk(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    def open_full(self: Path, mode: str = "r", *args, **kwargs):
        return FullDisk() if mode == "wb" and self.parent == tmp_path else real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_full)
    with pytest.raises(DataError, match="the disk is full") as error:
        hub.fetch(GOOD, cache=tmp_path)
    assert "network" not in str(error.value) and str(tmp_path) in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_a_downloaded_file_is_an_ordinary_file(fake_hub: FakeHub, tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        path = hub.fetch(GOOD, cache=tmp_path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644  # readable by the other users of a lab machine
