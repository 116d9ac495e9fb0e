"""The k most probable next tokens as horizontal bars, the chosen token highlighted.

:class:`TopKBars` takes a whole distribution (one probability per vocabulary
entry) and draws its top ``k``, most probable on top, each bar labelled with
its probability. The token actually chosen is drawn in vermillion; when it is
not among the top k (sampling can pick an unlikely one) it gets an extra bar
at the bottom, labelled with its rank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QApplication, QWidget

from rnnviz.core.data.display import SHORT_LABEL, display_token
from rnnviz.gui.style import NORMAL, PALETTE, Theme
from rnnviz.gui.widgets.plain_axis import plain_numbers

CHOSEN = PALETTE[1]  # vermillion, as the beam tree's best path
OTHER = PALETTE[0]  # blue


class TopKBars(pg.PlotWidget):
    """A next-token distribution's top k; call :meth:`set_distribution` for each step shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bars: list[tuple[str, float, bool, int]] = []  # token, probability, chosen, rank (1-based)
        self._title = ""
        self._theme = NORMAL
        base = QApplication.font().pointSizeF()
        self._base_pt = base if base > 0 else 10.0
        self._items: list[pg.GraphicsObject] = []
        self._extra = False  # the chosen token is below the top k: drawn last, with its rank
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.getViewBox().invertY(True)  # rank 1 on top
        plot.setLabel("bottom", "probability")
        plain_numbers(plot.getAxis("bottom"))  # probabilities, not "×0.001"
        self.setMinimumHeight(160)
        self.apply_theme(NORMAL)

    # ------------------------------------------------------------------ public API

    def set_distribution(self, vocabulary: Sequence[str], probs: Sequence[float] | np.ndarray, chosen: int | None,
                         k: int = 10, title: str = "") -> None:
        """Draw the ``k`` most probable of ``probs`` (one per vocabulary entry); ``chosen`` is highlighted."""
        p = np.asarray(probs, dtype=np.float64)
        order = np.lexsort((np.arange(p.shape[0]), -p))  # best first; ties: the smaller id
        ranks = np.empty_like(order)
        ranks[order] = np.arange(1, p.shape[0] + 1)
        top = [int(i) for i in order[:max(1, k)]]
        self._extra = chosen is not None and chosen not in top
        if self._extra:
            top.append(int(chosen))
        self._bars = [(vocabulary[i], float(p[i]), i == chosen, int(ranks[i])) for i in top]
        self._title = title
        self._redraw()

    def clear_bars(self, title: str = "") -> None:
        self._bars = []
        self._extra = False
        self._title = title
        self._redraw()

    def bars(self) -> list[tuple[str, float, bool]]:
        """What is drawn, top to bottom: (token, probability, is the chosen token)."""
        return [(token, prob, chosen) for token, prob, chosen, _ in self._bars]

    def label_font(self) -> QFont:
        """The font of the bars' token labels in the current theme."""
        return QFont(self._font)

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``, the theme's colours."""
        self._theme = theme
        pt = self._base_pt * theme.font_scale
        self._font = QFont(self.font())
        self._font.setPointSizeF(pt)
        self.setBackground(theme.background)
        plot = self.getPlotItem()
        self._token_font = QFont(self._font)
        self._token_font.setPointSizeF(pt * 1.2)  # the tokens are what the audience reads
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2)))
            axis.setTextPen(pg.mkPen(theme.foreground))
            axis.setStyle(tickFont=self._token_font if name == "left" else self._font,
                          tickTextOffset=int(4 * theme.font_scale))
        plot.setLabel("bottom", "probability", **{"font-size": f"{pt:.1f}pt", "color": theme.foreground})
        self._redraw()

    # ------------------------------------------------------------------ drawing

    def _redraw(self) -> None:
        plot = self.getPlotItem()
        for item in self._items:
            plot.removeItem(item)
        self._items = []
        theme = self._theme
        plot.setTitle(self._title, color=theme.foreground, size=f"{self._base_pt * theme.font_scale * 1.1:.1f}pt")
        if not self._bars:
            plot.getAxis("left").setTicks([[]])
            return
        n = len(self._bars)
        ys = np.arange(n, dtype=float)
        widths = np.array([prob for _, prob, _, _ in self._bars])
        brushes = [pg.mkBrush(CHOSEN if chosen else OTHER) for _, _, chosen, _ in self._bars]
        bars = pg.BarGraphItem(x0=np.zeros(n), y=ys, height=0.72, width=widths, brushes=brushes,
                               pen=pg.mkPen(theme.background, width=1))
        plot.addItem(bars)
        self._items.append(bars)
        top = max(float(widths.max()), 1e-9)
        labels = []
        for i, (y, (token, prob, chosen, rank)) in enumerate(zip(ys, self._bars)):
            shown = display_token(token, SHORT_LABEL)
            labels.append((float(y), f"{shown} (rank {rank:,})" if self._extra and i == n - 1 else shown))
            text = pg.TextItem(f"{prob:.3f}" if prob >= 0.001 else f"{prob:.1e}",
                               color=CHOSEN if chosen else theme.foreground, anchor=(0, 0.5))
            text.setFont(self._font)
            text.setPos(prob + top * 0.01, float(y))
            plot.addItem(text)
            self._items.append(text)
        left = plot.getAxis("left")
        left.setTicks([labels])
        # pyqtgraph widens an axis for its labels only after a paint: size it now, so no label is clipped.
        widest = max(QFontMetricsF(self._token_font).horizontalAdvance(text) for _, text in labels)
        left.setWidth(int(widest + 16 * self._theme.font_scale))
        plot.setXRange(0, top * 1.22, padding=0)  # room for the value labels
        plot.setYRange(-0.6, n - 0.4, padding=0)
