"""The Training tab's settings and its reactions to its controls (a room of :mod:`training_view`).

:class:`TrainingSettings` is mixed into :class:`~rnnviz.gui.panels.training_view.TrainingView`:
its state (the controls, the runs, the plots) stays on the view; these methods read and set the
controls (smoothing, log y, x axis, the metric shown, the gradients view) and redraw when they change.
"""

from __future__ import annotations

from typing import Any

from rnnviz.gui.panels.training_controls import SLIDER_STEPS as _SLIDER_STEPS
from rnnviz.gui.widgets.curves import METRICS, X_AXES, RunCurves
from rnnviz.gui.widgets.image_export import IMAGE_FILTERS, ask_and_export


class TrainingSettings:
    """Settings of the Training tab, also driven by its controls; the view supplies the widgets."""

    smoothing_slider: Any
    log_y_check: Any
    x_axis_combo: Any
    metric_combo: Any
    gradients_check: Any
    controls: Any
    gradients: Any
    graphics: Any
    _runs: list[RunCurves]
    _plots: Any
    _pages: Any
    _theme: Any
    _base_pt: float
    _smoothing_value: Any

    # ---- settings, also driven by the controls ----

    def smoothing(self) -> float:
        return self.smoothing_slider.value() / _SLIDER_STEPS

    def set_smoothing(self, beta: float) -> None:
        """β of the debiased EMA of the per-step train curve, clamped to 0 … 0.999."""
        self.smoothing_slider.setValue(round(min(max(beta, 0.0), 0.999) * _SLIDER_STEPS))

    def log_y(self) -> bool:
        return self.log_y_check.isChecked()

    def set_log_y(self, on: bool) -> None:
        self.log_y_check.setChecked(on)

    def x_axis(self) -> str:
        return str(self.x_axis_combo.currentData())

    def set_x_axis(self, mode: str) -> None:
        """"step", "epoch" (fractional: epoch − 1 + batch/batches) or "time" (elapsed seconds)."""
        if mode not in X_AXES:
            raise ValueError(f"x axis must be one of {X_AXES}, got {mode!r}")
        self.x_axis_combo.setCurrentIndex(self.x_axis_combo.findData(mode))

    def y_metric(self) -> str:
        return str(self.metric_combo.currentData())

    def set_y_metric(self, metric: str) -> None:
        """"loss" (cross-entropy), "perplexity" (the book's measure, exp of the loss) or "val_metric"
        (a memory task's validation accuracy in %, or its mean squared error; offered once a run has one)."""
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        if self.metric_combo.findData(metric) < 0:  # no run measures one (yet): offered under a plain name
            self.controls.offer_metric(self._metric_name() or "metric")
        self.metric_combo.setCurrentIndex(self.metric_combo.findData(metric))

    def gradients_shown(self) -> bool:
        """True while the gradients view (clipping, the groups' norms) replaces the curves."""
        return self.gradients_check.isChecked()

    def show_gradients(self, on: bool) -> None:
        self.gradients_check.setChecked(on)

    def clear_earlier_runs(self) -> None:
        """Remove every run but the current one."""
        for run in self._runs[:-1]:
            run.detach()
        del self._runs[:-1]
        self._restyle_runs()
        self._sync_legend_key()
        self._offer_metric()

    def run_curves(self) -> list[RunCurves]:
        """The runs' data and plot items, oldest first (for tests and the main window's status)."""
        return list(self._runs)

    # ------------------------------------------------------------------ reactions

    def _on_metric_changed(self) -> None:
        self._relabel_axes()
        self._redraw_all()

    def _on_x_axis_changed(self) -> None:
        self.gradients.set_x_axis(self.x_axis())
        self.gradients.apply_theme(self._theme, self._base_pt)  # its x title
        self._relabel_axes()
        self._redraw_all()
        if self.gradients_shown():
            self.gradients.redraw()

    def _on_gradients_toggled(self, on: bool) -> None:
        self._pages.setCurrentWidget(self.gradients if on else self.graphics)
        if on:
            self.gradients.redraw()

    def _on_log_y_toggled(self, on: bool) -> None:
        self._plots.loss.setLogMode(x=False, y=on)
        self._plots.grad_norm.setLogMode(x=False, y=on)
        self._plots.loss.enableAutoRange(y=True)
        self._plots.grad_norm.enableAutoRange(y=True)
        self.gradients.set_log_y(on)

    def _on_smoothing_changed(self, value: int) -> None:
        beta = value / _SLIDER_STEPS
        self._smoothing_value.setText(f"{beta:.3f}")
        for run in self._runs:
            if run.smoothing != beta:
                run.set_smoothing(beta)
        self._redraw_all()

    def _ask_export_csv(self) -> None:
        ask_and_export(self, "Export the curves as CSV", "training.csv", "CSV (*.csv)", self.export_csv)

    def _ask_export_image(self) -> None:
        ask_and_export(self, "Save the plots", "training.png", IMAGE_FILTERS, self.export_image)
