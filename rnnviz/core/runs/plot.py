"""Curves of several runs in one figure, as SVG (written by hand) or PNG (``raster``), without Qt.

``compare_figure(runs, "both")`` makes the figure ``rnnviz runs compare`` draws: the loss per
epoch of each run, one colour a run, validation solid and training dashed. ``to_svg`` and
``to_png`` lay it out the same way; ``write_figure`` picks by the file's suffix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from rnnviz.core.atomic import write_atomically
from rnnviz.core.events import EpochEnd

if TYPE_CHECKING:
    from rnnviz.core.runs.reader import Run

#: One colour a run (a colour-blind-safe cycle: Okabe and Ito's).
COLORS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000")
WIDTH, HEIGHT = 960, 540
LEFT, RIGHT, TOP, BOTTOM = 90, 300, 50, 70  # margins: axis labels on the left and below, legend on the right
DASH = (8.0, 5.0)


@dataclass(frozen=True)
class Series:
    label: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    color: str
    dashed: bool = False


@dataclass
class Figure:
    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)

    def limits(self) -> tuple[float, float, float, float]:
        """(x min, x max, y min, y max) over every finite point, padded so that no range is empty."""
        xs = [x for s in self.series for x, y in zip(s.xs, s.ys) if math.isfinite(y)]
        ys = [y for s in self.series for y in s.ys if math.isfinite(y)]
        if not xs:
            return 0.0, 1.0, 0.0, 1.0
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        if x0 == x1:
            x0, x1 = x0 - 1, x1 + 1
        if y0 == y1:
            y0, y1 = y0 - 0.5, y1 + 0.5
        pad = (y1 - y0) * 0.05
        return x0, x1, y0 - pad, y1 + pad


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values between ``lo`` and ``hi``: steps of 1, 2 or 5 times a power of ten."""
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, value = [], first
    while value <= hi + 1e-9 * step:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _tick_text(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e5 else f"{value:.2g}"


def compare_figure(runs: Sequence[Run], curve: str = "both") -> Figure:
    """The loss per epoch of each run: validation solid, training dashed (``curve``: both, val, train)."""
    figure = Figure("loss per epoch" if len(runs) > 1 else f"loss per epoch: {runs[0].name}", "epoch",
                    "loss (nats per token)")
    names = [run.name for run in runs]
    for index, run in enumerate(runs):
        color = COLORS[index % len(COLORS)]
        name = run.name if names.count(run.name) == 1 else f"{run.name} ({index + 1})"
        ends = [e for e in run.events if isinstance(e, EpochEnd)]
        val = [(e.epoch, e.val_loss) for e in ends if e.val_loss is not None]
        if curve in ("both", "val") and val:
            figure.series.append(Series(f"{name} val", tuple(float(x) for x, _ in val),
                                        tuple(float(y) for _, y in val), color))
        if curve in ("both", "train") and ends:
            figure.series.append(Series(f"{name} train", tuple(float(e.epoch) for e in ends),
                                        tuple(e.train_loss for e in ends), color, dashed=True))
    return figure


class _Frame:
    """Data coordinates to pixels, for both renderers."""

    def __init__(self, figure: Figure) -> None:
        self.x0, self.x1, self.y0, self.y1 = figure.limits()
        self.left, self.top = LEFT, TOP
        self.width, self.height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(self, x: float, y: float) -> tuple[float, float]:
        return (self.left + (x - self.x0) / (self.x1 - self.x0) * self.width,
                self.top + (1 - (y - self.y0) / (self.y1 - self.y0)) * self.height)

    def points(self, series: Series) -> list[tuple[float, float]]:
        return [self.px(x, y) for x, y in zip(series.xs, series.ys) if math.isfinite(y)]

    def x_ticks(self) -> list[float]:
        ticks = nice_ticks(self.x0, self.x1)
        return [t for t in ticks if t == int(t)] or ticks  # epochs are whole numbers

    def y_ticks(self) -> list[float]:
        return nice_ticks(self.y0, self.y1, 9)


def to_svg(figure: Figure) -> str:
    frame = _Frame(figure)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="14">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
           f'<text x="{WIDTH / 2:.0f}" y="30" text-anchor="middle" font-size="18">{escape(figure.title)}</text>']
    bottom, right = frame.top + frame.height, frame.left + frame.width
    for tick in frame.y_ticks():
        _, y = frame.px(frame.x0, tick)
        out.append(f'<line x1="{frame.left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{frame.left - 8}" y="{y + 5:.1f}" text-anchor="end">{_tick_text(tick)}</text>')
    for tick in frame.x_ticks():
        x, _ = frame.px(tick, frame.y0)
        out.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}" stroke="#000000"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 22}" text-anchor="middle">{_tick_text(tick)}</text>')
    out.append(f'<rect x="{frame.left}" y="{frame.top}" width="{frame.width}" height="{frame.height}" '
               'fill="none" stroke="#000000"/>')
    out.append(f'<text x="{frame.left + frame.width / 2:.0f}" y="{HEIGHT - 20}" text-anchor="middle">'
               f'{escape(figure.x_label)}</text>')
    out.append(f'<text transform="translate(24 {frame.top + frame.height / 2:.0f}) rotate(-90)" '
               f'text-anchor="middle">{escape(figure.y_label)}</text>')
    for series in figure.series:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in frame.points(series))
        dash = f' stroke-dasharray="{DASH[0]:g} {DASH[1]:g}"' if series.dashed else ""
        out.append(f'<polyline points="{points}" fill="none" stroke="{series.color}" stroke-width="2"{dash}>'
                   f'<title>{escape(series.label)}</title></polyline>')
    for index, series in enumerate(figure.series):
        y = frame.top + 10 + index * 24
        x = right + 20
        dash = f' stroke-dasharray="{DASH[0]:g} {DASH[1]:g}"' if series.dashed else ""
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 36}" y2="{y}" stroke="{series.color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{x + 44}" y="{y + 5}">{escape(_short(series.label))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _short(label: str, most: int = 30) -> str:
    return label if len(label) <= most else label[:most - 1] + "…"


def to_png(figure: Figure) -> bytes:
    from rnnviz.core.runs.raster import Canvas

    frame = _Frame(figure)
    canvas = Canvas(WIDTH, HEIGHT)
    bottom, right = frame.top + frame.height, frame.left + frame.width
    canvas.text(WIDTH / 2, 32, figure.title, anchor="middle")
    for tick in frame.y_ticks():
        _, y = frame.px(frame.x0, tick)
        canvas.line(frame.left, y, right, y, "#e5e5e5")
        canvas.text(frame.left - 8, y + 7, _tick_text(tick), anchor="end")
    for tick in frame.x_ticks():
        x, _ = frame.px(tick, frame.y0)
        canvas.line(x, bottom, x, bottom + 5, "#000000")
        canvas.text(x, bottom + 24, _tick_text(tick), anchor="middle")
    for x0, y0, x1, y1 in ((frame.left, frame.top, right, frame.top), (frame.left, bottom, right, bottom),
                           (frame.left, frame.top, frame.left, bottom), (right, frame.top, right, bottom)):
        canvas.line(x0, y0, x1, y1, "#000000")
    canvas.text(frame.left + frame.width / 2, HEIGHT - 14, figure.x_label, anchor="middle")
    canvas.text(30, frame.top + frame.height / 2, figure.y_label, vertical=True)
    for series in figure.series:
        canvas.polyline(frame.points(series), series.color, 2, DASH if series.dashed else None)
    for index, series in enumerate(figure.series):
        y = frame.top + 10 + index * 24
        x = right + 20
        canvas.polyline([(x, y), (x + 36, y)], series.color, 2, DASH if series.dashed else None)
        canvas.text(x + 44, y + 7, _short(series.label))
    return canvas.png()


def write_figure(figure: Figure, path: Path) -> Path:
    """``path`` ending in .svg or .png, written atomically."""
    if path.suffix.lower() == ".png":
        data = to_png(figure)
        return write_atomically(path, "wb", lambda out: out.write(data), "the figure")
    text = to_svg(figure)
    return write_atomically(path, "w", lambda out: out.write(text), "the figure")
