"""One writer per run: a lock file created with O_EXCL, holding the writer's pid and host.

A second process that tries to write the same run finds the file and refuses, naming the
writer. A lock left by a process that died (same host, pid no longer alive) is taken over,
and the caller is told so; a lock from another host cannot be judged from here and is
respected (the message says how to remove it once that writer is surely gone).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from rnnviz.core.atomic import explain
from rnnviz.core.errors import DataError
from rnnviz.core.runs.layout import LOCK

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class LockOwner:
    """Who holds a run's lock, as its file says (None: unreadable)."""

    pid: int | None
    host: str | None
    since: str | None

    def alive(self) -> bool | None:
        """True: writing now; False: dead (this host, no such process); None: cannot tell (another host)."""
        if self.pid is None or self.host is None:
            return None
        if self.host != socket.gethostname():
            return None
        return pid_alive(self.pid)

    def words(self) -> str:
        where = f" on {self.host}" if self.host else ""
        since = f" since {self.since}" if self.since else ""
        return f"process {self.pid if self.pid is not None else '(unknown)'}{where}{since}"


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # no safe probe: assume alive, the user removes a stale lock by hand
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def read_owner(folder: Path) -> LockOwner | None:
    """The lock's owner, or None when the run has no lock (nobody writes it)."""
    try:
        text = (folder / LOCK).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return LockOwner(None, None, None)
    try:
        data = json.loads(text)
        pid, host, since = data.get("pid"), data.get("host"), data.get("since")
        return LockOwner(pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
                         host if isinstance(host, str) else None, since if isinstance(since, str) else None)
    except (ValueError, AttributeError):  # torn while being written, or not ours
        return LockOwner(None, None, None)


class RunLock:
    """Held while a process writes a run: ``acquire`` creates the file, ``release`` removes it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK
        self.held = False
        self.note: str | None = None  # set when a stale lock was taken over

    def acquire(self) -> RunLock:
        for _ in range(2):  # a second try after removing a stale lock
            try:
                handle = os.open(self.path, _FLAGS, 0o644)
            except FileExistsError:
                self._judge_existing()
                continue
            except OSError as exc:
                raise DataError(f"cannot record a run in {self.folder}: {explain(exc)}.") from None
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                           "since": time.strftime("%Y-%m-%d %H:%M:%S")}, out)
            self.held = True
            return self
        raise DataError(f"could not take the lock of the run in {self.folder}: another process took it at the "
                        "same moment. Record into another folder.")

    def _judge_existing(self) -> None:
        owner = read_owner(self.folder)
        if owner is None:
            return  # removed meanwhile: try again
        state = owner.alive()
        if state is False:
            self.path.unlink(missing_ok=True)
            self.note = (f"the run in {self.folder} was locked by {owner.words()}, which is no longer running; "
                         "its lock was taken over.")
            return
        if state is None and owner.pid is None:
            raise DataError(f"{self.path} exists but cannot be read: another rnnviz may be writing this run. "
                            "Record into another folder, or delete that file if no rnnviz is writing there.")
        advice = ("wait for it to finish or stop it" if state else
                  f"if that process is gone, delete {self.path}")
        raise DataError(f"the run in {self.folder} is being written by {owner.words()}: two processes cannot "
                        f"write one run. Record into another folder ({advice}).")

    def release(self) -> None:
        if self.held:
            self.held = False
            try:
                self.path.unlink()
            except OSError:  # already gone, or a full/readonly disk: a stale lock is taken over later
                pass
