"""A minimal re-typing of the book's own code (Dive into Deep Learning 1.0, PyTorch), for comparison runs.

The ``d2l`` package pins an old torch and is not installed here; this module re-types, from reading
the book's chapters and its ``d2l/torch.py``, only what ``bench/reproduce_book.py`` and
``bench/translation_quality.py`` need. Nothing here imports rnnviz: the reference must not share
code with what it checks. Each part names the book section it follows.
"""

from __future__ import annotations

import collections
import math
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset


# ---- 9.2 Converting Raw Text into Sequence Data: Vocab (the 1.0 edition sorts the tokens) ----------

class Vocab:
    """Unique tokens (with ``<unk>`` and the reserved ones) in sorted order; rarer than min_freq -> <unk>."""

    def __init__(self, tokens: Sequence = (), min_freq: int = 0, reserved_tokens: Sequence[str] = ()) -> None:
        if tokens and isinstance(tokens[0], list):
            tokens = [t for line in tokens for t in line]
        counts = collections.Counter(tokens)
        kept = {t for t, c in counts.items() if c >= min_freq}
        self.idx_to_token: list[str] = sorted({"<unk>", *reserved_tokens, *kept})
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):  # a token -> id, a list -> ids
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.token_to_idx["<unk>"])
        return [self[t] for t in tokens]


def _tensor_loader(arrays: Sequence[Tensor], batch_size: int, train: bool, index: slice,
                   generator: torch.Generator | None) -> DataLoader:
    # 3.2 DataModule.get_tensorloader: a TensorDataset over the sliced arrays, shuffled for training.
    dataset = TensorDataset(*(a[index] for a in arrays))
    return DataLoader(dataset, batch_size, shuffle=train, generator=generator if train else None)


# ---- 9.3 Language Models: TimeMachine (every window of num_steps + 1) ------------------------------

class TimeMachine:
    """Characters of the text, lower case, anything but letters -> one space; window i is
    corpus[i : i + num_steps + 1]; windows [0, num_train) train, [num_train, num_train + num_val) validate."""

    def __init__(self, raw_text: str, batch_size: int, num_steps: int, num_train: int = 10000,
                 num_val: int = 5000) -> None:
        self.batch_size, self.num_steps, self.num_train, self.num_val = batch_size, num_steps, num_train, num_val
        tokens = list(re.sub("[^A-Za-z]+", " ", raw_text).lower())
        self.vocab = Vocab(tokens)
        corpus = self.vocab[tokens]
        array = torch.tensor([corpus[i:i + num_steps + 1] for i in range(len(corpus) - num_steps)])
        self.X, self.Y = array[:, :-1], array[:, 1:]  # (n, T) each

    def train_loader(self, generator: torch.Generator | None = None) -> DataLoader:
        return _tensor_loader((self.X, self.Y), self.batch_size, True, slice(0, self.num_train), generator)

    def val_loader(self) -> DataLoader:
        return _tensor_loader((self.X, self.Y), self.batch_size, False,
                              slice(self.num_train, self.num_train + self.num_val), None)


# ---- 9.6 Concise RNN (RNNLM over torch's layers), 10.1-10.3 LSTM/GRU/deep GRU, 9.4 (earlier ed.) bi-LSTM

class RNNLM(nn.Module):
    """One-hot characters -> torch's nn.RNN / nn.GRU / nn.LSTM -> a linear layer over the top hidden
    states (LazyLinear in the book: torch's default initialisation). The earlier edition's
    bidirectional RNNModel is the same with ``bidirectional`` and an output over 2h features."""

    def __init__(self, cell: str, vocab_size: int, num_hiddens: int, num_layers: int = 1,
                 bidirectional: bool = False) -> None:
        super().__init__()
        layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.vocab_size = vocab_size
        self.rnn = layer(vocab_size, num_hiddens, num_layers, bidirectional=bidirectional)
        self.linear = nn.Linear(num_hiddens * (2 if bidirectional else 1), vocab_size)

    def forward(self, X: Tensor, state=None) -> tuple[Tensor, object]:
        embs = F.one_hot(X.T, self.vocab_size).float()  # (T, B, V): 9.5 RNNLMScratch.one_hot
        outputs, state = self.rnn(embs, state)  # (T, B, h or 2h)
        return self.linear(outputs).swapaxes(0, 1), state  # (B, T, V)

    def loss(self, Y_hat: Tensor, Y: Tensor) -> Tensor:
        # 4.1 Classifier.loss: mean cross-entropy over every position.
        return F.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1))

    def training_step(self, batch: Sequence[Tensor]) -> tuple[Tensor, int]:
        X, Y = batch
        return self.loss(self(X)[0], Y), Y.numel()

    @torch.no_grad()
    def predict(self, prefix: str, num_preds: int, vocab: Vocab) -> str:
        # 9.5 RNNLMScratch.predict: warm up on the prefix one character at a time, then greedy.
        state, outputs = None, [vocab[prefix[0]]]
        for i in range(len(prefix) + num_preds - 1):
            Y, state = self(torch.tensor([[outputs[-1]]]), state)
            outputs.append(vocab[prefix[i + 1]] if i < len(prefix) - 1 else int(Y.argmax(2).reshape(1)))
        return "".join(vocab.idx_to_token[i] for i in outputs)


# ---- 10.5 Machine Translation and the Dataset: MTFraEng ---------------------------------------------

def _mt_preprocess(text: str) -> str:
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    lower = text.lower()
    # A space before , . ! ? when none is there already.
    return "".join(" " + c if i > 0 and c in ",.!?" and text[i - 1] != " " else c for i, c in enumerate(lower))


def _mt_tokenize(text: str, max_examples: int | None) -> tuple[list[list[str]], list[list[str]]]:
    src, tgt = [], []
    for i, line in enumerate(text.split("\n")):
        if max_examples and i > max_examples:  # the book reads line max_examples too
            break
        parts = line.split("\t")
        if len(parts) == 2:
            src.append([t for t in f"{parts[0]} <eos>".split(" ") if t])
            tgt.append([t for t in f"{parts[1]} <eos>".split(" ") if t])
    return src, tgt


class MTFraEng:
    """English -> French pairs: the first num_train train, the rest of the first num_train + num_val + 1
    validate; vocabularies (min_freq 2) over the padded/trimmed sentences of both."""

    def __init__(self, raw_text: str, batch_size: int, num_steps: int = 9, num_train: int = 512,
                 num_val: int = 128) -> None:
        self.batch_size, self.num_steps, self.num_train, self.num_val = batch_size, num_steps, num_train, num_val
        self.arrays, self.src_vocab, self.tgt_vocab = self._build_arrays(raw_text)

    def _build_array(self, sentences: list[list[str]], vocab: Vocab | None, is_tgt: bool = False):
        t = self.num_steps
        sentences = [s[:t] if len(s) > t else s + ["<pad>"] * (t - len(s)) for s in sentences]
        if is_tgt:
            sentences = [["<bos>"] + s for s in sentences]
        vocab = vocab or Vocab(sentences, min_freq=2)
        array = torch.tensor([vocab[s] for s in sentences])  # (n, T) or (n, T + 1)
        return array, vocab, (array != vocab["<pad>"]).int().sum(1)

    def _build_arrays(self, raw_text: str, src_vocab: Vocab | None = None, tgt_vocab: Vocab | None = None):
        src, tgt = _mt_tokenize(_mt_preprocess(raw_text), self.num_train + self.num_val)
        src_array, src_vocab, src_valid_len = self._build_array(src, src_vocab)
        tgt_array, tgt_vocab, _ = self._build_array(tgt, tgt_vocab, True)
        return (src_array, tgt_array[:, :-1], src_valid_len, tgt_array[:, 1:]), src_vocab, tgt_vocab

    def train_loader(self, generator: torch.Generator | None = None) -> DataLoader:
        return _tensor_loader(self.arrays, self.batch_size, True, slice(0, self.num_train), generator)

    def val_loader(self) -> DataLoader:
        return _tensor_loader(self.arrays, self.batch_size, False, slice(self.num_train, None), None)

    def build(self, src_sentences: Sequence[str], tgt_sentences: Sequence[str]) -> tuple[Tensor, ...]:
        raw = "\n".join(s + "\t" + t for s, t in zip(src_sentences, tgt_sentences))
        return self._build_arrays(raw, self.src_vocab, self.tgt_vocab)[0]


# ---- 10.7 Sequence-to-Sequence Learning: init_seq2seq, encoder, decoder, masked loss, predict_step --

def init_seq2seq(module: nn.Module) -> None:
    """Xavier-uniform for every Linear weight and every GRU weight matrix (biases and embeddings keep
    torch's defaults)."""
    if type(module) is nn.Linear:
        nn.init.xavier_uniform_(module.weight)
    if type(module) is nn.GRU:
        for name in module._flat_weights_names:
            if "weight" in name:
                nn.init.xavier_uniform_(module._parameters[name])


class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int,
                 dropout: float = 0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)  # 10.3 d2l.GRU
        self.apply(init_seq2seq)

    def forward(self, X: Tensor) -> tuple[Tensor, Tensor]:
        embs = self.embedding(X.T.long())  # (T, B, E)
        return self.rnn(embs)  # outputs (T, B, H), state (L, B, H)


class Seq2SeqDecoder(nn.Module):
    """Its input at every step is [embedding; c], c the encoder's top-layer final state."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int,
                 dropout: float = 0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        # A LazyLinear, as the book's: init_seq2seq's exact type test does not see an nn.Linear yet, so
        # this layer keeps torch's default draw (made at the first forward pass).
        self.dense = nn.LazyLinear(vocab_size)
        self.apply(init_seq2seq)

    def forward(self, X: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        embs = self.embedding(X.T.long())  # (T, B, E)
        enc_output, hidden = state
        context = enc_output[-1].repeat(embs.shape[0], 1, 1)  # (T, B, H)
        outputs, hidden = self.rnn(torch.cat((embs, context), -1), hidden)
        return self.dense(outputs).swapaxes(0, 1), (enc_output, hidden)  # (B, T, V)


class Seq2Seq(nn.Module):
    def __init__(self, encoder: Seq2SeqEncoder, decoder: Seq2SeqDecoder, tgt_pad: int) -> None:
        super().__init__()
        self.encoder, self.decoder, self.tgt_pad = encoder, decoder, tgt_pad

    def forward(self, src: Tensor, tgt_in: Tensor, *args) -> Tensor:
        return self.decoder(tgt_in, self.encoder(src))[0]

    def loss(self, Y_hat: Tensor, Y: Tensor) -> Tensor:
        # The masked loss: cross-entropy per position, <pad> targets weighted 0, mean over the rest.
        per_token = F.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1), reduction="none")
        mask = (Y.reshape(-1) != self.tgt_pad).float()
        return (per_token * mask).sum() / mask.sum()

    def training_step(self, batch: Sequence[Tensor]) -> tuple[Tensor, int]:
        src, tgt_in, _, tgt_out = batch
        return self.loss(self(src, tgt_in), tgt_out), int((tgt_out != self.tgt_pad).sum())

    @torch.no_grad()
    def predict_step(self, batch: Sequence[Tensor], num_steps: int) -> Tensor:
        # 10.7.6 EncoderDecoder.predict_step: greedy, feeding back each step's argmax, num_steps steps.
        src, tgt = batch[0], batch[1]
        state = self.encoder(src)
        outputs = [tgt[:, 0:1]]  # <bos>
        for _ in range(num_steps):
            Y, state = self.decoder(outputs[-1], state)
            outputs.append(Y.argmax(2))
        return torch.cat(outputs[1:], 1)  # (B, num_steps)


def translate(model: Seq2Seq, data: MTFraEng, sources: Sequence[str]) -> list[list[str]]:
    """The book's printing loop: predict_step on data.build(...), tokens up to the first <eos>."""
    model.eval()
    preds = model.predict_step(data.build(sources, ["" for _ in sources]), data.num_steps)
    out = []
    for row in preds:
        words = []
        for i in row.tolist():
            token = data.tgt_vocab.idx_to_token[i]
            if token == "<eos>":
                break
            words.append(token)
        out.append(words)
    return out


def bleu(pred_seq: str, label_seq: str, k: int) -> float:
    """10.7.7: brevity penalty times the clipped n-gram precisions p_n, each to the power 1/2^n."""
    pred, label = pred_seq.split(" "), label_seq.split(" ")
    len_pred, len_label = len(pred), len(label)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, min(k, len_pred) + 1):
        matches, subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            subs[" ".join(label[i:i + n])] += 1
        for i in range(len_pred - n + 1):
            gram = " ".join(pred[i:i + n])
            if subs[gram] > 0:
                matches += 1
                subs[gram] -= 1
        score *= math.pow(matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


# ---- 3.4 / 9.5 Trainer.fit_epoch with clip_gradients ------------------------------------------------

def clip_gradients(grad_clip_val: float, model: nn.Module) -> None:
    """9.5: one norm over all parameters' gradients; rescaled to grad_clip_val when above it."""
    params = [p for p in model.parameters() if p.requires_grad and p.grad is not None]
    norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
    if norm > grad_clip_val:
        for p in params:
            p.grad[:] *= grad_clip_val / norm


@dataclass
class EpochLoss:
    per_token: float  # the epoch's loss summed over tokens / tokens (rnnviz's train_loss)
    batch_mean: float  # the unweighted mean of the batch losses (what the book's board averages)
    seconds: float


@dataclass
class Fit:
    epochs: list[EpochLoss] = field(default_factory=list)
    val_loss: float | None = None


def fit(model: nn.Module, batches: "callable[[], Iterator[Sequence[Tensor]]]", epochs: int,
        optimizer: torch.optim.Optimizer, grad_clip_val: float = 0,
        val_batches: "callable[[], Iterator[Sequence[Tensor]]] | None" = None) -> Fit:
    """The book's loop: training_step, zero_grad, backward, clip (if > 0), step; per-epoch losses."""
    result = Fit()
    for _ in range(epochs):
        model.train()
        total, tokens, means = 0.0, 0, []
        start = time.perf_counter()
        for batch in batches():
            loss, count = model.training_step(batch)
            optimizer.zero_grad()
            loss.backward()
            if grad_clip_val > 0:
                with torch.no_grad():
                    clip_gradients(grad_clip_val, model)
            optimizer.step()
            total += loss.item() * count
            tokens += count
            means.append(loss.item())
        result.epochs.append(EpochLoss(total / tokens, sum(means) / len(means), time.perf_counter() - start))
    if val_batches is not None:
        model.eval()
        total, tokens = 0.0, 0
        with torch.no_grad():
            for batch in val_batches():
                loss, count = model.training_step(batch)
                total, tokens = total + float(loss) * count, tokens + count
        result.val_loss = total / tokens if tokens else None
    return result
