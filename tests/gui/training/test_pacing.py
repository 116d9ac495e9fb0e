"""Redraw pacing: the curves redraw at most 10 times a second, less often when redrawing is costly."""

from __future__ import annotations

import pytest

from rnnviz.gui.training.pacing import RedrawPacer


class Clocks:
    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 5.0

    def run(self, wall: float, cpu: float) -> None:
        """``wall`` seconds pass, of which the GUI thread spends ``cpu`` on the CPU."""
        self.wall += wall
        self.cpu += cpu


def pacer(clocks: Clocks, **kwargs) -> RedrawPacer:
    return RedrawPacer(clock=lambda: clocks.wall, cpu=lambda: clocks.cpu, **kwargs)


def redraws_per_second(clocks: Clocks, p: RedrawPacer, cost: float, seconds: float = 20.0, tick: float = 0.033) -> float:
    """Flush-timer ticks for ``seconds``; each redraw costs the GUI thread ``cost`` s of CPU."""
    count, end = 0, clocks.wall + seconds
    while clocks.wall < end:
        if p.due():
            p.drawn()
            count += 1
            clocks.run(0.0, cost)
        clocks.run(tick, 0.0)
    return count / seconds


def test_the_first_batch_is_drawn_at_once() -> None:
    assert pacer(Clocks()).due()


def test_cheap_redraws_come_ten_times_a_second_at_most() -> None:
    clocks = Clocks()
    assert redraws_per_second(clocks, pacer(clocks), cost=0.001) == pytest.approx(1 / 0.132, rel=0.1)
    # (the 33 ms flush timer rounds the 100 ms gap up to its next tick)


def test_costly_redraws_keep_the_gui_thread_under_its_share() -> None:
    clocks = Clocks()
    p = pacer(clocks, share=0.08)
    start_cpu, start_wall = clocks.cpu, clocks.wall
    rate = redraws_per_second(clocks, p, cost=0.020)
    assert rate < 5
    assert (clocks.cpu - start_cpu) / (clocks.wall - start_wall) <= 0.08 + 1e-9


def test_the_gap_never_exceeds_the_longest() -> None:
    clocks = Clocks()
    p = pacer(clocks, longest=0.5)
    assert redraws_per_second(clocks, p, cost=1.0) >= 1 / 0.533 - 0.1
    assert p.gap == 0.5


def test_reset_starts_a_run_at_the_shortest_gap() -> None:
    clocks = Clocks()
    p = pacer(clocks)
    redraws_per_second(clocks, p, cost=0.2)
    assert p.gap > p.shortest
    p.reset()
    assert p.due() and p.gap == p.shortest


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RedrawPacer(share=0.0)
    with pytest.raises(ValueError):
        RedrawPacer(shortest=0.5, longest=0.1)
