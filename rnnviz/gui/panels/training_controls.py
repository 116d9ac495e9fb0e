"""The training panel's controls: what the plots show (loss, perplexity, a memory task's metric), the x axis,
log y, the gradients view, smoothing, and the buttons (clear runs; Export: CSV, image).

They sit in one row where the width allows and wrap onto two rows where it does not (a 1280-wide
projector with a dock open, presentation type): first what the plots show, then smoothing and the
buttons. Nothing is cut off and the tab never scrolls sideways for them.

Only widgets: :class:`rnnviz.gui.panels.training_view.TrainingView` connects them and keeps the state.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QMenu, QPushButton, QSlider,
                               QToolButton, QVBoxLayout, QWidget)

SLIDER_STEPS = 1000  # slider value / 1000 = smoothing β, 0 … 0.999
#: The metric entry's text, by the model's metric name.
METRIC_LABELS = {"accuracy": "Val accuracy (%)", "mse": "Val MSE"}
_GAP = 8  # between two controls of a row


class WholeCombo(QComboBox):
    """A combo box never narrower than its longest entry: Qt keeps a stale minimum after an entry is added."""

    def __init__(self) -> None:
        super().__init__()
        # As wide as its longest entry, also one added later ("Val accuracy (%)") and in presentation type.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self.sizeHint()


def _group() -> tuple[QWidget, QHBoxLayout]:
    widget = QWidget()
    row = QHBoxLayout(widget)
    row.setContentsMargins(0, 0, 0, 0)
    return widget, row


class TrainingControls(QWidget):
    """The controls above the readout: one row when they fit, else two (``rows()``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric_combo = WholeCombo()
        self.metric_combo.addItem("Loss", "loss")
        self.metric_combo.addItem("Perplexity", "perplexity")
        self.metric_combo.setToolTip("Perplexity = exp(loss), the book's measure: 1 is perfect, "
                                     "the vocabulary size is uniform guessing. A memory task adds its "
                                     "validation accuracy (or mean squared error) per epoch.")
        self.x_axis_combo = WholeCombo()
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
        # One button for both exports, as in the Gates and Gradients tabs: the row keeps its width for the plots.
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save the curves' numbers as CSV, or the plots as PNG or SVG.")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_button.setMenu(self.export_menu)
        self.csv_action = self.export_menu.addAction("Curves as CSV…")
        self.image_action = self.export_menu.addAction("Image (PNG or SVG)…")

        # Two groups that never split: what the plots show, and smoothing with the buttons.
        self._view_group, view_row = _group()
        for text, widget in (("Show", self.metric_combo), ("x axis", self.x_axis_combo)):
            view_row.addWidget(QLabel(text))
            view_row.addWidget(widget)
            view_row.addSpacing(_GAP)
        view_row.addWidget(self.log_y_check)
        view_row.addSpacing(_GAP)
        view_row.addWidget(self.gradients_check)
        self._tools_group, tools_row = _group()
        tools_row.addWidget(QLabel("Smoothing"))
        tools_row.addWidget(self.smoothing_slider, 1)
        tools_row.addWidget(self.smoothing_value)
        tools_row.addSpacing(_GAP)
        tools_row.addWidget(self.clear_button)
        tools_row.addWidget(self.export_button)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        self._first, self._second = QHBoxLayout(), QHBoxLayout()
        column.addLayout(self._first)
        column.addLayout(self._second)
        self._first.addWidget(self._view_group)
        self._first.addSpacing(_GAP)
        self._first.addWidget(self._tools_group, 1)
        self._two_rows = False

    def rows(self) -> int:
        """1 when the controls stand in one row, 2 when they wrapped."""
        return 2 if self._two_rows else 1

    def one_row_width(self) -> int:
        """The least width that holds every control in one row."""
        return (self._view_group.minimumSizeHint().width() + _GAP + self._tools_group.minimumSizeHint().width())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        # As narrow as two rows allow, whatever the rows are now: the parent may then give less
        # than one row needs, and the controls wrap (resizeEvent).
        width = max(self._view_group.minimumSizeHint().width(), self._tools_group.minimumSizeHint().width())
        return QSize(width, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._arrange()

    def event(self, event: QEvent) -> bool:
        # A child's size changed (presentation type, a longer Show entry): the rows may have to change too.
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.FontChange):
            self._arrange()
        return super().event(event)

    def _arrange(self) -> None:
        two = self.width() < self.one_row_width()
        if two == self._two_rows:
            return
        self._two_rows = two
        for layout in (self._first, self._second):
            while layout.count():
                layout.takeAt(0)
        self._first.addWidget(self._view_group)
        if two:
            self._first.addStretch(1)
            self._second.addWidget(self._tools_group, 1)
        else:
            self._first.addSpacing(_GAP)
            self._first.addWidget(self._tools_group, 1)
        self.updateGeometry()

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
