"""The book's text preprocessing: letters-only LM cleaning and MTFraEng's punctuation rule."""

from __future__ import annotations

import pytest

from rnnviz.core.data.tokenize import clean_lm_text, preprocess_mt, tokenize, tokenize_mt


# --- language modelling -------------------------------------------------------------


def test_letters_rule_turns_every_run_of_non_letters_into_one_space_and_lowercases():
    text = "The Time Traveller (for so it will be convenient to speak of him)\n\nwas expounding--"
    assert clean_lm_text(text, "letters") == (
        "the time traveller for so it will be convenient to speak of him was expounding"
    )


def test_letters_rule_drops_digits_accents_and_punctuation():
    assert clean_lm_text("I, 42 times: Été!", "letters") == "i times t"


def test_letters_is_the_default_rule():
    assert clean_lm_text("Hello, World!") == "hello world"


def test_lower_rule_keeps_punctuation_and_accents_but_collapses_whitespace():
    assert clean_lm_text("  Hello,\tWorld!!\n\n  Été  ", "lower") == "hello, world!! été"


def test_unknown_cleaning_rule_is_refused():
    with pytest.raises(ValueError, match="letters"):
        clean_lm_text("abc", "upper")  # type: ignore[arg-type]


def test_char_tokens_keep_spaces():
    assert tokenize("to be", "char") == ["t", "o", " ", "b", "e"]


def test_word_tokens_split_on_whitespace():
    assert tokenize("the  time\nmachine", "word") == ["the", "time", "machine"]


def test_words_of_letters_text_are_exactly_the_whitespace_split():
    text = clean_lm_text("I'm sure--quite sure, he said; 'the Time Traveller' smiled.", "letters")
    assert tokenize(text, "word") == text.split()
    assert tokenize(text, "word")[:4] == ["i", "m", "sure", "quite"]


def test_words_of_lower_text_keep_punctuation_as_separate_tokens():
    text = clean_lm_text("J'aime Paris. Don't go!", "lower")
    assert tokenize(text, "word") == ["j'aime", "paris", ".", "don't", "go", "!"]


def test_unknown_token_level_is_refused():
    with pytest.raises(ValueError, match="char"):
        tokenize("abc", "byte")  # type: ignore[arg-type]


def test_cleaned_text_only_has_the_books_28_characters():
    text = clean_lm_text("It's 1895; the Time-Machine works! ¿Qué? \u00a0 Yes.\r\n", "letters")
    assert set(text) <= set(" abcdefghijklmnopqrstuvwxyz")
    assert "  " not in text and text == text.strip()


# --- machine translation (MTFraEng._preprocess) ----------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Go.", "go ."),
        ("Va !", "va !"),  # already has its space: no second one
        ("Hi, Tom.", "hi , tom ."),
        ("Cours\u202f!", "cours !"),  # narrow no-break space
        ("Ça va\u00a0?", "ça va ?"),  # no-break space
        ("Wait...", "wait . . ."),
        (".Hi", ".hi"),  # nothing is inserted at position 0
        ("Who?", "who ?"),
        ("Go.\tVa !", "go .\tva !"),  # a whole line of the book's file
    ],
)
def test_preprocess_mt_follows_the_book(raw, expected):
    assert preprocess_mt(raw) == expected


def test_preprocess_mt_leaves_no_non_breaking_spaces():
    out = preprocess_mt("Quoi\u00a0? Vraiment\u202f! Oui\u202f\u00a0!")
    assert "\u00a0" not in out and "\u202f" not in out
    assert out == "quoi ? vraiment ! oui  !"


@pytest.mark.parametrize(
    ("sentence", "tokens"),
    [
        ("Go.", ["go", "."]),
        ("Va !", ["va", "!"]),
        ("Hi, Tom.", ["hi", ",", "tom", "."]),
        ("Cours\u202f!", ["cours", "!"]),
        ("I lost.", ["i", "lost", "."]),
        ("J'ai perdu.", ["j'ai", "perdu", "."]),
        ("Oui\u202f\u00a0!", ["oui", "!"]),  # no empty tokens from doubled spaces
    ],
)
def test_tokenize_mt_splits_punctuation_into_tokens(sentence, tokens):
    assert tokenize_mt(sentence) == tokens
