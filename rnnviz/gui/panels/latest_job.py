"""One model job at a time for a panel, and only the newest request's answer.

A panel that searches a model as the user types asks for many jobs; the model
should run one at a time (one thread, no pile-up) and the panel should show
only what matches its controls now. :class:`LatestJob` keeps at most one job
running and one waiting (the newest; an older waiting one is dropped), and
delivers a result only if no newer request came since it was asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from shiboken6 import isValid

from rnnviz.gui.tasks import run_in_background


class LatestJob:
    """Run ``fn`` off the GUI thread with :func:`run_in_background`; deliver only the newest result.

    ``on_done(result)`` and ``on_error(message)`` run on the GUI thread, and
    only while ``owner`` (the panel) still exists.
    """

    def __init__(self, owner: QObject, on_done: Callable[[Any], None], on_error: Callable[[str], None]) -> None:
        self._owner, self._on_done, self._on_error = owner, on_done, on_error
        self._ticket = 0
        self._waiting: tuple[int, Callable[[], Any]] | None = None
        self._busy = False

    @property
    def busy(self) -> bool:
        """A job is running or waiting."""
        return self._busy or self._waiting is not None

    def submit(self, fn: Callable[[], Any]) -> None:
        """Ask for ``fn()``; a job still running will have its answer dropped."""
        self._ticket += 1
        self._waiting = (self._ticket, fn)
        if not self._busy:
            self._start()

    def cancel(self) -> None:
        """Drop the answers of every job asked for so far (the panel showed something else)."""
        self._ticket += 1
        self._waiting = None

    def _start(self) -> None:
        assert self._waiting is not None
        ticket, fn = self._waiting
        self._waiting = None
        self._busy = True
        run_in_background(fn, lambda result: self._finished(ticket, result, None),
                          lambda message, details: self._finished(ticket, None, message))

    def _finished(self, ticket: int, result: Any, error: str | None) -> None:
        self._busy = False
        if not isValid(self._owner):  # the panel was closed while its job ran
            return
        if self._waiting is not None:  # a newer request is waiting: this answer is stale
            self._start()
            return
        if ticket != self._ticket:
            return
        if error is None:
            self._on_done(result)
        else:
            self._on_error(error)
