"""The Gradients tab: gradients through time of the model shown, and of the other runs of this window.

Why gates exist, on screen: g[t] = ‖∂ℓ/∂H_t‖ for the last loss against the step t on a log axis
(one curve per layer and direction; an LSTM's memory cell C dashed beside its H), and the map
G[s, t] = ‖∂ℓ_s/∂H_t‖ in log colours with the tokens on both axes, NaN cells ("no path": the loss
cannot depend on that state) hatched grey. The other models trained, opened or shipped in this
window overlay their g on the same input (RNN against GRU against LSTM), and one sentence says how
much the gradient shrinks from the last step back to the first, for each. The numbers are
:mod:`rnnviz.core.gradients`'s, exact by autograd, computed off the GUI thread (latest request wins).

The rooms: ``panel`` (the tab: model, input, state, keys), ``showing`` (what is shown: part, layer,
direction, loss row, overlays, and drawing them), ``controls`` (the input and
view rows, the refusal line), ``plots`` (the g plot and the map), ``computing`` (the job and where it
runs), ``lesson`` (the readout's words, Qt-free), ``exports`` (NPZ/CSV/PNG/SVG).

Public API of :class:`GradientsPanel` (the main window is written against it):

- ``set_bundle(bundle)`` — the model to show (language model, translation, or a memory task's);
  it joins this window's runs for the overlays; None clears the tab.
- ``compute()``, ``is_busy()``; ``request() -> GradientsRequest``.
- ``set_text``/``text`` (a translation's source), ``set_reference``/``reference`` ("" = the model's
  own greedy translation, filled in once computed), ``set_sequence``/``sequence`` (memory, from 0),
  ``allow_unknown()`` (read unknown tokens as <unk>).
- ``follow_training()``/``set_follow_training(on)``: the main window asks for a snapshot at most
  every ``SNAPSHOT_INTERVAL_S`` while this tab is shown and follows.
- ``result() -> Gradients | None``, ``message()``, ``readout_text()``.
- Viewing: ``set_part``/``part``, ``set_layer``/``layer`` (from 1), ``set_direction``/``direction``,
  ``set_row``/``row`` (the loss row, from 0), ``next_row``/``previous_row`` (→ / ←),
  ``overlays()``, ``set_overlay_shown(label, on)``, ``forget_overlays()``.
- ``export_npz(path)``, ``export_csv(path)``, ``export_image(path)`` (PNG/SVG) → Path; raise RnnvizError.
- ``apply_theme(theme)``, ``state()``/``restore_state(dict)``.

Signals: ``sig_status(str)``, ``sig_result_ready(object)`` (the Gradients, or None after a refusal),
``sig_follow_changed(bool)``.
"""

from rnnviz.gui.panels.gradients.panel import DEFAULT_TEXTS, GradientsPanel

#: While training, the tab asks for a snapshot at most this often (seconds).
SNAPSHOT_INTERVAL_S = 1.5

__all__ = ["DEFAULT_TEXTS", "SNAPSHOT_INTERVAL_S", "GradientsPanel"]
