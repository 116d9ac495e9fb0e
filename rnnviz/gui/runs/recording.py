"""Recording the app's training runs into the user's runs folder, from the training thread.

Every run trained in the window is recorded (unless the user turned it off) into
``runs_home()/<date>_<label>`` by a :class:`~rnnviz.core.runs.RunRecorder`, fed the very
events the store gets, on the training thread, between two steps: the weights at an epoch's
end are copied there and then (the model does not change until the next event is asked
for), and the disk work runs on the recorder's own thread, so training never waits for it.

A recording that fails (a full disk, a folder that cannot be created) stops with a message
and the training goes on: the lecturer is watching it live and can still save the model as
a checkpoint; the run folder keeps every epoch it had (the CLI stops instead: nobody watches).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnviz.core.errors import RnnvizError
from rnnviz.core.events import Event, Finished

#: The words a failed recording ends with in the app.
GOES_ON = " Training goes on without recording; save the model as a checkpoint to keep it."


@dataclass(frozen=True)
class RecordingNews:
    """What the training thread tells the window about recording: where it records, or why it stopped."""

    folder: str = ""  # the run folder (set once recording started)
    message: str = ""  # why recording could not start or stopped ('' while all is well)


class JobRecorder:
    """One training job's recording, driven by the worker on the training thread."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.failed = False

    @classmethod
    def start(cls, home: str, session: Any, label: str) -> tuple[JobRecorder | None, RecordingNews]:
        """Start recording the prepared ``session`` into a new folder of ``home``; (None, why) when it cannot."""
        from rnnviz.core.runs import RunRecorder, new_run_folder

        folder = new_run_folder(Path(home), label or session.bundle.display_name)
        try:
            recorder = RunRecorder.create(folder, session.bundle, label=label, device=str(session.device))
        except RnnvizError as exc:
            return None, RecordingNews("", f"This run is not recorded: {exc}{GOES_ON}")
        except OSError as exc:  # the runs folder itself cannot be made
            return None, RecordingNews("", f"This run is not recorded: cannot write into {home} "
                                           f"({exc.strerror or exc}).{GOES_ON}")
        return cls(recorder), RecordingNews(str(recorder.folder))

    @property
    def folder(self) -> str:
        return str(self.recorder.folder)

    def record(self, event: Event) -> str:
        """Record ``event`` (called before the next is asked for); the failure's message the first
        time recording fails, else ''."""
        from rnnviz.core.runs import RecordingFailed

        if self.failed:
            return ""
        try:
            self.recorder.record(event)
        except RecordingFailed as exc:
            self.failed = True
            return f"{exc}{GOES_ON}"
        return ""

    def close(self, outcome: object) -> str:
        """End the recording with the job's outcome; the failure's message if the last writes failed."""
        status = None if isinstance(outcome, Finished) else ("failed" if outcome is not None else "interrupted")
        self.recorder.close(status)
        if self.recorder.failed is not None and not self.failed:
            self.failed = True
            return f"{self.recorder.failed}"
        return ""
