"""The status bar's epoch progress: a bar with "epoch 3/10" on it, repainted with the window.

QProgressBar.setValue repaints at once, outside the event loop's batched
painting; at each epoch's end that cost the GUI ~25 ms while training ran
(bench/gui_latency.py). This one only schedules an update.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget


class EpochProgress(QWidget):
    """``setRange(0, epochs)`` and ``setValue(epoch)``, as a QProgressBar takes them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._minimum, self._maximum, self._value = 0, 0, 0  # no run yet: an empty strip
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def setRange(self, minimum: int, maximum: int) -> None:  # noqa: N802 (QProgressBar's name)
        self._minimum, self._maximum = int(minimum), max(int(maximum), int(minimum))
        self.update()

    def setValue(self, value: int) -> None:  # noqa: N802
        self._value = min(max(int(value), self._minimum), self._maximum)
        self.update()

    def value(self) -> int:
        return self._value

    def maximum(self) -> int:
        return self._maximum

    def text(self) -> str:
        return f"epoch {self._value}/{self._maximum}" if self._maximum > self._minimum else ""

    def sizeHint(self) -> QSize:  # noqa: N802
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance("epoch 0000/0000") + 24, metrics.height() + 6)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        palette = self.palette()
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRect(frame)
        span = self._maximum - self._minimum
        if span > 0 and self._value > self._minimum:
            done = frame.adjusted(1, 1, -1, -1)
            done.setWidth(done.width() * (self._value - self._minimum) / span)
            painter.fillRect(done, palette.color(QPalette.ColorRole.Highlight))
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.text())
