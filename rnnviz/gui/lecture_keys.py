"""The lecture's keys: the same meaning wherever the focus is, and a sheet that lists them.

A lecturer steps through a class with the keyboard or a presenter remote (which
sends PageDown, PageUp, B or ".", Esc and F5). Left to Qt, these keys go to
whatever has the focus: → on a focused tab bar switches tab, PageDown on a spin
box changes its value, Space on a button clicks it. :class:`LectureKeys` filters
the focus widget of its main window (and the window itself) and takes these
keys first, so that they always mean what :data:`KEYS` says, except while the
user is typing in a text field (there, Space, ←, →, B, "." and "?" are text).

It answers ``ShortcutOverride`` too, so no action's shortcut and no widget's
own key handling sees a key it routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from shiboken6 import isValid
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from rnnviz.gui.main_window import MainWindow

Key = Qt.Key


@dataclass(frozen=True)
class LectureKey:
    keys: tuple[Qt.Key, ...]
    label: str  # as the sheet shows the keys
    action: str  # the name of the LectureKeys method that runs
    meaning: str  # what it does, for the sheet
    text: bool = False  # the key is text: a focused text field keeps it


#: Every key the lecture uses, in the order the shortcut sheet lists them.
KEYS: tuple[LectureKey, ...] = (
    LectureKey((Key.Key_Right, Key.Key_PageDown), "→ or PageDown", "next",
               "next: a time step in Gates, Generate and Beam search, the next loss row in Gradients; a training step in Training "
               "(a paused run starts when none is in progress, as the Step button says; with a run opened "
               "and nothing training, its next epoch)", text=True),
    LectureKey((Key.Key_Left, Key.Key_PageUp), "← or PageUp", "previous",
               "previous: a time step back in Gates, Generate and Beam search, the loss row above in Gradients", text=True),
    LectureKey((Key.Key_BracketRight,), "]", "next_epoch",
               "an opened run: its next epoch, in every tab (← and → move the epoch too while the Training tab "
               "shows a run and nothing trains)", text=True),
    LectureKey((Key.Key_BracketLeft,), "[", "previous_epoch", "an opened run: its previous epoch, in every tab",
               text=True),
    LectureKey((Key.Key_Space,), "Space", "train", "train; pause; resume (the toolbar's first button says which)",
               text=True),
    LectureKey((Key.Key_Escape,), "Esc", "stop", "stop training (the model is kept); uncover a blanked screen"),
    LectureKey((Key.Key_F5,), "F5", "present", "presentation mode on or off (a presenter remote's start key)"),
    LectureKey((Key.Key_B, Key.Key_Period), "B or .", "blank", "blank the screen, and back (a presenter remote's "
               "black-screen key)", text=True),
    LectureKey((Key.Key_F1, Key.Key_Question), "F1 or ?", "help", "this list of keys", text=True),
)
#: Keys of the window's actions, listed on the sheet too (they work wherever the focus is already).
ACTION_KEYS: tuple[tuple[str, str], ...] = (
    ("F11", "presentation mode: full screen, large type, thick lines"),
    ("P", "pause"),
    ("Ctrl+R", "reset: the next run starts from fresh weights"),
    ("Ctrl+O / Ctrl+S", "open / save a checkpoint"),
    ("Ctrl+Shift+O / Ctrl+Shift+S", "open / save a session (settings, panels and model) to prepare a lecture"),
    ("Ctrl+Shift+R", "the runs recorded on this machine: open, follow, rename, delete"),
    ("Ctrl+Q", "quit"),
)
_BY_KEY: dict[int, LectureKey] = {int(k): entry for entry in KEYS for k in entry.keys}


def _typing(widget: QWidget | None) -> bool:
    """The focus is in a field the user types text into (not a spin box's number, not read-only)."""
    if widget is None:
        return False
    if isinstance(widget, QLineEdit):
        return not isinstance(widget.parentWidget(), QAbstractSpinBox) and not widget.isReadOnly()
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return not widget.isReadOnly()
    return False


class LectureKeys(QObject):
    """Routes the lecture's keys for ``window``, wherever its focus is."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._actions: dict[str, Callable[[], None]] = {
            "next": self.next, "previous": self.previous, "train": window.train_or_pause,
            "stop": self.stop_or_uncover, "present": window.toggle_presentation, "blank": window.toggle_blank,
            "help": self.show_sheet, "next_epoch": lambda: self._epoch_step(+1),
            "previous_epoch": lambda: self._epoch_step(-1),
        }
        # Keys go to the focus widget first (ShortcutOverride, then KeyPress): filtering it, and the
        # window for when nothing has the focus, costs nothing for the other events of the app (an
        # application-wide filter ran Python for each of them: 60 ms while the window was built).
        self._watched: QWidget | None = None
        self._tab_message = ""
        self._clears_on_tab = False
        window.installEventFilter(self)
        QApplication.instance().focusChanged.connect(self._on_focus)
        window.destroyed.connect(self._disconnect)

    def _on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._watched is not None and isValid(self._watched) and self._watched is not self.window:
            self._watched.removeEventFilter(self)
        self._watched = None
        if new is not None and isValid(new) and new.window() is self.window:
            new.installEventFilter(self)
            self._watched = new

    def _disconnect(self, *_args: object) -> None:
        app = QApplication.instance()
        if app is not None:
            try:
                app.focusChanged.disconnect(self._on_focus)
            except (RuntimeError, TypeError):  # already gone with the app
                pass

    # ---- what the keys do ----

    def next(self) -> None:
        """→ / PageDown: a time step in the tabs that have time, a training step in Training."""
        self._time_step(+1)

    def previous(self) -> None:
        """← / PageUp: a time step back in the tabs that have time."""
        self._time_step(-1)

    def _epoch_step(self, direction: int) -> None:
        """] / [: the opened run's next or previous epoch, whatever the tab."""
        if not self.window.runs.step_epoch(direction):
            self.window.statusBar().showMessage("[ and ] move through the epochs of an opened run (File → Open run…).",
                                                5000)

    def _time_step(self, direction: int) -> None:
        w = self.window
        tab = w.tabs.currentWidget()
        if tab is w.training_view and w.runs.is_open and w.controller.state == "idle":
            w.runs.step_epoch(direction)  # the Training tab shows the run: its epochs are its steps
        elif tab is w.gates_panel:
            w.gates_panel.next_step() if direction > 0 else w.gates_panel.previous_step()
        elif tab is w.gradients_panel:  # the loss row s: how far that loss reaches back
            w.gradients_panel.next_row() if direction > 0 else w.gradients_panel.previous_row()
        elif tab is w.generate_panel:
            w.generate_panel.set_cursor(w.generate_panel.cursor() + direction)
        elif tab is w.beam_panel:
            w.beam_panel.tree.next_step() if direction > 0 else w.beam_panel.tree.previous_step()
        elif tab is w.training_view and direction > 0:
            w.step()
        else:
            name = w.tabs.tabText(w.tabs.currentIndex())
            self._tab_message = f"The {name} tab has no steps (→ and ← step Gates, Gradients, Generate, Beam search)."
            w.statusBar().showMessage(self._tab_message, 5000)
            if not self._clears_on_tab:  # the message speaks of this tab: it goes when the tab does
                self._clears_on_tab = True
                w.tabs.currentChanged.connect(self._clear_tab_message)

    def _clear_tab_message(self, _index: int) -> None:
        bar = self.window.statusBar()
        if bar.currentMessage() == self._tab_message:
            bar.clearMessage()

    def stop_or_uncover(self) -> None:
        """Esc: uncover a blanked screen, else stop training."""
        if not self.window.presentation.uncover():
            self.window.controller.stop()

    def show_sheet(self) -> None:
        """The sheet of every key (F1 or ?)."""
        ShortcutSheet(self.window).exec()

    def show_about(self) -> None:
        from rnnviz import __version__

        QMessageBox.about(self.window, "About rnnviz", f"<b>rnnviz {__version__}</b><p>A visual explorer for the "
                          "recurrent networks of <i>Dive into Deep Learning</i>: RNNs, GRUs, LSTMs, deep and "
                          "bidirectional stacks, the encoder–decoder and beam search.</p><p>F1 lists every key.</p>")

    # ---- routing ----

    def entry_for(self, event: QKeyEvent) -> LectureKey | None:
        """The lecture key ``event`` is, if the window should take it now."""
        entry = _BY_KEY.get(event.key())
        if entry is None or event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier):
            return None
        if QApplication.activePopupWidget() is not None or QApplication.activeModalWidget() is not None:
            return None  # an open menu, list or dialog keeps its keys
        focus = QApplication.focusWidget()
        if focus is not None and focus.window() is not self.window:
            return None
        if entry.text and _typing(focus):
            return None
        return entry

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) or not isinstance(event, QKeyEvent):
            return False
        if not isinstance(obj, QWidget) or obj.window() is not self.window:
            return False
        entry = self.entry_for(event)
        if entry is None:
            return False
        event.accept()
        # A held → steps on; a held Space or B must not toggle back and forth.
        if kind == QEvent.Type.KeyPress and (not event.isAutoRepeat() or entry.action in ("next", "previous",
                                                                                         "next_epoch", "previous_epoch")):
            self._actions[entry.action]()
        return True


class ShortcutSheet(QDialog):
    """Every key of the app, in a dialog the lecturer can show the class (F1 or ?)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("rnnviz keys")
        html = "".join(f"<tr><td style='padding-right:18px'><b>{keys}</b></td><td>{meaning}</td></tr>"
                       for keys, meaning in self.rows())
        self.table = QLabel(f"<p>These keys work wherever the focus is, except that a text field you are typing "
                            f"in keeps Space, the arrows and letters.</p><table>{html}</table>")
        self.table.setWordWrap(True)
        self.table.setTextFormat(Qt.TextFormat.RichText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    @staticmethod
    def rows() -> list[tuple[str, str]]:
        """(keys, meaning) as listed."""
        return [(entry.label, entry.meaning) for entry in KEYS] + list(ACTION_KEYS)
