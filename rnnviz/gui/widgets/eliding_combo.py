"""A combo box that shows a short name when closed and the long one in its list, never cut off.

Closed, it shows each item's short text (``SHORT_ROLE``, e.g. "time-machine ·
not downloaded"), elided in the middle with "…" when even that does not fit
(a long file name keeps its start and its extension); its tooltip always has
the whole text. Open, the list is as wide as its longest entry.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox, QStylePainter, QWidget

#: The item data role of the text shown while the combo is closed (the item's text when unset).
SHORT_ROLE = Qt.ItemDataRole.UserRole + 1


class ElidingComboBox(QComboBox):
    """See the module's doc; :meth:`shown_text` is what the closed combo draws."""

    def __init__(self, parent: QWidget | None = None, min_chars: int = 12) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(min_chars)
        self.currentIndexChanged.connect(self.refresh_tooltip)

    def add_item(self, text: str, data: object, short: str, tooltip: str = "") -> None:
        """An entry: ``text`` in the list, ``short`` when chosen, ``tooltip`` on the entry and on the combo."""
        self.addItem(text, data)
        index = self.count() - 1
        self.setItemData(index, short, SHORT_ROLE)
        if tooltip:
            self.setItemData(index, tooltip, Qt.ItemDataRole.ToolTipRole)
        if index == self.currentIndex():
            self.refresh_tooltip()

    def full_text(self) -> str:
        """The current entry's short text, whole (what :meth:`shown_text` elides)."""
        short = self.currentData(SHORT_ROLE)
        return short if isinstance(short, str) and short else self.currentText()

    def shown_text(self) -> str:
        """What the closed combo draws now: the short text, elided to the room there is."""
        return self.fontMetrics().elidedText(self.full_text(), Qt.TextElideMode.ElideMiddle, self._text_width())

    def is_elided(self) -> bool:
        return self.shown_text() != self.full_text()

    def _text_width(self) -> int:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        rect = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                           QStyle.SubControl.SC_ComboBoxEditField, self)
        return max(rect.width() - 4, 0)

    def refresh_tooltip(self) -> None:
        """The combo's tooltip: the current entry whole (call after changing it with signals blocked)."""
        tip = self.currentData(Qt.ItemDataRole.ToolTipRole)
        self.setToolTip("\n".join(t for t in (self.currentText(), tip if isinstance(tip, str) else "") if t))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)

    def showPopup(self) -> None:  # noqa: N802 (Qt's name)
        metrics = self.view().fontMetrics()
        widest = max((metrics.horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0)
        screen = self.screen().availableGeometry().width() if self.screen() else 1600
        self.view().setMinimumWidth(min(widest + 48, int(screen * 0.9)))
        super().showPopup()
