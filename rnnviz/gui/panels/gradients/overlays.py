"""The other runs of this window, whose g the Gradients tab overlays on the model shown.

Every model the tab is given becomes a run here (its latest weights, under one key per run); the
tab computes the others' g on its own input off the GUI thread and keeps the answer, so that an
overlay is drawn again without recomputing until the input or that run's weights change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMenu, QPushButton

from rnnviz.gui.panels.gradients import lesson
from rnnviz.gui.panels.gradients.computing import GradientsRequest, Overlay

if TYPE_CHECKING:
    from rnnviz.core.gradients import Gradients, LayerGradients, StackGradients
    from rnnviz.core.models.factory import ModelBundle


@dataclass
class _Entry:
    """A model of this window whose g may be overlaid: its latest weights and whether it is shown."""

    label: str
    bundle: Any
    shown: bool = True


class OverlayRuns:
    """The window's runs by key, and the g each one gave for the last input it was asked about."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._results: dict[str, tuple[int, GradientsRequest, Overlay]] = {}  # key -> (bundle id, request, g)

    def remember(self, bundle: ModelBundle) -> None:
        """``bundle`` is the newest weights of its run; a run hidden before stays hidden."""
        key = lesson.model_key(bundle)
        shown = self._entries[key].shown if key in self._entries else True
        self._entries[key] = _Entry(lesson.model_label(bundle), bundle, shown)

    def labels(self) -> set[str]:
        return {e.label for e in self._entries.values()}

    def set_shown(self, label: str, shown: bool) -> None:
        for entry in self._entries.values():
            if entry.label == label:
                entry.shown = shown

    def forget_all_but(self, bundle: ModelBundle | None) -> None:
        """Forget every run but ``bundle``'s: no overlay remains."""
        key = None if bundle is None else lesson.model_key(bundle)
        self._entries = {k: e for k, e in self._entries.items() if k == key}
        self._results.clear()

    def to_compute(self, bundle: ModelBundle, request: GradientsRequest) -> list[tuple[str, str, Any]]:
        """(key, label, bundle) of the shown runs of ``bundle``'s task without an answer for ``request``."""
        key = lesson.model_key(bundle)
        others = []
        for other_key, entry in self._entries.items():
            cached = self._results.get(other_key)
            if other_key == key or not entry.shown or entry.bundle.task != bundle.task:
                continue
            if cached is None or cached[0] != id(entry.bundle) or not cached[1].same_input(bundle.task, request):
                others.append((other_key, entry.label, entry.bundle))
        return others

    def keep(self, overlays: tuple[Overlay, ...], request: GradientsRequest) -> None:
        """Keep the answers a computation brought back, for the runs still known."""
        for overlay in overlays:
            entry = self._entries.get(overlay.key)
            if entry is not None:
                self._results[overlay.key] = (id(entry.bundle), request, overlay)

    def curves(self, bundle: ModelBundle | None, request: GradientsRequest, stack: StackGradients,
               layer: int) -> tuple[list[tuple[str, LayerGradients]], list[str]]:
        """The other runs' g on the same input, in their layer ``layer`` (or their top), and why the
        shown runs that are not drawn are not."""
        drawn: list[tuple[str, LayerGradients]] = []
        notes: list[str] = []
        if bundle is None:
            return drawn, notes
        key = lesson.model_key(bundle)
        for other_key, entry in self._entries.items():
            cached = self._results.get(other_key)
            if other_key == key or not entry.shown or cached is None:
                continue
            if entry.bundle.task != bundle.task or not cached[1].same_input(bundle.task, request):
                continue
            overlay = cached[2]
            if overlay.result is None:
                notes.append(f"Not overlaid: {overlay.label}: {sentence(overlay.error)}")
                continue
            other = _part(overlay.result, stack.part)
            if other.tokens != stack.tokens:
                notes.append(f"Not overlaid: {overlay.label} reads another text ({' '.join(other.inputs[:8])}…): "
                             "overlays compare models on the same input.")
                continue
            drawn.append((overlay.label, other.get(min(layer, other.num_layers), "forward")))
        return drawn, notes

    def fill_menu(self, menu: QMenu, button: QPushButton, bundle: ModelBundle | None,
                  on_toggle: Callable[[str, bool], None], on_forget: Callable[[], None]) -> None:
        """One checkable entry per other run, then "Forget the other runs"; the button counts them."""
        menu.clear()
        key = None if bundle is None else lesson.model_key(bundle)
        others = [e for k, e in self._entries.items() if k != key]
        for entry in others:
            action = menu.addAction(entry.label)
            action.setCheckable(True)
            action.setChecked(entry.shown)
            action.toggled.connect(lambda on, label=entry.label: on_toggle(label, on))
        if others:
            menu.addSeparator()
        forget = menu.addAction("Forget the other runs", on_forget)
        forget.setEnabled(bool(others))
        button.setText(f"Other runs ({len(others)})" if others else "Other runs")


def _part(result: Gradients, part: str) -> StackGradients:
    return result.encoder if part == "encoder" and result.encoder else result.stack


def sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."
