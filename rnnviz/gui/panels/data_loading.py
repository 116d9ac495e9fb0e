"""The Data dock's loads (a mixin of DataPanel): a corpus is read and counted off the GUI thread.

Each request carries a serial number and only the newest one's result is shown: a load that a
later choice superseded is dropped, never shown stale. A failure (a bad file, a corpus not
downloaded) shows the core's message and leaves the previous selection exactly as it was.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.data.corpora import list_corpora
from rnnviz.core.data.summary import Loaded, LoadRequest, load_corpus_stats
from rnnviz.gui.concurrency import run_in_background


class LoadingMixin:
    """DataPanel's loads; the panel holds the selection (``_shown``, ``_loaded``), the serials
    (``_latest``, ``_outstanding``), the combo and the statistics view these methods update."""

    def _request(self, corpus: str, task: str | None) -> None:
        self._latest.value += 1
        request = LoadRequest(self._latest.value, corpus, task)
        self._outstanding.add(request.serial)
        name = corpus if self._registered(corpus) else Path(corpus).name
        self._set_busy(f"Loading {name}…")
        registered = frozenset(info.name for info in list_corpora())
        run_in_background(partial(load_corpus_stats, request, self._latest, registered),
                          partial(self._on_loaded, request.serial),
                          lambda message, details: self._on_failed(request.serial, message), owner=self)


    def _supersede(self) -> None:
        """Drop the result of any running load (its serial is no longer the newest)."""
        self._latest.value += 1


    def _on_loaded(self, serial: int, loaded: Loaded | None) -> None:
        self._outstanding.discard(serial)
        if loaded is None or serial != self._latest.value:
            return  # superseded: never show stale statistics
        self._loaded = loaded
        self._take_sources(serial)  # the texts opened with it, or none
        self._shown = (loaded.corpus, loaded.task)
        self._last[loaded.task] = loaded.corpus
        if loaded.is_file:
            self._remember_file(loaded.corpus, loaded.task)
        self._populate(loaded.task, loaded.corpus)
        self._set_busy(None)
        self._show_loaded(loaded)
        self.sig_selection_changed.emit(loaded.corpus, loaded.task)
        self.sig_stats_ready.emit(loaded.stats)


    def _on_failed(self, serial: int, message: str) -> None:
        self._outstanding.discard(serial)
        if serial != self._latest.value:
            return
        self._user_files = [(p, t) for p, t in self._user_files if Path(p).is_file()]
        self._revert()
        QMessageBox.warning(self, "Cannot use this corpus", message)


    def _revert(self) -> None:
        """Show the current selection again, as it was before the failed attempt."""
        self._set_busy(None)
        self._populate(self._shown[1], self._shown[0])
        if self._shown[1] in MEMORY_TASKS:
            self._show_memory(True)
        elif self._loaded is not None:
            self._show_loaded(self._loaded)
