"""The main window's runs: recording every training, opening a run, scrubbing its epochs, following it.

- Recording: the controller records each job into ``runs_home()`` (``gui.runs.recording``) unless
  the user turned it off (Runs… → "Record every training run", a plain QSettings value).
- File → Open run… / Follow run… / Recent runs / Runs…: a run's curves go into the Training tab
  (as a run of their own, beside this window's), and the run bar (``gui.runs.scrubber``) appears
  at the bottom of the window, under every tab.
- The epoch on the bar is the model every model tab shows: the run's model of that epoch becomes
  the store's model of its task (loaded off the GUI thread, cached: ``gui.runs.source``), and each
  tab's banner says "run NAME · epoch K of N".
- A run another process is writing is opened read-only and followed: new epochs reach the bar and
  the curves; "live" keeps the bar at the newest epoch until the user moves it.
- Each tab remembers the epoch it was last shown at: switching back to a tab puts the run at that
  epoch again, and a session keeps those epochs (``session_state``), so a lecture opens where it was left.
- Training a new model closes the run (its bar and banners would otherwise speak of another model).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QToolBar

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.runs.reader import epoch_ranges
from rnnviz.gui import settings_io
from rnnviz.gui.runs.scrubber import ScrubberBar
from rnnviz.gui.runs.source import RunGrowth, RunSource, RunState

if TYPE_CHECKING:
    from rnnviz.gui.main_window import MainWindow

#: QSettings keys (plain values, through settings_io): recording on or off, the runs opened lately.
RECORD_KEY = "runs/record"  # text: "on" | "off"
RECENT_KEY = "runs/recent"  # object: {"paths": [...]}, newest first
RECENT_MAX = 8
#: The tabs that remember an epoch (the names sessions use).
TAB_NAMES = ("training", "gates", "gradients", "translate", "generate", "beam")


def runs_folder() -> Path:
    from rnnviz.core.runs import runs_home

    return runs_home()


class WindowRuns(QObject):
    """Runs work for ``window`` (see the module doc); built once the window's menus exist."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.source = RunSource(self)
        self.bar = ScrubberBar()
        self.toolbar = QToolBar("Run")
        self.toolbar.setObjectName("toolbar-run")
        self.toolbar.setMovable(False)
        self.toolbar.addWidget(self.bar)
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.toolbar)
        self.toolbar.hide()
        self.browser: Any = None
        self.tab_epochs: dict[str, int] = {}  # tab -> the epoch it was last shown at
        self.recording_message = ""  # the last word on recording (for the status bar and the tests)
        self._pending_epoch: int | None = None  # the epoch to show once the run is open
        self._shown_epoch: int | None = None  # the epoch whose model the store holds
        self._first_model = True  # the run's first model also sets the docks (a run to continue)
        self._build_actions()
        s = self.source
        s.sig_opened.connect(self._on_opened)
        s.sig_failed.connect(self._on_open_failed)
        s.sig_grew.connect(self._on_grew)
        s.sig_bundle.connect(self._on_bundle)
        s.sig_refused.connect(self._on_refused)
        self.bar.sig_epoch.connect(self._on_epoch)
        self.bar.sig_close.connect(self.close_run)
        window.controller.sig_recording.connect(self._on_recording)
        window.store.sig_run_changed.connect(self._on_run_changed)
        window.tabs.currentChanged.connect(self._on_tab)
        window.controller.record_home = str(runs_folder()) if self.recording() else ""

    # ---- actions and menus ----

    def _build_actions(self) -> None:
        w = self.window

        def action(text: str, slot: Any, tip: str, shortcut: str = "") -> QAction:
            act = QAction(text, w)
            if shortcut:
                act.setShortcut(shortcut)
            act.setStatusTip(tip)
            act.setToolTip(tip)
            act.triggered.connect(slot)
            w.addAction(act)
            return act

        self.act_open = action("Open run…", self.ask_open, "Open a recorded run: its curves, and its epochs to scrub")
        self.act_follow = action("Follow run…", lambda: self.ask_open(follow=True),
                                 "Follow a run another process is recording (a folder on this machine or synced)")
        self.act_browser = action("Runs…", self.show_browser, "The runs recorded on this machine: open, rename, "
                                  "delete; recording on or off", "Ctrl+Shift+R")
        self.recent_menu = QMenu("Recent runs", w)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu = w.menuBar().actions()[0].menu()
        before = w.act_open_session
        for act in (self.act_open, self.act_follow):
            file_menu.insertAction(before, act)
        file_menu.insertMenu(before, self.recent_menu)
        file_menu.insertAction(before, self.act_browser)
        file_menu.insertSeparator(before)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = self.recent()
        if not paths:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for path in paths:
            act = self.recent_menu.addAction(Path(path).name)
            act.setToolTip(path)
            act.triggered.connect(lambda _c=False, p=path: self.open(p))

    def recent(self) -> list[str]:
        saved = settings_io.read_mapping(self.window.settings, RECENT_KEY) or {}
        paths = saved.get("paths", [])
        return [p for p in paths if isinstance(p, str) and len(p) < 4096][:RECENT_MAX] if isinstance(paths, list) else []

    def _remember(self, path: str) -> None:
        paths = [path, *(p for p in self.recent() if p != path)][:RECENT_MAX]
        settings_io.write(self.window.settings, {RECENT_KEY: {"paths": paths}})

    # ---- recording ----

    def recording(self) -> bool:
        return settings_io.read_text(self.window.settings, RECORD_KEY) != "off"

    def set_recording(self, on: bool) -> None:
        """Record the next runs (into the runs folder) or not; remembered between launches."""
        settings_io.write(self.window.settings, {RECORD_KEY: "on" if on else "off"})
        self.window.controller.record_home = str(runs_folder()) if on else ""

    def _on_recording(self, news: Any) -> None:
        w = self.window
        if news.folder and not news.message:
            w.store.update_run(folder=news.folder)
            self.recording_message = f"Recording this run into {news.folder}."
            # Said beside what the run's start said (its notes, such as an initialisation kept), never over it.
            now = w.statusBar().currentMessage()
            w.statusBar().showMessage(f"{now} {self.recording_message}" if now else self.recording_message,
                                      15000 if now else 5000)
            return
        self.recording_message = news.message
        w.statusBar().showMessage(news.message, 20000)
        box = QMessageBox(QMessageBox.Icon.Warning, "Recording stopped", news.message, QMessageBox.StandardButton.Ok, w)
        box.setModal(False)  # training goes on: nothing waits for this box
        box.open()

    # ---- opening ----

    def ask_open(self, follow: bool = False) -> None:
        start = str(runs_folder()) if runs_folder().is_dir() else str(Path.home())
        title = "Follow a run being recorded" if follow else "Open a run folder"
        folder = QFileDialog.getExistingDirectory(self.window, title, start)
        if folder:
            self.open(folder)

    def open(self, path: str, epoch: int | None = None, tab_epochs: dict[str, int] | None = None) -> None:
        """Open the run in ``path`` (off the GUI thread), at ``epoch`` (default: its last complete one).
        A run being written is opened read-only and followed."""
        self.bar.stop_playing()
        self._pending_epoch = epoch
        self.tab_epochs = dict(tab_epochs or {})
        self._shown_epoch = None
        self._first_model = True
        self.window.statusBar().showMessage(f"Opening the run {path}…")
        self.source.open(path)

    @property
    def is_open(self) -> bool:
        return self.source.is_open

    def _on_open_failed(self, message: str) -> None:
        self.window.statusBar().clearMessage()
        self.window.show_error(f"The run cannot be opened: {message}", "")

    def _on_opened(self, state: RunState) -> None:
        w = self.window
        self._remember(state.path)
        w.store.set_run_last_epoch(state.path, state.planned)
        label = f"run {state.name}"
        w.training_view.begin_run(label, state.task if state.task in ("lm", "mt") else "lm")
        w.training_view.add_events(state.events)
        self.bar.set_title(f"Run {state.name}")
        self.bar.set_live_available(state.running)
        self.bar.set_epochs(state.epochs)
        self.toolbar.show()
        self._say_notices(state)
        if not state.epochs:
            w.statusBar().showMessage(f"The run {state.name} has no complete epoch yet"
                                      + (": following it." if state.running else "."), 10000)
            return
        # A session's epoch for the tab shown, else its epoch, else the newest.
        target = self.tab_epochs.get(self._tab_name(), self._pending_epoch)
        target = target if target is not None else state.epochs[-1]
        if state.running and self._pending_epoch is None:
            self.bar.set_live(True)
        self.bar.go_to(target, by_user=False)
        self.source.request(self.bar.epoch())  # the first epoch, even when go_to had nothing to change
        ending = "; it is being written: following it, read-only." if state.running else "."
        w.statusBar().showMessage(f"Opened the run {state.name} ({state.model}, epochs "
                                  f"{epoch_ranges(state.epochs)}){ending}", 10000)

    def _say_notices(self, state: RunState) -> None:
        skipped = self.bar.missing()
        words = []
        if skipped:
            words.append(f"epochs {epoch_ranges(skipped)} skipped (not complete)")
        refused = [n for n in state.notices if not n.startswith("note: ")]
        if refused:
            words.append(refused[-1])
        self.bar.set_notice("; ".join(words))
        self.bar.notice.setToolTip("\n".join(state.notices) or "")

    def close_run(self) -> None:
        """Close the run: the bar goes, and the tabs go back to the model of before (or the shipped one)."""
        w = self.window
        state = self.source.state
        self.bar.stop_playing()
        self.source.close()
        self.toolbar.hide()
        self._shown_epoch = None
        if state is not None:
            for task in {state.task}:
                own = w.store.own_model(task)
                if own is not None and own.origin.path == state.path:
                    w.store.clear_model(task)

    # ---- epochs ----

    def step_epoch(self, direction: int) -> bool:
        """The next (+1) or previous (-1) epoch of the open run; False when no run is open."""
        if not self.is_open:
            return False
        self.bar.step(direction)
        return True

    def _on_epoch(self, epoch: int) -> None:
        self.tab_epochs[self._tab_name()] = epoch
        self.source.request(epoch)

    def _on_bundle(self, epoch: int, bundle: Any) -> None:
        w = self.window
        if epoch != self.bar.epoch():  # the bar moved on meanwhile
            return
        self._shown_epoch = epoch
        self.tab_epochs[self._tab_name()] = epoch
        if self._first_model:
            self._first_model = False
            self._use_settings(bundle)
        w.store.set_model(bundle)

    def _use_settings(self, bundle: Any) -> None:
        """The run's first model: the Builder, Config and Data docks follow it, so that Train continues it."""
        w = self.window
        w.controller.forget_model()
        w.builder.set_model_config(bundle.model_config)
        w.config_panel.set_from(bundle.data_config, bundle.train_config, bundle.model_config)
        if bundle.task in MEMORY_TASKS:
            w.models._show_memory_data(bundle.data_config)
        elif (w.store.corpus, w.store.task) != (bundle.data_config.corpus, bundle.task):
            w.data_panel.set_selection(bundle.data_config.corpus, bundle.task)

    def _on_refused(self, epoch: int, message: str) -> None:
        self.bar.set_notice(f"epoch {epoch} refused: {message}")
        self.window.statusBar().showMessage(message, 15000)

    def _on_grew(self, growth: RunGrowth) -> None:
        w = self.window
        state = self.source.state
        if state is None:
            return
        if growth.events:
            w.training_view.add_events(growth.events)
        w.store.set_run_last_epoch(state.path, state.planned)
        if growth.epochs != self.bar.epochs():
            self.bar.set_epochs(growth.epochs)
            if self.bar.live() and growth.epochs:
                self.bar.go_to(growth.epochs[-1], by_user=False)
        if growth.status != "running":
            self.bar.set_live_available(False)
            w.statusBar().showMessage(f"The run {state.name} ended ({growth.status}).", 8000)
        self._say_notices(state)

    # ---- tabs, training, sessions ----

    def _tab_name(self) -> str:
        w = self.window
        panels = dict(zip((w.training_view, w.gates_panel, w.gradients_panel, w.translate_panel, w.generate_panel,
                           w.beam_panel), TAB_NAMES))
        return panels.get(w.tabs.currentWidget(), "training")

    def _on_tab(self, _index: int) -> None:
        """A tab shown again goes back to the epoch it was left at."""
        if not self.is_open:
            return
        epoch = self.tab_epochs.get(self._tab_name())
        if epoch is None:
            if self.bar.epoch() is not None:
                self.tab_epochs[self._tab_name()] = self.bar.epoch()
            return
        if epoch != self.bar.epoch() and not self.bar.live():
            self.bar.go_to(epoch, by_user=False)
            self.window.statusBar().showMessage(f"Epoch {self.bar.epoch()}: where this tab was left.", 4000)

    def _on_run_changed(self, record: Any) -> None:
        if record.state == "preparing" and self.is_open:
            name = self.source.state.name if self.source.state else "the run"
            self.close_run()
            self.window.statusBar().showMessage(f"Training a model here: {name} was closed (File → Recent runs "
                                                "opens it again).", 8000)

    def session_state(self) -> dict[str, Any] | None:
        """The open run for a session: its folder, the epoch shown and each tab's epoch (None: no run)."""
        state = self.source.state
        if state is None:
            return None
        return {"path": state.path, "epoch": self.bar.epoch() or 0,
                "tabs": {k: v for k, v in self.tab_epochs.items() if k in TAB_NAMES}}

    def restore_session(self, run: dict[str, Any] | None) -> str:
        """Open a session's run at its epochs; '' or why it cannot be opened (the rest of the session opens)."""
        if not run:
            return ""
        path = str(run.get("path", ""))
        if not os.path.isdir(path):
            return f"its run {path} is missing (moved or deleted): the rest of the session was opened."
        tabs = run.get("tabs") if isinstance(run.get("tabs"), dict) else {}
        self.open(path, run.get("epoch"), {k: v for k, v in tabs.items() if k in TAB_NAMES})
        return ""

    # ---- the browser ----

    def show_browser(self) -> None:
        from rnnviz.gui.runs.browser import RunsBrowser

        if self.browser is None:
            self.browser = RunsBrowser(self, self.window)
        self.browser.reload()
        self.browser.show()
        self.browser.raise_()

    def stop(self) -> None:
        """The window closes: no more polls or Play."""
        self.bar.stop_playing()
        self.source.close()
