"""Short names for stacks and models, as the legend, the status bar and every view show them."""

from __future__ import annotations

from rnnviz.core.config import ModelConfig, StackSpec

CELL_LABELS: dict[str, str] = {"rnn": "RNN", "gru": "GRU", "gru-book": "GRU(book)", "gru-reset": "GRU(r only)",
                               "gru-update": "GRU(z only)", "lstm": "LSTM"}
TASK_LABELS: dict[str, str] = {"lm": "language model", "mt": "encoder–decoder", "recall": "recall model",
                               "adding": "adding model", "copy": "copy model"}


def stack_label(spec: StackSpec) -> str:
    """A short name for a stack: 'GRU 1×32', 'GRU 2×32 bi', 'LSTM 32/16' (layers × hidden size when
    every layer has the same size, else the sizes; a backward direction of its own sizes after ←)."""
    sizes = spec.hidden_sizes
    shape = f"{len(sizes)}×{sizes[0]}" if len(set(sizes)) == 1 else "/".join(map(str, sizes))
    if spec.backward_sizes:
        shape += " ←" + "/".join(map(str, spec.backward_sizes))
    return f"{CELL_LABELS[spec.cell]} {shape}" + (" bi" if spec.bidirectional else "")


#: Said after a translation model's name when its loss counted the padding (ModelConfig.mask_padding False),
#: so that a masked and an unmasked run overlaid in the Training tab are told apart.
UNMASKED = "unmasked loss"


def loss_words(config: ModelConfig) -> str:
    """', unmasked loss' for a translation model trained with the padding in its loss, else ''."""
    return f", {UNMASKED}" if config.task == "mt" and not config.mask_padding else ""


def model_label(config: ModelConfig) -> str:
    """The model's stacks: 'GRU 2×32', or 'GRU 2×32 → LSTM 2×32' for an encoder and its decoder
    (', unmasked loss' after it when its loss counted the padding)."""
    if config.decoder is None:
        return stack_label(config.stack)
    return f"{stack_label(config.stack)} → {stack_label(config.decoder)}" + loss_words(config)


def display_name(config: ModelConfig) -> str:
    """'GRU 1×32 language model', 'GRU 2×32 encoder–decoder' (the decoder named when it differs)."""
    stacks = stack_label(config.stack) if config.decoder is None or config.decoder == config.stack \
        else f"{stack_label(config.stack)} → {stack_label(config.decoder)}"
    return f"{stacks} {TASK_LABELS[config.task]}" + loss_words(config)
