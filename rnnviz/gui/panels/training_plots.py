"""The training panel's three plots: loss (or perplexity), gradient norm, throughput; built, themed, labelled.

The plots share one x axis, shown once at the bottom; the curves in them
belong to :class:`rnnviz.gui.widgets.curves.RunCurves`.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem

from rnnviz.gui.style import Theme
from rnnviz.gui.widgets.curves import RunPlots
from rnnviz.gui.widgets.stepped_view import SteppedViewBox

_X_LABELS = {"step": ("step", None), "epoch": ("epoch", None), "time": ("training time", "s")}
_METRIC_LABELS = {"loss": ("loss", "nats/token"), "perplexity": ("perplexity", None)}


def all_plots(plots: RunPlots) -> tuple[pg.PlotItem, ...]:
    return (plots.loss, plots.grad_norm, plots.speed)


def build_plots(graphics: pg.GraphicsLayoutWidget) -> RunPlots:
    """Three plots one above the other in ``graphics``, x linked, with the loss plot holding the legend."""
    # Stepped auto-range: the axes change every ~25% of growth, not at every redraw.
    loss = graphics.addPlot(row=0, col=0, viewBox=SteppedViewBox())
    grad = graphics.addPlot(row=1, col=0, viewBox=SteppedViewBox())
    speed = graphics.addPlot(row=2, col=0, viewBox=SteppedViewBox())
    layout = graphics.ci.layout
    for row, stretch in enumerate((3, 2, 2)):
        layout.setRowStretchFactor(row, stretch)
    for plot in (grad, speed):
        plot.setXLink(loss)
    for plot in (loss, grad, speed):
        for side in ("left", "bottom"):
            # An axis that did not change is blitted from a pixmap instead of replaying its
            # text: ~10% more training speed while the plots redraw (bench/gui_latency.py).
            plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        plot.setAutoVisible(y=True)  # zooming in x fits y to what is visible
        plot.setClipToView(True)  # the defaults for the curves it is given
        plot.setDownsampling(auto=True, mode="peak")
    loss.addLegend(offset=(-10, 10))
    return RunPlots(loss=loss, grad_norm=grad, speed=speed)


def style_plots(plots: RunPlots, theme: Theme, base_pt: float, body: QFont) -> float:
    """Axes, grid and legend in ``theme``; returns the point size for the axis titles."""
    scale = theme.font_scale
    tick_font = QFont(body)
    tick_font.setPointSizeF(base_pt * scale)
    # Axis titles grow half as much as the rest: rotated, they must fit the short plots' height.
    label_pt = base_pt * (1 + (scale - 1) / 2)
    for plot in all_plots(plots):
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2)))
            axis.setTextPen(pg.mkPen(theme.foreground))
            axis.setStyle(tickFont=tick_font, tickTextOffset=int(4 * scale))
        plot.showGrid(x=True, y=True, alpha=theme.grid_alpha)
    legend = plots.loss.legend
    legend.setLabelTextSize(f"{base_pt * scale:.1f}pt")
    legend.setLabelTextColor(theme.foreground)
    legend.setPen(pg.mkPen(theme.muted))
    legend_fill = QColor(theme.background)
    legend_fill.setAlpha(215)  # the curves show through a little
    legend.setBrush(pg.mkBrush(legend_fill))
    label_font = QFont(body)
    label_font.setPointSizeF(label_pt)
    axis_width = (QFontMetricsF(tick_font).horizontalAdvance("000000") + 4 * scale
                  + QFontMetricsF(label_font).height() * 1.3)
    for plot in all_plots(plots):
        plot.getAxis("left").setWidth(int(axis_width))  # the same for all: the x axes line up
    return label_pt


def label_axes(plots: RunPlots, x_axis: str, metric: str, label_pt: float, theme: Theme) -> None:
    """Axis titles for the x axis ("step", "epoch", "time") and the metric ("loss", "perplexity")."""
    style = {"font-size": f"{label_pt:.1f}pt", "color": theme.foreground}
    x_text, x_units = _X_LABELS[x_axis]
    y_text, y_units = _METRIC_LABELS[metric]
    plots.loss.setLabel("left", y_text, units=y_units, **style)
    plots.grad_norm.setLabel("left", "grad norm", units=None, **style)
    plots.speed.setLabel("left", "tokens/s", units=None, **style)
    for plot in all_plots(plots):
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.getAxis("bottom").enableAutoSIPrefix(False)
    plots.speed.setLabel("bottom", x_text, units=x_units, **style)
    for plot in (plots.loss, plots.grad_norm):
        # x is linked to the bottom plot: its axis says it once, and each hidden axis
        # is one repaint fewer per update.
        plot.hideAxis("bottom")
