"""Run folders: a training recorded as it goes, to be opened, scrubbed and followed later.

- :class:`RunRecorder` (``writer``) records a run: manifest, append-only events, weights per epoch.
- :func:`open_run` / :class:`Run` (``reader``) open one: its epochs, curves, a ModelBundle per epoch,
  what was skipped; :func:`follow` and ``Run.refresh`` follow a run another process is writing.
- ``layout`` names the files and finds the user's runs folder (:func:`runs_home`); ``manage`` names a
  new run's folder, renames and deletes runs (never while they are written, only rnnviz's files).
- ``tensorboard`` exports a run's scalars as TensorBoard event files; ``plot`` draws curves as SVG or PNG.

No pickle anywhere: JSON for the manifest and events, safetensors for the weights.
"""

from __future__ import annotations

from rnnviz.core.runs.layout import find_runs, is_run, runs_home
from rnnviz.core.runs.manage import RunSummary, delete_run, new_run_folder, rename_run, summarize
from rnnviz.core.runs.manifest import FORMAT, STATUSES, UNFINISHED, VERSION, Manifest
from rnnviz.core.runs.reader import Run, RunUpdate, SavedWeights, follow, open_run
from rnnviz.core.runs.writer import RecordingFailed, RunRecorder, check_run_folder

__all__ = [
    "FORMAT", "STATUSES", "UNFINISHED", "VERSION", "Manifest", "RecordingFailed", "Run", "RunRecorder",
    "RunSummary", "RunUpdate", "SavedWeights", "check_run_folder", "delete_run", "find_runs", "follow", "is_run",
    "new_run_folder", "open_run", "rename_run", "runs_home", "summarize",
]
