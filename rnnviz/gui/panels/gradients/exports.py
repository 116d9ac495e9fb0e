"""The Gradients tab's exports: the result as NPZ or CSV (as ``rnnviz grads`` writes them), the plots as
PNG or SVG.

Each raises :class:`RnnvizError` with a message for the user; every file goes through
:mod:`rnnviz.core.atomic` (a failed export leaves an existing file as it was). The formats are
:mod:`rnnviz.core.gradients.export`'s; read an NPZ back with ``Gradients.from_npz``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMenu, QWidget

from rnnviz.core.errors import RnnvizError
from rnnviz.gui.widgets.image_export import IMAGE_FILTERS, ask_and_export, check_export_path, save_image

if TYPE_CHECKING:
    from rnnviz.core.gradients import Gradients
    from rnnviz.gui.panels.gradients.plots import GradientPlots


def export_npz(result: Gradients, path: str | os.PathLike[str]) -> Path:
    from rnnviz.core.gradients import export_gradients

    (written,) = export_gradients(result, npz=check_export_path(path, "the gradients"))
    return written


def export_csv(result: Gradients, path: str | os.PathLike[str]) -> Path:
    from rnnviz.core.gradients import export_gradients

    (written,) = export_gradients(result, csv_path=check_export_path(path, "the gradients"))
    return written


def export_image(plots: GradientPlots, path: str | os.PathLike[str]) -> Path:
    if plots.values.shape[1] == 0:
        raise RnnvizError("Nothing to save yet: compute the gradients first (and show the tab).")
    return save_image(plots.ci, path, "the gradient plots")


def fill_export_menu(menu: QMenu, parent: QWidget, npz: Callable[[str], Any], csv: Callable[[str], Any],
                     image: Callable[[str], Any], saved: Callable[[str], None]) -> None:
    """NPZ, CSV and image entries: each asks for a file, writes it, and reports "Saved …" to ``saved``."""

    def report(written: Path | None) -> None:
        if written:
            saved(f"Saved {written}")

    menu.addAction("Gradients as NPZ…", lambda: report(
        ask_and_export(parent, "Export the gradients as NPZ", "gradients.npz", "NumPy archive (*.npz)", npz)))
    menu.addAction("Gradients as CSV…", lambda: report(
        ask_and_export(parent, "Export the gradients as CSV", "gradients.csv", "CSV (*.csv)", csv)))
    menu.addAction("Image (PNG or SVG)…", lambda: report(
        ask_and_export(parent, "Save the plots", "gradients.png", IMAGE_FILTERS, image)))
