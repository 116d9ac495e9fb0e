"""What a checkpoint's contents must pass before rnnviz builds anything from them.

A checkpoint may come from someone else, damaged or crafted. ``torch.load(weights_only=True)``
already refuses Python objects; these checks refuse the rest, each with a message naming the
file and the field:

- every field has the type and the range rnnviz writes (``check_payload``, in ``checkpoint_payload``);
- the weights match the checksum saved with them (``checksum``; format version 2);
- every parameter the settings imply is in the file with exactly the implied shape, worked
  out by arithmetic, so that settings claiming a huge model allocate nothing (``check_shapes``);
- no weight is NaN or infinite (``check_finite``).

The numbers no tensor bounds (window length, batch size, seeds) must lie in the ranges
of ``rnnviz.core.limits``, the same ones the CLI and the app accept: a window length of
10^9 would otherwise become a decoding length, a batch size of 10^12 an allocation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from rnnviz.core.checkpoint_payload import (
    _DAMAGED,
    CHECKSUMMED,
    _kind,
    _refuse,
    _size,
    check_payload,
    vocab_names,
)
from rnnviz.core.config import ADDING_INPUTS, GATES, ModelConfig, StackSpec
from rnnviz.core.errors import DataError

__all__ = ["CHECKSUM_PREFIX", "CHECKSUMMED", "check_checksum", "check_finite", "check_payload", "check_shapes",
           "checksum", "expected_shapes", "vocab_names"]

CHECKSUM_PREFIX = "sha256:"


# ---- the checksum ------------------------------------------------------------------------------


def checksum(payload: Mapping[str, Any]) -> str:
    """SHA-256 over the settings (canonical JSON) and every tensor's name, dtype, shape and raw
    bytes, in sorted name order: "sha256:<hex>". The same on every machine for the same file."""
    digest = hashlib.sha256()
    settings = {key: payload.get(key) for key in CHECKSUMMED}
    digest.update(json.dumps(settings, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode())
    state_dict: Mapping[str, torch.Tensor] = payload["state_dict"]
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        raw = tensor.reshape(-1).view(torch.uint8).numpy()  # (nbytes,) the values as stored
        # A header per tensor, with its byte count, so that no two contents hash alike by shifting bytes.
        header = json.dumps([name, str(tensor.dtype), list(tensor.shape), int(raw.size)])
        digest.update(header.encode() + b"\n")
        digest.update(memoryview(raw))
    return CHECKSUM_PREFIX + digest.hexdigest()


def check_checksum(path: Path, payload: Mapping[str, Any]) -> None:
    """Refuse a file whose weights or settings differ from what was saved."""
    saved = payload.get("checksum")
    if not isinstance(saved, str) or not saved.startswith(CHECKSUM_PREFIX):
        raise _refuse(path, "checksum", f"is {_kind(saved)}, not a SHA-256 checksum of the weights")
    if checksum(payload) != saved:
        raise DataError(f"{path}: its weights or settings do not match their checksum: the file is damaged; "
                        "save or download it again.")


# ---- shapes from the settings ------------------------------------------------------------------


def _stack_shapes(prefix: str, spec: StackSpec, input_size: int) -> dict[str, tuple[int, ...]]:
    """torch's names and shapes of one stack's parameters (fused and scratch alike)."""
    gates = len(GATES[spec.cell])
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in range(spec.num_layers):
        layer_input = spec.layer_input_size(layer, input_size)
        for direction, hidden in enumerate(spec.direction_sizes(layer)):
            suffix = f"l{layer}" + ("_reverse" if direction == 1 else "")
            shapes[f"{prefix}weight_ih_{suffix}"] = (gates * hidden, layer_input)
            shapes[f"{prefix}weight_hh_{suffix}"] = (gates * hidden, hidden)
            shapes[f"{prefix}bias_ih_{suffix}"] = (gates * hidden,)
            shapes[f"{prefix}bias_hh_{suffix}"] = (gates * hidden,)
    return shapes


def _linear(prefix: str, inputs: int, outputs: int) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}weight": (outputs, inputs), f"{prefix}bias": (outputs,)}


def expected_shapes(config: ModelConfig, vocab_sizes: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Every parameter ``build_model(config, vocabs)`` creates, by name, with its shape: worked out
    by arithmetic, so that a config claiming a huge model costs nothing to check."""
    if config.task == "adding":  # two numbers in per step, one out
        shapes = _stack_shapes("stack.rnn.", config.stack, ADDING_INPUTS)
        shapes.update(_linear("output.", config.stack.output_size, 1))
        return shapes
    if config.task != "mt":  # a language model, recall or copy: symbols in, symbols out
        (vocab,) = vocab_sizes
        shapes = {"embedding.weight": (vocab, config.embed_size)} if config.embed_size else {}
        shapes.update(_stack_shapes("stack.rnn.", config.stack, config.embed_size or vocab))
        shapes.update(_linear("output.", config.stack.output_size, vocab))
        return shapes
    encoder, decoder, embed = config.stack, config.decoder, config.embed_size
    assert decoder is not None and embed is not None  # ModelConfig refuses a translation model without them
    source, target = vocab_sizes
    shapes = {"encoder.embedding.weight": (source, embed)}
    shapes.update(_stack_shapes("encoder.stack.rnn.", encoder, embed))
    if config.resolved_bridge == "linear":
        carries_cell = encoder.cell == "lstm" and decoder.cell == "lstm"
        for layer in range(encoder.num_layers):
            sizes = (encoder.layer_output_size(layer), decoder.hidden_sizes[layer])
            shapes.update(_linear(f"bridge.hidden.{layer}.", *sizes))
            if carries_cell:
                shapes.update(_linear(f"bridge.cell.{layer}.", *sizes))
    shapes["decoder.embedding.weight"] = (target, embed)
    # The decoder reads each step's embedding with the encoder's context (top layer, both directions).
    shapes.update(_stack_shapes("decoder.stack.rnn.", decoder, embed + encoder.output_size))
    shapes.update(_linear("decoder.output.", decoder.output_size, target))
    return shapes


def check_shapes(path: Path, config: ModelConfig, vocab_sizes: tuple[int, ...],
                 state_dict: Mapping[str, torch.Tensor]) -> None:
    """Refuse weights that are not exactly the ones the settings imply, before any model is built."""
    stacks = [config.stack] + ([config.decoder] if config.decoder is not None else [])
    needed = sum(4 * spec.num_layers * spec.num_directions for spec in stacks)  # w_ih, w_hh, b_ih, b_hh
    if needed > len(state_dict):  # a cheap bound first: settings claiming thousands of layers stop here
        raise DataError(f"{path}: the weights do not fit the model its settings describe: the settings need "
                        f"at least {needed:,} recurrent weight tensors, the file holds {len(state_dict):,}. "
                        + _DAMAGED)
    expected = expected_shapes(config, vocab_sizes)
    problems = [f"{name} is missing" for name in expected if name not in state_dict]
    problems += [f"{name} is not a parameter of this model" for name in state_dict if name not in expected]
    problems += [f"{name} is {_size(state_dict[name].shape)} in the file, the settings need {_size(shape)}"
                 for name, shape in expected.items()
                 if name in state_dict and tuple(state_dict[name].shape) != shape]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise DataError(f"{path}: the weights do not fit the model its settings describe: "
                        f"{'; '.join(problems[:3])}{more}. " + _DAMAGED)


def check_finite(path: Path, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Refuse weights holding NaN or infinite values, naming each parameter and how many."""
    found: list[str] = []
    for name in sorted(state_dict):
        tensor = state_dict[name]
        nan = int(torch.isnan(tensor).sum())
        inf = int(torch.isinf(tensor).sum())
        if nan or inf:
            counts = " and ".join(part for part in (f"{nan:,} NaN" if nan else "",
                                                    f"{inf:,} infinite" if inf else "") if part)
            found.append(f"{name} has {counts} of {tensor.numel():,} values")
    if found:
        more = f" (and {len(found) - 4} more parameters)" if len(found) > 4 else ""
        raise DataError(f"{path}: its weights are not all finite numbers: {'; '.join(found[:4])}{more}. "
                        "The run that saved it diverged, or the file was damaged; train it again (a lower "
                        "learning rate helps) or open another checkpoint.")
