"""Where things are in a run folder, and where run folders live.

A run folder::

    manifest.json                 what the run is (configs, vocabularies, status); rewritten atomically
    events.jsonl                  one JSON object per line, appended as training goes
    epoch-0000.safetensors        the weights before the first step (epoch 0)
    epoch-0007.safetensors        the weights at the end of epoch 7
    step-00001200.safetensors     with --save-every-steps: the weights after step 1,200
    lock                          while a process writes the run: its pid and host (JSON)

The runs folder of the user (``rnnviz runs list`` with no folder, the app's recordings) is
``platformdirs.user_data_dir("rnnviz")/runs``; ``RNNVIZ_RUNS_DIR`` overrides it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

MANIFEST = "manifest.json"
EVENTS = "events.jsonl"
LOCK = "lock"
#: The file names rnnviz writes into a run folder (anything else makes a folder "not empty").
_EPOCH_FILE = re.compile(r"^epoch-(\d{4,})\.safetensors$")
_STEP_FILE = re.compile(r"^step-(\d{8,})\.safetensors$")


def epoch_file(epoch: int) -> str:
    """"epoch-0007.safetensors": sorted by name is sorted by epoch (up to 9,999; wider after)."""
    return f"epoch-{epoch:04d}.safetensors"


def step_file(step: int) -> str:
    return f"step-{step:08d}.safetensors"


def parse_weights_file(name: str) -> tuple[str, int] | None:
    """("epoch", 7) for "epoch-0007.safetensors", ("step", 1200) for "step-00001200.safetensors", else None."""
    for kind, pattern in (("epoch", _EPOCH_FILE), ("step", _STEP_FILE)):
        match = pattern.match(name)
        if match:
            return kind, int(match.group(1))
    return None


def is_run(folder: Path) -> bool:
    """A folder holding a run's manifest (complete or not, of any version)."""
    return (folder / MANIFEST).is_file()


def runs_home() -> Path:
    """The user's runs folder: ``RNNVIZ_RUNS_DIR``, else the user data directory's ``runs``."""
    override = os.environ.get("RNNVIZ_RUNS_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs  # imported here: only runs need it

    return Path(platformdirs.user_data_dir("rnnviz")) / "runs"


def find_runs(folder: Path, depth: int = 2) -> list[Path]:
    """The run folders in ``folder`` (itself, its subfolders, their subfolders: ``depth`` levels), by name.
    A run's own subfolders are not searched; unreadable folders are passed over."""
    if is_run(folder):
        return [folder]
    found: list[Path] = []
    if depth <= 0:
        return found
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return found
    for child in children:
        found.extend(find_runs(child, depth - 1))
    return found
