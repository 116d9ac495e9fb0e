"""The model's settings: a stack of recurrent layers (:class:`StackSpec`) and a whole model
(:class:`ModelConfig`), with the cells' names and the equations each one computes.

A room of the configuration (``rnnviz.core.config`` re-exports everything here): it depends on
nothing but ``rnnviz.core.errors`` and the ranges in ``rnnviz.core.limits``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from rnnviz.core import limits as lim
from rnnviz.core.errors import ConfigError

Task = Literal["lm", "mt", "recall", "adding", "copy"]
#: The tasks built to need memory (rnnviz.core.data.memory_tasks): generated from a seed, not read from a corpus.
MEMORY_TASKS: tuple[str, ...] = ("recall", "adding", "copy")
TASKS: tuple[str, ...] = ("lm", "mt", *MEMORY_TASKS)
#: Memory tasks whose inputs and outputs are symbols (per-step classification); adding reads real numbers.
SYMBOL_TASKS: tuple[str, ...] = ("recall", "copy")
#: The inputs per step of the adding problem: a value in [0, 1] and a marker (0 or 1).
ADDING_INPUTS = 2

Cell = Literal["rnn", "gru", "gru-book", "gru-reset", "gru-update", "lstm"]
Implementation = Literal["auto", "fused", "scratch"]
CELLS: tuple[str, ...] = ("rnn", "gru", "gru-book", "gru-reset", "gru-update", "lstm")
#: The cells torch has a fused kernel for (torch.nn.RNN, GRU, LSTM); the others run the scratch equations only.
FUSED_CELLS: tuple[str, ...] = ("rnn", "gru", "lstm")
#: The GRUs with one gate taken away (the book's exercise 4 of section 10.2): scratch only.
PARTIAL_GRUS: tuple[str, ...] = ("gru-reset", "gru-update")

#: What each cell computes, named so the UI can say which equations a model uses.
CELL_VARIANTS: dict[str, str] = {
    "rnn": "vanilla RNN, tanh (book section 9.5 = torch.nn.RNN)",
    "gru": "GRU, torch variant: reset gate applied after the hidden matmul (torch.nn.GRU)",
    "gru-book": "GRU, book variant: reset gate applied before the hidden matmul (book section 10.2)",
    "gru-reset": ("GRU, reset gate only: no update gate, H_t = H̃_t; reset before the hidden matmul as in the "
                  "book (exercise 4 of section 10.2)"),
    "gru-update": ("GRU, update gate only: no reset gate, H̃_t reads all of H_{t-1} "
                   "(exercise 4 of book section 10.2)"),
    "lstm": "LSTM (book section 10.1 = torch.nn.LSTM)",
}
#: Gate blocks stacked in each weight matrix, in torch's order.
GATES: dict[str, tuple[str, ...]] = {
    "rnn": ("h",),
    "gru": ("r", "z", "n"),
    "gru-book": ("r", "z", "n"),
    "gru-reset": ("r", "n"),
    "gru-update": ("z", "n"),
    "lstm": ("i", "f", "g", "o"),
}


@dataclass(frozen=True)
class StackSpec:
    """One recurrent stack, as the book's deep and bidirectional figures draw it.

    ``hidden_sizes`` has one entry per layer. A bidirectional stack may give
    its backward direction other sizes, ``backward_sizes`` (the book's
    exercise in section 10.4); None means the same as the forward direction,
    and sizes equal to the forward ones are stored as None so that equal
    stacks compare equal. Layer k reads both directions of layer k - 1,
    concatenated. torch's fused kernels need one size for every layer and
    direction and have no kernel for the book's GRU nor the GRUs with one gate, so
    ``implementation="auto"`` picks them when it can and the book's scratch
    equations otherwise.
    """

    cell: Cell = "gru"
    hidden_sizes: tuple[int, ...] = (32,)
    bidirectional: bool = False
    dropout: float = 0.0  # between layers (not after the last), as torch applies it
    implementation: Implementation = "auto"
    # Last, so that positional construction of the fields above keeps working.
    backward_sizes: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        # The number of layers first: a stack of a million layers is refused before it is walked.
        if isinstance(self.hidden_sizes, (tuple, list)) and len(self.hidden_sizes) > lim.NUM_LAYERS.hi:
            raise ConfigError(f"a stack of {len(self.hidden_sizes):,} layers is too deep: "
                              + lim.NUM_LAYERS.message(len(self.hidden_sizes)))
        object.__setattr__(self, "hidden_sizes", tuple(int(h) for h in self.hidden_sizes))
        if self.cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}.")
        if not self.hidden_sizes:
            raise ConfigError("a stack needs at least one layer.")
        for layer, size in enumerate(self.hidden_sizes):
            if not lim.HIDDEN_SIZE.contains(size):
                raise ConfigError(f"layer {layer + 1} has hidden size {size}; " + lim.HIDDEN_SIZE.message(size))
        self._check_backward_sizes()
        if not lim.DROPOUT.contains(self.dropout):
            raise ConfigError(f"dropout must be in [0, 1), not {self.dropout}. {lim.DROPOUT.doc}")
        if self.implementation not in ("auto", "fused", "scratch"):
            raise ConfigError(f"unknown implementation {self.implementation!r}; use auto, fused or scratch.")
        if self.implementation == "fused" and not self.fusable:
            raise ConfigError(self.why_not_fused())

    def _check_backward_sizes(self) -> None:
        if self.backward_sizes is None:
            return
        try:
            backward = tuple(int(h) for h in self.backward_sizes)
        except (TypeError, ValueError):
            raise ConfigError(f"backward_sizes must be whole numbers, one hidden size per layer, not "
                              f"{self.backward_sizes!r}.") from None
        if not self.bidirectional:
            raise ConfigError("backward_sizes is set but the stack is not bidirectional; make the stack "
                              "bidirectional, or leave backward_sizes out.")
        if len(backward) != len(self.hidden_sizes):
            raise ConfigError(f"backward_sizes has {len(backward)} entries but the stack has "
                              f"{len(self.hidden_sizes)} layer(s); give one backward hidden size per layer.")
        for layer, size in enumerate(backward):
            if not lim.HIDDEN_SIZE.contains(size):
                raise ConfigError(f"layer {layer + 1} has backward hidden size {size}; "
                                  + lim.HIDDEN_SIZE.message(size))
        # Canonical form: sizes equal to the forward ones mean "same as forward".
        object.__setattr__(self, "backward_sizes", None if backward == self.hidden_sizes else backward)

    @property
    def num_layers(self) -> int:
        return len(self.hidden_sizes)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def direction_sizes(self, layer: int) -> tuple[int, ...]:
        """Hidden sizes of one layer's directions: (h,) or (h_forward, h_backward)."""
        if not -self.num_layers <= layer < self.num_layers:
            raise IndexError(f"layer {layer} out of range for {self.num_layers} layer(s).")
        forward = self.hidden_sizes[layer]
        if not self.bidirectional:
            return (forward,)
        return forward, (self.backward_sizes or self.hidden_sizes)[layer]

    def hidden_size(self, layer: int, direction: int = 0) -> int:
        """Hidden size of one layer-direction (direction 0 forward, 1 backward)."""
        sizes = self.direction_sizes(layer)
        if not 0 <= direction < len(sizes):
            raise IndexError(f"direction {direction} out of range for {len(sizes)} direction(s).")
        return sizes[direction]

    def layer_output_size(self, layer: int) -> int:
        """Features per time step leaving one layer: its directions concatenated."""
        return sum(self.direction_sizes(layer))

    def layer_input_size(self, layer: int, input_size: int) -> int:
        """Features per time step entering a layer: ``input_size`` for layer 0, else the layer below's output."""
        if layer < 0:
            layer += self.num_layers
        self.direction_sizes(layer)  # range check
        return input_size if layer == 0 else self.layer_output_size(layer - 1)

    @property
    def output_size(self) -> int:
        """Features per time step leaving the top layer (both directions concatenated)."""
        return self.layer_output_size(self.num_layers - 1)

    def weight_count(self, input_size: int) -> int:
        """Weights of the stack reading ``input_size`` features (torch's count: two biases per gate block)."""
        blocks = len(GATES[self.cell])
        return sum(blocks * h * (self.layer_input_size(k, input_size) + h + 2)
                   for k in range(self.num_layers) for h in self.direction_sizes(k))

    @property
    def equal_directions(self) -> bool:
        return self.backward_sizes is None

    @property
    def fusable(self) -> bool:
        return self.cell in FUSED_CELLS and len(set(self.hidden_sizes)) == 1 and self.equal_directions

    @property
    def resolved_implementation(self) -> Literal["fused", "scratch"]:
        if self.implementation == "auto":
            return "fused" if self.fusable else "scratch"
        return self.implementation

    def why_not_fused(self) -> str:
        """Why torch has no fused kernel for this stack (when it has none)."""
        if self.cell == "gru-book":
            return ("torch has no fused kernel for the book's GRU variant (reset before the matmul); "
                    "use the scratch implementation, or the torch variant 'gru'.")
        if self.cell in PARTIAL_GRUS:
            gate = "reset" if self.cell == "gru-reset" else "update"
            return (f"torch has no fused kernel for a GRU with its {gate} gate only ({self.cell}); use the "
                    "scratch implementation (auto picks it).")
        if not self.equal_directions:
            return ("torch's fused kernels need the same hidden size in both directions; use the scratch "
                    "implementation for unequal forward and backward sizes.")
        return ("torch's fused kernels need one hidden size for every layer; use the scratch "
                "implementation for unequal sizes.")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hidden_sizes"] = list(self.hidden_sizes)
        data["backward_sizes"] = None if self.backward_sizes is None else list(self.backward_sizes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StackSpec:
        # Dicts saved before backward_sizes existed have no such key: same as forward.
        backward = data.get("backward_sizes")
        return cls(**{**data, "hidden_sizes": tuple(data.get("hidden_sizes", (32,))),
                      "backward_sizes": None if backward is None else tuple(backward)})


Bridge = Literal["auto", "identity", "linear"]
#: How a new model's weights are drawn: as the book's code draws them, or torch's defaults throughout;
#: "forget-bias" is "book" with an LSTM's forget gates opened at the start (initialisation.FORGET_BIAS;
#: not the book's: the tasks that need memory, issue 17).
Init = Literal["book", "torch", "forget-bias"]
INITS: tuple[str, ...] = ("book", "torch", "forget-bias")


@dataclass(frozen=True)
class ModelConfig:
    """A whole model: the book's RNN language model, or its encoder–decoder.

    Language model: ``stack`` is the model's stack; ``embed_size`` None feeds
    one-hot vectors as the book's RNNLMScratch does. Translation: ``stack`` is
    the encoder and ``decoder`` the decoder; the bridge carries the encoder's
    final state into the decoder (``identity`` as in the book, or ``linear``:
    per layer, h_dec = tanh(W [h_fwd; h_bwd] + b), needed when the encoder is
    bidirectional or the sizes differ).

    ``init`` says how a model built from this config draws its first weights
    (``rnnviz.core.models.initialisation``): "book" as the book's code does
    (Xavier-uniform for the encoder–decoder, N(0, 0.01²) for scratch cells,
    torch's default for torch's fused layers), "torch" torch's defaults
    throughout. It matters only when a model is built from scratch: a
    checkpoint's weights replace whatever was drawn. New configs default to
    "book"; a saved config without the field (written before the option
    existed) reads as "torch", because torch's defaults are what drew its
    weights, so that an old file is described truthfully.
    """

    task: Task = "lm"
    stack: StackSpec = StackSpec()
    decoder: StackSpec | None = None
    embed_size: int | None = None
    bridge: Bridge = "auto"
    init: Init = "book"
    mask_padding: bool = True

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigError(f"unknown task {self.task!r}; use 'lm' (language model), 'mt' (translation), or a "
                              "task that needs memory: 'recall', 'adding' or 'copy'.")
        if self.init not in INITS:
            raise ConfigError(f"unknown initialisation {self.init!r}; use 'book' (as the book's code) or "
                              "'torch' (torch's defaults).")
        if self.embed_size is not None:
            lim.EMBED_SIZE.check(self.embed_size)
        if not isinstance(self.mask_padding, bool):
            raise ConfigError(f"mask_padding must be true or false, not {self.mask_padding!r}.")
        if self.task != "mt" and not self.mask_padding:
            raise ConfigError("only a translation model pads its targets; mask_padding=False belongs to task 'mt'.")
        if self.task != "mt":
            if self.decoder is not None:
                raise ConfigError("a language model has one stack; a decoder belongs to translation models.")
            if self.task == "adding" and self.embed_size is not None:
                raise ConfigError("the adding problem reads two numbers per step (a value and a marker), not "
                                  "symbols: it has no embedding; leave embed_size out.")
            self._check_size()
            return
        if self.decoder is None:
            raise ConfigError("a translation model needs a decoder stack.")
        if self.embed_size is None:
            raise ConfigError("a translation model needs an embedding size (the book uses 32 or 256).")
        if self.decoder.bidirectional:
            raise ConfigError("the decoder cannot be bidirectional: it generates left to right and "
                              "cannot read words it has not produced yet.")
        if self.bridge not in ("auto", "identity", "linear"):
            raise ConfigError(f"unknown bridge {self.bridge!r}; use auto, identity or linear.")
        if self.stack.num_layers != self.decoder.num_layers:
            raise ConfigError(f"the encoder has {self.stack.num_layers} layers and the decoder "
                              f"{self.decoder.num_layers}; the bridge maps layer to layer, so give both "
                              "the same number of layers.")
        if self.bridge == "identity" and not self.identity_bridge_fits:
            raise ConfigError("the encoder's final state cannot initialise the decoder as it is: "
                              + self.identity_mismatch()
                              + " Use the linear bridge.")
        self._check_size()

    def _check_size(self) -> None:
        """Refuse a model whose weights alone would fill memory (the vocabulary's share comes later)."""
        count = self.weight_count()
        if not lim.MODEL_PARAMETERS.contains(count):
            raise ConfigError(f"this model has {count:,} weights before its output layer: "
                              + lim.MODEL_PARAMETERS.message(count))

    def weight_count(self, input_size: int = 1) -> int:
        """Weights of the stacks and embeddings (torch's count: two biases per gate block); the
        vocabulary-sized parts (one-hot inputs of ``input_size``, the output layer) aside."""
        embed = self.embed_size or 0
        if self.task == "adding":
            return self.stack.weight_count(ADDING_INPUTS)
        if self.task != "mt":
            return self.stack.weight_count(embed or input_size) + embed * input_size
        assert self.decoder is not None
        count = self.stack.weight_count(embed) + self.decoder.weight_count(embed + self.stack.output_size)
        if self.resolved_bridge == "linear":  # per layer, [h_fwd; h_bwd] -> h_dec
            count += sum((self.stack.layer_output_size(k) + 1) * self.decoder.hidden_sizes[k]
                         for k in range(self.decoder.num_layers))
        return count

    @property
    def identity_bridge_fits(self) -> bool:
        dec = self.decoder
        return (dec is not None and not self.stack.bidirectional
                and self.stack.hidden_sizes == dec.hidden_sizes
                and (self.stack.cell == "lstm") == (dec.cell == "lstm"))

    def identity_mismatch(self) -> str:
        """Why the identity bridge cannot carry the encoder's state to the decoder (when it cannot)."""
        dec = self.decoder
        assert dec is not None
        if self.stack.bidirectional:
            return "a bidirectional encoder has two states per layer, the decoder one."
        if self.stack.hidden_sizes != dec.hidden_sizes:
            return f"encoder hidden sizes {list(self.stack.hidden_sizes)} differ from the decoder's {list(dec.hidden_sizes)}."
        return "an LSTM carries a cell state that the other cell has not."

    @property
    def resolved_bridge(self) -> Literal["identity", "linear"] | None:
        if self.task != "mt":
            return None
        if self.bridge == "auto":
            return "identity" if self.identity_bridge_fits else "linear"
        return self.bridge

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "stack": self.stack.to_dict(),
                "decoder": self.decoder.to_dict() if self.decoder else None,
                "embed_size": self.embed_size, "bridge": self.bridge, "init": self.init,
                # Translation only: the other tasks have no padding, and their dicts stay as they were.
                **({"mask_padding": self.mask_padding} if self.task == "mt" else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        decoder = data.get("decoder")
        # No "init": saved before the option existed, when torch's defaults drew every model's weights.
        return cls(task=data["task"], stack=StackSpec.from_dict(data["stack"]),
                   decoder=StackSpec.from_dict(decoder) if decoder else None,
                   embed_size=data.get("embed_size"), bridge=data.get("bridge", "auto"),
                   init=data.get("init", "torch"),
                   # No "mask_padding": saved before the option, when every loss masked the padding.
                   mask_padding=data.get("mask_padding", True))

    def same_model(self, other: ModelConfig) -> bool:
        """The same architecture, whatever ``init`` says: a built model's weights no longer depend on it."""
        return replace(self, init=other.init) == other
