"""Tracing for a view, without Qt: the probe and the saturation text, messages for bad input, the cost."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import LmData, MtData, build_data
from rnnviz.core.introspect import probing, trace_lm, trace_translation
from rnnviz.core.introspect.probing import (
    SATURATION_MAX_SENTENCES, TraceCost, TraceRequest, compute, estimate_tokens, guess_seconds_per_token,
    trace_all,
)
from rnnviz.core.models.factory import ModelBundle, bundle_for
from tests.fresh_imports import loaded_by

PAIRS = ["go .\tva !", "i lost .\tj'ai perdu .", "he's calm .\til est calme .", "we ran .\tnous avons couru ."]
BOTH = TraceRequest(probe=True, saturation=True)
PROBE_ONLY = TraceRequest(probe=True, saturation=False)
SATURATION_ONLY = TraceRequest(probe=False, saturation=True)


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory) -> ModelBundle:
    path = tmp_path_factory.mktemp("lm") / "corpus.txt"
    path.write_text("the cat sat on the mat, then ate. " * 30, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8))
    assert isinstance(data, LmData)
    return bundle_for(data, ModelConfig(task="lm", stack=StackSpec("gru", (6,))), seed=0)


@pytest.fixture(scope="module")
def mt(tmp_path_factory: pytest.TempPathFactory) -> ModelBundle:
    path = tmp_path_factory.mktemp("mt") / "pairs.tsv"
    path.write_text("\n".join(PAIRS) + "\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=6, batch_size=2, min_freq=1, val_fraction=0.0,
                                 test_fraction=0.0))
    assert isinstance(data, MtData)
    return bundle_for(data, ModelConfig(task="mt", stack=StackSpec("gru", (5,)), decoder=StackSpec("gru", (5,)),
                                              embed_size=4),
                      seed=0)


def test_requests_merge() -> None:
    assert PROBE_ONLY | SATURATION_ONLY == BOTH
    assert PROBE_ONLY | PROBE_ONLY == PROBE_ONLY


def test_the_probe_is_traced_as_the_core_traces_it(lm: ModelBundle, mt: ModelBundle) -> None:
    result = compute(lm, "the cat", "", PROBE_ONLY)
    (trace,) = result.traces
    assert result.probe_error == "" and result.saturation is None and result.tokens == 7
    np.testing.assert_array_equal(trace.get(0, "forward", "hidden"),
                                  trace_lm(lm, "the cat").get(0, "forward", "hidden"))
    encoder, decoder = trace_all(mt, "go .")
    expected = trace_translation(mt, "go .")
    assert (encoder.part, decoder.part) == ("encoder", "decoder")
    assert encoder.tokens == expected[0].tokens and decoder.tokens == expected[1].tokens


@pytest.mark.parametrize(("task", "hint"), [("lm", "read."), ("mt", "(a sentence to translate).")])
def test_an_empty_probe_is_a_message(task: str, hint: str, lm: ModelBundle, mt: ModelBundle) -> None:
    result = compute(lm if task == "lm" else mt, "  \n", "", BOTH)
    assert result.traces == () and result.probe_error.startswith("The probe is empty")
    assert result.probe_error.endswith(hint)
    assert result.saturation is None  # an empty saturation text: the view uses the probe


def test_a_text_the_model_cannot_read_is_a_message(lm: ModelBundle) -> None:
    letters_only = replace(lm, data_config=replace(lm.data_config, lm_cleaning="letters"))  # the book's rule
    result = compute(letters_only, "123 456", "!!!", BOTH)
    assert result.traces == () and "empty once cleaned" in result.probe_error
    assert result.saturation_error.startswith("The saturation text cannot be used:")


def test_the_saturation_text_of_a_translation_is_one_trace_a_sentence(mt: ModelBundle, monkeypatch) -> None:
    monkeypatch.setattr(probing, "SATURATION_MAX_SENTENCES", 2)
    result = compute(mt, "go .", "go .\n\ni lost .\nwe ran .\n", SATURATION_ONLY)
    assert result.traces == () and result.saturation is not None
    assert [len(result.saturation[part]) for part in ("encoder", "decoder")] == [2, 2]
    assert result.saturation_notices == ("the saturation text has 3 sentences; the plot uses the first 2.",)


def test_a_long_saturation_text_is_cut_with_a_notice(lm: ModelBundle, monkeypatch) -> None:
    monkeypatch.setattr(probing, "SATURATION_MAX_TOKENS", 20)
    result = compute(lm, "", "the cat sat on the mat " * 5, SATURATION_ONLY)
    assert result.saturation is not None and result.saturation["lm"][0].num_steps == 20
    assert len(result.saturation_notices) == 1 and "max_tokens" in result.saturation_notices[0]


def test_estimates_follow_the_token_level_and_learn_measured_speeds(lm: ModelBundle, mt: ModelBundle) -> None:
    assert estimate_tokens(lm, "the cat") == 7  # characters
    lines = "\n".join(["go ."] * (SATURATION_MAX_SENTENCES + 50))
    assert estimate_tokens(mt, lines) == 2 * mt.max_len * SATURATION_MAX_SENTENCES
    cost = TraceCost()
    guess = guess_seconds_per_token(lm)
    assert cost.estimate(lm, "the cat", "", PROBE_ONLY) == pytest.approx(7 * guess)
    assert cost.estimate(lm, "the cat", "the mat", SATURATION_ONLY) == pytest.approx(7 * guess)
    measured = compute(lm, "the cat", "", PROBE_ONLY)
    cost.learn(lm, measured)
    assert cost.seconds_per_token(lm) == pytest.approx(measured.seconds / measured.tokens)
    assert cost.seconds_per_token(mt) == pytest.approx(guess_seconds_per_token(mt))  # another shape: a guess


def test_the_module_imports_neither_qt_nor_torch() -> None:
    assert loaded_by(["rnnviz.core.introspect.probing"], ["torch", "PySide6", "pyqtgraph"]) == []