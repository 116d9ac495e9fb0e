"""The range of every number a user can give: one record per option, shared by the core, the CLI and the app.

A :class:`Limit` says what a number means, its lowest and highest value, and
why the bound is there. The configs (:mod:`rnnviz.core.config`) and the
decoders check their arguments with :meth:`Limit.check`; the CLI's argparse
types (:mod:`rnnviz.cli.common`) and the app's spin boxes (``setRange(*limit.
spin_range())``) read the same records, and ``docs/limits.md`` holds the table
:func:`markdown_table` writes (a test keeps the two equal).

The bounds are fixed, so that a setting valid on one machine is valid on all.
Where a product of valid numbers could still exceed memory (a beam's tree, a
model with a large vocabulary, a batch of long windows), the code that knows
the product estimates its bytes and asks :func:`check_memory` before
allocating anything.

Like the configs, this module depends on nothing but ``rnnviz.core.errors``.
"""

from __future__ import annotations

import math
import operator
import os
import sys
from dataclasses import dataclass, replace
from typing import Any, Union

from rnnviz.core.errors import ConfigError, RnnvizError

Number = Union[int, float]

#: The largest value a Qt spin box holds (a C int): a wider limit is cut to it in the app.
SPIN_MAX = 2**31 - 1


def format_number(value: Any) -> str:
    """1 -> "1", 4096 -> "4,096", 1e-5 -> "0.00001", 2.5 -> "2.5"; anything else as str()."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) < 1e-3:
        return f"{value:.12f}".rstrip("0")
    return f"{value:g}"


def _is_whole(value: object) -> bool:
    # numpy integers count as whole numbers; bool does not (True is not a size)
    return not isinstance(value, bool) and hasattr(value, "__index__")


def _is_real(value: object) -> bool:
    return _is_whole(value) or (not isinstance(value, bool) and isinstance(value, float)) or (
        type(value).__module__ == "numpy" and hasattr(value, "__float__"))


def _exact(value: Any) -> Number:
    """A whole number as an exact int (2**63 as a float would round to 2**63 - 1's neighbour), else a float."""
    return operator.index(value) if _is_whole(value) else float(value)


@dataclass(frozen=True)
class Limit:
    """The range of one number: ``lo`` to ``hi`` (open at an end when ``lo_open``/``hi_open``).

    ``special`` is a value outside the range with a meaning of its own (a
    temperature of 0 means greedy); the code that gives it that meaning accepts
    it, :meth:`check` does not unless asked. ``app_hi`` is a lower maximum the
    app offers (with the reason in ``doc``). ``cli`` and ``app`` name where a
    user types the number: ``"train --hidden"``, ``"Builder: hidden size"``.
    """

    name: str  # as messages say it: "the hidden size"
    lo: Number
    hi: Number
    doc: str  # why the bound is there, or what to do instead: ends every refusal
    unit: str = ""  # plural, e.g. "tokens"; "" for none
    lo_open: bool = False
    hi_open: bool = False
    special: tuple[Number, str] | None = None  # (value, meaning)
    app_hi: Number | None = None
    cli: tuple[str, ...] = ()
    app: tuple[str, ...] = ()

    @property
    def integer(self) -> bool:
        return isinstance(self.lo, int) and isinstance(self.hi, int)

    def _with_unit(self, value: Number) -> str:
        if not self.unit:
            return format_number(value)
        unit = self.unit[:-1] if value == 1 and self.unit.endswith("s") else self.unit
        return f"{format_number(value)} {unit}"

    def range_text(self) -> str:
        """"1 to 4,096 units", "above 0, up to 100", "0 to below 1"; with the special value's meaning."""
        lo, hi = format_number(self.lo), self._with_unit(self.hi)
        if self.lo_open:
            text = f"above {lo}, up to {hi}"
        elif self.hi_open:
            text = f"{lo} to below {hi}"
        else:
            text = f"{lo} to {hi}"
        if self.special is not None:
            text += f"; {format_number(self.special[0])} means {self.special[1]}"
        return text

    def contains(self, value: object, *, special: bool = False) -> bool:
        """Whether ``value`` is in range (a NaN never is); ``special``: the special value counts too."""
        if not _is_real(value):
            return False
        if special and self.special is not None and value == self.special[0]:
            return True
        if self.integer and not _is_whole(value):
            return False
        number = _exact(value)
        if math.isnan(number):
            return False
        above = number > self.lo if self.lo_open else number >= self.lo
        below = number < self.hi if self.hi_open else number <= self.hi
        return above and below

    def message(self, value: object) -> str:
        """Why ``value`` is refused: the name, the value, the range and what to do."""
        shown = format_number(value) if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**15 \
            else repr(value) if isinstance(value, str) else str(value)
        if not _is_real(value) or (self.integer and not _is_whole(value)):
            kind = "a whole number" if self.integer else "a number"
            head = f"{self.name} must be {kind}, not {shown}"
        elif ((self.lo > 0 and not self.integer) or (self.lo == 0 and self.lo_open)) and not _exact(value) > 0:
            head = f"{self.name} must be positive, not {shown}"
        elif math.isnan(_exact(value)):
            head = f"{self.name} must be a number, not nan"
        elif _exact(value) < self.lo or (self.lo_open and _exact(value) <= self.lo):
            bound = f"above {format_number(self.lo)}" if self.lo_open else f"at least {self._with_unit(self.lo)}"
            head = f"{self.name} must be {bound}, not {shown}"
        else:
            bound = f"below {format_number(self.hi)}" if self.hi_open else f"at most {self._with_unit(self.hi)}"
            head = f"{self.name} must be {bound}, not {shown}"
        return f"{head} (allowed: {self.range_text()}). {self.doc}"

    def check(self, value: Any, *, special: bool = False, error: type[RnnvizError] = ConfigError) -> Any:
        """``value`` if it is in range (or the special value, when ``special``); else raise ``error``."""
        if not self.contains(value, special=special):
            raise error(self.message(value))
        return value

    def spin_range(self) -> tuple[Number, Number]:
        """(minimum, maximum) for the app's spin box: the special value as the minimum, ``app_hi``,
        and at most what a spin box holds."""
        lo = self.special[0] if self.special is not None else self.lo
        hi = self.app_hi if self.app_hi is not None else self.hi
        if self.integer:
            return int(lo), int(min(hi, SPIN_MAX))
        return float(lo), float(hi)

    def app_range_text(self) -> str:
        """:meth:`range_text` as the app's spin box offers it (``app_hi``; at most a spin box's maximum)."""
        high = self.spin_range()[1]
        if high == self.hi:
            return self.range_text()
        return replace(self, hi=high, hi_open=False, app_hi=None).range_text()

    def tip(self, text: str) -> str:
        """A spin box's tooltip: ``text`` and the range it offers."""
        return f"{text} Range: {self.app_range_text()}."


# ---- the model --------------------------------------------------------------------------------

HIDDEN_SIZE = Limit(
    "the hidden size", 1, 4096, "Wider layers would not fit in a laptop's memory nor train in a lecture; "
    "the book uses 32 to 256.", "units",
    cli=("train --hidden", "stack --hidden", "series --hidden", "classify --hidden"),
    app=("Builder: hidden sizes", "Builder: Compare cells"))
NUM_LAYERS = Limit(
    "the number of layers", 1, 16, "Deeper stacks barely train and take minutes to build; the book uses 1 "
    "to 4. (The Builder's table shows up to 8.)", app_hi=8, cli=("train --layers", "classify --layers"),
    app=("Builder: Add layer",))
EMBED_SIZE = Limit(
    "embed_size", 1, 4096, "Choose a smaller embedding; the book uses 32 to 256.", special=(0, "one-hot inputs "
    "(language models; None in a config)"), cli=("train --embed",), app=("Builder: embedding",))
DROPOUT = Limit("dropout", 0.0, 1.0, "A dropout of 1 would drop every unit. (The app offers up to 0.95.)",
                hi_open=True, app_hi=0.95, cli=("train --dropout",), app=("Builder: dropout",))
MODEL_PARAMETERS = Limit(
    "the model's weights", 1, 500_000_000, "At 4 bytes each that is 2 GB, and training needs two to four times "
    "that; use fewer or narrower layers, or a smaller vocabulary. (Checked for every model config; the parts "
    "that grow with the vocabulary are counted when the data is known.)", "parameters")

# ---- training ---------------------------------------------------------------------------------

EPOCHS = Limit("epochs", 1, 100_000, "Stop a run early instead: it keeps the weights it has.",
               cli=("train --epochs", "series --epochs", "classify --epochs"), app=("Config: epochs",))
LEARNING_RATE = Limit(
    "the learning rate", 1e-5, 100.0, "The book uses 4 with SGD (clipped gradients) and 0.005 with Adam.",
    cli=("train --lr", "series --lr"), app=("Config: learning rate",))
GRAD_CLIP = Limit(
    "grad_clip", 0.0, 100.0, "The book clips at norm 1; to turn clipping off give 0 (None in a config).",
    lo_open=True, special=(0, "no clipping"),
    cli=("train --clip",), app=("Config: clip gradient norm",))
SEED = Limit("the seed", 0, 2**63 - 1, "Any whole number in range gives a reproducible run (torch takes 64 "
             "bits).", cli=("train --seed", "generate --seed", "series --seed"), app=("Config: seed", "Generate: seed"))
RUN_EPOCH = Limit("the epoch", 0, EPOCHS.hi, "A run holds the epochs it trained, 0 being the weights before "
                  "training; rnnviz runs show RUN lists them.", cli=("gates --epoch", "generate --epoch",
                                                                    "translate --epoch", "grads --epoch"))
FOLLOW_INTERVAL = Limit("the interval", 0.05, 3600.0, "Between two looks at a run's folder; a second is plenty "
                        "for epochs.", "seconds", cli=("runs follow --interval",))
FOLLOW_TIMEOUT = Limit("the timeout", 0.0, 31_536_000.0, "At most a year; leave it out to follow until the run "
                       "ends.", "seconds", lo_open=True, cli=("runs follow --timeout",))
SAVE_EVERY_STEPS = Limit("the steps between saves", 1, 10_000_000, "Each save writes the whole model into the run "
                         "folder; the end of every epoch is saved anyway.", "steps", cli=("train --save-every-steps",))
COST_SECONDS = Limit("the measuring time", 0.1, 600.0, "Per cell; a second or two gives steady numbers, and "
                    "a longer measurement keeps the machine busy for nothing.", "seconds",
                    cli=("stack --seconds",), app=("Builder: Compare cells",))

# ---- data -------------------------------------------------------------------------------------

BATCH_SIZE = Limit("batch_size", 1, 65_536, "The book uses 32 (language models) and 128 (translation).",
                   cli=("train --batch-size", "stack --batch-size"), app=("Config: batch size",))
NUM_STEPS = Limit("num_steps", 1, 1_000, "Longer windows take long per step; the book uses 32 (language "
                  "models) and 9 (translation).", "tokens", cli=("train --num-steps", "stack --num-steps"),
                  app=("Config: time steps",))
BATCH_POSITIONS = Limit(
    "batch_size × num_steps", 1, 1_048_576, "Every position of a batch keeps its activations for the "
    "backward pass; lower the batch size or the window.", "tokens")
MAX_EXAMPLES = Limit("max_examples", 1, 10_000_000, "Leave it out to use every pair; with the book's split "
                     "these are the training pairs (the book's 512).", "pairs",
                     special=(0, "every pair (in the app)"), cli=("train --max-examples",),
                     app=("Config: sentence pairs",))
MIN_FREQ = Limit("min_freq", 0, 1_000_000, "Rarer tokens become <unk>; the book uses 1 or 2.")
NUM_TRAIN = Limit("num_train", 1, 10_000_000, "The book's split: its TimeMachine trains on 10,000 windows, its "
                  "MTFraEng on 512 pairs.", "examples")
NUM_VAL = Limit("num_val", 1, 10_000_000, "The book's split: its TimeMachine validates on 5,000 windows, its "
                "MTFraEng on 128 pairs.", "examples")
VAL_FRACTION = Limit("val_fraction", 0.0, 0.9, "Training needs the rest.", hi_open=True)
TEST_FRACTION = Limit("test_fraction", 0.0, 0.9, "Training needs the rest.", hi_open=True)
SOURCES = Limit("the sources", 1, 16, "A language model's corpus of several texts reports each one's "
                "perplexity; join smaller texts into one file, or train on fewer.", "texts")
VOCAB_SIZE = Limit("the vocabulary size", 1, 1_000_000, "No corpus rnnviz reads has more distinct tokens.",
                   "tokens", cli=("stack --vocab",))

# ---- tasks that need memory (recall, adding, copy) ---------------------------------------------

LAG = Limit("the lag", 0, 999, "Recall: the output at step t is the input at step t − lag, so the lag must be "
            "shorter than the sequence (num_steps); copy: the blanks between the last symbol and the go marker.",
            "steps", cli=("train --lag",), app=("Data: lag",))
SYMBOLS = Limit("the alphabet", 2, 26, "The symbols are the letters a to z; 8 is plenty to tell memory from "
                "guessing.", "symbols", cli=("train --symbols",), app=("Data: symbols",))
COPY_LENGTH = Limit("the symbols to copy", 1, 100, "A copy sequence holds them twice (shown, then "
                    "reproduced) around the delay.", "symbols", cli=("train --copy-length",),
                    app=("Data: symbols to copy",))
TASK_SEQUENCES = Limit("the sequences", 1, 1_000_000, "Generated data lives in memory; a few thousand "
                       "sequences teach these tasks.", "sequences", cli=("train --num-train", "train --num-val"),
                       app=("Data: training sequences", "Data: validation sequences"))
TASK_POSITIONS = Limit("sequences × length", 1, 50_000_000, "The generated training and validation sequences "
                       "are held in memory at 8 bytes a position; use fewer or shorter sequences.", "positions")

# ---- time series (rnnviz series, exercise lstm-5) ----------------------------------------------

SERIES_TAU = Limit("the window", 1, 256, "Each example reads this many past values; the book uses 4.", "steps",
                   cli=("series --tau",))
SERIES_HORIZON = Limit("the horizon", 1, 1_000, "A forecast k steps ahead feeds back k - 1 of its own predictions; "
                       "the book looks 1, 4, 16 and 64 steps ahead.", "steps", cli=("series --horizons",))
SERIES_VALUES = Limit("the series' values", 1, 1_000_000, "Every value is one training window per epoch; "
                      "resample the series or keep its recent part.", "values")
SERIES_FILE_BYTES = Limit("the CSV file", 1, 100_000_000, "Keep only the column you need, or part of the rows.",
                          "bytes")
SERIES_FORECAST_WORK = Limit("windows × horizon", 1, 50_000_000, "Each step ahead runs the model over every "
                             "window again; give shorter horizons or a shorter series.", "predictions")

# ---- sequence classification (rnnviz classify, exercise bi-3) ----------------------------------

CLASSIFY_FILE_BYTES = Limit("the TSV file", 1, 50_000_000, "A labelled file is read whole into memory; keep a "
                            "sample of its lines (a few thousand examples train in minutes).", "bytes")
CLASSIFY_CLASSES = Limit("the number of classes", 2, 200, "A label column with more classes than that is most "
                         "likely text; each class also needs examples to learn from.", "classes")

# ---- decoding ---------------------------------------------------------------------------------

GENERATION_LENGTH = Limit(
    "the length", 1, 10_000, "Generate at most 10,000 tokens at a time, each run from the end of the last. (The "
    "app keeps every step's distribution, so it offers up to 1,000.)", app_hi=1_000, cli=("generate --length",),
    app=("Generate: length",))
TEMPERATURE = Limit(
    "the temperature", 1e-6, 100.0, "Below 1 sampling is sharper, above 1 flatter; 0 is greedy decoding.",
    special=(0, "greedy"), cli=("generate --temperature",), app=("Generate: temperature",))
BEAM_SIZE = Limit("the beam size", 1, 1_024, "Wider beams rarely change the best hypothesis; the book uses 2 "
                  "to 3. (The app offers up to 64: its tree shows every candidate.)", app_hi=64,
                  cli=("beam --beam", "translate --beam"),
                  app=("Translate: beam size", "Generate: beam size", "Beam search: beam size"))
DECODE_MAX_LEN = Limit("the maximum length", 1, 10_000, "Decode in parts; a translation is rarely longer "
                       "than its source.", "tokens", cli=("beam --max-len", "translate --max-len"))
MIN_LEN = Limit("the minimum length", 0, DECODE_MAX_LEN.hi - 1, "It must also stay below the maximum "
                "length.", "tokens", cli=("beam --min-len", "translate --min-len"))
NBEST = Limit("nbest", 1, 64, "List fewer hypotheses.", cli=("beam --nbest", "translate --nbest"),
              app=("Translate: n-best", "Beam search: n-best"))
ALPHA = Limit("alpha", 0.0, 3.0, "The book uses 0.75; beyond 1 the longest hypothesis tends to win.",
              cli=("beam --alpha", "translate --alpha"),
              app=("Translate: α", "Generate: α", "Beam search: α"))
BEAM_TREE_BYTES = Limit(
    "the search tree", 1, 2**30, "A search records max_len × beam size × vocabulary log-probabilities (16 "
    "bytes each); lower the maximum length or the beam.", "bytes")
TREE_MAX_LEN = Limit("the maximum length", 1, 60, "The tree is drawn step by step; longer searches "
                     "belong to the CLI (rnnviz beam).", "tokens", app=("Beam search: max length",))

# ---- views and reports ------------------------------------------------------------------------

TRACE_TOKENS = Limit("max_tokens", 1, 10_000, "Trace at most 10,000 tokens: a shorter text, or in parts.",
                     cli=("gates --max-tokens",))
GRADIENT_TOKENS = Limit("max_tokens", 2, 2_000, "The G map takes one backward step per pair of steps (n²): "
                        "2,000 tokens through a 2-layer LSTM of hidden 256 take minutes. Use a shorter text.",
                        "tokens", cli=("grads --max-tokens",))
GRADIENT_SEQUENCE = Limit("the sequence", 1, 1_000_000, "A task's validation set holds at most this many "
                          "sequences; the model names how many it has.", "sequences", cli=("grads --sequence",))
INFO_TOP = Limit("--top", 0, 10_000, "List fewer tokens.", "tokens", cli=("data info --top",))
TOP_K_BARS = Limit("the bars", 1, 50, "More bars would not be readable.", "tokens", app=("Generate: bars",))
PLAY_SPEED = Limit("the speed", 0.25, 50.0, "Faster than the screen redraws.", "steps/s",
                   app=("Gates: play speed",))
EPOCH_PLAY_SPEED = Limit("the speed", 0.25, 20.0, "Faster than an epoch's model loads and its tabs redraw.",
                         "epochs/s", app=("Run bar: Play speed",))
UNIT_INDEX = Limit("the unit", 0, HIDDEN_SIZE.hi - 1, "Units are numbered from 0 to the hidden size - 1.",
                   special=(-1, "none"), app=("Gates: unit j",))
TOP_UNITS = Limit("the units shown", 1, HIDDEN_SIZE.hi, "A layer has at most this many units.", "units",
                  special=(0, "all"), app=("Gates: top",))

#: Every limit by its constant's name, in the order docs/limits.md lists them.
LIMITS: dict[str, Limit] = {name: value for name, value in globals().items() if isinstance(value, Limit)}

# ---- memory -----------------------------------------------------------------------------------


def available_memory() -> int | None:
    """Bytes of memory free for a new allocation now (Linux: MemAvailable); None when it cannot be told."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if sys.platform == "win32":
        return _windows_available()
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):  # macOS has only the total
        try:
            return int(os.sysconf(pages)) * int(os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            continue
    return None


def _windows_available() -> int | None:
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong), ("total", ctypes.c_ulonglong),
                    ("available", ctypes.c_ulonglong), ("total_page", ctypes.c_ulonglong),
                    ("available_page", ctypes.c_ulonglong), ("total_virtual", ctypes.c_ulonglong),
                    ("available_virtual", ctypes.c_ulonglong), ("extended", ctypes.c_ulonglong)]

    status = MemoryStatus()
    status.length = ctypes.sizeof(MemoryStatus)
    try:
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return int(status.available)
    except (AttributeError, OSError):
        pass
    return None


def format_bytes(size: float) -> str:
    """1536 -> "1.5 kB", 3e9 -> "3.0 GB"."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} TB"


def check_memory(what: str, needed: float, advice: str, available: int | None = None) -> None:
    """Refuse, with a ConfigError, ``what`` needing more than the memory free now (``available``: for tests).

    ``needed`` is an estimate in bytes; where the free memory cannot be told, nothing is refused here
    (the fixed limits still hold).
    """
    free = available_memory() if available is None else available
    if free is not None and needed > free:
        raise ConfigError(f"{what} would need about {format_bytes(needed)} of memory, and this machine has "
                          f"about {format_bytes(free)} free: {advice}")


# ---- the table in docs/limits.md --------------------------------------------------------------


def markdown_table() -> str:
    """The table of docs/limits.md, one row per limit (tests/core/test_limits_doc.py compares them)."""
    rows = ["| limit | what | range | command line | app | why |", "| --- | --- | --- | --- | --- | --- |"]
    for key, limit in LIMITS.items():
        cli = ", ".join(f"`rnnviz {c}`" for c in limit.cli) or "—"
        app = ", ".join(limit.app) or "—"
        shown = limit.range_text()
        if limit.app and limit.spin_range()[1] != limit.hi:  # the app offers less, or a spin box holds less
            shown += f" (app: up to {format_number(limit.spin_range()[1])})"
        rows.append(f"| `{key}` | {limit.name} | {shown} | {cli} | {app} | {limit.doc} |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m rnnviz.core.limits > table.md
    print(markdown_table())
