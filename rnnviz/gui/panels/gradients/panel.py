"""The Gradients tab: how far back each loss reaches through the model, and how that differs by cell.

The public API and signals are listed in :mod:`rnnviz.gui.panels.gradients`; what is shown and
its drawing are in :mod:`rnnviz.gui.panels.gradients.showing`.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.gui.panels.gradients import exports
from rnnviz.gui.panels.gradients.lesson import DEFAULT_TEXTS, NO_PATH
from rnnviz.gui.panels.gradients.computing import Computer, GradientsRequest, Outcome
from rnnviz.gui.panels.gradients.controls import GradientsControls
from rnnviz.gui.panels.gradients.overlays import OverlayRuns, sentence as _sentence
from rnnviz.gui.panels.gradients.plots import GradientPlots
from rnnviz.gui.panels.gradients.showing import GradientsShowing
from rnnviz.gui.style import NORMAL, Theme, scaled_font
from rnnviz.gui.widgets.fold import FoldButton

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle

_DEFAULT_STATE: dict[str, Any] = {"text": "", "reference": "", "sequence": 0, "follow": True, "layer": 1,
                                  "direction": "forward", "part": "decoder", "cell": True}


class GradientsPanel(GradientsShowing, QWidget):
    """g[t] and G[s, t] of the current model, the other runs' g overlaid, a sentence with the lesson."""

    #: A one-line message for the main window's status bar.
    sig_status = Signal(str)
    #: A new result is on screen: the Gradients (None when the input could not be read).
    sig_result_ready = Signal(object)
    #: The user toggled "Follow training".
    sig_follow_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bundle: ModelBundle | None = None
        self._outcome: Outcome | None = None
        self._runs = OverlayRuns()  # this window's other models, whose g is overlaid
        self._row: int | None = None  # the loss row chosen (None: the last)
        self._allow_unknown_for: str | None = None  # the text whose unknown tokens may be read as <unk>
        self._theme = NORMAL
        base = QApplication.font().pointSizeF()
        self._base_pt = base if base > 0 else 10.0
        self._updating = False
        self._closed = False  # closing: the focus leaving a text box must not start work
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build()
        self._computer = Computer(self)
        self._computer.sig_busy.connect(self._show_busy)
        self._computer.sig_done.connect(self._apply)
        self._connect()
        self.restore_state(_DEFAULT_STATE)
        self.apply_theme(NORMAL)
        self._show()

    # ------------------------------------------------------------------ public API: model and input

    def set_bundle(self, bundle: ModelBundle | None) -> None:
        """Show ``bundle`` (an idle model or a training snapshot, never one training); None clears the tab.
        It becomes one of this window's runs, whose g the other models' plots can overlay."""
        self._bundle = bundle
        if bundle is None:
            self._computer.cancel()
            self._outcome = None
            self._show()
            return
        self._runs.remember(bundle)
        self._fill_overlay_menu()
        memory = bundle.task in MEMORY_TASKS
        count = int(bundle.data_config.num_val or 1) if memory else 0
        self._updating = True
        try:
            self.controls.set_kind(bundle.task if bundle.task in ("lm", "mt") else "memory", count)
            if not self.text().strip() or self.text() in DEFAULT_TEXTS.values():
                key = "mt" if bundle.task == "mt" else str(bundle.data_config.corpus or "")
                self._set_text(DEFAULT_TEXTS.get(key, DEFAULT_TEXTS["lm"]))
        finally:
            self._updating = False
        self.compute()

    def bundle(self) -> ModelBundle | None:
        return self._bundle

    def compute(self) -> None:
        """Compute again for the current model and input (off the GUI thread; the newest request wins)."""
        if self._updating or self._closed:
            return
        bundle = self._bundle
        if bundle is None:
            self._show()
            return
        request = self.request()
        self._computer.submit(bundle, request, self._runs.to_compute(bundle, request))

    def request(self) -> GradientsRequest:
        """What the model reads now."""
        text = self.text()
        return GradientsRequest(text, self.reference(), self.sequence(), self._allow_unknown_for == text)

    def set_text(self, text: str) -> None:
        """The text (a translation's source) to read; computes again. A translation's new source is scored
        on its own greedy translation until a reference is given."""
        if text != self.text() and self._bundle is not None and self._bundle.task == "mt":
            self.controls.reference_edit.setText("")
            self._last_reference = ""
        self._set_text(text)
        self.compute()

    def text(self) -> str:
        return self.controls.text_edit.text()

    def set_reference(self, text: str) -> None:
        """A translation's reference ("" = the model's own greedy translation); computes again."""
        self.controls.reference_edit.setText(text)
        self._last_reference = text
        self.compute()

    def reference(self) -> str:
        return self.controls.reference_edit.text()

    def set_sequence(self, index: int) -> None:
        """A memory task's model: read validation sequence ``index`` (from 0)."""
        self.controls.sequence_spin.setValue(int(index) + 1)

    def sequence(self) -> int:
        return self.controls.sequence_spin.value() - 1

    def allow_unknown(self) -> None:
        """Read the tokens the vocabulary lacks as <unk> (for this text), and compute again."""
        self._allow_unknown_for = self.text()
        self.compute()

    def follow_training(self) -> bool:
        return self.controls.follow_check.isChecked()

    def set_follow_training(self, on: bool) -> None:
        self.controls.follow_check.setChecked(bool(on))

    def is_busy(self) -> bool:
        return self._computer.is_busy()

    # ------------------------------------------------------------------ exports, theme, state

    def export_npz(self, path: str | os.PathLike[str]) -> Path:
        return exports.export_npz(self._need_result(), path)

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        return exports.export_csv(self._need_result(), path)

    def export_image(self, path: str | os.PathLike[str]) -> Path:
        self._need_result()
        return exports.export_image(self.plots, path)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        body = scaled_font(self.font(), self._base_pt * theme.font_scale)
        self.setFont(body)
        self.readout.setFont(scaled_font(body, self._base_pt * theme.font_scale * 1.15))
        for label in (self.message_label, self.legend_line):
            label.setFont(body)
        self.message_label.setStyleSheet(
            f"QLabel {{ background: #fff4d6; color: {theme.foreground}; border: 1px solid #e6b84d; "
            f"border-radius: 4px; padding: {int(4 * theme.font_scale)}px; }}")
        self.plots.apply_theme(theme, self._base_pt)
        self.fold_button.set_folded(theme.font_scale > 1.2)  # on the projector the plots get the height
        self._refresh()

    def state(self) -> dict[str, Any]:
        wanted = getattr(self, "_wanted", {})  # restored choices not applied yet (no result to hold them)
        shown = self.controls.layer_combo.count() > 0
        return {"text": self.text(), "reference": self.reference(), "sequence": self.sequence(),
                "follow": self.follow_training(), "layer": self.layer() if shown else wanted.get("layer", 1),
                "direction": self.direction() if shown else wanted.get("direction", "forward"),
                "part": self.controls.part() or wanted.get("part", "decoder"),
                "cell": self.controls.cell_check.isChecked()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Apply settings from :meth:`state`; unknown keys and bad values are ignored. Computes once."""
        self._updating = True
        try:
            if isinstance(state.get("text"), str):
                self._set_text(state["text"])
            if isinstance(state.get("reference"), str):
                self.controls.reference_edit.setText(state["reference"])
            for key, box in (("follow", self.controls.follow_check), ("cell", self.controls.cell_check)):
                if isinstance(state.get(key), bool):
                    box.setChecked(state[key])
            if isinstance(state.get("sequence"), int) and state["sequence"] >= 0:
                self._wanted_sequence = state["sequence"]
                self.controls.sequence_spin.setValue(state["sequence"] + 1)
            self._wanted = {k: state[k] for k in ("layer", "direction", "part") if k in state}
        finally:
            self._updating = False
        self._last_reference = self.reference()
        self.compute()

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        self.controls = GradientsControls()
        root.addWidget(self.controls)
        fold_row = QHBoxLayout()
        self.fold_button = FoldButton(self.controls.view_box, self.controls.summary, "View")
        self.legend_line = QLabel(NO_PATH)
        self.legend_line.setWordWrap(True)
        self.legend_line.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        fold_row.addWidget(self.fold_button, 0, Qt.AlignmentFlag.AlignTop)
        fold_row.addWidget(self.legend_line, 1)
        root.addLayout(fold_row)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root.addWidget(self.message_label)
        self.readout = QLabel(" ")
        self.readout.setWordWrap(True)
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        root.addWidget(self.readout)
        self.plots = GradientPlots()
        root.addWidget(self.plots, 1)
        self.text_edit, self.reference_edit = self.controls.text_edit, self.controls.reference_edit
        self.sequence_spin, self.follow_check = self.controls.sequence_spin, self.controls.follow_check

    def _connect(self) -> None:
        c = self.controls
        c.text_edit.editingFinished.connect(self._on_text_edited)
        c.reference_edit.editingFinished.connect(self._on_reference_edited)
        c.compute_button.clicked.connect(self.compute)
        c.sequence_spin.valueChanged.connect(lambda _: self.compute())
        c.unknown_button.clicked.connect(self.allow_unknown)
        c.follow_check.toggled.connect(lambda on: None if self._updating else self.sig_follow_changed.emit(on))
        c.sig_view_changed.connect(self._on_view_changed)
        self.plots.sig_row_clicked.connect(self._on_row_clicked)
        exports.fill_export_menu(c.export_menu, self, self.export_npz, self.export_csv, self.export_image,
                                 self.sig_status.emit)

    def _set_text(self, text: str) -> None:
        self._last_text = text
        if self.controls.text_edit.text() != text:
            self.controls.text_edit.setText(text)
            self.controls.text_edit.setCursorPosition(0)

    # ------------------------------------------------------------------ reactions

    def _on_text_edited(self) -> None:
        if self.text() != getattr(self, "_last_text", None):
            self._last_text = self.text()
            if self._bundle is not None and self._bundle.task == "mt":
                self.controls.reference_edit.setText("")  # a new sentence: its own greedy translation
                self._last_reference = ""
            self.compute()

    def _on_reference_edited(self) -> None:
        if self.reference() != getattr(self, "_last_reference", None):
            self._last_reference = self.reference()
            self.compute()

    def _on_view_changed(self) -> None:
        self._refresh()
        self.fold_button.refresh()

    def _on_row_clicked(self, row: int) -> None:
        self.set_row(row)
        self.setFocus(Qt.FocusReason.MouseFocusReason)  # the arrows move the row right after a click

    def _show_busy(self, busy: bool) -> None:
        self.controls.compute_button.setText("Computing…" if busy else "Compute")

    def _apply(self, outcome: Outcome) -> None:
        if outcome.bundle is not self._bundle:
            return  # a model replaced meanwhile: its own request is on its way
        self._runs.keep(outcome.overlays, outcome.request)
        if outcome.result is None:
            self._outcome = replace(outcome, overlays=())
            field = self.controls.reference_edit if "reference" in outcome.error.lower() and \
                outcome.bundle.task == "mt" and "sentence has" not in outcome.error else self.controls.text_edit
            self.controls.show_refusal(_sentence(outcome.error), outcome.unknown, field)
            self.sig_status.emit(_sentence(outcome.error))
        else:
            if outcome.greedy and not self.reference():
                self.controls.reference_edit.setText(outcome.reference)
                self._last_reference = outcome.reference
            first = self._outcome is None or self._outcome.result is None or \
                self._outcome.result.tokens != outcome.result.tokens
            self._outcome = outcome
            if first:
                self._row = None
            self.controls.show_refusal("")
            result = outcome.result
            stack = result.stack
            parts = ("decoder", "encoder") if result.encoder is not None else (stack.part,)
            self.controls.set_parts(parts, stack.num_layers, stack.num_directions > 1, stack.cell_variant == "lstm")
            self._apply_wanted()
            self.sig_status.emit(f"Gradients through time: {stack.steps} steps in {outcome.seconds * 1000:.0f} ms.")
        self._show()
        self.sig_result_ready.emit(self.result())

    def _apply_wanted(self) -> None:
        wanted, self._wanted = getattr(self, "_wanted", {}), {}
        for key, setter in (("part", self.set_part), ("layer", self.set_layer), ("direction", self.set_direction)):
            if key in wanted:
                try:
                    setter(wanted[key])
                except (ValueError, TypeError):
                    pass

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        self._closed = True
        self._computer.cancel()
        super().closeEvent(event)

    # ------------------------------------------------------------------ keys

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """→ / PageDown, ← / PageUp move the loss row when the keys reach the tab itself (the window's
        lecture keys do the same wherever the focus is)."""
        moves = {Qt.Key.Key_Right: self.next_row, Qt.Key.Key_PageDown: self.next_row,
                 Qt.Key.Key_Left: self.previous_row, Qt.Key.Key_PageUp: self.previous_row}
        action = moves.get(Qt.Key(event.key()))
        if action is not None and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            action()
            event.accept()
            return
        super().keyPressEvent(event)

