"""The training panel: live loss / perplexity, gradient norm and throughput, runs overlaid, live samples.

The main window's central area. It is fed the training generator's events
(:mod:`rnnviz.core.events`) in batches, at most ~30 a second, on the GUI
thread, and draws them with :mod:`rnnviz.gui.widgets.curves`.

Public API (the main window is written against it):

- ``sig_probe_changed(str)`` — the user finished editing the probe (the LM
  prefix or the MT sentence); emitted on ``editingFinished`` when the text changed.
- ``begin_run(label, task)`` — a new run; earlier runs stay as overlays.
- ``add_events(events)`` — a batch of core events; redraws at most once.
- ``show_sample(epoch, text)`` — the latest sample, kept in a short history.
- ``set_probe(text)`` / ``probe()``.
- ``export_csv(path)`` / ``export_image(path)`` — raise :class:`RnnvizError`.
- ``apply_theme(theme)``, ``state()`` / ``restore_state(state)``, ``runs()``.
- ``show_gradients(on)`` / ``gradients_shown()`` — the gradients view (``training_gradients``: how often
  clipping acted and by how much, the norm before and after clipping, each parameter group's norm)
  in place of the curves; ``gradients`` is that view.

A model with a metric (a memory task's accuracy or mean squared error, ``EpochEnd.metric``) adds
"Val accuracy (%)" or "Val MSE" to the Show list: its validation value per epoch, as its own curve.
The rooms: ``training_controls`` (the row of controls), ``training_events`` (a batch of events
sorted), ``training_plots``, ``training_legend``, ``training_readout``, ``training_samples``,
``training_gradients``, ``training_export``, ``training_settings`` (the settings and the reactions to the
controls).

Also public, for menus and tests: ``set_smoothing`` / ``smoothing``, ``set_log_y`` /
``log_y``, ``set_x_axis`` / ``x_axis``, ``set_y_metric`` / ``y_metric`` (not
``metric``: that name is ``QPaintDevice.metric``, and shadowing it crashes Qt),
``clear_earlier_runs()``, ``run_curves()`` and ``plots``.

Fonts are the application's font *at construction* × ``theme.font_scale``, set
explicitly on this widget, so scaling the application font as well does not
compound. ``begin_run`` clears the sample history (a new model starts from scratch).

The CSV columns are listed in :mod:`rnnviz.gui.panels.training_export`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from rnnviz.core.events import EpochEnd, Step
from rnnviz.gui.panels.training_controls import TrainingControls
from rnnviz.gui.panels.training_events import EventBatch
from rnnviz.gui.panels.training_export import CSV_COLUMNS, write_csv
from rnnviz.gui.panels.training_gradients import GradientView
from rnnviz.gui.panels.training_legend import sync_validation_key, unique_label
from rnnviz.gui.panels.training_plots import all_plots, build_plots, label_axes, style_plots
from rnnviz.gui.panels.training_readout import readout_text
from rnnviz.gui.panels.training_samples import SAMPLE_HISTORY, SampleBox
from rnnviz.gui.panels.training_settings import TrainingSettings
from rnnviz.gui.style import NORMAL, Theme, scaled_font
from rnnviz.gui.widgets.image_export import save_image
from rnnviz.gui.widgets.curves import METRICS, X_AXES, RunCurves, RunPlots, readable_colors
from rnnviz.gui.widgets.steady_label import SteadyLabel

__all__ = ["CSV_COLUMNS", "SAMPLE_HISTORY", "TrainingView"]
_DEFAULT_STATE: dict[str, Any] = {"smoothing": 0.6, "log_y": False, "x_axis": "step", "metric": "loss", "probe": "",
                                  "gradients": False}


class TrainingView(TrainingSettings, QWidget):
    #: The user finished editing the probe text (LM prefix or MT sentence); carries the new text.
    sig_probe_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: list[RunCurves] = []
        self._next_color = 0
        self._run_count = 0
        self._theme = NORMAL
        self._validation_key: pg.PlotDataItem | None = None
        self._last_step: Step | None = None
        self._last_epoch: EpochEnd | None = None
        base = QApplication.font().pointSizeF()
        self._base_pt = base if base > 0 else 10.0
        self._build()
        self.apply_theme(NORMAL)
        self.restore_state(_DEFAULT_STATE)

    # ------------------------------------------------------------------ public API

    def begin_run(self, label: str, task: str = "lm") -> None:
        """Start a new run named ``label`` (as the legend shows it); ``task`` is "lm" or "mt".

        Earlier runs stay as overlays in their own colours, under the new one. A
        previous run that never got a step is replaced rather than kept. A label
        already in use gets " (2)", " (3)", … so each run stays distinguishable.
        """
        self._last_step = self._last_epoch = None
        self.sample_box.set_task(task)  # ValueError for a task it does not know
        color = self._next_color
        if self._runs and not len(self._runs[-1].steps) and not len(self._runs[-1].epochs):
            empty = self._runs.pop()
            empty.detach()
            color = empty.color_index  # its colour was never seen: the new run takes it
        else:
            self._next_color += 1
        self._run_count += 1
        label = unique_label(label.strip() or f"run {self._run_count}", self.runs())
        run = RunCurves(label, color, self._plots, smoothing=self.smoothing())
        self._runs.append(run)
        self.gradients.begin_run(run)
        self._restyle_runs()
        self.sample_box.clear_samples()
        self._sync_legend_key()
        self._status.clear()
        self.readout.relax()
        self.readout.setText(f"{label}: waiting for the first step…")

    def add_events(self, events: Iterable[object]) -> None:
        """Take a batch of core events (Step, EpochEnd, Paused, NonFinite, Finished); redraw once."""
        batch = EventBatch.of(events)
        if not batch:
            return
        run = self._current_run()
        if batch.metric is not None and run.metric_name != batch.metric:
            run.metric_name = batch.metric
            self._offer_metric()
        if batch.steps:
            run.add_steps(batch.step_array())
            self.gradients.take(batch.steps)
        if batch.epoch_rows:
            run.add_epochs(batch.epoch_array())
        if batch.steps or batch.epoch_rows:
            run.redraw(self.x_axis(), self.y_metric(), epochs_too=False)
            if self.gradients_shown():
                self.gradients.redraw()
        if batch.epoch_rows:
            self._sync_legend_key()
        # The readout keeps the latest numbers of each kind when a batch has none of them,
        # so its text (and height) does not flicker between updates.
        self._last_step = batch.last_step or self._last_step
        self._last_epoch = batch.last_epoch or self._last_epoch
        if batch.last_step is not None or batch.last_epoch is not None:
            self._update_readout(run, self._last_step, self._last_epoch)
        if batch.status is not None:
            self._set_status(*batch.status)

    def show_sample(self, epoch: int, text: str) -> None:
        """Show the latest sample as "epoch N: text" above the earlier ones (the newest ``SAMPLE_HISTORY``)."""
        self.sample_box.show_sample(epoch, text)

    def set_probe(self, text: str) -> None:
        """Set the probe text without emitting ``sig_probe_changed``."""
        self.sample_box.set_probe(text)

    def probe(self) -> str:
        return self.sample_box.probe()

    def runs(self) -> list[str]:
        """The runs' labels, oldest first; the last one is the current run."""
        return [run.label for run in self._runs]

    def export_csv(self, path: str | os.PathLike[str]) -> None:
        """Write every run's steps and epochs as CSV (columns: ``training_export``); atomic.

        Raises :class:`RnnvizError` when the file cannot be written; an existing file is then left as it was.
        """
        write_csv(self._runs, path)

    def status_text(self) -> str:
        """The run's state as the label right of the readout says it ("paused at step 2", "finished …")."""
        return self._status.text()

    def validation_key(self) -> pg.PlotDataItem | None:
        """The legend's "validation (per epoch)" key, while one is shown."""
        return self._validation_key

    def export_image(self, path: str | os.PathLike[str]) -> None:
        """Write the plots shown (the curves, or the gradients view) as PNG or SVG, chosen by the suffix;
        atomic. Raises :class:`RnnvizError`."""
        shown = self.gradients.graphics if self.gradients_shown() else self.graphics
        save_image(shown.ci, path, "the plots")

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``, pens ``theme.line_width`` wide, the theme's colours."""
        self._theme = theme
        scale = theme.font_scale
        body = scaled_font(self.font(), self._base_pt * scale)
        self.setFont(body)
        # Already large in presentation type: there a larger readout would take the curves' height.
        readout = scaled_font(body, self._base_pt * scale * (1.35 if scale < 1.2 else 1.05))
        self.readout.setFont(readout)
        self._status.setFont(readout)
        self.sample_box.apply_theme(theme, self._base_pt)
        self.readout.setStyleSheet(f"color: {theme.foreground};")
        self._status_error_color = theme.colors[1 % len(theme.colors)]
        self._set_status(self._status.text(), self._status.property("error") is True)

        self.graphics.setBackground(theme.background)
        self._label_pt = style_plots(self._plots, theme, self._base_pt, body)
        self._relabel_axes()
        self._restyle_runs()
        self._sync_legend_key(restyle=True)
        self.gradients.apply_theme(theme, self._base_pt)
        self._share_height()

    def state(self) -> dict[str, Any]:
        """The view's settings as plain data (not the curves)."""
        # A memory task's metric is offered only while a run has one: a saved session keeps the loss instead.
        metric = self.y_metric() if self.y_metric() != "val_metric" else "loss"
        return {"smoothing": self.smoothing(), "log_y": self.log_y(), "x_axis": self.x_axis(),
                "metric": metric, "probe": self.probe(), "gradients": self.gradients_shown()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Apply settings from :meth:`state`; unknown keys and bad values are ignored."""
        try:
            self.set_smoothing(float(state.get("smoothing", self.smoothing())))
        except (TypeError, ValueError):
            pass
        if "log_y" in state:
            self.set_log_y(bool(state["log_y"]))
        if state.get("x_axis") in X_AXES:
            self.set_x_axis(state["x_axis"])
        if state.get("metric") in METRICS:
            self.set_y_metric(state["metric"])
        if "gradients" in state:
            self.show_gradients(bool(state["gradients"]))
        if isinstance(state.get("probe"), str):
            self.set_probe(state["probe"])

    @property
    def plots(self) -> RunPlots:
        """The three plots: ``loss`` (or perplexity; its ``legend`` is the column right of the plots),
        ``grad_norm``, ``speed``."""
        return self._plots

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        # Layouts are attached to their parents before widgets go in, so that every
        # widget (the temporary QLabels too) is owned by Qt, not by a Python local.
        root = QVBoxLayout(self)
        self.controls = TrainingControls()
        root.addWidget(self.controls)
        readout_row = QHBoxLayout()
        root.addLayout(readout_row)
        # The widgets tests and scripts reach for, under their names of old.
        c = self.controls
        self.metric_combo, self.x_axis_combo, self.log_y_check = c.metric_combo, c.x_axis_combo, c.log_y_check
        self.smoothing_slider, self._smoothing_value = c.smoothing_slider, c.smoothing_value
        self.clear_button, self.gradients_check = c.clear_button, c.gradients_check

        # Wraps to two lines on a narrow projector rather than widening the window; steady, so
        # the plots below do not jump (and repaint) each time the text's length changes.
        self.readout = SteadyLabel("No run yet: start training to see the curves.")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._status = QLabel()
        self._status.setTextFormat(Qt.TextFormat.PlainText)
        self._status_error_color = "#D55E00"
        readout_row.addWidget(self.readout, 1)
        readout_row.addWidget(self._status)

        self._splitter = splitter = QSplitter(Qt.Orientation.Vertical)
        root.addWidget(splitter, 1)
        self._pages = QStackedWidget()  # the curves, or the gradients view
        splitter.addWidget(self._pages)
        self.graphics = pg.GraphicsLayoutWidget()
        self._pages.addWidget(self.graphics)
        self._pages.setMinimumHeight(240)
        self._plots = build_plots(self.graphics)
        self.gradients = GradientView()
        self._pages.addWidget(self.gradients)
        self._label_pt = self._base_pt * 1.1

        self.sample_box = SampleBox()
        splitter.addWidget(self.sample_box)
        # The widgets tests and scripts reach for, under their names of old.
        self.probe_label, self.probe_edit = self.sample_box.probe_label, self.sample_box.probe_edit
        self.samples_view = self.sample_box.samples_view
        self.sample_box.sig_probe_changed.connect(self.sig_probe_changed)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self._split_moved = False
        splitter.splitterMoved.connect(lambda *_: setattr(self, "_split_moved", True))

        self.metric_combo.currentIndexChanged.connect(self._on_metric_changed)
        self.x_axis_combo.currentIndexChanged.connect(self._on_x_axis_changed)
        self.log_y_check.toggled.connect(self._on_log_y_toggled)
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)
        self.clear_button.clicked.connect(self.clear_earlier_runs)
        self.gradients_check.toggled.connect(self._on_gradients_toggled)
        c.csv_action.triggered.connect(self._ask_export_csv)
        c.image_action.triggered.connect(self._ask_export_image)
        self._on_smoothing_changed(self.smoothing_slider.value())

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if not self._split_moved:
            self._share_height()

    def _share_height(self) -> None:
        """The curves are what the room reads: they get 70% of the height, 80% on a projector,
        until the user moves the splitter (the samples keep at least two lines)."""
        share = 0.8 if self._theme.font_scale > 1.2 else 0.7
        total = sum(self._splitter.sizes()) or 1000
        self._splitter.setSizes([round(total * share), total - round(total * share)])

    # ------------------------------------------------------------------ drawing

    def _current_run(self) -> RunCurves:
        if not self._runs:
            self.begin_run(f"run {self._run_count + 1}", "lm")
        return self._runs[-1]

    def _redraw_all(self) -> None:
        x_axis, metric = self.x_axis(), self.y_metric()
        for run in self._runs:
            run.redraw(x_axis, metric)
        for plot in all_plots(self._plots):
            plot.enableAutoRange()

    def _restyle_runs(self) -> None:
        colors = readable_colors(self._theme)
        for i, run in enumerate(self._runs):
            run.set_style(colors[run.color_index % len(colors)], self._theme.line_width,
                          current=i == len(self._runs) - 1, background=self._theme.background)
        if self._runs:
            self.gradients.set_color(colors[self._runs[-1].color_index % len(colors)])

    def _metric_name(self) -> str | None:
        """The metric of the newest run that has one."""
        return next((run.metric_name for run in reversed(self._runs) if run.metric_name), None)

    def _offer_metric(self) -> None:
        self.controls.offer_metric(self._metric_name())
        self._relabel_axes()

    def _sync_legend_key(self, restyle: bool = False) -> None:
        wanted = any(run.validation is not None for run in self._runs)
        self._validation_key = sync_validation_key(self._plots.loss.legend, wanted, self._validation_key,
                                                   self._theme, restyle)

    def _relabel_axes(self) -> None:
        metric = self.y_metric()
        if metric == "val_metric":
            metric = f"val_{self._metric_name()}"
        label_axes(self._plots, self.x_axis(), metric, self._label_pt, self._theme)

    def _update_readout(self, run: RunCurves, step: Step | None, epoch: EpochEnd | None) -> None:
        self.readout.setText(readout_text(run, step, epoch))

    def _set_status(self, text: str, error: bool) -> None:
        self._status.setText(text)
        self._status.setProperty("error", error)
        color = self._status_error_color if error else self._theme.muted
        sheet = f"color: {color};"
        if self._status.styleSheet() != sheet:  # not re-polished at every update for nothing
            self._status.setStyleSheet(sheet)

