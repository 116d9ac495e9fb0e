"""The stack drawn as the book's deep-RNN and bidirectional-RNN figures draw it.

Layers stacked bottom to top, a few time steps unrolled left to right, each
layer's forward chain (H→, arrows to the right) and, when bidirectional, its
backward chain (H←, arrows to the left) drawn apart; arrows up from X_t (or
the layer below, both directions concatenated) and from the top layer to
O_t. A translation model draws the encoder and the decoder side by side with
the bridge between them. Everything is sized from the font, so presentation
mode (a larger font) scales the drawing with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from rnnviz.core.config import ModelConfig, StackSpec

CELL_LABELS = {"rnn": "RNN", "gru": "GRU (torch)", "gru-book": "GRU (book)", "gru-reset": "GRU (reset gate only)",
               "gru-update": "GRU (update gate only)", "lstm": "LSTM"}
FORWARD, BACKWARD, INPUT, OUTPUT = "#0072B2", "#D55E00", "#009E73", "#CC79A7"  # Okabe–Ito


def _sub(offset: int) -> str:
    """The time subscript for a step ``offset`` away from t: "_t−1", "_t", "_t+1"."""
    return "_t" if offset == 0 else f"_t{'+' if offset > 0 else '−'}{abs(offset)}"


def _fitting(metrics, width: float, *texts: str) -> str:
    """The first text that fits ``width``, else the last one."""
    return next((t for t in texts if metrics.horizontalAdvance(t) <= width), texts[-1])


@dataclass(frozen=True)
class _Box:
    rect: QRectF
    color: str
    text: str


class StackDiagram(QWidget):
    """Draws a :class:`ModelConfig`; call :meth:`set_config` when it changes."""

    TIME_STEPS = 3  # t-1, t, t+1: enough to show the recurrence in both directions

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config: ModelConfig | None = None
        self._foreground, self._background = QColor("#202020"), QColor("#ffffff")
        self._line_scale = 1.0
        self._bottom = 0.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 160)  # the Builder beside both docks at 1280×720 is about 540 px wide

    # ---- public API ----

    def set_config(self, config: ModelConfig | None) -> None:
        self._config = config
        self.update()

    def config(self) -> ModelConfig | None:
        return self._config

    def set_colors(self, foreground: str, background: str, line_scale: float = 1.0) -> None:
        self._foreground, self._background = QColor(foreground), QColor(background)
        self._line_scale = line_scale
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        em = self.fontMetrics().height()
        return QSize(40 * em, 24 * em)

    # ---- painting ----

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self._background)
        config = self._config
        if config is None:
            painter.setPen(self._foreground)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No valid stack to draw.")
            return
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        # Narrower than the drawing needs to be read (a narrow tab): draw it whole, smaller.
        needed = self.fontMetrics().height() * (22 if config.task == "lm" else 40)
        if 0 < area.width() < needed:
            scale = area.width() / needed
            painter.scale(scale, scale)
            area = QRectF(area.left() / scale, area.top() / scale, needed, area.height() / scale)
        self._bottom = area.bottom() + 8  # the widget's bottom in the drawing's coordinates
        if config.task == "lm":
            self._draw_stack(painter, area, config.stack, "Language model", "X{}", "O{}", show_labels=True)
            return
        assert config.decoder is not None
        gap = area.width() * 0.12
        half = (area.width() - gap) / 2
        left = QRectF(area.left(), area.top(), half, area.height())
        right = QRectF(area.left() + half + gap, area.top(), half, area.height())
        enc = self._draw_stack(painter, left, config.stack, "Encoder", "x{}", None, show_labels=True)
        dec = self._draw_stack(painter, right, config.decoder, "Decoder", "[y{}; c]", "O{}", show_labels=False,
                               x_shift=-1)
        self._draw_bridge(painter, enc, dec, config.resolved_bridge or "identity", left.right(), right.left())

    def _pen(self, color: QColor | str, width: float = 1.5, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
        pen = QPen(QColor(color), width * self._line_scale)
        pen.setStyle(style)
        return pen

    def _draw_stack(self, painter: QPainter, area: QRectF, spec: StackSpec, title: str, x_label: str,
                    o_label: str | None, show_labels: bool, x_shift: int = 0) -> dict[int, list[list[_Box]]]:
        """Draw one stack in ``area``; returns each layer's boxes as [direction][time].

        ``x_label`` and ``o_label`` are templates for the time subscript ("X{}" → "X_t−1");
        ``x_shift`` offsets the input's time (the decoder reads y_t−1 at step t).
        """
        font = QFont(self.font())
        painter.setFont(font)
        metrics = painter.fontMetrics()
        em = metrics.height()
        title_h = em * 1.6
        painter.setPen(self._foreground)
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        heading = (f"{title}: {CELL_LABELS[spec.cell]}, {spec.num_layers} layer{'s' * (spec.num_layers > 1)}"
                   + (", bidirectional" if spec.bidirectional else ""))
        painter.drawText(QRectF(area.left(), area.top(), area.width(), title_h),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(heading, Qt.TextElideMode.ElideRight, int(area.width())))
        painter.setFont(font)
        body = area.adjusted(0, title_h, 0, 0)
        label_w = min(body.width() * 0.3, metrics.horizontalAdvance("layer 8 ← h=4096") + em) if show_labels else em * 0.5
        columns = QRectF(body.left() + label_w, body.top(), body.width() - label_w, body.height())
        rows: list[tuple[str, int, int]] = []  # (kind, layer, direction) from the bottom
        rows.append(("x", -1, 0))
        for layer in range(spec.num_layers):
            for direction in range(spec.num_directions):
                rows.append(("h", layer, direction))
        if o_label:
            rows.append(("o", -1, 0))
        row_h = columns.height() / len(rows)
        col_w = columns.width() / self.TIME_STEPS
        box_w = min(col_w * 0.8, em * 6.5)
        box_h = min(row_h * 0.5, em * 1.9)

        def box_rect(row: int, t: int, shift: float = 0.0) -> QRectF:
            cx = columns.left() + (t + 0.5 + shift) * col_w
            cy = columns.bottom() - (row + 0.5) * row_h
            return QRectF(cx - box_w / 2, cy - box_h / 2, box_w, box_h)

        boxes: dict[int, list[list[_Box]]] = {}
        inputs = [_Box(box_rect(0, t), INPUT, x_label.format(_sub(t - 1 + x_shift))) for t in range(self.TIME_STEPS)]
        below: list[list[_Box]] = [inputs]
        for row, (kind, layer, direction) in enumerate(rows):
            if kind != "h":
                continue
            color = FORWARD if direction == 0 else BACKWARD
            arrow = "→" if direction == 0 else "←"
            size = spec.direction_sizes(layer)[direction]
            # The backward chain sits a little to the right, so arrows into it do not hide behind H→.
            shift = 0.18 if direction == 1 else 0.0
            chain = [_Box(box_rect(row, t, shift), color, f"H{arrow}({layer + 1})") for t in range(self.TIME_STEPS)]
            boxes.setdefault(layer, []).append(chain)
            if show_labels:
                painter.setPen(self._pen(color))
                painter.drawText(QRectF(body.left(), chain[0].rect.top(), label_w, chain[0].rect.height()),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 _fitting(metrics, label_w, f"layer {layer + 1} {arrow} h={size}", f"{layer + 1}{arrow} {size}"))
        # Vertical arrows: into each layer from the one below (both directions concatenated).
        for layer in range(spec.num_layers):
            for chain in boxes[layer]:
                for t in range(self.TIME_STEPS):
                    for source in below:
                        self._arrow(painter, source[t].rect, chain[t].rect, self._foreground, vertical=True)
            below = boxes[layer]
        # Recurrent arrows along each chain: forward left to right, backward right to left.
        for layer in range(spec.num_layers):
            for direction, chain in enumerate(boxes[layer]):
                color = FORWARD if direction == 0 else BACKWARD
                for t in range(self.TIME_STEPS - 1):
                    a, b = (chain[t], chain[t + 1]) if direction == 0 else (chain[t + 1], chain[t])
                    self._arrow(painter, a.rect, b.rect, QColor(color), vertical=False)
                self._open_ends(painter, chain, direction, color)
        outputs: list[_Box] = []
        if o_label:
            top = len(rows) - 1
            outputs = [_Box(box_rect(top, t), OUTPUT, o_label.format(_sub(t - 1))) for t in range(self.TIME_STEPS)]
            for t in range(self.TIME_STEPS):
                for source in below:
                    self._arrow(painter, source[t].rect, outputs[t].rect, self._foreground, vertical=True)
        if show_labels:
            painter.setPen(self._pen(INPUT))
            painter.drawText(QRectF(body.left(), inputs[0].rect.top(), label_w, inputs[0].rect.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "input")
            if outputs:
                painter.setPen(self._pen(OUTPUT))
                painter.drawText(QRectF(body.left(), outputs[0].rect.top(), label_w, outputs[0].rect.height()),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "output")
        for box in [*inputs, *(b for chains in boxes.values() for chain in chains for b in chain), *outputs]:
            self._draw_box(painter, box)
        if spec.bidirectional:
            # The book's figure: what leaves each step is [H→; H←] of the top layer.
            top_chains = boxes[spec.num_layers - 1]
            rect = top_chains[0][1].rect.united(top_chains[1][1].rect).adjusted(-em * 0.3, -em * 0.3, em * 0.3, em * 0.3)
            painter.setPen(self._pen(self._foreground, 1.0, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect, em * 0.3, em * 0.3)
            if show_labels:
                painter.setPen(self._foreground)
                painter.drawText(QRectF(body.left(), rect.top() - em * 1.4, label_w, em * 1.2),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 f"[H→; H←]: {spec.output_size}")
        return boxes

    def _draw_box(self, painter: QPainter, box: _Box) -> None:
        color = QColor(box.color)
        fill = QColor(color)
        fill.setAlpha(40)
        painter.setPen(self._pen(color, 2.0))
        painter.setBrush(fill)
        radius = box.rect.height() * 0.2
        painter.drawRoundedRect(box.rect, radius, radius)
        painter.setPen(self._foreground)
        painter.drawText(box.rect, Qt.AlignmentFlag.AlignCenter, box.text)

    def _arrow(self, painter: QPainter, source: QRectF, target: QRectF, color: QColor | str, vertical: bool) -> None:
        if vertical:
            start = QPointF(source.center().x(), source.top())
            end = QPointF(target.center().x(), target.bottom())
        else:
            going_right = target.center().x() > source.center().x()
            start = QPointF(source.right() if going_right else source.left(), source.center().y())
            end = QPointF(target.left() if going_right else target.right(), target.center().y())
        self._line_with_head(painter, start, end, QColor(color))

    def _line_with_head(self, painter: QPainter, start: QPointF, end: QPointF, color: QColor) -> None:
        painter.setPen(self._pen(color, 1.4))
        painter.drawLine(start, end)
        angle = math.atan2(end.y() - start.y(), end.x() - start.x())
        size = 6.0 * self._line_scale
        left = QPointF(end.x() - size * math.cos(angle - 0.45), end.y() - size * math.sin(angle - 0.45))
        right = QPointF(end.x() - size * math.cos(angle + 0.45), end.y() - size * math.sin(angle + 0.45))
        painter.setBrush(color)
        painter.setPen(self._pen(color, 1.0))
        painter.drawPolygon(QPolygonF([end, left, right]))

    def _open_ends(self, painter: QPainter, chain: list[_Box], direction: int, color: str) -> None:
        """Short dashed arrows into the chain's first box and out of its last (the sequence goes on)."""
        pen = self._pen(color, 1.2, Qt.PenStyle.DashLine)
        stub = chain[0].rect.width() * 0.35
        first, last = (chain[0], chain[-1]) if direction == 0 else (chain[-1], chain[0])
        sign = 1 if direction == 0 else -1
        entry_end = QPointF(first.rect.left() if sign > 0 else first.rect.right(), first.rect.center().y())
        exit_start = QPointF(last.rect.right() if sign > 0 else last.rect.left(), last.rect.center().y())
        painter.setPen(pen)
        painter.drawLine(QPointF(entry_end.x() - sign * stub, entry_end.y()), entry_end)
        painter.drawLine(exit_start, QPointF(exit_start.x() + sign * stub, exit_start.y()))

    def _draw_bridge(self, painter: QPainter, encoder: dict[int, list[list[_Box]]],
                     decoder: dict[int, list[list[_Box]]], bridge: str, left: float, right: float) -> None:
        """Each encoder layer's final state (the forward chain's last step, and the backward chain's
        first, which has read the whole sentence) initialises the same decoder layer."""
        em = self.fontMetrics().height()
        color = QColor(self._foreground)
        for layer, chains in encoder.items():
            if layer not in decoder:
                continue
            target = decoder[layer][0][0].rect
            end = QPointF(target.left(), target.center().y())
            for direction, chain in enumerate(chains):
                source = chain[-1].rect if direction == 0 else chain[0].rect
                start = QPointF(source.right(), source.center().y())
                if direction == 1:  # the backward chain's final state is at t = 1: route above the boxes
                    start = QPointF(source.center().x(), source.top())
                path = QPainterPath(start)
                mid_x = (left + right) / 2
                path.cubicTo(QPointF(mid_x, start.y()), QPointF(mid_x, end.y()), QPointF(end.x() - 8, end.y()))
                painter.setPen(self._pen(color, 1.2, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(path)
            self._line_with_head(painter, QPointF(end.x() - 8, end.y()), end, color)
        painter.setPen(self._foreground)
        label = "bridge:\nidentity" if bridge == "identity" else "bridge:\nlinear, tanh"
        painter.drawText(QRectF(left, self._bottom - em * 3.2, right - left, em * 2.8),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, label)
