"""Token-id arrays: the book's TimeMachine windows and MTFraEng padded pairs, on tiny corpora."""

from __future__ import annotations

import string

import numpy as np
import pytest

from rnnviz.core.config import DataConfig
from rnnviz.core.data.corpora import CorpusInfo, LmCorpus, MtCorpus
from rnnviz.core.data.datasets import LmData, MtData, build_data, build_lm_data, build_mt_data, lm_windows
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK
from rnnviz.core.errors import DataError

ALPHABET = string.ascii_lowercase  # 26 distinct characters: with reserved=() 'a' -> 1 ... 'z' -> 26


def lm_corpus(text: str, name: str = "tiny", cleaning: str = "lower") -> LmCorpus:
    return LmCorpus(CorpusInfo(name, "lm", name, "file", "test", len(text), cleaning), text)  # type: ignore[arg-type]


def mt_corpus(pairs, name: str = "toy") -> MtCorpus:
    return MtCorpus(CorpusInfo(name, "mt", name, "file", "test", 0, "lower"), tuple(pairs))


def alphabet_data(num_steps: int = 4, batch_size: int = 2, seed: int = 0) -> LmData:
    config = DataConfig(corpus="tiny", num_steps=num_steps, batch_size=batch_size, val_fraction=0.2, seed=seed)
    return build_lm_data(lm_corpus(ALPHABET), config)


def epoch_rows(data: LmData, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    batches = list(data.train_batches(epoch))
    return np.concatenate([x for x, _ in batches]), np.concatenate([y for _, y in batches])


# --- language model -----------------------------------------------------------------


def test_lm_windows_are_non_overlapping_and_targets_are_shifted_by_one():
    ids = np.arange(10, dtype=np.int64)
    x, y = lm_windows(ids, 3, offset=0)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert y.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    x, y = lm_windows(ids, 3, offset=2)
    assert x.tolist() == [[2, 3, 4], [5, 6, 7]]
    assert y.tolist() == [[3, 4, 5], [6, 7, 8]]


def test_lm_ids_are_split_by_position_with_the_last_part_for_validation():
    data = alphabet_data()
    assert data.vocab.to_list() == [UNK, *ALPHABET]  # all counts 1: alphabetical
    assert data.train_ids.dtype == np.int64
    assert data.train_ids.tolist() == list(range(1, 22))  # a..u
    assert data.val_ids.tolist() == list(range(22, 27))  # v..z: int(26 * 0.2) = 5
    assert data.config.min_freq == 1 and data.num_steps == 4


def test_lm_epoch_uses_every_window_at_one_offset_with_y_shifted():
    data = alphabet_data(num_steps=4, batch_size=2)
    x, y = epoch_rows(data, epoch=0)
    assert x.shape[1] == 4 and x.dtype == np.int64
    np.testing.assert_array_equal(y, x + 1)  # consecutive ids: Y is X shifted by one
    starts = np.sort(x[:, 0])
    offset = int(starts[0]) - 1
    assert 0 <= offset < 4
    count = (21 - 1 - offset) // 4
    expected = [[offset + 1 + 4 * k + j for j in range(4)] for k in range(count)]
    assert x[np.argsort(x[:, 0])].tolist() == expected
    assert y.max() <= 21  # no target taken from the validation part


def test_lm_batches_have_the_batch_size_and_a_short_last_batch():
    data = alphabet_data(num_steps=2, batch_size=3)
    for epoch in range(6):
        shapes = [x.shape for x, _ in data.train_batches(epoch)]
        windows = sum(s[0] for s in shapes)
        assert windows in (9, 10)  # (21 - 1 - offset) // 2 for offset 0 or 1
        assert all(s == (3, 2) for s in shapes[:-1]) and 1 <= shapes[-1][0] <= 3


def test_lm_epochs_are_deterministic_for_seed_and_epoch():
    first, again = alphabet_data(seed=7), alphabet_data(seed=7)
    for epoch in (0, 1, 5):
        a = list(first.train_batches(epoch))
        b = list(again.train_batches(epoch))
        assert len(a) == len(b)
        for (xa, ya), (xb, yb) in zip(a, b):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)


def test_lm_epochs_vary_in_offset_and_order():
    data = alphabet_data(num_steps=4, batch_size=2)
    rows = [epoch_rows(data, epoch)[0] for epoch in range(20)]
    offsets = {int(r[:, 0].min()) - 1 for r in rows}
    assert len(offsets) >= 3  # random cut points, not always offset 0
    orders = {tuple(r[:, 0].tolist()) for r in rows}
    assert len(orders) >= 10  # windows are shuffled differently across epochs


def test_lm_seeds_give_different_epochs():
    a = [tuple(epoch_rows(alphabet_data(seed=s), 0)[0][:, 0].tolist()) for s in range(8)]
    assert len(set(a)) > 1


def test_lm_validation_uses_offset_zero_in_order():
    data = alphabet_data(num_steps=4, batch_size=2)
    (x, y), = list(data.val_batches())
    assert x.tolist() == [[22, 23, 24, 25]]
    assert y.tolist() == [[23, 24, 25, 26]]
    assert data.vocab.to_tokens(x[0]) == list("vwxy")


def test_lm_word_level_with_min_freq_maps_rare_words_to_unk():
    text = "the cat sat on the mat the cat ran " * 4 + "a rare word"
    config = DataConfig(corpus="w", token_level="word", num_steps=3, batch_size=4, min_freq=2, val_fraction=0.2)
    data = build_lm_data(lm_corpus(text), config)
    assert data.level == "word"
    assert data.vocab.to_list() == [UNK, "the", "cat", "mat", "on", "ran", "sat"]
    ids = np.concatenate([data.train_ids, data.val_ids])
    assert len(ids) == 39
    assert data.vocab.to_tokens(ids[-3:]) == [UNK, UNK, UNK]


def test_lm_cleaning_defaults_to_the_corpus_rule_and_can_be_overridden():
    text = "Hello, World! " * 10
    config = DataConfig(corpus="c", num_steps=4, batch_size=2)
    letters = build_lm_data(lm_corpus(text, cleaning="letters"), config)
    lower = build_lm_data(lm_corpus(text, cleaning="lower"), config)
    assert "," not in letters.vocab and "h" in letters.vocab
    assert "," in lower.vocab and "!" in lower.vocab
    forced = build_lm_data(lm_corpus(text, cleaning="lower"), DataConfig(corpus="c", num_steps=4, lm_cleaning="letters"))
    assert forced.vocab == letters.vocab


def test_lm_too_short_corpus_names_corpus_token_count_and_num_steps():
    with pytest.raises(DataError) as info:
        build_lm_data(lm_corpus("Just a few words.", name="notes.txt"), DataConfig(corpus="notes.txt"))
    message = str(info.value)
    assert "notes.txt" in message
    assert "17 characters" in message
    assert "num_steps=32" in message


def test_lm_too_short_for_validation_says_how_long_it_must_be():
    config = DataConfig(corpus="tiny", num_steps=4, val_fraction=0.1)
    with pytest.raises(DataError) as info:
        build_lm_data(lm_corpus(ALPHABET), config)  # 26 chars: only 2 for validation, 5 needed
    message = str(info.value)
    assert "26 characters" in message and "num_steps=4" in message and "at least 50" in message
    # the advertised minimum is right: 50 characters work, 49 do not
    build_lm_data(lm_corpus((ALPHABET * 2)[:50]), config)
    with pytest.raises(DataError):
        build_lm_data(lm_corpus((ALPHABET * 2)[:49]), config)


def test_lm_word_level_message_counts_words():
    config = DataConfig(corpus="w", token_level="word", num_steps=5)
    with pytest.raises(DataError, match="3 words"):
        build_lm_data(lm_corpus("only three words"), config)


def test_lm_without_validation_yields_no_val_batches():
    data = build_lm_data(lm_corpus(ALPHABET), DataConfig(corpus="t", num_steps=5, val_fraction=0.0))
    assert len(data.val_ids) == 0 and list(data.val_batches()) == []
    assert len(data.train_ids) == 26


def test_build_data_reads_a_user_text_file(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "alphabet.txt"
    path.write_text(ALPHABET.upper() + "\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=4, batch_size=2, val_fraction=0.2), download=False)
    assert isinstance(data, LmData)
    assert data.train_ids.tolist() == list(range(1, 22))  # user files are lowercased ("lower")


# --- machine translation --------------------------------------------------------------

TOY = [
    ("Go.", "Va !"),
    ("Hi.", "Salut !"),
    ("Run!", "Cours\u202f!"),
    ("I see you, Tom.", "Je te vois, Tom."),  # longer than num_steps: trimmed
    ("Who ran?", "Qui a couru ?"),  # source fits exactly (3 + <eos>), target is trimmed
]


def toy_data(**overrides) -> MtData:
    settings = dict(corpus="toy", num_steps=4, batch_size=2, min_freq=1, val_fraction=0.0, test_fraction=0.0)
    settings.update(overrides)
    return build_mt_data(mt_corpus(TOY), DataConfig(**settings))


def rows_by_pair(data: MtData) -> dict[tuple[str, str], dict[str, list]]:
    split = data.train
    out = {}
    for i, pair in enumerate(split.pairs):
        out[pair] = {
            "src": data.src_vocab.to_tokens(split.src[i]),
            "tgt_in": data.tgt_vocab.to_tokens(split.tgt_in[i]),
            "tgt_out": data.tgt_vocab.to_tokens(split.tgt_out[i]),
            "valid": int(split.src_valid_len[i]),
        }
    return out


def test_mt_vocabularies_are_built_as_the_book_with_min_freq_one():
    data = toy_data()
    assert data.src_vocab.to_list() == [
        PAD, BOS, EOS, UNK, ".", "!", ",", "?", "go", "hi", "i", "ran", "run", "see", "tom", "who", "you",
    ]
    assert data.tgt_vocab.to_list() == [
        PAD, BOS, EOS, UNK, "!", ",", ".", "?", "a", "cours", "couru", "je", "qui", "salut", "te", "tom",
        "va", "vois",
    ]


def test_mt_arrays_pad_trim_and_place_bos_eos_exactly():
    data = toy_data()
    split = data.train
    assert len(split) == 5 and sorted(split.pairs) == sorted(TOY)
    for array in (split.src, split.tgt_in, split.tgt_out):
        assert array.shape == (5, 4) and array.dtype == np.int64
    assert split.src_valid_len.shape == (5,) and split.src_valid_len.dtype == np.int64
    rows = rows_by_pair(data)
    assert rows[("Go.", "Va !")] == {
        "src": ["go", ".", EOS, PAD],
        "tgt_in": [BOS, "va", "!", EOS],
        "tgt_out": ["va", "!", EOS, PAD],
        "valid": 3,
    }
    assert rows[("Run!", "Cours\u202f!")] == {
        "src": ["run", "!", EOS, PAD],
        "tgt_in": [BOS, "cours", "!", EOS],
        "tgt_out": ["cours", "!", EOS, PAD],
        "valid": 3,
    }
    # The book trims after adding <eos>, so a long sentence loses its <eos>.
    assert rows[("I see you, Tom.", "Je te vois, Tom.")] == {
        "src": ["i", "see", "you", ","],
        "tgt_in": [BOS, "je", "te", "vois"],
        "tgt_out": ["je", "te", "vois", ","],
        "valid": 4,
    }
    assert rows[("Who ran?", "Qui a couru ?")] == {
        "src": ["who", "ran", "?", EOS],
        "tgt_in": [BOS, "qui", "a", "couru"],
        "tgt_out": ["qui", "a", "couru", "?"],
        "valid": 4,
    }


def test_mt_target_input_and_output_are_one_target_shifted():
    split = toy_data().train
    np.testing.assert_array_equal(split.tgt_in[:, 1:], split.tgt_out[:, :-1])
    assert (split.tgt_in[:, 0] == 1).all()  # <bos>


def test_mt_valid_len_counts_non_pad_source_tokens():
    data = toy_data(num_steps=6)
    split = data.train
    pad = data.src_vocab[PAD]
    np.testing.assert_array_equal(split.src_valid_len, (split.src != pad).sum(axis=1))
    assert sorted(split.src_valid_len.tolist()) == [3, 3, 3, 4, 6]


def test_mt_trimmed_counts_sentences_cut_to_num_steps():
    assert toy_data().trimmed == (1, 2)
    assert toy_data(num_steps=7).trimmed == (0, 0)  # "i see you , tom ." + <eos> = 7 fits
    assert toy_data(num_steps=2).trimmed == (5, 5)


def test_mt_default_min_freq_two_sends_rare_tokens_to_unk():
    data = toy_data(min_freq=None)
    assert data.config.min_freq == 2
    assert data.src_vocab.to_list() == [PAD, BOS, EOS, UNK, "."]
    assert data.tgt_vocab.to_list() == [PAD, BOS, EOS, UNK, "!"]
    rows = rows_by_pair(data)
    assert rows[("Go.", "Va !")]["src"] == [UNK, ".", EOS, PAD]
    assert rows[("Go.", "Va !")]["tgt_out"] == [UNK, "!", EOS, PAD]
    assert rows[("Go.", "Va !")]["valid"] == 3  # <unk> is not padding


def test_mt_book_defaults_for_num_steps_and_batch_size():
    pairs = [(f"Go {i}.", f"Va {i} !") for i in range(20)]
    data = build_mt_data(mt_corpus(pairs), DataConfig(corpus="toy"))
    assert data.config.num_steps == 9 and data.config.batch_size == 128
    assert data.train.src.shape[1] == 9 and data.train.tgt_in.shape[1] == 9


def split_pairs(data: MtData):
    return [list(s.pairs) for s in (data.train, data.val, data.test)]


MANY = [(f"Sentence {w} number {i}.", f"Phrase {w} numéro {i}.") for i, w in enumerate(["a", "b"] * 15)]


def test_mt_split_sizes_cover_the_first_max_examples_exactly_once():
    config = DataConfig(corpus="many", val_fraction=0.2, test_fraction=0.1, max_examples=20)
    data = build_mt_data(mt_corpus(MANY), config)
    train, val, test = split_pairs(data)
    assert (len(train), len(val), len(test)) == (14, 4, 2)
    assert sorted(train + val + test) == sorted(MANY[:20])
    assert data.trimmed == (0, 0)  # 5 tokens + <eos> fit in 9


def test_mt_split_is_shuffled_and_seeded():
    config = DataConfig(corpus="many", val_fraction=0.2, test_fraction=0.2, seed=3)
    once = split_pairs(build_mt_data(mt_corpus(MANY), config))
    again = split_pairs(build_mt_data(mt_corpus(MANY), config))
    assert once == again
    assert once[0] != MANY[: len(once[0])]  # not simply the first pairs for training
    other = split_pairs(build_mt_data(mt_corpus(MANY), DataConfig(corpus="many", val_fraction=0.2,
                                                                test_fraction=0.2, seed=4)))
    assert other != once


def test_mt_vocab_comes_from_the_training_split_only():
    data = build_mt_data(mt_corpus(MANY), DataConfig(corpus="many", min_freq=1, val_fraction=0.2,
                                                     test_fraction=0.2))
    train_numbers = {p[0].split()[3].rstrip(".") for p in data.train.pairs}
    for source, _ in data.val.pairs + data.test.pairs:
        number = source.split()[3].rstrip(".")
        assert number not in train_numbers and number not in data.src_vocab
    row = data.val.src[0]
    assert data.src_vocab.to_tokens(row[:6]) == ["sentence", data.val.pairs[0][0].split()[1], "number",
                                                UNK, ".", EOS]


def test_mt_train_batches_are_deterministic_and_reshuffled_each_epoch():
    data = build_mt_data(mt_corpus(MANY), DataConfig(corpus="many", batch_size=4, min_freq=1,
                                                     val_fraction=0.2, test_fraction=0.2))
    assert data.num_train_batches() == 5  # 18 pairs in batches of 4
    epoch0 = list(data.train_batches(0))
    assert [len(b[0]) for b in epoch0] == [4, 4, 4, 4, 2]
    src, tgt_in, valid, tgt_out = epoch0[0]
    assert src.shape == (4, 9) and tgt_in.shape == (4, 9) and valid.shape == (4,) and tgt_out.shape == (4, 9)
    again = list(data.train_batches(0))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(epoch0, again))
    firsts = {tuple(np.concatenate([b[0][:, 3] for b in data.train_batches(e)]).tolist()) for e in range(6)}
    assert len(firsts) > 1
    every = np.concatenate([b[0] for b in epoch0])
    assert sorted(map(tuple, every.tolist())) == sorted(map(tuple, data.train.src.tolist()))


def test_mt_val_batches_in_order():
    data = build_mt_data(mt_corpus(MANY), DataConfig(corpus="many", batch_size=4, val_fraction=0.2,
                                                     test_fraction=0.2))
    batches = list(data.val_batches())
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), data.val.src)


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_mt_too_few_pairs_is_a_data_error_naming_the_corpus(count):
    pairs = [(f"Go {i}.", f"Va {i} !") for i in range(count)]
    with pytest.raises(DataError) as info:
        build_mt_data(mt_corpus(pairs, name="mine.tsv"), DataConfig(corpus="mine.tsv"))
    message = str(info.value)
    assert "mine.tsv" in message and f"has {count} sentence pair" in message


def test_mt_max_examples_too_small_is_a_data_error():
    with pytest.raises(DataError, match="has 2 sentence pairs"):
        build_mt_data(mt_corpus(MANY), DataConfig(corpus="many", max_examples=2))


def test_mt_one_pair_is_enough_without_held_out_splits():
    data = build_mt_data(mt_corpus([("Go.", "Va !")]),
                         DataConfig(corpus="one", val_fraction=0.0, test_fraction=0.0, min_freq=1))
    assert (len(data.train), len(data.val), len(data.test)) == (1, 0, 0)
    assert data.val.src.shape == (0, 9)
    assert list(data.val_batches()) == []


def test_build_data_reads_a_user_tsv_file(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "toy.tsv"
    path.write_text("".join(f"{s}\t{t}\tCC-BY 2.0\n" for s, t in TOY), encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=4, min_freq=1, val_fraction=0.0,
                                 test_fraction=0.0), download=False)
    assert isinstance(data, MtData)
    assert rows_by_pair(data)[("Hi.", "Salut !")]["tgt_in"] == [BOS, "salut", "!", EOS]
    assert data.trimmed == (1, 2)
