"""The shipped pretrained models: small, plain data, and good on text they never saw."""

from __future__ import annotations

import torch

from rnnviz.core.resources import pretrained_path
from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.data.corpora import load_corpus
from rnnviz.core.data.datasets import build_mt_data
from rnnviz.core.data.tokenize import tokenize_mt
from rnnviz.core.decoding import generate, translate
from rnnviz.core.metrics import bleu

MB = 1024 * 1024


def test_both_checkpoints_are_small_plain_data() -> None:
    for task in ("lm", "mt"):
        path = pretrained_path(task)
        assert path.stat().st_size < 5 * MB
        payload = torch.load(path, weights_only=True)  # plain data only
        assert payload["task"] == task and payload["data_config"]["corpus"].startswith("phrasebook")


def test_translation_model_translates_held_out_sentences() -> None:
    bundle = load_checkpoint(pretrained_path("mt"), "mt")
    # Rebuild the same split from the checkpoint's own data settings: these pairs were never trained on.
    data = build_mt_data(load_corpus(bundle.data_config.corpus), bundle.data_config)
    pairs = data.test.pairs[:150]
    scores = [bleu(translate(bundle, en).text, " ".join(tokenize_mt(fr)), 2) for en, fr in pairs]
    assert sum(scores) / len(scores) > 0.9
    assert sum(score == 1.0 for score in scores) > 0.75 * len(scores)


def test_language_model_writes_phrasebook_english() -> None:
    bundle = load_checkpoint(pretrained_path("lm"), "lm")
    text = generate(bundle, "the girls ", 120).text
    known = {w.lower() for line in load_corpus("phrasebook-en").text.splitlines() for w in line.split()}
    words = text.split()[:-1]  # the last word may be cut mid-way
    assert len(words) > 10
    assert sum(w.strip(".?") in known for w in words) >= 0.9 * len(words)
