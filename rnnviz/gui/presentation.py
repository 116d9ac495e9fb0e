"""Presentation mode and the blanked screen, for the lecture.

Presentation mode is full screen, large type (``PRESENTATION.font_scale``),
thick lines, the menu bar and the docks hidden so the tabs get the screen. Leaving it gives back
exactly what was there before: the window's geometry and its docks, even though
the large type had made every widget's minimum size grow meanwhile.

The blanked screen (B or "." on a presenter remote) covers the window in black
until the next B, "." or Esc, so the class looks at the lecturer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from rnnviz.gui.style import NORMAL, PRESENTATION, Theme

if TYPE_CHECKING:
    from rnnviz.gui.main_window import MainWindow


class BlankScreen(QLabel):
    """A black cover over the whole window."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("blank-screen")
        self.setAutoFillBackground(True)
        self.setStyleSheet("background: black; color: #303030;")
        self.setAlignment(Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight)
        self.setText("B, . or Esc to come back  ")
        self.hide()


class Presentation(QObject):
    """Turns ``window``'s presentation mode and blank screen on and off."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.theme: Theme = NORMAL
        self._base_font = QFont(QApplication.font())
        self._saved_geometry: QRect | None = None
        self._saved_state: QByteArray | None = None
        self._was_maximized = False
        self.blank = BlankScreen(window)
        window.installEventFilter(self)  # the cover follows the window's size

    @property
    def on(self) -> bool:
        return self.theme is PRESENTATION

    def set_on(self, on: bool) -> None:
        """Presentation mode on or off; off restores the geometry and docks of before."""
        if on == self.on:
            return
        w = self.window
        if on:
            # The rectangle itself, not saveGeometry(): restoring that clamps to the screen.
            self._saved_geometry, self._saved_state = QRect(w.geometry()), w.saveState()
            self._was_maximized = w.isMaximized()
        self.theme = PRESENTATION if on else NORMAL
        font = QFont(self._base_font)
        font.setPointSizeF(self._base_font.pointSizeF() * self.theme.font_scale)
        QApplication.instance().setFont(font)
        for panel in w.themed_panels():
            panel.apply_theme(self.theme)
        # On the projector the tabs get the screen: no menu bar (the keys and F1 stay), no docks
        # (View → Data/Config brings one back).
        w.menuBar().setVisible(not on)
        if on:
            for dock in (w.data_dock, w.config_dock):
                dock.hide()
            w.showFullScreen()
            # Without a window manager (a bare X server, a kiosk) full screen keeps the window's size.
            screen = w.screen() or QApplication.primaryScreen()
            if screen is not None:
                w.setGeometry(screen.geometry())
            return
        w.showMaximized() if self._was_maximized else w.showNormal()
        self._restore()
        # Once the normal type has shrunk the layouts, a second pass gets the exact size back.
        QTimer.singleShot(0, w, self._restore)

    def _restore(self) -> None:
        if self.on:
            return
        if self._saved_state is not None:
            self.window.restoreState(self._saved_state)
        if self._saved_geometry is not None and not self._was_maximized:
            self.window.setGeometry(self._saved_geometry)

    def toggle_blank(self) -> None:
        """Cover the window in black, or uncover it."""
        if self.blank.isVisible():
            self.blank.hide()
            return
        self.blank.setGeometry(self.window.rect())
        self.blank.raise_()
        self.blank.show()

    def uncover(self) -> bool:
        """Uncover a blanked window; True if it was blanked."""
        if not self.blank.isVisible():
            return False
        self.blank.hide()
        return True

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.window and event.type() == QEvent.Type.Resize and self.blank.isVisible():
            self.blank.setGeometry(self.window.rect())
        return False
