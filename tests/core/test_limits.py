"""Limits on every number: absurd values are refused before anything is allocated or run.

Each case the reliability pass found (an infinite learning rate, a generation of
ten million tokens, a minimum length of a million, a thousand layers, a seed of
10^21, a hidden size of a million) is refused in-process, with a message that
names the setting, the value and the range. Where a refusal is about a product
(a beam's tree, a model with its vocabulary, a batch), the estimate is checked
against a given amount of free memory, so the tests do not depend on the machine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core import limits
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import build_data
from rnnviz.core.decoding import BeamOptions, beam_search, exhaustive_search, generate, generate_beam
from rnnviz.core.decoding.analysis import generate_with_distributions
from rnnviz.core.decoding.toy import d2l
from rnnviz.core.errors import ConfigError, DataError, RnnvizError
from rnnviz.core.estimate import check_training_memory
from rnnviz.core.limits import (
    DECODE_MAX_LEN,
    GENERATION_LENGTH,
    HIDDEN_SIZE,
    LEARNING_RATE,
    LIMITS,
    MIN_LEN,
    NUM_LAYERS,
    SEED,
    Limit,
    check_memory,
)
from rnnviz.core.models.factory import bundle_for


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory):
    """A tiny untrained character model: decoding it is instant, so a refusal is told from a run by its error."""
    path = tmp_path_factory.mktemp("limits") / "tiny.txt"
    path.write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8))
    return bundle_for(data, ModelConfig("lm", StackSpec("gru", (8,))), seed=0)


def refusal(error: type[RnnvizError], call) -> str:
    with pytest.raises(error) as info:
        call()
    return str(info.value)


# ---- the cases that hung or were accepted --------------------------------------------------------


@pytest.mark.parametrize("lr, said", [(math.inf, "at most 100, not inf"), (math.nan, "must be positive, not nan"),
                                      (-math.inf, "must be positive, not -inf"), (0.0, "must be positive, not 0.0"),
                                      (1e6, "at most 100, not 1000000.0")])
def test_a_learning_rate_out_of_range_is_refused(lr: float, said: str) -> None:
    message = refusal(ConfigError, lambda: TrainConfig(lr=lr))
    assert message.startswith("the learning rate ") and said in message
    assert "(allowed: 0.00001 to 100)" in message and "The book uses 4 with SGD" in message


def test_the_learning_rates_at_the_bounds_are_taken() -> None:
    assert TrainConfig(lr=LEARNING_RATE.lo).lr == 1e-5 and TrainConfig(lr=100.0).lr == 100.0


def test_a_generation_of_ten_million_tokens_is_refused_before_it_starts(lm) -> None:
    message = refusal(DataError, lambda: generate(lm, "the ", length=10**7))
    assert message.startswith("the length must be at most 10,000, not 10,000,000 (allowed: 1 to 10,000)")
    assert "10,000" in refusal(DataError, lambda: generate_beam(lm, "the ", length=10**7))
    assert len(generate(lm, "the ", length=GENERATION_LENGTH.hi).tokens) == 10_000  # the bound itself runs


def test_a_minimum_length_of_a_million_is_refused() -> None:
    message = refusal(ConfigError, lambda: BeamOptions(min_len=10**6))
    assert message.startswith("the minimum length must be at most 9,999 tokens, not 1,000,000")
    longest = refusal(ConfigError, lambda: BeamOptions(min_len=10**6, max_len=10**6 + 1))
    assert longest.startswith("the maximum length must be at most 10,000 tokens, not 1,000,001")
    # The longest search the limits allow finishes (counting its candidates once meant |V|^min_len as an
    # exact integer: a hang); a uniform step keeps the test about the search, not the model.
    def uniform(prefixes):
        return np.full((len(prefixes), 4), -math.log(4))

    result = beam_search(uniform, 4, 3, BeamOptions(max_len=DECODE_MAX_LEN.hi, min_len=MIN_LEN.hi))
    assert len(result.best.tokens) == DECODE_MAX_LEN.hi == result.tree.num_steps


def test_exhaustive_search_refuses_a_long_search_quickly() -> None:
    toy = d2l()
    message = refusal(ConfigError, lambda: exhaustive_search(toy.step, toy.vocab_size, toy.eos,
                                                             max_len=DECODE_MAX_LEN.hi))
    assert "would score more than 200,000 sequences; max_len 10 fits" in message


@pytest.mark.parametrize("layers", [17, 1000, 10**6])
def test_a_thousand_layers_are_refused(layers: int) -> None:
    message = refusal(ConfigError, lambda: StackSpec("gru", (8,) * layers))
    assert f"a stack of {layers:,} layers is too deep" in message and "(allowed: 1 to 16)" in message
    assert StackSpec("gru", (8,) * NUM_LAYERS.hi).num_layers == 16


@pytest.mark.parametrize("seed", [10**21, 2**63, -1])
def test_a_seed_torch_cannot_take_is_refused(seed: int, lm) -> None:
    for make in (lambda: TrainConfig(seed=seed), lambda: DataConfig(seed=seed)):
        assert "the seed must be" in refusal(ConfigError, make)
    message = refusal(DataError, lambda: generate(lm, "the ", 3, "sample", 1.0, seed=seed))
    assert "(allowed: 0 to 9,223,372,036,854,775,807)" in message
    assert len(generate(lm, "the ", 3, "sample", 1.0, seed=SEED.hi).tokens) == 3  # torch takes the largest


def test_temperature_zero_is_greedy_never_one(lm) -> None:
    greedy = generate(lm, "the ", length=40)
    for seed in (0, 1):
        assert generate(lm, "the ", 40, "sample", 0.0, seed).tokens == greedy.tokens
    warm = [generate(lm, "the ", 40, "sample", 1.0, seed).tokens for seed in range(3)]
    assert any(tokens != greedy.tokens for tokens in warm)  # at temperature 1 an untrained model wanders
    outcome = generate_with_distributions(lm, "the ", 40, "sample", 0.0, seed=3)
    assert outcome.tokens == greedy.tokens and outcome.temperature == 0.0
    # each step's distribution is the limit of colder and colder sampling: all mass on the token taken
    assert np.array_equal(outcome.probs.argmax(axis=1), outcome.token_ids) and np.all(outcome.probs.max(axis=1) == 1)


@pytest.mark.parametrize("temperature", [-1.0, math.nan, math.inf, 1e-9, 101.0])
def test_a_temperature_out_of_range_is_refused(lm, temperature: float) -> None:
    message = refusal(DataError, lambda: generate(lm, "the ", 5, "sample", temperature))
    assert message.startswith("the temperature must be") and "0 means greedy" in message


@pytest.mark.parametrize("size", [10**6, 4097])
def test_a_hidden_size_of_a_million_is_refused(size: int) -> None:
    message = refusal(ConfigError, lambda: StackSpec("lstm", (size,)))
    assert f"layer 1 has hidden size {size}; the hidden size must be at most 4,096 units" in message
    backward = refusal(ConfigError, lambda: StackSpec("gru", (8,), True, backward_sizes=(size,)))
    assert f"layer 1 has backward hidden size {size}" in backward


def test_a_model_whose_weights_would_fill_memory_is_refused_as_a_config() -> None:
    # Every size is in range; together they make 1.6 billion weights.
    stack = StackSpec("gru", (HIDDEN_SIZE.hi,) * 16)
    message = refusal(ConfigError, lambda: ModelConfig("lm", stack, embed_size=32))
    assert "before its output layer: the model's weights must be at most 500,000,000 parameters" in message
    assert ModelConfig("lm", StackSpec("gru", (1024,) * 4), embed_size=256).weight_count() < 500_000_000


def test_an_embedding_or_a_batch_out_of_range_is_refused() -> None:
    assert "embed_size must be at most 4,096, not 100,000" in refusal(
        ConfigError, lambda: ModelConfig("lm", embed_size=100_000))
    for field, value in (("batch_size", 10**6), ("num_steps", 10**5), ("max_examples", 10**9)):
        assert f"{field} must be at most" in refusal(ConfigError, lambda: DataConfig(**{field: value}))
    batch = refusal(ConfigError, lambda: DataConfig(batch_size=65_536, num_steps=1_000))
    assert "a batch of 65,536 × 1,000 tokens is too large" in batch and "at most 1,048,576 tokens" in batch
    # num_steps left out: the task's own (32) counts
    assert "65,536 × 32 tokens is too large" in refusal(ConfigError, lambda: DataConfig(task="lm", batch_size=65_536))


def test_decoding_lengths_out_of_range_are_refused(lm) -> None:
    assert "the maximum length must be at most 10,000 tokens" in refusal(
        ConfigError, lambda: BeamOptions(max_len=10**6))
    assert "the beam size must be at most 1,024" in refusal(ConfigError, lambda: BeamOptions(beam_size=10**9))
    assert "nbest must be at most 64" in refusal(ConfigError, lambda: BeamOptions(nbest=1000, beam_size=100))
    assert "alpha must be at most 3" in refusal(ConfigError, lambda: BeamOptions(alpha=1e9))


def test_a_beam_whose_tree_would_fill_memory_is_refused_before_searching() -> None:
    calls = []

    def step(prefixes):
        calls.append(len(prefixes))
        return np.full((len(prefixes), 20_000), -math.log(20_000))

    message = refusal(ConfigError, lambda: beam_search(step, 20_000, 0, BeamOptions(beam_size=64, max_len=1_000)))
    assert "a search of up to 1,000 steps with a beam of 64 over 20,000 tokens would record up to 20.5 GB" in message
    assert "lower the maximum length or the beam" in message and calls == []


def test_training_memory_is_checked_with_the_vocabulary_before_building() -> None:
    model = ModelConfig("lm", StackSpec("gru", (2048,)), embed_size=2048)
    data, train = DataConfig(task="lm", batch_size=512, num_steps=512), TrainConfig(optimizer="adam", lr=0.01)
    words = refusal(ConfigError, lambda: check_training_memory(data, model, train, (200_000,), available=10**12))
    assert "with a vocabulary of 200,000 tokens the model has" in words and "at most 500,000,000" in words
    small = refusal(ConfigError, lambda: check_training_memory(data, model, train, (28,), available=10**9))
    assert small.startswith("training this model (") and "and this machine has about 1.0 GB free" in small
    assert "lower the batch size, the window (num_steps) or the model's size." in small
    check_training_memory(data, model, train, (28,), available=10**12)  # fits: no error


def test_check_memory_names_the_need_and_the_free_memory() -> None:
    check_memory("a small thing", 1e6, "never mind.", available=10**9)
    message = refusal(ConfigError, lambda: check_memory("tracing 10 tokens", 3e9, "trace fewer.", available=10**9))
    assert message == ("tracing 10 tokens would need about 3.0 GB of memory, and this machine has about 1.0 GB "
                       "free: trace fewer.")
    free = limits.available_memory()
    assert free is None or free > 0


# ---- the record itself ---------------------------------------------------------------------------


def test_every_limit_is_consistent() -> None:
    assert len(LIMITS) >= 30
    for key, limit in LIMITS.items():
        assert key.isupper() and limit.lo < limit.hi and limit.doc.endswith((".", ")")), key
        assert not limit.contains(math.nan) and not limit.contains("3") and not limit.contains(True)
        if limit.special is not None:
            assert not limit.contains(limit.special[0]) and limit.contains(limit.special[0], special=True), key
        low, high = limit.spin_range()
        assert high <= (limits.SPIN_MAX if limit.integer else high) and low <= limit.lo, key


def test_a_limit_says_the_name_the_value_the_range_and_what_to_do() -> None:
    tokens = Limit("the maximum length", 1, 10, "Decode in parts.", "tokens")
    assert tokens.message(0) == ("the maximum length must be at least 1 token, not 0 (allowed: 1 to 10 tokens). "
                                 "Decode in parts.")
    assert tokens.message(2.5).startswith("the maximum length must be a whole number, not 2.5")
    share = Limit("the share", 0.0, 1.0, "Less.", hi_open=True)
    assert share.message(1.0) == "the share must be below 1, not 1.0 (allowed: 0 to below 1). Less."
    assert share.contains(np.float32(0.5)) and tokens.contains(np.int64(3)) and not tokens.contains(3.0)
    assert limits.format_number(1e-5) == "0.00001" and limits.format_number(65_536) == "65,536"
