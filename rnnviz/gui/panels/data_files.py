"""The Data dock's user files and saved state (a mixin of DataPanel): Open file…, drag and drop, the
files remembered per task, and the plain data a session or the settings keep, the task that needs
memory's settings included."""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.data.corpora import list_corpora
from rnnviz.gui.concurrency import run_in_background

_FILE_FILTER = "Text corpora (*.txt *.tsv *.tab *.text);;All files (*)"
#: The task buttons' names in the state's "last" (the tasks that need memory are one choice).
_LAST_KEYS = ("lm", "mt", "memory")


class FilesMixin:
    """DataPanel's files and state; the panel holds the selection, the combo and the loads."""

    _user_files: list[tuple[str, str]]
    _last: dict[str, str]
    _last_dir: str
    #: Further texts of a language model opened together (Open file… with several files), beside the
    #: corpus shown; and those waiting for their first file's load, by its request's serial number.
    _sources: tuple[str, ...]
    _pending_sources: dict[int, tuple[tuple[str, ...], list]]

    def state(self) -> dict:
        """Plain data for a saved session."""
        return {"corpus": self._shown[0], "task": self._shown[1], "sources": list(self._sources),
                "user_files": [[path, task] for path, task in self._user_files],
                "last": dict(self._last), "last_dir": self._last_dir, "memory": self.memory_settings()}

    def sources(self) -> tuple[str, ...]:
        """The further texts of the language model's corpus (files opened together), () for one text."""
        return self._sources

    def restore_state(self, state: dict) -> None:
        """Restore :meth:`state`'s output; missing user files are dropped, bad values ignored."""
        if not isinstance(state, dict):
            return
        files = state.get("user_files") or []
        if isinstance(files, list):
            for entry in files:
                if (isinstance(entry, (list, tuple)) and len(entry) == 2 and entry[1] in ("lm", "mt")
                        and isinstance(entry[0], str) and Path(entry[0]).is_file()):
                    self._remember_file(entry[0], entry[1])
        last = state.get("last")
        if isinstance(last, dict):
            self._last.update({t: c for t, c in last.items() if t in _LAST_KEYS and isinstance(c, str)})
        if isinstance(state.get("last_dir"), str):
            self._last_dir = state["last_dir"]
        self._populate(self._combo_task, self.combo.currentData() or self._shown[0])
        corpus, task = state.get("corpus"), state.get("task")
        if task in MEMORY_TASKS:
            memory = state.get("memory")
            self.use_memory_task(task, memory if isinstance(memory, dict) else None)
        elif isinstance(corpus, str) and task == "lm" and _texts(state.get("sources")):
            self.open_files([corpus, *_texts(state.get("sources"))])  # a file moved away: the load says so
        elif isinstance(corpus, str) and task in ("lm", "mt"):
            self.set_selection(corpus, task)

    def is_busy(self) -> bool:
        """A load or a download is running."""
        return bool(self._outstanding) or (self._download is not None and self._download.is_running())

    def wait_idle(self, timeout_ms: int = 10000) -> bool:
        """Process events until no load or download runs; False on timeout."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.is_busy():
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if self.is_busy():
                time.sleep(0.003)
        return True

    def open_file(self, path: str, task: str | None = None) -> None:
        """Load a user's text file; its task is guessed unless given (as Open file… does)."""
        path = os.path.abspath(os.path.expanduser(path))
        self._last_dir = str(Path(path).parent)
        self._request(path, task)

    def open_files(self, paths: list[str]) -> None:
        """Several texts as one language model's corpus (one file: :meth:`open_file`). They are checked off the
        GUI thread (a missing, empty or translation file is said, and the selection kept); then the first is
        shown, and the shares of all are said above its statistics."""
        if len(paths) == 1:
            self.open_file(paths[0])
            return
        registered = {info.name for info in list_corpora()}
        paths = [p if p in registered else os.path.abspath(os.path.expanduser(p)) for p in paths]
        self._last_dir = next((str(Path(p).parent) for p in paths if p not in registered), self._last_dir)
        self._set_busy(f"Checking {len(paths)} texts…")
        run_in_background(partial(_check_texts, tuple(paths)), partial(self._on_texts_checked, paths),
                          self._on_texts_failed, owner=self)

    def _on_texts_checked(self, paths: list[str], shares: list) -> None:
        serial = self._latest.value + 1  # the serial _request gives the first text's load
        self._pending_sources[serial] = (tuple(paths[1:]), shares)
        self._request(paths[0], "lm")

    def _on_texts_failed(self, message: str, details: str) -> None:
        self._revert()
        QMessageBox.warning(self, "Cannot use these files", message)

    def _take_sources(self, serial: int) -> None:
        """A load finished (or a task that needs memory was chosen): the further texts it brought, if any."""
        self._sources, shares = self._pending_sources.pop(serial, ((), []))
        self._pending_sources.clear()  # older checks are superseded
        if self._sources:
            parts = " · ".join(f"{s.source} {s.share:.0%}" for s in shares)
            self.sources_label.setText(f"One language model of {len(shares)} texts ({parts} of the characters); "
                                       f"each gives its own validation part. The statistics below are "
                                       f"{shares[0].source}'s.")
        self.sources_label.setVisible(bool(self._sources))

    def _on_open_clicked(self) -> None:
        start = self._last_dir or str(Path.home())
        paths, _ = QFileDialog.getOpenFileNames(self, "Open a text corpus (several texts: one language model)",
                                                start, _FILE_FILTER)
        if paths:
            self.open_files(list(paths))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        urls = event.mimeData().urls()
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        urls = event.mimeData().urls()
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()
            self.open_files([url.toLocalFile() for url in urls])

    def _remember_file(self, path: str, task: str) -> None:
        self._user_files = [(p, t) for p, t in self._user_files if p != path]
        self._user_files.append((path, task))


def _texts(value: object) -> list[str]:
    """A session's further sources: a list of texts, else none."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _check_texts(paths: tuple[str, ...]) -> list:
    """Off the GUI thread: load every text as the corpus of several sources would, and each one's share."""
    from rnnviz.core.config import DataConfig
    from rnnviz.core.data.sources import load_sources, source_shares

    corpora = load_sources(DataConfig(corpus=paths[0], sources=paths[1:]), download=False)
    return source_shares(corpora, None, paths)
