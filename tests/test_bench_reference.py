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


# ---- the matched runs: the book's code from rnnviz's first weights does rnnviz's run --------------

def _matched_losses(model: torch.nn.Module, ref_model: torch.nn.Module, data, config) -> tuple[list, list]:
    import reproduce_book as rb  # the bench's own renaming and batch feed, the ones docs/fidelity.md uses

    from rnnviz.core.events import EpochEnd
    from rnnviz.core.train import run, train

    ref_model.load_state_dict(rb._ref_state(model.state_dict()))  # strict: every name maps
    ends: list = []
    run(train(model, data, config), on_event=lambda e: ends.append(e) if isinstance(e, EpochEnd) else None)
    torch.manual_seed(config.seed)
    optimizer = (torch.optim.Adam(ref_model.parameters(), lr=config.lr) if config.optimizer == "adam"
                 else torch.optim.SGD(ref_model.parameters(), lr=config.lr))
    fit = ref.fit(ref_model, rb._app_batches(data), config.epochs, optimizer, config.grad_clip or 0)
    return [e.train_loss for e in ends], [e.per_token for e in fit.epochs]


def test_book_code_from_rnnvizs_first_weights_trains_the_same_language_model() -> None:
    from rnnviz.core.config import ModelConfig, StackSpec, TrainConfig
    from rnnviz.core.models.factory import bundle_for

    info = CorpusInfo("tiny", "lm", "tiny", "file", "test", len(TEXT), "letters")  # type: ignore[arg-type]
    data = build_lm_data(LmCorpus(info, TEXT), DataConfig(corpus="tiny", num_steps=8, batch_size=16,
                                                          lm_sampling="book", num_train=200, num_val=60))
    bundle = bundle_for(data, ModelConfig("lm", StackSpec("lstm", (12, 12))), seed=3)
    mine, book = _matched_losses(bundle.model, ref.RNNLM("lstm", len(data.vocab), 12, 2), data,
                                 TrainConfig(epochs=3, lr=2.0, grad_clip=0.1, device="cpu", seed=3))
    assert mine[-1] < mine[0]  # it learns: the comparison is not between two idle runs
    # clipping to 0.1 acts on these gradients, so a loop that clipped otherwise would differ
    assert mine == book  # the same run to the bit: the same operations in the same order


def test_book_code_from_rnnvizs_first_weights_trains_the_same_encoder_decoder() -> None:
    from rnnviz.core.config import ModelConfig, StackSpec, TrainConfig
    from rnnviz.core.models.factory import bundle_for

    data = build_data(DataConfig(corpus="phrasebook", task="mt", max_examples=300, batch_size=32), download=False)
    stack = StackSpec("gru", (16, 16), dropout=0.2)  # dropout: the two must draw the same masks
    bundle = bundle_for(data, ModelConfig("mt", stack, stack, embed_size=8, bridge="identity"), seed=1)
    pad = data.tgt_vocab.to_list().index("<pad>")
    book_model = ref.Seq2Seq(ref.Seq2SeqEncoder(len(data.src_vocab), 8, 16, 2, 0.2),
                             ref.Seq2SeqDecoder(len(data.tgt_vocab), 8, 16, 2, 0.2), pad)
    mine, book = _matched_losses(bundle.model, book_model, data,
                                 TrainConfig(epochs=3, lr=0.01, optimizer="adam", grad_clip=0.05, device="cpu", seed=1))
    assert mine[-1] < mine[0]
    assert mine == book  # the same run to the bit: the same operations in the same order
