"""A word-wrapped label whose height does not shrink back while its text keeps changing.

A live readout that wraps to two lines for one value and one line for the next
makes the layout below it jump at every update: the plots under it are resized,
their axes regenerated and everything repainted (bench/gui_latency.py: 45 times
in a 7 s run; the GUI thread was busy 23% of the run with it, 14% without).
Here the label's minimum height only grows, so the layout moves at most once;
:meth:`SteadyLabel.relax` (a new run), a change of width and a change of font
let it fit again.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget


class SteadyLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt name)
        super().setText(text)
        self._hold(self.width())

    def relax(self) -> None:
        """Forget the tallest text so far: the next one sets the height."""
        self.setMinimumHeight(0)
        self._hold(self.width())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            # A new width (window resized, presentation fonts): fit the current text afresh.
            self.setMinimumHeight(0)
            self._hold(event.size().width())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode: lines of another height
            self.relax()

    def _hold(self, width: int) -> None:
        if width <= 0:
            return
        need = self.heightForWidth(width)
        if need > self.minimumHeight():
            self.setMinimumHeight(need)
