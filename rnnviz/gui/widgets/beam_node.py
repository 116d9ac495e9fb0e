"""A beam-search tree's node as :class:`~rnnviz.gui.widgets.beam_tree.BeamTreeView` paints it.

:class:`NodeStyle` holds the fonts and colours of a theme; :class:`NodeItem`
draws one candidate's box: the token over its probability, a border that says
its status (bold: kept, grey and dashed: pruned, double: finished), vermillion
when on the highlighted path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from rnnviz.core.decoding.tree_layout import LaidOutNode
from rnnviz.gui.style import PALETTE

HIGHLIGHT = PALETTE[1]  # vermillion: the best / chosen hypothesis
_HIGHLIGHT_FILL = "#fbe4d5"
_PRUNED_FILL = "#f1f1f1"


@dataclass(frozen=True)
class NodeStyle:
    token_font: QFont
    bold_font: QFont
    prob_font: QFont
    header_font: QFont
    foreground: QColor
    muted: QColor
    background: QColor
    line: float  # the theme's line width


class NodeItem(QGraphicsItem):
    """A candidate's box: the token over its probability; the border says its status."""

    def __init__(self, entry: LaidOutNode, style: NodeStyle, width: float) -> None:
        super().__init__()
        self.entry, self._style, self._w, self._h, self.highlighted = entry, style, width, entry.height, \
            entry.highlighted
        self.setAcceptHoverEvents(True)  # tooltips

    def box(self) -> QRectF:
        """The node's box in its own coordinates, without the pen's margin."""
        return QRectF(-self._w / 2, -self._h / 2, self._w, self._h)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        pad = self._style.line * 3
        return QRectF(-self._w / 2 - pad, -self._h / 2 - pad, self._w + 2 * pad, self._h + 2 * pad)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        e, s = self.entry, self._style
        rect = QRectF(-self._w / 2, -self._h / 2, self._w, self._h)
        strong = e.status in ("kept", "finished", "root")
        color = QColor(HIGHLIGHT) if self.highlighted else (s.foreground if strong else s.muted)
        width = s.line * (1.6 if self.highlighted else 1.0 if strong else 0.6)
        fill = QColor(_HIGHLIGHT_FILL) if self.highlighted else QColor(_PRUNED_FILL) if e.status == "pruned" \
            else s.background
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QBrush(fill))
        pen = QPen(color, max(1.0, width))
        if e.status == "pruned":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        radius = self._h * 0.18
        painter.drawRoundedRect(rect, radius, radius)
        if e.status == "finished":  # a double border, like an accepting state
            gap = max(2.5, width * 1.6)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(color, max(1.0, width * 0.8)))
            painter.drawRoundedRect(rect.adjusted(gap, gap, -gap, -gap), radius * 0.7, radius * 0.7)
        painter.setPen(QPen(s.foreground if strong else s.muted))
        token_font = s.bold_font if strong else s.token_font
        painter.setFont(token_font)
        if math.isnan(e.prob):
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, e.label)
            return
        if e.status == "pruned":  # one line, smaller: pruned leaves are most of a tree's height
            painter.setFont(s.prob_font)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{e.label}  {_prob_text(e.prob)}")
            return
        token_h = QFontMetricsF(token_font).height()
        prob_h = QFontMetricsF(s.prob_font).height()
        top = rect.center().y() - (token_h + prob_h) / 2
        painter.drawText(QRectF(rect.left(), top, rect.width(), token_h), Qt.AlignmentFlag.AlignCenter, e.label)
        painter.setFont(s.prob_font)
        painter.drawText(QRectF(rect.left(), top + token_h, rect.width(), prob_h), Qt.AlignmentFlag.AlignCenter,
                         _prob_text(e.prob))


def _prob_text(p: float) -> str:
    if p == 0:
        return "0"
    return f"{p:.2f}" if p >= 0.01 else f"{p:.0e}"
