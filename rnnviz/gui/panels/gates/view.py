"""What the Gates tab shows of a trace: the controls, the time view, the saturation view, the messages.

:class:`GatesView` is the display half of the panel: it lays out the parts,
answers the viewing API (part, layer, direction, sort, units, step, unit,
play) and redraws them for the traces it holds. :class:`~.panel.GatesPanel`
adds the model, the probe, tracing, exports and the saved state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QSizePolicy, QTabWidget, QVBoxLayout, QWidget

from rnnviz.gui.panels.gates.controls import GatesControls, gate_title, order_units
from rnnviz.gui.panels.gates.saturation_view import SaturationView
from rnnviz.gui.panels.gates.time_view import TimeView
from rnnviz.gui.style import NORMAL, Theme, scaled_font
from rnnviz.gui.widgets.heatmap_grid import HeatmapData

if TYPE_CHECKING:
    from rnnviz.core.introspect import DirectionTrace, GateTrace


class GatesView(QWidget):
    """Heatmaps, bars and equations, and the saturation plot of the traces it is given.

    A base for :class:`~.panel.GatesPanel`, which themes it and fills it; not a widget on its own.
    """

    #: The time cursor moved to this step.
    sig_step_changed = Signal(int)
    #: The chosen unit changed (−1: none).
    sig_unit_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._epoch: int | None = None  # the training epoch of the model shown (None: not a snapshot)
        self._traces: tuple[GateTrace, ...] = ()
        self._probe_error = ""
        self._saturation: dict[str, list[GateTrace]] | None = None
        self._saturation_error = ""
        self._saturation_notices: tuple[str, ...] = ()
        self._filter_error = ""
        self._wanted: dict[str, Any] = {}  # restored step and unit, applied once a trace holds them
        self._theme = NORMAL
        base = QApplication.font().pointSizeF()
        self._base_pt = base if base > 0 else 10.0
        self._updating = False  # True while a state is restored: the controls' signals must not redraw
        self._saturation_stale = False  # the plot waits to be drawn until its tab shows (or is asked for)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # clicking the panel gives it the arrow keys
        self._build()
        self._connect_view()
        self._install_shortcuts()

    def follow_training(self) -> bool:
        """Whether the main window should send a snapshot each epoch while training."""
        return self.follow_check.isChecked()

    def trace(self, part: str | None = None) -> GateTrace | None:
        """The displayed part's trace, or ``part``'s ("lm", "encoder", "decoder"); None without one."""
        part = part or self.part()
        return next((trace for trace in self._traces if trace.part == part), None)

    def traces(self) -> tuple[GateTrace, ...]:
        """Every part of the current trace: (lm,) or (encoder, decoder); () without one."""
        return self._traces

    def message(self) -> str:
        """The text of the panel's message box: why there is no trace, and the trace's notices."""
        return self.message_label.text()

    # ------------------------------------------------------------------ viewing

    def part(self) -> str:
        return self.controls.part()

    def set_part(self, part: str) -> None:
        self.controls.set_part(part)

    def layer(self) -> int:
        return self.controls.layer()

    def set_layer(self, layer: int) -> None:
        self.controls.set_layer(layer)

    def direction(self) -> str:
        return self.controls.direction()

    def set_direction(self, direction: str) -> None:
        self.controls.set_direction(direction)

    def sort(self) -> tuple[str, str]:
        """(mode, gate): mode "as-is", "mean" or "variance" (both descending), over ``gate``'s values."""
        return self.controls.sort()

    def set_sort(self, mode: str, gate: str | None = None) -> None:
        self.controls.set_sort(mode, gate)

    def top_n(self) -> int:
        """How many units are shown after sorting; 0 = all."""
        return self.controls.top_n()

    def set_top_n(self, n: int) -> None:
        self.controls.top_spin.setValue(max(0, int(n)))

    def unit_filter(self) -> str:
        return self.controls.unit_filter()

    def set_unit_filter(self, text: str) -> None:
        """Show only these units, e.g. "0-9, 17" ("" = all); a bad filter is ignored, with a message."""
        self.controls.filter_edit.setText(text)
        self._refresh_view()

    def unit_order(self) -> np.ndarray:
        """The units the heatmaps show, top row first (after filter, sort and top N)."""
        return self.time_view.unit_order()

    def step(self) -> int:
        return self.time_view.step()

    def num_steps(self) -> int:
        return self.time_view.num_steps()

    def set_step(self, step: int) -> None:
        """Move the time cursor (clamped to the trace)."""
        self.time_view.set_step(step)

    def next_step(self) -> None:
        self.time_view.next_step()

    def previous_step(self) -> None:
        self.time_view.previous_step()

    def unit(self) -> int | None:
        """The unit whose equations are shown (its index in the layer), or None."""
        return self.time_view.unit()

    def set_unit(self, unit: int | None) -> None:
        self.time_view.set_unit(unit)

    def play(self) -> None:
        """Step forward at ``speed()`` steps a second until the end (from the start if already there)."""
        self.time_view.play()

    def pause(self) -> None:
        self.time_view.pause()

    def is_playing(self) -> bool:
        return self.time_view.is_playing()

    def speed(self) -> float:
        """Steps a second while playing."""
        return self.time_view.speed_spin.value()

    def set_speed(self, steps_per_second: float) -> None:
        self.time_view.speed_spin.setValue(float(steps_per_second))

    def saturation(self) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
        """(gate, layer) -> (fraction low, fraction high) per unit, as the saturation plot shows them."""
        self._draw_saturation()
        return {(panel.name, s.layer): (s.left, s.right) for panel in self.saturation_plot.panels()
                for s in panel.series}

    def heatmap_images(self) -> dict[str, np.ndarray]:
        """Gate name -> the array each heatmap shows, (T, U) with U in ``unit_order()``."""
        return {name: heatmap.displayed() for name, heatmap in self.heatmaps.heatmaps.items()}

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``; the theme's colours and line widths in every plot."""
        self._theme = theme
        scale = theme.font_scale
        body = scaled_font(self.font(), self._base_pt * scale)
        self.setFont(body)
        readout = scaled_font(body, self._base_pt * scale * 1.15)
        self.readout.setFont(readout)
        self.message_label.setFont(body)  # a style sheet stops the font from being inherited
        self.message_label.setStyleSheet(
            f"QLabel {{ background: #fff4d6; color: {theme.foreground}; border: 1px solid #e6b84d; "
            f"border-radius: 4px; padding: {int(4 * scale)}px; }}")
        self.readout.setStyleSheet(f"color: {theme.foreground};")
        self.time_view.apply_theme(theme, self._base_pt, body)
        self.saturation_view.apply_theme(theme, self._base_pt, body)
        self._refresh_view()

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        self.controls = GatesControls()
        root.addWidget(self.controls)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root.addWidget(self.message_label)
        self.tabs = QTabWidget()
        root.addWidget(self.tabs, 1)
        self.time_view = self.time_tab = TimeView()
        self.tabs.addTab(self.time_view, "Over time")
        self.saturation_view = self.saturation_tab = SaturationView()
        self.tabs.addTab(self.saturation_view, "Saturation")
        self.readout = QLabel(" ")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.readout.setFrameShape(QFrame.Shape.NoFrame)
        root.addWidget(self.readout)
        # The widgets scripts, tests and the main window reach for, under their names of old.
        controls, time_view = self.controls, self.time_view
        self.probe_edit, self.follow_check, self.model_label = controls.probe_edit, controls.follow_check, \
            controls.model_label
        self.part_combo, self.direction_combo = controls.part_combo, controls.direction_combo
        self.heatmaps, self.step_view, self.token_strip = time_view.heatmaps, time_view.step_view, \
            time_view.token_strip
        self.prev_button, self.play_button, self.next_button = time_view.prev_button, time_view.play_button, \
            time_view.next_button
        self.predicted_label = time_view.predicted_label
        self.saturation_edit = self.saturation_view.text_edit
        self.saturation_plot, self.saturation_info = self.saturation_view.plot, self.saturation_view.info

    def _connect_view(self) -> None:
        self.controls.sig_view_changed.connect(self._refresh_view)
        self.time_view.sig_step_changed.connect(self.sig_step_changed)
        self.time_view.sig_unit_changed.connect(self._on_unit_changed)
        self.time_view.sig_readout.connect(self.readout.setText)
        self.heatmaps.sig_clicked.connect(self._on_clicked)
        self.saturation_plot.sig_hovered.connect(lambda text: self.readout.setText(text or " "))
        self.tabs.currentChanged.connect(self._on_inner_tab)

    def _keys(self) -> list[tuple[Qt.Key, Callable[[], None]]]:
        return [(Qt.Key.Key_Right, self.next_step), (Qt.Key.Key_Left, self.previous_step),
                (Qt.Key.Key_PageDown, self.next_step), (Qt.Key.Key_PageUp, self.previous_step),
                (Qt.Key.Key_Home, lambda: self.set_step(0)),
                (Qt.Key.Key_End, lambda: self.set_step(self.num_steps() - 1))]

    def _install_shortcuts(self) -> None:
        # WidgetWithChildrenShortcut: active while the focus is in the panel. Text fields keep
        # their own arrows (they claim them through ShortcutOverride).
        self._shortcuts = []
        for key, action in self._keys():
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
            self._shortcuts.append(shortcut)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """The same keys when they reach the panel itself (no active window, e.g. under a test)."""
        action = dict(self._keys()).get(Qt.Key(event.key()))
        if action is not None and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            action()
            event.accept()
            return
        super().keyPressEvent(event)

    def hideEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        self.pause()  # no timer ticking behind another tab
        super().hideEvent(event)

    # ------------------------------------------------------------------ drawing

    def _apply_wanted(self) -> None:
        """Layer, direction, step and unit from restore_state, once a trace is there to hold them."""
        if self.controls.apply_wanted():
            self._refresh_view()
        if "step" in self._wanted:
            self.set_step(self._wanted.pop("step"))
        if "unit" in self._wanted:
            unit = self._wanted.pop("unit")
            direction = self._direction_trace()
            if direction is not None and unit < direction.hidden_size:
                self.set_unit(unit)

    def _on_unit_changed(self, unit: int) -> None:
        self.saturation_plot.set_selected(self.layer() if unit >= 0 else None, unit if unit >= 0 else None)
        self.sig_unit_changed.emit(unit)

    def _on_clicked(self, name: str, step: int, row: int) -> None:
        self.time_view.click_cell(step, row)
        self.setFocus(Qt.FocusReason.MouseFocusReason)  # the arrows step through time right after a click

    def _direction_trace(self) -> DirectionTrace | None:
        trace = self.trace()
        if trace is None:
            return None
        layer = min(self.layer(), trace.num_layers - 1)
        try:
            return trace.direction(layer, self.direction())
        except KeyError:
            return trace.direction(layer, "forward")

    def _clear_view(self) -> None:
        self.time_view.clear()
        self.saturation_view.clear()
        self._saturation_stale = False
        self.controls.set_enabled(False)

    def _refresh_view(self) -> None:
        """Redraw heatmaps, bars and equations for the current trace and choices."""
        if self._updating:
            return
        trace, direction = self.trace(), self._direction_trace()
        if trace is None or direction is None:
            self._clear_view()
            self._show_model_label()
            return
        from rnnviz.core.introspect import VALUE_RANGES

        self.controls.set_enabled(True)
        self.controls.top_spin.setMaximum(direction.hidden_size)
        mode, gate = self.sort()
        order, self._filter_error = order_units(direction, self.unit_filter(), mode, gate, self.top_n())
        items = tuple(HeatmapData(name, gate_title(name, trace.cell_variant), direction.gates[name][:, order],
                                  VALUE_RANGES.get(name)) for name in trace.gate_names)
        self.time_view.show_layer(items, order, direction, trace, pick_unit="unit" not in self._wanted)
        self._refresh_saturation()
        self._show_model_label()
        self._show_messages()

    def _refresh_saturation(self) -> None:
        """Redraw the saturation plot once its tab is on screen, after the heatmaps (it costs the most)."""
        self._saturation_stale = True
        if self.tabs.currentWidget() is self.saturation_tab:
            QTimer.singleShot(0, self._draw_saturation)

    def _on_inner_tab(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.saturation_tab:
            self._draw_saturation()
        self._show_messages()

    def _draw_saturation(self) -> None:
        if not self._saturation_stale:
            return
        self._saturation_stale = False
        trace = self.trace()
        if trace is None:
            self.saturation_view.clear()
            return
        unit = self.unit()
        self.saturation_view.show_traces(trace, self._saturation, self.direction(),
                                         (self.layer() if unit is not None else None, unit))

    def _show_model_label(self) -> None:
        trace = self.trace()
        parts = []
        if trace is not None:
            parts.append(trace.variant_description.split(":")[0].split(" (")[0])
        if self._epoch is not None:
            parts.append(f"epoch {self._epoch}" + (" (following training)" if self.follow_training() else ""))
        self.model_label.setText("  ·  ".join(parts))
        if trace is not None:
            self.model_label.setToolTip(trace.variant_description)

    def _headline(self) -> str:
        """The first line of the message box: why there is no trace ("" when there is one)."""
        return self._probe_error

    def _show_messages(self) -> None:
        headline = self._headline()
        lines = [headline] if headline else []
        for trace in self._traces:
            prefix = f"{trace.part}: " if len(self._traces) > 1 else ""
            lines += [prefix + _sentence(n) for n in trace.notices]
        if self._filter_error:
            lines.append(self._filter_error)
        if self.tabs.currentWidget() is self.saturation_tab:
            if self._saturation_error:
                lines.append(self._saturation_error)
            lines += [_sentence(n) for n in self._saturation_notices]
        self.message_label.setText("\n".join(lines))
        self.message_label.setVisible(bool(lines))


def _sentence(text: str) -> str:
    """A core notice as a sentence: capitalised, ending with a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."
