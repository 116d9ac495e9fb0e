"""bench/d2l_reference.py, the re-typed book code the fidelity bench compares against, agrees with
rnnviz's data pipeline where the two must agree: the book's TimeMachine windows and MTFraEng split."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest
import torch

from rnnviz.core.config import DataConfig
from rnnviz.core.data.corpora import CorpusInfo, LmCorpus
from rnnviz.core.data.datasets import build_data, build_lm_data, every_window

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import d2l_reference as ref  # noqa: E402

D2L_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "d2l"
TEXT = ("The Time Machine, by H. G. Wells [1898]\n\nI\n\nThe Time Traveller (for so it will be convenient "
        "to speak of him) was expounding a recondite matter to us. His grey eyes shone and twinkled, "
        "and his usually pale face was flushed and animated. The fire burned brightly... ") * 3


def _rows(ids, tokens) -> list[str]:
    return ["".join(tokens[int(i)] for i in row) for row in ids]


def test_reference_time_machine_windows_are_rnnvizs_book_windows() -> None:
    num_steps, num_train, num_val = 7, 300, 120
    book = ref.TimeMachine(TEXT, batch_size=64, num_steps=num_steps, num_train=num_train, num_val=num_val)
    info = CorpusInfo("tiny", "lm", "tiny", "file", "test", len(TEXT), "letters")  # type: ignore[arg-type]
    config = DataConfig(corpus="tiny", num_steps=num_steps, batch_size=64, lm_sampling="book",
                        num_train=num_train, num_val=num_val)
    app = build_lm_data(LmCorpus(info, TEXT), config)
    app_tokens = app.vocab.to_list()
    assert sorted(app_tokens) == sorted(book.vocab.idx_to_token)  # same characters, different order

    for app_ids, (lo, hi) in ((app.train_ids, (0, num_train)), (app.val_ids, (num_train, num_train + num_val))):
        app_x, app_y = every_window(app_ids, num_steps)
        assert _rows(app_x, app_tokens) == _rows(book.X[lo:hi], book.vocab.idx_to_token)
        assert _rows(app_y, app_tokens) == _rows(book.Y[lo:hi], book.vocab.idx_to_token)
    # The training loader holds exactly the num_train windows, in a shuffled order.
    seen = sorted(_rows(torch.cat([x for x, _ in book.train_loader(torch.Generator().manual_seed(0))]),
                        book.vocab.idx_to_token))
    assert seen == sorted(_rows(book.X[:num_train], book.vocab.idx_to_token))


@pytest.mark.skipif(not (D2L_DIR / "fra-eng.zip").exists(), reason="the book's fra-eng.zip is not available offline")
def test_reference_mtfraeng_matches_rnnvizs_book_split(monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(D2L_DIR / "fra-eng.zip") as archive:
        lines = archive.read("fra-eng/fra.txt").decode("utf-8").split("\n")[:700]  # the book reads 641
    book = ref.MTFraEng("\n".join(lines), batch_size=128)
    assert (len(book.src_vocab), len(book.tgt_vocab)) == (194, 214)  # the book's printed sizes
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(D2L_DIR))
    app = build_data(DataConfig(corpus="fra-eng", task="mt", num_train=512, num_val=128), download=False)
    assert (len(app.src_vocab), len(app.tgt_vocab)) == (194, 214)
    src, tgt_in, _, tgt_out = book.arrays
    for mine, theirs, vocab, book_vocab in ((app.train.src, src[:512], app.src_vocab, book.src_vocab),
                                            (app.val.tgt_out, tgt_out[512:], app.tgt_vocab, book.tgt_vocab),
                                            (app.train.tgt_in, tgt_in[:512], app.tgt_vocab, book.tgt_vocab)):
        assert [vocab.to_tokens(list(map(int, r))) for r in mine] == \
            [[book_vocab.idx_to_token[int(i)] for i in r] for r in theirs]
