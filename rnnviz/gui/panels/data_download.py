"""The Data dock's Download button: fetch a book corpus, then load it (a mixin of DataPanel)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot

from rnnviz.core.data.corpora import get_info
from rnnviz.gui.widgets.download_dialog import DownloadDialog


class DownloadMixin:
    """DataPanel's download actions; the panel holds ``_download``, ``_downloading`` and the combo."""

    _download: DownloadDialog | None
    _downloading: str

    def _on_download_clicked(self) -> None:
        info = self._registered(self.combo.currentData())
        if info is None or info.remote is None or (self._download and self._download.is_running()):
            return
        dialog = DownloadDialog(info.remote, info.title, self)
        dialog.sig_downloaded.connect(self._on_downloaded)
        dialog.sig_failed.connect(self._on_download_failed)
        dialog.sig_cancelled.connect(self._on_download_cancelled)
        self._download, self._downloading = dialog, info.name
        self.download_button.setEnabled(False)
        dialog.start()

    def download_dialog(self) -> DownloadDialog | None:
        """The dialog of the download running (or last run)."""
        return self._download

    def _download_ended(self) -> str:
        name = self._downloading
        if self._download is not None:
            self._download.deleteLater()
        self._populate(self._combo_task, self.combo.currentData())  # the statuses changed
        return name

    @Slot(object)
    def _on_downloaded(self, _path: object) -> None:
        name = self._download_ended()
        info = get_info(name)
        self._populate(info.task, name)
        self._request(name, info.task)
        self._download = None

    @Slot(str)
    def _on_download_failed(self, _message: str) -> None:
        self._download_ended()
        self._download = None
        self._update_download_button()
        self.stats_view.say("The download failed (see the message); nothing was kept. "
                            f"The app keeps using {Path(self._shown[0]).name}.")

    @Slot()
    def _on_download_cancelled(self) -> None:
        self._download_ended()
        self._download = None
        self._update_download_button()
        self.stats_view.say("Download cancelled; nothing was kept. "
                            f"The app keeps using {Path(self._shown[0]).name}.")
