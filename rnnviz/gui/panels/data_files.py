"""The Data dock's user files and saved state (a mixin of DataPanel): Open file…, drag and drop, the
files remembered per task, and the plain data a session or the settings keep, the task that needs
memory's settings included."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from rnnviz.core.config import MEMORY_TASKS

_FILE_FILTER = "Text corpora (*.txt *.tsv *.tab *.text);;All files (*)"
#: The task buttons' names in the state's "last" (the tasks that need memory are one choice).
_LAST_KEYS = ("lm", "mt", "memory")


class FilesMixin:
    """DataPanel's files and state; the panel holds the selection, the combo and the loads."""

    _user_files: list[tuple[str, str]]
    _last: dict[str, str]
    _last_dir: str

    def state(self) -> dict:
        """Plain data for a saved session."""
        return {"corpus": self._shown[0], "task": self._shown[1],
                "user_files": [[path, task] for path, task in self._user_files],
                "last": dict(self._last), "last_dir": self._last_dir, "memory": self.memory_settings()}

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

    def _on_open_clicked(self) -> None:
        start = self._last_dir or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open a text corpus", start, _FILE_FILTER)
        if path:
            self.open_file(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.open_file(urls[0].toLocalFile())

    def _remember_file(self, path: str, task: str) -> None:
        self._user_files = [(p, t) for p, t in self._user_files if p != path]
        self._user_files.append((path, task))
