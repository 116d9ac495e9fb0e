"""A model's anatomy: every layer's shapes and parameter counts, without building it.

Plain arithmetic on a ``ModelConfig`` (no torch), so the stack builder can
redraw its table on every keystroke. Two counts are kept side by side:

- the book's: per gate block ``W_x (d×h) + W_h (h×h) + b (1×h)``, one bias;
- torch's: the same weights plus a second bias, ``b_ih`` and ``b_hh``.

``total_params`` is torch's count and equals what ``build_model`` allocates,
embeddings, bridge and output layer included (tests hold it to that).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rnnviz.core.config import GATES, ModelConfig, StackSpec
from rnnviz.core.errors import ConfigError

#: The book's letters for each gate block, in torch's storage order (torch's g/n is the book's c/h).
BOOK_GATES: dict[str, tuple[str, ...]] = {
    "rnn": ("h",),
    "gru": ("r", "z", "h"),
    "gru-book": ("r", "z", "h"),
    "gru-reset": ("r", "h"),
    "gru-update": ("z", "h"),
    "lstm": ("i", "f", "c", "o"),
}
_ARROWS = {"forward": "→", "backward": "←"}


@dataclass(frozen=True)
class DirectionInfo:
    """One layer-direction: what it reads, how wide it is, what it costs."""

    direction: str  # "forward" | "backward"
    input_size: int  # d for layer 0, else the concatenated size of the layer below
    hidden_size: int  # h
    gate_blocks: int  # 1 rnn, 2 gru-reset/gru-update, 3 gru/gru-book, 4 lstm
    book_params: int  # gate_blocks * (d*h + h*h + h): W_xh d×h, W_hh h×h, one bias 1×h per block
    torch_params: int  # gate_blocks * (d*h + h*h + 2h): torch keeps b_ih and b_hh
    gates: tuple[str, ...] = ()  # the book's letters of the gate blocks, e.g. ("r", "z", "h")
    formula: str = ""  # the book's count with numbers
    torch_formula: str = ""  # torch's count with numbers


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a stack, both directions."""

    part: str  # "lm", "encoder" or "decoder"
    index: int  # 0-based layer index
    cell: str
    input_size: int
    directions: tuple[DirectionInfo, ...]
    output_size: int  # sum of direction hidden sizes (the concatenated h→ + h← when bidirectional)
    bidirectional: bool
    book_params: int
    torch_params: int
    shapes: dict[str, str]  # name -> shape text, e.g. {"X_t": "(B, d=28)", "H_t": "(B, 32)"}
    formula: str  # the book's count with numbers, e.g. "3 × (28·32 + 32·32 + 32) = 5,856"
    torch_formula: str = ""
    implementation: str = ""  # "fused" or "scratch", as the stack will be built

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        """(h,) or (h_forward, h_backward)."""
        return tuple(d.hidden_size for d in self.directions)


@dataclass(frozen=True)
class ExtraInfo:
    """A part outside the recurrent layers: embedding, context, bridge, output layer."""

    name: str
    shape: str
    params: int  # the same in the book and in torch (one bias)
    formula: str
    part: str = ""  # "lm", "encoder", "bridge" or "decoder"


@dataclass(frozen=True)
class ModelAnatomy:
    config: ModelConfig
    vocab_sizes: tuple[int, ...]  # (V,) for lm; (V_src, V_tgt) for mt
    layers: tuple[LayerInfo, ...]  # lm layers, or encoder layers then decoder layers
    extras: tuple[ExtraInfo, ...]  # embeddings, context, bridge, output layer
    total_params: int  # torch's count: sum(p.numel()) of build_model(config, vocabs)
    total_book_params: int  # the book's count (one bias per gate block) + extras

    def part(self, name: str) -> tuple[LayerInfo, ...]:
        """The layers of one part: "lm", "encoder" or "decoder"."""
        return tuple(layer for layer in self.layers if layer.part == name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain dicts, lists, strings and numbers."""
        return {
            "config": self.config.to_dict(),
            "vocab_sizes": list(self.vocab_sizes),
            "layers": [layer_dict(layer) for layer in self.layers],
            "extras": [asdict(e) for e in self.extras],
            "total_params": self.total_params,
            "total_book_params": self.total_book_params,
        }


def layer_dict(layer: LayerInfo) -> dict[str, Any]:
    """One layer, JSON-ready (tuples as lists)."""
    data = asdict(layer)
    data["directions"] = [{**asdict(d), "gates": list(d.gates)} for d in layer.directions]
    data["hidden_sizes"] = list(layer.hidden_sizes)
    return data


# --- counting -------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _direction(cell: str, name: str, d: int, h: int) -> DirectionInfo:
    g = len(GATES[cell])
    book = g * (d * h + h * h + h)
    torch_count = g * (d * h + h * h + 2 * h)
    times = f"{g} × " if g > 1 else ""
    book_terms = f"({d}·{h} + {h}·{h} + {h})" if g > 1 else f"{d}·{h} + {h}·{h} + {h}"
    torch_terms = f"({d}·{h} + {h}·{h} + 2·{h})" if g > 1 else f"{d}·{h} + {h}·{h} + 2·{h}"
    return DirectionInfo(name, d, h, g, book, torch_count, BOOK_GATES[cell],
                         f"{times}{book_terms} = {_n(book)}", f"{times}{torch_terms} = {_n(torch_count)}")


def _combined(directions: tuple[DirectionInfo, ...], which: str) -> str:
    """One layer's formula: a direction's, ``2 × ...`` for equal directions, or a sum."""
    texts = [getattr(d, which).rsplit(" = ", 1)[0] for d in directions]
    total = sum(d.book_params if which == "formula" else d.torch_params for d in directions)
    if len(texts) == 1:
        body = texts[0]
    elif texts[0] == texts[1]:
        body = f"2 × {texts[0]}" if directions[0].gate_blocks > 1 else f"2 × ({texts[0]})"
    else:
        body = " + ".join(texts)
    return f"{body} = {_n(total)}"


def _weights(cell: str, d: int, h: int) -> tuple[str, str, str]:
    """Book-orientation shape text of W_x*, W_h* and b_* for one direction."""
    letters = BOOK_GATES[cell]
    g = len(letters)
    names = [", ".join(f"{prefix}{x}" for x in letters) for prefix in ("W_x", "W_h", "b_")]
    shapes = [f"({d}, {h})", f"({h}, {h})", f"(1, {h})"]
    if g == 1:
        return shapes[0], shapes[1], shapes[2]
    return tuple(f"{g} × {shape}: {name}" for shape, name in zip(shapes, names))  # type: ignore[return-value]


def _layer(part: str, spec: StackSpec, index: int, input_size: int, input_text: str) -> LayerInfo:
    names = ("forward", "backward")[:spec.num_directions]
    directions = tuple(_direction(spec.cell, name, input_size, h)
                       for name, h in zip(names, spec.direction_sizes(index)))
    output = sum(d.hidden_size for d in directions)
    shapes: dict[str, str] = {"X_t": input_text}
    for info in directions:
        suffix = f" {info.direction}" if spec.bidirectional else ""
        w_x, w_h, b = _weights(spec.cell, info.input_size, info.hidden_size)
        shapes[f"W_x{suffix}"] = w_x
        shapes[f"W_h{suffix}"] = w_h
        shapes[f"b{suffix}"] = b
        shapes[f"H_t{suffix}"] = f"(B, {info.hidden_size})"
        if spec.cell == "lstm":
            shapes[f"C_t{suffix}"] = f"(B, {info.hidden_size})"
    if spec.bidirectional:
        shapes["[H_t→; H_t←]"] = f"(B, {output})"
    return LayerInfo(
        part=part, index=index, cell=spec.cell, input_size=input_size, directions=directions,
        output_size=output, bidirectional=spec.bidirectional,
        book_params=sum(d.book_params for d in directions),
        torch_params=sum(d.torch_params for d in directions),
        shapes=shapes, formula=_combined(directions, "formula"),
        torch_formula=_combined(directions, "torch_formula"),
        implementation=spec.resolved_implementation)


def _stack_layers(part: str, spec: StackSpec, input_size: int, first_input: str) -> list[LayerInfo]:
    layers = []
    for index in range(spec.num_layers):
        d = spec.layer_input_size(index, input_size)
        text = first_input if index == 0 else f"(B, {d})"
        layers.append(_layer(part, spec, index, d, text))
    return layers


def _embedding(name: str, vocab: int, embed: int, part: str) -> ExtraInfo:
    return ExtraInfo(name, f"(V={vocab}, e={embed}) → (B, {embed}) per token", vocab * embed,
                     f"{vocab} × {embed} = {_n(vocab * embed)}", part)


def _output(stack: StackSpec, vocab: int, part: str) -> ExtraInfo:
    q_in = stack.output_size
    params = q_in * vocab + vocab
    return ExtraInfo("output layer", f"O_t = H_t W_hq + b_q: W_hq ({q_in}, {vocab}), b_q (1, {vocab}) → "
                     f"O_t (B, q={vocab})", params, f"{q_in}·{vocab} + {vocab} = {_n(params)}", part)


def _bridge(encoder: StackSpec, decoder: StackSpec) -> list[ExtraInfo]:
    """The linear bridge, as seq2seq.LinearBridge builds it: per layer, and again for an LSTM's cell."""
    extras = []
    carries_cell = encoder.cell == "lstm" and decoder.cell == "lstm"
    for layer in range(encoder.num_layers):
        i, o = encoder.layer_output_size(layer), decoder.hidden_sizes[layer]
        params = i * o + o
        read = "[h→; h←]" if encoder.bidirectional else "h_enc"
        kinds = [("hidden", "h")] + ([("cell", "c")] if carries_cell else [])
        for kind, letter in kinds:
            source = read.replace("h", letter) if letter == "c" else read
            extras.append(ExtraInfo(
                f"bridge layer {layer + 1} ({kind} state)",
                f"{letter}_dec = tanh({source} W + b): W ({i}, {o}), b (1, {o})", params,
                f"{i}·{o} + {o} = {_n(params)}", "bridge"))
    return extras


def memory_vocab_sizes(task: str, symbols: int) -> tuple[int, ...]:
    """The vocabulary a task that needs memory builds (memory_tasks.memory_vocab): ``<unk>`` and the
    letters, and for copy the blank and the go marker; none for the adding problem."""
    return {"recall": (symbols + 1,), "copy": (symbols + 3,)}.get(task, ())


def _check_vocab_sizes(config: ModelConfig, vocab_sizes: tuple[int, ...]) -> tuple[int, ...]:
    sizes = tuple(int(v) for v in vocab_sizes)
    if config.task == "adding":  # two numbers in, one out: no vocabulary
        return ()
    wanted = 2 if config.task == "mt" else 1  # a language model, recall and copy: one
    if len(sizes) != wanted:
        what = "one vocabulary size (V,)" if wanted == 1 else "two vocabulary sizes (V_src, V_tgt)"
        raise ConfigError(f"a{' language' if wanted == 1 else ' translation'} model takes {what}, "
                          f"not {len(sizes)}.")
    for size in sizes:
        if size < 1:
            raise ConfigError(f"a vocabulary size must be at least 1, not {size}.")
    return sizes


def anatomy(config: ModelConfig, vocab_sizes: tuple[int, ...]) -> ModelAnatomy:
    """Shapes and parameter counts of the model ``build_model(config, vocabs)`` would build."""
    sizes = _check_vocab_sizes(config, vocab_sizes)
    layers: list[LayerInfo] = []
    extras: list[ExtraInfo] = []
    if config.task == "adding":
        # AddingRNN: each step reads (value, marker); one number comes out, read at the last step.
        extras.append(ExtraInfo("inputs", "(B, d=2): the value and the marker of each step", 0,
                                "no parameters: the numbers are the inputs", "lm"))
        layers += _stack_layers("lm", config.stack, 2, "(B, d=2)")
        q_in = config.stack.output_size
        extras.append(ExtraInfo("output layer", f"y_t = H_t w + b: w ({q_in}, 1), b (1,) → one number; the answer "
                                "is the last step's", q_in + 1, f"{q_in} + 1 = {_n(q_in + 1)}", "lm"))
    elif config.task != "mt":  # a language model, or recall and copy (SymbolRNN: the same shape)
        (vocab,) = sizes
        embed = config.embed_size
        if embed:
            extras.append(_embedding("embedding", vocab, embed, "lm"))
            first = f"(B, d=e={embed})"
        else:
            # The book's RNNLMScratch: one-hot vectors, no parameters, d = V.
            extras.append(ExtraInfo("one-hot input", f"(B, V={vocab})", 0,
                                    f"no parameters: X_t = one_hot(token, {vocab})", "lm"))
            first = f"(B, d=V={vocab})"
        layers += _stack_layers("lm", config.stack, embed or vocab, first)
        extras.append(_output(config.stack, vocab, "lm"))
    else:
        encoder, decoder, embed = config.stack, config.decoder, config.embed_size
        assert decoder is not None and embed is not None  # ModelConfig checked it
        src, tgt = sizes
        extras.append(_embedding("encoder embedding", src, embed, "encoder"))
        layers += _stack_layers("encoder", encoder, embed, f"(B, d=e={embed})")
        context = encoder.output_size
        read = "[H_T→; H_1←]" if encoder.bidirectional else "H_T"
        extras.append(ExtraInfo("context", f"c = top encoder layer's final {read}: (B, {context})", 0,
                                "no parameters: concatenated to every decoder input", "encoder"))
        if config.resolved_bridge == "linear":
            extras += _bridge(encoder, decoder)
        extras.append(_embedding("decoder embedding", tgt, embed, "decoder"))
        # As Seq2Seq's Decoder: each step reads [embedding; context], the book's concatenation.
        layers += _stack_layers("decoder", decoder, embed + context,
                                f"(B, d=e+c={embed}+{context}={embed + context})")
        extras.append(_output(decoder, tgt, "decoder"))
    extra_params = sum(e.params for e in extras)
    return ModelAnatomy(
        config=config, vocab_sizes=sizes, layers=tuple(layers), extras=tuple(extras),
        total_params=sum(layer.torch_params for layer in layers) + extra_params,
        total_book_params=sum(layer.book_params for layer in layers) + extra_params)
