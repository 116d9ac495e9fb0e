"""How often the training view may redraw: as often as the GUI thread can afford.

Every redraw holds Python's interpreter lock on the GUI thread (pyqtgraph builds
and paints its items in Python), and while it does, the training thread waits
for the lock between two torch calls. So the redraws are paced by what they
cost: the GUI thread's CPU time between two redraws (the redraw, its paint and
whatever else the window did) is kept under ``share`` of the wall time. On a
fast machine that is the upper limit of 10 redraws a second; on a slow one, or
on a big screen where painting costs more, the curves move a little less often
and training keeps its speed (bench/gui_latency.py).

Plain Python (no Qt): the clocks are injectable for the tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: The GUI thread's share of one core that redraws may take while training runs.
GUI_SHARE = 0.05
#: The shortest and longest gaps between two redraws, in seconds.
SHORTEST_GAP_S = 0.1
LONGEST_GAP_S = 0.5


class RedrawPacer:
    """Decides when the next coalesced batch of events may be drawn.

    Call :meth:`due` to ask, :meth:`drawn` after each batch is handed over, and
    :meth:`reset` when a run starts.
    """

    def __init__(self, share: float = GUI_SHARE, shortest: float = SHORTEST_GAP_S, longest: float = LONGEST_GAP_S,
                 clock: Callable[[], float] = time.monotonic, cpu: Callable[[], float] = time.thread_time) -> None:
        if not 0 < share <= 1 or not 0 < shortest <= longest:
            raise ValueError("need 0 < share <= 1 and 0 < shortest <= longest")
        self.share, self.shortest, self.longest = share, shortest, longest
        self._clock, self._cpu = clock, cpu
        self.reset()

    def reset(self) -> None:
        self._last_wall: float | None = None
        self._last_cpu = 0.0
        self._cost: float | None = None  # smoothed GUI CPU seconds per redraw
        self.gap = self.shortest

    def due(self) -> bool:
        return self._last_wall is None or self._clock() - self._last_wall >= self.gap

    def drawn(self) -> None:
        """A batch was just handed over: measure what the previous one cost, set the next gap."""
        cpu = self._cpu()
        if self._last_wall is not None:
            used = cpu - self._last_cpu
            self._cost = used if self._cost is None else 0.5 * self._cost + 0.5 * used
            self.gap = min(self.longest, max(self.shortest, self._cost / self.share))
        self._last_wall, self._last_cpu = self._clock(), cpu
