"""BLEU by source length: every validation pair translated once, grouped by its number of source words."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import MtData, build_data
from rnnviz.core.decoding import by_length
from rnnviz.core.decoding.by_length import MAX_BUCKETS, bleu_by_length, greedy_batch, validation_pairs
from rnnviz.core.decoding.greedy import translate
from rnnviz.core.errors import DataError
from rnnviz.core.models.factory import ModelBundle, bundle_for

MT = ModelConfig("mt", StackSpec("gru", (8,)), StackSpec("gru", (8,)), embed_size=8)


@pytest.fixture(scope="module")
def toy() -> tuple[ModelBundle, MtData]:
    data = build_data(DataConfig(corpus="toy-reverse", task="mt", batch_size=64, max_examples=300))
    assert isinstance(data, MtData)
    return bundle_for(data, MT, seed=0), data


def test_the_batch_translates_as_translate_does_one_by_one(toy: tuple[ModelBundle, MtData]) -> None:
    bundle, data = toy
    sources = [s for s, _ in data.val.pairs[:12]] + ["9 9 9 9 9 9 9 9 9 9 9 9"]  # the last one trimmed
    assert greedy_batch(bundle, sources) == [translate(bundle, s).tokens for s in sources]


def test_every_pair_is_in_exactly_one_bucket_of_its_length(toy: tuple[ModelBundle, MtData]) -> None:
    bundle, data = toy
    result = bleu_by_length(bundle, data.val.pairs)
    assert len(result.pairs) == len(data.val.pairs) == sum(b.count for b in result.buckets)
    for pair in result.pairs:
        assert sum(b.low <= pair.length <= b.high for b in result.buckets) == 1
        assert pair.length == len(pair.source.split())
    for bucket in result.buckets:
        inside = [p for p in result.pairs if bucket.low <= p.length <= bucket.high]
        assert bucket.mean_bleu == pytest.approx(sum(p.bleu for p in inside) / len(inside))
    assert [b.label for b in result.buckets] == sorted({str(p.length) for p in result.pairs}, key=int)


def test_exact_translations_are_counted_and_score_one(toy: tuple[ModelBundle, MtData],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    bundle, data = toy
    pairs = data.val.pairs[:40]
    right = {s for s, _ in pairs[::2]}  # a model that gets every other pair exactly right, the rest empty
    answers = dict(pairs)
    monkeypatch.setattr(by_length, "greedy_batch",
                        lambda _b, sources: [tuple(answers[s].split()) if s in right else () for s in sources])
    result = bleu_by_length(bundle, pairs)
    assert sum(b.exact for b in result.buckets) == len(right)
    for pair in result.pairs:
        assert pair.bleu == (1.0 if pair.source in right else 0.0)
    assert result.mean_bleu == pytest.approx(len(right) / len(pairs))


def test_many_lengths_share_buckets_of_neighbouring_lengths(toy: tuple[ModelBundle, MtData]) -> None:
    bundle, _ = toy
    pairs = [(" ".join("1" * n), "1") for n in range(1, 26)]  # 25 distinct lengths
    result = bleu_by_length(bundle, pairs)
    assert len(result.buckets) <= MAX_BUCKETS
    assert sum(b.count for b in result.buckets) == 25
    for left, right in zip(result.buckets, result.buckets[1:]):
        assert right.low == left.high + 1  # contiguous, no overlap


def test_stop_ends_early_and_progress_is_told(toy: tuple[ModelBundle, MtData]) -> None:
    bundle, data = toy
    seen: list[tuple[int, int]] = []
    result = bleu_by_length(bundle, data.val.pairs, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(result.pairs), len(result.pairs))
    with pytest.raises(DataError, match="stopped before any pair"):
        bleu_by_length(bundle, data.val.pairs, stop=lambda: True)


def test_the_validation_pairs_are_the_split_the_model_saw(toy: tuple[ModelBundle, MtData]) -> None:
    bundle, data = toy
    assert validation_pairs(bundle) == data.val.pairs


def test_without_pairs_or_with_a_language_model_it_says_why(toy: tuple[ModelBundle, MtData],
                                                             tmp_path: Path) -> None:
    bundle, _ = toy
    with pytest.raises(DataError, match="no validation pairs"):
        bleu_by_length(bundle, [])
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat. " * 20, encoding="utf-8")
    lm = bundle_for(build_data(DataConfig(corpus=str(text), num_steps=8, batch_size=8)), ModelConfig(), seed=0)
    with pytest.raises(DataError, match="needs a translation model"):
        bleu_by_length(lm, [("a", "b")])
