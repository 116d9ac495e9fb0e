"""Writing files so that a failed write never destroys the previous ones, and says why it failed.

Every file rnnviz saves (checkpoints, sessions, exports) goes through here:

- ``write_atomically(path, mode, write, what)``: one file. ``write`` gets a file object on a
  temporary file beside ``path``; the temporary file is flushed to disk, then renamed over ``path``.
- ``Export(what)``: several files as one transaction (a trace's NPZ and CSV): each is written to a
  temporary file; only when every one succeeded are they renamed into place, and if a rename fails
  the files already replaced get their old contents back. On failure no new file is left.
- ``check_destination(path, what, option)``: refuse, before any work, a path that cannot be saved
  to (empty, a folder, a missing or unwritable folder, a device).

Temporary files are named ``.NAME.rnnviz-HOST-PID-RANDOM.tmp``. A save removes those of its own
folder that a process killed mid-save left behind: the owner's PID is dead (same host), or the
file has not been touched for an hour (PID reused, or another host). A save in progress by a live
rnnviz process is never removed. Files are created with mode 0666 less the umask (0644 under the
usual umask 022), as an ordinary ``open`` would; the kernel applies the umask, so it is never read.

Errors are :class:`DataError` naming what was being saved and the path, and saying why in words:
"the disk is full", "the file system is read-only", "permission denied", and what to do.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import socket
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from rnnviz.core.errors import DataError

_HOST = f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFFFFFF:08x}"
_TEMP = re.compile(r"^\..+\.rnnviz-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")
#: A temporary file untouched this long belongs to no save in progress (a save writes continuously).
STALE_AFTER_S = 3600.0

_REASONS: dict[int, str] = {
    errno.ENOSPC: "the disk is full; free some space or choose another disk",
    errno.EDQUOT: "the disk is full for this user (the disk quota is used up); free some space or "
                  "choose another disk",
    errno.EROFS: "the file system is read-only; choose a folder you can write to",
    errno.EACCES: "permission denied; choose a folder you can write to, or change its permissions",
    errno.EPERM: "permission denied; choose a folder you can write to, or change its permissions",
    errno.EISDIR: "it is a folder; give a file name",
    errno.ENOENT: "the folder does not exist; create it first or choose another one",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another folder",
    errno.ENAMETOOLONG: "the file name is too long; choose a shorter one",
    errno.EFBIG: "the file is too large for this file system; choose another disk",
}


def explain(exc: OSError) -> str:
    """Why an OSError happened, in words, with what to do, and the system's own words in parentheses."""
    system = exc.strerror or str(exc) or type(exc).__name__
    reason = _REASONS.get(exc.errno or 0)
    return f"{reason} ({system})" if reason else f"{system}; choose another folder or file name"


def _save_error(what: str, path: Path, exc: OSError) -> DataError:
    return DataError(f"could not save {what} to {path}: {explain(exc)}. "
                     "The previous file, if any, is unchanged.")


# ---- temporary files: named for their owner, cleaned when stale -----------------------------

def _temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.rnnviz-{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp")


# O_BINARY: on Windows a descriptor opened without it would turn "\n" into "\r\n" in a checkpoint.
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _create_temp(target: Path) -> tuple[int, Path]:
    """A new, empty temporary file beside ``target``: (descriptor, path). Mode 0666 less the umask."""
    for _ in range(8):
        tmp = _temp_path(target)
        try:
            return os.open(tmp, _FLAGS, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # Windows' os.kill would end the process: rely on the idle time there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's live process, or cannot tell: keep its file
    return True


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove rnnviz's temporary files in ``folder`` left by a save that was killed; returns them.

    Only names of rnnviz's own pattern; only when the owning process (on this host) is dead, or the
    file has not been written for :data:`STALE_AFTER_S`. Never fails: cleaning is a courtesy."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            idle = now - entry.stat(follow_symlinks=False).st_mtime
            pid = int(match["pid"])
            ours = match["host"] == _HOST
            owner_gone = ours and pid != os.getpid() and not _pid_alive(pid)
            if owner_gone or idle > STALE_AFTER_S:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


class _Guarded:
    """A file object that remembers the first OSError of its writes.

    ``torch.save`` turns a failed write into a RuntimeError about zip positions; the OSError kept
    here says what really happened (a full disk)."""

    def __init__(self, file: IO[Any]) -> None:
        self._file = file
        self.error: OSError | None = None

    def write(self, data: Any) -> int:
        try:
            return self._file.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise

    def flush(self) -> None:
        try:
            self._file.flush()
        except OSError as exc:
            self.error = self.error or exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _write_temp(target: Path, mode: str, write: Callable[[IO[Any]], None]) -> Path:
    """Write a temporary file for ``target`` with ``write`` and flush it to disk; raises OSError."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    handle, tmp = _create_temp(target)
    try:
        text = {"encoding": "utf-8", "newline": ""} if mode == "w" else {}
        out = os.fdopen(handle, mode, **text)
    except BaseException:
        os.close(handle)
        tmp.unlink(missing_ok=True)
        raise
    # Binary writers are libraries (torch, numpy) that may hide an OSError; text goes through Python's
    # own writers (csv, json), which let it through, and a wrapper would double a large CSV's time.
    guarded = _Guarded(out)
    try:
        try:
            write(guarded if mode == "wb" else out)  # type: ignore[arg-type]
            guarded.flush()
            os.fsync(out.fileno())
        except Exception as exc:
            if guarded.error is not None and not isinstance(exc, OSError):
                raise guarded.error from exc  # the disk's reason, not the library's wrapper
            raise
        finally:
            try:
                out.close()
            except OSError as exc:  # a buffered write that failed only now
                if guarded.error is None:
                    guarded.error = exc
                    raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _write_temp_path(target: Path, write: Callable[[Path], None]) -> Path:
    """A temporary file for ``target`` written by ``write(path)`` (for writers that want a path)."""
    handle, tmp = _create_temp(target)
    os.close(handle)
    try:
        write(tmp)
        with open(tmp, "ab") as written:  # "ab": Windows fsyncs only a descriptor open for writing
            os.fsync(written.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


# ---- one file, and several as one transaction --------------------------------------------------

class Export:
    """Several files saved all or none::

        with Export("the gate trace") as export:
            export.add(npz_path, "wb", lambda f: np.savez(f, **arrays))
            export.add(csv_path, "w", write_rows)
        export.paths  # where they went

    ``add`` writes a temporary file at once (so the data need not stay in memory); leaving the
    ``with`` block normally renames them all into place, leaving it by an exception removes them.
    Any failure is a DataError naming ``what`` and the path; older files are left as they were."""

    def __init__(self, what: str = "the file") -> None:
        self.what = what
        self.paths: list[Path] = []
        self._pending: list[tuple[Path, Path]] = []  # (temporary, target)
        self._cleaned: set[Path] = set()

    def _prepare(self, path: Path) -> Path:
        path = Path(path).expanduser()
        if path.parent.exists() and not path.parent.is_dir():
            raise DataError(f"cannot write {self.what} in {path.parent}: it is a file, not a folder; "
                            "choose another folder.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(f"cannot write {self.what} in {path.parent}: {explain(exc)}.") from None
        if path.parent not in self._cleaned:
            self._cleaned.add(path.parent)
            remove_stale_temps(path.parent)
        return path

    def add(self, path: str | os.PathLike[str], mode: str, write: Callable[[IO[Any]], None]) -> Path:
        """Write ``path``'s content now, to a temporary file; ``mode`` is "w" (UTF-8 text) or "wb"."""
        return self._add(self._prepare(Path(path)), lambda target: _write_temp(target, mode, write))

    def add_path(self, path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
        """Like :meth:`add` for a writer that wants a file name (an image library): ``write(tmp)``."""
        return self._add(self._prepare(Path(path)), lambda target: _write_temp_path(target, write))

    def _add(self, target: Path, write: Callable[[Path], Path]) -> Path:
        try:
            tmp = write(target)
        except OSError as exc:
            self.discard()
            raise _save_error(self.what, target, exc) from None
        except BaseException:
            self.discard()
            raise
        self._pending.append((tmp, target))
        return target

    def discard(self) -> None:
        """Remove every temporary file written so far; nothing is renamed."""
        for tmp, _ in self._pending:
            tmp.unlink(missing_ok=True)
        self._pending.clear()

    def commit(self) -> list[Path]:
        """Rename every temporary file into place; on a failure, put back what was replaced."""
        pending, self._pending = self._pending, []
        replaced: list[tuple[Path, Path | None]] = []  # (target, its old content under a second name)
        current = pending[0][1] if pending else None
        try:
            for index, (tmp, target) in enumerate(pending):
                current = target
                # The last rename needs no backup: one rename is atomic, and nothing comes after it.
                backup = None if index == len(pending) - 1 else _keep_old(target)
                try:
                    os.replace(tmp, target)
                except OSError:
                    if backup is not None:
                        backup.unlink(missing_ok=True)
                    raise
                replaced.append((target, backup))
        except OSError as exc:
            _roll_back(replaced)
            for tmp, _ in pending:
                tmp.unlink(missing_ok=True)
            raise _save_error(self.what, current or Path(), exc) from None
        for _, backup in replaced:
            if backup is not None:
                backup.unlink(missing_ok=True)
        self.paths = [target for _, target in pending]
        return self.paths

    def __enter__(self) -> Export:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def _keep_old(target: Path) -> Path | None:
    """A second name for ``target``'s current content, so that a failed transaction can put it back;
    None when there is no old file. The target itself is never moved, so it never goes missing."""
    if not target.is_file():
        return None
    handle, backup = _create_temp(target)
    os.close(handle)
    try:
        backup.unlink()
        os.link(target, backup)  # a hard link: no copy
    except OSError:
        try:  # a file system without hard links: copy
            shutil.copyfile(target, backup)
        except OSError:
            backup.unlink(missing_ok=True)
            raise
    return backup


def _roll_back(replaced: list[tuple[Path, Path | None]]) -> None:
    for target, backup in reversed(replaced):
        try:
            if backup is not None:
                os.replace(backup, target)
            else:
                target.unlink(missing_ok=True)  # it did not exist before this transaction
        except OSError:
            pass


def write_atomically(path: Path, mode: str, write: Callable[[IO[Any]], None], what: str = "the file") -> Path:
    """Call ``write`` on a temporary file beside ``path`` (opened in ``mode``, "w" or "wb"), flush it
    to disk, then ``os.replace`` it into place. Raises DataError naming ``what`` on failure."""
    with Export(what) as export:
        export.add(path, mode, write)
    return export.paths[0]


# ---- before the work: can this path be saved to? -----------------------------------------------

def check_destination(path: str | os.PathLike[str] | None, what: str = "the file", option: str | None = None) -> Path:
    """Refuse a path that a save could not write, before any work is done; returns it expanded.

    Refused: an empty path, a folder, a device or other non-regular file, a folder that does not
    exist, a folder this user cannot create files in (tried for real, with a temporary file that is
    removed at once). ``option`` (e.g. "--out") is named in the message."""
    shown = f"{option} {str(path or '')!r}" if option else f"{str(path or '')!r}"
    if path is None or not str(path).strip():
        raise DataError(f"{shown}: no file name given for {what}; give a file to write, e.g. model.pt.")
    target = Path(path).expanduser()
    if target.is_dir():
        raise DataError(f"{shown} is a folder; give a file name for {what} inside it, e.g. {target / 'model.pt'}.")
    if target.exists() and not target.is_file():
        raise DataError(f"{shown} exists and is not a regular file; choose another file name for {what}.")
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise DataError(f"{shown}: {parent} is a file, not a folder; choose another folder for {what}.")
    if not parent.is_dir():
        raise DataError(f"{shown}: the folder {parent} does not exist; create it first or choose another "
                        f"folder for {what}.")
    try:
        handle, probe = _create_temp(target)
    except OSError as exc:
        raise DataError(f"{shown}: cannot write {what} in {parent}: {explain(exc)}.") from None
    os.close(handle)
    probe.unlink(missing_ok=True)
    return target
