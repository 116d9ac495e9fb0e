"""Saving a pyqtgraph layout as PNG or SVG: crisp enough for a slide, atomic, with clear errors.

Every file goes through :mod:`rnnviz.core.atomic`: a failed save leaves the previous file as it
was and no temporary file behind, and says why in words ("the disk is full") with the path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from rnnviz.core.atomic import Export, check_destination, write_atomically
from rnnviz.core.errors import DataError, RnnvizError

#: The file-dialog filter for :func:`save_image`'s formats.
IMAGE_FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"

#: PNGs narrower than this are rendered wider, so that they stay sharp on a projector.
MIN_PNG_WIDTH = 1600


def check_export_path(path: str | os.PathLike[str], what: str) -> Path:
    """Refuse, before any work, a path an export cannot write; returns it expanded.

    The GUI's exports never create folders: a file dialog gave the path, so a missing folder means
    it was removed meanwhile (or mistyped), and the user should choose again."""
    target = Path(path).expanduser()
    if target.is_dir():  # said here: check_destination's example name is a checkpoint's
        raise DataError(f"{str(target)!r} is a folder; give a file name for {what} inside it.")
    return check_destination(target, what)


def save_image(layout: pg.GraphicsObject, path: str | os.PathLike[str], what: str = "the plots") -> Path:
    """Write ``layout`` as PNG or SVG (by the suffix) through a temporary file, so that a failed
    save never destroys the previous file. Raises :class:`RnnvizError` (a ``DataError`` for a file
    that cannot be written, naming the path and why)."""
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise RnnvizError(f"Cannot save {what} as {target.name!r}: use a .png or .svg file name.")
    if layout.sceneBoundingRect().isEmpty():
        raise RnnvizError(f"Cannot save {what} yet: they are not laid out (show them first).")
    target = check_export_path(target, what)  # before rendering, which takes a moment
    try:
        if suffix == ".svg":
            data = svg_bytes(layout)
        else:
            exporter = ImageExporter(layout)
            width = int(exporter.parameters()["width"])
            if 0 < width < MIN_PNG_WIDTH:
                exporter.parameters()["width"] = MIN_PNG_WIDTH
            image = exporter.export(toBytes=True)
    except Exception as error:  # pyqtgraph raises bare Exception for an empty or odd scene
        raise RnnvizError(f"Could not render {what}: {error}") from error
    if suffix == ".svg":
        return write_atomically(target, "wb", lambda handle: handle.write(data), what)
    with Export(what) as export:
        export.add_path(target, lambda tmp: _save_png(image, tmp))
    return export.paths[0]


def _save_png(image: QImage, tmp: Path) -> None:
    # QImage.save says only False; an OSError becomes atomic's DataError naming the target.
    if not image.save(str(tmp), "PNG"):
        raise OSError("Qt could not write the PNG image")


def svg_bytes(item: pg.GraphicsObject) -> bytes:
    """pyqtgraph's SVG of ``item``, working around pyqtgraph#3495 where needed.

    pyqtgraph 0.14's exporter parses every token of a ``<path d=...>`` as "x,y"
    and fails on the closing "Z" that recent Qt versions write (the ViewBox's
    background rectangle has one). When that happens the export is retried with
    the "Z" tokens lifted out around pyqtgraph's coordinate rewrite and put back.
    """
    try:
        return SVGExporter(item).export(toBytes=True)
    except ValueError:
        pass
    module = sys.modules[SVGExporter.__module__]
    original = module.correctCoordinates

    def tolerant(node, defs, owner, options):  # type: ignore[no-untyped-def]
        closes = []
        for path in node.getElementsByTagName("path"):
            tokens = path.getAttribute("d").split()
            where = [i for i, token in enumerate(tokens) if token in ("Z", "z")]
            if where:
                closes.append((path, where))
                path.setAttribute("d", " ".join(t for t in tokens if t not in ("Z", "z")))
        original(node, defs, owner, options)
        for path, where in closes:
            tokens = path.getAttribute("d").split()
            for i in where:
                tokens.insert(i, "Z")
            path.setAttribute("d", " ".join(tokens))

    module.correctCoordinates = tolerant
    try:
        return SVGExporter(item).export(toBytes=True)
    finally:
        module.correctCoordinates = original


def ask_and_export(parent: QWidget, title: str, default_name: str, filters: str,
                   export: Callable[[str], Any]) -> Any | None:
    """Ask where to save, then ``export(path)``; a failure is shown in a dialog, never raised.
    Returns what ``export`` returned, or None when cancelled or failed."""
    path, _ = QFileDialog.getSaveFileName(parent, title, default_name, filters)
    if not path:
        return None
    try:
        return export(path)
    except RnnvizError as error:
        QMessageBox.warning(parent, "Export failed", str(error))
        return None
