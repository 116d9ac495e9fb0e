"""The main window's files: checkpoints, lecture sessions, curve exports and the offline data folder.

Reading and writing models happens off the GUI thread (``rnnviz.gui.concurrency``),
or on the training thread between two steps while a run is in progress.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from rnnviz.core.lecture import SUFFIX, Session, checkpoint_path, load_session, save_session
from rnnviz.gui.concurrency import run_in_background

if TYPE_CHECKING:
    from rnnviz.gui.main_window import MainWindow


class WindowFiles(QObject):
    """File menu work for ``window``; the window owns it and calls its methods from its actions."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    # ---- checkpoints ----

    def save_checkpoint(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save checkpoint", self.last_dir("rnnviz.pt"),
                                              "rnnviz checkpoints (*.pt)")
        if path:
            self.write_checkpoint(path)

    def write_checkpoint(self, path: str) -> None:
        """Save the model of the data's task: the worker saves between two steps while a run is in
        progress or when the model was trained here; otherwise the opened model is saved off the GUI thread."""
        w = self.window
        w.settings.setValue("files/last_dir", str(Path(path).parent))
        if w.controller.state != "idle" or self._trained_here():
            w.controller.save_checkpoint(path)
            return
        own = w.store.own_model()
        if own is None:
            QMessageBox.information(w, "Nothing to save", "There is no model yet: train one or open a checkpoint.")
            return

        def save() -> str:
            from rnnviz.core.checkpoint import save_checkpoint

            return str(save_checkpoint(own, path))
        run_in_background(save, self.on_saved, w.show_error, owner=w)

    def _trained_here(self) -> bool:
        """The model of the data's task is the one trained here (kept by the controller until Reset or Open)."""
        trained = self.window.controller.bundle
        return trained is not None and trained.task == self.window.store.task

    def on_saved(self, path: str) -> None:
        self.window.statusBar().showMessage(f"Saved {path}", 8000)

    def open_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open checkpoint", self.last_dir(""),
                                              "rnnviz checkpoints (*.pt)")
        if path:
            self.load_checkpoint_file(path)

    def load_checkpoint_file(self, path: str) -> None:
        def load() -> Any:
            from rnnviz.core.checkpoint import load_checkpoint

            return load_checkpoint(path)
        self.window.statusBar().showMessage(f"Opening {path}…")
        run_in_background(load, self.window.use_opened_model, self.window.show_error, owner=self.window)

    # ---- sessions ----

    def save_session(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session", self.last_dir("lecture" + SUFFIX),
                                              f"rnnviz sessions (*{SUFFIX})")
        if path:
            self.write_session(path)

    def write_session(self, path: str) -> None:
        w = self.window
        has_model = w.store.own_model() is not None or self._trained_here() or w.controller.state != "idle"
        session = Session(w.data_panel.state(), w.panels_state(), w.training_view.state(),
                          w.device_box.currentText(), has_model)
        try:
            save_session(session, path)
        except Exception as exc:  # DataError, with the reason and the path
            w.show_error(str(exc), "")
            return
        if has_model:
            self.write_checkpoint(str(checkpoint_path(path)))
        w.statusBar().showMessage(f"Saved session {path}", 8000)

    def open_session(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", self.last_dir(""),
                                              f"rnnviz sessions (*{SUFFIX})")
        if path:
            self.load_session_file(path)

    def load_session_file(self, path: str) -> None:
        w = self.window
        try:
            session, ckpt = load_session(path)
        except Exception as exc:  # DataError naming the file and what is wrong
            w.show_error(str(exc), "")
            return
        w.data_panel.restore_state(session.data)
        w.restore_panels_state(session.config)
        w.training_view.restore_state(session.view)
        index = w.device_box.findText(session.device)
        if index >= 0:
            w.device_box.setCurrentIndex(index)
        if ckpt is not None:
            self.load_checkpoint_file(str(ckpt))

    # ---- exports and folders ----

    def export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export curves", self.last_dir("curves.csv"), "CSV (*.csv)")
        if path:
            self._export(self.window.training_view.export_csv, path)

    def export_image(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export plot", self.last_dir("curves.png"),
                                              "PNG image (*.png);;SVG drawing (*.svg)")
        if path:
            self._export(self.window.training_view.export_image, path)

    def _export(self, write: Any, path: str) -> None:
        try:
            write(path)
        except Exception as exc:  # RnnvizError from the view, with the reason
            self.window.show_error(f"Could not export to {path}: {exc}", "")
        else:
            self.window.statusBar().showMessage(f"Wrote {path}", 8000)

    def choose_offline_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Folder with timemachine.txt and fra-eng.zip",
                                                  os.environ.get("RNNVIZ_DATA_DIR", ""))
        if folder:
            self.set_offline_folder(folder)

    def set_offline_folder(self, folder: str) -> None:
        os.environ["RNNVIZ_DATA_DIR"] = folder  # the data layer looks here first
        self.window.settings.setValue("data/offline_dir", folder)
        self.window.statusBar().showMessage(f"Offline data folder: {folder}", 8000)

    def last_dir(self, name: str) -> str:
        folder = str(self.window.settings.value("files/last_dir", str(Path.home())))
        return str(Path(folder) / name) if name else folder
