"""How a new model's first weights are drawn: as the book's code draws them, or torch's defaults.

Every layer is first built with torch's default initialisation (uniform in
±1/√h for recurrent layers, ±1/√fan_in for linear layers, N(0, 1) for
embeddings); ``ModelConfig.init == "torch"`` leaves it so. ``"book"`` then
redraws what the book's own code draws differently:

- the encoder–decoder (section 10.7): the book's ``init_seq2seq`` applies
  Xavier-uniform to every ``nn.Linear`` weight and every ``nn.GRU`` weight
  matrix, and leaves biases and embeddings at torch's default. Its decoder's
  output layer is an ``nn.LazyLinear``, which ``init_seq2seq``'s exact type
  test skips, so that layer keeps torch's default too. Here every recurrent
  weight matrix of the encoder and decoder (any cell, either implementation)
  and the linear bridge's weights (rnnviz's, when the shapes need one) are
  Xavier-uniform;
- a language model on the scratch implementation (sections 9.5, 10.1, 10.2,
  10.3, 10.4): the book's RNNScratch, GRUScratch and LSTMScratch draw every
  weight matrix from N(0, σ²) with σ = 0.01 and set every bias to zero, and its
  RNNLMScratch does the same for the output layer. The torch layout's two
  biases per gate block (b_ih, b_hh) are both zero, so their sum is the book's
  one zero bias;
- a language model on torch's fused kernels: the book's concise models use
  ``nn.RNN``/``nn.GRU``/``nn.LSTM`` and an ``nn.LazyLinear`` output, all at
  torch's default, so nothing is redrawn.

``"forget-bias"`` is ``"book"``, then every LSTM layer's forget-gate bias set to
:data:`FORGET_BIAS` (b_ih's forget block; b_hh's is set to zero, so that their sum is
FORGET_BIAS): f = σ(…+3) ≈ 0.95 at the start, so the memory cell keeps what it holds for
tens of steps before any training, instead of losing half of it each step. Gers, Schmidhuber
& Cummins (2000) and Jozefowicz, Zaremba & Sutskever (2015) open the forget gate (they use a
bias of 1); the book does not. Other cells are untouched.

The redraw happens after construction, from torch's global generator, so a
model is still deterministic under ``bundle_for(..., seed=...)``. The words
for each scheme, without torch, are in ``init_scheme``.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnviz.core.config import INITS, ModelConfig
from rnnviz.core.models.init_scheme import BOOK_SIGMA, FORGET_BIAS, is_scratch


@torch.no_grad()
def _normal_weights_zero_biases(module: nn.Module, sigma: float) -> None:
    """Every ``weight*`` parameter N(0, sigma²), every ``bias*`` zero (the book's scratch classes)."""
    for name, parameter in module.named_parameters():
        if name.rsplit(".", 1)[-1].startswith("weight"):
            parameter.normal_(0.0, sigma)
        elif name.rsplit(".", 1)[-1].startswith("bias"):
            parameter.zero_()


@torch.no_grad()
def _xavier_weights(module: nn.Module) -> None:
    """Xavier-uniform for every ``weight*`` parameter of ``module``; its biases are left as they are."""
    for name, parameter in module.named_parameters():
        if name.rsplit(".", 1)[-1].startswith("weight"):
            nn.init.xavier_uniform_(parameter)


@torch.no_grad()
def _open_forget_gates(stack: nn.Module) -> None:
    """Every LSTM bias's forget block (torch's gate order i, f, g, o): b_ih = FORGET_BIAS, b_hh = 0."""
    for name, parameter in stack.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        if leaf.startswith("bias") and parameter.dim() == 1 and parameter.shape[0] % 4 == 0:
            h = parameter.shape[0] // 4
            parameter[h:2 * h] = 0.0 if "hh" in leaf else FORGET_BIAS


def initialise(model: nn.Module, config: ModelConfig) -> None:
    """Redraw ``model``'s weights as ``config.init`` says (see the module's docstring); in place.

    ``model`` is an RNNLM (attributes ``stack``, ``output``) or a Seq2Seq
    (``encoder.stack``, ``decoder.stack``, ``bridge``), freshly built with
    torch's defaults.
    """
    if config.init not in INITS:  # ModelConfig refuses others; a clear word if one slips through
        raise ValueError(f"unknown initialisation {config.init!r}; use one of {', '.join(INITS)}.")
    if config.init == "torch":
        return
    if config.task != "mt":  # a language model, or a model of a task that needs memory: a stack and an output
        if is_scratch(config.stack):
            _normal_weights_zero_biases(model.stack, BOOK_SIGMA)  # type: ignore[arg-type]
            _normal_weights_zero_biases(model.output, BOOK_SIGMA)  # type: ignore[arg-type]
        if config.init == "forget-bias" and config.stack.cell == "lstm":
            _open_forget_gates(model.stack)  # type: ignore[arg-type]
        return
    # The encoder–decoder: the book's init_seq2seq.
    _xavier_weights(model.encoder.stack)  # type: ignore[union-attr, arg-type]
    _xavier_weights(model.decoder.stack)  # type: ignore[union-attr, arg-type]
    if model.bridge is not None:  # type: ignore[union-attr]
        _xavier_weights(model.bridge)  # type: ignore[arg-type]
