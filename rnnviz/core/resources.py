"""Where the shipped resources (generated corpora, checkpoints, icons) live.

The top-level ``resources/`` folder is installed as the package
``rnnviz.resources`` (see pyproject.toml); a PyInstaller bundle puts it
under ``sys._MEIPASS``. A source checkout finds it beside ``rnnviz/``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding the shipped resources."""
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = []
    if frozen:
        candidates.append(Path(frozen) / "resources")
    package_root = Path(__file__).resolve().parents[1]
    candidates.append(package_root / "resources")  # installed: rnnviz/resources
    candidates.append(package_root.parent / "resources")  # source checkout
    for folder in candidates:
        if folder.is_dir():
            return folder
    return candidates[-1]


def resource_path(*parts: str) -> Path:
    """Path of a shipped resource, e.g. ``resource_path("corpora", "phrasebook.tsv")``."""
    return resources_dir().joinpath(*parts)
