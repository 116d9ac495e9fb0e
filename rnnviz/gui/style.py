"""Looks shared by every panel: the normal theme and the projector's presentation theme.

Panels implement ``apply_theme(theme)``; the main window calls it on each one
when View → Presentation mode is toggled. Colours are the Okabe–Ito palette,
which stays distinct for colour-blind viewers and on washed-out projectors.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QFont

#: Okabe–Ito: blue, vermillion, bluish green, reddish purple, orange, sky blue, yellow, black.
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


@dataclass(frozen=True)
class Theme:
    name: str
    font_scale: float  # multiplies the application's base point size
    line_width: float  # curve pen width in pixels
    background: str  # plot background
    foreground: str  # axes, text
    grid_alpha: float  # 0–1
    colors: tuple[str, ...] = PALETTE  # one per series / run, in order
    muted: str = "#9a9a9a"  # earlier runs, pruned things

    def color(self, index: int) -> str:
        return self.colors[index % len(self.colors)]


NORMAL = Theme("normal", font_scale=1.0, line_width=1.5, background="#ffffff", foreground="#202020", grid_alpha=0.25)
#: For a projector: larger type, thicker lines, pure black on white (dark themes wash out).
PRESENTATION = Theme("presentation", font_scale=1.75, line_width=3.5, background="#ffffff", foreground="#000000",
                     grid_alpha=0.35, muted="#7a7a7a")


def scaled_font(font: QFont, points: float) -> QFont:
    """A copy of ``font`` at ``points`` (a theme's fonts are the base size × its scale × a role's factor)."""
    scaled = QFont(font)
    scaled.setPointSizeF(points)
    return scaled
