"""The beam tree's layout, without Qt: every node in its column, none overlapping, the book's order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core.data.display import SHORT_LABEL, display_token
from rnnviz.core.decoding import BeamOptions, beam_search, d2l, exhaustive_search
from rnnviz.core.decoding.tree_layout import (
    MAX_PER_STEP,
    PER_PARENT,
    StepHeader,
    TreeLayout,
    column_width,
    fit_scale,
    header_band_height,
    layout_tree,
    node_tooltip,
    penalty_formula,
    place_headers,
    step_text,
)


def wide_step(vocab_size: int):
    """A step over a random table of ``vocab_size`` tokens, token 0 being <eos>."""
    def step(prefixes):
        rows = [np.random.default_rng([len(p), *p]).dirichlet(np.ones(vocab_size)) for p in prefixes]
        return np.log(np.stack(rows))
    return step


@pytest.fixture(scope="module")
def book():
    toy = d2l()
    return toy, beam_search(toy.step, toy.vocab_size, toy.eos, BeamOptions(beam_size=2, max_len=4))


def assert_well_formed(layout: TreeLayout) -> None:
    by_index = dict(enumerate(layout.nodes))
    for column in {n.step for n in layout.nodes}:
        boxes = sorted((n.top, n.bottom) for n in layout.nodes if n.step == column)
        for (_, bottom), (top, _) in zip(boxes, boxes[1:]):
            assert top >= bottom - 1e-9, f"nodes overlap in column {column}"
    for edge in layout.edges:
        parent, child = by_index[edge.parent], by_index[edge.child]
        assert child.step == parent.step + 1  # every child is one column right of its parent
        assert child.parent == parent.node
        (x0, _), (x1, _) = layout.edge_points(edge, node_width=0.5)
        assert x1 > x0
    assert len(layout.edges) == len(layout.nodes) - 1  # a tree: one edge into every node but the root
    assert layout.nodes[0].status == "root" and layout.nodes[0].step == 0


def test_the_books_example_draws_every_candidate_in_token_order(book) -> None:
    toy, result = book
    layout = layout_tree(result, toy.vocab, "<bos>")
    assert_well_formed(layout)
    assert layout.shown == result.tree.num_steps
    for step, summary in enumerate(result.steps(), start=1):
        assert layout.drawn_at(step) == summary.considered  # four tokens: nothing hidden
    first = [n for n in layout.nodes if n.step == 1]
    assert [n.label for n in first] == ["A", "B", "C", "<eos>"]  # the book's order, top to bottom
    assert [n.y for n in first] == sorted(n.y for n in first)
    assert [n.status for n in first] == ["kept", "kept", "pruned", "pruned"]  # A 0.5, B 0.2 (a tie goes to the smaller id)
    assert first[0].prob == pytest.approx(0.5)
    assert not layout.hidden


def test_a_parent_sits_between_its_first_and_last_child(book) -> None:
    _, result = book
    layout = layout_tree(result)
    for i, node in enumerate(layout.nodes):
        children = [layout.nodes[e.child] for e in layout.edges if e.parent == i]
        if children:
            assert node.y == pytest.approx((children[0].y + children[-1].y) / 2)
            assert min(c.y for c in children) <= node.y <= max(c.y for c in children)


def test_headers_one_per_step_shown_with_the_true_counts(book) -> None:
    _, result = book
    for shown in range(result.tree.num_steps + 1):
        layout = layout_tree(result, shown=shown)
        assert [h.step for h in layout.headers] == list(range(shown + 1))
        assert max(n.step for n in layout.nodes) == shown
        for header, summary in zip(layout.headers[1:], result.steps()):
            assert header.lines[0] == f"step {summary.step}"
            assert header.lines[1] == f"{summary.considered:,} candidates"
            assert header.lines[2].startswith(f"{summary.kept:,} kept")
    assert layout_tree(result, shown=0).nodes[0].label == "<bos>"


def test_the_best_path_is_highlighted_only_once_the_search_is_all_shown(book) -> None:
    _, result = book
    best = {result.tree.root, *(n.id for n in result.tree.path(result.best.node))}
    assert layout_tree(result, shown=2).path == frozenset()  # mid-lecture it would give the answer away
    full = layout_tree(result)
    assert full.path == best
    assert {n.node for n in full.nodes if n.highlighted} == best
    kinds = [e.kind for e in full.edges if full.nodes[e.child].highlighted]
    assert kinds and set(kinds) == {"highlight"}
    other = result.tree.steps()[1].survivors[-1]
    chosen = layout_tree(result, shown=2, highlight=other)  # a chosen hypothesis shows at any step
    assert other in chosen.path


def test_pruned_modes(book) -> None:
    _, result = book
    statuses = {mode: [n.status for n in layout_tree(result, pruned=mode).nodes] for mode in ("all", "newest", "none")}
    assert "pruned" not in statuses["none"]
    newest = layout_tree(result, pruned="newest")
    assert {n.step for n in newest.nodes if n.status == "pruned"} == {result.tree.num_steps}
    assert statuses["all"].count("pruned") > statuses["newest"].count("pruned")
    with pytest.raises(ValueError, match="pruned mode"):
        layout_tree(result, pruned="some")


def test_a_wide_vocabulary_draws_survivors_the_likeliest_and_a_summary() -> None:
    vocab_size = 200
    result = beam_search(wide_step(vocab_size), vocab_size, 0, BeamOptions(beam_size=3, max_len=3))
    layout = layout_tree(result, [f"w{i}" for i in range(vocab_size)])
    assert_well_formed(layout)
    summaries = [n for n in layout.nodes if n.status == "hidden"]
    assert summaries and all(n.label == f"+{n.hidden:,} more" for n in summaries)
    for step in range(1, result.tree.num_steps + 1):
        assert layout.drawn_at(step) <= MAX_PER_STEP
    drawn = layout.candidates()
    for step in result.steps():  # every survivor is drawn
        assert set(step.survivors) <= set(drawn)
    first = [n for n in layout.nodes if n.step == 1 and n.status != "hidden"]
    assert 3 <= len(first) <= 3 + PER_PARENT  # the survivors and the likeliest
    probs = [n.prob for n in first]
    assert probs == sorted(probs, reverse=True)  # the likeliest on top
    assert layout.hidden[result.tree.root] == vocab_size - len(first)
    edge_kinds = {e.kind for e in layout.edges}
    assert "hidden" in edge_kinds


def test_no_step_draws_more_than_the_cap_even_exhaustively() -> None:
    toy = d2l()
    result = exhaustive_search(toy.step, toy.vocab_size, toy.eos, max_len=4)
    layout = layout_tree(result, toy.vocab)
    assert_well_formed(layout)
    assert all(layout.drawn_at(s) <= MAX_PER_STEP for s in range(1, 5))
    assert layout.drawn_at(4) == MAX_PER_STEP  # 27 × 4 = 108 candidates, cut to the cap
    assert layout.path <= set(layout.candidates()) | {0}  # the best path survives the cut


def test_column_width_and_focus() -> None:
    toy = d2l()
    result = beam_search(toy.step, toy.vocab_size, toy.eos, BeamOptions(beam_size=2, max_len=4))
    layout = layout_tree(result, toy.vocab, shown=2, node_height=30, small_height=14, gap=5).with_column_width(120)
    assert layout.x(2) == 240
    x, y = layout.focus()
    assert x == pytest.approx(1.5 * 120)
    kept = [n.y for n in layout.nodes if n.step == 2 and n.status != "pruned"]
    assert y == pytest.approx((min(kept) + max(kept)) / 2)
    assert layout.height == pytest.approx(max(n.bottom for n in layout.nodes) - min(n.top for n in layout.nodes))
    assert {n.height for n in layout.nodes if n.status == "pruned"} == {14}


def test_texts(book) -> None:
    toy, result = book
    node = result.best.node
    tip = node_tooltip(result, node, toy.vocab)
    assert tip.splitlines()[0] == " ".join(toy.decode(result.tree.tokens(node)))
    assert "score = log P / L^0.75" in tip
    assert node_tooltip(result, 0, toy.vocab, "<bos>").startswith("<bos>: the start")
    assert step_text(result, 0).startswith("start: the root <bos>; 4 steps")
    s2 = result.steps()[1]
    assert step_text(result, 2, drawn=8) == (f"step 2 of 4: 8 candidates (2 prefixes × 4 tokens), {s2.kept} kept, "
                                             f"{s2.finished} finished, {s2.pruned} pruned")
    assert step_text(result, 2, drawn=3).endswith("; 3 drawn")
    assert display_token(" ") == "␣" and display_token("a\n") == "a⏎"
    assert display_token("x" * 30, SHORT_LABEL) == "x" * 17 + "…"
    assert penalty_formula("gnmt", 0.75) == "((5+L)/6)^0.75" and penalty_formula("none", 1) == "1"
    assert math.isnan(layout_tree(result).nodes[0].prob)


# ---------------------------------------------------------------- the drawing's numbers


def char_widths(points: float):
    """A font's text widths, roughly: ``points`` × 0.6 a character, the bold first line 10% wider."""
    return lambda line, index: len(line) * points * 0.6 * (1.1 if index == 0 else 1.0)


def assert_apart(boxes, gap: float, view_width: float) -> None:
    for a, b in zip(boxes, boxes[1:]):
        assert b.left >= a.right + gap - 1e-9, f"headers of steps {a.step} and {b.step} overlap"
    for box in boxes:
        assert 0 <= box.left and box.right <= view_width


@pytest.mark.parametrize("points", [9.0, 17.5, 30.0])  # normal, presentation (1.75×), larger still
def test_headers_at_the_drawings_column_width_show_whole_and_never_overlap(points: float) -> None:
    toy = d2l()
    result = exhaustive_search(toy.step, toy.vocab_size, toy.eos, max_len=4)  # 27 × 4 = 108 candidates a step
    layout = layout_tree(result, toy.vocab)
    measure = char_widths(points)
    widest = max(measure(line, i) for h in layout.headers for i, line in enumerate(h.lines))
    scale = points / 9.0
    spacing = column_width(60 * scale, widest, scale)
    centres = [20 + h.step * spacing for h in layout.headers]
    view = centres[-1] + spacing
    boxes = place_headers(layout.headers, centres, measure, points * 1.4, view, gap=8 * scale)
    assert [b.step for b in boxes] == [h.step for h in layout.headers]  # every header, every line
    assert all(b.lines == tuple(x for x in h.lines if x) for b, h in zip(boxes, layout.headers))
    assert_apart(boxes, 8 * scale, view)


@pytest.mark.parametrize("points", [9.0, 17.5, 30.0])
def test_crowded_headers_shorten_or_drop_and_never_overlap(points: float) -> None:
    """A wide tree fitted small: columns closer than the headers are wide."""
    headers = [StepHeader(0, ("start", "", ""))] + [
        StepHeader(t, (f"step {t}", "88,888 candidates", "8 kept, 2 finished")) for t in range(1, 25)]
    measure = char_widths(points)
    for spacing in (12.0, 40.0, 90.0, 160.0):
        centres = [10 + t * spacing for t in range(25)]
        view = 10 + 24 * spacing + 10
        boxes = place_headers(headers, centres, measure, points * 1.4, view, gap=6)
        assert boxes and boxes[0].step == 0  # the first column always says where the tree starts
        assert_apart(boxes, 6, view)
        for box in boxes:
            assert box.lines in (tuple(x for x in headers[box.step].lines if x), headers[box.step].lines[:1])
            assert box.width >= max(measure(line, i) for i, line in enumerate(box.lines))  # not shrunk


def test_the_band_grows_with_the_type_and_fit_scale_fits() -> None:
    assert header_band_height(30.0, 1.75) > header_band_height(15.0, 1.0) >= 3 * 15.0
    scale = fit_scale(3000.0, 1200.0, 1200.0, 500.0, band=80.0)
    assert 3000 * scale <= 1200 + 1e-9 and 1200 * scale <= 500 - 80 + 1e-9
    assert scale == pytest.approx(min(1200 / 3000, 420 / 1200))
    assert fit_scale(100.0, 100.0, 1200.0, 800.0, band=80.0, max_scale=1.5) == 1.5
