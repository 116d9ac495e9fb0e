"""Training curves that stay smooth at a million steps.

Three pieces, one concept each:

- :class:`SeriesBuffer` — named float64 columns in one numpy array that doubles
  when full (amortised O(1) appends, never a Python list per point);
- :class:`DebiasedEma` — the exponential moving average with Adam's/TensorBoard's
  bias correction, ``s_t / (1 - β^t)``, computed in vectorised chunks;
- :class:`RunCurves` — one training run: its per-step and per-epoch buffers, its
  smoothed loss, and the ``PlotDataItem`` s that draw it.

Curves are drawn as pyqtgraph's ``scrollingPlots`` example does: ``setData``
with ``clipToView=True``, ``autoDownsample=True`` and ``downsampleMethod="peak"``,
so a redraw costs about as much as there are pixels across, not data points.

Qt and pyqtgraph only; no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from rnnviz.gui.style import Theme

XAxis = Literal["step", "epoch", "time"]
Metric = Literal["loss", "perplexity", "val_metric"]

X_AXES: tuple[str, ...] = ("step", "epoch", "time")
#: "val_metric": a memory task's validation accuracy (drawn in %) or mean squared error, per epoch.
METRICS: tuple[str, ...] = ("loss", "perplexity", "val_metric")

#: One row per optimizer step. ``epoch_x`` is the fractional epoch, ``epoch - 1 + batch / batches``.
STEP_COLUMNS: tuple[str, ...] = ("step", "epoch", "batch", "batches", "epoch_x", "elapsed", "loss", "perplexity",
                                 "grad_norm", "lr", "tokens_per_s", "clip_scale")
#: One row per finished epoch; ``val_*`` are NaN when the run has no validation data (``val_metric``: or no metric).
EPOCH_COLUMNS: tuple[str, ...] = ("step", "epoch", "elapsed", "train_loss", "train_perplexity", "val_loss",
                                  "val_perplexity", "tokens_per_s", "val_metric")
#: The smoothed train curve, in both metrics (perplexity = exp of the smoothed loss).
SMOOTH_COLUMNS: tuple[str, ...] = ("loss", "perplexity")


class SeriesBuffer:
    """Named float64 columns that grow by doubling.

    Stored column-major, shape ``(columns, capacity)``, so that each column is a
    contiguous array that ``setData`` takes without a copy. The capacity is always
    ``initial_capacity * 2**k``.
    """

    def __init__(self, columns: Sequence[str], initial_capacity: int = 1024) -> None:
        if initial_capacity < 1:
            raise ValueError("initial_capacity must be at least 1")
        self.columns: tuple[str, ...] = tuple(columns)
        self._index = {name: i for i, name in enumerate(self.columns)}
        self.initial_capacity = initial_capacity
        self._data = np.empty((len(self.columns), initial_capacity), dtype=np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        return self._data.shape[1]

    def _reserve(self, size: int) -> None:
        capacity = self.capacity
        if size <= capacity:
            return
        while capacity < size:
            capacity *= 2
        grown = np.empty((len(self.columns), capacity), dtype=np.float64)
        grown[:, :self._size] = self._data[:, :self._size]
        self._data = grown

    def append(self, row: Sequence[float]) -> None:
        """One row, its values in the order of ``columns``."""
        self._reserve(self._size + 1)
        self._data[:, self._size] = row
        self._size += 1

    def extend(self, rows: np.ndarray | Sequence[Sequence[float]]) -> None:
        """Rows of shape ``(n, len(columns))``."""
        block = np.asarray(rows, dtype=np.float64)
        if block.size == 0:
            return
        if block.ndim != 2 or block.shape[1] != len(self.columns):
            raise ValueError(f"expected rows of {len(self.columns)} values, got shape {block.shape}")
        start = self._size
        self._reserve(start + len(block))
        self._data[:, start:start + len(block)] = block.T
        self._size += len(block)

    def column(self, name: str) -> np.ndarray:
        """The filled part of a column: a read-only view, valid until the next append."""
        view = self._data[self._index[name], :self._size]
        view.flags.writeable = False
        return view

    def last(self, name: str) -> float:
        if not self._size:
            raise IndexError("the buffer is empty")
        return float(self._data[self._index[name], self._size - 1])

    def overwrite(self, name: str, values: np.ndarray, start: int = 0) -> None:
        """Replace ``values`` of a column from row ``start`` (for recomputed derived columns)."""
        self._data[self._index[name], start:start + len(values)] = values

    def clear(self) -> None:
        self._size = 0


class DebiasedEma:
    """``s_t = β s_{t-1} + (1 - β) x_t``, ``s_0 = 0``, reported as ``s_t / (1 - β^t)``.

    Without the division the curve starts near 0 and climbs for ~1/(1-β) steps;
    with it, the first smoothed value equals the first raw value. Non-finite
    inputs are replaced by the last finite one, so one NaN does not poison the
    rest of the curve. :meth:`update` continues from the previous call, so the
    GUI smooths only the new points; a whole series is one call.
    """

    def __init__(self, beta: float) -> None:
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {beta}")
        self.beta = float(beta)
        self._state = 0.0  # s_t, biased
        self._count = 0  # t
        self._last_finite = np.nan

    def update(self, values: np.ndarray) -> np.ndarray:
        x = np.array(values, dtype=np.float64)  # a copy: filled in place below
        n = len(x)
        if n == 0:
            return x
        finite = np.isfinite(x)
        if not finite.all():
            if not finite.any() and not np.isfinite(self._last_finite):
                return x  # nothing to smooth yet: shown as gaps, the state untouched
            x = self._forward_fill(x, finite)
        if np.isfinite(x[-1]):
            self._last_finite = x[-1]
        beta = self.beta
        if beta == 0.0:
            self._state, self._count = float(x[-1]), self._count + n
            return x
        # Hillis–Steele scan of the affine recurrence: after the pass with shift k,
        # y_t holds (1-β) Σ_{j<2k} β^j x_{t-j}. Stops once β^k underflows to 0.
        s = (1.0 - beta) * x
        shift, factor = 1, beta
        while shift < n and factor > 0.0:
            s[shift:] += factor * s[:-shift]
            shift, factor = shift * 2, factor * factor
        # β^t is below 2^-60 (so 1 - β^t == 1.0) after `fade` steps: only the first ones need work.
        fade = int(np.ceil(-60 * np.log(2) / np.log(beta))) + 1
        carried = min(n, fade)  # β^t s_0 for the state carried over from earlier calls
        if self._state:
            s[:carried] += self._state * np.power(beta, np.arange(1, carried + 1, dtype=np.float64))
        self._state = float(s[-1])
        biased = min(n, max(0, fade - self._count))  # where the global t is still small
        if biased:
            s[:biased] /= 1.0 - np.power(beta, np.arange(self._count + 1, self._count + biased + 1, dtype=np.float64))
        self._count += n
        return s

    def _forward_fill(self, x: np.ndarray, finite: np.ndarray) -> np.ndarray:
        index = np.where(finite, np.arange(len(x)), -1)
        np.maximum.accumulate(index, out=index)
        before = self._last_finite if np.isfinite(self._last_finite) else x[finite][0]
        return np.where(index >= 0, x[np.maximum(index, 0)], before)


def debiased_ema(values: np.ndarray | Sequence[float], beta: float) -> np.ndarray:
    """The debiased EMA of a whole series (see :class:`DebiasedEma`)."""
    return DebiasedEma(beta).update(np.asarray(values, dtype=np.float64))


def readable_colors(theme: Theme) -> tuple[str, ...]:
    """The theme's run colours minus those too pale to read on its background (yellow on white)."""

    def luminance(name: str) -> float:
        c = QColor(name)
        channels = [v / 255 for v in (c.red(), c.green(), c.blue())]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    bg = luminance(theme.background)
    kept = tuple(c for c in theme.colors
                 if (max(bg, luminance(c)) + 0.05) / (min(bg, luminance(c)) + 0.05) >= 1.6)
    return kept or theme.colors


@dataclass(frozen=True)
class RunPlots:
    """The plots a run draws into; the loss plot holds the legend."""

    loss: pg.PlotItem
    grad_norm: pg.PlotItem
    speed: pg.PlotItem


#: ``autoDownsampleFactor`` 2: peak downsampling keeps each bin's min and max, so two
#: bins a pixel already draw the exact envelope (pyqtgraph's default, 5, draws 2.5× more).
_CURVE_OPTIONS = dict(clipToView=True, autoDownsample=True, downsampleMethod="peak", autoDownsampleFactor=2.0)


def validation_key(theme: Theme) -> pg.PlotDataItem:
    """A legend-only item (no data) showing how validation curves look, in the theme's foreground."""
    width = theme.line_width
    return pg.PlotDataItem(pen=pg.mkPen(theme.foreground, width=width, style=pg.QtCore.Qt.PenStyle.DashLine),
                           symbol="o", symbolBrush=pg.mkBrush(theme.foreground),
                           symbolPen=pg.mkPen(theme.background, width=max(1.0, width / 2)),
                           symbolSize=int(round(6 + 2 * width)))


def _keep_fast(item: pg.PlotDataItem, segmented: bool = True) -> None:
    """Clip to the view and peak-downsample: ``PlotItem.addItem`` imposes the plot's
    own (context-menu) settings, off by default, so they are set again after it.

    ``segmented``: draw with ``drawLines`` rather than one path. A peak-downsampled
    noisy curve is a dense zigzag; stroking it as one wide path costs Qt seconds
    (measured: 16 s for 11,000 points at 2 px with alpha), as line segments 0.05 s.
    """
    item.setClipToView(True)
    item.setDownsampling(auto=True, method="peak")
    if segmented:
        item.curve.setSegmentedLineMode("on")


def blend(color: str, background: str, amount: float) -> QColor:
    """``color`` at ``amount`` opacity over ``background``, as an opaque colour
    (opaque pens are drawn fast; translucent wide ones are not)."""
    a, b = QColor(color), QColor(background)
    return QColor(*(round(amount * ca + (1 - amount) * cb)
                    for ca, cb in ((a.red(), b.red()), (a.green(), b.green()), (a.blue(), b.blue()))))


class RunCurves:
    """One training run: its data, its smoothed loss, and the items that draw it.

    Items: ``raw`` (the per-step train loss or perplexity, faint), ``smooth`` (its
    debiased EMA; named in the legend by the run's label), ``validation`` (per
    epoch, markers on a dashed line; created at the first validation value; not
    in the legend, which has one "validation" key for all runs — see
    :func:`validation_key`),
    ``grad_norm`` and ``speed`` (tokens/s), one per plot.
    """

    def __init__(self, label: str, color_index: int, plots: RunPlots, smoothing: float = 0.0,
                 initial_capacity: int = 1024) -> None:
        self.label = label
        self.color_index = color_index
        self.plots = plots
        self.steps = SeriesBuffer(STEP_COLUMNS, initial_capacity)
        self.epochs = SeriesBuffer(EPOCH_COLUMNS, 16)
        self.smoothed = SeriesBuffer(SMOOTH_COLUMNS, initial_capacity)
        self._ema = DebiasedEma(smoothing)
        self.current = True
        self._color, self._background = "#000000", "#ffffff"
        self._width = 1.5
        self.raw = pg.PlotDataItem(**_CURVE_OPTIONS)
        self.smooth = pg.PlotDataItem(name=label, **_CURVE_OPTIONS)
        self.grad_norm = pg.PlotDataItem(**_CURVE_OPTIONS)
        self.speed = pg.PlotDataItem(**_CURVE_OPTIONS)
        self.validation: pg.PlotDataItem | None = None
        self.metric_name: str | None = None  # "accuracy" or "mse" once an epoch brought one
        plots.loss.addItem(self.raw)
        plots.loss.addItem(self.smooth)
        plots.grad_norm.addItem(self.grad_norm)
        plots.speed.addItem(self.speed)
        for item in (self.raw, self.smooth, self.grad_norm, self.speed):
            _keep_fast(item)
        self._dirty_epochs = True

    # ---- data ----

    @property
    def smoothing(self) -> float:
        return self._ema.beta

    def add_steps(self, rows: np.ndarray) -> None:
        """Rows in ``STEP_COLUMNS`` order (``epoch_x`` is filled in here)."""
        rows = np.array(rows, dtype=np.float64, ndmin=2)
        if not rows.size:
            return
        c = {name: i for i, name in enumerate(STEP_COLUMNS)}
        rows[:, c["epoch_x"]] = rows[:, c["epoch"]] - 1 + rows[:, c["batch"]] / np.maximum(rows[:, c["batches"]], 1)
        self.steps.extend(rows)
        smooth = self._ema.update(rows[:, c["loss"]])
        with np.errstate(over="ignore"):
            self.smoothed.extend(np.column_stack([smooth, np.exp(smooth)]))

    def add_epochs(self, rows: np.ndarray) -> None:
        """Rows in ``EPOCH_COLUMNS`` order; missing validation as NaN."""
        rows = np.array(rows, dtype=np.float64, ndmin=2)
        if rows.size:
            self.epochs.extend(rows)
            self._dirty_epochs = True

    def set_smoothing(self, beta: float) -> None:
        """Re-smooth the whole run (vectorised: about 50 ms for a million steps)."""
        self._ema = DebiasedEma(beta)
        self.smoothed.clear()
        smooth = self._ema.update(self.steps.column("loss"))
        with np.errstate(over="ignore"):
            self.smoothed.extend(np.column_stack([smooth, np.exp(smooth)]))

    def has_validation(self, column: str = "val_loss") -> bool:
        return bool(len(self.epochs)) and bool(np.isfinite(self.epochs.column(column)).any())

    def metric_values(self) -> np.ndarray:
        """The validation metric per epoch as drawn: accuracy in %, mean squared error as it is."""
        values = self.epochs.column("val_metric")
        return values * 100.0 if self.metric_name == "accuracy" else values

    def step_x(self, x_axis: XAxis) -> np.ndarray:
        return self.steps.column({"step": "step", "epoch": "epoch_x", "time": "elapsed"}[x_axis])

    def epoch_x(self, x_axis: XAxis) -> np.ndarray:
        return self.epochs.column({"step": "step", "epoch": "epoch", "time": "elapsed"}[x_axis])

    # ---- drawing ----

    def redraw(self, x_axis: XAxis, metric: Metric, epochs_too: bool = True) -> None:
        """Hand the buffers to the items; pyqtgraph clips and downsamples at paint."""
        x = self.step_x(x_axis)
        if metric == "val_metric":  # per epoch only: the validation curve alone
            self.raw.setVisible(False)
            self.smooth.setData([], [])
        else:
            raw_name = "loss" if metric == "loss" else "perplexity"
            show_raw = self.smoothing > 0.0
            self.raw.setVisible(show_raw)
            if show_raw:
                self.raw.setData(x, self.steps.column(raw_name))
            self.smooth.setData(x, self.smoothed.column(raw_name))
        self.grad_norm.setData(x, self.steps.column("grad_norm"))
        self.speed.setData(x, self.steps.column("tokens_per_s"))
        if epochs_too or self._dirty_epochs:
            self._redraw_validation(x_axis, metric)

    def _redraw_validation(self, x_axis: XAxis, metric: Metric) -> None:
        self._dirty_epochs = False
        column = {"loss": "val_loss", "perplexity": "val_perplexity"}.get(metric, "val_metric")
        if not self.has_validation(column):
            if self.validation is not None:
                self.validation.setData([], [])
            return
        if self.validation is None:
            self.validation = pg.PlotDataItem(symbol="o", connect="finite")  # the view's legend has one key for all
            self.plots.loss.addItem(self.validation)
            _keep_fast(self.validation, segmented=False)  # dashed: one path; a point per epoch
            self._apply_style()
        values = self.metric_values() if column == "val_metric" else self.epochs.column(column)
        self.validation.setData(self.epoch_x(x_axis), values)

    def set_style(self, color: str, width: float, current: bool, background: str = "#ffffff") -> None:
        """Pens of ``width`` px in ``color``; the current run is drawn on top of the others;
        the raw curve in ``color`` faded into ``background``."""
        self._color, self._width, self.current, self._background = color, width, current, background
        self._apply_style()

    def _apply_style(self) -> None:
        color, width = self._color, self._width if self.current else max(1.0, 0.75 * self._width)
        faint = blend(color, self._background, 0.3)
        self.raw.setPen(pg.mkPen(faint, width=max(1.0, 0.5 * width)))
        self.smooth.setPen(pg.mkPen(color, width=width))
        self.grad_norm.setPen(pg.mkPen(color, width=max(1.0, 0.75 * width)))
        self.speed.setPen(pg.mkPen(color, width=width))
        base = 10 if self.current else 0
        self.raw.setZValue(base + 1)
        self.smooth.setZValue(base + 3)
        self.grad_norm.setZValue(base + 3)
        self.speed.setZValue(base + 3)
        if self.validation is not None:
            dashed = pg.mkPen(color, width=width, style=pg.QtCore.Qt.PenStyle.DashLine)
            self.validation.setPen(dashed)
            self.validation.setSymbolPen(pg.mkPen(QColor("#ffffff"), width=max(1.0, width / 2)))
            self.validation.setSymbolBrush(pg.mkBrush(color))
            self.validation.setSymbolSize(int(round(6 + 2 * width)))
            self.validation.setZValue(base + 4)

    def items(self) -> list[pg.PlotDataItem]:
        return [i for i in (self.raw, self.smooth, self.validation, self.grad_norm, self.speed) if i is not None]

    def detach(self) -> None:
        """Remove the items from their plots (and the legend)."""
        self.plots.loss.removeItem(self.raw)
        self.plots.loss.removeItem(self.smooth)
        if self.validation is not None:
            self.plots.loss.removeItem(self.validation)
        self.plots.grad_norm.removeItem(self.grad_norm)
        self.plots.speed.removeItem(self.speed)
