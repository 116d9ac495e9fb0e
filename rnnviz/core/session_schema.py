"""What a lecture session may hold: every section and field the app reads, with its type and range.

A session file comes from someone else as often as from this machine, so it is checked whole
before anything is applied (:func:`check_session`): the type of every section and field the
app reads, numbers finite and within the ranges of the controls that show them, names from the
known sets, text of a sane length, a plain checkpoint file name. The first wrong field is named
with its value and what is allowed (:class:`FieldError`). Fields the app does not read are left
alone, but no part of the file may nest deeper than :data:`MAX_DEPTH`.

The ranges are those of the panels' controls: a number with a record in ``rnnviz.core.limits``
takes the range its spin box is given (``Limit.spin_range``), the others the panel's own; the
names are those of the panels' combo boxes. ``tests/gui/test_session_files.py`` checks that
they stay equal. The app's settings (``rnnviz.gui.settings_io``) hold the same ``config``
section and are checked by the same rules.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from rnnviz.core import limits as lim
from rnnviz.core.config import CELLS, INITS, ModelConfig
from rnnviz.core.decoding.scoring import LENGTH_PENALTIES
from rnnviz.core.decoding.tree_layout import PRUNED_MODES
from rnnviz.core.errors import DataError, RnnvizError

#: Nesting deeper than this is no session rnnviz wrote (it nests five levels).
MAX_DEPTH = 32
#: Text typed into a control (a probe, a prompt, a sentence): as many characters as a trace takes tokens.
MAX_TEXT = lim.TRACE_TOKENS.hi
MAX_PATH = 4096

TASKS = ("lm", "mt", "recall", "adding", "copy")
TEXT_TASKS = ("lm", "mt")  # the tasks read from a corpus (a user's file is one of these)
MEMORY_TASKS = ("recall", "adding", "copy")  # generated from their settings (the Data dock's "memory")
#: The Builder's dropout box (rnnviz.gui.widgets.stack_editor) stops below the config's bound of 1.
MAX_DROPOUT = 0.95
# Names the panels' combo boxes hold (the GUI test compares them with the panels).
OPTIMIZERS = ("sgd", "adam")
LM_SAMPLINGS = ("random-offset", "book")  # DataConfig.lm_sampling
MT_SPLITS = ("fractions", "book")  # the Config dock's translation split (book: DataConfig.num_val set)
GENERATE_STRATEGIES = ("greedy", "sample", "beam")
BEAM_STRATEGIES = ("greedy", "beam", "exhaustive")
BEAM_SOURCES = ("d2l", "file", "model")
BEAM_CANDIDATES = ("eos", "book")
GATE_PARTS = ("lm", "encoder", "decoder")
GATE_DIRECTIONS = ("forward", "backward")
GATE_SORTS = ("as-is", "mean", "variance")
X_AXES = ("step", "epoch", "time")
METRICS = ("loss", "perplexity")
DEVICE = re.compile(r"auto|cpu|mps|cuda(:[0-9]{1,3})?")


class FieldError(DataError):
    """A field of a session (or of the saved settings) that the app cannot use as it is."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field} is {shown(value)}; {allowed}")


class NewerFormat(DataError):
    """A session written by a newer rnnviz, whose format this one does not know."""


def shown(value: Any) -> str:
    """``value`` as a message shows it: a type for containers, a short repr otherwise."""
    if isinstance(value, dict):
        return f"an object with {len(value)} field(s)"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    text = repr(value)
    if len(text) <= 60:
        return text
    return f"{text[:40]}… ({len(value) if isinstance(value, str) else len(text):,} characters)"


# ---- the kinds of field ------------------------------------------------------------------------

@dataclass(frozen=True)
class Int:
    low: int
    high: int

    def check(self, value: Any, field: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(field, value, f"a whole number from {self.low:,} to {self.high:,} is allowed")
        if not self.low <= value <= self.high:
            raise FieldError(field, value, f"allowed: {self.low:,} to {self.high:,}")


@dataclass(frozen=True)
class Float:
    low: float
    high: float

    def check(self, value: Any, field: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldError(field, value, f"a number from {self.low:g} to {self.high:g} is allowed")
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise FieldError(field, value, f"allowed: a finite number from {self.low:g} to {self.high:g}")


@dataclass(frozen=True)
class Bool:
    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, bool):
            raise FieldError(field, value, "allowed: true or false")


@dataclass(frozen=True)
class Text:
    max_len: int = MAX_TEXT
    pattern: re.Pattern[str] | None = None
    described: str = ""  # what ``pattern`` allows, in words

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, str):
            raise FieldError(field, value, f"text of at most {self.max_len:,} characters is allowed")
        if len(value) > self.max_len:
            raise FieldError(field, value, f"allowed: at most {self.max_len:,} characters")
        if "\x00" in value:
            raise FieldError(field, value, "allowed: text without NUL characters")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise FieldError(field, value, f"allowed: {self.described or self.pattern.pattern}")


@dataclass(frozen=True)
class LocalPath(Text):
    """A file or folder path on this machine: a network share (``\\\\server\\share``) is refused, since
    only looking at one (Windows) sends the user's credentials to that server."""

    max_len: int = MAX_PATH

    def check(self, value: Any, field: str) -> None:
        super().check(value, field)
        if value[:2] in ("\\\\", "//", "\\/", "/\\"):
            raise FieldError(field, value, "allowed: a path on this machine, not a network share")


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, str) or value not in self.values:
            raise FieldError(field, value, f"allowed: {', '.join(self.values)}")


@dataclass(frozen=True)
class Maybe:
    inner: Any

    def check(self, value: Any, field: str) -> None:
        if value is not None:
            self.inner.check(value, field)


@dataclass(frozen=True)
class ListOf:
    item: Any
    min_len: int
    max_len: int

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, list):
            raise FieldError(field, value, f"a list of {self.min_len} to {self.max_len} items is allowed")
        if not self.min_len <= len(value) <= self.max_len:
            raise FieldError(field, value, f"allowed: {self.min_len} to {self.max_len} items")
        for index, item in enumerate(value):
            self.item.check(item, f"{field}[{index}]")


@dataclass(frozen=True)
class Pair:
    first: Any
    second: Any

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, list) or len(value) != 2:
            raise FieldError(field, value, "a list of two items is allowed")
        self.first.check(value[0], f"{field}[0]")
        self.second.check(value[1], f"{field}[1]")


@dataclass(frozen=True)
class Fields:
    """An object: the fields the app reads, each optional; other fields are not read."""

    fields: Mapping[str, Any]

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, dict):
            raise FieldError(field, value, "an object ({...}) is allowed")
        for name, spec in self.fields.items():
            if name in value:
                spec.check(value[name], f"{field}.{name}" if field else name)


@dataclass(frozen=True)
class Model:
    """A model configuration (ModelConfig.to_dict()): its fields, then the config's own rules."""

    def check(self, value: Any, field: str) -> None:
        MODEL_FIELDS.check(value, field)
        for name in ("task", "stack"):
            if name not in value:
                raise FieldError(f"{field}.{name}", None, "a model needs its task and its stack")
        try:
            ModelConfig.from_dict(value)
        except (RnnvizError, TypeError, ValueError, KeyError) as exc:  # ConfigError: the config's own words
            raise FieldError(field, value, f"this model cannot be built: {exc}") from None


def ranged(limit: lim.Limit) -> Int | Float:
    """The range the app's control for ``limit`` accepts: its spin box is set from the same record."""
    low, high = limit.spin_range()
    return Int(int(low), int(high)) if limit.integer else Float(float(low), float(high))


HIDDEN = Int(lim.HIDDEN_SIZE.lo, lim.HIDDEN_SIZE.hi)
STACK_FIELDS = Fields({
    "cell": Choice(CELLS),
    "hidden_sizes": ListOf(HIDDEN, 1, lim.NUM_LAYERS.hi),
    "bidirectional": Bool(),
    "dropout": Float(0.0, MAX_DROPOUT),
    "implementation": Choice(("auto", "fused", "scratch")),
    "backward_sizes": Maybe(ListOf(HIDDEN, 1, lim.NUM_LAYERS.hi)),
})
MODEL_FIELDS = Fields({
    "task": Choice(TASKS),
    "stack": STACK_FIELDS,
    "decoder": Maybe(STACK_FIELDS),
    "embed_size": Maybe(Int(lim.EMBED_SIZE.lo, lim.EMBED_SIZE.hi)),
    "bridge": Choice(("auto", "identity", "linear")),
    "init": Choice(INITS),
    "mask_padding": Bool(),  # translation; absent: masked, as every model before the option
})

SEED = ranged(lim.SEED)
ALPHA = ranged(lim.ALPHA)
BEAM_SIZE = ranged(lim.BEAM_SIZE)
VOCAB = Int(lim.VOCAB_SIZE.lo, lim.VOCAB_SIZE.hi)

# ---- the sections ------------------------------------------------------------------------------

DATA = Fields({
    "corpus": LocalPath(),  # a registry name or a file path
    "sources": ListOf(LocalPath(), 0, lim.SOURCES.hi - 1),  # a language model's further texts, beside corpus
    "task": Choice(TASKS),
    "user_files": ListOf(Pair(LocalPath(), Choice(TEXT_TASKS)), 0, 100),
    "last": Fields({**{task: LocalPath() for task in TEXT_TASKS}, "memory": Choice(MEMORY_TASKS)}),
    "last_dir": LocalPath(),
    # A task that needs memory: the Data dock's settings (DataConfig's names; num_steps absent: it follows).
    "memory": Fields({
        "lag": ranged(lim.LAG), "num_steps": ranged(lim.NUM_STEPS), "symbols": ranged(lim.SYMBOLS),
        "copy_length": ranged(lim.COPY_LENGTH), "num_train": ranged(lim.TASK_SEQUENCES),
        "num_val": ranged(lim.TASK_SEQUENCES), "seed": SEED,
    }),
})

BUILDER = Fields({
    "task": Choice(TASKS),
    "vocab_sizes": Fields({"lm": ListOf(VOCAB, 1, 1), "mt": ListOf(VOCAB, 2, 2), "recall": ListOf(VOCAB, 1, 1),
                           "copy": ListOf(VOCAB, 1, 1), "adding": ListOf(VOCAB, 0, 0)}),
    "model": Model(),
})

GATES = Fields({
    "probe": Text(), "saturation_text": Text(), "follow": Bool(),
    "part": Choice(GATE_PARTS), "layer": Int(0, lim.NUM_LAYERS.hi - 1), "direction": Choice(GATE_DIRECTIONS),
    "sort": Choice(GATE_SORTS), "sort_gate": Text(32), "top_n": ranged(lim.TOP_UNITS),
    "unit_filter": Text(1000), "speed": ranged(lim.PLAY_SPEED), "step": Int(0, MAX_TEXT),
    "unit": ranged(lim.UNIT_INDEX), "sequence": Int(0, lim.TASK_SEQUENCES.hi - 1),
})

GRADIENTS = Fields({
    "text": Text(), "reference": Text(), "sequence": Int(0, lim.NUM_VAL.hi - 1), "follow": Bool(),
    "layer": Int(1, lim.NUM_LAYERS.hi), "direction": Choice(GATE_DIRECTIONS), "part": Choice(GATE_PARTS),
    "cell": Bool(),
})

TRANSLATE = Fields({
    "sentence": Text(), "reference": Text(), "beam_size": BEAM_SIZE, "nbest": ranged(lim.NBEST),
    "alpha": ALPHA, "length_penalty": Choice(LENGTH_PENALTIES),
})

GENERATE = Fields({
    "prefix": Text(), "length": ranged(lim.GENERATION_LENGTH), "strategy": Choice(GENERATE_STRATEGIES),
    "temperature": ranged(lim.TEMPERATURE), "seed": SEED, "beam_size": BEAM_SIZE, "alpha": ALPHA,
    "top_k": ranged(lim.TOP_K_BARS),
})

BEAM = Fields({
    "source": Choice(BEAM_SOURCES), "toy_path": Maybe(LocalPath()), "text": Text(),
    "strategy": Choice(BEAM_STRATEGIES), "beam_size": BEAM_SIZE, "max_len": ranged(lim.TREE_MAX_LEN),
    "alpha": ALPHA, "length_penalty": Choice(LENGTH_PENALTIES), "candidates": Choice(BEAM_CANDIDATES),
    "nbest": ranged(lim.NBEST), "pruned": Choice(PRUNED_MODES),
})

#: The Config dock's fields, with the Builder's and the model tabs' states inside (MainWindow.panels_state).
CONFIG = Fields({
    "task": Choice(TASKS),
    "epochs": ranged(lim.EPOCHS),
    "optimizer": Choice(OPTIMIZERS),
    "lr": ranged(lim.LEARNING_RATE),
    "clip": ranged(lim.GRAD_CLIP),
    "batch_size": ranged(lim.BATCH_SIZE),
    "num_steps": ranged(lim.NUM_STEPS),
    "max_examples": ranged(lim.MAX_EXAMPLES),
    "lm_sampling": Choice(LM_SAMPLINGS),
    "mt_split": Choice(MT_SPLITS),
    "seed": SEED,
    "mask_padding": Bool(),  # translation: the Config dock's Loss: "Mask padding"
    "builder": BUILDER, "gates": GATES, "gradients": GRADIENTS, "translate": TRANSLATE, "generate": GENERATE,
    "beam": BEAM,
})

VIEW = Fields({
    "smoothing": Float(0.0, 0.999), "log_y": Bool(), "x_axis": Choice(X_AXES), "metric": Choice(METRICS),
    "probe": Text(), "gradients": Bool(),
})

SECTIONS: dict[str, Fields] = {"data": DATA, "config": CONFIG, "view": VIEW}

#: A recorded run the session opens (rnnviz.core.runs): its folder, the epoch shown, each tab's epoch.
RUN_EPOCH = Int(0, 10 * lim.EPOCHS.hi)  # a continued run counts on from its history's epochs
RUN_TABS = ("training", "gates", "gradients", "translate", "generate", "beam")
RUN = Fields({"path": LocalPath(), "epoch": Maybe(RUN_EPOCH), "tabs": Fields({t: RUN_EPOCH for t in RUN_TABS})})


# ---- checks ------------------------------------------------------------------------------------

def check_depth(value: Any, field: str = "", depth: int = 0) -> None:
    """Refuse nesting deeper than MAX_DEPTH anywhere, read or not (without recursing past it)."""
    stack: list[tuple[Any, str, int]] = [(value, field, depth)]
    while stack:
        item, where, level = stack.pop()
        if level > MAX_DEPTH:
            where = where if len(where) <= 60 else f"{where[:60]}…"
            raise FieldError(where or "the file", item, f"allowed: at most {MAX_DEPTH} levels of nesting")
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k), level + 1) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]", level + 1) for i, v in enumerate(item))


def check_section(name: str, value: Any) -> None:
    """Check one section ("data", "config" or "view"); raises FieldError naming the first wrong field."""
    check_depth(value, name)
    SECTIONS[name].check(value, name)


def check_checkpoint_name(value: Any) -> None:
    """The checkpoint is a plain file name beside the session: no folder, no drive, no ``..``."""
    Maybe(Text(255)).check(value, "checkpoint")
    if value is None:
        return
    plain = (value not in ("", ".", "..") and PurePosixPath(value).name == value
             and PureWindowsPath(value).name == value and not any(c in value for c in "/\\:"))
    if not plain:
        raise FieldError("checkpoint", value, "allowed: a plain file name beside the session, without folders")


def check_session(payload: Any, version: int) -> None:
    """Check a whole session (parsed JSON) written by a format up to ``version``; FieldError if not.

    The format and version first (a newer version is refused as such, before its fields are
    judged by older rules), then the nesting, then every section the app reads."""
    if not isinstance(payload, dict):
        raise FieldError("the file", payload, "an rnnviz session is a JSON object")
    Int(1, 2**63).check(payload.get("version"), "version")
    if payload["version"] > version:
        raise NewerFormat(f"was saved by a newer rnnviz; update rnnviz to open it (its format is version "
                          f"{payload['version']}; this rnnviz reads up to version {version}).")
    check_depth(payload)
    for name, spec in SECTIONS.items():
        if name in payload:
            spec.check(payload[name], name)
    if "device" in payload:
        Text(32, DEVICE, "auto, cpu, mps, cuda or cuda:N").check(payload["device"], "device")
    check_checkpoint_name(payload.get("checkpoint"))
    if payload.get("run") is not None:
        RUN.check(payload["run"], "run")
        if "path" not in payload["run"]:
            raise FieldError("run.path", None, "a run needs the path of its folder")
