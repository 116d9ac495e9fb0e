"""One-off background work (opening a checkpoint, listing devices) off the GUI thread.

``run_in_background(fn, on_done, on_error)`` runs ``fn()`` on Qt's global
thread pool; the callbacks run on the GUI thread, through queued signals.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from rnnviz.core.errors import RnnvizError


class _Relay(QObject):
    sig_done = Signal(object)
    sig_failed = Signal(str, str)  # message for the user, details


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result = self.fn()
        except RnnvizError as exc:
            self.relay.sig_failed.emit(str(exc), "")
        except Exception as exc:  # a bug: the user sees a message, the details keep the traceback
            self.relay.sig_failed.emit(f"Unexpected error: {type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            self.relay.sig_done.emit(result)


_live: set[_Relay] = set()  # keeps each relay alive until its job has reported


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[str, str], None]) -> None:
    relay = _Relay()
    _live.add(relay)

    def done(result: Any) -> None:
        _live.discard(relay)
        on_done(result)

    def failed(message: str, details: str) -> None:
        _live.discard(relay)
        on_error(message, details)

    relay.sig_done.connect(done)
    relay.sig_failed.connect(failed)
    QThreadPool.globalInstance().start(_Job(fn, relay))


def list_devices() -> list[str]:
    """Every device this machine can train on, for the toolbar's selector (imports torch)."""
    import torch

    devices = ["auto", "cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    return devices
