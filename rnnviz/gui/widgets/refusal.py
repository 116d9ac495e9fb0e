"""Spin boxes that say why they refuse a value, at the control, instead of reverting silently.

A plain QSpinBox drops a keystroke past its maximum and, on Enter or when it
loses the focus, puts back its last value over a number below its minimum,
without a word. :class:`RefusingSpinBox` and :class:`RefusingDoubleSpinBox`
refuse the same values but frame themselves in red, put the reason in their
tooltip and send it (``sig_refused``) to a :class:`RefusalNote` shown under
them: "a hidden size must be at least 1 (kept 32)". The message goes away at
the next value the box accepts.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QLabel, QSpinBox, QWidget
from shiboken6 import isValid

REFUSED_COLOR = "#b00020"
_NUMBER = re.compile(r"[-+]?\d*[.,]?\d+")


def _plain(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class _Refusals:
    """The reasons of one spin box: ``what`` names the value ("a hidden size"); ``below`` and ``above``
    replace the default reasons for a number under the minimum or over the maximum."""

    def __init__(self, box: QAbstractSpinBox, what: str) -> None:
        self.box, self.what = box, what
        self.below = self.above = ""
        self.message = ""
        self.tooltip = box.toolTip()
        self.value = box.value()  # type: ignore[attr-defined]

    def on_value(self, value: float) -> None:
        """A new value was accepted: the reason is old news. (Enter re-sends the value it put back: not new.)"""
        if value != self.value:
            self.value = value
            self.show("")

    def reason(self, text: str) -> str:
        box = self.box
        low, high = box.minimum(), box.maximum()  # type: ignore[attr-defined]
        found = _NUMBER.search(text)
        if found is None:
            return f"{self.what} is a number from {_plain(low)} to {_plain(high)}"
        value = float(found.group().replace(",", "."))
        if value < low:
            return self.below or f"{self.what} must be at least {_plain(low)}"
        if value > high:
            return self.above or f"{self.what} can be at most {_plain(high)}"
        return f"{self.what} is a number from {_plain(low)} to {_plain(high)}"

    def show(self, message: str) -> None:
        box = self.box
        if message == self.message:
            return
        self.message = message
        # The frame via a dynamic style sheet: the spin box keeps its look otherwise.
        box.setStyleSheet(f"border: 2px solid {REFUSED_COLOR};" if message else "")
        QAbstractSpinBox.setToolTip(box, message[:1].upper() + message[1:] + "." if message else self.tooltip)
        box.sig_refused.emit(message)  # type: ignore[attr-defined]

    def on_validate(self, text: str, state: QValidator.State) -> None:
        if state != QValidator.State.Acceptable and text.strip():
            self.show(self.reason(text))

    def on_finished(self) -> None:
        """Enter or focus out: Qt has put back the last value over a refused one; say which."""
        box = self.box
        if not box.lineEdit().hasAcceptableInput() or self.message:
            if not self.message:
                self.show(self.reason(box.lineEdit().text()))
            if "(kept" not in self.message:
                self.show(f"{self.message} (kept {box.text()})")


def _refusing(base: type[QSpinBox] | type[QDoubleSpinBox], name: str) -> type:
    """``base`` that says why it refuses a value (see the module's doc); one body for both kinds."""

    class Refusing(base):  # type: ignore[valid-type, misc]
        #: The reason a value was refused; "" once a value is accepted.
        sig_refused = Signal(str)

        def __init__(self, what: str, parent: QWidget | None = None) -> None:
            super().__init__(parent)
            self.refusals = _Refusals(self, what)
            self.valueChanged.connect(self.refusals.on_value)
            self.editingFinished.connect(self.refusals.on_finished)

        def set_reasons(self, below: str = "", above: str = "") -> None:
            """Say these instead of "… must be at least N" / "… can be at most N"."""
            self.refusals.below, self.refusals.above = below, above

        def refusal(self) -> str:
            """The reason shown now ("" when none)."""
            return self.refusals.message

        def setToolTip(self, tip: str) -> None:  # noqa: N802 (Qt's name)
            self.refusals.tooltip = tip
            if not self.refusals.message:
                super().setToolTip(tip)

        def validate(self, text: str, pos: int) -> object:
            result = super().validate(text, pos)
            self.refusals.on_validate(text, result[0])
            return result

    Refusing.__name__ = Refusing.__qualname__ = name
    Refusing.__doc__ = f"A {base.__name__} that says why it refuses a value (see the module's doc)."
    return Refusing


#: A QSpinBox that says why it refuses a value; ``sig_refused(str)`` carries the reason.
RefusingSpinBox = _refusing(QSpinBox, "RefusingSpinBox")
#: The same for a QDoubleSpinBox.
RefusingDoubleSpinBox = _refusing(QDoubleSpinBox, "RefusingDoubleSpinBox")


class RefusalNote(QLabel):
    """A red line under one or more refusing spin boxes: the latest reason, hidden when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {REFUSED_COLOR}; font-weight: bold;")
        self._messages: dict[int, str] = {}  # box id -> its message with its name, in arrival order
        self.hide()

    def watch(self, box: RefusingSpinBox | RefusingDoubleSpinBox, name: str = "") -> None:
        """Show ``box``'s refusals, after ``name`` (e.g. "Layer 2 →") when several boxes share the note."""
        key = id(box)
        box.sig_refused.connect(lambda message: self._set(key, f"{name}: {message}" if name and message else message))
        box.destroyed.connect(lambda *_: self._set(key, ""))

    def _set(self, key: int, message: str) -> None:
        if not isValid(self):  # a box outlived its note while both were being deleted
            return
        self._messages.pop(key, None)
        if message:
            self._messages[key] = message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
        latest = list(self._messages.values())[-1:] or [""]
        self.setText(latest[0])
        self.setVisible(bool(latest[0]))
