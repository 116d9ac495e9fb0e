"""The training panel's three plots: loss (or perplexity), gradient norm, throughput; built, themed, labelled.

The plots share one x axis, shown once at the bottom; the curves in them
belong to :class:`rnnviz.gui.widgets.curves.RunCurves`. The legend has its own
column right of the plots (:mod:`rnnviz.gui.panels.training_legend`): it never
covers a curve, in any theme, however many runs are overlaid.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem

from rnnviz.gui.panels.training_legend import SideLegend
from rnnviz.gui.style import Theme
from rnnviz.gui.widgets.curves import RunPlots
from rnnviz.gui.widgets.plain_axis import plain_numbers
from rnnviz.gui.widgets.stepped_view import SteppedViewBox

_X_LABELS = {"step": ("step", None), "epoch": ("epoch", None), "time": ("training time", "s")}
#: Each plot's y title, longest first: a short plot (a projector at 1280×720) takes the first that fits.
_Y_TITLES = {"loss": ("loss (nats/token)", "loss"), "perplexity": ("perplexity", "ppl"),
             "val_accuracy": ("val accuracy (%)", "acc. %"), "val_mse": ("val MSE", "MSE"),
             "val_metric": ("val metric", "metric"),
             "grad_norm": ("grad norm", "‖grad‖"), "speed": ("tokens/s", "tok/s")}


def all_plots(plots: RunPlots) -> tuple[pg.PlotItem, ...]:
    return (plots.loss, plots.grad_norm, plots.speed)


def build_plots(graphics: pg.GraphicsLayoutWidget) -> RunPlots:
    """Three plots one above the other in ``graphics``, x linked, and the legend in a column beside them
    (``loss.legend``: named curves added to the loss plot appear in it)."""
    # Stepped auto-range: the axes change every ~25% of growth, not at every redraw.
    loss = graphics.addPlot(row=0, col=0, viewBox=SteppedViewBox())
    grad = graphics.addPlot(row=1, col=0, viewBox=SteppedViewBox())
    speed = graphics.addPlot(row=2, col=0, viewBox=SteppedViewBox())
    layout = graphics.ci.layout
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
    legend = SideLegend()
    graphics.ci.addItem(legend, row=0, col=1, rowspan=3)
    layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)  # at its own size
    layout.setColumnStretchFactor(0, 1)
    layout.setColumnStretchFactor(1, 0)
    loss.legend = legend  # pyqtgraph adds the loss plot's named items to it, and removes them
    ci = graphics.ci
    ci.geometryChanged.connect(lambda: legend.set_plots_size(ci.width(), ci.height() - 12))
    for plot in (loss, grad, speed):
        plot.geometryChanged.connect(lambda p=plot: fit_title(p))
    return RunPlots(loss=loss, grad_norm=grad, speed=speed)


def style_plots(plots: RunPlots, theme: Theme, base_pt: float, body: QFont) -> float:
    """Axes, grid and legend in ``theme``; returns the point size for the axis titles."""
    scale = theme.font_scale
    # The loss is what the room reads: on a projector its plot takes over half the height.
    for row, stretch in enumerate((5, 2, 2) if scale > 1.2 else (3, 2, 2)):
        plots.loss.parentItem().layout.setRowStretchFactor(row, stretch)
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
    legend_font = QFont(body)
    legend_font.setPointSizeF(base_pt * scale)
    legend.set_text_font(legend_font, scale)
    label_font = QFont(body)
    label_font.setPointSizeF(label_pt)
    axis_width = (QFontMetricsF(tick_font).horizontalAdvance("000000") + 4 * scale
                  + QFontMetricsF(label_font).height() * 1.3)
    for plot in all_plots(plots):
        plot.getAxis("left").setWidth(int(axis_width))  # the same for all: the x axes line up
    return label_pt


def label_axes(plots: RunPlots, x_axis: str, metric: str, label_pt: float, theme: Theme) -> None:
    """Axis titles for the x axis ("step", "epoch", "time") and the metric ("loss", "perplexity", "val_metric",
    or the metric named: "val_accuracy", "val_mse")."""
    style = {"font-size": f"{label_pt:.1f}pt", "color": theme.foreground}
    x_text, x_units = _X_LABELS[x_axis]
    metric = metric if metric in _Y_TITLES else "val_metric"
    for plot, key in ((plots.loss, metric), (plots.grad_norm, "grad_norm"), (plots.speed, "speed")):
        axis = plot.getAxis("left")
        axis.rnnviz_titles = _Y_TITLES[key]
        plain_numbers(axis)
        plain_numbers(plot.getAxis("bottom"))
        axis.setLabel(_Y_TITLES[key][0], units=None, **style)
        fit_title(plot)
    plots.speed.setLabel("bottom", x_text, units=x_units, **style)
    for plot in (plots.loss, plots.grad_norm):
        # x is linked to the bottom plot: its axis says it once, and each hidden axis
        # is one repaint fewer per update.
        plot.hideAxis("bottom")


def fit_title(plot: pg.PlotItem) -> None:
    """The plot's longest y title that fits its height (rotated, a title longer than its plot
    would run into the next plot's), else the shortest."""
    axis = plot.getAxis("left")
    titles: tuple[str, ...] = getattr(axis, "rnnviz_titles", ())
    if not titles:
        return
    font = QFont()
    font.setPointSizeF(float(str(axis.labelStyle.get("font-size", "9pt")).removesuffix("pt")))
    metrics = QFontMetricsF(font)
    room = axis.height() - 4
    text = next((t for t in titles if metrics.horizontalAdvance(t) <= room), titles[-1])
    if axis.labelText != text:
        axis.setLabel(text, units=None, **axis.labelStyle)
