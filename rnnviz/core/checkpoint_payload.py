"""The types and ranges of a checkpoint's entries: the first of the checks in ``checkpoint_checks``.

Every field must have the type and the range rnnviz writes (``check_payload``): settings as plain
data nested a few levels at most, vocabularies holding their reserved tokens, weights as dense
floating-point tensors storing every value they claim, curves as lists of numbers. The numbers no
tensor bounds (window length, batch size, seeds) must lie in the ranges of ``rnnviz.core.limits``.
Each refusal names the file and the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from rnnviz.core import limits as lim
from rnnviz.core.config import CELLS, INITS, TASKS
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK
from rnnviz.core.errors import DataError

#: The entries the checksum covers besides the tensors: what gives the weights their meaning.
CHECKSUMMED = ("task", "model_config", "data_config", "train_config", "vocabs")

_DAMAGED = "The file is damaged or was not written by rnnviz; save or download it again."
_OUT_OF_RANGE = ("The file was damaged, crafted, or saved by an rnnviz with other limits; train or save "
                 "the model again with this rnnviz.")
_MAX_BITS = 256  # a whole number longer than this is no setting: refused before it is printed or hashed
_MAX_DEPTH = 4  # model_config.stack.hidden_sizes[i] is the deepest entry rnnviz writes
_HISTORY_FIELDS = ("step", "loss", "grad_norm", "epoch", "train_loss", "val_loss", "elapsed", "clip_scale",
                   "val_metric")
#: Curves that may hold None: an epoch without validation data or metric, a step saved before clip scales were kept.
_OPTIONAL_HISTORY = ("val_loss", "clip_scale", "val_metric")
#: The metrics a model may measure besides its loss (``rnnviz.core.train.model_metric``).
_METRICS = ("accuracy", "mse")
_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _refuse(path: Path, field: str, problem: str, advice: str = _DAMAGED) -> DataError:
    return DataError(f"{path}: {field} {problem}. {advice}")


def _kind(value: Any) -> str:
    """A value's type in words, for messages: "a str", "None"."""
    return "None" if value is None else f"a {type(value).__name__}"


def _shown(value: Any) -> str:
    """A value as a message shows it: its repr, cut short (a crafted file may hold megabytes)."""
    if _is_int(value) and value.bit_length() > _MAX_BITS:
        return f"a {value.bit_length():,}-bit number"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ---- types and ranges --------------------------------------------------------------------------


class _Fields:
    """Checks the entries of one dict of the file, naming each as ``prefix.key``.

    An absent key passes unless ``required``: the settings' own default applies, as for files
    saved before that setting existed. A key whose default would silently change what the
    weights mean (the cell, the sizes, the corpus) is required."""

    def __init__(self, path: Path, prefix: str, data: Any, what: str) -> None:
        if data is None:
            raise _refuse(path, prefix, f"({what}) is missing")
        if not isinstance(data, dict):
            raise _refuse(path, prefix, f"({what}) is {_kind(data)}, not a table of settings")
        self.path, self.prefix, self.data = path, prefix, data

    def _fail(self, key: str, problem: str) -> DataError:
        return _refuse(self.path, f"{self.prefix}.{key}", problem)

    def _absent(self, key: str, required: bool) -> bool:
        if key in self.data:
            return False
        if required:
            raise self._fail(key, "is missing")
        return True

    def whole(self, key: str, limit: lim.Limit, optional: bool = False) -> None:
        """A whole number in ``limit``'s range (the range the CLI and the app accept)."""
        if self._absent(key, False) or (optional and self.data[key] is None):
            return
        value = self.data[key]
        if not _is_int(value):
            raise self._fail(key, f"is {_kind(value)}, not a whole number")
        if value.bit_length() > _MAX_BITS:  # beyond any limit, and too long to print
            raise self._fail(key, f"is {_shown(value)}, out of the range {limit.range_text()}")
        if not limit.contains(value):
            raise DataError(f"{self.path}: {self.prefix}.{key} is out of range: {limit.message(value)} "
                            + _OUT_OF_RANGE)

    def number(self, key: str, optional: bool = False) -> None:
        if self._absent(key, False) or (optional and self.data[key] is None):
            return
        value = self.data[key]
        if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            raise self._fail(key, f"is {_shown(value)}, not a finite number")

    def choice(self, key: str, choices: Iterable[str | None], required: bool = False) -> None:
        if self._absent(key, required):
            return
        value = self.data[key]
        allowed = tuple(choices)
        if not (value is None or isinstance(value, str)) or value not in allowed:
            names = ", ".join("none" if c is None else str(c) for c in allowed)
            raise self._fail(key, f"is {_shown(value)}, not one of {names}")

    def flag(self, key: str) -> None:
        if not self._absent(key, False) and not isinstance(self.data[key], bool):
            raise self._fail(key, f"is {_kind(self.data[key])}, not true or false")

    def text(self, key: str, required: bool = False) -> None:
        if self._absent(key, required):
            return
        value = self.data[key]
        if not isinstance(value, str) or not value:
            raise self._fail(key, f"is {_kind(value)}, not a non-empty text")

    def int_list(self, key: str, required: bool = False, optional: bool = False) -> None:
        if self._absent(key, required) or (optional and self.data[key] is None):
            return
        value = self.data[key]
        if not isinstance(value, list) or not value or not all(_is_int(v) and v >= 1 for v in value):
            raise self._fail(key, "is not a list of whole numbers of at least 1")


def _check_stack(path: Path, prefix: str, data: Any) -> None:
    stack = _Fields(path, prefix, data, "a recurrent stack")
    stack.choice("cell", CELLS, required=True)
    stack.int_list("hidden_sizes", required=True)
    stack.flag("bidirectional")
    stack.number("dropout")
    stack.choice("implementation", ("auto", "fused", "scratch"))
    stack.int_list("backward_sizes", optional=True)


def _check_model_config(path: Path, task: str, data: Any) -> None:
    model = _Fields(path, "model_config", data, "the model's settings")
    model.choice("task", (task,), required=True)
    _check_stack(path, "model_config.stack", data.get("stack"))
    if task == "mt" or data.get("decoder") is not None:
        _check_stack(path, "model_config.decoder", data.get("decoder"))
    model.whole("embed_size", lim.EMBED_SIZE, optional=True)
    model.choice("bridge", ("auto", "identity", "linear"))
    model.choice("init", INITS)  # absent: saved before the option, read as "torch" (ModelConfig.from_dict)
    model.flag("mask_padding")  # absent: saved before the option, read as masked (ModelConfig.from_dict)


def _check_data_config(path: Path, task: str, data: Any) -> None:
    config = _Fields(path, "data_config", data, "the data settings")
    config.text("corpus", required=True)
    config.choice("task", (None, task))
    config.choice("token_level", ("char", "word"))
    config.choice("lm_cleaning", (None, "letters", "lower"))
    config.whole("num_steps", lim.NUM_STEPS, optional=True)
    config.whole("batch_size", lim.BATCH_SIZE, optional=True)
    config.whole("min_freq", lim.MIN_FREQ, optional=True)
    config.whole("max_examples", lim.MAX_EXAMPLES, optional=True)
    config.number("val_fraction")
    config.number("test_fraction")
    config.whole("seed", lim.SEED)
    # Absent in files saved before the book's sampling existed: DataConfig's defaults (random offsets,
    # fractions) are what those models were trained with.
    config.choice("lm_sampling", ("random-offset", "book"))
    config.whole("num_train", lim.NUM_TRAIN, optional=True)
    config.whole("num_val", lim.NUM_VAL, optional=True)
    # The tasks that need memory (absent in other files): DataConfig then checks the task reads each.
    config.whole("lag", lim.LAG, optional=True)
    config.whole("symbols", lim.SYMBOLS, optional=True)
    config.whole("copy_length", lim.COPY_LENGTH, optional=True)
    # A language model's further texts (absent in files saved before them: one text).
    sources = data.get("sources", [])
    if not isinstance(sources, (list, tuple)) or len(sources) >= lim.SOURCES.hi \
            or not all(isinstance(s, str) and s for s in sources):
        raise _refuse(path, "data_config.sources", f"is {_kind(sources)}, not a list of at most "
                      f"{lim.SOURCES.hi - 1} corpus names or file paths")


def _check_train_config(path: Path, data: Any) -> None:
    """A table or nothing. Its values are a recipe for continuing, not what the weights mean: one
    that ``TrainConfig`` refuses (an lr of inf from an older rnnviz) is dropped with a note when the
    file is opened (``checkpoint.load_checkpoint``)."""
    if data is not None and not isinstance(data, dict):
        raise _refuse(path, "train_config", f"(the training settings) is {_kind(data)}, not a table of settings")


def vocab_names(task: str) -> tuple[str, ...]:
    """The vocabularies a checkpoint of ``task`` holds: the adding problem reads numbers and has none."""
    return ("source", "target") if task == "mt" else () if task == "adding" else ("tokens",)


def _check_vocabs(path: Path, task: str, data: Any) -> None:
    names = vocab_names(task)
    if not isinstance(data, dict):
        raise _refuse(path, "vocabs", f"is {_kind(data)}, not a table of vocabularies")
    for name in names:
        field = f"vocabs.{name}"
        tokens = data.get(name)
        if not isinstance(tokens, list):
            raise _refuse(path, field, f"is {_kind(tokens)}, not a list of tokens")
        for index, token in enumerate(tokens):
            if not isinstance(token, str):
                raise _refuse(path, f"{field}[{index}]", f"is {_shown(token)} ({_kind(token)}), not a token (text)")
        # The book's split gives the source no <bos> (its MTFraEng's source vocabulary has none).
        needed = (UNK,) if task != "mt" else (PAD, EOS, UNK) if name == "source" else (PAD, BOS, EOS, UNK)
        missing = [t for t in needed if t not in tokens]
        if missing:
            raise _refuse(path, field, f"lacks the reserved token(s) {' '.join(missing)}")
        if len(set(tokens)) != len(tokens):
            raise _refuse(path, field, "holds a token twice")


def _check_state_dict(path: Path, data: Any) -> None:
    if not isinstance(data, dict) or not data:
        raise _refuse(path, "state_dict", f"(the weights) is {_kind(data)}, not a table of tensors")
    for name, tensor in data.items():
        if not isinstance(name, str):
            raise _refuse(path, "state_dict", f"has an entry named {_shown(name)}, not a parameter name")
        if not isinstance(tensor, torch.Tensor) or tensor.layout != torch.strided:
            raise _refuse(path, f"state_dict[{_shown(name)}]", f"is {_kind(tensor)}, not a dense tensor")
        if tensor.dtype not in _FLOAT_DTYPES:
            raise _refuse(path, f"state_dict[{_shown(name)}]", f"holds {tensor.dtype} values, not floating-point "
                          "weights")
    _check_storage(path, data)


def _check_storage(path: Path, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Refuse tensors that claim more values than the file stores: a tensor of stride 0 over one
    stored number claims any shape, and copying it (to check it, to load it) would allocate them all.
    rnnviz saves every tensor with storage of its own, so the claimed bytes never exceed the stored ones."""
    stored: dict[int, int] = {}  # each distinct storage once, by address
    claimed = 0
    for name, tensor in state_dict.items():
        storage = tensor.untyped_storage()
        size = tensor.numel() * tensor.element_size()  # a Python int: no overflow for absurd shapes
        if size > storage.nbytes():
            raise _refuse(path, f"state_dict[{_shown(name)}]", f"claims {tensor.numel():,} values "
                          f"({_size(tensor.shape)}) but the file stores {storage.nbytes():,} bytes for it")
        stored[storage.data_ptr()] = storage.nbytes()
        claimed += size
    if claimed > sum(stored.values()):
        raise _refuse(path, "state_dict", f"claims {claimed:,} bytes of weights but the file stores "
                      f"{sum(stored.values()):,}: its tensors share their values")


def _check_history(path: Path, data: Any) -> None:
    if data is None:
        return
    if not isinstance(data, dict):
        raise _refuse(path, "history", f"(the training curves) is {_kind(data)}, not a table of curves")
    for name in _HISTORY_FIELDS:
        values = data.get(name, [])
        if not isinstance(values, list):
            raise _refuse(path, f"history.{name}", f"is {_kind(values)}, not a list of numbers")
        optional = name in _OPTIONAL_HISTORY
        if not all(_is_number(v) or (optional and v is None) for v in values):
            raise _refuse(path, f"history.{name}", "holds something other than numbers")
    metrics = data.get("metric", [])
    if not isinstance(metrics, list):
        raise _refuse(path, "history.metric", f"is {_kind(metrics)}, not a list of metric names")
    if not all(m is None or m in _METRICS for m in metrics):
        raise _refuse(path, "history.metric", f"holds something other than {' or '.join(_METRICS)}")


def _check_plain(path: Path, field: str, value: Any) -> None:
    """Plain data as rnnviz writes it: text, numbers, true/false, none, lists and tables with text
    keys, nested a few levels at most, whole numbers of at most 256 bits; so that hashing it or printing it
    cannot recurse without end or choke on a number of a million digits."""
    pending: list[tuple[str, Any, int]] = [(field, value, 0)]
    while pending:
        name, item, depth = pending.pop()
        if isinstance(item, (list, dict)) and depth >= _MAX_DEPTH:
            raise _refuse(path, name, f"is nested deeper than the {_MAX_DEPTH} levels rnnviz writes")
        if isinstance(item, list):
            pending.extend((f"{name}[{i}]", v, depth + 1) for i, v in enumerate(item))
        elif isinstance(item, dict):
            for key, v in item.items():
                if not isinstance(key, str):
                    raise _refuse(path, name, f"has a key {_shown(key)}, not a name")
                pending.append((f"{name}.{key}", v, depth + 1))
        elif _is_int(item) and item.bit_length() > _MAX_BITS:
            raise _refuse(path, name, f"is {_shown(item)}, beyond any number rnnviz writes")
        elif not (item is None or isinstance(item, (str, bool, int, float))):
            raise _refuse(path, name, f"is {_kind(item)}, not plain data (text, numbers, lists)")


def check_payload(path: Path, payload: Mapping[str, Any]) -> None:
    """Refuse, naming the field, any entry whose type or range is not what rnnviz writes."""
    for key in (*CHECKSUMMED, "history"):
        _check_plain(path, key, payload.get(key))
    task = payload.get("task")
    if task not in TASKS:
        raise _refuse(path, "task", f"is {_shown(task)}, not lm (a language model) or mt (a translation model), "
                      "nor a task that needs memory (recall, adding, copy)")
    _check_model_config(path, task, payload.get("model_config"))
    _check_data_config(path, task, payload.get("data_config"))
    _check_train_config(path, payload.get("train_config"))
    _check_vocabs(path, task, payload.get("vocabs"))
    _check_state_dict(path, payload.get("state_dict"))
    _check_history(path, payload.get("history"))



def _size(shape: Iterable[int]) -> str:
    return "×".join(map(str, shape)) or "a single value"
