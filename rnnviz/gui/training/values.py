"""What crosses between the GUI thread and the training thread: jobs, run facts, requests, the buffer.

No torch here: the first window must paint before torch loads.
"""

from __future__ import annotations

import queue
import threading
import traceback
from dataclasses import dataclass

from rnnviz.core.config import DataConfig, ModelConfig, TrainConfig
from rnnviz.core.errors import RnnvizError
from rnnviz.core.events import Event, Finished, Pause, Resume, SetLearningRate, StepOnce, Stop
from rnnviz.core.session import RunFacts

NO_MODEL_TO_SAVE = "There is no model to save yet; train or open one first."
NO_MODEL_TO_SNAPSHOT = "There is no model yet; train or open one first."
#: The commands the training generator takes; anything else in the queue is a request.
COMMANDS = (Pause, Resume, StepOnce, Stop, SetLearningRate)


@dataclass(frozen=True)
class TrainingJob:
    """Everything one run needs; the GUI builds it, the worker reads it."""

    data_config: DataConfig
    model_config: ModelConfig  # ignored when ``initial`` is given: that model is trained as it is
    train_config: TrainConfig
    label: str  # names the run in legends, e.g. "GRU 1×32, sgd lr 4"
    probe: str = ""  # LM: prefix to continue; MT: sentence to translate ('' = no live sample)
    initial: object | None = None  # a ModelBundle to continue training (copied first); None = fresh model


#: Sent once the data and the model are built, before the first step: the session's facts of the run
#: (label, task, description, parameters, device, batches per epoch, epochs, vocabulary sizes, and
#: where a continued model's history ended).
RunInfo = RunFacts


@dataclass(frozen=True)
class Failure:
    """Why a job ended without finishing: a message for the user, details for a bug report."""

    message: str
    details: str

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        if isinstance(exc, RnnvizError):
            return cls(str(exc), "")
        return cls(f"Training failed unexpectedly: {type(exc).__name__}: {exc}", traceback.format_exc())


@dataclass(frozen=True)
class Save:
    """Request: write the model to ``path`` between two steps."""

    path: str


@dataclass(frozen=True)
class Snapshot:
    """Request: a copy of the model made between two steps."""


@dataclass(frozen=True)
class Probe:
    """Request: use ``text`` for the live samples from now on."""

    text: str


class EventBuffer:
    """Events the worker produced and the GUI has not emitted yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []

    def add(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def take(self) -> tuple[Event, ...]:
        with self._lock:
            events, self._events = tuple(self._events), []
        return events


def drain_queue(commands: queue.Queue) -> list[object]:
    """Everything waiting in the queue now, without blocking."""
    items = []
    while True:
        try:
            items.append(commands.get_nowait())
        except queue.Empty:
            return items


@dataclass(eq=False)
class Ticket:
    """One job in flight: its settings and the channels between the two threads."""

    job: TrainingJob
    commands: queue.Queue  # GUI -> worker: commands and Save/Snapshot/Probe requests
    buffer: EventBuffer  # worker -> GUI: events waiting to be coalesced
    stop: threading.Event  # set by stop(): also cancels a download while preparing
    abort: threading.Event  # set by shutdown(): leave at once, report nothing
    probe: str = ""  # worker side: the probe in use
    last_sample: float = -1e9  # worker side: time.monotonic() of the last live sample
    forget: bool = False  # GUI side: forget_model() was called while the job ran
    record_home: str = ""  # the runs folder to record this job into ('' = not recorded; gui.runs.recording)

    def cancelled(self) -> bool:
        return self.stop.is_set() or self.abort.is_set()


#: A job that ended before its first step.
STOPPED_EARLY = Finished("stopped", 0, 0, 0.0)
