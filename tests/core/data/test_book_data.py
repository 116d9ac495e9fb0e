"""The data as the book's code makes them: TimeMachine's every window, MTFraEng's split and vocabularies.

Each reference below is a re-typing of the book's slicing (d2l's ``TimeMachine.__init__`` and
``get_dataloader``, ``MTFraEng._preprocess``, ``_tokenize`` and ``_build_arrays``), written
here so that the test does not depend on rnnviz's own helpers. Tokens are compared, not ids:
the book orders its vocabulary alphabetically, rnnviz reserved tokens first.
"""

from __future__ import annotations

import collections
import random
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.corpora import CorpusInfo, LmCorpus, MtCorpus
from rnnviz.core.data.datasets import LmData, MtData, build_data, build_lm_data, build_mt_data
from rnnviz.core.data.vocab import BOS
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.models.presets import PRESETS

# ---- re-typings of the book's code --------------------------------------------------------------


def book_lm_windows(raw: str, num_steps: int, num_train: int, num_val: int) -> tuple[list[str], list[str]]:
    """TimeMachine: (X + '|' + Y) for the training and the validation windows, as strings."""
    chars = list(re.sub("[^A-Za-z]+", " ", raw).lower())
    rows = [chars[i:i + num_steps + 1] for i in range(len(chars) - num_steps)]
    pairs = ["".join(r[:-1]) + "|" + "".join(r[1:]) for r in rows]
    return pairs[:num_train], pairs[num_train:num_train + num_val]


def book_mt_arrays(raw: str, num_steps: int, num_train: int, num_val: int) -> dict:
    """MTFraEng._build_arrays, as token lists: its vocabularies (sorted) and its four arrays."""
    raw = raw.replace("\u202f", " ").replace("\xa0", " ")
    text = "".join(" " + c if i > 0 and c in ",.!?" and raw[i - 1] != " " else c for i, c in enumerate(raw.lower()))
    src, tgt = [], []
    for i, line in enumerate(text.split("\n")):
        if i > num_train + num_val:  # the book's `if max_examples and i > max_examples: break`
            break
        parts = line.split("\t")
        if len(parts) == 2:
            src.append([t for t in f"{parts[0]} <eos>".split(" ") if t])
            tgt.append([t for t in f"{parts[1]} <eos>".split(" ") if t])

    def padded(sentences: list[list[str]], is_tgt: bool) -> tuple[list[list[str]], list[str]]:
        rows = [s[:num_steps] if len(s) > num_steps else s + ["<pad>"] * (num_steps - len(s)) for s in sentences]
        rows = [["<bos>"] + r for r in rows] if is_tgt else rows
        counts = collections.Counter(t for r in rows for t in r)
        vocab = sorted({"<unk>"} | {t for t, n in counts.items() if n >= 2})
        known = set(vocab)
        return [[t if t in known else "<unk>" for t in r] for r in rows], vocab

    src_rows, src_vocab = padded(src, False)
    tgt_rows, tgt_vocab = padded(tgt, True)
    return {"src_vocab": src_vocab, "tgt_vocab": tgt_vocab, "src": src_rows,
            "tgt_in": [r[:-1] for r in tgt_rows], "tgt_out": [r[1:] for r in tgt_rows],
            "valid": [sum(t != "<pad>" for t in r) for r in src_rows]}


# ---- helpers ------------------------------------------------------------------------------------


def lm_corpus(text: str) -> LmCorpus:
    return LmCorpus(CorpusInfo("synthetic", "lm", "synthetic", "file", "test", len(text), "letters"), text)


def mt_corpus(pairs: list[tuple[str, str]]) -> MtCorpus:
    return MtCorpus(CorpusInfo("toy", "mt", "toy", "file", "test", 0, "lower"), tuple(pairs))


def as_text(data: LmData, rows: np.ndarray) -> list[str]:
    return ["".join(data.vocab.to_tokens(r)) for r in rows]  # type: ignore[arg-type]


def windows_of(data: LmData, batches) -> list[str]:
    return [x + "|" + y for xs, ys in batches for x, y in zip(as_text(data, xs), as_text(data, ys))]


def synthetic_text(length: int, seed: int = 5) -> str:
    rng = random.Random(seed)
    words = ["the", "time", "traveller", "said", "machine", "we", "sat", "and", "looked"]
    text = " ".join(rng.choice(words) + rng.choice(["", ",", ".", "!"]) for _ in range(length // 5))
    return "The " + text + " end"  # letters at both ends: the book's cleaning keeps no space there either


def assert_book_lm_epochs(data: LmData, raw: str, num_train: int, num_val: int, batches: int) -> None:
    """An epoch's (X, Y) windows are the book's training windows, shuffled; validation its in order."""
    train, val = book_lm_windows(raw, data.num_steps, num_train, num_val)
    assert data.num_train_batches() == batches
    epochs = [list(data.train_batches(epoch)) for epoch in (0, 1)]
    assert all(len(epoch) == batches for epoch in epochs)
    assert all(x.shape[0] == data.config.batch_size for x, _ in epochs[0][:-1])
    seen = [windows_of(data, epoch) for epoch in epochs]
    assert sorted(seen[0]) == sorted(train) == sorted(seen[1])
    assert seen[0] != train and seen[0] != seen[1]  # the training loader shuffles, anew each epoch
    assert windows_of(data, data.val_batches()) == val  # validation is not shuffled


# ---- language model: every window, as TimeMachine -----------------------------------------------


def test_book_sampling_gives_the_books_windows_on_a_synthetic_text() -> None:
    raw = synthetic_text(1_500)
    config = DataConfig(corpus="synthetic", lm_sampling="book", num_steps=6, batch_size=16, num_train=100,
                        num_val=40)
    data = build_lm_data(lm_corpus(raw), config)
    assert data.config.num_train == 100 and data.config.num_val == 40
    assert_book_lm_epochs(data, raw, 100, 40, batches=7)  # ceil(100 / 16)


def test_the_time_machine_makes_the_books_ten_batches_at_1024(d2l_dir: Path) -> None:
    raw = (d2l_dir / "timemachine.txt").read_text(encoding="utf-8")
    data = build_data(DataConfig(corpus="time-machine", lm_sampling="book", batch_size=1024), download=False)
    assert isinstance(data, LmData) and len(data.vocab) == 28
    assert (data.config.num_train, data.config.num_val, data.num_steps) == (10_000, 5_000, 32)
    assert_book_lm_epochs(data, raw, 10_000, 5_000, batches=10)
    # Random offsets stay an option, and the default: 90% of the text in non-overlapping windows.
    default = build_data(DataConfig(corpus="time-machine", batch_size=1024), download=False)
    assert default.config.lm_sampling == "random-offset" and default.num_train_batches() == 5


def test_book_sampling_refuses_a_text_without_a_validation_window() -> None:
    config = DataConfig(corpus="synthetic", lm_sampling="book", num_steps=8, num_train=200, num_val=50)
    with pytest.raises(DataError, match=r"too short for the book's sampling.*at least 209.*random-offset"):
        build_lm_data(lm_corpus("abc " * 50), config)


def test_window_counts_belong_to_the_books_sampling() -> None:
    with pytest.raises(ConfigError, match="lm_sampling to 'book'"):
        DataConfig(task="lm", num_train=100)
    with pytest.raises(ConfigError, match="unknown lm_sampling 'sliding'"):
        DataConfig(lm_sampling="sliding")  # type: ignore[arg-type]


# ---- translation: MTFraEng's split and vocabularies ---------------------------------------------


def test_the_books_512_and_128_pairs_give_its_vocabularies_and_arrays(d2l_dir: Path) -> None:
    with zipfile.ZipFile(d2l_dir / "fra-eng.zip") as archive:
        raw = archive.read("fra-eng/fra.txt").decode("utf-8")
    book = book_mt_arrays(raw[:100_000], num_steps=9, num_train=512, num_val=128)
    data = build_data(DataConfig(corpus="fra-eng", num_train=512, num_val=128), download=False)
    assert isinstance(data, MtData)
    assert (len(data.src_vocab), len(data.tgt_vocab)) == (194, 214) == (len(book["src_vocab"]),
                                                                          len(book["tgt_vocab"]))
    assert sorted(data.src_vocab.to_list()) == book["src_vocab"]
    assert sorted(data.tgt_vocab.to_list()) == book["tgt_vocab"]
    assert (len(data.train), len(data.val), len(data.test)) == (512, 129, 0)  # the book's slice(512, None)
    assert data.num_train_batches() == 4  # 512 / 128
    rows = [*zip(data.train.src, data.train.tgt_in, data.train.tgt_out, data.train.src_valid_len),
            *zip(data.val.src, data.val.tgt_in, data.val.tgt_out, data.val.src_valid_len)]
    for i, (src, tgt_in, tgt_out, valid) in enumerate(rows):
        assert data.src_vocab.to_tokens(src) == book["src"][i], i
        assert data.tgt_vocab.to_tokens(tgt_in) == book["tgt_in"][i], i
        assert data.tgt_vocab.to_tokens(tgt_out) == book["tgt_out"][i], i
        assert int(valid) == book["valid"][i], i
    assert data.train.pairs[:2] == (("Go.", "Va !"), ("Hi.", "Salut !"))  # file order, not shuffled


PAIRS = [(f"he saw {w} .", f"il a vu {w} !") for w in ("cats", "dogs", "birds", "cats", "dogs", "fish", "cows")]


def test_max_examples_n_trains_on_all_n_pairs_and_validates_on_the_next() -> None:
    data = build_mt_data(mt_corpus(PAIRS), DataConfig(corpus="toy", max_examples=4, num_val=1, num_steps=6,
                                                      batch_size=2))
    assert data.config.num_train == 4 and data.config.max_examples == 4
    assert data.train.pairs == tuple(PAIRS[:4])
    assert data.val.pairs == tuple(PAIRS[4:6])  # num_val, and the one more the book's loop reads
    assert len(data.test) == 0 and data.num_train_batches() == 2
    # min_freq 2 over train and validation: "dogs" is in the vocabulary only because a validation pair has it.
    assert "dogs" in data.src_vocab and "fish" not in data.src_vocab and "birds" not in data.src_vocab
    assert BOS not in data.src_vocab and BOS in data.tgt_vocab
    # Shuffled fractions stay the default when neither num_train nor num_val is set.
    fractions = build_mt_data(mt_corpus(PAIRS * 3), DataConfig(corpus="toy", max_examples=20, min_freq=1))
    assert len(fractions.train) == 16 and fractions.train.pairs != tuple((PAIRS * 3)[:16])


def test_the_books_split_refuses_too_few_pairs_and_two_training_sizes() -> None:
    with pytest.raises(DataError, match=r"toy has 7 sentence pairs.*first 7 .*at least 8"):
        build_mt_data(mt_corpus(PAIRS), DataConfig(corpus="toy", num_train=7))
    with pytest.raises(ConfigError, match=r"max_examples \(5\) and num_train \(4\) differ"):
        DataConfig(task="mt", max_examples=5, num_train=4)


# ---- named in the recipes and the checkpoint ----------------------------------------------------


def test_the_books_recipes_ask_for_the_books_data() -> None:
    for preset in PRESETS.values():
        data = preset.data_config()
        if preset.name == "bi-lstm-lm":  # the earlier edition's recipe: windows from a random offset
            assert data.lm_sampling == "random-offset"
        elif preset.config.task == "lm":
            assert data.lm_sampling == "book", preset.name
        else:
            assert (data.num_train, data.num_val) == (512, 128), preset.name
    assert DataConfig().lm_sampling == "random-offset" and not DataConfig().uses_book_split("mt")


def test_a_checkpoint_names_its_sampling_and_an_old_one_loads_as_random_offsets(tmp_path: Path) -> None:
    data = build_mt_data(mt_corpus(PAIRS), DataConfig(corpus="toy", num_train=4, num_val=1, num_steps=6))
    model = ModelConfig("mt", StackSpec("gru", (6,)), StackSpec("gru", (6,)), embed_size=4)
    path = save_checkpoint(bundle_for(data, model), tmp_path / "book.pt")
    loaded = load_checkpoint(path)  # a source vocabulary without <bos> is accepted
    assert (loaded.data_config.num_train, loaded.data_config.num_val) == (4, 1)
    assert loaded.vocabs[0] == data.src_vocab
    saved = torch.load(path, weights_only=True)
    assert saved["data_config"]["num_val"] == 1 and saved["data_config"]["lm_sampling"] == "random-offset"
    old = {k: v for k, v in DataConfig(task="lm").to_dict().items()
           if k not in ("lm_sampling", "num_train", "num_val")}  # a file from before these settings
    restored = DataConfig.from_dict(old)
    assert restored.lm_sampling == "random-offset" and not restored.uses_book_split("mt")
