"""The Gates panel's "Over time" tab: the step-through of one layer-direction.

:class:`TimeView` holds the time cursor and the chosen unit: the transport
(Prev / Play / Next, speed, unit), the text being read, the heatmaps beside
the bars and equations at the cursor. The panel tells it which layer to show
(``show_layer``) and forwards the keys (←/→, PageUp/PageDown, Home/End).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.data.display import display_token
from rnnviz.core.limits import PLAY_SPEED, UNIT_INDEX
from rnnviz.gui.panels.gates.controls import gate_title
from rnnviz.gui.style import Theme
from rnnviz.gui.widgets.heatmap_grid import HeatmapData, HeatmapGrid, HeatmapScroll
from rnnviz.gui.widgets.step_view import StepView
from rnnviz.gui.widgets.token_strip import TokenStrip

if TYPE_CHECKING:
    from rnnviz.core.introspect import DirectionTrace, GateTrace


class TimeView(QWidget):
    """Prev / Play / Next, speed and unit; the token strip; heatmaps beside the bars and equations."""

    #: The time cursor moved to this step.
    sig_step_changed = Signal(int)
    #: The chosen unit changed (−1: none).
    sig_unit_changed = Signal(int)
    #: A line about the heatmap cell under the mouse (" " when the mouse left).
    sig_readout = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._trace: GateTrace | None = None
        self._direction: DirectionTrace | None = None
        self._order = np.zeros(0, np.int64)
        self._step = 0
        self._unit: int | None = None
        self._build()
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._on_play_tick)
        self.speed_spin.valueChanged.connect(self._on_speed_changed)
        self.prev_button.clicked.connect(self.previous_step)
        self.next_button.clicked.connect(self.next_step)
        self.play_button.clicked.connect(lambda: self.pause() if self.is_playing() else self.play())
        self.unit_spin.valueChanged.connect(self._on_unit_spin)
        self.heatmaps.sig_hovered.connect(self._on_hovered)
        self.heatmaps.sig_left.connect(lambda: self.sig_readout.emit(" "))

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        transport = QHBoxLayout()
        layout.addLayout(transport)
        self.prev_button = QPushButton("◀ Prev")
        self.prev_button.setToolTip("One step back (← or Page Up)")
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Step through the text at the chosen speed; stops at the end")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("One step on (→ or Page Down)")
        self.speed_spin = QDoubleSpinBox()
        self.speed_spin.setRange(*PLAY_SPEED.spin_range())
        self.speed_spin.setToolTip(PLAY_SPEED.tip("How fast Play steps through the text."))
        self.speed_spin.setSingleStep(0.5)
        self.speed_spin.setDecimals(2)
        self.speed_spin.setSuffix(" steps/s")
        self.unit_spin = QSpinBox()
        self.unit_spin.setRange(*UNIT_INDEX.spin_range())  # -1: none; the trace's hidden size lowers the maximum
        self.unit_spin.setSpecialValueText("none")
        self.unit_spin.setToolTip("The unit whose equations are shown, from 0 to the hidden size - 1; or click "
                                  "a heatmap cell.")
        self.step_label = QLabel()
        self.step_label.setTextFormat(Qt.TextFormat.PlainText)
        for widget in (self.prev_button, self.play_button, self.next_button):
            widget.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click leaves the arrow keys to the panel
            transport.addWidget(widget)
        transport.addWidget(self.speed_spin)
        transport.addSpacing(8)
        unit_label = QLabel("Unit j")
        unit_label.setBuddy(self.unit_spin)
        transport.addWidget(unit_label)
        transport.addWidget(self.unit_spin)
        transport.addSpacing(12)
        self.predicted_label = QLabel()
        # A memory task's model: what each step must output ("·": no target), set by the panel; None otherwise.
        self.memory_targets: tuple[str, ...] | None = None
        self.predicted_label.setTextFormat(Qt.TextFormat.PlainText)
        self.predicted_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.predicted_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        transport.addWidget(self.predicted_label, 1)
        transport.addSpacing(12)
        transport.addWidget(self.step_label)

        self.token_strip = TokenStrip()
        self.token_strip.setToolTip("The text as the model reads it; the highlighted token is step t.")
        layout.addWidget(self.token_strip)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        layout.addWidget(self.splitter, 1)
        left = QWidget()
        self.splitter.addWidget(left)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2)
        self.heatmaps = HeatmapGrid()
        # Heatmaps too many for the height scroll rather than shrink below a readable height.
        self.heatmap_scroll = HeatmapScroll(self.heatmaps)
        left_layout.addWidget(self.heatmap_scroll, 1)
        self.axis_note = QLabel()  # says so when the time axis labels fewer tokens than it shows
        self.axis_note.setTextFormat(Qt.TextFormat.PlainText)
        self.axis_note.setWordWrap(True)
        self.axis_note.setVisible(False)
        left_layout.addWidget(self.axis_note)
        self.heatmaps.sig_note_changed.connect(self._on_axis_note)
        self.step_view = StepView()
        self.splitter.addWidget(self.step_view)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

    # ---- the cursor

    def step(self) -> int:
        return self._step

    def num_steps(self) -> int:
        return self._trace.num_steps if self._trace is not None else 0

    def set_step(self, step: int) -> None:
        """Move the time cursor (clamped to the trace)."""
        step = min(max(int(step), 0), max(0, self.num_steps() - 1))
        changed = step != self._step
        self._step = step
        self._show_step()
        if changed:
            self.sig_step_changed.emit(step)

    def next_step(self) -> None:
        self.set_step(self._step + 1)

    def previous_step(self) -> None:
        self.set_step(self._step - 1)

    def unit(self) -> int | None:
        """The unit whose equations are shown (its index in the layer), or None."""
        return self._unit

    def set_unit(self, unit: int | None) -> None:
        if unit is not None and unit < 0:
            unit = None
        if unit is not None and self._direction is not None and unit >= self._direction.hidden_size:
            raise ValueError(f"unit must be 0…{self._direction.hidden_size - 1}, not {unit}.")
        changed = unit != self._unit
        self._unit = unit
        self._show_unit()
        if changed:
            self.sig_unit_changed.emit(-1 if unit is None else unit)

    def unit_order(self) -> np.ndarray:
        """The units the heatmaps show, top row first."""
        return self._order.copy()

    def click_cell(self, step: int, row: int) -> None:
        """A click on a heatmap cell: its unit's equations, at its step."""
        if row < len(self._order):
            self.set_unit(int(self._order[row]))
        self.set_step(step)

    # ---- playing

    def play(self) -> None:
        """Step forward at the chosen speed until the end (from the start if already there)."""
        if self.num_steps() <= 1:
            return
        if self._step >= self.num_steps() - 1:
            self.set_step(0)
        self._play_timer.start(max(1, round(1000 / self.speed_spin.value())))
        self.play_button.setText("⏸ Pause")

    def pause(self) -> None:
        self._play_timer.stop()
        self.play_button.setText("▶ Play")

    def is_playing(self) -> bool:
        return self._play_timer.isActive()

    def _on_speed_changed(self, value: float) -> None:
        if self.is_playing():
            self._play_timer.setInterval(max(1, round(1000 / value)))

    def _on_play_tick(self) -> None:
        if self._step >= self.num_steps() - 1:
            self.pause()
            return
        self.next_step()
        if self._step >= self.num_steps() - 1:
            self.pause()  # stop on the last step, not one tick later

    # ---- drawing

    def show_layer(self, items: Sequence[HeatmapData], order: np.ndarray, direction: DirectionTrace,
                   trace: GateTrace, pick_unit: bool) -> None:
        """Heatmaps, bars and equations of one layer-direction, units in ``order``.

        The cursor stays where it was (clamped to the new trace); so does the unit while the
        layer has it. ``pick_unit``: without a unit, choose the top row's (equations from the start).
        """
        self._trace, self._direction, self._order = trace, direction, order
        self._step = min(self._step, trace.num_steps - 1)  # before the views index the new trace with it
        self.set_enabled(True)
        self.heatmaps.set_heatmaps(items, [display_token(t) for t in trace.tokens], order.tolist())
        self.step_view.set_context(items, order, direction, trace.cell_variant, trace.variant_description,
                                   trace.tokens)
        self.token_strip.set_tokens(trace.tokens)
        self.unit_spin.setMaximum(direction.hidden_size - 1)
        if self._unit is not None and self._unit >= direction.hidden_size:
            self._unit = None
        if self._unit is None and len(order) and pick_unit:
            self._unit = int(order[0])
            self.sig_unit_changed.emit(self._unit)
        self._show_step()
        self._show_unit()

    def _show_step(self) -> None:
        trace, t = self._trace, self._step
        if trace is None:
            return
        self.heatmaps.set_step(t)
        self.step_view.set_step(t)
        self.token_strip.set_step(t)
        self.step_label.setText(f"t = {t} / {trace.num_steps - 1}")
        token = display_token(trace.tokens[t])
        if trace.predicted:
            targets = self.memory_targets
            verb = "outputs" if trace.part == "decoder" or targets is not None else "predicts next"
            text = f"reads “{token}”  →  {verb} “{display_token(trace.predicted[t])}”"
            if targets is not None and t < len(targets):
                text += "  (no target here)" if targets[t] == "·" else f"  (target “{targets[t]}”)"
            self.predicted_label.setText(text)
        else:
            self.predicted_label.setText(f"reads “{token}”")
        self.prev_button.setEnabled(t > 0)
        self.next_button.setEnabled(t < trace.num_steps - 1)

    def _show_unit(self) -> None:
        row = None
        if self._unit is not None:
            hits = np.flatnonzero(self._order == self._unit)
            row = int(hits[0]) if hits.size else None
        self.heatmaps.set_unit_row(row)
        self.step_view.set_unit(self._unit)
        blocked = self.unit_spin.blockSignals(True)
        self.unit_spin.setValue(-1 if self._unit is None else self._unit)
        self.unit_spin.blockSignals(blocked)

    def _on_unit_spin(self, value: int) -> None:
        if self._direction is not None and value >= self._direction.hidden_size:
            self.unit_spin.setValue(self._direction.hidden_size - 1)
            return
        self.set_unit(None if value < 0 else value)

    def _on_hovered(self, name: str, step: int, row: int) -> None:
        heatmap = self.heatmaps.heatmaps.get(name)
        trace = self._trace
        if trace is None or heatmap is None or row >= len(self._order):
            return
        value = float(heatmap.displayed()[step, row])
        self.sig_readout.emit(f"{gate_title(name, trace.cell_variant)}  ·  step {step} "
                              f"“{display_token(trace.tokens[step])}”  ·  unit {int(self._order[row])}  ·  "
                              f"{value:.4f}")

    def _on_axis_note(self, note: str) -> None:
        self.axis_note.setText(f"Time axis: {note}." if note else "")
        self.axis_note.setVisible(bool(note))

    def clear(self) -> None:
        self._trace, self._direction, self._order = None, None, np.zeros(0, np.int64)
        self.heatmaps.clear_heatmaps()
        self.step_view.clear()
        self.token_strip.set_tokens(())
        self.predicted_label.setText("")
        self.step_label.setText("")
        self.set_enabled(False)

    def set_enabled(self, on: bool) -> None:
        """Without a trace there is nothing to step through or choose."""
        for widget in (self.prev_button, self.play_button, self.next_button, self.unit_spin):
            widget.setEnabled(on)

    def apply_theme(self, theme: Theme, base_pt: float, body: QFont) -> None:
        scale = theme.font_scale
        strip = QFont(body)
        strip.setPointSizeF(base_pt * scale * 1.6)  # the text being read: the biggest thing on screen
        self.token_strip.setFont(strip)
        self.step_label.setFont(strip)
        readout = QFont(body)
        readout.setPointSizeF(base_pt * scale * 1.15)
        self.predicted_label.setFont(readout)
        self.token_strip.set_colors("#ff00ff", "#ffffff", theme.muted)
        self.predicted_label.setStyleSheet(f"color: {theme.foreground};")
        note = QFont(body)
        note.setPointSizeF(base_pt * scale * 0.9)
        self.axis_note.setFont(note)
        self.axis_note.setStyleSheet(f"color: {theme.muted};")
        self.heatmaps.apply_theme(theme, base_pt)
        self.step_view.apply_theme(theme, base_pt)
        # On a projector the equations need the width more than the heatmaps need their detail.
        share = 0.5 if scale > 1.2 else 0.6
        total = max(self.splitter.width(), 1000)
        self.splitter.setSizes([int(total * share), int(total * (1 - share))])
