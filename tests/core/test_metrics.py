"""Perplexity and the book's BLEU, on the book's own examples (section 10.7)."""

from __future__ import annotations

import math

import pytest

from rnnviz.core.metrics import bleu, ngram_precision, perplexity


def test_perplexity_is_exp_of_mean_nll() -> None:
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(28)) == pytest.approx(28)  # uniform over the book's 28 characters
    assert perplexity(1e6) == math.inf


def test_book_ngram_precisions() -> None:
    # "when the label sequence is A, B, C, D, E, F and the prediction sequence is
    # A, B, B, C, D, we have p1 = 4/5, p2 = 3/4, p3 = 1/3, and p4 = 0."
    label, pred = "A B C D E F".split(), "A B B C D".split()
    assert [ngram_precision(pred, label, n) for n in (1, 2, 3, 4)] == [4 / 5, 3 / 4, 1 / 3, 0.0]


def test_book_bleu_formula_on_that_example() -> None:
    brevity = math.exp(1 - 6 / 5)
    assert bleu("A B B C D", "A B C D E F", 2) == pytest.approx(brevity * (4 / 5) ** 0.5 * (3 / 4) ** 0.25)
    assert bleu("A B B C D", "A B C D E F", 4) == 0.0  # p4 = 0


def test_book_translation_examples() -> None:
    # The book's printed results for its four test sentences (k=2).
    assert bleu("va !", "va !", 2) == 1.0
    assert bleu("j'ai perdu .", "j'ai perdu .", 2) == 1.0
    assert bleu("nous <unk> .", "il est calme .", 2) == 0.0
    assert bleu("je suis chez moi .", "je suis chez moi .", 2) == 1.0


def test_short_predictions_pay_the_brevity_penalty() -> None:
    # Every predicted n-gram matches, but the prediction is half the label's length.
    assert bleu("je suis", "je suis chez moi", 2) == pytest.approx(math.exp(1 - 2))
    assert bleu(["je", "suis"], ["je", "suis"], 4) == 1.0  # k above the length uses n <= len(pred)


def test_empty_prediction_scores_zero() -> None:
    assert bleu("", "va !", 2) == 0.0
    assert bleu([], ["va", "!"], 2) == 0.0
