"""Download one of the book's data sets, with progress and Cancel.

:class:`DownloadDialog` runs :func:`rnnviz.core.data.hub.fetch` off the GUI
thread (``rnnviz.gui.concurrency``) and shows the bytes received. Cancel makes the
progress callback return False, so ``fetch`` stops and keeps nothing. A failed
download shows the core's message as it is (it says how to work offline with
RNNVIZ_DATA_DIR). The dialog is window-modal and non-blocking: call
:meth:`start`, then listen to its signals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from rnnviz.core.data import hub
from rnnviz.core.errors import RnnvizError
from rnnviz.gui.concurrency import run_in_background

log = logging.getLogger(__name__)


def format_bytes(size: float) -> str:
    """179 kB, 3.4 MB: sizes as people read them (decimal units, as file managers do)."""
    if size < 1000:
        return f"{size:.0f} bytes"
    if size < 1_000_000:
        return f"{size / 1e3:.0f} kB"
    if size < 1_000_000_000:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e9:.2f} GB"


class DownloadDialog(QProgressDialog):
    """Progress of one ``hub.fetch``; Cancel stops it and nothing is kept."""

    #: The file is downloaded and verified; carries its local Path.
    sig_downloaded = Signal(object)
    #: The download failed; carries the message already shown to the user.
    sig_failed = Signal(str)
    #: The user cancelled; nothing was kept.
    sig_cancelled = Signal()

    def __init__(self, remote: hub.RemoteFile, title: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.remote = remote
        self.path: Path | None = None
        self.error: str | None = None
        self.cancelled = False
        self._title = title or remote.filename
        self._cancel = threading.Event()
        self._running = False
        self.destroyed.connect(lambda *_args, cancel=self._cancel: cancel.set())  # gone: stop, keep nothing
        self.canceled.connect(self._on_cancel_clicked)
        self.setWindowTitle(f"Downloading {self._title}")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumDuration(0)
        self.setMinimumWidth(420)
        self.setRange(0, max(1, remote.size // 1000))
        self._show_received(0, remote.size)
        self.reset()  # QProgressDialog would otherwise pop up by itself after 4 s, started or not

    # -- public ---------------------------------------------------------------------

    def start(self) -> None:
        """Show the dialog and start the download on a worker thread."""
        if self._running:
            return
        self._running = True
        self.show()
        run_in_background(partial(_fetch, self.remote, self._cancel), self._on_finished,
                          lambda message, details: self._on_failed(message, False), owner=self,
                          progress=lambda received: self._on_progress(*received))

    def is_running(self) -> bool:
        """True from :meth:`start` until one of the three signals has been emitted."""
        return self._running

    # -- GUI thread -------------------------------------------------------------------

    def _show_received(self, done: int, total: int | None) -> None:
        of = f" of {format_bytes(total)}" if total else ""
        self.setLabelText(f"Downloading {self.remote.filename} from the book's data hub\n"
                          f"{format_bytes(done)}{of} received")

    def _on_progress(self, done: int, total: int | None) -> None:
        if self._cancel.is_set():
            return
        if total:
            self.setMaximum(max(1, total // 1000))
        self.setValue(min(done // 1000, self.maximum()))
        self._show_received(done, total)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        if self._running:
            self._cancel.set()
            self.setLabelText("Cancelling…")

    def _on_finished(self, path: Path) -> None:
        self._running = False
        self.path = Path(path)
        self.setValue(self.maximum())
        self.reset()
        self.hide()
        self.sig_downloaded.emit(self.path)

    def _on_failed(self, message: str, cancelled: bool) -> None:
        self._running = False
        self.reset()
        self.hide()
        if cancelled or self._cancel.is_set():
            self.cancelled = True
            self.sig_cancelled.emit()
            return
        self.error = message
        QMessageBox.warning(self.parentWidget() or self, f"Download of {self._title} failed", message)
        self.sig_failed.emit(message)

    def cancel(self) -> None:
        """Stop the download (as the Cancel button does)."""
        self._on_cancel_clicked()
        super().cancel()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._on_cancel_clicked()
        super().closeEvent(event)


def _fetch(remote: hub.RemoteFile, cancel: threading.Event, report: Callable[[object], None]) -> Path:
    """Off the GUI thread: download and verify ``remote``, reporting (received, total) bytes."""

    def progress(done: int, total: int | None) -> bool:
        if cancel.is_set():
            return False
        report((done, total))
        return True

    try:
        return hub.fetch(remote, progress)
    except RnnvizError:  # DownloadCancelled too: the dialog knows it was cancelled
        raise
    except Exception as exc:  # a bug must not kill the window: tell, log, stay usable
        log.exception("download of %s failed", remote.filename)
        raise RnnvizError(f"the download of {remote.filename} failed unexpectedly: {exc}") from None
