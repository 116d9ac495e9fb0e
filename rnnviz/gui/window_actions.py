"""The main window's actions, menus, toolbar and status bar (built here; the window keeps them as attributes).

Every action is added to the window itself, so its shortcut works with the toolbar hidden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QComboBox, QLabel

from rnnviz.core.estimate import LONG_RUN_S
from rnnviz.core.events import Step
from rnnviz.gui.widgets.epoch_progress import EpochProgress

if TYPE_CHECKING:
    from rnnviz.gui.main_window import MainWindow
    from rnnviz.gui.training import RunInfo

#: Screens narrower than this (a 1280×720 projector) get the Data and Config docks as two tabs of one column.
WIDE_SCREEN = 1600


def _action(window: MainWindow, text: str, shortcut: str | QKeySequence | None, slot, tip: str) -> QAction:
    action = QAction(text, window)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut else tip)
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)  # shortcuts work even when the toolbar is hidden
    return action


def build_actions(window: MainWindow) -> None:
    files = window.files
    window.act_train = _action(window, "Train", "Space", window.train_or_pause, "Start training, or pause/resume it")
    window.act_pause = _action(window, "Pause", "P", window.controller.pause, "Pause training between two steps")
    window.act_step = _action(window, "Step", "Right", window.step,
                              "Take one training step, then pause (starts a paused run when none is in progress)")
    window.act_stop = _action(window, "Stop", "Esc", window.controller.stop,
                              "Stop training, or the preparation of a run; a model trained so far is kept")
    window.act_reset = _action(window, "Reset", "Ctrl+R", window.reset, "Forget the model: the next run starts fresh")
    window.act_open_ckpt = _action(window, "Open checkpoint…", QKeySequence.StandardKey.Open, files.open_checkpoint,
                                   "Open a model saved by rnnviz")
    window.act_save_ckpt = _action(window, "Save checkpoint…", QKeySequence.StandardKey.Save, files.save_checkpoint,
                                   "Save the current model")
    window.act_open_session = _action(window, "Open session…", "Ctrl+Shift+O", files.open_session,
                                      "Open a prepared lecture: settings, panels and model")
    window.act_save_session = _action(window, "Save session…", "Ctrl+Shift+S", files.save_session,
                                      "Save settings, panels and model for a lecture")
    window.act_offline = _action(window, "Offline data folder…", None, files.choose_offline_folder,
                                 "Folder holding the book's data sets for use without a network")
    window.act_export_csv = _action(window, "Export curves as CSV…", None, files.export_csv, "Save the curves' numbers")
    window.act_export_image = _action(window, "Export plot as PNG/SVG…", None, files.export_image, "Save the plots")
    window.act_quit = _action(window, "Quit", QKeySequence.StandardKey.Quit, window.close, "Quit rnnviz")
    window.act_present = _action(window, "Presentation mode", "F11", window.toggle_presentation,
                                 "Full screen, large type, thick lines, high contrast")
    window.act_present.setCheckable(True)
    window.act_blank = _action(window, "Blank screen", "B", window.toggle_blank,
                               "Cover the window in black, and back (B or . on a presenter remote)")
    window.act_keys = _action(window, "Keys…", "F1", window.keys.show_sheet, "Every key of rnnviz (F1 or ?)")
    window.act_about = _action(window, "About rnnviz", None, window.keys.show_about, "Version and what rnnviz is")


def build_menus(window: MainWindow) -> None:
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    for action in (window.act_open_ckpt, window.act_save_ckpt, None, window.act_open_session, window.act_save_session,
                   None, window.act_export_csv, window.act_export_image, None, window.act_offline, None, window.act_quit):
        file_menu.addSeparator() if action is None else file_menu.addAction(action)
    train_menu = bar.addMenu("&Train")
    for action in (window.act_train, window.act_pause, window.act_step, window.act_stop, window.act_reset):
        train_menu.addAction(action)
    view_menu = bar.addMenu("&View")
    view_menu.addAction(window.act_present)
    view_menu.addAction(window.act_blank)
    view_menu.addSeparator()
    view_menu.addAction(window.data_dock.toggleViewAction())
    view_menu.addAction(window.config_dock.toggleViewAction())
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(window.act_keys)
    help_menu.addAction(window.act_about)


def build_toolbar(window: MainWindow) -> None:
    toolbar = window.addToolBar("Training")
    toolbar.setObjectName("toolbar-training")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    # Train is a play/pause toggle (Space); Pause alone stays in the Train menu (P).
    for action in (window.act_train, window.act_step, window.act_stop, window.act_reset):
        toolbar.addAction(action)
    toolbar.addSeparator()
    toolbar.addWidget(QLabel(" Device "))
    window.device_box = QComboBox()
    window.device_box.addItem("auto")
    window.device_box.setToolTip("auto: cuda, then mps, then cpu")
    toolbar.addWidget(window.device_box)


def build_status_bar(window: MainWindow) -> None:
    status = window.statusBar()
    window.status_state = QLabel("idle")
    window.status_device = QLabel("")
    window.status_progress = EpochProgress()
    window.status_progress.setMaximumWidth(220)
    window.status_speed = QLabel("")
    window.status_time = QLabel("")
    for widget in (window.status_state, window.status_device, window.status_progress, window.status_speed,
                   window.status_time):
        widget.setContentsMargins(6, 0, 6, 0)
        status.addPermanentWidget(widget)
    # A line between the fields, so that a long message never seems to run into the state beside it.
    status.setStyleSheet("QStatusBar::item { border-left: 1px solid #a0a0a0; }")


def screen_width() -> int:
    screen = QApplication.primaryScreen()
    return screen.availableGeometry().width() if screen is not None else WIDE_SCREEN


def progress_text(run: RunInfo, step: Step) -> str:
    """"elapsed 0:12  ETA 1:05" for the run in progress."""
    total = run.epochs * max(run.batches_per_epoch, 1)
    done = (step.epoch - run.start_epoch - 1) * step.batches + step.batch  # this run's steps
    elapsed = step.elapsed - run.start_elapsed
    remaining = max(total - done, 0) * elapsed / max(done, 1)
    warning = "  ⚠ a long run" if remaining > LONG_RUN_S else ""  # Esc stops it; the model is kept
    return f"elapsed {clock(elapsed)}  ETA {clock(remaining)}{warning}"


def clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"
