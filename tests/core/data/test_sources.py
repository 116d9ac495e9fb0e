"""A language model's corpus of several texts: one vocabulary, per-source splits, perplexity per source."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import LmData, build_data
from rnnviz.core.data.sources import load_sources, perplexity_by_source, source_shares
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.train import evaluate, resolve_device, run, train

# Two texts with no character in common: a window that holds both crossed from one source into the other.
TEXT_A = "abc cab bca " * 60
TEXT_B = "xyz zyx yxz " * 40


@pytest.fixture()
def two_files(tmp_path: Path) -> tuple[str, str]:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(TEXT_A, encoding="utf-8")
    b.write_text(TEXT_B, encoding="utf-8")
    return str(a), str(b)


def _data(files: tuple[str, str], **changes) -> LmData:
    data = build_data(DataConfig(corpus=files[0], sources=files[1:], num_steps=8, batch_size=4, **changes))
    assert isinstance(data, LmData)
    return data


def _alphabet(data: LmData, ids: np.ndarray) -> set[str]:
    return set(data.vocab.to_tokens(np.unique(ids).tolist())) - {" "}


def test_training_and_validation_windows_never_cross_two_sources(two_files) -> None:
    data = _data(two_files)
    a, b = set("abc"), set("xyz")
    for epoch in range(6):  # six random offsets
        seen = 0
        for inputs, targets in data.train_batches(epoch):
            for x, y in zip(inputs, targets):
                letters = _alphabet(data, np.concatenate([x, y]))
                assert letters <= a or letters <= b, letters
                seen += 1
        assert seen > 0
    for inputs, targets in data.val_batches():
        for x, y in zip(inputs, targets):
            letters = _alphabet(data, np.concatenate([x, y]))
            assert letters <= a or letters <= b


def test_one_vocabulary_and_every_source_in_the_validation_set(two_files) -> None:
    data = _data(two_files)
    assert set("abcxyz") <= set(data.vocab.to_list())
    parts = data.val_parts()
    assert [name for name, _ in parts] == ["a.txt", "b.txt"]
    for k, (_name, ids) in enumerate(parts):
        assert len(ids) > data.num_steps
        assert sum(len(x) for x, _ in data.val_batches(k)) > 0
    # Each text gives its own last tenth to validation: B's validation text is B's, not A's.
    assert _alphabet(data, parts[1][1]) == set("xyz")
    assert _alphabet(data, parts[0][1]) == set("abc")


def test_one_source_cuts_the_data_as_before(two_files) -> None:
    """A corpus given as one source is the corpus of one text: the same ids and the same batches."""
    plain = build_data(DataConfig(corpus=two_files[0], num_steps=8, batch_size=4))
    assert plain.val_parts()[0][0] == two_files[0] and len(plain.val_parts()) == 1
    assert plain.num_train_batches() == sum(1 for _ in plain.train_batches(0))


def _bundle(data: LmData):
    config = ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(16,)))
    bundle = bundle_for(data, config, seed=0)
    bundle.train_config = TrainConfig(epochs=1, lr=1.0, seed=0)
    run(train(bundle.model, data, bundle.train_config), bundle.history.add)
    bundle.model.eval()
    return bundle


def test_perplexity_by_source_equals_the_plain_perplexity_for_one_source(two_files) -> None:
    data = build_data(DataConfig(corpus=two_files[0], num_steps=8, batch_size=4))
    bundle = _bundle(data)
    (row,) = perplexity_by_source(bundle, data)
    plain = math.exp(evaluate(bundle.model, data.val_batches(), resolve_device("cpu")))
    assert row.perplexity == pytest.approx(plain, rel=1e-9)
    assert row.tokens == sum(x.size for x, _ in data.val_batches())


def test_perplexity_per_source_of_a_model_of_two_texts(two_files) -> None:
    data = _data(two_files)
    bundle = _bundle(data)
    rows = perplexity_by_source(bundle, data)
    assert [r.source for r in rows] == ["a.txt", "b.txt"]
    assert all(r.tokens > 0 and r.perplexity is not None and 1 <= r.perplexity < len(data.vocab) for r in rows)
    # The token-weighted mean of the per-source losses is the loss over the whole validation set.
    whole = evaluate(bundle.model, data.val_batches(), resolve_device("cpu"))
    mean = sum(r.tokens * math.log(r.perplexity) for r in rows) / sum(r.tokens for r in rows)
    assert mean == pytest.approx(whole, rel=1e-6)


def test_a_model_of_one_text_read_on_another_reads_unknown_tokens_as_unk(two_files) -> None:
    only_a = build_data(DataConfig(corpus=two_files[0], num_steps=8, batch_size=4))
    bundle = _bundle(only_a)
    rows = perplexity_by_source(bundle, _data(two_files))
    assert rows[0].perplexity < rows[1].perplexity  # B's letters are all new to it


def test_shares_of_each_source(two_files) -> None:
    corpora = load_sources(DataConfig(corpus=two_files[0], sources=two_files[1:]))
    shares = source_shares(corpora)
    assert [s.source for s in shares] == ["a.txt", "b.txt"]
    assert sum(s.share for s in shares) == pytest.approx(1.0)
    assert shares[0].share > shares[1].share  # A is 720 characters, B 480


# ---- what a user can get wrong ------------------------------------------------------------------------------

def test_a_missing_file_is_named(two_files, tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.txt")
    with pytest.raises(DataError, match=r"nowhere\.txt: no such file"):
        build_data(DataConfig(corpus=two_files[0], sources=(missing,)))


def test_an_empty_file_is_named(two_files, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty\.txt is empty"):
        build_data(DataConfig(corpus=two_files[0], sources=(str(empty),)))


def test_a_source_too_short_for_a_window_is_named(two_files, tmp_path: Path) -> None:
    short = tmp_path / "short.txt"
    short.write_text("tiny", encoding="utf-8")
    with pytest.raises(DataError, match=r"the source short\.txt is too short .* 4 characters"):
        build_data(DataConfig(corpus=two_files[0], sources=(str(short),), num_steps=8))


def test_a_source_given_twice_is_refused(two_files, tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ConfigError, match="given twice"):
        DataConfig(corpus=two_files[0], sources=(two_files[1], two_files[1]))
    with pytest.raises(ConfigError, match="given twice"):
        DataConfig(corpus="phrasebook-en", sources=("phrasebook-en",))
    monkeypatch.chdir(tmp_path)  # the same file by a relative and an absolute path
    with pytest.raises(DataError, match="the same text, given twice"):
        build_data(DataConfig(corpus="a.txt", sources=(two_files[0],)))


def test_too_many_sources_are_refused() -> None:
    with pytest.raises(ConfigError, match="17 sources are too many: the sources must be at most 16"):
        DataConfig(corpus="phrasebook-en", sources=tuple(f"book{k}.txt" for k in range(16)))


def test_a_translation_file_among_the_sources_is_refused(two_files, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("go .\tva !\nhi .\tsalut !\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"pairs\.tsv looks like a translation file"):
        build_data(DataConfig(corpus=two_files[0], sources=(str(pairs),)))
    with pytest.raises(DataError, match="phrasebook is a translation corpus"):
        build_data(DataConfig(corpus=two_files[0], sources=("phrasebook",)))
    with pytest.raises(DataError, match="recall is a task generated"):
        build_data(DataConfig(corpus=two_files[0], sources=("recall",)))


@pytest.mark.parametrize("changes, said", [
    ({"task": "mt"}, "one language-model corpus"),
    ({"lm_sampling": "book"}, "book's sampling cuts one text"),
    ({"sources": ("",)}, "not an empty text"),
    ({"sources": "b.txt"}, "must be a list"),
])
def test_settings_that_do_not_go_with_several_sources(changes, said) -> None:
    with pytest.raises(ConfigError, match=said):
        DataConfig(**{"corpus": "a.txt", "sources": ("b.txt",), **changes})


# ---- saved and read again ------------------------------------------------------------------------------------

def test_sources_round_trip_through_a_checkpoint(two_files, tmp_path: Path) -> None:
    data = _data(two_files)
    bundle = _bundle(data)
    path = save_checkpoint(bundle, tmp_path / "two.pt")
    loaded = load_checkpoint(path)
    assert loaded.data_config.sources == (str(Path(two_files[1]).resolve()),)
    assert loaded.data_config.corpus == str(Path(two_files[0]).resolve())
    # The loaded settings build the same corpus again.
    again = build_data(loaded.data_config)
    assert np.array_equal(again.val_ids, data.val_ids) and again.val_ends == data.val_ends


def test_settings_saved_before_sources_existed_still_load() -> None:
    old = DataConfig(corpus="phrasebook-en").to_dict()
    del old["sources"]
    assert DataConfig.from_dict(old).sources == ()
    assert DataConfig.from_dict({**old, "sources": ["phrasebook-fr"]}).sources == ("phrasebook-fr",)


@pytest.mark.parametrize("sources, said", [
    ([5], "data_config.sources is a list, not a list of at most 15 corpus names or file paths"),
    ("b.txt", "data_config.sources is a str, not a list"),
    ([f"b{k}.txt" for k in range(16)], "data_config.sources is a list, not a list of at most 15"),
])
def test_a_checkpoint_with_wrong_sources_is_refused_by_name(two_files, tmp_path: Path, sources, said) -> None:
    import torch

    from rnnviz.core.checkpoint_checks import checksum

    path = save_checkpoint(_bundle(_data(two_files)), tmp_path / "two.pt")
    payload = torch.load(path, weights_only=True)
    payload["data_config"]["sources"] = sources
    payload["checksum"] = checksum(payload)
    torch.save(payload, path)
    with pytest.raises(DataError, match=said):
        load_checkpoint(path)


def test_a_session_keeps_the_sources_and_refuses_wrong_ones() -> None:
    from rnnviz.core.session_schema import FieldError, check_section

    check_section("data", {"corpus": "a.txt", "sources": ["b.txt", "phrasebook-fr"]})
    with pytest.raises(FieldError, match=r"sources\[0\]"):
        check_section("data", {"corpus": "a.txt", "sources": [3]})
    with pytest.raises(FieldError, match="allowed: 0 to 15 items"):
        check_section("data", {"corpus": "a.txt", "sources": ["b.txt"] * 16})


def test_sources_round_trip_through_a_run_manifest(two_files, tmp_path: Path) -> None:
    from rnnviz.core.runs.manifest import manifest_dict, read_manifest, write_manifest

    bundle = _bundle(_data(two_files))
    facts = manifest_dict(bundle)
    assert [s["name"] for s in facts["sources"]] == ["b.txt"] and facts["sources"][0]["digest"].startswith("sha256:")
    write_manifest(tmp_path, facts)
    assert read_manifest(tmp_path / "manifest.json").data_config.sources == bundle.data_config.sources


def test_a_run_s_estimate_counts_every_source() -> None:
    from rnnviz.core.estimate import corpus_size

    en, fr = (corpus_size(DataConfig(corpus=name), "lm") for name in ("phrasebook-en", "phrasebook-fr"))
    both = corpus_size(DataConfig(corpus="phrasebook-en", sources=("phrasebook-fr",)), "lm")
    assert both.units == en.units + fr.units and both.vocab[0] >= max(en.vocab[0], fr.vocab[0])
