"""Recording a training run into a run folder, as it trains.

::

    recorder = RunRecorder.create(folder, session.bundle, label=..., save_every_steps=None)
    for event in events:                 # TrainingSession.start()'s events, in order
        recorder.record(event)           # between two events the weights do not change
    recorder.close()                     # or use it as a context manager

What it writes and when (see ``layout`` and ``journal``):

- at ``create``: the lock, the manifest (status "running"), the weights before the first step;
- each Step: one line, written with one ``write`` (no buffering: a reader sees it at once);
- each EpochEnd: the weights, to a temporary file that is flushed to disk and renamed into
  place, and only then the epoch line with the file's SHA-256; the event file is flushed to
  disk (fsync) there too. So a kill -9 at any moment leaves every epoch a line names complete;
- with ``save_every_steps`` N: the weights after every N-th step, the same way;
- at ``close``: the Finished line, the manifest's final status; the lock is removed.

The disk work (serialising, hashing, writing, fsync) runs on one writer thread, in the order the
events came: ``record`` only encodes a line, or copies the weights, and queues it, so that an
fsync never holds up training (the bounded queue makes training wait if the disk falls far
behind). ``flush`` waits until everything queued is on disk; ``close`` does too.

A failure to write (a full disk) makes the next ``record`` (or ``flush``) raise
:class:`RecordingFailed`, a DataError saying what could not be written and what the run keeps;
the recorder then writes nothing more (``failed`` holds the error).
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from rnnviz.core.atomic import explain, remove_stale_temps, write_atomically
from rnnviz.core.errors import DataError
from rnnviz.core.events import EpochEnd, Event, Finished, NonFinite, Step
from rnnviz.core.runs import journal
from rnnviz.core.runs.layout import EVENTS, LOCK, epoch_file, is_run, step_file
from rnnviz.core.runs.lock import RunLock, read_owner
from rnnviz.core.runs.manifest import manifest_dict, now_text, write_manifest

#: Jobs waiting for the writer thread at most: a few epochs' weights, thousands of step lines.
QUEUE_SIZE = 4096
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class RecordingFailed(DataError):
    """Recording stopped: a file of the run could not be written. The message says what the run keeps."""


def _write(target: int | IO[bytes], data: bytes) -> None:
    """Every byte of ``data`` to a descriptor or a binary file (the one place a disk error comes from)."""
    if isinstance(target, int):
        view = memoryview(data)
        while view:
            written = os.write(target, view)
            view = view[written:]
    else:
        target.write(data)


def check_run_folder(folder: Path) -> None:
    """Refuse, before any work, a folder a new run cannot be recorded into: one that is a file, holds a
    run, or holds anything else. A missing or empty folder is fine (a lone stale lock too)."""
    if folder.exists() and not folder.is_dir():
        raise DataError(f"--run-dir {folder} is a file, not a folder; give a new or empty folder for the run.")
    if not folder.is_dir():
        return
    try:
        entries = [p.name for p in folder.iterdir()]
    except OSError as exc:
        raise DataError(f"cannot record a run in {folder}: {explain(exc)}.") from None
    if is_run(folder):
        owner = read_owner(folder)
        if owner is not None and owner.alive() is not False:
            raise DataError(f"the run in {folder} is being written by {owner.words()}: two processes cannot "
                            "write one run. Record into another folder.")
        raise DataError(f"{folder} already holds a run; record into a new or empty folder (rnnviz runs show "
                        f"{folder} says what it holds).")
    others = [name for name in entries if name != LOCK and not name.endswith(".tmp")]
    if others:
        shown = ", ".join(sorted(others)[:3]) + (" ..." if len(others) > 3 else "")
        raise DataError(f"{folder} is not empty ({shown}) and is not a run: record into a new or empty folder, "
                        "so that nothing of yours is mixed with the run's files.")


class RunRecorder:
    """Writes one run folder; see the module doc. Build it with :meth:`create`."""

    def __init__(self, folder: Path, bundle: Any, manifest: dict[str, Any], lock: RunLock,
                 save_every_steps: int | None) -> None:
        self.folder, self.bundle, self.lock = folder, bundle, lock
        self.manifest = manifest
        self.save_every_steps = save_every_steps
        self.notes: list[str] = [lock.note] if lock.note else []
        self.failed: RecordingFailed | None = None
        self.closed = False
        self._reported = False  # ``failed`` was raised to the caller once
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self.epochs: list[int] = []  # complete epochs, as recorded (the initial weights' first)
        self._groups: tuple[Any, ...] | None = None
        self._finished: Finished | None = None
        self._fd: int | None = None
        self._epoch = manifest["start"]["epoch"]
        self._step = manifest["start"]["step"]

    @classmethod
    def create(cls, folder: str | os.PathLike[str], bundle: Any, *, label: str = "", device: str = "",
               save_every_steps: int | None = None, start: tuple[int, int, float] | None = None) -> RunRecorder:
        """Start recording ``bundle`` (a ModelBundle about to train; its ``train_config`` set) into
        ``folder``, a new or empty folder. ``start``: where a continued model's history ends (step,
        epoch, elapsed): its first weights are that epoch's. DataError when the folder cannot be used."""
        path = Path(folder).expanduser()
        check_run_folder(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(f"cannot create the run folder {path}: {explain(exc)}.") from None
        lock = RunLock(path).acquire()
        try:
            check_run_folder(path)  # another process may have started a run here meanwhile
            remove_stale_temps(path)
            if start is None:
                from rnnviz.core.session import HistoryEnd

                end = HistoryEnd.of(bundle.history)
                start = (end.step, end.epoch, end.elapsed)
            manifest = manifest_dict(bundle, label=label, device=device, save_every_steps=save_every_steps,
                                     start=start)
            recorder = cls(path, bundle, manifest, lock, save_every_steps)
            recorder._begin()
        except BaseException:
            lock.release()
            raise
        return recorder

    # ---- writing ----

    def _fail(self, what: str, exc: BaseException) -> RecordingFailed:
        if isinstance(exc, OSError):
            said = f"could not write {what} in {self.folder}: {explain(exc)}."
        elif isinstance(exc, DataError):  # write_atomically's own words, which name the file and the reason
            said = str(exc).replace(" The previous file, if any, is unchanged.", "")
        else:
            said = (f"could not write {what} in {self.folder}: {type(exc).__name__}: {exc} (a bug in rnnviz; "
                    "please report it).")
        kept = (f"epochs up to {self.epochs[-1]}" if self.epochs else "no complete epoch")
        self.failed = RecordingFailed(f"recording stopped: {said} The run keeps what it had ({kept}); the rest "
                                      "of this training is not recorded.")
        self._close_fd()
        self.lock.release()
        return self.failed

    def _begin(self) -> None:
        try:
            write_manifest(self.folder, self.manifest)
            self._fd = os.open(self.folder / EVENTS, _APPEND, 0o644)
            for note in self.notes:
                self._line({"type": "note", "text": note})
        except (OSError, DataError) as exc:
            raise self._fail("the run's manifest and event file", exc) from None
        self._save("initial", self._epoch, self._step, self._weights())
        if self.failed is not None:
            raise self.failed
        self._thread = threading.Thread(target=self._work, name=f"rnnviz run writer ({self.folder.name})",
                                        daemon=True)  # daemon: a caller that never closes must not hang at exit
        self._thread.start()

    # ---- the writer thread ----

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self.failed is None:
                    job()
            except Exception as exc:  # a bug, not the disk: said as the recording's failure, never lost
                self._fail("the run", exc)
            finally:
                self._queue.task_done()

    def _submit(self, job: Callable[[], None]) -> None:
        """Queue ``job`` for the writer thread; raise the recording's failure once, when there is one."""
        self._raise_failure()
        if self.failed is None and not self.closed:
            self._queue.put(job)

    def _raise_failure(self) -> None:
        if self.failed is not None and not self._reported:
            self._reported = True
            raise self.failed

    def flush(self) -> None:
        """Wait until everything recorded so far is written; RecordingFailed if writing failed."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.join()
        self._raise_failure()

    def _weights(self) -> dict[str, Any]:
        """A copy of the model's weights now, on the CPU (the model trains on while they are written)."""
        return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in self.bundle.model.state_dict().items()}

    def _line(self, line: dict[str, Any] | bytes) -> None:
        """One line to the event file (writer thread; or the caller's, before the thread starts)."""
        if self._fd is None:
            raise OSError("the run's event file is closed")
        _write(self._fd, line if isinstance(line, bytes) else journal.dumps(line))

    def _lines(self, lines: list[bytes], what: str = "the run's event file") -> None:
        try:
            for line in lines:
                self._line(line)
        except OSError as exc:
            self._fail(what, exc)

    def _save(self, kind: str, epoch: int, step: int, tensors: dict[str, Any],
              end: EpochEnd | None = None) -> None:
        """The weights to their file (temporary name, fsync, rename), then their line: a weights line, or
        for ``kind`` "epoch" the epoch line of ``end`` with the record, and an fsync of the event file.
        On the writer thread (the initial weights: the caller's); a failure is kept in ``failed``."""
        from safetensors.torch import save

        name = step_file(step) if kind == "step" else epoch_file(epoch)
        data = save(tensors, metadata={"format": "rnnviz-run-weights", "kind": kind, "epoch": str(epoch),
                                       "step": str(step)})  # (bytes) header + raw values
        record = journal.WeightsRecord(kind, epoch, step, name, hashlib.sha256(data).hexdigest(), len(data))
        what = f"the weights of epoch {epoch}" if kind != "step" else f"the weights of step {step}"
        try:
            write_atomically(self.folder / name, "wb", lambda out: _write(out, data), what)
            if kind == "epoch":
                assert end is not None and self._fd is not None
                self._line(journal.encode(end, record))
                os.fsync(self._fd)  # the epoch is now on disk, line and weights
            else:
                self._line(journal.encode_weights(record))
            if kind != "step":
                self.epochs.append(epoch)
        except (OSError, DataError) as exc:
            self._fail(what, exc)

    def record(self, event: Event) -> None:
        """Queue what ``event`` adds to the run (call it for every event, in order, before the next: the
        weights are copied now). Raises RecordingFailed once, at the first call after writing failed;
        after that it records nothing and raises nothing."""
        if self.closed:
            return
        self._raise_failure()
        if self.failed is not None:
            return
        if isinstance(event, Step):
            self._step = event.step
            lines = []
            if event.groups and event.groups is not self._groups:
                self._groups = event.groups
                lines.append(journal.dumps(journal.encode_groups(event.groups)))
            lines.append(journal.dumps(journal.encode(event)))
            self._submit(lambda: self._lines(lines))
            if self.save_every_steps and event.step % self.save_every_steps == 0:
                tensors = self._weights()
                self._submit(lambda: self._save("step", event.epoch, event.step, tensors))
        elif isinstance(event, EpochEnd):
            tensors = self._weights()
            self._submit(lambda: self._save("epoch", event.epoch, event.step, tensors, event))
        elif isinstance(event, (NonFinite, Finished)):
            line = journal.dumps(journal.encode(event))
            self._submit(lambda: self._lines([line]))
            if isinstance(event, Finished):
                self._finished = event

    def note(self, text: str) -> None:
        """A sentence for whoever opens the run (shown by ``rnnviz runs show`` and the app)."""
        if not self.closed:
            line = journal.dumps({"type": "note", "text": text})
            self._submit(lambda: self._lines([line]))

    def close(self, status: str | None = None, reason: str | None = None) -> None:
        """End the recording: ``status`` (default: the Finished event's reason, else "interrupted")
        goes into the manifest, with ``reason`` in words when given; the lock is removed. A failed
        recording keeps "failed" and its reason. Never raises: the run already holds what matters."""
        if self.closed:
            return
        if self._thread is not None:
            self._queue.put(None)  # after everything queued: the thread writes it all, then ends
            self._thread.join()
        self.closed = True
        if self.failed is not None:
            status, reason = "failed", str(self.failed)
        elif status is None:
            status = self._finished.reason if self._finished is not None else "interrupted"
        try:
            if self._fd is not None:
                os.fsync(self._fd)
        except OSError:
            pass
        self._close_fd()
        self.manifest.update(status=status, ended=now_text(), reason=reason)
        try:
            write_manifest(self.folder, self.manifest)
        except DataError:
            pass  # a full disk: the reader tells the end from the event file and the missing lock
        self.lock.release()

    def _close_fd(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is KeyboardInterrupt:
            self.close("interrupted")
        elif kind is not None and self.failed is None:
            self.close("failed", f"{kind.__name__}: {value}")
        else:
            self.close()


__all__ = ["RecordingFailed", "RunRecorder", "check_run_folder"]
