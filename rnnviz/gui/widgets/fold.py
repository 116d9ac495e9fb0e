"""A button that folds a panel's settings away, so that on a projector the view gets the height.

Presentation mode's large type makes two rows of settings and a description take
a third of a 720-pixel screen; the class watches the tree or the heatmaps, not the
settings. :class:`FoldButton` hides or shows one box of widgets. Folded, its text
sums up the settings that matter to the class (e.g. "k = 2, max length 4"), so
nothing the lecturer talks about is hidden; unfolded, it reads "Settings ▴".
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QWidget


class FoldButton(QToolButton):
    """Shows or hides ``box``; ``summary()`` says what the folded settings are."""

    def __init__(self, box: QWidget, summary: Callable[[], str] | None = None, title: str = "Settings",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._box = box
        self._summary = summary
        self._title = title
        self.setCheckable(True)
        self.setChecked(True)
        self.setAutoRaise(False)
        # A click must leave the lecture's keys to the view (a clicker's Page keys step on).
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.toggled.connect(self._on_toggled)
        self.refresh()

    def folded(self) -> bool:
        return not self.isChecked()

    def set_folded(self, folded: bool) -> None:
        self.setChecked(not folded)

    def refresh(self) -> None:
        """Say again what the settings are (call after a setting changed)."""
        if self.isChecked():
            self.setText(f"{self._title} ▴")
            self.setToolTip(f"Hide the {self._title.lower()}: the view below gets their height.")
            return
        summary = self._summary() if self._summary is not None else ""
        self.setText(f"{self._title}: {summary} ▾" if summary else f"{self._title} ▾")
        self.setToolTip(f"Show the {self._title.lower()} again.")

    def _on_toggled(self, shown: bool) -> None:
        self._box.setVisible(shown)
        self.refresh()
