"""The text the model reads, one line, with the token at the time cursor emphasised.

Characters (a character-level model) are shown as the text they spell, words
with spaces between them. A long text is cut to a window around the cursor
that fits the label's width, with "…" at the cut ends. Invisible tokens get a
visible stand-in (``rnnviz.core.data.display``): a space is "␣", a newline "⏎".
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from rnnviz.core.data.display import display_token

class TokenStrip(QLabel):
    """One line of tokens; ``set_step(t)`` emphasises token ``t``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tokens: tuple[str, ...] = ()
        self._step: int | None = None
        self._chars = False
        self._highlight = ("#ff00ff", "#ffffff")  # (background, text) of the current token
        self._muted = "#9a9a9a"
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(100)

    def set_tokens(self, tokens: Sequence[str]) -> None:
        self._tokens = tuple(tokens)
        # Character level when every ordinary token is one character: show the text as it reads.
        plain = [t for t in self._tokens if not (t.startswith("<") and t.endswith(">"))]
        self._chars = bool(plain) and all(len(t) == 1 for t in plain)
        if self._step is not None and self._step >= len(self._tokens):  # a shorter text than the last one
            self._step = len(self._tokens) - 1 if self._tokens else None
        self._render()

    def set_step(self, step: int | None) -> None:
        self._step = step
        self._render()

    def set_colors(self, highlight_bg: str, highlight_fg: str, muted: str) -> None:
        self._highlight, self._muted = (highlight_bg, highlight_fg), muted
        self._render()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._render()

    def _piece(self, k: int) -> str:
        token = self._tokens[k]
        # In running text a space is a space; the current token always gets its visible stand-in.
        shown = " " if (self._chars and token == " " and k != self._step) else display_token(token)
        text = html.escape(shown).replace(" ", "&nbsp;")
        if k == self._step:
            bg, fg = self._highlight
            return f"<span style='background-color:{bg}; color:{fg}; font-weight:bold'>&nbsp;{text}&nbsp;</span>"
        return text

    def _render(self) -> None:
        n = len(self._tokens)
        if not n:
            self.setText("")
            return
        step = self._step if self._step is not None else 0
        metrics = QFontMetricsF(self.font())
        budget = max(8, int(self.width() / max(metrics.averageCharWidth(), 1.0)) - 6)  # characters that fit
        lo = hi = step
        used = len(display_token(self._tokens[step])) + 2
        sep = 0 if self._chars else 1
        while True:  # grow the window around the cursor, alternating sides, until the width is used
            grew = False
            if hi + 1 < n and used + len(self._tokens[hi + 1]) + sep <= budget:
                hi += 1
                used += len(self._tokens[hi]) + sep
                grew = True
            if lo > 0 and used + len(self._tokens[lo - 1]) + sep <= budget:
                lo -= 1
                used += len(self._tokens[lo]) + sep
                grew = True
            if not grew:
                break
        joiner = "" if self._chars else " "
        body = joiner.join(self._piece(k) for k in range(lo, hi + 1))
        dots = f"<span style='color:{self._muted}'>…</span>"
        self.setText(f"{dots if lo > 0 else ''}{body}{dots if hi < n - 1 else ''}")
