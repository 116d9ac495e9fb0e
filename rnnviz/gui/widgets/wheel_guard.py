"""Click to interact: a plot or a control inside a scrolling dock lets a stray wheel scroll the dock.

Over a plot that was not clicked, the mouse wheel scrolls whatever holds the
plot (the dock's scroll area), never zooms it; a click on the plot "arms" it,
and from then on the wheel zooms and a drag pans, until the pointer leaves
the plot or the focus goes elsewhere. A spin box or a combo box takes the
wheel only once it has the keyboard focus (clicked or tabbed into), so a
wheel over the Data dock never loads another corpus by surprise.

:class:`PlotFrame` puts a plot under a title that wraps (never clipped at a
dock's width) and beside a "Reset view" button, and outlines the plot while
it is armed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ARMED_COLOR = "#0072B2"
_HINT = "Click the plot, then the wheel zooms it and a drag pans it; over a plot not clicked, the wheel scrolls."
_DISARM = (QEvent.Type.Leave, QEvent.Type.FocusOut, QEvent.Type.Hide)


def pass_wheel_on(widget: QWidget, event: QEvent) -> bool:
    """Give a wheel event ``widget`` refuses to the scroll area around it (the dock, the Builder's column).

    Sent on explicitly: Qt passes a refused wheel event to the parents only when it came from the
    window system, and this way the scroll area gets it exactly once either way.
    """
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    if parent is not None and not (isinstance(widget, QAbstractScrollArea) and parent is widget):
        QCoreApplication.sendEvent(parent.viewport(), event.clone())
    event.accept()  # handled: not offered to the parents a second time
    return True


class WheelGuard(QObject):
    """Lets the wheel through to ``view`` only after a click on it (see the module's doc).

    A wheel event the plot refuses goes to the scroll area around it, which scrolls.
    Signals:
        sig_armed(bool): the plot now takes the wheel (True) or lets it pass (False).
    """

    sig_armed = Signal(bool)

    def __init__(self, view: QAbstractScrollArea) -> None:
        super().__init__(view)
        self._view = view
        self._armed = False
        # The viewport gets the mouse first; the view itself gets what the viewport passes on.
        for target in (view.viewport(), view):
            target.installEventFilter(self)

    def armed(self) -> bool:
        return self._armed

    def set_armed(self, armed: bool) -> None:
        if armed != self._armed:
            self._armed = armed
            self.sig_armed.emit(armed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.Wheel and not self._armed:
            return pass_wheel_on(self._view, event)  # never the plot's: the dock scrolls
        if kind == QEvent.Type.MouseButtonPress:
            self.set_armed(True)
        elif kind in _DISARM:
            self.set_armed(False)
        return False


class _FocusWheelGuard(QObject):
    """A spin box or combo box takes the wheel only while it has the focus."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            return pass_wheel_on(watched, event)
        return False


_FOCUS_GUARD: _FocusWheelGuard | None = None


def wheel_needs_focus(*widgets: QWidget) -> None:
    """The wheel changes these controls only once they have the focus; otherwise it scrolls their container."""
    global _FOCUS_GUARD
    if _FOCUS_GUARD is None:
        _FOCUS_GUARD = _FocusWheelGuard()
    for widget in widgets:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not WheelFocus: the wheel must not take the focus
        widget.installEventFilter(_FOCUS_GUARD)


class PlotFrame(QFrame):
    """A title that wraps, a "Reset view" button and a click-to-interact plot.

    ``reset`` restores the plot's own view (its home range); the guard is
    :attr:`guard`. The frame's outline turns blue while the plot takes the wheel.
    """

    def __init__(self, plot: QAbstractScrollArea, reset: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plotFrame")
        self.plot = plot
        self.guard = WheelGuard(plot)
        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.reset_button = QToolButton()
        self.reset_button.setText("Reset view")
        self.reset_button.setToolTip("Show the whole plot again, as it was drawn (after zooming or panning).")
        self.reset_button.clicked.connect(reset)
        self.reset_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        plot.setToolTip(_HINT)
        # The title beside the button when it fits on one line, else above it (see resizeEvent):
        # a narrow dock or presentation type never cuts it off.
        self.title_label.setMinimumWidth(1)
        self._header_box = QWidget()
        self._header = header = QHBoxLayout(self._header_box)
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title_label, 1)
        header.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self._header_box)
        layout.addWidget(plot, 1)
        self.guard.sig_armed.connect(self._show_armed)
        self._show_armed(False)

    def set_title(self, text: str) -> None:
        self.title_label.setText(text)
        self._arrange()

    def apply_theme(self, title_font: QFont, button_font: QFont) -> None:
        self.title_label.setFont(title_font)
        self.reset_button.setFont(button_font)
        self._arrange()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        header = self._header
        needed = (self.title_label.fontMetrics().horizontalAdvance(self.title_label.text())
                  + self.reset_button.sizeHint().width() + header.spacing() + 8)
        beside = needed <= self.contentsRect().width()
        header.setDirection(QHBoxLayout.Direction.LeftToRight if beside else QHBoxLayout.Direction.TopToBottom)
        header.setAlignment(self.reset_button, Qt.AlignmentFlag.AlignTop if beside else Qt.AlignmentFlag.AlignRight)
        header.setStretchFactor(self.title_label, 1 if beside else 0)
        # The header's height set here: a wrapped label's own size hint assumes another width.
        width, button = self.contentsRect().width(), self.reset_button.sizeHint()
        if beside:
            height = max(self.title_label.heightForWidth(width - button.width() - header.spacing()), button.height())
        else:
            height = self.title_label.heightForWidth(width) + header.spacing() + button.height()
        self._header_box.setFixedHeight(max(height, button.height()))

    def _show_armed(self, armed: bool) -> None:
        color = ARMED_COLOR if armed else "transparent"
        self.setStyleSheet(f"QFrame#plotFrame {{ border: 2px solid {color}; border-radius: 3px; }}")
