"""A token as a screen shows it: one rule for the token strip, the heatmaps, the beam tree and the bars."""

from __future__ import annotations

from rnnviz.core.data.display import SHORT_LABEL, display_token


def test_invisible_characters_get_a_visible_stand_in() -> None:
    assert [display_token(t) for t in (" ", "\n", "\t", "")] == ["␣", "⏎", "⇥", "∅"]
    assert display_token("a\n") == "a⏎" and display_token("new york") == "new␣york"
    assert display_token("<eos>") == "<eos>" and display_token("été") == "été"


def test_only_labels_with_little_room_are_shortened() -> None:
    long = "x" * 30
    assert display_token(long) == long  # the token strip and the heatmaps show it whole
    assert display_token(long, SHORT_LABEL) == "x" * (SHORT_LABEL - 1) + "…"
    assert len(display_token(long, SHORT_LABEL)) == SHORT_LABEL
    assert display_token("x" * SHORT_LABEL, SHORT_LABEL) == "x" * SHORT_LABEL  # fits: kept whole
    assert display_token("a b", 2) == "a…"  # shortened after the stand-ins: what is shown fits
