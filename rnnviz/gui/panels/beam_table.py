"""The beam-search panel's ranked table and legend: the final hypotheses as rows, the tree's colours in words."""

from __future__ import annotations

import html
from collections.abc import Callable

from rnnviz.core.decoding import BeamResult, Hypothesis
from rnnviz.gui.style import Theme
from rnnviz.gui.widgets.beam_tree import HIGHLIGHT

TABLE_COLUMNS: tuple[str, ...] = ("#", "hypothesis", "P", "log P", "L", "score", "ends")


def hypothesis_rows(result: BeamResult, text: Callable[[Hypothesis], str]) -> list[tuple[str, ...]]:
    """One row a hypothesis, best score first, in ``TABLE_COLUMNS``' order; ``text`` joins its tokens."""
    return [(str(row + 1), text(h), _prob(h.probability), f"{h.log_prob:.3f}", str(len(h.tokens)),
             f"{h.score:.3f}", _ends(h, result.options.max_len)) for row, h in enumerate(result.hypotheses)]


def legend_html(theme: Theme) -> str:
    """What the tree's bold, grey, double borders and highlight mean."""
    fg, muted = theme.foreground, theme.muted
    parts = [f'<b style="color:{fg}">bold</b> = kept', f'<span style="color:{muted}">grey, dashed</span> = pruned',
             "double border = finished (&lt;eos&gt;)",
             f'<b style="color:{HIGHLIGHT}">vermillion</b> = the best hypothesis (after the last step) '
             "or the one selected below",
             "hover a node for its log P and score"]
    return f'<span style="color:{muted}">' + html.escape(" · ").join(parts) + "</span>"


def _ends(hypothesis: Hypothesis, max_len: int) -> str:
    if hypothesis.finished:
        return "<eos>"
    return "max length" if len(hypothesis.tokens) >= max_len else "open"


def _prob(p: float) -> str:
    if p == 0:
        return "0"
    return f"{p:.3g}" if p >= 1e-4 else f"{p:.2e}"
