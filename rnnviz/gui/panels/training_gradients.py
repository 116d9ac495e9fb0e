"""The training panel's gradients view: clipping made visible.

Shown instead of the three curves when "Gradients" is ticked. For the current run:

- one sentence: how often clipping acted and by how much ("clipping at norm 1 acted on 37% of
  steps (…), shrinking the gradient by up to 12×");
- the gradient's norm per step before clipping and after it (what the update used), on a log
  axis, with the threshold θ as a dashed line: where the first curve rises above θ the second is
  held at θ;
- the latest measured step's norm of each parameter group (``Step.groups``: each gate's W_x, W_h
  and b in each layer and direction, the embedding, the output layer, the bridge) as bars on a
  log axis, before clipping (faint) and after (solid), each group or combined by gate or by layer.

Qt and pyqtgraph only; no torch (``rnnviz.core.events`` holds the summary).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from rnnviz.core.events import GradientGroup, Step, summarize_clipping
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.curves import RunCurves, blend
from rnnviz.gui.widgets.plain_axis import plain_numbers

#: How the bars combine the groups: each alone, or the norm of a gate's (or a layer's) groups together.
GROUPINGS: dict[str, str] = {"group": "each group", "gate": "by gate", "layer": "by layer"}
SEPARATOR = " · "


def group_key(group: GradientGroup, grouping: str) -> str:
    """The bar a group belongs to: its own name, its gate's ("layer 1 · update gate z") or its layer's."""
    if grouping == "group" or group.layer is None:
        return group.name
    words = group.name.split(SEPARATOR)
    if grouping == "gate":
        return SEPARATOR.join(words[:-1]) or group.name  # without W_x / W_h / b
    layer = next(i for i, w in enumerate(words) if w.startswith("layer "))
    has_direction = len(words) > layer + 1 and words[layer + 1] in ("forward", "backward")
    return SEPARATOR.join(words[:layer + 1 + int(has_direction)])


def combined_norms(groups: Sequence[GradientGroup], norms: Sequence[float], grouping: str) -> tuple[list[str], list[float]]:
    """Bars' names and norms: the root of the summed squares of the groups each bar holds, in first-seen order."""
    squares: dict[str, float] = {}
    for group, norm in zip(groups, norms):
        key = group_key(group, grouping)
        squares[key] = squares.get(key, 0.0) + norm * norm
    return list(squares), [math.sqrt(v) for v in squares.values()]


class _PowerAxis(pg.AxisItem):
    """Ticks of a log10 axis drawn by hand (the bars are placed at log10 of the norms): 10⁻³, 0.01, 1, 100."""

    def tickStrings(self, values, scale, spacing):  # type: ignore[no-untyped-def]  # noqa: N802 (pyqtgraph's name)
        return [_power(v) for v in values]


def _power(value: float) -> str:
    if abs(value - round(value)) > 1e-6:
        return ""
    k = int(round(value))
    return f"{10.0 ** k:g}" if -2 <= k <= 3 else f"1e{k}"


class GradientView(QWidget):
    """The gradients of the current run (see the module doc). Fed by the training view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = NORMAL
        self._color = "#0072B2"
        self._run: RunCurves | None = None
        self._latest: Step | None = None  # the last step that measured its groups
        self._clip: float | None = None
        self._x_axis = "step"
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        root.addLayout(top)
        self.summary = QLabel("No run yet: start training to see how clipping acts.")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.grouping_combo = QComboBox()
        for key, text in GROUPINGS.items():
            self.grouping_combo.addItem(text.capitalize(), key)
        self.grouping_combo.setToolTip("The bars: each parameter group, or the groups of a gate (W_x, W_h, b) "
                                       "or of a layer together (the root of their squared norms).")
        top.addWidget(self.summary, 1)
        top.addWidget(QLabel("Bars"))
        top.addWidget(self.grouping_combo)

        self.graphics = pg.GraphicsLayoutWidget()
        root.addWidget(self.graphics, 1)
        # The key in words under the summary, not a legend over the curves.
        self.key = QLabel()
        self.key.setTextFormat(Qt.TextFormat.PlainText)
        root.insertWidget(1, self.key)
        self.norm_plot = self.graphics.addPlot(row=0, col=0)
        self.norm_plot.setClipToView(True)
        self.norm_plot.setDownsampling(auto=True, mode="peak")
        self.before = pg.PlotDataItem(clipToView=True, autoDownsample=True, downsampleMethod="peak")
        self.after = pg.PlotDataItem(clipToView=True, autoDownsample=True, downsampleMethod="peak")
        for item in (self.before, self.after):
            self.norm_plot.addItem(item)
            item.curve.setSegmentedLineMode("on")
        self.threshold = pg.InfiniteLine(angle=0, movable=False)
        self.threshold.setVisible(False)
        self.norm_plot.addItem(self.threshold)
        self._log_y = False

        # Side by side: on a 1280×720 projector each keeps the whole height.
        self.bar_plot = self.graphics.addPlot(row=0, col=1, axisItems={"bottom": _PowerAxis("bottom")})
        self.graphics.ci.layout.setColumnStretchFactor(0, 3)
        self.graphics.ci.layout.setColumnStretchFactor(1, 3)
        self.bar_plot.setMouseEnabled(x=False, y=False)
        self.bar_plot.hideButtons()
        self.bars_before = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7)
        self.bars_after = pg.BarGraphItem(x0=[], y=[], width=[], height=0.4)
        self.bar_plot.addItem(self.bars_before)
        self.bar_plot.addItem(self.bars_after)
        self.bar_plot.invertY(True)  # the first group on top
        self._bar_names: list[str] = []
        self._bar_norms: list[float] = []
        self.grouping_combo.currentIndexChanged.connect(lambda _: self._draw_bars())
        self.apply_theme(NORMAL, QFont().pointSizeF() or 10.0)

    # ---- public API ----

    def begin_run(self, run: RunCurves) -> None:
        """A new current run: nothing measured yet."""
        self._run, self._latest, self._clip = run, None, None
        self.redraw()

    def take(self, steps: Sequence[Step]) -> None:
        """The steps of a batch of events (the run's buffers already hold them)."""
        for step in reversed(steps):
            if step.group_norms:
                self._latest = step
                break
        if steps:
            self._clip = steps[-1].clip

    def set_x_axis(self, x_axis: str) -> None:
        self._x_axis = x_axis

    def set_log_y(self, on: bool) -> None:
        """A log axis for the norms (the view's "Log y"): a spike of 100× and the threshold both readable."""
        self._log_y = on
        self.norm_plot.setLogMode(x=False, y=on)
        self._place_threshold()
        self.norm_plot.enableAutoRange(y=True)

    def set_color(self, color: str) -> None:
        self._color = color
        self._restyle()

    def bars(self) -> tuple[list[str], list[float]]:
        """The bars drawn: names (top to bottom) and norms before clipping."""
        return list(self._bar_names), list(self._bar_norms)

    def grouping(self) -> str:
        return str(self.grouping_combo.currentData())

    def set_grouping(self, grouping: str) -> None:
        if grouping not in GROUPINGS:
            raise ValueError(f"grouping must be one of {tuple(GROUPINGS)}, got {grouping!r}")
        self.grouping_combo.setCurrentIndex(self.grouping_combo.findData(grouping))

    def summary_text(self) -> str:
        return self.summary.text()

    def redraw(self) -> None:
        """Everything from the run's buffers and the latest measured step (only while shown: the caller's choice)."""
        run = self._run
        if run is None or not len(run.steps):
            self.summary.setText("No step yet: start training to see how clipping acts.")
            for item in (self.before, self.after):
                item.setData([], [])
            self.threshold.setVisible(False)
            self._draw_bars()
            return
        x = run.step_x(self._x_axis)  # type: ignore[arg-type]
        norms = run.steps.column("grad_norm")
        scales = run.steps.column("clip_scale")
        self.before.setData(x, norms)
        with np.errstate(invalid="ignore"):
            self.after.setData(x, norms * np.where(np.isfinite(scales), scales, 1.0))
        self._place_threshold()
        if self._clip is None:
            self.summary.setText("Clipping is off: every update uses the whole gradient.")
            self.key.setText(f"{run.label}: the gradient's norm at each step")
        else:
            sentence = summarize_clipping(scales).sentence(self._clip)
            self.summary.setText(f"{sentence[:1].upper()}{sentence[1:]}.")
            self.key.setText(f"{run.label}  ·  faint: before clipping  ·  solid: after (used)  ·  "
                             f"dashed: θ = {self._clip:g}")
        self._draw_bars()

    def _place_threshold(self) -> None:
        self.threshold.setVisible(self._clip is not None)
        if self._clip is not None:  # a log plot's items sit at log10 of their values
            self.threshold.setPos(math.log10(self._clip) if self._log_y else self._clip)

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        self._theme = theme
        scale = theme.font_scale
        font = QFont(self.font())
        font.setPointSizeF(base_pt * scale)
        self.summary.setFont(font)
        self.key.setFont(font)
        self.key.setStyleSheet(f"color: {theme.muted};")
        self.graphics.setBackground(theme.background)
        style = {"font-size": f"{base_pt * (1 + (scale - 1) / 2):.1f}pt", "color": theme.foreground}
        for plot in (self.norm_plot, self.bar_plot):
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2)))
                axis.setTextPen(pg.mkPen(theme.foreground))
                axis.setStyle(tickFont=font)
                plain_numbers(axis)
            plot.showGrid(x=True, y=True, alpha=theme.grid_alpha)
        self.norm_plot.setLabel("left", "‖grad‖", **style)
        self.norm_plot.setLabel("bottom", {"step": "step", "epoch": "epoch", "time": "training time (s)"}
                                .get(self._x_axis, "step"), **style)
        self.bar_plot.setLabel("bottom", "‖grad‖, latest step", **style)
        self._restyle()

    # ---- drawing ----

    def _restyle(self) -> None:
        theme, width = self._theme, self._theme.line_width
        faint = blend(self._color, theme.background, 0.35)
        self.before.setPen(pg.mkPen(faint, width=max(1.0, width)))
        self.after.setPen(pg.mkPen(self._color, width=width))
        dashed = pg.mkPen(theme.foreground, width=max(1.0, width * 0.75), style=Qt.PenStyle.DashLine)
        self.threshold.setPen(dashed)
        self.bars_before.setOpts(brush=pg.mkBrush(faint), pen=pg.mkPen(None))
        self.bars_after.setOpts(brush=pg.mkBrush(self._color), pen=pg.mkPen(None))

    def _draw_bars(self) -> None:
        step = self._latest
        if step is None:
            self._bar_names, self._bar_norms = [], []
            self.bars_before.setOpts(x0=[], y=[], width=[])
            self.bars_after.setOpts(x0=[], y=[], width=[])
            self.bar_plot.getAxis("left").setTicks([[]])
            return
        names, norms = combined_norms(step.groups, step.group_norms, self.grouping())
        self._bar_names, self._bar_norms = names, norms
        positive = [n for n in norms if n > 0 and math.isfinite(n)]
        after = [n * step.clip_scale for n in norms]
        floor = math.floor(math.log10(min(positive + [n for n in after if n > 0]))) - 0.5 if positive else -6.0
        rows = np.arange(len(names), dtype=np.float64)

        def widths(values: list[float]) -> np.ndarray:
            return np.array([max(0.0, math.log10(v) - floor) if v > 0 and math.isfinite(v) else 0.0 for v in values])

        self.bars_before.setOpts(x0=np.full(len(names), floor), y=rows, width=widths(norms), height=0.75)
        self.bars_after.setOpts(x0=np.full(len(names), floor), y=rows, width=widths(after), height=0.4)
        self.bar_plot.getAxis("left").setTicks([[(float(i), name) for i, name in enumerate(names)]])
        top = math.log10(max(positive)) if positive else floor + 1
        self.bar_plot.setXRange(floor, top + 0.3, padding=0)
        self.bar_plot.setYRange(-0.6, len(names) - 0.4, padding=0)
