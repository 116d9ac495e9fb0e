"""Where the shipped resources (generated corpora, checkpoints, icons) live.

``pretrained_path(task)`` names the small models shipped with rnnviz; the CLI,
the desktop app and the tests all ask here, so no layer reaches into another
for them.

The top-level ``resources/`` folder is installed as the package
``rnnviz.resources`` (see pyproject.toml); a PyInstaller bundle puts it
under ``sys._MEIPASS``. A source checkout finds it beside ``rnnviz/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The shipped pretrained model of each task, as parts of a path under resources_dir().
PRETRAINED: dict[str, tuple[str, ...]] = {
    "lm": ("pretrained", "phrasebook-lm.pt"),
    "mt": ("pretrained", "phrasebook-mt.pt"),
}


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


def pretrained_path(task: str) -> Path:
    """Path of the pretrained model shipped for ``task`` ("lm" or "mt"); it may be missing from a broken install."""
    return resource_path(*PRETRAINED[task])
