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
layout numbers are :mod:`rnnviz.core.decoding.tree_layout`'s; the painting is in
``beam_tree_drawing``).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QPainter,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from rnnviz.core.decoding.tree import BeamResult
from rnnviz.core.decoding.tree_layout import (
    PER_PARENT,
    PRUNED_MODES,
    TreeLayout,
    fit_scale,
    node_tooltip,
    step_text,
)
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.beam_node import HIGHLIGHT, NodeItem
from rnnviz.gui.widgets.beam_tree_drawing import MAX_FIT_SCALE, MIN_FIT_SCALE, BeamTreeDrawing

__all__ = ["HIGHLIGHT", "MAX_FIT_SCALE", "MIN_FIT_SCALE", "PRUNED_MODES", "BeamTreeView"]

_ZOOM_RANGE = (0.05, 6.0)


class BeamTreeView(BeamTreeDrawing, QGraphicsView):
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
