"""What each initialisation does, in words, and the constants it uses: no torch here.

The Builder names what "book" does for the model on screen before torch is loaded;
``initialisation`` draws the weights.
"""

from __future__ import annotations

import dataclasses

from rnnviz.core.config import ModelConfig, StackSpec

#: The book's ``sigma`` for its scratch cells and their language model's output layer.
BOOK_SIGMA = 0.01

#: The book's scratch class for each of rnnviz's cells (the torch-variant GRU has GRUScratch's shapes).
BOOK_SCRATCH_CLASS: dict[str, str] = {
    "rnn": "RNNScratch", "gru": "GRUScratch", "gru-book": "GRUScratch", "lstm": "LSTMScratch",
    # The exercise's GRUs with one gate: GRUScratch less a gate, drawn the same way.
    "gru-reset": "GRUScratch (reset gate only)", "gru-update": "GRUScratch (update gate only)",
}


#: "forget-bias": an LSTM's forget gates start at σ(3) ≈ 0.95 (initialisation._open_forget_gates).
FORGET_BIAS = 3.0


def is_scratch(spec: StackSpec) -> bool:
    """The stack runs the book's scratch equations (its weights are drawn as the scratch classes draw them)."""
    return spec.resolved_implementation == "scratch"


def describe_init(config: ModelConfig) -> str:
    """What ``config.init`` does for this model, in a sentence (the Builder's tooltip, the CLI's help)."""
    if config.init == "forget-bias":
        opened = (f"; then every forget-gate bias is {FORGET_BIAS:g} (f = σ(…+{FORGET_BIAS:g}) ≈ 0.95), so the "
                  "memory cell holds what it stores for tens of steps from the start (Gers et al. 2000, "
                  "Jozefowicz et al. 2015; not the book's)") if config.stack.cell == "lstm" else \
            " (the forget-gate bias applies to an LSTM only; this model has none)"
        book = describe_init(dataclasses.replace(config, init="book"))
        return book.rstrip(".") + opened + "."
    if config.init == "torch":
        return ("torch's default for every layer: uniform in ±1/√h for the recurrent weights and biases, "
                "±1/√fan_in for the linear layers, N(0, 1) for embeddings.")
    if config.task == "mt":
        return ("The book's init_seq2seq: Xavier-uniform for the encoder's and decoder's recurrent weight "
                "matrices" + (" and the bridge's weights" if config.resolved_bridge == "linear" else "")
                + "; biases, embeddings and the output layer keep torch's default, as in the book "
                "(its output layer is a LazyLinear, which init_seq2seq skips).")
    if is_scratch(config.stack):
        book_class = BOOK_SCRATCH_CLASS[config.stack.cell]
        return (f"The book's {book_class}: every weight matrix N(0, 0.01²) and every bias zero, the output "
                "layer too (RNNLMScratch)" + ("; the embedding keeps torch's default" if config.embed_size else "")
                + ".")
    return ("torch's default, as the book's concise models (nn.RNN, nn.GRU, nn.LSTM and a LazyLinear output) "
            "leave it: uniform in ±1/√h for the recurrent layer, ±1/√fan_in for the output layer.")


def init_note(model_init: str, wanted: str | None) -> str | None:
    """The sentence to tell a user whose chosen ``wanted`` init differs from an existing model's; else None."""
    if wanted is None or wanted == model_init:
        return None
    said = {"book": "the book's scheme", "torch": "torch's default",
            "forget-bias": "the book's scheme with the LSTM's forget gates opened"}
    return (f"This model was initialised with {said.get(model_init, model_init)}; the initialisation "
            f"chosen now ({wanted}) applies only to new models, so it goes on from its own weights.")
