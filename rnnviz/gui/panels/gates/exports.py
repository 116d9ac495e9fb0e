"""The Gates panel's exports: the trace as NPZ or CSV, the visible plots as PNG or SVG.

Each raises :class:`RnnvizError` with a message for the user. Every file goes through
:mod:`rnnviz.core.atomic`: a failed export leaves an existing file as it was and no
temporary file behind; a missing folder is refused, as by every GUI export.
:func:`fill_export_menu` puts the three behind the panel's Export button, each asking
for a file name first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtWidgets import QMenu, QWidget

from rnnviz.core.errors import RnnvizError
from rnnviz.gui.widgets.image_export import IMAGE_FILTERS, ask_and_export, check_export_path, save_image

if TYPE_CHECKING:
    from rnnviz.core.introspect import GateTrace


def export_npz(traces: Sequence[GateTrace], path: str | os.PathLike[str]) -> list[Path]:
    """One NPZ a part (``introspect.export_traces``): translation writes ``name.encoder.npz`` and
    ``name.decoder.npz``, both or neither. Returns the paths written."""
    from rnnviz.core.introspect import export_traces

    return export_traces(traces, npz=check_export_path(path, "the gate trace"))


def export_csv(traces: Sequence[GateTrace], path: str | os.PathLike[str]) -> Path:
    """Every part's gate values as one long-format CSV (``introspect.export_traces``)."""
    from rnnviz.core.introspect import export_traces

    (written,) = export_traces(tuple(traces), csv_path=check_export_path(path, "the gate trace"))
    return written


def export_image(graphics: pg.GraphicsLayoutWidget, path: str | os.PathLike[str]) -> Path:
    """The plots of ``graphics`` as PNG or SVG by the suffix; atomic."""
    if not graphics.ci.items:
        raise RnnvizError("Nothing to save yet: trace a probe first (and show the panel).")
    return save_image(graphics.ci, path, "the gate plots")


def fill_export_menu(menu: QMenu, parent: QWidget, npz: Callable[[str], Any], csv: Callable[[str], Any],
                     image: Callable[[str], Any], saved: Callable[[str], None]) -> None:
    """NPZ, CSV and image entries: each asks for a file, writes it, and reports "Saved …" to ``saved``."""

    def report(written: Path | list[Path] | None) -> None:
        if written:
            paths = written if isinstance(written, list) else [written]
            saved("Saved " + ", ".join(str(p) for p in paths))

    menu.addAction("Trace as NPZ…", lambda: report(
        ask_and_export(parent, "Export the trace as NPZ", "gates.npz", "NumPy archive (*.npz)", npz)))
    menu.addAction("Trace as CSV…", lambda: report(
        ask_and_export(parent, "Export the trace as CSV", "gates.csv", "CSV (*.csv)", csv)))
    menu.addAction("Image (PNG or SVG)…", lambda: report(
        ask_and_export(parent, "Save the plots", "gates.png", IMAGE_FILTERS, image)))
