"""The Gates panel: every gate of a model reading a probe text, step by step, unit by unit.

Heatmaps (time steps × hidden units, one per gate) of a trace made by
:mod:`rnnviz.core.introspect`; a time cursor to step through a lecture
(←/→, PageUp/PageDown for presenter remotes, Home/End, Prev/Next, Play);
each gate vector at the cursor as bars; the equations of one unit with the
real numbers; and the saturation plot of Karpathy, Johnson & Fei-Fei (2015).

Public API (the main window is written against it):

- ``set_bundle(bundle)`` — a ``ModelBundle`` (language model or translation) to trace;
  the probe is traced again. Pass an idle model or a snapshot, never one training.
- ``show_snapshot(bundle, epoch)`` — the same for a training snapshot (the
  worker's ``sig_snapshot`` copy) taken after ``epoch``; the panel says which epoch.
  The main window calls it each epoch while ``follow_training()`` is true.
- ``follow_training() -> bool`` / ``set_follow_training(on)`` — the "Follow training" box.
- ``set_probe(text)`` / ``probe()`` — the text the model reads (the sentence, for translation).
- ``set_saturation_text(text)`` / ``saturation_text()`` — a longer text for the saturation
  plot ("" = the probe); for translation one sentence a line.
- ``trace(part=None) -> GateTrace | None`` — the displayed part's trace (or ``part``'s:
  "lm", "encoder", "decoder"); ``traces() -> tuple[GateTrace, ...]`` — all parts.
- ``export_npz(path) -> list[Path]``, ``export_csv(path) -> Path``,
  ``export_image(path) -> Path`` — raise :class:`RnnvizError`; a failed export
  leaves an existing file as it was. A translation's NPZ is two files,
  ``name.encoder.npz`` and ``name.decoder.npz`` (``introspect.part_path``).
- ``apply_theme(theme)``, ``state() -> dict`` / ``restore_state(dict)``.
- Viewing, for menus, scripts and tests: ``set_part``/``part``, ``set_layer``/``layer``,
  ``set_direction``/``direction``, ``set_sort(mode, gate)``/``sort()``,
  ``set_top_n``/``top_n``, ``set_unit_filter``/``unit_filter``, ``unit_order()``,
  ``set_step``/``step``, ``set_unit``/``unit``, ``play``/``pause``/``is_playing``,
  ``set_speed``/``speed``, ``message()``, ``saturation()``, ``is_busy()``.

Signals:

- ``sig_status(str)`` — a one-line message for the status bar (trace done, export written, why not).
- ``sig_trace_ready(object)`` — a new trace is on screen: the tuple of ``GateTrace`` (one
  for a language model; encoder, decoder for translation; empty when the probe was unusable).
- ``sig_trace_failed(str)`` — a trace could not be made; the reason is also shown in the panel.
- ``sig_follow_changed(bool)`` — the user toggled "Follow training"; start/stop asking for snapshots.
- ``sig_probe_changed(str)`` — the user finished editing the probe (and it changed).
- ``sig_step_changed(int)`` — the time cursor moved.
- ``sig_unit_changed(int)`` — the chosen unit changed (−1: none).

Threads: a trace expected to take longer than about a frame (``SYNC_BUDGET_S``,
estimated from the model's size and then from measured times) runs on Qt's
thread pool (``tasks.run_in_background``). Requests that arrive meanwhile are
merged into one; a result overtaken by a newer request is dropped, so the
panel always ends on the latest model and text. Torch is imported only when a
model arrives (``rnnviz.core.introspect`` lazily), not when the panel is built.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from rnnviz.core.errors import RnnvizError
from rnnviz.gui.widgets.image_export import IMAGE_FILTERS, ask_and_export, save_image
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.tasks import run_in_background
from rnnviz.gui.widgets.heatmap_grid import HeatmapData, HeatmapGrid
from rnnviz.gui.widgets.saturation_plot import SaturationPanel, SaturationPlot, SaturationSeries, saturation_fractions
from rnnviz.gui.widgets.step_view import StepView
from rnnviz.gui.widgets.token_strip import TokenStrip, display_token

if TYPE_CHECKING:
    from rnnviz.core.introspect import DirectionTrace, GateTrace
    from rnnviz.core.models.factory import ModelBundle

log = logging.getLogger(__name__)

#: A trace expected to take longer than this (seconds) runs off the GUI thread.
SYNC_BUDGET_S = 0.012
#: The saturation text may be longer than a probe: it is one trace, made in the background.
SATURATION_MAX_TOKENS = 5000
#: Translation: at most this many sentences (lines) of the saturation text.
SATURATION_MAX_SENTENCES = 200
SORTS: tuple[str, ...] = ("as-is", "mean", "variance")
_SORT_LABELS = {"as-is": "as is", "mean": "by mean", "variance": "by variance"}
_PART_LABELS = {"lm": "language model", "encoder": "encoder", "decoder": "decoder"}
_TITLES = {"reset": "reset gate r", "update": "update gate z", "hidden": "hidden state h", "input": "input gate i",
           "forget": "forget gate f", "output": "output gate o", "cell": "memory cell c",
           "preactivation": "pre-activation pre"}
_CANDIDATE_TITLES = {"lstm": "input node g", "gru": "candidate n", "gru-book": "candidate n (book's H̃)"}
_DEFAULT_STATE: dict[str, Any] = {
    "probe": "", "saturation_text": "", "follow": False, "part": "encoder", "layer": 0, "direction": "forward",
    "sort": "as-is", "sort_gate": "hidden", "top_n": 0, "unit_filter": "", "speed": 2.0, "step": 0, "unit": -1,
}
_NO_MODEL = "No model yet: train one, or open a checkpoint, and its gates appear here."


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


# ---- the work done off the GUI thread ---------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    """What to (re)trace: the probe, the saturation text, or both."""

    probe: bool
    saturation: bool

    def __or__(self, other: _Request) -> _Request:
        return _Request(self.probe or other.probe, self.saturation or other.saturation)


@dataclass(frozen=True)
class _Result:
    request: _Request
    traces: tuple[GateTrace, ...]  # the probe's parts; () when it could not be traced
    probe_error: str  # why not ("" when traced)
    saturation: dict[str, list[GateTrace]] | None  # part -> traces of the saturation text; None: use the probe
    saturation_error: str
    saturation_notices: tuple[str, ...]
    tokens: int  # tokens traced, to learn the seconds per token
    seconds: float


def _trace_all(bundle: ModelBundle, text: str, max_tokens: int | None = None) -> tuple[GateTrace, ...]:
    from rnnviz.core.introspect import DEFAULT_MAX_TOKENS, trace_lm, trace_translation

    if bundle.task == "mt":
        return tuple(trace_translation(bundle, text))
    return (trace_lm(bundle, text, max_tokens or DEFAULT_MAX_TOKENS),)


def _compute(bundle: ModelBundle, probe: str, saturation_text: str, request: _Request) -> _Result:
    """Trace what ``request`` asks for. Errors the user can fix become messages, not exceptions."""
    start = time.perf_counter()
    traces: tuple[GateTrace, ...] = ()
    probe_error = ""
    tokens = 0
    if request.probe:
        if not probe.strip():
            probe_error = ("The probe is empty: type a text for the model to read"
                           + (" (a sentence to translate)." if bundle.task == "mt" else "."))
        else:
            try:
                traces = _trace_all(bundle, probe)
                tokens += sum(t.num_steps for t in traces)
            except RnnvizError as error:
                probe_error = str(error)
    saturation: dict[str, list[GateTrace]] | None = None
    saturation_error = ""
    notices: list[str] = []
    if request.saturation and saturation_text.strip():
        try:
            if bundle.task == "mt":
                lines = [line for line in saturation_text.splitlines() if line.strip()]
                if len(lines) > SATURATION_MAX_SENTENCES:
                    notices.append(f"the saturation text has {len(lines)} sentences; the plot uses the first "
                                   f"{SATURATION_MAX_SENTENCES}.")
                    lines = lines[:SATURATION_MAX_SENTENCES]
                saturation = {"encoder": [], "decoder": []}
                for line in lines:
                    encoder, decoder = _trace_all(bundle, line)
                    saturation["encoder"].append(encoder)
                    saturation["decoder"].append(decoder)
                    tokens += encoder.num_steps + decoder.num_steps
            else:
                (trace,) = _trace_all(bundle, saturation_text, SATURATION_MAX_TOKENS)
                saturation = {"lm": [trace]}
                notices += [n for n in trace.notices if "max_tokens" in n]
                tokens += trace.num_steps
        except RnnvizError as error:
            saturation_error = f"The saturation text cannot be used: {error}"
    return _Result(request, traces, probe_error, saturation, saturation_error, tuple(notices), tokens,
                   time.perf_counter() - start)


def _estimate_tokens(bundle: ModelBundle, text: str) -> int:
    """About how many steps a trace of ``text`` takes (for the sync-or-background choice)."""
    if bundle.task == "mt":
        steps = int(bundle.data_config.num_steps or 9)
        lines = max(1, sum(1 for line in text.splitlines() if line.strip()))
        return 2 * steps * min(lines, SATURATION_MAX_SENTENCES)
    if bundle.data_config.token_level == "char":
        return len(text)
    return len(text.split())


def _guess_seconds_per_token(bundle: ModelBundle) -> float:
    """Before any measurement: numpy's loop costs ~40 µs a step and layer-direction, plus the matmuls."""
    params = sum(int(p.numel()) for p in bundle.model.parameters())
    config = bundle.model_config
    stacks = [config.stack] + ([config.decoder] if config.decoder is not None else [])
    loops = sum(len(s.hidden_sizes) * (2 if s.bidirectional else 1) for s in stacks)
    extra = 3.0 if bundle.task == "mt" else 1.0  # translation also decodes greedily, in torch
    return extra * (40e-6 * loops + 2.0 * params / 2e9)


# ---- the panel ---------------------------------------------------------------------------------


class GatesPanel(QWidget):
    """Gate heatmaps, a step-through with equations, and the saturation plot of one model."""

    #: A one-line message for the main window's status bar.
    sig_status = Signal(str)
    #: A new trace is displayed: tuple[GateTrace, ...] (empty when the probe could not be traced).
    sig_trace_ready = Signal(object)
    #: A trace failed (the message is also shown in the panel).
    sig_trace_failed = Signal(str)
    #: The user toggled "Follow training".
    sig_follow_changed = Signal(bool)
    #: The user finished editing the probe and it changed; carries the new text.
    sig_probe_changed = Signal(str)
    #: The time cursor moved to this step.
    sig_step_changed = Signal(int)
    #: The chosen unit changed (−1: none).
    sig_unit_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bundle: ModelBundle | None = None
        self._epoch: int | None = None
        self._traces: tuple[GateTrace, ...] = ()
        self._probe_error = _NO_MODEL
        self._saturation: dict[str, list[GateTrace]] | None = None
        self._saturation_error = ""
        self._saturation_notices: tuple[str, ...] = ()
        self._in_flight: _Request | None = None
        self._pending: _Request | None = None
        self._seconds_per_token: dict[Any, float] = {}
        self._order = np.zeros(0, np.int64)
        self._items: tuple[HeatmapData, ...] = ()
        self._step = 0
        self._unit: int | None = None
        self._filter_error = ""
        self._last_probe = ""
        self._theme = NORMAL
        base = QApplication.font().pointSizeF()
        self._base_pt = base if base > 0 else 10.0
        self._updating = False  # True while controls are refilled: their signals must not redraw
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._on_play_tick)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # clicking the panel gives it the arrow keys
        self._build()
        self._install_shortcuts()
        self.apply_theme(NORMAL)
        self.restore_state(_DEFAULT_STATE)
        self._show_messages()

    # ------------------------------------------------------------------ public API: model and text

    def set_bundle(self, bundle: ModelBundle | None) -> None:
        """Trace ``bundle`` (an idle model or a snapshot) reading the probe; None clears the panel."""
        self._epoch = None
        self._set_bundle(bundle)

    def show_snapshot(self, bundle: ModelBundle, epoch: int) -> None:
        """A training snapshot after ``epoch``: trace it (off the GUI thread when slow); latest wins."""
        self._epoch = int(epoch)
        self._set_bundle(bundle)

    def bundle(self) -> ModelBundle | None:
        return self._bundle

    def follow_training(self) -> bool:
        """Whether the main window should send a snapshot each epoch while training."""
        return self.follow_check.isChecked()

    def set_follow_training(self, on: bool) -> None:
        self.follow_check.setChecked(bool(on))

    def set_probe(self, text: str) -> None:
        """Set the probe and trace it (without emitting ``sig_probe_changed``)."""
        self._last_probe = text
        if self.probe_edit.text() != text:
            self.probe_edit.setText(text)
            self.probe_edit.setCursorPosition(0)  # the start of a long probe in view, not its end
        self._request(_Request(probe=True, saturation=not self.saturation_text().strip()))

    def probe(self) -> str:
        return self.probe_edit.text()

    def set_saturation_text(self, text: str) -> None:
        """A longer text for the saturation plot ("" = the probe); traced off the GUI thread when long."""
        if self.saturation_edit.toPlainText() != text:
            self.saturation_edit.setPlainText(text)
        self._request(_Request(probe=False, saturation=True))

    def saturation_text(self) -> str:
        return self.saturation_edit.toPlainText()

    def trace(self, part: str | None = None) -> GateTrace | None:
        """The displayed part's trace, or ``part``'s ("lm", "encoder", "decoder"); None without one."""
        part = part or self.part()
        for trace in self._traces:
            if trace.part == part:
                return trace
        return None

    def traces(self) -> tuple[GateTrace, ...]:
        """Every part of the current trace: (lm,) or (encoder, decoder); () without one."""
        return self._traces

    def is_busy(self) -> bool:
        """A trace is running off the GUI thread."""
        return self._in_flight is not None

    def message(self) -> str:
        """The text of the panel's message box: why there is no trace, and the trace's notices."""
        return self.message_label.text()

    # ------------------------------------------------------------------ public API: view

    def part(self) -> str:
        data = self.part_combo.currentData()
        return str(data) if data else (self._traces[0].part if self._traces else "lm")

    def set_part(self, part: str) -> None:
        index = self.part_combo.findData(part)
        if index < 0:
            raise ValueError(f"this trace has no part {part!r}; it has "
                             f"{', '.join(t.part for t in self._traces) or 'none'}.")
        self.part_combo.setCurrentIndex(index)

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
        self._updating = True
        try:
            self.sort_combo.setCurrentIndex(self.sort_combo.findData(mode))
            if gate is not None:
                index = self.sort_gate_combo.findData(gate)
                if index < 0:
                    raise ValueError(f"no gate {gate!r} to sort by.")
                self.sort_gate_combo.setCurrentIndex(index)
        finally:
            self._updating = False
        self._refresh_view()

    def top_n(self) -> int:
        """How many units are shown after sorting; 0 = all."""
        return self.top_spin.value()

    def set_top_n(self, n: int) -> None:
        self.top_spin.setValue(max(0, int(n)))

    def unit_filter(self) -> str:
        return self.filter_edit.text()

    def set_unit_filter(self, text: str) -> None:
        """Show only these units, e.g. "0-9, 17" ("" = all); a bad filter is ignored, with a message."""
        self.filter_edit.setText(text)
        self._refresh_view()

    def unit_order(self) -> np.ndarray:
        """The units the heatmaps show, top row first (after filter, sort and top N)."""
        return self._order.copy()

    def step(self) -> int:
        return self._step

    def num_steps(self) -> int:
        trace = self.trace()
        return trace.num_steps if trace is not None else 0

    def set_step(self, step: int) -> None:
        """Move the time cursor (clamped to the trace)."""
        last = max(0, self.num_steps() - 1)
        step = min(max(int(step), 0), last)
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
        direction = self._direction_trace()
        if unit is not None and unit < 0:
            unit = None
        if unit is not None and direction is not None and unit >= direction.hidden_size:
            raise ValueError(f"unit must be 0…{direction.hidden_size - 1}, not {unit}.")
        changed = unit != self._unit
        self._unit = unit
        self._updating = True
        self.unit_spin.setValue(-1 if unit is None else unit)
        self._updating = False
        self._show_unit()
        if changed:
            self.sig_unit_changed.emit(-1 if unit is None else unit)

    def play(self) -> None:
        """Step forward at ``speed()`` steps a second until the end (from the start if already there)."""
        if self.num_steps() <= 1:
            return
        if self._step >= self.num_steps() - 1:
            self.set_step(0)
        self._play_timer.start(max(1, round(1000 / self.speed())))
        self.play_button.setText("⏸ Pause")

    def pause(self) -> None:
        self._play_timer.stop()
        self.play_button.setText("▶ Play")

    def is_playing(self) -> bool:
        return self._play_timer.isActive()

    def speed(self) -> float:
        """Steps a second while playing."""
        return self.speed_spin.value()

    def set_speed(self, steps_per_second: float) -> None:
        self.speed_spin.setValue(float(steps_per_second))

    def saturation(self) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
        """(gate, layer) -> (fraction low, fraction high) per unit, as the saturation plot shows them."""
        return {(panel.name, s.layer): (s.left, s.right) for panel in self.saturation_plot.panels()
                for s in panel.series}

    def heatmap_images(self) -> dict[str, np.ndarray]:
        """Gate name -> the array each heatmap shows, (T, U) with U in ``unit_order()``."""
        return {name: heatmap.displayed() for name, heatmap in self.heatmaps.heatmaps.items()}

    # ------------------------------------------------------------------ public API: exports

    def export_npz(self, path: str | os.PathLike[str]) -> list[Path]:
        """Write the trace as NPZ (keys: ``introspect``'s docstring). Translation: two files,
        ``name.encoder.npz`` and ``name.decoder.npz``. Returns the paths written."""
        from rnnviz.core.introspect import part_path

        traces = self._need_traces()
        target = Path(path)
        if len(traces) == 1:
            return [traces[0].to_npz(target)]
        return [trace.to_npz(part_path(target, trace.part)) for trace in traces]

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write every part's gate values as one long-format CSV (``introspect.write_csv``)."""
        from rnnviz.core.introspect import write_csv

        return write_csv(self._need_traces(), Path(path))

    def export_image(self, path: str | os.PathLike[str]) -> Path:
        """The visible tab's plots (heatmaps, or saturation) as PNG or SVG by the suffix; atomic."""
        graphics = self.saturation_plot if self.tabs.currentWidget() is self.saturation_tab else self.heatmaps
        if not graphics.ci.items:
            raise RnnvizError("Nothing to save yet: trace a probe first (and show the panel).")
        return save_image(graphics.ci, path, "the gate plots")

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``; the theme's colours and line widths in every plot."""
        self._theme = theme
        scale = theme.font_scale
        body = QFont(self.font())
        body.setPointSizeF(self._base_pt * scale)
        self.setFont(body)
        strip = QFont(body)
        strip.setPointSizeF(self._base_pt * scale * 1.6)  # the text being read: the biggest thing on screen
        self.token_strip.setFont(strip)
        self.step_label.setFont(strip)
        readout = QFont(body)
        readout.setPointSizeF(self._base_pt * scale * 1.15)
        self.readout.setFont(readout)
        self.predicted_label.setFont(readout)
        self.message_label.setFont(body)  # a style sheet stops the font from being inherited
        lines = QFontMetricsF(body).lineSpacing()
        self.saturation_edit.setFixedHeight(int(lines * 3.4 + 12))  # three lines: the plots need the room
        self.token_strip.set_colors("#ff00ff", "#ffffff", theme.muted)
        self.message_label.setStyleSheet(
            f"QLabel {{ background: #fff4d6; color: {theme.foreground}; border: 1px solid #e6b84d; "
            f"border-radius: 4px; padding: {int(4 * scale)}px; }}")
        self.readout.setStyleSheet(f"color: {theme.foreground};")
        self.predicted_label.setStyleSheet(f"color: {theme.foreground};")
        self.heatmaps.apply_theme(theme, self._base_pt)
        self.step_view.apply_theme(theme, self._base_pt)
        # On a projector the equations need the width more than the heatmaps need their detail.
        share = 0.5 if scale > 1.2 else 0.6
        total = max(self.time_splitter.width(), 1000)
        self.time_splitter.setSizes([int(total * share), int(total * (1 - share))])
        self.saturation_plot.apply_theme(theme, self._base_pt)
        self._refresh_view()

    def state(self) -> dict[str, Any]:
        """The panel's settings as plain data (not the traces)."""
        return {"probe": self.probe(), "saturation_text": self.saturation_text(), "follow": self.follow_training(),
                "part": self.part(), "layer": self.layer(), "direction": self.direction(), "sort": self.sort()[0],
                "sort_gate": self.sort()[1], "top_n": self.top_n(), "unit_filter": self.unit_filter(),
                "speed": self.speed(), "step": self.step(), "unit": -1 if self._unit is None else self._unit}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Apply settings from :meth:`state`; unknown keys and bad values are ignored. Retraces once."""
        self._updating = True
        try:
            if isinstance(state.get("follow"), bool):
                self.follow_check.setChecked(state["follow"])
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
            if isinstance(state.get("speed"), (int, float)) and math.isfinite(state["speed"]):
                self.speed_spin.setValue(float(state["speed"]))
            # Where to look once a trace is there (applied now if one is).
            for key in ("part", "direction"):
                if isinstance(state.get(key), str):
                    self._wanted[key] = state[key]
            for key in ("layer", "step", "unit"):
                if isinstance(state.get(key), int):
                    self._wanted[key] = state[key]
            if isinstance(state.get("saturation_text"), str):
                self.saturation_edit.setPlainText(state["saturation_text"])
            if isinstance(state.get("probe"), str):
                self._last_probe = state["probe"]
                self.probe_edit.setText(state["probe"])
                self.probe_edit.setCursorPosition(0)
        finally:
            self._updating = False
        if self._traces:
            self._apply_wanted()
        if self._bundle is not None:
            self._request(_Request(probe=True, saturation=True))

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        self._wanted: dict[str, Any] = {}
        self._wanted_sort_gate = "hidden"
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)

        probe_row = QHBoxLayout()
        root.addLayout(probe_row)
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
        probe_row.addWidget(probe_label)
        probe_row.addWidget(self.probe_edit, 3)
        probe_row.addWidget(self.trace_button)
        probe_row.addWidget(self.follow_check)
        probe_row.addWidget(self.model_label, 2)
        self.export_button = QToolButton()
        probe_row.addWidget(self.export_button)

        view_row = QHBoxLayout()
        root.addLayout(view_row)
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
            self.sort_combo.addItem(_SORT_LABELS[mode], mode)
        self.sort_combo.setToolTip("Order of the units (rows): as they are, or by their mean or variance over "
                                   "the steps, highest first, in the gate chosen beside.")
        self.sort_gate_combo = QComboBox()
        self.sort_gate_combo.setToolTip("The gate whose values order the units; every heatmap uses that order.")
        self.top_spin = QSpinBox()
        self.top_spin.setRange(0, 4096)
        self.top_spin.setSpecialValueText("all")
        self.top_spin.setToolTip("Show only the first N units after sorting (all: every unit).")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("0-9, 17")
        self.filter_edit.setToolTip("Show only these units: numbers and ranges, e.g. 0-9, 17, 42.")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(self.filter_edit.fontMetrics().horizontalAdvance("0-9, 17, 42") + 30)
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Trace as NPZ…", self._ask_export_npz)
        menu.addAction("Trace as CSV…", self._ask_export_csv)
        menu.addAction("Image (PNG or SVG)…", self._ask_export_image)
        self.export_button.setMenu(menu)
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

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root.addWidget(self.message_label)

        self.tabs = QTabWidget()
        root.addWidget(self.tabs, 1)

        # -- over time: transport, the text being read, heatmaps | bars and equations
        time_tab = QWidget()
        self.time_tab = time_tab
        time_layout = QVBoxLayout(time_tab)
        time_layout.setContentsMargins(4, 4, 4, 4)
        transport = QHBoxLayout()
        time_layout.addLayout(transport)
        self.prev_button = QPushButton("◀ Prev")
        self.prev_button.setToolTip("One step back (← or Page Up)")
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Step through the text at the chosen speed; stops at the end")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("One step on (→ or Page Down)")
        self.speed_spin = QDoubleSpinBox()
        self.speed_spin.setRange(0.25, 50.0)
        self.speed_spin.setSingleStep(0.5)
        self.speed_spin.setDecimals(2)
        self.speed_spin.setSuffix(" steps/s")
        self.unit_spin = QSpinBox()
        self.unit_spin.setRange(-1, 4095)
        self.unit_spin.setSpecialValueText("none")
        self.unit_spin.setToolTip("The unit whose equations are shown; or click a heatmap cell.")
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
        self.predicted_label.setTextFormat(Qt.TextFormat.PlainText)
        self.predicted_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.predicted_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        transport.addWidget(self.predicted_label, 1)
        transport.addSpacing(12)
        transport.addWidget(self.step_label)

        self.token_strip = TokenStrip()
        self.token_strip.setToolTip("The text as the model reads it; the highlighted token is step t.")
        time_layout.addWidget(self.token_strip)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        time_layout.addWidget(splitter, 1)
        self.heatmaps = HeatmapGrid()
        self.step_view = StepView()
        splitter.addWidget(self.heatmaps)
        splitter.addWidget(self.step_view)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        self.time_splitter = splitter
        self.tabs.addTab(time_tab, "Over time")

        # -- saturation
        sat_tab = QWidget()
        self.saturation_tab = sat_tab
        sat_layout = QVBoxLayout(sat_tab)
        sat_layout.setContentsMargins(4, 4, 4, 4)
        sat_row = QHBoxLayout()
        sat_layout.addLayout(sat_row)
        sat_label = QLabel("Saturation text")
        self.saturation_edit = QPlainTextEdit()
        self.saturation_edit.setPlaceholderText("Empty: the probe. Paste a longer text here for a fuller picture "
                                                "(translation: one sentence a line).")
        self.saturation_edit.setTabChangesFocus(True)
        self.saturation_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.saturation_button = QPushButton("Use text")
        sat_label.setBuddy(self.saturation_edit)
        sat_row.addWidget(sat_label, 0, Qt.AlignmentFlag.AlignTop)
        sat_row.addWidget(self.saturation_edit, 1)
        sat_row.addWidget(self.saturation_button, 0, Qt.AlignmentFlag.AlignTop)
        self.saturation_info = QLabel()
        self.saturation_info.setWordWrap(True)
        sat_layout.addWidget(self.saturation_info)
        self.saturation_plot = SaturationPlot()
        sat_layout.addWidget(self.saturation_plot, 1)
        self.tabs.addTab(sat_tab, "Saturation")

        self.readout = QLabel(" ")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.readout.setFrameShape(QFrame.Shape.NoFrame)
        root.addWidget(self.readout)

        # -- reactions
        self.probe_edit.editingFinished.connect(self._on_probe_edited)
        self.trace_button.clicked.connect(self._on_trace_clicked)
        self.follow_check.toggled.connect(self._on_follow_toggled)
        self.part_combo.currentIndexChanged.connect(self._on_part_changed)
        self.layer_combo.currentIndexChanged.connect(self._on_layer_changed)
        self.direction_combo.currentIndexChanged.connect(self._on_view_changed)
        self.sort_combo.currentIndexChanged.connect(self._on_view_changed)
        self.sort_gate_combo.currentIndexChanged.connect(self._on_sort_gate_changed)
        self.top_spin.valueChanged.connect(self._on_view_changed)
        self.filter_edit.textChanged.connect(self._on_view_changed)
        self.prev_button.clicked.connect(self.previous_step)
        self.next_button.clicked.connect(self.next_step)
        self.play_button.clicked.connect(lambda: self.pause() if self.is_playing() else self.play())
        self.speed_spin.valueChanged.connect(self._on_speed_changed)
        self.unit_spin.valueChanged.connect(self._on_unit_spin)
        self.saturation_button.clicked.connect(lambda: self.set_saturation_text(self.saturation_text()))
        self.tabs.currentChanged.connect(lambda _: self._show_messages())
        self.heatmaps.sig_hovered.connect(self._on_hovered)
        self.heatmaps.sig_left.connect(lambda: self.readout.setText(" "))
        self.heatmaps.sig_clicked.connect(self._on_clicked)
        self.saturation_plot.sig_hovered.connect(lambda text: self.readout.setText(text or " "))

    def _install_shortcuts(self) -> None:
        # WidgetWithChildrenShortcut: active while the focus is in the panel. Text fields keep
        # their own arrows (they claim them through ShortcutOverride).
        keys: list[tuple[Qt.Key, Callable[[], None]]] = [
            (Qt.Key.Key_Right, self.next_step), (Qt.Key.Key_Left, self.previous_step),
            (Qt.Key.Key_PageDown, self.next_step), (Qt.Key.Key_PageUp, self.previous_step),
            (Qt.Key.Key_Home, lambda: self.set_step(0)), (Qt.Key.Key_End, lambda: self.set_step(self.num_steps() - 1)),
        ]
        self._shortcuts = []
        for key, action in keys:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
            self._shortcuts.append(shortcut)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """The same keys when they reach the panel itself (no active window, e.g. under a test)."""
        actions = {Qt.Key.Key_Right: self.next_step, Qt.Key.Key_Left: self.previous_step,
                   Qt.Key.Key_PageDown: self.next_step, Qt.Key.Key_PageUp: self.previous_step,
                   Qt.Key.Key_Home: lambda: self.set_step(0),
                   Qt.Key.Key_End: lambda: self.set_step(self.num_steps() - 1)}
        action = actions.get(Qt.Key(event.key()))
        if action is not None and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            action()
            event.accept()
            return
        super().keyPressEvent(event)

    def hideEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        self.pause()  # no timer ticking behind another tab
        super().hideEvent(event)

    # ------------------------------------------------------------------ tracing

    def _set_bundle(self, bundle: ModelBundle | None) -> None:
        self._bundle = bundle
        self._saturation = None
        if bundle is None:
            self.pause()
            self._traces = ()
            self._probe_error = _NO_MODEL
            self._clear_view()
            self._show_messages()
            return
        self._probe_error = ""
        self._request(_Request(probe=True, saturation=True))

    def _request(self, request: _Request) -> None:
        if self._updating:
            return
        if self._bundle is None:
            self._probe_error = _NO_MODEL
            self._show_messages()
            return
        if self._in_flight is not None:
            self._pending = request if self._pending is None else self._pending | request
            return
        self._start(request)

    def _start(self, request: _Request) -> None:
        bundle = self._bundle
        assert bundle is not None
        probe, saturation_text = self.probe(), self.saturation_text()
        tokens = (_estimate_tokens(bundle, probe) if request.probe else 0) + (
            _estimate_tokens(bundle, saturation_text) if request.saturation and saturation_text.strip() else 0)
        key = self._speed_key(bundle)
        per_token = self._seconds_per_token.get(key) or _guess_seconds_per_token(bundle)
        job = lambda: _compute(bundle, probe, saturation_text, request)  # noqa: E731
        if tokens * per_token <= SYNC_BUDGET_S:
            try:
                result = job()
            except Exception as error:  # a bug: a message, never a traceback on screen
                log.exception("tracing failed")
                self._on_failed(f"Unexpected error while tracing: {type(error).__name__}: {error}", "")
                return
            self._apply(result, bundle)
            return
        self._in_flight = request
        self._show_busy(True)
        run_in_background(job, lambda result: self._on_done(result, bundle), self._on_background_failed)

    def _on_done(self, result: _Result, bundle: ModelBundle) -> None:
        if not isValid(self):  # the panel was closed while the trace ran
            return
        request, self._in_flight = self._in_flight, None
        self._show_busy(False)
        if self._pending is not None:  # overtaken: drop it and trace the latest state instead
            merged = self._pending | (request or self._pending)
            self._pending = None
            self._request(merged)
            return
        self._apply(result, bundle)

    def _on_background_failed(self, message: str, details: str) -> None:
        if not isValid(self):
            return
        self._in_flight = None
        self._show_busy(False)
        if details:
            log.error("tracing failed: %s\n%s", message, details)
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._request(pending)
            return
        self._on_failed(message, details)

    def _on_failed(self, message: str, details: str) -> None:
        self._traces = ()
        self._probe_error = message
        self._clear_view()
        self._show_messages()
        self.sig_trace_failed.emit(message)
        self.sig_status.emit(message)

    def _apply(self, result: _Result, bundle: ModelBundle) -> None:
        if bundle is not self._bundle:
            return  # a model replaced while this was traced: its request is already queued
        if result.tokens and result.seconds > 0:
            self._seconds_per_token[self._speed_key(bundle)] = result.seconds / result.tokens
        if result.request.saturation:
            self._saturation = result.saturation
            self._saturation_error = result.saturation_error
            self._saturation_notices = result.saturation_notices
        if result.request.probe:
            self._traces = result.traces
            self._probe_error = result.probe_error
            if not self._traces:
                self.pause()
            self._refill_choosers()
            self._refresh_view()
            self._show_messages()
            if self._probe_error:
                self.sig_trace_failed.emit(self._probe_error)
                self.sig_status.emit(self._probe_error)
            else:
                steps = " + ".join(str(t.num_steps) for t in self._traces)
                when = f" after epoch {self._epoch}" if self._epoch is not None else ""
                self.sig_status.emit(f"Gates traced{when}: {steps} steps in {result.seconds * 1000:.0f} ms.")
            self.sig_trace_ready.emit(self._traces)
        else:
            self._refresh_saturation()
            self._show_messages()
            self.sig_status.emit(self._saturation_error or self.saturation_info.text().split(":")[0] + ".")

    @staticmethod
    def _speed_key(bundle: ModelBundle) -> Any:
        return bundle.model_config, tuple(len(v) for v in bundle.vocabs)

    def _need_traces(self) -> tuple[GateTrace, ...]:
        if not self._traces:
            raise RnnvizError("Nothing to export yet: " + (self._probe_error or "trace a probe first."))
        return self._traces

    # ------------------------------------------------------------------ choosers

    def _refill_choosers(self) -> None:
        """Parts, layers and gates of the new trace; the user's choices kept where they still exist."""
        self._updating = True
        try:
            part = self._wanted.pop("part", None) or str(self.part_combo.currentData() or "")
            self.part_combo.clear()
            for trace in self._traces:
                self.part_combo.addItem(_PART_LABELS[trace.part], trace.part)
            index = self.part_combo.findData(part)
            self.part_combo.setCurrentIndex(index if index >= 0 else 0)
            translation = len(self._traces) > 1
            self.part_label.setVisible(translation)
            self.part_combo.setVisible(translation)
            self._refill_layers()
        finally:
            self._updating = False
        self._apply_wanted()

    def _refill_layers(self) -> None:
        trace = self.trace()
        was_updating, self._updating = self._updating, True
        try:
            layer = self._wanted.pop("layer", None)
            if layer is None:
                layer = self.layer_combo.currentIndex()
            self.layer_combo.clear()
            if trace is not None:
                for k in range(trace.num_layers):
                    self.layer_combo.addItem(str(k + 1))  # the book counts layers from 1: H^(1)
                self.layer_combo.setCurrentIndex(min(max(layer, 0), trace.num_layers - 1))
            bidirectional = trace is not None and trace.num_directions > 1
            direction = self._wanted.pop("direction", None) or self.direction()
            self.direction_combo.setEnabled(bidirectional)
            self.direction_combo.setCurrentIndex(
                self.direction_combo.findData(direction if bidirectional else "forward"))
            gate = str(self.sort_gate_combo.currentData() or self._wanted_sort_gate)
            self.sort_gate_combo.clear()
            if trace is not None:
                for name in trace.gate_names:
                    self.sort_gate_combo.addItem(name, name)
                    self.sort_gate_combo.setItemData(self.sort_gate_combo.count() - 1,
                                                     gate_title(name, trace.cell_variant), Qt.ItemDataRole.ToolTipRole)
                index = self.sort_gate_combo.findData(gate)
                if index < 0:
                    index = self.sort_gate_combo.findData("hidden")
                self.sort_gate_combo.setCurrentIndex(max(index, 0))
        finally:
            self._updating = was_updating

    def _apply_wanted(self) -> None:
        """Step and unit from restore_state, once a trace is there to hold them."""
        if "layer" in self._wanted or "direction" in self._wanted:
            self._refill_layers()
            self._refresh_view()
        if "step" in self._wanted:
            self.set_step(self._wanted.pop("step"))
        if "unit" in self._wanted:
            unit = self._wanted.pop("unit")
            direction = self._direction_trace()
            if direction is not None and unit < direction.hidden_size:
                self.set_unit(unit)

    # ------------------------------------------------------------------ reactions

    def _on_probe_edited(self) -> None:
        text = self.probe_edit.text()
        if text != self._last_probe:
            self._last_probe = text
            self.sig_probe_changed.emit(text)
            self._request(_Request(probe=True, saturation=not self.saturation_text().strip()))

    def _on_trace_clicked(self) -> None:
        self._last_probe = self.probe_edit.text()
        self._request(_Request(probe=True, saturation=not self.saturation_text().strip()))

    def _on_follow_toggled(self, on: bool) -> None:
        if not self._updating:
            self.sig_follow_changed.emit(on)
        self._show_model_label()

    def _on_part_changed(self) -> None:
        if self._updating:
            return
        self._refill_layers()
        self._refresh_view()

    def _on_layer_changed(self) -> None:
        if not self._updating:
            self._refresh_view()

    def _on_view_changed(self) -> None:
        if not self._updating:
            self._refresh_view()

    def _on_sort_gate_changed(self) -> None:
        if not self._updating:
            self._wanted_sort_gate = str(self.sort_gate_combo.currentData() or "hidden")
            self._refresh_view()

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

    def _on_unit_spin(self, value: int) -> None:
        if self._updating:
            return
        direction = self._direction_trace()
        if direction is not None and value >= direction.hidden_size:
            self.unit_spin.setValue(direction.hidden_size - 1)
            return
        self.set_unit(None if value < 0 else value)

    def _on_hovered(self, name: str, step: int, row: int) -> None:
        trace = self.trace()
        heatmap = self.heatmaps.heatmaps.get(name)
        if trace is None or heatmap is None or row >= len(self._order):
            return
        value = float(heatmap.displayed()[step, row])
        self.readout.setText(f"{gate_title(name, trace.cell_variant)}  ·  step {step} "
                             f"“{display_token(trace.tokens[step])}”  ·  unit {int(self._order[row])}  ·  "
                             f"{value:.4f}")

    def _on_clicked(self, name: str, step: int, row: int) -> None:
        if row < len(self._order):
            self.set_unit(int(self._order[row]))
        self.set_step(step)
        self.setFocus(Qt.FocusReason.MouseFocusReason)  # the arrows step through time right after a click

    # ------------------------------------------------------------------ drawing

    def _direction_trace(self) -> DirectionTrace | None:
        trace = self.trace()
        if trace is None:
            return None
        try:
            return trace.direction(min(self.layer(), trace.num_layers - 1), self.direction())
        except KeyError:
            return trace.direction(min(self.layer(), trace.num_layers - 1), "forward")

    def _compute_order(self, direction: DirectionTrace) -> np.ndarray:
        H = direction.hidden_size
        units = np.arange(H, dtype=np.int64)
        self._filter_error = ""
        text = self.unit_filter().strip()
        if text:
            try:
                units = parse_units(text, H)
            except ValueError as error:
                self._filter_error = f"Unit filter ignored: {error}"
        mode, gate = self.sort()
        if mode != "as-is" and len(units):
            values = direction.gates.get(gate, direction.hidden)[:, units].astype(np.float64)  # (T, U)
            key = values.mean(axis=0) if mode == "mean" else values.var(axis=0)
            units = units[np.argsort(-key, kind="stable")]  # highest first; ties keep unit order
        if self.top_n() > 0:
            units = units[:self.top_n()]
        return units

    def _clear_view(self) -> None:
        self._order = np.zeros(0, np.int64)
        self._items = ()
        self.heatmaps.clear_heatmaps()
        self.step_view.clear()
        self.token_strip.set_tokens(())
        self.predicted_label.setText("")
        self.step_label.setText("")
        self.saturation_plot.set_panels(())
        self.saturation_info.setText("")
        self._enable_view(False)

    def _enable_view(self, on: bool) -> None:
        """Without a trace there is nothing to step through, sort or choose."""
        for widget in (self.prev_button, self.play_button, self.next_button, self.unit_spin, self.layer_combo,
                       self.sort_gate_combo):
            widget.setEnabled(on)
        if not on:
            self.direction_combo.setEnabled(False)

    def _refresh_view(self) -> None:
        """Redraw heatmaps, bars and equations for the current trace and choices."""
        if self._updating:
            return
        trace, direction = self.trace(), self._direction_trace()
        if trace is None or direction is None:
            self._clear_view()
            self._show_model_label()
            return
        self._enable_view(True)
        self.direction_combo.setEnabled(trace.num_directions > 1)
        self._order = self._compute_order(direction)
        from rnnviz.core.introspect import VALUE_RANGES

        self._items = tuple(HeatmapData(name, gate_title(name, trace.cell_variant),
                                        direction.gates[name][:, self._order], VALUE_RANGES.get(name))
                            for name in trace.gate_names)
        shown_tokens = [display_token(t) for t in trace.tokens]
        self.heatmaps.set_heatmaps(self._items, shown_tokens, self._order.tolist())
        self.step_view.set_context(self._items, self._order, direction, trace.cell_variant,
                                   trace.variant_description, trace.tokens)
        self.token_strip.set_tokens(trace.tokens)
        self.top_spin.setMaximum(direction.hidden_size)
        self.unit_spin.setMaximum(direction.hidden_size - 1)
        if self._unit is not None and self._unit >= direction.hidden_size:
            self._unit = None
        if self._unit is None and len(self._order) and "unit" not in self._wanted:
            self._unit = int(self._order[0])  # equations on screen from the start
            self.sig_unit_changed.emit(self._unit)
        self._step = min(self._step, trace.num_steps - 1)
        self._show_step()
        self._show_unit()
        self._refresh_saturation()
        self._show_model_label()
        self._show_messages()

    def _show_step(self) -> None:
        trace = self.trace()
        if trace is None:
            return
        t = self._step
        self.heatmaps.set_step(t)
        self.step_view.set_step(t)
        self.token_strip.set_step(t)
        self.step_label.setText(f"t = {t} / {trace.num_steps - 1}")
        token = display_token(trace.tokens[t])
        if trace.predicted:
            verb = "outputs" if trace.part == "decoder" else "predicts next"
            self.predicted_label.setText(f"reads “{token}”  →  {verb} “{display_token(trace.predicted[t])}”")
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
        self.saturation_plot.set_selected(self.layer() if self._unit is not None else None, self._unit)
        self._updating, was = True, self._updating
        self.unit_spin.setValue(-1 if self._unit is None else self._unit)
        self._updating = was

    def _refresh_saturation(self) -> None:
        trace = self.trace()
        if trace is None:
            self.saturation_plot.set_panels(())
            self.saturation_info.setText("")
            return
        from rnnviz.core.introspect import VALUE_RANGES

        part, direction = trace.part, self.direction()
        if self._saturation is not None and part in self._saturation and self._saturation[part]:
            source = self._saturation[part]
            what = "the saturation text"
        else:
            source = [trace]
            what = "the probe"
        steps = sum(t.num_steps for t in source)
        panels = []
        for name in trace.gate_names:
            bounds = VALUE_RANGES.get(name)
            if bounds is None:
                continue  # unbounded values (memory cell, pre-activation) have no saturation
            series = []
            for layer in range(trace.num_layers):
                try:
                    stacked = np.concatenate([t.get(layer, direction, name) for t in source], axis=0)  # (N, H)
                except KeyError:
                    continue
                left, right = saturation_fractions(stacked, bounds)
                series.append(SaturationSeries(layer, left, right))
            panels.append(SaturationPanel(name, gate_title(name, trace.cell_variant), bounds, tuple(series)))
        self.saturation_plot.set_panels(panels)
        self.saturation_plot.set_selected(self.layer() if self._unit is not None else None, self._unit)
        sentences = f" ({len(source)} sentences)" if len(source) > 1 else ""
        self.saturation_info.setText(
            f"Over {steps} steps of {what}{sentences}, {_PART_LABELS[part]}, {direction} direction, "
            "every layer: a dot is a unit. Low: in the bottom 10% of its range (σ < 0.1, tanh < −0.8); "
            "high: in the top 10%.")

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

    def _show_messages(self) -> None:
        lines = []
        if self._bundle is None:
            lines.append(_NO_MODEL)
        elif self._in_flight is not None and not self._traces:
            lines.append("Tracing the probe…")
        elif self._probe_error:
            lines.append(self._probe_error)
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

    def _show_busy(self, busy: bool) -> None:
        self.trace_button.setText("Tracing…" if busy else "Trace")
        self._show_messages()

    # ------------------------------------------------------------------ export dialogs

    def _ask_export_npz(self) -> None:
        self._saved(ask_and_export(self, "Export the trace as NPZ", "gates.npz", "NumPy archive (*.npz)",
                                   self.export_npz))

    def _ask_export_csv(self) -> None:
        self._saved(ask_and_export(self, "Export the trace as CSV", "gates.csv", "CSV (*.csv)", self.export_csv))

    def _ask_export_image(self) -> None:
        self._saved(ask_and_export(self, "Save the plots", "gates.png", IMAGE_FILTERS, self.export_image))

    def _saved(self, written: Path | list[Path] | None) -> None:
        if written:
            paths = written if isinstance(written, list) else [written]
            self.sig_status.emit("Saved " + ", ".join(str(p) for p in paths))

def _sentence(text: str) -> str:
    """A core notice as a sentence: capitalised, ending with a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."
