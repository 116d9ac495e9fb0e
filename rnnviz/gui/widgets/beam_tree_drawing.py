"""Drawing a beam search's tree (a mixin of BeamTreeView): node and header fonts from the theme, the scene
built from :func:`rnnviz.core.decoding.tree_layout.layout_tree` (edges, nodes, "+N more" leaves),
and the step headers pinned above the tree at the theme's size whatever the zoom.

The layout numbers are the Qt-free layout's; this module measures fonts and paints. BeamTreeView holds
the state (``_result``, ``_shown``, ``_layout``, ``_style``, ``_theme``) and fits the view (``_fit``).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsSimpleTextItem

from rnnviz.core.decoding.tree_layout import (
    HeaderBox,
    column_width,
    header_band_height,
    layout_tree,
    node_sizes,
    place_headers,
)
from rnnviz.gui.style import Theme
from rnnviz.gui.widgets.beam_node import HIGHLIGHT, NodeItem, NodeStyle

#: Refitting by itself (a new step, a resize) never shrinks the text below this scale; a bigger
#: tree is centred on the newest step instead. Fit (F) fits the whole tree, whatever the scale.
MIN_FIT_SCALE = 0.7
#: ... and never enlarges it beyond this: the first steps of a search fill a projector, not a stamp.
MAX_FIT_SCALE = 1.5


class BeamTreeDrawing:
    """BeamTreeView's drawing: the style, the scene, the pinned headers."""

    def _make_style(self, theme: Theme) -> NodeStyle:
        pt = self._base_pt * theme.font_scale
        token = QFont(self.font())
        token.setPointSizeF(pt * 1.15)
        bold = QFont(token)
        bold.setBold(True)
        prob = QFont(self.font())
        prob.setPointSizeF(pt * 0.95)
        header = QFont(self.font())
        header.setPointSizeF(pt)
        return NodeStyle(token, bold, prob, header, QColor(theme.foreground), QColor(theme.muted),
                      QColor(theme.background), theme.line_width)


    def _rebuild(self, refit: bool) -> None:
        self._scene.clear()
        self._items = {}
        self._layout = None
        if self._result is None:
            text = self._scene.addSimpleText(self._placeholder, self._style.header_font)
            text.setBrush(self._style.muted)
            self._content = text.sceneBoundingRect()
            self._focus = self._content.center()
            if refit:
                self._fit(readable=True)
            self.viewport().update()
            return
        s = self._style
        scale = self._theme.font_scale
        bold = QFontMetricsF(s.bold_font)
        prob = QFontMetricsF(s.prob_font)
        node_h, small_h, gap = node_sizes(bold.height(), prob.height(), scale)
        layout = layout_tree(self._result, self._vocabulary, self._root_label, self._shown, pruned=self._pruned,
                             per_parent=self._per_parent, highlight=self._highlight,
                             node_height=node_h, small_height=small_h, gap=gap)
        drawn = [e for e in layout.nodes if e.status != "hidden"]
        node_w = max([bold.horizontalAdvance(e.label) for e in drawn if e.status != "pruned"]
                     + [prob.horizontalAdvance(f"{e.label}  0.00") for e in drawn if e.status == "pruned"]
                     + [prob.horizontalAdvance("0.00")]) + 18 * scale
        widest = max(self._measure_header(line, i) for h in layout.headers for i, line in enumerate(h.lines))
        col_w = column_width(node_w, max(widest, QFontMetricsF(s.header_font).horizontalAdvance("8,888 candidates")),
                             scale)
        layout = layout.with_column_width(self._widened(col_w, node_w, layout.height))
        self._layout = layout

        edges = {kind: QPainterPath() for kind in ("pruned", "kept", "hidden", "highlight")}
        for edge in layout.edges:
            (x0, y0), (x1, y1) = layout.edge_points(edge, node_w)
            bend = (x1 - x0) / 2
            edges[edge.kind].moveTo(QPointF(x0, y0))
            edges[edge.kind].cubicTo(QPointF(x0 + bend, y0), QPointF(x1 - bend, y1), QPointF(x1, y1))
        pens = {"pruned": QPen(s.muted, max(1.0, s.line * 0.6)), "kept": QPen(s.foreground, s.line),
                "hidden": QPen(s.muted, max(1.0, s.line * 0.6), Qt.PenStyle.DotLine),
                "highlight": QPen(QColor(HIGHLIGHT), s.line * 2.0)}
        for kind, edge_path in edges.items():
            item = QGraphicsPathItem(edge_path)
            item.setPen(pens[kind])
            item.setZValue(1.5 if kind == "highlight" else 1)
            self._scene.addItem(item)
        for entry in layout.nodes:
            x = layout.x(entry.step)
            if entry.status == "hidden":  # "+N more": plain grey text where the hidden candidates would be
                font = QFont(s.prob_font)
                font.setItalic(True)
                text = QGraphicsSimpleTextItem(entry.label)
                text.setFont(font)
                text.setBrush(s.muted)
                text.setPos(x - node_w / 2, entry.y - text.boundingRect().height() / 2)
                text.setToolTip(f"{entry.hidden:,} less likely candidates after this prefix are not drawn")
                self._scene.addItem(text)
                continue
            item = NodeItem(entry, s, node_w)
            item.setPos(x, entry.y)
            item.setZValue(2)
            item.setToolTip(self.node_tooltip(entry.node))
            self._scene.addItem(item)
            self._items[entry.node] = item
        self._col_w = layout.column_width
        self._content = self._scene.itemsBoundingRect()
        self._focus = QPointF(*layout.focus())
        if refit:
            self._fit(readable=True)
        self.viewport().update()


    def _widened(self, col_w: float, node_w: float, height: float) -> float:
        """Wider columns when the tree is tall and the view wide: gentler edges, the same text size."""
        view = self.viewport().rect()
        if self._shown == 0 or view.width() < 50:
            return col_w
        scale = max(min(MAX_FIT_SCALE, max(1.0, view.height() - self._band_height()) / max(height, 1.0)),
                    MIN_FIT_SCALE)
        room = (view.width() / scale - node_w - 40 * self._theme.font_scale) / self._shown
        return max(col_w, min(room, col_w * 2.2))


    def _band_height(self) -> float:
        return header_band_height(QFontMetricsF(self._style.header_font).height(), self._theme.font_scale)


    def _measure_header(self, line: str, index: int) -> float:
        """A header line's width: the first (the step) is bold."""
        font = QFont(self._style.header_font)
        font.setBold(index == 0)
        return QFontMetricsF(font).horizontalAdvance(line)


    def header_boxes(self) -> tuple[HeaderBox, ...]:
        """Where the step headers are drawn now, in viewport coordinates (none without a tree)."""
        if self._layout is None:
            return ()
        centres = [self.mapFromScene(QPointF(self._layout.x(h.step), 0)).x() for h in self._layout.headers]
        return place_headers(self._layout.headers, centres, self._measure_header,
                             QFontMetricsF(self._style.header_font).height(), self.viewport().width(),
                             top=4 * self._theme.font_scale, gap=8 * self._theme.font_scale)


    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 (Qt name)
        """The column headers, pinned to the top of the view at the theme's size whatever the zoom."""
        if self._layout is None:
            return
        s = self._style
        painter.save()
        painter.resetTransform()  # viewport coordinates from here
        width = self.viewport().width()
        band = self._band_height()
        fill = QColor(s.background)
        fill.setAlpha(235)
        painter.fillRect(QRectF(0, 0, width, band), fill)
        painter.setPen(QPen(s.muted, 1))
        painter.drawLine(QPointF(0, band), QPointF(width, band))
        bold = QFont(s.header_font)
        bold.setBold(True)
        painter.setPen(QPen(s.foreground))
        for box in self.header_boxes():
            for i, line in enumerate(box.lines):
                painter.setFont(bold if i == 0 else s.header_font)
                painter.drawText(QRectF(box.left, box.top + i * box.line_height, box.width, box.line_height),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, line)
        painter.restore()
