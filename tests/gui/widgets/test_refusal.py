"""Spin boxes that refuse a value say why, at the control, and never revert silently."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QVBoxLayout, QWidget

from rnnviz.gui.widgets.refusal import RefusalNote, RefusingDoubleSpinBox, RefusingSpinBox


def type_into(box, text: str, finish: Qt.Key | None = Qt.Key.Key_Return) -> None:
    """Select all, type ``text``, then press ``finish`` (None: leave the box by moving the focus away)."""
    box.setFocus()
    box.lineEdit().selectAll()
    QTest.keyClicks(box, text)
    if finish is not None:
        QTest.keyClick(box, finish)
    else:
        box.clearFocus()
        box.editingFinished.emit()  # what Qt sends when the focus leaves (offscreen windows are never active)


@pytest.fixture
def form(qtbot):
    widget = QWidget()
    box = RefusingSpinBox("a hidden size")
    box.setRange(1, 4096)
    box.setValue(32)
    box.setToolTip("Hidden units of this layer.")
    note = RefusalNote()
    note.watch(box, "layer 1 →")
    layout = QVBoxLayout(widget)
    layout.addWidget(box)
    layout.addWidget(note)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield box, note
    widget.close()  # held until here: the box and the note are its children


def test_zero_typed_says_why_and_what_was_kept(form) -> None:
    box, note = form
    type_into(box, "0")
    assert box.value() == 32  # refused, as before
    assert note.isVisible()
    assert note.text() == "Layer 1 →: a hidden size must be at least 1 (kept 32)."
    assert "must be at least 1" in box.toolTip() and "border" in box.styleSheet()


def test_leaving_the_box_with_a_refused_value_says_why_too(form) -> None:
    box, note = form
    type_into(box, "0", finish=None)
    assert box.value() == 32 and note.isVisible() and "at least 1" in note.text()


def test_a_keystroke_past_the_maximum_says_why(form) -> None:
    box, note = form
    type_into(box, "5000", finish=None)
    assert box.value() == 500  # Qt dropped the last 0
    assert "can be at most 4096" in note.text() and note.isVisible()


def test_the_next_accepted_value_clears_the_message(form) -> None:
    box, note = form
    type_into(box, "0")
    type_into(box, "48")
    assert box.value() == 48 and note.isHidden() and note.text() == ""
    assert box.toolTip() == "Hidden units of this layer." and box.styleSheet() == ""


def test_a_double_spin_box_gives_its_own_reason(qtbot) -> None:
    box = RefusingDoubleSpinBox("dropout")
    box.setRange(0.0, 0.95)
    box.set_reasons(above="dropout can be at most 0.95: at 1 a layer would pass nothing on")
    qtbot.addWidget(box)
    box.show()
    type_into(box, "1")
    assert box.refusal().startswith("dropout can be at most 0.95: at 1 a layer would pass nothing on")
