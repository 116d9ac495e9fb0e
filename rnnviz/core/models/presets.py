"""The book's models by name: each preset is a ``ModelConfig`` plus its training recipe.

Values follow Dive into Deep Learning, chapters 9 and 10 (PyTorch edition):
language models on The Time Machine's characters with one-hot inputs, SGD
and gradients clipped to norm 1; the encoder–decoder on English–French with
Adam. Where the book's current edition does not train a model (the
bidirectional language model, the deep LSTM) the ``section`` says where the
values come from.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.errors import ConfigError


@dataclass(frozen=True)
class Preset:
    name: str  # CLI name, kebab-case
    title: str  # short human title
    section: str  # book section, e.g. "10.3 Deep Recurrent Neural Networks"
    config: ModelConfig
    train: dict[str, Any]  # recipe hints: optimizer, lr, epochs, num_steps, batch_size, token_level, corpus, grad_clip
    note: str  # what the lecture should say about it

    def data_config(self) -> DataConfig:
        """The recipe's data settings, cut as the book's code cuts them (the rest at the book's defaults)."""
        memory = {name: self.train.get(name) for name in ("lag", "symbols", "copy_length")}
        return DataConfig(corpus=self.train["corpus"], task=self.config.task,
                          token_level=self.train.get("token_level", "char"),
                          num_steps=self.train.get("num_steps"), batch_size=self.train.get("batch_size"),
                          lm_sampling=self.train.get("lm_sampling", "random-offset"),
                          num_train=self.train.get("num_train"), num_val=self.train.get("num_val"), **memory)

    def train_config(self) -> TrainConfig:
        """The recipe's optimiser settings."""
        return TrainConfig(epochs=self.train["epochs"], lr=self.train["lr"], optimizer=self.train["optimizer"],
                           grad_clip=self.train.get("grad_clip", 1.0))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "section": self.section,
                "config": self.config.to_dict(), "train": dict(self.train), "note": self.note}


def _lm_recipe(lr: float, epochs: int, **changes: Any) -> dict[str, Any]:
    # The book's TimeMachine(batch_size=1024, num_steps=32): every window of the first 10,000 + 5,000
    # (lm_sampling "book"), and Trainer(gradient_clip_val=1).
    return {"optimizer": "sgd", "lr": lr, "epochs": epochs, "num_steps": 32, "batch_size": 1024,
            "token_level": "char", "corpus": "time-machine", "grad_clip": 1.0, "lm_sampling": "book", **changes}


def _mt_recipe() -> dict[str, Any]:
    # The book's MTFraEng(batch_size=128, num_steps=9, num_train=512, num_val=128), Adam lr 0.005,
    # Trainer(max_epochs=30, gradient_clip_val=1).
    return {"optimizer": "adam", "lr": 0.005, "epochs": 30, "num_steps": 9, "batch_size": 128,
            "token_level": "word", "corpus": "fra-eng", "grad_clip": 1.0, "num_train": 512, "num_val": 128}


def _lm(cell: str, hidden: tuple[int, ...], bidirectional: bool = False,
        backward: tuple[int, ...] | None = None) -> ModelConfig:
    # embed_size None: one-hot characters, as the book's RNNLMScratch.
    return ModelConfig("lm", StackSpec(cell, hidden, bidirectional, backward_sizes=backward))  # type: ignore[arg-type]


def _seq2seq(size: int, dropout: float) -> ModelConfig:
    stack = StackSpec("gru", (size, size), dropout=dropout)
    return ModelConfig("mt", stack, stack, embed_size=size, bridge="identity")


_BIDIRECTIONAL_LM_NOTE = (
    "A cautionary example. Trained as a language model, the bidirectional LSTM reaches a perplexity "
    "close to 1, far better than any left-to-right model, and yet it generates gibberish such as "
    "'time travellerererer…'. In training its backward direction reads the text from the end, so at "
    "position t it has already seen the character it is asked to predict (the input at t + 1): "
    "predicting is copying. When generating there is no future to read; the backward direction sees "
    "only the prefix, an input it never met in training, and the predictions fall apart. Low "
    "perplexity measured with access to the answer says nothing about generation. Bidirectional "
    "networks suit tasks that have the whole sequence at hand (tagging, encoding a source sentence), "
    "not next-token prediction. The book's earlier edition made the point with 2 layers of 256, lr 1, "
    "num_steps 35, batch 32 and 500 epochs: a run its GPUs finish in minutes and a laptop's CPU in about "
    "13 hours. The effect needs far less: with 2 layers of 32 the validation perplexity falls to about "
    "1.2 in 5 epochs (under a minute on two cores), and the generated text is already gibberish. Set "
    "hidden 256 and more epochs in the Builder and the Config dock to see the book's run.")

PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("rnn-lm", "RNN language model", "9.6 Concise Implementation of Recurrent Neural Networks",
           _lm("rnn", (32,)), _lm_recipe(1.0, 100),
           "The book's first recurrent language model: one-hot characters in, 32 tanh hidden units, a "
           "linear output over the 28 characters. SGD with lr 1; clipping the gradient norm at 1 keeps "
           "gradients backpropagated through 32 steps from exploding. Its text soon looks like English "
           "words but loses the thread after a few of them: the vanilla RNN forgets quickly."),
    Preset("lstm-lm", "LSTM language model", "10.1 Long Short-Term Memory (LSTM)",
           _lm("lstm", (32,)), _lm_recipe(4.0, 50),
           "The same language model with an LSTM cell: four gate blocks (input, forget, input node, "
           "output), hence four times the parameters of the RNN, and a memory cell the forget gate can "
           "keep for many steps. Trains with a larger learning rate (4) than the vanilla RNN."),
    Preset("gru-lm", "GRU language model", "10.2 Gated Recurrent Units (GRU)",
           _lm("gru", (32,)), _lm_recipe(4.0, 50),
           "The book's GRU language model: hidden 32, one-hot characters, SGD lr 4, clipping at 1. Three "
           "gate blocks (reset, update, candidate): three quarters of the LSTM's parameters for similar "
           "perplexity. The cell here is torch's variant (reset gate after the hidden matmul); choose "
           "gru-book for the book's scratch equations (reset before)."),
    Preset("deep-gru", "Deep GRU (2 layers)", "10.3 Deep Recurrent Neural Networks",
           _lm("gru", (32, 32)), _lm_recipe(2.0, 100),
           "Two GRU layers of 32: the second reads the first one's hidden states, so its W_xh is 32×32, "
           "not V×32. The book trains it with lr 2 (the single GRU layer used 4) for 100 epochs."),
    Preset("deep-lstm", "Deep LSTM (2 layers)", "10.3 Deep Recurrent Neural Networks (exercise: LSTM in "
           "place of GRU)",
           _lm("lstm", (32, 32)), _lm_recipe(2.0, 100),
           "The section's exercise: the deep model with LSTM layers. Compare its parameter count, training "
           "speed and perplexity with deep-gru's."),
    Preset("bi-lstm-lm", "Bidirectional LSTM language model (a mistake)",
           "10.4 Bidirectional Recurrent Neural Networks (the earlier edition's 9.4.3, 'Training a "
           "Bidirectional RNN for a Wrong Application')",
           # A laptop's size: the book's 2×256 for 500 epochs takes about 13 hours on a CPU (see the note).
           _lm("lstm", (32, 32), bidirectional=True),
           # The earlier edition cut windows from a random offset each epoch, not every window.
           _lm_recipe(1.0, 5, num_steps=35, batch_size=32, lm_sampling="random-offset"), _BIDIRECTIONAL_LM_NOTE),
    Preset("bi-gru-unequal", "Bidirectional GRU, unequal directions",
           "10.4 Bidirectional Recurrent Neural Networks (exercise 1: different numbers of hidden units "
           "per direction)",
           _lm("gru", (32,), bidirectional=True, backward=(16,)), _lm_recipe(4.0, 50),
           "The section's exercise: the forward direction has 32 hidden units, the backward 16, so "
           "H_t = [H_t→; H_t←] is (B, 48) and the output layer's W_hq is 48×q. torch's fused kernels "
           "need equal sizes, so this stack runs the scratch equations. As a language model it suffers "
           "from the same flaw as bi-lstm-lm."),
    Preset("seq2seq", "Encoder–decoder, small (GRU, 2×32)",
           "10.7 Sequence-to-Sequence Learning for Machine Translation (sizes of the earlier edition's 9.7: "
           "embed 32, hidden 32, dropout 0.1)",
           _seq2seq(32, 0.1), _mt_recipe(),
           "A 2-layer GRU encoder reads the English sentence; its final state initialises the 2-layer GRU "
           "decoder, and its top layer's final hidden state, the context c, is concatenated to every "
           "decoder input, so the decoder's first layer reads e + h = 64 features. Trained with teacher "
           "forcing and a cross-entropy that masks the padding; small enough to train in minutes on a CPU."),
    Preset("seq2seq-256", "Encoder–decoder, book size (GRU, 2×256)",
           "10.7 Sequence-to-Sequence Learning for Machine Translation",
           _seq2seq(256, 0.2), _mt_recipe(),
           "The book's configuration: embed 256, hidden 256, 2 layers, dropout 0.2, Adam lr 0.005, 30 "
           "epochs. The decoder's first layer reads 256 + 256 = 512 features ([embedding; context]) and "
           "alone holds 3 × (512·256 + 256·256 + 256) = 590,592 parameters in the book's count."),
)}


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (the book's, or a task that needs memory); a ConfigError listing the
    names when there is none."""
    from rnnviz.core.models.memory_presets import MEMORY_PRESETS

    found = PRESETS.get(name) or MEMORY_PRESETS.get(name)
    if found is None:
        raise ConfigError(f"no preset named {name!r}; choose one of {', '.join(preset_names())} "
                          "(rnnviz stack --list shows them with titles).")
    return found


def preset_names() -> tuple[str, ...]:
    """The book's presets, then those of the tasks that need memory."""
    from rnnviz.core.models.memory_presets import MEMORY_PRESETS

    return (*PRESETS, *MEMORY_PRESETS)


# ---- what a run took from a preset, and what was set over it ------------------------------------

#: Settings of the run, not of the recipe: never reported as the preset's or as overrides.
_RUN_ONLY = {"data.task", "data.seed", "model.task", "train.device", "train.seed"}
#: Shown even at their dataclass defaults: what a reader looks for first in a recipe.
_ALWAYS = {"data.corpus", "data.token_level", "data.num_steps", "data.batch_size", "model.stack.cell",
           "model.stack.hidden_sizes", "model.decoder.cell", "model.decoder.hidden_sizes", "model.embed_size",
           "train.optimizer", "train.lr", "train.epochs", "train.grad_clip"}


def _flatten(obj: Any, prefix: str) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for field in fields(obj):
        value = getattr(obj, field.name)
        if is_dataclass(value):
            items.update(_flatten(value, f"{prefix}{field.name}."))
        else:
            items[prefix + field.name] = value
    return items


def _recipe(data: DataConfig, model: ModelConfig, train: TrainConfig) -> dict[str, Any]:
    items = {**_flatten(data, "data."), **_flatten(model, "model."), **_flatten(train, "train.")}
    return {key: value for key, value in items.items() if key not in _RUN_ONLY}


def _label(key: str, task: str) -> str:
    part, *rest = key.split(".")
    if part == "model" and rest[0] in ("stack", "decoder"):
        return ("" if task == "lm" else "encoder " if rest[0] == "stack" else "decoder ") + rest[1]
    return rest[-1]


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "/".join(map(str, value))
    return "none" if value is None else str(value)


def _merged(entries: list[tuple[str, str]]) -> list[str]:
    """"encoder cell lstm" and "decoder cell lstm" said once, as "cell lstm"."""
    texts = dict(entries)
    lines = []
    for label, text in entries:
        side, _, name = label.partition(" ")
        if side in ("encoder", "decoder") and texts.get(f"encoder {name}") == texts.get(f"decoder {name}"):
            if side == "decoder":
                continue
            label = name
        lines.append(f"{label} {text}")
    return lines


def preset_report(preset: Preset, data: DataConfig, model: ModelConfig,
                  train: TrainConfig) -> tuple[list[str], list[str]]:
    """What a run with these configs took from ``preset`` ("corpus time-machine", the values a reader
    looks for and those off the configs' defaults) and what was set over it ("epochs 5 (preset: 50)")."""
    task = preset.config.task
    book = _recipe(preset.data_config(), preset.config, preset.train_config())
    final = _recipe(data, model, train)
    default_model = ModelConfig(task, StackSpec(), StackSpec() if task == "mt" else None, 32 if task == "mt" else None)
    plain_data = DataConfig(corpus=task, task=task) if task not in ("lm", "mt") else DataConfig(task=task)
    plain = _recipe(plain_data, default_model, TrainConfig())
    kept = [(_label(key, task), _text(value)) for key, value in book.items() if final.get(key) == value
            and value is not None and (key in _ALWAYS or plain.get(key) != value)]
    changed = [(_label(key, task), f"{_text(final.get(key))} (preset: {_text(book.get(key))})")
               for key in dict.fromkeys([*book, *final]) if final.get(key) != book.get(key)]
    return _merged(kept), _merged(changed)
