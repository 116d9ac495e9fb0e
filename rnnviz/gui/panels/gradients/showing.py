"""What the Gradients tab shows (a mixin of GradientsPanel): the part, layer, direction and loss row
chosen, the other runs overlaid, and drawing g[t] and G[s, t] with the sentence that reads them.

GradientsPanel holds the state these methods read (``_bundle``, ``_outcome``, ``_runs``, ``_row``,
``_theme``) and the widgets they fill (``controls``, ``plots``, ``readout``, ``message_label``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rnnviz.core.errors import RnnvizError
from rnnviz.gui.panels.gradients import lesson
from rnnviz.gui.panels.gradients.lesson import NO_MODEL
from rnnviz.gui.panels.gradients.overlays import sentence as _sentence
from rnnviz.gui.panels.gradients.plots import Curve, stack_curves
from rnnviz.gui.widgets.gate_heatmap import CURSOR_COLOR

if TYPE_CHECKING:
    from rnnviz.core.gradients import Gradients, StackGradients


class GradientsShowing:
    """GradientsPanel's "what is shown" API and its drawing."""

    def result(self) -> Gradients | None:
        """The current model's gradients on screen, or None."""
        return None if self._outcome is None else self._outcome.result


    def message(self) -> str:
        """Why there is nothing to show (the refusal), else the notices."""
        shown = (self.controls.refusal, self.message_label)
        return "\n".join(label.text() for label in shown if label.isVisibleTo(self) and label.text())


    def readout_text(self) -> str:
        return self.readout.text()


    def part(self) -> str:
        return self.controls.part() or (self.result().stack.part if self.result() is not None else "lm")


    def set_part(self, part: str) -> None:
        index = self.controls.part_combo.findData(part)
        if index < 0:
            raise ValueError(f"this result has no part {part!r}.")
        self.controls.part_combo.setCurrentIndex(index)


    def layer(self) -> int:
        """The layer the map shows, from 1."""
        return self.controls.layer()


    def set_layer(self, layer: int) -> None:
        if not 1 <= layer <= self.controls.layer_combo.count():
            raise ValueError(f"layer must be 1…{self.controls.layer_combo.count()}, not {layer}.")
        self.controls.layer_combo.setCurrentIndex(layer - 1)


    def direction(self) -> str:
        return self.controls.direction()


    def set_direction(self, direction: str) -> None:
        if direction == "backward" and not self.controls.direction_combo.isEnabled():
            raise ValueError("this layer has no backward direction.")
        self.controls.direction_combo.setCurrentIndex(self.controls.direction_combo.findData(direction))


    def row(self) -> int:
        """The loss row chosen, from 0 (the last when none was picked)."""
        rows = self.plots.values.shape[0]
        return min(self._row, rows - 1) if self._row is not None and rows else max(rows - 1, 0)


    def set_row(self, row: int) -> None:
        """Choose loss row ``row`` (from 0, clamped): the map outlines it and the plot draws it."""
        rows = self.plots.values.shape[0]
        if not rows:
            return
        self._row = min(max(int(row), 0), rows - 1)
        self._refresh()


    def next_row(self) -> None:
        self.set_row(self.row() + 1)


    def previous_row(self) -> None:
        self.set_row(self.row() - 1)


    def overlays(self) -> list[str]:
        """The labels of the other runs whose g is drawn now."""
        labels = self._runs.labels()
        return [c.label for c in self.plots.curves() if c.label in labels]


    def set_overlay_shown(self, label: str, shown: bool) -> None:
        self._runs.set_shown(label, shown)
        self._fill_overlay_menu()
        self.compute()


    def forget_overlays(self) -> None:
        """Forget every run but the one shown: no overlay remains."""
        self._runs.forget_all_but(self._bundle)
        self._fill_overlay_menu()
        self._refresh()


    def _need_result(self) -> Gradients:
        result = self.result()
        if result is None:
            reason = self.controls.refusal.text() or ("" if self._bundle is not None else NO_MODEL)
            raise RnnvizError("Nothing to export yet: " + (reason or "compute the gradients first."))
        return result


    def _stack(self) -> StackGradients | None:
        result = self.result()
        if result is None:
            return None
        return result.encoder if self.controls.part() == "encoder" and result.encoder is not None else result.stack


    def _show(self) -> None:
        if self._bundle is None:
            self.controls.show_refusal("")
            self.message_label.setText(NO_MODEL)
            self.message_label.setVisible(True)
            self.readout.setText(" ")
            self.plots.clear_plots()
            return
        self._refresh()


    def _refresh(self) -> None:
        if self._updating:
            return
        stack = self._stack()
        if stack is None:
            self.plots.clear_plots()
            self.readout.setText(" ")
            self.message_label.setVisible(False)
            return
        result = self.result()
        assert result is not None and self._outcome is not None
        if self.controls.layer_combo.count() != stack.num_layers:  # the encoder and decoder may differ
            self.controls.set_layers(stack.num_layers, stack.num_directions > 1)
        layer = min(self.layer(), stack.num_layers)
        direction = self.direction() if stack.num_directions > 1 else "forward"
        chosen = stack.get(layer, direction)
        drawn, notes = self._runs.curves(self._bundle, self.request(), stack, layer)
        lstm = stack.cell_variant == "lstm" and self.controls.cell_check.isChecked()
        curves = stack_curves(stack, chosen, self._theme, lstm, drawn)
        values = chosen.G
        rows = result.stack.inputs
        row = self.row() if values is not None else None
        if values is not None and row is not None and self._row is not None and row != values.shape[0] - 1:
            curves.append(Curve(f"row {row + 1}: ℓ_{row + 1} back through time", values[row], CURSOR_COLOR,
                                width=1.4))
        loss = "L" if stack.part == "encoder" else f"ℓ_{int(np.flatnonzero(np.isfinite(result.losses))[-1]) + 1}"
        what = f"layer {layer}" + (f" {direction}" if stack.num_directions > 1 else "")
        self.plots.show_gradients(curves, values, stack.inputs, rows, row,
                                  (f"g[t] = ‖∂{loss}/∂H_t‖ (log scale)",
                                   f"G[s, t] = ‖∂ℓ_s/∂H_t‖, {what} (log colours; rows: loss s)"))
        sentence = lesson.full_readout(self._bundle, result, stack, chosen, layer, direction, drawn)
        self.readout.setText(sentence)
        lines = [_sentence(n) for n in result.notices]
        if self._outcome.greedy:
            lines.insert(0, "Reference: the model's own greedy translation (type another to score it instead).")
        lines += notes
        self.message_label.setText("\n".join(lines))
        self.message_label.setVisible(bool(lines))


    def _fill_overlay_menu(self) -> None:
        self._runs.fill_menu(self.controls.overlays_menu, self.controls.overlays_button, self._bundle,
                             self.set_overlay_shown, self.forget_overlays)
