"""The vocabulary: reserved tokens first, then by frequency; unknowns to <unk>; saving keeps indices."""

from __future__ import annotations

import string

import numpy as np
import pytest
import torch

from rnnviz.core.data.tokenize import clean_lm_text, tokenize, tokenize_mt
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK, Vocab

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "end"]]


def test_reserved_tokens_come_first_then_unk_then_by_falling_frequency_ties_alphabetical():
    vocab = Vocab(SENTENCES)
    assert vocab.to_list() == [PAD, BOS, EOS, UNK, "the", "sat", "cat", "dog", "end"]
    assert vocab.token_to_idx[PAD] == 0 and vocab[PAD] == 0
    assert vocab.unk == 3
    assert len(vocab) == 9


def test_order_does_not_depend_on_input_order():
    forward = Vocab(SENTENCES)
    backward = Vocab([list(reversed(s)) for s in reversed(SENTENCES)])
    assert forward.to_list() == backward.to_list()
    assert forward == backward


def test_token_freqs_are_sorted_counts():
    assert Vocab(SENTENCES).token_freqs == [("the", 3), ("sat", 2), ("cat", 1), ("dog", 1), ("end", 1)]


def test_flat_token_list_works_like_nested_lists():
    flat = [t for s in SENTENCES for t in s]
    assert Vocab(flat) == Vocab(SENTENCES)


def test_min_freq_drops_rare_tokens_to_unk():
    vocab = Vocab(SENTENCES, min_freq=2)
    assert vocab.to_list() == [PAD, BOS, EOS, UNK, "the", "sat"]
    assert vocab["cat"] == vocab.unk
    assert vocab[["the", "cat", "sat"]] == [4, 3, 5]
    assert "cat" not in vocab and "sat" in vocab


def test_unknown_tokens_map_to_unk():
    vocab = Vocab(SENTENCES)
    assert vocab["zebra"] == vocab.unk == vocab.index("zebra")
    assert vocab[["the", "zebra", "end"]] == [4, 3, 8]
    assert vocab.to_tokens(vocab[["the", "zebra"]]) == ["the", UNK]


def test_getitem_on_token_and_list_as_the_book():
    vocab = Vocab(SENTENCES)
    assert vocab["the"] == 4
    assert vocab[["the", "dog"]] == [4, 7]
    assert vocab[[]] == []


def test_to_tokens_inverts_indices():
    vocab = Vocab(SENTENCES)
    ids = vocab[["the", "cat", "sat", EOS, PAD]]
    assert vocab.to_tokens(ids) == ["the", "cat", "sat", EOS, PAD]
    assert vocab.to_tokens(4) == "the"


def test_to_tokens_accepts_numpy_and_torch_indices():
    vocab = Vocab(SENTENCES)
    assert vocab.to_tokens(np.array([4, 6], dtype=np.int64)) == ["the", "cat"]
    assert vocab.to_tokens(torch.tensor([4, 6])) == ["the", "cat"]
    # a single predicted id, e.g. logits.argmax(), is one token as for a Python int
    assert vocab.to_tokens(np.int64(4)) == "the"
    assert vocab.to_tokens(np.array([1.0, 4.0, 2.0]).argmax()) == BOS
    assert vocab.to_tokens(torch.tensor(6)) == "cat"


def test_reserved_tokens_are_never_duplicated_even_if_in_the_text():
    vocab = Vocab([["<eos>", "a", "<unk>", "a"]])
    assert vocab.to_list() == [PAD, BOS, EOS, UNK, "a"]


def test_empty_reserved_keeps_only_unk():
    vocab = Vocab(list("abca"), reserved=())
    assert vocab.to_list() == [UNK, "a", "b", "c"]
    assert vocab["z"] == 0


def test_empty_vocab_has_only_the_specials():
    assert Vocab().to_list() == [PAD, BOS, EOS, UNK]


def test_to_list_from_list_round_trip_keeps_every_index():
    vocab = Vocab(SENTENCES, min_freq=1)
    restored = Vocab.from_list(vocab.to_list())
    assert restored == vocab
    assert restored.token_to_idx == vocab.token_to_idx
    assert restored[["the", "dog", "zebra"]] == vocab[["the", "dog", "zebra"]]
    assert restored.unk == vocab.unk


def test_from_list_keeps_an_unusual_order():
    saved = ["a", UNK, "b", PAD]
    restored = Vocab.from_list(saved)
    assert restored.to_list() == saved
    assert restored["b"] == 2 and restored["nope"] == 1


def test_from_list_refuses_a_list_without_unk_or_with_duplicates():
    with pytest.raises(ValueError, match="<unk>"):
        Vocab.from_list(["a", "b"])
    with pytest.raises(ValueError, match="twice"):
        Vocab.from_list([UNK, "a", "a"])


def test_book_char_vocabulary_is_unk_space_and_26_letters():
    text = clean_lm_text(
        "The quick brown fox jumps over the lazy dog! THE END, 1895.\n"
        "Pack my box with five dozen liquor jugs.",
        "letters",
    )
    vocab = Vocab(tokenize(text, "char"), reserved=())
    assert len(vocab) == 28
    assert vocab.to_list()[:2] == [UNK, " "]  # space is the most frequent character
    assert set(vocab.to_list()) == {UNK, " ", *string.ascii_lowercase}


def test_mt_vocab_from_book_sentences():
    pairs = [("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours\u202f!"), ("Run!", "Courez\u202f!")]
    src = Vocab([tokenize_mt(s) for s, _ in pairs], min_freq=2)
    tgt = Vocab([tokenize_mt(t) for _, t in pairs], min_freq=2)
    assert src.to_list() == [PAD, BOS, EOS, UNK, "!", ".", "run"]  # ties: alphabetical
    assert tgt.to_list() == [PAD, BOS, EOS, UNK, "!"]
    assert tgt[tokenize_mt("Cours\u202f!")] == [tgt.unk, 4]
