"""Reading a run folder: its manifest, its events, the weights of any complete epoch; and following it.

::

    run = open_run("runs/gru-lm")     # DataError: not a run, a newer format, a damaged manifest
    run.epochs()                      # (0, 1, 2, ...): the epochs whose weights are complete
    run.history()                     # the curves, as core.events.History
    bundle = run.bundle_at(7)         # a ModelBundle with epoch 7's weights, checked like a checkpoint
    run.notices                       # what was skipped and why

    for update in follow(run):        # a run another process is writing: new events as they come
        ...

Nothing in a run is trusted: an epoch whose line or file is missing, cut short or altered is
skipped with a notice naming it, and the others still open. ``refresh`` reads what was appended
since the last read (only whole lines: a line being written is read next time), so a reader
can follow a folder that grows, on this machine or synced from another.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnviz.core.errors import DataError
from rnnviz.core.events import EpochEnd, Event, Finished, History, NonFinite, Step
from rnnviz.core.runs import journal
from rnnviz.core.runs.layout import EVENTS, MANIFEST, find_runs, is_run, parse_weights_file
from rnnviz.core.runs.lock import read_owner
from rnnviz.core.runs.manifest import UNFINISHED, Manifest, read_manifest


@dataclass(frozen=True)
class SavedWeights:
    """Weights a run holds complete: an epoch's (``end`` its EpochEnd; None for the initial ones) or a step's."""

    record: journal.WeightsRecord
    end: EpochEnd | None = None

    @property
    def epoch(self) -> int:
        return self.record.epoch

    @property
    def step(self) -> int:
        return self.record.step


@dataclass(frozen=True)
class RunUpdate:
    """What ``Run.refresh`` found since the last read."""

    events: tuple[Event, ...] = ()  # Step, EpochEnd, NonFinite, Finished, in order
    epochs: tuple[int, ...] = ()  # epochs whose weights became complete
    steps: tuple[int, ...] = ()  # steps whose weights were saved (--save-every-steps)
    notes: tuple[str, ...] = ()  # notes written by the recorder, and lines skipped
    status_changed: bool = False

    def __bool__(self) -> bool:
        return bool(self.events or self.epochs or self.steps or self.notes or self.status_changed)


def open_run(path: str | os.PathLike[str]) -> Run:
    """The run in ``path`` (a run folder, or its manifest.json); DataError when it is none."""
    folder = Path(path).expanduser()
    if folder.name == MANIFEST and folder.is_file():
        folder = folder.parent
    if not folder.exists():
        raise DataError(f"{folder}: no such folder. Give a run folder (rnnviz runs list shows the runs).")
    if not folder.is_dir():
        raise DataError(f"{folder} is a file, not a run folder. Give the folder a run was recorded into.")
    if not is_run(folder):
        inside = find_runs(folder)
        hint = (f" It holds {len(inside)} run(s): rnnviz runs list {folder} lists them." if inside
                else " Record one with rnnviz train ... --run-dir DIR.")
        raise DataError(f"{folder} is not an rnnviz run: it has no {MANIFEST}.{hint}")
    return Run(folder)


class Run:
    """An open run folder (see the module doc). Not thread-safe: one reader per object."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest: Manifest = read_manifest(folder / MANIFEST)
        self.notices: list[str] = []  # what was skipped and why, in the order found
        self.notes: list[str] = []  # what the recorder wrote for readers
        self.events: list[Event] = []
        self.refused: dict[int, str] = {}  # epoch -> why its weights were refused on loading
        self._saves: dict[int, SavedWeights] = {}  # epoch -> its weights (the initial ones as their epoch)
        self._step_saves: dict[int, SavedWeights] = {}
        self._epoch_event_index: dict[int, int] = {}  # epoch -> len(events) after its EpochEnd
        self._decoder = journal.Decoder()
        self._offset = 0
        self._line_number = 0
        self._seen: tuple[int, float] | None = None  # (size, mtime) of the event file at the last read
        self._manifest_seen = self._stamp(folder / MANIFEST)
        self._vouched: dict[str, tuple[tuple[int, ...], str]] = {}  # file -> (identity, SHA-256) it passed with
        self._skeleton: tuple[Manifest, Any] | None = None  # the model of the manifest, without weights
        self.refresh()
        self._check_files()

    # ---- what the run is ----

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def status(self) -> str:
        """The manifest's status; a run marked "running" that nobody writes is "unfinished", and one
        whose events say it finished is what they say."""
        status = self.manifest.status
        if status != "running":
            return status
        finished = next((e for e in reversed(self.events) if isinstance(e, Finished)), None)
        if finished is not None:
            return finished.reason
        owner = read_owner(self.folder)
        if owner is not None and owner.alive() is not False:
            return "running"
        return UNFINISHED

    @property
    def finished(self) -> bool:
        return self.status != "running"

    def epochs(self) -> tuple[int, ...]:
        """The epochs whose weights are complete (the initial weights count as the run's first epoch
        number, 0 for a fresh model), ascending."""
        return tuple(sorted(self._saves))

    def saved(self, epoch: int) -> SavedWeights:
        if epoch not in self._saves:
            raise DataError(self._no_epoch(epoch))
        return self._saves[epoch]

    def saved_steps(self) -> tuple[int, ...]:
        """The steps whose weights were saved between epochs (``--save-every-steps``)."""
        return tuple(sorted(self._step_saves))

    @property
    def last_epoch(self) -> int | None:
        epochs = self.epochs()
        return epochs[-1] if epochs else None

    def epoch_ends(self) -> list[EpochEnd]:
        return [e for e in self.events if isinstance(e, EpochEnd)]

    def best_validation(self) -> EpochEnd | None:
        """The epoch with the lowest validation loss (None: no validation data)."""
        ends = [e for e in self.epoch_ends() if e.val_loss is not None]
        return min(ends, key=lambda e: e.val_loss) if ends else None  # type: ignore[arg-type, return-value]

    def history(self, epoch: int | None = None) -> History:
        """The curves, as the app's History; up to the end of ``epoch`` when given."""
        history = History()
        end = len(self.events) if epoch is None else self._epoch_event_index.get(epoch, 0)
        for event in self.events[:end]:
            history.add(event)
        return history

    # ---- following ----

    @staticmethod
    def _stamp(path: Path) -> tuple[int, float] | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return stat.st_size, stat.st_mtime

    def refresh(self) -> RunUpdate:
        """Read what was appended since the last read (whole lines only), and the manifest if it changed."""
        status_before = self.status if self.events or self._seen else None
        manifest_stamp = self._stamp(self.folder / MANIFEST)
        changed = False
        if manifest_stamp != self._manifest_seen:
            self._manifest_seen = manifest_stamp
            try:
                self.manifest = read_manifest(self.folder / MANIFEST)
                changed = True
            except DataError as exc:  # being replaced right now, or damaged since: keep the one we have
                self.notices.append(f"the manifest could not be read again ({exc}); kept the one read before.")
        stamp = self._stamp(self.folder / EVENTS)
        update = RunUpdate()
        if stamp is not None and stamp != self._seen:
            self._seen = stamp
            update = self._read_new()
        if status_before is not None and self.status != status_before:
            changed = True
        return RunUpdate(update.events, update.epochs, update.steps, update.notes, changed)

    def _read_new(self) -> RunUpdate:
        try:
            with open(self.folder / EVENTS, "rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except OSError as exc:
            self.notices.append(f"{EVENTS} could not be read ({exc.strerror}).")
            return RunUpdate()
        whole = data.rfind(b"\n") + 1  # a line still being written (no newline yet) waits for the next read
        self._offset += whole
        events: list[Event] = []
        epochs: list[int] = []
        steps: list[int] = []
        notes: list[str] = []
        for raw in data[:whole].splitlines():
            self._line_number += 1
            if not raw.strip():
                continue
            try:
                item = self._decoder.decode(json.loads(raw))
            except (ValueError, RecursionError) as exc:  # json's (and UnicodeDecodeError), journal.LineError
                text = f"line {self._line_number} of {EVENTS} was skipped: {str(exc)[:120]}."
                self.notices.append(text)
                notes.append(text)
                continue
            if isinstance(item, tuple):
                end, record = item
                self.events.append(end)
                events.append(end)
                self._epoch_event_index[end.epoch] = len(self.events)
                if self._file_ok(record):
                    self._saves[end.epoch] = SavedWeights(record, end)
                    epochs.append(end.epoch)
            elif isinstance(item, journal.WeightsRecord):
                if self._file_ok(item):
                    if item.kind == "step":
                        self._step_saves[item.step] = SavedWeights(item)
                        steps.append(item.step)
                    else:
                        self._saves[item.epoch] = SavedWeights(item)
                        self._epoch_event_index.setdefault(item.epoch, len(self.events))
                        epochs.append(item.epoch)
            elif isinstance(item, journal.Note):
                self.notes.append(item.text)
                notes.append(item.text)
            elif isinstance(item, (Step, EpochEnd, NonFinite, Finished)):
                self.events.append(item)
                events.append(item)
        return RunUpdate(tuple(events), tuple(epochs), tuple(steps), tuple(notes))

    def _file_ok(self, record: journal.WeightsRecord) -> bool:
        """A file a line names is there with the size the line says; else skipped with a notice."""
        what = weights_words(record)
        try:
            size = (self.folder / record.file).stat().st_size
        except FileNotFoundError:
            self.notices.append(f"{what}: its weights file {record.file} is missing; skipped.")
            return False
        except OSError as exc:
            self.notices.append(f"{what}: its weights file {record.file} cannot be read ({exc.strerror}); skipped.")
            return False
        if size != record.bytes:
            self.notices.append(f"{what}: its weights file {record.file} is {size:,} bytes, not the {record.bytes:,} "
                                "recorded: it was cut short or replaced; skipped.")
            return False
        return True

    def _check_files(self) -> None:
        """Weights files no line vouches for (the run was killed between the file and its line), and a
        last line cut short (killed while writing it): said, and skipped."""
        size = (self._seen or (0, 0.0))[0]
        if size > self._offset and self.status != "running":
            self.notices.append(f"the last line of {EVENTS} is cut short ({size - self._offset:,} bytes without "
                                "an end: the writer was stopped while writing it); skipped.")
        named = {s.record.file for s in (*self._saves.values(), *self._step_saves.values())}
        try:
            names = sorted(p.name for p in self.folder.iterdir())
        except OSError:
            return
        for name in names:
            parsed = parse_weights_file(name)
            if parsed is None or name in named:
                continue
            kind, number = parsed
            if kind == "epoch" and number in self._saves:
                continue
            self.notices.append(f"{name} has no line in {EVENTS}: the run ended while saving it (or the line "
                                "was skipped), so it cannot be checked; skipped.")

    # ---- weights ----

    def bundle_at(self, epoch: int | None = None, *, step: int | None = None) -> Any:
        """A ModelBundle (core.models.factory) with the weights of ``epoch`` (default: the last complete
        one), or of ``step`` (saved with --save-every-steps); checked like a checkpoint's. DataError naming
        the epoch when it is not complete or its weights do not pass; other epochs are unaffected."""
        from rnnviz.core.runs.weights import load_bundle

        if step is not None:
            if step not in self._step_saves:
                saved = ", ".join(map(str, self.saved_steps())) or "none"
                raise DataError(f"the run {self.name} has no weights saved at step {step} (saved steps: {saved}).")
            saved_weights = self._step_saves[step]
            history = History()
            for event in self.events:
                if isinstance(event, (Step, EpochEnd)) and event.step > step:
                    break
                history.add(event)
        else:
            if epoch is None:
                if self.last_epoch is None:
                    raise DataError(f"the run {self.name} has no complete epoch yet: not even its initial "
                                    "weights were saved. " + self._notice_hint())
                epoch = self.last_epoch
            saved_weights = self.saved(epoch)
            history = self.history(epoch)
        try:
            return load_bundle(self, saved_weights, history)
        except DataError as exc:
            if step is None:
                self.refused[saved_weights.epoch] = str(exc)
            if str(exc) not in self.notices:
                self.notices.append(str(exc))
            raise

    def check(self, epoch: int) -> bool:
        """Check ``epoch``'s weights as ``bundle_at`` does, building no model, so that loading it later
        reads and parses the file but need not hash it again; True when that is remembered (the
        file was not changed within the last seconds). DataError as ``bundle_at``."""
        from rnnviz.core.runs.weights import checked_tensors

        saved = self.saved(epoch)
        checked_tensors(self, saved)
        return saved.record.file in self._vouched

    def _no_epoch(self, epoch: int) -> str:
        epochs = self.epochs()
        have = epoch_ranges(epochs) if epochs else "none yet"
        return f"the run {self.name} has no complete epoch {epoch} (complete: {have}). " + self._notice_hint()

    def _notice_hint(self) -> str:
        return f"Skipped: {'; '.join(self.notices[:3])}" if self.notices else ""

    def verify(self) -> list[str]:
        """Check every saved file against its SHA-256 (reads them all); returns the problems found."""
        problems = []
        from rnnviz.core.runs.weights import read_verified

        for saved in (*self._saves.values(), *self._step_saves.values()):
            try:
                read_verified(self.folder, saved.record)
            except DataError as exc:
                problems.append(str(exc))
        return problems


def weights_words(record: journal.WeightsRecord) -> str:
    if record.kind == "step":
        return f"step {record.step}"
    return f"epoch {record.epoch}" + (" (the initial weights)" if record.kind == "initial" else "")


def epoch_ranges(numbers: tuple[int, ...]) -> str:
    """(0, 1, 2, 5, 7, 8) -> "0–2, 5, 7–8"."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in (*numbers[1:], None):
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"{start}" if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def follow(run: Run, *, interval: float = 0.5, timeout: float | None = None,
           stop: Callable[[], bool] | None = None, sleep: Callable[[float], None] = time.sleep) -> Iterator[RunUpdate]:
    """Yield what a run being written adds, as it comes (polling the files' size and time every
    ``interval`` seconds), until it is no longer running, ``stop()`` is true or ``timeout`` passes."""
    started = time.monotonic()
    while True:
        update = run.refresh()
        if update:
            yield update
        if run.finished or (stop is not None and stop()):
            return
        if timeout is not None and time.monotonic() - started > timeout:
            return
        sleep(interval)
