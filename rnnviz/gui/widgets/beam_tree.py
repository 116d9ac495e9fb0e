"""The tree a beam search explored, drawn left to right by step (D2L section 10.8, figure 10.8.2).

:class:`BeamTreeView` draws a :class:`~rnnviz.core.decoding.BeamResult`'s tree,
laid out by :func:`rnnviz.core.decoding.tree_layout.layout_tree` (Qt-free; this
module only measures fonts and paints):
one column per step, the root (``<bos>`` or the prompt) on the left. Each
node shows its token and ``P(token | prefix)``. Kept candidates are bold,
pruned ones grey, finished ones (ending in ``<eos>``) have a double border;
the best hypothesis's path is drawn thick in vermillion once the whole search
is shown (earlier it would give the answer away mid-lecture), and a
hypothesis chosen with :meth:`set_highlight` is highlighted at every step.
Hovering a node shows its cumulative log-probability and normalised score.

Step-through: :meth:`next_step` / :meth:`previous_step` show one step more or
less (keys →/← and PageDown/PageUp, which presentation clickers send; Home and
End). Each step shows the candidates scored (live prefixes × tokens) and which
survive. Which candidates a wide vocabulary draws, and the "+N more"
leaves, are the layout's rules. The column headers always give the true counts.

Signals:

- ``sig_step_changed(int)`` — the number of steps shown changed (0 = the root only).

Wheel zooms around the cursor, dragging pans; ``F`` or :meth:`fit` fits the
whole tree in the view, however small its text gets. A new step or a resize
fits it too while its text stays readable (``MIN_FIT_SCALE``), else centres
on the newest step. :meth:`apply_theme` scales fonts and lines with the theme;
the step headers, pinned above the tree at the theme's size, never overlap (the
layout numbers are :mod:`rnnviz.core.decoding.tree_layout`'s).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from rnnviz.core.decoding.tree import BeamResult
from rnnviz.core.decoding.tree_layout import (
    PER_PARENT,
    PRUNED_MODES,
    HeaderBox,
    TreeLayout,
    column_width,
    fit_scale,
    header_band_height,
    layout_tree,
    node_sizes,
    node_tooltip,
    place_headers,
    step_text,
)
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.beam_node import HIGHLIGHT, NodeItem, NodeStyle

#: Refitting by itself (a new step, a resize) never shrinks the text below this scale; a bigger
#: tree is centred on the newest step instead. Fit (F) fits the whole tree, whatever the scale.
MIN_FIT_SCALE = 0.7
#: ... and never enlarges it beyond this: the first steps of a search fill a projector, not a stamp.
MAX_FIT_SCALE = 1.5
_ZOOM_RANGE = (0.05, 6.0)


class BeamTreeView(QGraphicsView):
    """Draws a beam search's tree; see the module docstring for what it shows."""

    #: The number of steps shown changed (0 = only the root); carries the new number.
    sig_step_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._result: BeamResult | None = None
        self._vocabulary: tuple[str, ...] = ()
        self._root_label = "<bos>"
        self._shown = 0
        self._highlight: int | None = None
        self._pruned = "all"
        self._per_parent = PER_PARENT
        self._layout: TreeLayout | None = None  # what is drawn; its headers are pinned (see drawForeground)
        self._items: dict[int, NodeItem] = {}
        self._placeholder = "No search yet."
        self._auto_fit = True  # until the user zooms: resizing refits
        self._whole = False  # the last fit was Fit's whole tree (not the readable automatic one)
        self._focus = QPointF()
        self._content = QRectF()  # the drawing's bounds in scene coordinates
        self._col_w = 1.0  # scene distance between two steps' columns
        base = QApplication.font().pointSizeF()
        self._base_pt = base if base > 0 else 10.0
        self._theme = NORMAL
        self._style = self._make_style(NORMAL)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        # The pinned headers are drawn over the viewport: a scroll must repaint it all, not shift pixels.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(240, 120)  # a 1280×720 projector in presentation type leaves the tab ~460 px
        self.apply_theme(NORMAL)

    # ------------------------------------------------------------------ public API

    def set_result(self, result: BeamResult | None, vocabulary: Sequence[str] = (), root_label: str = "<bos>",
                   keep_step: bool = True) -> None:
        """Draw ``result``'s tree, tokens labelled from ``vocabulary`` (by id). None clears the view.

        With ``keep_step`` a lecturer half-way through stays at the same step (clamped);
        a view showing the whole search (or ``keep_step=False``) shows the whole new one.
        """
        was_partial = self._result is not None and self._shown < self._result.tree.num_steps
        self._result = result
        self._vocabulary = tuple(vocabulary)
        self._root_label = root_label
        self._highlight = None
        total = 0 if result is None else result.tree.num_steps
        self._shown = min(self._shown, total) if keep_step and was_partial else total
        self._rebuild(refit=True)
        self.sig_step_changed.emit(self._shown)

    def result(self) -> BeamResult | None:
        return self._result

    def set_placeholder(self, text: str) -> None:
        """The text shown while there is no result (a hint, or why the search failed)."""
        self._placeholder = text
        if self._result is None:
            self._rebuild(refit=True)

    def num_steps(self) -> int:
        return 0 if self._result is None else self._result.tree.num_steps

    def shown_steps(self) -> int:
        """How many steps are drawn (0 = only the root)."""
        return self._shown

    def set_shown_steps(self, steps: int) -> None:
        steps = max(0, min(int(steps), self.num_steps()))
        if steps != self._shown:
            self._shown = steps
            self._rebuild(refit=True)
            self.sig_step_changed.emit(steps)

    def next_step(self) -> bool:
        """Show one step more; False when the whole search is already shown."""
        if self._shown >= self.num_steps():
            return False
        self.set_shown_steps(self._shown + 1)
        return True

    def previous_step(self) -> bool:
        """Show one step less; False at the root."""
        if self._shown <= 0:
            return False
        self.set_shown_steps(self._shown - 1)
        return True

    def show_start(self) -> None:
        self.set_shown_steps(0)

    def show_all(self) -> None:
        self.set_shown_steps(self.num_steps())

    def set_highlight(self, node: int | None) -> None:
        """Highlight the path to ``node`` (a hypothesis's node) at every step; None: the best, at the end."""
        self._highlight = None if node is None else int(node)
        self._rebuild(refit=False)

    def set_pruned_mode(self, mode: str) -> None:
        """Which pruned candidates to draw: "all" steps', the "newest" step's only (compact, for
        stepping through a lecture), or "none" (the survivors only)."""
        if mode not in PRUNED_MODES:
            raise ValueError(f"pruned mode must be one of {', '.join(PRUNED_MODES)}, not {mode!r}")
        if mode != self._pruned:
            self._pruned = mode
            self._rebuild(refit=True)

    def pruned_mode(self) -> str:
        return self._pruned

    def set_per_parent(self, count: int) -> None:
        """How many candidates to draw per parent (besides survivors) for a wide vocabulary."""
        self._per_parent = max(1, int(count))
        self._rebuild(refit=True)

    def step_text(self, step: int | None = None) -> str:
        """What a step did, in words: "step 2: 8 candidates (2 prefixes × 4 tokens), 2 kept, …"."""
        step = self._shown if step is None else step
        if self._result is None:
            return ""
        drawn = self._layout.drawn_at(step) if self._layout is not None and step <= self._shown else None
        return step_text(self._result, step, self._root_label, drawn)

    def drawn_nodes(self) -> dict[int, str]:
        """The candidates now drawn (not the root), node id → "kept" | "pruned" | "finished"."""
        if self._layout is None:
            return {}
        return {node: entry.status for node, entry in self._layout.candidates().items()}

    def hidden_counts(self) -> dict[int, int]:
        """Per drawn parent, how many of its candidates are not drawn (only parents with some)."""
        return {} if self._layout is None else dict(self._layout.hidden)

    def highlighted_path(self) -> tuple[int, ...]:
        """Node ids drawn highlighted, root first."""
        return tuple(sorted(node for node, item in self._items.items() if item.highlighted))

    def node_tooltip(self, node: int) -> str:
        """What hovering the node shows: the hypothesis, its probabilities and its score."""
        if self._result is None:
            return ""
        return node_tooltip(self._result, node, self._vocabulary, self._root_label)

    def fit(self) -> None:
        """Fit the whole tree in the view, below the step headers (its text as small as it must be)."""
        self._fit(readable=False)

    def _fit(self, readable: bool) -> None:
        self._whole = not readable
        """``readable``: not below MIN_FIT_SCALE; a tree too big for that is centred on the newest step."""
        rect = self._content
        if rect.isEmpty():
            return
        margin = 12 * self._theme.font_scale
        rect = rect.adjusted(-margin, -margin, margin, margin)
        view = self.viewport().rect()
        band = self._band_height()
        scale = fit_scale(rect.width(), rect.height(), view.width(), view.height(), band, MAX_FIT_SCALE)
        fits = not readable or scale >= MIN_FIT_SCALE
        scale = scale if fits else MIN_FIT_SCALE
        rect = rect.adjusted(0, -band / scale, 0, 0)  # room for the pinned headers above the tree
        self._scene.setSceneRect(rect)
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(rect.center() if fits else self._focus)
        self._auto_fit = True

    def node_scene_rects(self) -> dict[int, QRectF]:
        """Each drawn node's box in scene coordinates, by node id."""
        return {node: item.mapRectToScene(item.box()) for node, item in self._items.items()}

    def header_band(self) -> QRectF:
        """The band the step headers take at the top of the view, in scene coordinates."""
        return self.mapToScene(0, 0, self.viewport().width(), int(self._band_height())).boundingRect()

    def label_font(self) -> QFont:
        """The font of the nodes' token labels in the current theme."""
        return QFont(self._style.bold_font)

    def line_width(self) -> float:
        """The width of the tree's edges in the current theme."""
        return self._style.line

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``, lines ``theme.line_width`` wide, the theme's colours."""
        self._theme = theme
        self._style = self._make_style(theme)
        self._scene.setBackgroundBrush(QColor(theme.background))
        self._rebuild(refit=True)

    # ------------------------------------------------------------------ Qt events

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt name)
        factor = 1.0015 ** event.angleDelta().y()
        current = self.transform().m11()
        factor = min(max(factor, _ZOOM_RANGE[0] / current), _ZOOM_RANGE[1] / current)
        self.scale(factor, factor)
        self._auto_fit = False
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space):
            self.next_step()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_PageUp, Qt.Key.Key_Backspace):
            self.previous_step()
        elif key == Qt.Key.Key_Home:
            self.show_start()
        elif key == Qt.Key.Key_End:
            self.show_all()
        elif key == Qt.Key.Key_F:
            self.fit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        if self._auto_fit:  # the column widths follow the view's shape; a whole-tree Fit stays one
            whole = self._whole
            self._rebuild(refit=False)
            self._fit(readable=not whole)

    # ------------------------------------------------------------------ drawing

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
