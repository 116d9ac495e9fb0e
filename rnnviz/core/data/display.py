"""A token as a screen shows it: invisible characters get a visible stand-in, long tokens may be shortened.

One rule for every view (the token strip, the heatmaps' axes, the beam tree's
nodes, the top-k bars): a space is "␣", a line end "⏎", a tab "⇥", the empty
token "∅". Labels with little room (a tree node, a bar) pass ``max_chars``.
"""

from __future__ import annotations

_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}
#: The longest label a tree node or a bar shows: longer tokens end in "…".
SHORT_LABEL = 18


def display_token(token: str, max_chars: int | None = None) -> str:
    """``token`` with its invisible characters made visible; cut to ``max_chars`` (ending in "…") if given."""
    if not token:
        return "∅"
    shown = "".join(_VISIBLE.get(c, c) for c in token)
    if max_chars is not None and len(shown) > max_chars:
        return shown[:max(max_chars - 1, 0)] + "…"
    return shown
