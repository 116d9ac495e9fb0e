"""Naming, keeping and deleting runs: what the app's runs list (and a script) does to run folders.

Only rnnviz's own files are ever deleted, and never while a live process writes the run.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnviz.core.atomic import explain
from rnnviz.core.errors import DataError
from rnnviz.core.runs.layout import EVENTS, LOCK, MANIFEST, is_run, parse_weights_file
from rnnviz.core.runs.lock import read_owner
from rnnviz.core.runs.reader import Run

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str, most: int = 40) -> str:
    """A folder name from a label: "GRU 1×32, sgd lr 4" -> "GRU-1-32-sgd-lr-4"."""
    name = _UNSAFE.sub("-", text).strip("-.")
    return name[:most].rstrip("-.") or "run"


def new_run_folder(home: Path, label: str, now: _dt.datetime | None = None) -> Path:
    """A folder in ``home`` for a new run, named by the time and the label, that does not exist yet:
    "2026-12-07_1430_GRU-1-32" (then "..._2", "..._3" ...)."""
    stamp = (now or _dt.datetime.now()).strftime("%Y-%m-%d_%H%M")
    base = home / f"{stamp}_{slug(label)}"
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{base.name}_{number}")
    return candidate


def _refuse_if_written(folder: Path, what: str) -> None:
    owner = read_owner(folder)
    if owner is not None and owner.alive() is not False:
        raise DataError(f"cannot {what} the run {folder.name}: {owner.words()} is writing it. Stop that training "
                        "first.")


def rename_run(folder: Path, name: str) -> Path:
    """The run in ``folder`` renamed to ``name`` (a folder beside it); refused while it is written."""
    if not is_run(folder):
        raise DataError(f"{folder} is not an rnnviz run; nothing was renamed.")
    _refuse_if_written(folder, "rename")
    clean = name.strip()
    if not clean or clean in (".", "..") or "/" in clean or "\\" in clean or clean != os.path.basename(clean):
        raise DataError(f"{name!r} cannot name a run folder; use letters, digits, spaces, - and _.")
    target = folder.with_name(clean)
    if target.exists():
        raise DataError(f"{target} already exists; choose another name.")
    try:
        folder.rename(target)
    except OSError as exc:
        raise DataError(f"could not rename the run {folder.name} to {clean}: {explain(exc)}.") from None
    return target


def delete_run(folder: Path) -> list[str]:
    """Delete the run in ``folder``: its manifest, events, weights and rnnviz's temporary files, then the
    folder if nothing else is in it. Returns the names of files left because rnnviz did not write them.
    Refused while a live process writes the run."""
    if not is_run(folder):
        raise DataError(f"{folder} is not an rnnviz run; nothing was deleted.")
    _refuse_if_written(folder, "delete")
    left: list[str] = []
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise DataError(f"could not read the run folder {folder}: {explain(exc)}.") from None
    ours = [p for p in entries if p.name in (EVENTS, LOCK) or parse_weights_file(p.name) is not None
            or (p.name.startswith(".") and p.name.endswith(".tmp") and ".rnnviz-" in p.name)]
    try:
        for path in ours:
            path.unlink()
        (folder / MANIFEST).unlink()  # last: until then the folder still reads as a (damaged) run
    except OSError as exc:
        raise DataError(f"could not delete the run {folder.name}: {explain(exc)}.") from None
    left = sorted(p.name for p in entries if p not in ours and p.name != MANIFEST)
    if not left:
        try:
            folder.rmdir()
        except OSError:  # something appeared meanwhile: it is not ours to delete
            pass
    return left


@dataclass(frozen=True)
class RunSummary:
    """One line of ``rnnviz runs list``."""

    path: Path
    name: str
    task: str
    model: str
    epochs: int  # complete epochs (the initial weights not counted)
    best_val: float | None  # the lowest validation loss
    status: str
    error: str | None = None  # why the run could not be opened (then the rest is empty)
    extra: dict[str, Any] = field(default_factory=dict)


def summarize(folder: Path) -> RunSummary:
    try:
        run = Run(folder)
    except DataError as exc:
        return RunSummary(folder, folder.name, "?", "?", 0, None, "unreadable", str(exc))
    best = run.best_validation()
    trained = [e for e in run.epochs() if e > run.manifest.start_epoch]
    return RunSummary(folder, run.name, run.manifest.task, run.manifest.model_words, len(trained),
                      None if best is None else best.val_loss, run.status)
