"""The Gates panel: every gate of a model reading a probe text, step by step, unit by unit.

Heatmaps (time steps × hidden units, one per gate) of a trace made by
:mod:`rnnviz.core.introspect`; a time cursor to step through a lecture
(←/→, PageUp/PageDown for presenter remotes, Home/End, Prev/Next, Play);
each gate vector at the cursor as bars; the equations of one unit with the
real numbers; and the saturation plot of Karpathy, Johnson & Fei-Fei (2015).

The rooms: ``panel`` (the tab: model, probe, tracing, state), ``view`` (what
it shows, and the viewing API), ``controls`` (probe row, layer/direction/gate
choice, sorting and filtering), ``time_view`` (the step-through: bars and
equations), ``saturation_view`` (drawn once its tab shows),
``tracing`` (where the work runs: :mod:`rnnviz.core.introspect.probing` does it),
``result_cache`` (finished traces per model, weights and text) and ``exports`` (NPZ/CSV/PNG/SVG).

Public API of :class:`GatesPanel` (the main window is written against it):

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

Threads and the cache: see :mod:`rnnviz.gui.panels.gates.tracing` (a model object seen
before, with the same weights and text, is shown from ``result_cache`` at once: scrubbing
back over a run's epochs). Torch is imported only
when a model arrives (``rnnviz.core.introspect`` lazily), not when the panel is built.
"""

from rnnviz.gui.panels.gates.controls import SORTS, gate_title, parse_units
from rnnviz.gui.panels.gates.panel import GatesPanel

__all__ = ["SORTS", "GatesPanel", "gate_title", "parse_units"]
