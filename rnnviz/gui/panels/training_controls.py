"""The training panel's row of controls: what the plots show (loss, perplexity, a memory task's metric),
the x axis, log y, smoothing, the gradients view, and the buttons (clear runs, CSV, image).

Only widgets: :class:`rnnviz.gui.panels.training_view.TrainingView` connects them and keeps the state.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

SLIDER_STEPS = 1000  # slider value / 1000 = smoothing β, 0 … 0.999
#: The metric entry's text, by the model's metric name.
METRIC_LABELS = {"accuracy": "Val accuracy (%)", "mse": "Val MSE"}


class TrainingControls(QWidget):
    """The controls above the readout; short labels, so that in presentation type the row fits 1280 pixels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.metric_combo = QComboBox()
        self.metric_combo.addItem("Loss", "loss")
        self.metric_combo.addItem("Perplexity", "perplexity")
        self.metric_combo.setToolTip("Perplexity = exp(loss), the book's measure: 1 is perfect, "
                                     "the vocabulary size is uniform guessing. A memory task adds its "
                                     "validation accuracy (or mean squared error) per epoch.")
        self.x_axis_combo = QComboBox()
        self.x_axis_combo.addItem("Step", "step")
        self.x_axis_combo.addItem("Epoch", "epoch")
        self.x_axis_combo.addItem("Time (s)", "time")
        self.log_y_check = QCheckBox("Log y")
        self.log_y_check.setToolTip("Logarithmic y axis for the loss and the gradient norm.")
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, SLIDER_STEPS - 1)
        self.smoothing_slider.setMinimumWidth(120)
        self.smoothing_slider.setToolTip("Exponential moving average of the per-step train curve, "
                                         "debiased (divided by 1 − βᵗ) so the start is not pulled to 0. "
                                         "The raw curve stays faintly behind.")
        self.smoothing_value = QLabel()
        self.gradients_check = QCheckBox("Gradients")
        self.gradients_check.setToolTip("Show the gradient's norm before and after clipping, how often clipping "
                                         "acted and by how much, and each parameter group's norm.")
        self.clear_button = QPushButton("Clear runs")
        self.clear_button.setToolTip("Remove the curves of earlier runs; the current run stays.")
        self.csv_button = QPushButton("CSV…")
        self.csv_button.setToolTip("Export the curves' numbers as CSV.")
        self.image_button = QPushButton("Image…")
        self.image_button.setToolTip("Save the plots as PNG or SVG.")

        for text, widget in (("Show", self.metric_combo), ("x axis", self.x_axis_combo)):
            row.addWidget(QLabel(text))
            row.addWidget(widget)
            row.addSpacing(8)
        row.addWidget(self.log_y_check)
        row.addSpacing(8)
        row.addWidget(QLabel("Smoothing"))
        row.addWidget(self.smoothing_slider, 1)
        row.addWidget(self.smoothing_value)
        row.addSpacing(8)
        row.addWidget(self.gradients_check)
        row.addStretch(1)
        for button in (self.clear_button, self.csv_button, self.image_button):
            row.addWidget(button)

    def offer_metric(self, name: str | None) -> None:
        """Offer "Val accuracy (%)" / "Val MSE" in the Show list while a run has that metric (None: remove it)."""
        index = self.metric_combo.findData("val_metric")
        if name is None:
            if index >= 0:
                if self.metric_combo.currentIndex() == index:
                    self.metric_combo.setCurrentIndex(0)
                self.metric_combo.removeItem(index)
            return
        label = METRIC_LABELS.get(name, f"Val {name}")
        if index < 0:
            self.metric_combo.addItem(label, "val_metric")
        elif self.metric_combo.itemText(index) != label:
            self.metric_combo.setItemText(index, label)
