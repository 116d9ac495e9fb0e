"""The book's data sets: found offline, in the cache, or downloaded and verified.

Search order for a file: the offline folder (``RNNVIZ_DATA_DIR``), then, in
the packaged app, the book's files bundled with it at build time, then the
user cache (platformdirs; ``RNNVIZ_CACHE_DIR`` overrides it), then the book's
data hub (``RNNVIZ_DATA_URL`` overrides the address, e.g. for a mirror).
Every copy is checked against the SHA-1 the book's ``d2l`` package uses.
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rnnviz.core.atomic import Export, explain
from rnnviz.core.errors import DataError

#: ``d2l.DATA_URL``, where the book's own code downloads its data sets from.
DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"
_CHUNK = 64 * 1024
#: Folder of the PyInstaller bundle holding the book's files, when rnnviz.spec found them.
BUNDLED_DATA_FOLDER = "d2l"

#: Called with (bytes received, total bytes or None); returning False cancels.
Progress = Callable[[int, "int | None"], "bool | None"]


@dataclass(frozen=True)
class RemoteFile:
    """One file of the book's data hub."""

    filename: str
    sha1: str
    size: int


class DownloadCancelled(DataError):
    """The progress callback asked to stop; nothing was kept."""


def offline_dir() -> Path | None:
    folder = os.environ.get("RNNVIZ_DATA_DIR")
    return Path(folder).expanduser() if folder else None


def bundled_dir() -> Path | None:
    """The book's files bundled into the packaged app (see rnnviz.spec), or None."""
    root = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or not root:
        return None
    folder = Path(root) / BUNDLED_DATA_FOLDER
    return folder if folder.is_dir() else None


def cache_dir() -> Path:
    folder = os.environ.get("RNNVIZ_CACHE_DIR")
    if folder:
        return Path(folder).expanduser()
    import platformdirs  # imported here: only downloads need it

    return Path(platformdirs.user_cache_dir("rnnviz")) / "d2l"


def data_url() -> str:
    url = os.environ.get("RNNVIZ_DATA_URL", DATA_URL)
    return url if url.endswith("/") else url + "/"


def sha1_of(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _offline_copy(remote: RemoteFile, offline: Path | None) -> Path | None:
    if offline is None:
        return None
    path = offline / remote.filename
    if not path.is_file():
        return None
    found = sha1_of(path)
    if found != remote.sha1:
        # The offline folder is the user's: report, never delete.
        raise DataError(
            f"{path} is not the book's {remote.filename}: its SHA-1 is {found}, expected "
            f"{remote.sha1}. Replace it with the file from the book's data hub, or move it "
            "out of the offline folder (RNNVIZ_DATA_DIR)."
        )
    return path


def locate(remote: RemoteFile, offline: Path | None = None, cache: Path | None = None) -> Path | None:
    """A verified local copy of the file, or None. A corrupt cached copy is removed."""
    found = _offline_copy(remote, offline if offline is not None else offline_dir())
    if found:
        return found
    found = _offline_copy(remote, bundled_dir())
    if found:
        return found
    path = (cache or cache_dir()) / remote.filename
    if path.is_file():
        if sha1_of(path) == remote.sha1:
            return path
        path.unlink()  # our own cache: a damaged copy is replaced by a fresh download
    return None


def _no_network_help(remote: RemoteFile, cache: Path) -> str:
    return (
        f"To work offline, copy {remote.filename} (SHA-1 {remote.sha1}) into a folder and "
        f"set RNNVIZ_DATA_DIR to that folder, or copy it into {cache}."
    )


def fetch(
    remote: RemoteFile,
    progress: Progress | None = None,
    offline: Path | None = None,
    cache: Path | None = None,
    url: str | None = None,
    timeout: float = 30.0,
) -> Path:
    """Return a verified local copy, downloading it only when none is present."""
    cache = cache or cache_dir()
    found = locate(remote, offline, cache)
    if found:
        return found
    source = (url or data_url()) + remote.filename
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"the cache folder {cache} cannot be created ({exc.strerror}).") from exc
    # Through atomic.Export: the cached file gets an ordinary mode, a killed download's temporary file
    # is cleaned at the next one, and only a verified file is ever renamed into place.
    def write(tmp: Path) -> None:
        with tmp.open("wb") as out:
            _download(source, out, remote, progress, timeout, cache)
        found_sha1 = sha1_of(tmp)
        if found_sha1 != remote.sha1:
            raise DataError(
                f"the download of {remote.filename} from {source} is damaged: its SHA-1 is "
                f"{found_sha1}, expected {remote.sha1}. The bad file was removed. Try again, "
                f"or bring the file yourself: {_no_network_help(remote, cache)}"
            )

    try:
        with Export(f"the download of {remote.filename}") as export:
            target = export.add_path(cache / remote.filename, write)
    except _WriteFailed as failed:
        raise DataError(f"could not save the download of {remote.filename} in {cache}: "
                        f"{explain(failed.error)}.") from None
    return target


class _WriteFailed(Exception):
    """Writing the downloaded bytes failed (a full disk): not the network's fault."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _download(source: str, out, remote: RemoteFile, progress: Progress | None,
              timeout: float, cache: Path) -> None:
    try:
        with urllib.request.urlopen(source, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            received = 0
            if progress is not None and progress(0, total) is False:
                raise DownloadCancelled(f"the download of {remote.filename} was cancelled; nothing was kept.")
            while block := response.read(_CHUNK):
                try:
                    out.write(block)
                except OSError as exc:
                    raise _WriteFailed(exc) from None
                received += len(block)
                if progress is not None and progress(received, total) is False:
                    raise DownloadCancelled(f"the download of {remote.filename} was cancelled; nothing was kept.")
    except urllib.error.HTTPError as exc:
        raise DataError(
            f"could not download {remote.filename}: {source} answered {exc.code} {exc.reason}. "
            + _no_network_help(remote, cache)
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DataError(
            f"could not download {remote.filename} from {source} ({reason}); is the network "
            f"reachable? {_no_network_help(remote, cache)}"
        ) from None
