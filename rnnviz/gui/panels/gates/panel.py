"""The Gates tab: a model reading a probe, traced off the GUI thread when slow, shown by :class:`GatesView`.

The public API and signals are listed in :mod:`rnnviz.gui.panels.gates`.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from rnnviz.core.errors import RnnvizError
from rnnviz.core.introspect.probing import TraceRequest, TraceResult
from rnnviz.gui.panels.gates import exports
from rnnviz.gui.panels.gates.tracing import Tracer
from rnnviz.gui.panels.gates.view import GatesView
from rnnviz.gui.style import NORMAL

if TYPE_CHECKING:
    from rnnviz.core.introspect import GateTrace
    from rnnviz.core.models.factory import ModelBundle

_DEFAULT_STATE: dict[str, Any] = {
    "probe": "", "saturation_text": "", "follow": False, "part": "encoder", "layer": 0, "direction": "forward",
    "sort": "as-is", "sort_gate": "hidden", "top_n": 0, "unit_filter": "", "speed": 2.0, "step": 0, "unit": -1,
    "sequence": 0,
}
_NO_MODEL = "No model yet: train one, or open a checkpoint, and its gates appear here."
_BOTH = TraceRequest(probe=True, saturation=True)


def _memory_targets(traces: tuple[GateTrace, ...], bundle: ModelBundle | None) -> tuple[str, ...] | None:
    """A memory task's targets per step, from its trace's notice (core.introspect.memory says them); None for a
    language or translation model."""
    from rnnviz.core.config import MEMORY_TASKS

    if bundle is None or bundle.task not in MEMORY_TASKS or len(traces) != 1:
        return None
    (trace,) = traces
    for notice in trace.notices:
        if notice.startswith("targets (· none): "):
            return tuple(notice.split(": ", 1)[1].split())
        answer = re.search(r"sum to (-?[0-9.]+)\.?$", notice)
        if answer:  # the adding problem: one answer, at the last step
            return ("·",) * (trace.num_steps - 1) + (answer.group(1),)
    return None


class GatesPanel(GatesView):
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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._probe_error = _NO_MODEL
        self._last_probe = ""
        self._tracer = Tracer(lambda: (self.probe(), self.saturation_text()), self, self.controls.sequence)
        self._connect_tracing()
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
        return self._tracer.bundle()

    def set_sequence(self, index: int) -> None:
        """A memory task's model: read validation sequence ``index`` (from 0) and trace it."""
        self.controls.sequence_spin.setValue(int(index) + 1)

    def sequence(self) -> int:
        """The validation sequence a memory task's model reads (from 0)."""
        return self.controls.sequence()

    def set_follow_training(self, on: bool) -> None:
        self.follow_check.setChecked(bool(on))

    def set_probe(self, text: str) -> None:
        """Set the probe and trace it (without emitting ``sig_probe_changed``)."""
        unchanged = text == self._last_probe == self.probe_edit.text()
        self._last_probe = text
        if self.probe_edit.text() != text:
            self.probe_edit.setText(text)
            self.probe_edit.setCursorPosition(0)  # the start of a long probe in view, not its end
        if unchanged and self.is_busy():
            return  # the trace in flight reads this very text
        self._request(TraceRequest(probe=True, saturation=not self.saturation_text().strip()))

    def probe(self) -> str:
        return self.probe_edit.text()

    def set_saturation_text(self, text: str) -> None:
        """A longer text for the saturation plot ("" = the probe); traced off the GUI thread when long."""
        if self.saturation_edit.toPlainText() != text:
            self.saturation_edit.setPlainText(text)
        self._request(TraceRequest(probe=False, saturation=True))

    def saturation_text(self) -> str:
        return self.saturation_edit.toPlainText()

    def is_busy(self) -> bool:
        """A trace is running off the GUI thread."""
        return self._tracer.is_busy()

    # ------------------------------------------------------------------ public API: exports and state

    def export_npz(self, path: str | os.PathLike[str]) -> list[Path]:
        """Write the trace as NPZ (keys: ``introspect``'s docstring). Translation: two files,
        ``name.encoder.npz`` and ``name.decoder.npz``. Returns the paths written."""
        return exports.export_npz(self._need_traces(), path)

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write every part's gate values as one long-format CSV (``introspect.write_csv``)."""
        return exports.export_csv(self._need_traces(), path)

    def export_image(self, path: str | os.PathLike[str]) -> Path:
        """The visible tab's plots (heatmaps, or saturation) as PNG or SVG by the suffix; atomic."""
        graphics = self.saturation_plot if self.tabs.currentWidget() is self.saturation_tab else self.heatmaps
        self._draw_saturation()  # a redraw still waiting for the event loop
        return exports.export_image(graphics, path)

    def state(self) -> dict[str, Any]:
        """The panel's settings as plain data (not the traces)."""
        return {"probe": self.probe(), "saturation_text": self.saturation_text(), "follow": self.follow_training(),
                "part": self.part(), "layer": self.layer(), "direction": self.direction(), "sort": self.sort()[0],
                "sort_gate": self.sort()[1], "top_n": self.top_n(), "unit_filter": self.unit_filter(),
                "speed": self.speed(), "step": self.step(), "unit": -1 if self.unit() is None else self.unit(),
                "sequence": self.sequence()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Apply settings from :meth:`state`; unknown keys and bad values are ignored. Retraces once."""
        self._updating = True
        try:
            if isinstance(state.get("follow"), bool):
                self.follow_check.setChecked(state["follow"])
            self.controls.restore(state)
            if isinstance(state.get("speed"), (int, float)) and math.isfinite(state["speed"]):
                self.set_speed(state["speed"])
            for key in ("step", "unit"):  # where to look once a trace is there (applied now if one is)
                if isinstance(state.get(key), int):
                    self._wanted[key] = state[key]
            if isinstance(state.get("sequence"), int) and state["sequence"] >= 0:
                self._wanted_sequence = state["sequence"]
                self.controls.sequence_spin.setValue(state["sequence"] + 1)
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
        if self.bundle() is not None:
            self._request(_BOTH)

    # ------------------------------------------------------------------ tracing

    def _connect_tracing(self) -> None:
        self.probe_edit.editingFinished.connect(self._on_probe_edited)
        self.controls.trace_button.clicked.connect(self._on_trace_clicked)
        self.controls.sequence_spin.valueChanged.connect(self._on_sequence_changed)
        self.follow_check.toggled.connect(self._on_follow_toggled)
        self.saturation_view.use_button.clicked.connect(lambda: self.set_saturation_text(self.saturation_text()))
        self._tracer.sig_busy.connect(self._show_busy)
        self._tracer.sig_done.connect(self._apply)
        self._tracer.sig_failed.connect(self._on_failed)
        exports.fill_export_menu(self.controls.export_menu, self, self.export_npz, self.export_csv,
                                 self.export_image, self.sig_status.emit)

    def _set_bundle(self, bundle: ModelBundle | None) -> None:
        self._show_sequences(bundle)
        self._tracer.set_bundle(bundle)
        self._saturation = None
        if bundle is None:
            self.pause()
            self._traces = ()
            self._probe_error = _NO_MODEL
            self._clear_view()
            self._show_messages()
            return
        self._probe_error = ""
        self._request(_BOTH)

    def _show_sequences(self, bundle: ModelBundle | None) -> None:
        """A memory task's model reads its validation sequences: the spin box instead of the probe."""
        from rnnviz.core.config import MEMORY_TASKS

        if bundle is None or bundle.task not in MEMORY_TASKS:
            self.controls.set_sequences(None)
            return
        count = int(bundle.data_config.num_val or 1)
        updating, self._updating = self._updating, True
        try:
            self.controls.set_sequences(count)
            self.controls.sequence_spin.setValue(min(getattr(self, "_wanted_sequence", 0), count - 1) + 1)
        finally:
            self._updating = updating

    def _on_sequence_changed(self, value: int) -> None:
        self._wanted_sequence = value - 1
        self._request(_BOTH)

    def _request(self, request: TraceRequest) -> None:
        if self._updating:
            return
        if self.bundle() is None:
            self._probe_error = _NO_MODEL
            self._show_messages()
            return
        self._tracer.request(request)

    def _on_failed(self, message: str) -> None:
        self._traces = ()
        self._probe_error = message
        self._clear_view()
        self._show_messages()
        self.sig_trace_failed.emit(message)
        self.sig_status.emit(message)

    def _apply(self, result: TraceResult) -> None:
        """A result of the current model (the tracer drops the others)."""
        if self._shows(result):
            return  # the cache gave back what is on screen (the same probe asked for again): nothing to redraw
        if result.request.saturation:
            self._saturation = result.saturation
            self._saturation_error = result.saturation_error
            self._saturation_notices = result.saturation_notices
        if not result.request.probe:
            self._refresh_saturation()
            self._show_messages()
            self.sig_status.emit(self._saturation_error or self.saturation_info.text().split(":")[0] + ".")
            return
        self._traces = result.traces
        self._probe_error = result.probe_error
        self.time_view.memory_targets = _memory_targets(self._traces, self.bundle())
        if not self._traces:
            self.pause()
        self.controls.set_traces(self._traces)
        self._refresh_view()
        self._apply_wanted()  # a restored step and unit, now that the time view holds the trace
        self._show_messages()
        if self._probe_error:
            self.sig_trace_failed.emit(self._probe_error)
            self.sig_status.emit(self._probe_error)
        else:
            steps = " + ".join(str(t.num_steps) for t in self._traces)
            when = f" after epoch {self._epoch}" if self._epoch is not None else ""
            how = "from the cache" if self._tracer.from_cache else f"in {result.seconds * 1000:.0f} ms"
            self.sig_status.emit(f"Gates traced{when}: {steps} steps {how}.")
        self.sig_trace_ready.emit(self._traces)

    def _shows(self, result: TraceResult) -> bool:
        """``result`` holds the very traces on screen (a cache hit), and no other saturation."""
        if not self._tracer.from_cache or not result.request.probe:
            return False
        same_probe = bool(self._traces) and result.traces is self._traces and result.probe_error == self._probe_error
        return same_probe and (not result.request.saturation or result.saturation is self._saturation)

    def _need_traces(self) -> tuple[GateTrace, ...]:
        if not self._traces:
            raise RnnvizError("Nothing to export yet: " + (self._probe_error or "trace a probe first."))
        return self._traces

    def _on_probe_edited(self) -> None:
        text = self.probe_edit.text()
        if text != self._last_probe:
            self._last_probe = text
            self.sig_probe_changed.emit(text)
            self._request(TraceRequest(probe=True, saturation=not self.saturation_text().strip()))

    def _on_trace_clicked(self) -> None:
        self._last_probe = self.probe_edit.text()
        self._request(TraceRequest(probe=True, saturation=not self.saturation_text().strip()))

    def _on_follow_toggled(self, on: bool) -> None:
        if not self._updating:
            self.sig_follow_changed.emit(on)
        self._show_model_label()

    def _show_busy(self, busy: bool) -> None:
        self.controls.trace_button.setText("Tracing…" if busy else "Trace")
        self._show_messages()

    def _headline(self) -> str:
        if self.bundle() is None:
            return _NO_MODEL
        if self.is_busy() and not self._traces:
            return "Tracing the probe…"
        return self._probe_error
