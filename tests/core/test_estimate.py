"""Run-time estimates before a run starts: ratios and orderings, never wall-clock times."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rnnviz.core.config import RECIPES, DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.estimate import (
    BOOK_MT_PAIRS,
    CALIBRATION,
    LONG_RUN_S,
    corpus_size,
    estimate_run,
    format_duration,
    long_run_warning,
    suggest_smaller,
)
from rnnviz.core.models.presets import PRESETS, get_preset

LM_CORPORA = ("phrasebook-en", "phrasebook-fr", "time-machine")
MT_CORPORA = ("phrasebook", "fra-eng")
GRU_LM = ModelConfig("lm", StackSpec("gru", (32,)))
SEQ2SEQ = ModelConfig("mt", StackSpec("gru", (32, 32)), StackSpec("gru", (32, 32)), 32, "identity")


def recipe_train(task: str) -> TrainConfig:
    recipe = RECIPES[task]
    return TrainConfig(epochs=recipe["epochs"], lr=recipe["lr"], optimizer=recipe["optimizer"])


def test_epochs_scale_the_total_and_not_the_epoch() -> None:
    data = DataConfig("time-machine", "lm")
    one, ten = (estimate_run(data, GRU_LM, TrainConfig(epochs=n)) for n in (1, 10))
    assert ten.seconds_per_epoch == pytest.approx(one.seconds_per_epoch)
    assert ten.total_s == pytest.approx(10 * one.total_s)


def test_bigger_models_and_corpora_cost_more() -> None:
    data, train = DataConfig("time-machine", "lm"), TrainConfig(epochs=1)
    sizes = [estimate_run(data, ModelConfig("lm", StackSpec("lstm", hidden)), train).total_s
             for hidden in ((32,), (32, 32), (256,), (256, 256))]
    assert sizes == sorted(sizes) and sizes[-1] > 10 * sizes[0]
    bi = estimate_run(data, ModelConfig("lm", StackSpec("lstm", (32, 32), True)), train).total_s
    assert bi > sizes[1]  # both directions cost
    scratch = estimate_run(data, ModelConfig("lm", StackSpec("gru-book", (32,))), train).total_s
    assert scratch > estimate_run(data, GRU_LM, train).total_s  # the book's equations step by step in Python
    assert estimate_run(DataConfig("phrasebook-en", "lm"), GRU_LM, train).total_s > \
        estimate_run(data, GRU_LM, train).total_s  # 333k characters against 173k


def test_a_larger_batch_is_cheaper_per_token() -> None:
    small, large = (estimate_run(DataConfig("time-machine", "lm", batch_size=b), GRU_LM, TrainConfig(epochs=1))
                    for b in (32, 1024))
    assert large.total_s < small.total_s and large.batches_per_epoch < small.batches_per_epoch


def test_translation_follows_the_pairs_and_the_vocabulary() -> None:
    full = corpus_size(DataConfig("fra-eng", "mt"), "mt")
    book = corpus_size(DataConfig("fra-eng", "mt", max_examples=BOOK_MT_PAIRS), "mt")
    assert full.units == 167_130 and book.units == 640
    assert book.vocab[1] < full.vocab[1] / 20  # a few hundred words against 15,889
    train = recipe_train("mt")
    whole = estimate_run(DataConfig("fra-eng", "mt"), SEQ2SEQ, train).total_s
    small = estimate_run(DataConfig("fra-eng", "mt", max_examples=BOOK_MT_PAIRS), SEQ2SEQ, train).total_s
    assert whole > 200 * small  # 261 times the pairs, each with a larger output layer


def test_the_translation_recipe_on_fra_eng_warns_and_offers_the_books_split() -> None:
    data, train = DataConfig("fra-eng", "mt"), recipe_train("mt")
    estimate = estimate_run(data, SEQ2SEQ, train)
    assert estimate.is_long and estimate.total_s > 3600  # hours, as the lecturer saw
    warning = long_run_warning(data, SEQ2SEQ, train)
    assert warning is not None and "167,130 sentence pairs" in warning and "512" in warning
    suggestion = suggest_smaller(data, SEQ2SEQ, train)
    assert suggestion.max_examples == 512 and "book" in suggestion.label and "512 + 128" in suggestion.label
    smaller = replace(data, max_examples=suggestion.max_examples, num_train=suggestion.max_examples)
    assert estimate_run(smaller, SEQ2SEQ, train).total_s < LONG_RUN_S / 5
    assert long_run_warning(smaller, SEQ2SEQ, train) is None


def test_the_books_500_epoch_bidirectional_run_is_flagged_and_the_preset_is_not() -> None:
    book_model = ModelConfig("lm", StackSpec("lstm", (256, 256), True))
    data = DataConfig("time-machine", "lm", num_steps=35, batch_size=32)
    book = TrainConfig(epochs=500, lr=1.0)
    assert estimate_run(data, book_model, book).total_s > 3600
    warning = long_run_warning(data, book_model, book)
    assert warning is not None and "500 epochs" in warning
    suggestion = suggest_smaller(data, book_model, book)
    assert suggestion is not None and suggestion.epochs is not None and 1 <= suggestion.epochs < 500
    preset = get_preset("bi-lstm-lm")
    assert preset.train["epochs"] <= 10 and "500" in preset.note  # the note says why the book trains 500
    assert not estimate_run(data, preset.config, preset.train_config()).is_long


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_on_every_corpus_is_short_or_warned_with_an_offer(name: str) -> None:
    preset = get_preset(name)
    task = preset.config.task
    for corpus in LM_CORPORA if task == "lm" else MT_CORPORA:
        data = DataConfig(corpus, task, num_steps=preset.train["num_steps"], batch_size=preset.train["batch_size"])
        train = preset.train_config()
        estimate = estimate_run(data, preset.config, train)
        assert estimate is not None, corpus
        if estimate.is_long:
            assert long_run_warning(data, preset.config, train) is not None
            assert suggest_smaller(data, preset.config, train) is not None, (name, corpus)
        else:
            assert long_run_warning(data, preset.config, train) is None


@pytest.mark.parametrize("corpus", LM_CORPORA + MT_CORPORA)
def test_the_config_docks_defaults_are_short_except_all_of_fra_eng(corpus: str) -> None:
    task = "mt" if corpus in MT_CORPORA else "lm"
    model = SEQ2SEQ if task == "mt" else GRU_LM
    estimate = estimate_run(DataConfig(corpus, task), model, recipe_train(task))
    assert estimate.is_long == (corpus == "fra-eng")


def test_a_faster_machine_scales_every_figure() -> None:
    data, train = DataConfig("time-machine", "lm"), TrainConfig(epochs=3)
    base = estimate_run(data, GRU_LM, train).total_s
    assert estimate_run(data, GRU_LM, train, CALIBRATION.scaled(0.5)).total_s == pytest.approx(base / 2)


def test_a_users_file_is_sized_from_its_bytes_and_an_unknown_name_has_no_estimate(tmp_path) -> None:
    path = tmp_path / "text.txt"
    path.write_text("the time traveller " * 5000, encoding="utf-8")
    estimate = estimate_run(DataConfig(str(path), "lm"), GRU_LM, TrainConfig(epochs=1))
    assert estimate is not None and not estimate.measured_size and estimate.units == path.stat().st_size
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("go .\tva !\n" * 300, encoding="utf-8")
    assert corpus_size(DataConfig(str(pairs), "mt"), "mt").units == 300
    assert estimate_run(DataConfig(str(tmp_path / "missing.txt"), "lm"), GRU_LM, TrainConfig()) is None


@pytest.mark.parametrize("seconds, text", [(0.4, "under a second"), (7, "about 7 s"), (42, "about 40 s"),
                                           (200, "about 3 min"), (4000, "about 1 h 10 min"),
                                           (70_000, "about 19 h")])
def test_durations_read_as_estimates(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_the_books_data_are_estimated_as_the_book_cuts_them() -> None:
    from rnnviz.core.models.presets import PRESETS

    gru = PRESETS["gru-lm"]  # TimeMachine: the first 10,000 windows at batch 1024
    assert estimate_run(gru.data_config(), gru.config, gru.train_config()).batches_per_epoch == 10
    seq = PRESETS["seq2seq-256"]  # MTFraEng: 512 training pairs at batch 128, a vocabulary of hundreds
    book = estimate_run(seq.data_config(), seq.config, seq.train_config())
    assert book.batches_per_epoch == 4 and book.units == 640 and not book.is_long
