"""The steady label: a wrapped readout that does not make the layout below it jump."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from rnnviz.gui.widgets.steady_label import SteadyLabel

LONG = "  ·  ".join(f"part {i} with some numbers 1.234" for i in range(8))
SHORT = "step 1"


@pytest.fixture
def window(qtbot) -> tuple[QWidget, SteadyLabel, QWidget]:
    """A label over a stretching widget, 300 px wide: the long text wraps, the short one does not."""
    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    label = SteadyLabel(SHORT)
    below = QWidget()
    layout.addWidget(label)
    layout.addWidget(below, 1)
    root.resize(300, 400)
    root.show()
    qtbot.waitExposed(root)
    return root, label, below


def settle() -> None:
    QApplication.sendPostedEvents()  # layout requests are posted events
    QApplication.processEvents()


def test_the_widget_below_does_not_move_back_when_the_text_gets_shorter(window) -> None:
    _, label, below = window
    one_line = label.height()
    label.setText(LONG)
    settle()
    tall = label.height()
    assert tall > one_line  # the long text wrapped onto several lines
    top = below.y()
    for text in (SHORT, LONG, SHORT, LONG, SHORT):
        label.setText(text)
        settle()
        assert (label.height(), below.y()) == (tall, top)


def test_relax_lets_a_short_text_take_one_line_again(window) -> None:
    _, label, _ = window
    one_line = label.height()
    label.setText(LONG)
    settle()
    label.setText(SHORT)
    label.relax()
    settle()
    assert label.height() == one_line


def test_a_wider_window_refits_the_text(window) -> None:
    root, label, _ = window
    label.setText(LONG)
    settle()
    narrow = label.height()
    root.resize(3000, 400)
    settle()
    assert label.height() < narrow


def test_a_larger_font_grows_the_label_and_keeps_all_lines_visible(window) -> None:
    _, label, _ = window
    label.setText(LONG)
    settle()
    before = label.height()
    big = QFont(label.font())
    big.setPointSizeF(big.pointSizeF() * 2)
    label.setFont(big)
    settle()
    assert label.height() > before
    assert label.height() >= label.heightForWidth(label.width())
