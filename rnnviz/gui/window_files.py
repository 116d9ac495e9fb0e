"""The main window's files: checkpoints, lecture sessions, curve exports and the offline data folder.

Reading and writing models happens off the GUI thread (``rnnviz.gui.concurrency``),
or on the training thread between two steps while a run is in progress. A session is applied
all or nothing: checked whole (``rnnviz.core.lecture``), its model read, then applied; if any
step fails the window stays as it was and says why. Folders remembered between launches go
through ``rnnviz.gui.settings_io`` (plain values only).
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from rnnviz.core.errors import RnnvizError
from rnnviz.core.lecture import SUFFIX, Session, checkpoint_path, load_session, save_session
from rnnviz.gui import settings_io
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
        settings_io.write(w.settings, {settings_io.LAST_DIR: str(Path(path).parent)})
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
        run = w.runs.session_state()  # an opened run: the session points at it (the run holds its models)
        own = w.store.own_model()
        from_run = run is not None and own is not None and own.origin.path == run["path"]
        has_model = (own is not None and not from_run) or self._trained_here() or w.controller.state != "idle"
        session = Session(w.data_panel.state(), w.panels_state(), w.training_view.state(),
                          w.device_box.currentText(), has_model, run)
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
        """Open a session: checked whole, then its model read (off the GUI thread), then all of it
        applied at once. A wrong field or a damaged model means nothing is applied, with a message."""
        w = self.window
        try:
            session, ckpt = load_session(path)
        except RnnvizError as exc:  # DataError naming the file and the first wrong field
            w.show_error(str(exc), "")
            return
        except Exception as exc:  # a bug: said in a dialog, never a traceback on stderr
            w.show_error(f"Could not open the session {path} ({type(exc).__name__}: {exc}).", traceback.format_exc())
            return
        if ckpt is None:
            self._apply_session(path, session, None)
            return

        def load() -> Any:
            from rnnviz.core.checkpoint import load_checkpoint

            return load_checkpoint(str(ckpt))

        def failed(message: str, details: str) -> None:
            w.statusBar().clearMessage()
            w.show_error(f"Nothing from the session {path} was applied: its model cannot be opened. {message}",
                         details)
        w.statusBar().showMessage(f"Opening {ckpt}…")
        run_in_background(load, lambda bundle: self._apply_session(path, session, bundle), failed, owner=w)

    def _apply_session(self, path: str, session: Session, bundle: Any) -> None:
        """Apply a checked session and its model (None: saved without one); on any failure put back
        what the window showed before and say so."""
        w = self.window
        before = (w.data_panel.state(), w.panels_state(), w.training_view.state(), w.device_box.currentText())
        try:
            w.data_panel.restore_state(session.data)
            w.restore_panels_state(session.config)
            w.training_view.restore_state(session.view)
            device = self._set_device(session.device)
            if bundle is not None:
                w.use_opened_model(bundle)
        except Exception as exc:  # a panel refused what the checks let through: a bug, undone
            details = traceback.format_exc()
            undone = self._put_back(before)
            w.show_error(f"The session {path} could not be applied ({type(exc).__name__}: {exc}); "
                         + ("the window is as it was before." if undone else
                            "putting back the previous state failed too: check the settings before training."),
                         details)
            return
        note = "" if device else f" (device {session.device} is not available here)"
        w.statusBar().showMessage(f"Opened session {path}{note}", 8000)
        missing = w.runs.restore_session(session.run)  # after the rest: the run's model is the tabs' model
        if missing:
            w.statusBar().showMessage(f"The session {Path(path).name} opened, but {missing}", 20000)
            box = QMessageBox(QMessageBox.Icon.Warning, "rnnviz", f"The session {path} opened, but {missing}",
                              QMessageBox.StandardButton.Ok, w)
            box.setModal(False)
            box.open()

    def _set_device(self, device: str) -> bool:
        """Choose ``device`` in the toolbar; False when this machine does not offer it (left as it is)."""
        index = self.window.device_box.findText(device)
        if index >= 0:
            self.window.device_box.setCurrentIndex(index)
        return index >= 0

    def _put_back(self, before: tuple[dict, dict, dict, str]) -> bool:
        w = self.window
        data, panels, view, device = before
        try:
            w.data_panel.restore_state(data)
            w.restore_panels_state(panels)
            w.training_view.restore_state(view)
            self._set_device(device)
        except Exception:  # noqa: BLE001 (the first failure is the one reported)
            return False
        return True

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
        settings_io.write(self.window.settings, {settings_io.OFFLINE_DIR: folder})
        self.window.statusBar().showMessage(f"Offline data folder: {folder}", 8000)

    def last_dir(self, name: str) -> str:
        folder = settings_io.read_text(self.window.settings, settings_io.LAST_DIR) or str(Path.home())
        return str(Path(folder) / name) if name else folder
