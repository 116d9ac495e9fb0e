"""The translation exercises' small runs: the padding mask (s2s-3), BLEU by length (s2s-2), the toy tasks
(ed-1, s2s-1)."""

from __future__ import annotations

import pytest

from rnnviz.core.data.toy_pairs import TOY_TASKS
from rnnviz.core.exercises import get_exercise
from rnnviz.core.exercises.runs_mt import masked_val_loss, padding_share, train_mt, _model


def test_s2s_3_overlays_the_masked_and_unmasked_runs() -> None:
    result = get_exercise("s2s-3").run()
    table = result.table("masked and unmasked loss, same seed")
    assert table.column("run") == ["masked (the book)", "unmasked: <pad> counted"]
    own, real = table.column("final val loss (its own)"), table.column("final val loss (real tokens)")
    assert own[0] == pytest.approx(real[0], rel=1e-4)  # the masked run's own loss is the real tokens' loss
    assert own[1] != pytest.approx(real[1], rel=1e-3)  # the unmasked one averages over the pads too
    assert all(0.0 <= b <= 1.0 for b in table.column("mean BLEU (k = 2)"))
    (plot,) = result.plots
    assert plot.kind == "lines" and len(plot.series) == 3
    assert all(len(s.x) == len(s.y) > 0 for s in plot.series)
    share = result.table("padding").column("padding share")[0]
    assert 0.0 < share < 1.0 and f"{share:.0%}" in result.summary
    assert set(result.texts) == {"translations, masked (the book)", "translations, unmasked: <pad> counted"}
    masked_pads, unmasked_pads = table.column("translations with <pad>")
    # The summary tells of <pad> in the translations exactly when the unmasked model wrote some.
    assert ("<pad> tokens (the masked model's" in result.summary) == (unmasked_pads > 0)
    if unmasked_pads:
        assert f" {unmasked_pads} of the unmasked model's" in result.summary


def test_padding_share_and_masked_loss_are_what_they_say() -> None:
    run = train_mt("t", "toy-reverse", _model(8, 1, mask_padding=False), 1, 100)
    targets = run.data.train.tgt_out
    pad = run.data.tgt_vocab.index("<pad>")
    assert padding_share(run.data) == pytest.approx((targets == pad).sum() / targets.size)
    assert run.val_loss_masked[-1] == pytest.approx(masked_val_loss(run.bundle, run.data))
    assert len(run.epochs) == len(run.val_loss) == 1


def test_s2s_2_gives_bleu_per_length_as_a_table_and_bars() -> None:
    result = get_exercise("s2s-2").run()
    table = result.table("BLEU by source length")
    (plot,) = result.plots
    assert plot.kind == "bars" and list(plot.categories) == table.column("source words")
    assert [s.name for s in plot.series] == ["mean BLEU", "exact share"]
    assert list(plot.series[0].y) == pytest.approx(table.column("mean BLEU"), abs=1e-4)
    assert all(e <= n for e, n in zip(table.column("exact"), table.column("pairs")))
    assert "translations" in result.texts
    (model,) = result.models  # the Translate tab can show it, and its button measure it again
    assert model.task == "mt" and model.data_config.corpus == "phrasebook"


@pytest.mark.parametrize("name", ["ed-1", "s2s-1"])
def test_the_toy_exercises_score_each_task(name: str) -> None:
    result = get_exercise(name).run()
    table = result.table("toy sequence-to-sequence tasks")
    assert table.column("task") == list(TOY_TASKS)
    assert all(0.0 <= v <= 1.0 for v in table.column("exact translations") + table.column("mean BLEU (k = 2)"))
    assert set(result.texts) == {f"translations, {task}" for task in TOY_TASKS}
    assert all("reference:" in text for text in result.texts.values())
    assert [m.data_config.corpus for m in result.models] == list(TOY_TASKS)


def test_a_stop_ends_the_comparison_early() -> None:
    result = get_exercise("s2s-3").run(stop=lambda: True)
    assert result.stopped and len(result.table("masked and unmasked loss, same seed").rows) == 1


def _fake_scores(bleus_by_length: dict[int, float]) -> object:
    from rnnviz.core.decoding.by_length import BleuByLength, LengthBucket, PairScore

    pairs = tuple(PairScore(f"s{n}{i}", ("a",), ("a",), n, b) for i, (n, b) in enumerate(
        (n, b) for n, b in bleus_by_length.items() for _ in range(5)))
    buckets = tuple(LengthBucket(n, n, 5, b, 0) for n, b in bleus_by_length.items())
    return BleuByLength(buckets, pairs, 2)


@pytest.mark.parametrize("bleus, says, never", [
    ({4: 0.6, 6: 0.4, 8: 0.2}, "falls as sources grow", "rises"),
    ({4: 0.2, 6: 0.4, 8: 0.6}, "rises with source length", "loses more"),
    ({4: 0.0, 6: 0.01, 8: 0.0}, "translates too little", "loses more"),
])
def test_s2s_2_says_the_trend_its_numbers_show(monkeypatch: pytest.MonkeyPatch, bleus: dict[int, float], says: str,
                                               never: str) -> None:
    """The summary follows the run: a model whose BLEU rises with length (or that translates nothing) is not
    said to lose more on longer sources."""
    from rnnviz.core.decoding import by_length
    from rnnviz.core.exercises import runs_mt

    class FakeRun:
        bundle, data, stopped = object(), object(), False

    monkeypatch.setattr(runs_mt, "train_mt", lambda *a, **k: FakeRun())
    monkeypatch.setattr(runs_mt, "_examples", lambda run: "")
    monkeypatch.setattr(by_length, "bleu_by_length", lambda bundle, pairs: _fake_scores(bleus))
    FakeRun.data = type("D", (), {"val": type("V", (), {"pairs": ()})()})()
    summary = runs_mt.run_s2s_2(True, None, None).summary
    assert says in summary and never not in summary


def test_s2s_2_small_run_translates_enough_to_ask_its_question() -> None:
    """The small run must learn enough that BLEU by length means something: its summary does not fall back to
    'translates too little'."""
    from rnnviz.core.exercises.runs_mt import TOO_LITTLE_BLEU

    result = get_exercise("s2s-2").run()
    table = result.table("BLEU by source length")
    mean = sum(n * b for n, b in zip(table.column("pairs"), table.column("mean BLEU"))) / sum(table.column("pairs"))
    assert mean > TOO_LITTLE_BLEU and "translates too little" not in result.summary


def test_ed_1_small_run_gets_a_toy_task_right() -> None:
    """ed-1 asks which toy the model gets exactly right first: the small run must get one mostly right, and a
    date's year must not come out as <unk> in every example."""
    result = get_exercise("ed-1").run()
    exact = result.table("toy sequence-to-sequence tasks").column("exact translations")
    assert max(exact) > 0.5 and min(exact) < max(exact)
    dates = result.texts["translations, toy-dates"].splitlines()
    assert not all("→  <unk>" in line for line in dates)
