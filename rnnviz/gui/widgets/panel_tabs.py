"""The main window's tabs, each panel in a scroll area, so that no panel makes the window wider than the screen.

A panel's minimum size grows with its content and the theme's type (a long run
name in a legend, presentation mode's large type). Inside a QTabWidget the
largest of them becomes the window's minimum, and on a 1280×720 projector the
window would outgrow the screen. Here each page is a scroll area that lets
its panel grow to the page's size and scrolls only what cannot fit.

The QTabWidget calls that take or give a page (``widget``, ``currentWidget``,
``setCurrentWidget``, ``indexOf``) speak of the panels, not of their scroll areas.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QVBoxLayout, QWidget


class _NoHeightForWidth(QVBoxLayout):
    """A scroll area sizes a page with height-for-width (word-wrapped labels) by its preferred
    height, not its minimum: the Training tab then scrolled on a projector although it fits."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return False


class PanelTabs(QTabWidget):
    """Tabs whose pages scroll instead of stretching the window."""

    def add_panel(self, panel: QWidget, title: str) -> int:
        page = QScrollArea()
        page.setObjectName(f"page-{title.lower().replace(' ', '-')}")
        holder = QWidget()
        layout = _NoHeightForWidth(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(panel)
        page.setWidget(holder)
        page.setWidgetResizable(True)
        page.setFrameShape(QFrame.Shape.NoFrame)
        page.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return self.addTab(page, title)

    def widget(self, index: int) -> QWidget | None:  # the panel, not its scroll area
        page = super().widget(index)
        if isinstance(page, QScrollArea) and page.widget() is not None and page.widget().layout() is not None:
            return page.widget().layout().itemAt(0).widget()
        return page

    def currentWidget(self) -> QWidget | None:  # noqa: N802 (Qt's name)
        return self.widget(self.currentIndex())

    def indexOf(self, widget: QWidget) -> int:  # noqa: N802 (Qt's name)
        for index in range(self.count()):
            if self.widget(index) is widget or super().widget(index) is widget:
                return index
        return -1

    def setCurrentWidget(self, widget: QWidget) -> None:  # noqa: N802 (Qt's name)
        index = self.indexOf(widget)
        if index >= 0:
            self.setCurrentIndex(index)
