"""The Gates panel's controls: the probe, and which part, layer, direction and units to show.

Two rows of widgets (:class:`GatesControls`) and the rules behind them, Qt-free:
how a gate is titled (:func:`gate_title`), how a unit filter reads
(:func:`parse_units`) and which units are shown in which order
(:func:`order_units`). The controls hold the choices of a view (part, layer,
direction, sort, top N, filter), keep them across traces where the new trace
has them, and say ``sig_view_changed`` when the user changed one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.limits import TOP_UNITS

if TYPE_CHECKING:
    from rnnviz.core.introspect import DirectionTrace, GateTrace

SORTS: tuple[str, ...] = ("as-is", "mean", "variance")
SORT_LABELS = {"as-is": "as is", "mean": "by mean", "variance": "by variance"}
PART_LABELS = {"lm": "language model", "encoder": "encoder", "decoder": "decoder"}
_TITLES = {"reset": "reset gate r", "update": "update gate z", "hidden": "hidden state h", "input": "input gate i",
           "forget": "forget gate f", "output": "output gate o", "cell": "memory cell c",
           "preactivation": "pre-activation pre"}
_CANDIDATE_TITLES = {"lstm": "input node g", "gru": "candidate n", "gru-book": "candidate n (book's H̃)",
                     "gru-reset": "candidate n = new state h", "gru-update": "candidate n (reads all of h)"}


def gate_title(name: str, cell: str) -> str:
    """A gate's name as the heatmaps title it, e.g. "update gate z"."""
    return _CANDIDATE_TITLES.get(cell, "candidate") if name == "candidate" else _TITLES.get(name, name)


def parse_units(text: str, hidden_size: int) -> np.ndarray:
    """Unit indices from "0-9, 17 42": ranges inclusive; ValueError on anything else.

    Indices at or past ``hidden_size`` are dropped; the order is ascending, without repeats.
    """
    chosen: set[int] = set()
    for piece in re.split(r"[,\s;]+", text.strip()):
        if not piece:
            continue
        match = re.fullmatch(r"(\d+)(?:\s*[-–:]\s*(\d+))?", piece)
        if match is None:
            raise ValueError(f"{piece!r} is not a unit number or a range like 3-7.")
        lo = int(match.group(1))
        hi = int(match.group(2)) if match.group(2) else lo
        if hi < lo:
            lo, hi = hi, lo
        chosen.update(range(lo, min(hi, hidden_size - 1) + 1))
    return np.array(sorted(chosen), dtype=np.int64)


def order_units(direction: DirectionTrace, unit_filter: str, mode: str, gate: str,
                top_n: int) -> tuple[np.ndarray, str]:
    """The units to show, top row first (filter, then sort, then top N), and why a filter was ignored."""
    H = direction.hidden_size
    units = np.arange(H, dtype=np.int64)
    error = ""
    text = unit_filter.strip()
    if text:
        try:
            units = parse_units(text, H)
        except ValueError as exc:
            error = f"Unit filter ignored: {exc}"
    if mode != "as-is" and len(units):
        values = direction.gates.get(gate, direction.hidden)[:, units].astype(np.float64)  # (T, U)
        key = values.mean(axis=0) if mode == "mean" else values.var(axis=0)
        units = units[np.argsort(-key, kind="stable")]  # highest first; ties keep unit order
    if top_n > 0:
        units = units[:top_n]
    return units, error


class GatesControls(QWidget):
    """The probe row (text, Trace, Follow training, the model's name, Export) and the view row."""

    #: The user changed the part, layer, direction, sort, top N or filter: redraw.
    sig_view_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._traces: tuple[GateTrace, ...] = ()
        self._wanted: dict[str, Any] = {}  # restored choices, applied once a trace holds them
        self._wanted_sort_gate = "hidden"
        self._quiet = False  # True while the combos are refilled: their signals are not the user's
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addLayout(self._build_probe_row())
        root.addLayout(self._build_view_row())
        self.part_combo.currentIndexChanged.connect(self._on_part_changed)
        for signal in (self.layer_combo.currentIndexChanged, self.direction_combo.currentIndexChanged,
                       self.sort_combo.currentIndexChanged, self.top_spin.valueChanged, self.filter_edit.textChanged):
            signal.connect(self._on_changed)
        self.sort_gate_combo.currentIndexChanged.connect(self._on_sort_gate_changed)

    def _build_probe_row(self) -> QHBoxLayout:
        probe_row = QHBoxLayout()
        probe_label = QLabel("Probe")
        self.probe_edit = QLineEdit()
        self.probe_edit.setPlaceholderText("a text for the model to read, e.g. time traveller")
        self.probe_edit.setClearButtonEnabled(True)
        probe_label.setBuddy(self.probe_edit)
        self.trace_button = QPushButton("Trace")
        self.trace_button.setToolTip("Trace the probe again (Enter in the probe box does the same).")
        self.follow_check = QCheckBox("Follow training")
        self.follow_check.setToolTip("Trace the model again after every epoch while it trains.")
        self.model_label = QLabel()
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)
        self.model_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_button.setMenu(self.export_menu)
        # A task that needs memory: the model reads one of its validation sequences, not a typed text.
        self.sequence_label = QLabel("Validation &sequence")
        self.sequence_spin = QSpinBox()
        self.sequence_spin.setToolTip("Which validation sequence the model reads (the first is 1); the same "
                                      "sequences every time, drawn from the task's seed. Up/Down or the arrows "
                                      "pick another.")
        self.sequence_label.setBuddy(self.sequence_spin)
        self.probe_label = probe_label
        probe_row.addWidget(probe_label)
        probe_row.addWidget(self.probe_edit, 3)
        probe_row.addWidget(self.sequence_label)
        probe_row.addWidget(self.sequence_spin)
        self.set_sequences(None)
        probe_row.addWidget(self.trace_button)
        probe_row.addWidget(self.follow_check)
        probe_row.addWidget(self.model_label, 2)
        probe_row.addWidget(self.export_button)
        return probe_row

    def _build_view_row(self) -> QHBoxLayout:
        view_row = QHBoxLayout()
        self.part_label = QLabel("Part")
        self.part_combo = QComboBox()
        self.part_combo.setToolTip("Translation: the encoder reading the source sentence, or the decoder "
                                   "reading its own translation (<bos>, y1, y2, …).")
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("Layer 1 (the bottom) reads the input; each layer above reads the one below "
                                    "(as the book numbers them, H^(1), H^(2); exported files count from 0).")
        self.direction_combo = QComboBox()
        self.direction_combo.addItem("forward →", "forward")
        self.direction_combo.addItem("backward ←", "backward")
        self.sort_combo = QComboBox()
        for mode in SORTS:
            self.sort_combo.addItem(SORT_LABELS[mode], mode)
        self.sort_combo.setToolTip("Order of the units (rows): as they are, or by their mean or variance over "
                                   "the steps, highest first, in the gate chosen beside.")
        self.sort_gate_combo = QComboBox()
        self.sort_gate_combo.setToolTip("The gate whose values order the units; every heatmap uses that order.")
        self.top_spin = QSpinBox()
        self.top_spin.setRange(*TOP_UNITS.spin_range())  # 0: all
        self.top_spin.setSpecialValueText("all")
        self.top_spin.setToolTip(TOP_UNITS.tip("Show only the first N units after sorting (all: every unit)."))
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("0-9, 17")
        self.filter_edit.setToolTip("Show only these units: numbers and ranges, e.g. 0-9, 17, 42.")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(self.filter_edit.fontMetrics().horizontalAdvance("0-9, 17, 42") + 30)
        for label, widget in ((self.part_label, self.part_combo), ("Layer", self.layer_combo),
                              ("Direction", self.direction_combo), ("Sort units", self.sort_combo),
                              ("by", self.sort_gate_combo), ("top", self.top_spin), ("only", self.filter_edit)):
            if isinstance(label, str):
                label = QLabel(label)
            label.setBuddy(widget)
            if isinstance(widget, QComboBox):
                widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            view_row.addWidget(label)
            view_row.addWidget(widget, 1 if widget is self.filter_edit else 0)
            view_row.addSpacing(4)
        view_row.addStretch(0)
        return view_row

    def set_sequences(self, count: int | None) -> None:
        """A memory task's model: pick one of ``count`` validation sequences instead of typing a probe
        (None: a language or translation model, the probe row as usual)."""
        memory = count is not None
        for widget in (self.probe_label, self.probe_edit):
            widget.setVisible(not memory)
        for widget in (self.sequence_label, self.sequence_spin):
            widget.setVisible(memory)
        if memory:
            self.sequence_spin.blockSignals(True)
            self.sequence_spin.setRange(1, max(1, int(count)))
            self.sequence_spin.setSuffix(f" of {int(count):,}")
            self.sequence_spin.blockSignals(False)

    def sequence(self) -> int:
        """The validation sequence chosen, counted from 0."""
        return self.sequence_spin.value() - 1

    # ---- the choices

    def part(self) -> str:
        """The part shown ("lm", "encoder", "decoder"); the first part of the trace when none is chosen."""
        data = self.part_combo.currentData()
        return str(data) if data else (self._traces[0].part if self._traces else "lm")

    def set_part(self, part: str) -> None:
        index = self.part_combo.findData(part)
        if index < 0:
            raise ValueError(f"this trace has no part {part!r}; it has "
                             f"{', '.join(t.part for t in self._traces) or 'none'}.")
        self.part_combo.setCurrentIndex(index)

    def trace(self) -> GateTrace | None:
        """The trace of the part shown."""
        part = self.part()
        return next((trace for trace in self._traces if trace.part == part), None)

    def layer(self) -> int:
        return max(0, self.layer_combo.currentIndex())

    def set_layer(self, layer: int) -> None:
        if not 0 <= layer < self.layer_combo.count():
            raise ValueError(f"layer must be 0…{self.layer_combo.count() - 1}, not {layer}.")
        self.layer_combo.setCurrentIndex(layer)

    def direction(self) -> str:
        return str(self.direction_combo.currentData() or "forward")

    def set_direction(self, direction: str) -> None:
        index = self.direction_combo.findData(direction)
        if index < 0 or not self.direction_combo.isEnabled() and direction != "forward":
            raise ValueError(f"this layer has no {direction!r} direction.")
        self.direction_combo.setCurrentIndex(index)

    def sort(self) -> tuple[str, str]:
        """(mode, gate): mode "as-is", "mean" or "variance" (both descending), over ``gate``'s values."""
        return str(self.sort_combo.currentData()), str(self.sort_gate_combo.currentData() or "hidden")

    def set_sort(self, mode: str, gate: str | None = None) -> None:
        if mode not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {mode!r}.")
        self._quiet = True
        try:
            self.sort_combo.setCurrentIndex(self.sort_combo.findData(mode))
            if gate is not None:
                index = self.sort_gate_combo.findData(gate)
                if index < 0:
                    raise ValueError(f"no gate {gate!r} to sort by.")
                self.sort_gate_combo.setCurrentIndex(index)
        finally:
            self._quiet = False
        self.sig_view_changed.emit()

    def top_n(self) -> int:
        """How many units are shown after sorting; 0 = all."""
        return self.top_spin.value()

    def unit_filter(self) -> str:
        return self.filter_edit.text()

    def restore(self, state: dict[str, Any]) -> None:
        """Sort, top N and filter now; part, layer and direction once a trace has them. Bad values ignored."""
        self._quiet = True
        try:
            if state.get("sort") in SORTS:
                self.sort_combo.setCurrentIndex(self.sort_combo.findData(state["sort"]))
            if isinstance(state.get("sort_gate"), str):
                self._wanted_sort_gate = state["sort_gate"]
                index = self.sort_gate_combo.findData(state["sort_gate"])
                if index >= 0:
                    self.sort_gate_combo.setCurrentIndex(index)
            if isinstance(state.get("top_n"), int):
                self.top_spin.setValue(max(0, state["top_n"]))
            if isinstance(state.get("unit_filter"), str):
                self.filter_edit.setText(state["unit_filter"])
            for key, kind in (("part", str), ("direction", str), ("layer", int)):
                if isinstance(state.get(key), kind) and not isinstance(state.get(key), bool):
                    self._wanted[key] = state[key]
        finally:
            self._quiet = False

    # ---- a new trace

    def set_traces(self, traces: tuple[GateTrace, ...]) -> None:
        """Parts, layers and gates of a new trace; the user's choices kept where they still exist."""
        self._traces = traces
        self._quiet = True
        try:
            part = self._wanted.pop("part", None) or str(self.part_combo.currentData() or "")
            self.part_combo.clear()
            for trace in traces:
                self.part_combo.addItem(PART_LABELS[trace.part], trace.part)
            index = self.part_combo.findData(part)
            self.part_combo.setCurrentIndex(index if index >= 0 else 0)
            translation = len(traces) > 1
            self.part_label.setVisible(translation)
            self.part_combo.setVisible(translation)
            self._fill_layers()
        finally:
            self._quiet = False

    def apply_wanted(self) -> bool:
        """A restored layer or direction, now that a trace is there; True when the view changed."""
        if "layer" not in self._wanted and "direction" not in self._wanted:
            return False
        self._fill_layers()
        return True

    def set_enabled(self, on: bool) -> None:
        """Without a trace there is no layer or gate to choose."""
        self.layer_combo.setEnabled(on)
        self.sort_gate_combo.setEnabled(on)
        if not on:
            self.direction_combo.setEnabled(False)
        else:
            trace = self.trace()
            self.direction_combo.setEnabled(trace is not None and trace.num_directions > 1)

    def _fill_layers(self) -> None:
        """Layers, directions and gates of the part shown; the wanted ones chosen where they exist."""
        trace = self.trace()
        was, self._quiet = self._quiet, True
        try:
            layer = self._wanted.pop("layer", None)
            if layer is None:
                layer = self.layer_combo.currentIndex()
            direction = self._wanted.pop("direction", None) or self.direction()
            gate = str(self.sort_gate_combo.currentData() or self._wanted_sort_gate)
            self.layer_combo.clear()
            if trace is not None:
                for k in range(trace.num_layers):
                    self.layer_combo.addItem(str(k + 1))  # the book counts layers from 1: H^(1)
                self.layer_combo.setCurrentIndex(min(max(layer, 0), trace.num_layers - 1))
            bidirectional = trace is not None and trace.num_directions > 1
            self.direction_combo.setEnabled(bidirectional)
            self.direction_combo.setCurrentIndex(
                self.direction_combo.findData(direction if bidirectional else "forward"))
            self.sort_gate_combo.clear()
            if trace is not None:
                for name in trace.gate_names:
                    self.sort_gate_combo.addItem(name, name)
                    self.sort_gate_combo.setItemData(self.sort_gate_combo.count() - 1,
                                                     gate_title(name, trace.cell_variant),
                                                     Qt.ItemDataRole.ToolTipRole)
                index = self.sort_gate_combo.findData(gate)
                if index < 0:
                    index = self.sort_gate_combo.findData("hidden")
                self.sort_gate_combo.setCurrentIndex(max(index, 0))
        finally:
            self._quiet = was

    # ---- reactions

    def _on_part_changed(self) -> None:
        if not self._quiet:
            self._fill_layers()
            self.sig_view_changed.emit()

    def _on_changed(self) -> None:
        if not self._quiet:
            self.sig_view_changed.emit()

    def _on_sort_gate_changed(self) -> None:
        if not self._quiet:
            self._wanted_sort_gate = str(self.sort_gate_combo.currentData() or "hidden")
            self.sig_view_changed.emit()
