"""The bridge between ``rnnviz.core.session`` and Qt: one training thread, coalesced and paced events.

- ``controller``: :class:`TrainingController`, in the GUI thread (its signals are the public API);
- ``worker``: the QObject on the training thread that drives one ``TrainingSession`` per job;
- ``values``: what crosses between the two (:class:`TrainingJob`, :class:`RunInfo`, requests);
- ``pacing``: how often the curves may redraw;

Importing this package imports no torch. The live samples' minimum gap,
``SAMPLE_MIN_GAP_S``, is read from ``rnnviz.gui.training.worker``: patch it there.
"""

from rnnviz.gui.training.controller import FLUSH_INTERVAL_MS, TrainingController
from rnnviz.gui.gc_guard import GC_INTERVAL_MS
from rnnviz.gui.training.pacing import RedrawPacer
from rnnviz.gui.training.values import NO_MODEL_TO_SAVE, NO_MODEL_TO_SNAPSHOT, RunInfo, TrainingJob
from rnnviz.gui.training.worker import training_threads

__all__ = [
    "FLUSH_INTERVAL_MS", "GC_INTERVAL_MS", "NO_MODEL_TO_SAVE", "NO_MODEL_TO_SNAPSHOT", "RedrawPacer", "RunInfo",
    "TrainingController", "TrainingJob", "training_threads",
]
