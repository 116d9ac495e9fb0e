"""Frozen settings shared by the CLI, the GUI and the core. Defaults live here only.

The configuration is part of the core: it depends on nothing but
``rnnviz.core.errors`` and the ranges in ``rnnviz.core.limits``, and every layer
above reads it from here. Every number is checked against its range when a
config is made, so a config that exists is one the machine can build. The
model's settings (``StackSpec``, ``ModelConfig``) are the room
``rnnviz.core.model_config``; they are re-exported here.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from rnnviz.core import limits as lim
from rnnviz.core.errors import ConfigError
from rnnviz.core.model_config import (
    CELL_VARIANTS,
    CELLS,
    GATES,
    INITS,
    ADDING_INPUTS,
    MEMORY_TASKS,
    SYMBOL_TASKS,
    TASKS,
    Bridge,
    Cell,
    Implementation,
    Init,
    ModelConfig,
    StackSpec,
    Task,
)

__all__ = [
    "Task",
    "TASKS",
    "MEMORY_TASKS",
    "SYMBOL_TASKS",
    "ADDING_INPUTS",
    "TASK_DEFAULTS",
    "RECIPES",
    "DataConfig",
    "Cell",
    "Implementation",
    "CELLS",
    "CELL_VARIANTS",
    "GATES",
    "StackSpec",
    "Bridge",
    "Init",
    "INITS",
    "ModelConfig",
    "TrainConfig",
]


#: The book's choices: TimeMachine(num_steps=32), MTFraEng(batch_size=128, num_steps=9, min_freq=2).
#: The tasks that need memory (issue 17) are generated: their lengths, lag, alphabet and split sizes are
#: settings too. Copy's length follows from its parts (2 × copy_length + lag + 1, see ``memory_layout``).
TASK_DEFAULTS: dict[str, dict[str, int]] = {
    "lm": {"num_steps": 32, "batch_size": 32, "min_freq": 1},
    "mt": {"num_steps": 9, "batch_size": 128, "min_freq": 2},
    "recall": {"num_steps": 10, "batch_size": 64, "lag": 5, "symbols": 8, "num_train": 2000, "num_val": 500},
    "adding": {"num_steps": 50, "batch_size": 64, "num_train": 5000, "num_val": 500},
    "copy": {"num_steps": 21, "batch_size": 64, "lag": 10, "symbols": 8, "copy_length": 5, "num_train": 2000,
             "num_val": 500},
}
#: Recall's sequences without a num_steps of their own: lag + this many steps, so that every lag has as
#: many steps with a target (the TASK_DEFAULTS length is the default lag's). Five: the network must hold
#: five symbols across the lag; with 25 it must hold 25 at once at lag 25 and beyond (a shift register of
#: lag symbols), which no cell learns in minutes (docs/benchmarks.md, "Tasks that need memory").
RECALL_TARGETS = 5
#: The settings only the tasks that need memory read, and which of those tasks read each.
MEMORY_FIELDS: dict[str, tuple[str, ...]] = {"lag": ("recall", "copy"), "symbols": ("recall", "copy"),
                                             "copy_length": ("copy",)}

#: The book's split sizes (num_train, num_val): TimeMachine's windows, MTFraEng's sentence pairs.
BOOK_SPLIT: dict[str, tuple[int, int]] = {"lm": (10_000, 5_000), "mt": (512, 128)}
#: How a language model's text becomes windows (DataConfig.lm_sampling).
LM_SAMPLINGS: tuple[str, ...] = ("random-offset", "book")

#: Quick defaults for a laptop where the user says nothing (``rnnviz train lm|mt``), not the
#: book's recipes: the book's GRU language model (section 10.2: hidden 32, SGD lr 4) for 10
#: epochs, and a small GRU encoder–decoder (2 layers, embed 32, hidden 32, Adam lr 0.005; the
#: book's section 10.7 uses 256), both on the built-in phrasebook. The book's recipes whole are
#: the presets (rnnviz.core.models.presets). ``embed`` None means one-hot inputs.
RECIPES: dict[str, dict[str, Any]] = {
    "lm": {"optimizer": "sgd", "lr": 4.0, "hidden": 32, "layers": 1, "embed": None, "epochs": 10},
    "mt": {"optimizer": "adam", "lr": 0.005, "hidden": 32, "layers": 2, "embed": 32, "epochs": 30},
    # The tasks that need memory: a GRU of 64 with Adam (the presets recall-gru, adding-gru, copy-gru).
    "recall": {"optimizer": "adam", "lr": 0.01, "hidden": 64, "layers": 1, "embed": None, "epochs": 10},
    "adding": {"optimizer": "adam", "lr": 0.005, "hidden": 64, "layers": 1, "embed": None, "epochs": 10},
    "copy": {"optimizer": "adam", "lr": 0.01, "hidden": 64, "layers": 1, "embed": None, "epochs": 10},
}


@dataclass(frozen=True)
class DataConfig:
    """What to learn from and how to cut it into batches.

    Fields left at None take the book's value for the task (``TASK_DEFAULTS``).

    Language models, ``lm_sampling``: "random-offset" (the default) cuts the first
    1 - val_fraction of the text into non-overlapping windows from a random offset each
    epoch, as the book's prose describes (section 9.3); "book" is the book's TimeMachine
    class: every window of num_steps (one per start position), the first ``num_train``
    (None: 10,000) for training and the next ``num_val`` (None: 5,000) for validation.

    Translation: setting ``num_train`` or ``num_val`` asks for the book's split (its
    MTFraEng): the first num_train pairs of the file train, in file order, and the num_val
    pairs after them validate, plus one more, because the book's reading loop stops one line
    late (its 512 + 128 give 129 validation pairs); both vocabularies come from these pairs,
    and there is no test split. Unset, num_train is ``max_examples`` or else the book's 512,
    and num_val the book's 128. So with the book's split, max_examples N means all N pairs
    train and validation comes from the pairs after them. With both None (the default), the
    first max_examples pairs (every pair without it) are shuffled and split by val_fraction
    and test_fraction.
    """

    corpus: str = "phrasebook-en"  # a name from `rnnviz data list`, or a file path
    task: Task | None = None  # None: the corpus's own task (files: guessed from TABs)
    token_level: Literal["char", "word"] = "char"  # language models; translation is word-level
    lm_cleaning: Literal["letters", "lower"] | None = None  # None: the corpus's own rule
    num_steps: int | None = None  # window length (LM) or padded sentence length (MT)
    batch_size: int | None = None
    min_freq: int | None = None  # rarer tokens become <unk>
    val_fraction: float = 0.1
    test_fraction: float = 0.1  # translation only
    max_examples: int | None = None  # translation: the first N pairs, as the book takes its shortest
    seed: int = 0
    lm_sampling: Literal["random-offset", "book"] = "random-offset"  # language models (see above)
    num_train: int | None = None  # the book's split: training windows (LM) or pairs (MT)
    num_val: int | None = None  # the book's split: validation windows (LM) or pairs (MT)
    # The tasks that need memory (recall, adding, copy); num_steps is their length, num_train and
    # num_val their numbers of sequences, ``seed`` draws them. None: TASK_DEFAULTS.
    lag: int | None = None  # recall: target at t is the input at t - lag; copy: blanks before the go marker
    symbols: int | None = None  # recall and copy: the alphabet's size (letters a, b, ...)
    copy_length: int | None = None  # copy: how many symbols to reproduce
    # A language model's further texts beside ``corpus`` (names or file paths; issue 18): one vocabulary over
    # all, each text split into its own training and validation part (rnnviz.core.data.sources).
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.sources, (list, tuple)):
            raise ConfigError(f"sources must be a list of corpus names or file paths, not {self.sources!r}.")
        object.__setattr__(self, "sources", tuple(self.sources))  # a list from JSON, a tuple in the config
        if self.sources:
            self._check_sources()
        memory_task = self.memory_task
        if memory_task is not None:
            self._check_memory(memory_task)
            return
        for name, tasks in MEMORY_FIELDS.items():
            if getattr(self, name) is not None:
                raise ConfigError(f"{name} is a setting of the {' and '.join(tasks)} task(s), not of a "
                                  f"{'translation' if self.task == 'mt' else 'language-model'} corpus; leave it out.")
        if self.lm_sampling not in LM_SAMPLINGS:
            raise ConfigError(f"unknown lm_sampling {self.lm_sampling!r}; use 'random-offset' (windows from a "
                              "random offset, the book's section 9.3) or 'book' (every window, the book's "
                              "TimeMachine).")
        for name, limit in (("num_steps", lim.NUM_STEPS), ("batch_size", lim.BATCH_SIZE),
                            ("max_examples", lim.MAX_EXAMPLES), ("min_freq", lim.MIN_FREQ),
                            ("num_train", lim.NUM_TRAIN), ("num_val", lim.NUM_VAL)):
            value = getattr(self, name)
            if value is not None:
                limit.check(value)
        for name, limit in (("val_fraction", lim.VAL_FRACTION), ("test_fraction", lim.TEST_FRACTION)):
            if not limit.contains(getattr(self, name)):
                raise ConfigError(f"{name} must be between 0 and 0.9, not {getattr(self, name)}.")
        if self.val_fraction + self.test_fraction >= 0.9:
            raise ConfigError("val_fraction + test_fraction must leave at least 10% for training.")
        lim.SEED.check(self.seed)
        if self.task == "mt" and None not in (self.num_train, self.max_examples) \
                and self.num_train != self.max_examples:
            raise ConfigError(f"max_examples ({self.max_examples:,}) and num_train ({self.num_train:,}) differ: "
                              "with the book's split max_examples is the number of training pairs, so give one "
                              "of them.")
        if self.task == "lm" and self.lm_sampling != "book" and (self.num_train or self.num_val):
            raise ConfigError("num_train and num_val count the windows of the book's sampling; set "
                              "lm_sampling to 'book', or leave them out (random offsets hold out val_fraction).")
        # The product explodes where each factor is fine: 65,536 windows of 1,000 tokens.
        task = self.task if self.task in TASK_DEFAULTS else None
        batch = self.batch_size or (TASK_DEFAULTS[task]["batch_size"] if task else None)
        steps = self.num_steps or (TASK_DEFAULTS[task]["num_steps"] if task else None)
        if batch is not None and steps is not None and not lim.BATCH_POSITIONS.contains(batch * steps):
            raise ConfigError(f"a batch of {batch:,} × {steps:,} tokens is too large: "
                              + lim.BATCH_POSITIONS.message(batch * steps))

    @property
    def all_sources(self) -> tuple[str, ...]:
        """Every text the corpus reads: ``corpus``, then ``sources``."""
        return (self.corpus, *self.sources)

    def _check_sources(self) -> None:
        if any(not isinstance(s, str) or not s.strip() for s in self.sources):
            raise ConfigError("every source must be a corpus name or a file path, not an empty text.")
        if self.task in MEMORY_TASKS or self.corpus in MEMORY_TASKS or self.task == "mt":
            raise ConfigError("several sources make one language-model corpus; a translation corpus or a task "
                              "that needs memory reads one source: leave the others out.")
        if not lim.SOURCES.contains(len(self.all_sources)):
            raise ConfigError(f"{len(self.all_sources):,} sources are too many: "
                              + lim.SOURCES.message(len(self.all_sources)))
        seen: dict[str, str] = {}
        for source in self.all_sources:  # lexically: a file reached by two spellings is caught when loaded
            key = os.path.normpath(os.path.expanduser(source.strip()))
            if key in seen:
                raise ConfigError(f"{source!r} is given twice as a source; give each text once.")
            seen[key] = source
        if self.lm_sampling == "book":
            raise ConfigError("the book's sampling cuts one text (its TimeMachine); with several sources use "
                              "lm_sampling 'random-offset' (--sampling random-offset), or train on one source.")

    @property
    def memory_task(self) -> str | None:
        """"recall", "adding" or "copy" when these are a task that needs memory (the task, or the corpus's name
        when the task is left out); else None."""
        if self.task in MEMORY_TASKS:
            return self.task
        return self.corpus if self.task is None and self.corpus in MEMORY_TASKS else None

    def _check_memory(self, task: str) -> None:
        if self.corpus != task:
            raise ConfigError(f"the {task} task is generated, not read from a corpus: its corpus is {task!r}, "
                              f"not {self.corpus!r}.")
        for name, tasks in MEMORY_FIELDS.items():
            if getattr(self, name) is not None and task not in tasks:
                raise ConfigError(f"{name} is a setting of the {' and '.join(tasks)} task(s), not of {task}; "
                                  "leave it out.")
        for name, limit in (("num_steps", lim.NUM_STEPS), ("batch_size", lim.BATCH_SIZE), ("lag", lim.LAG),
                            ("symbols", lim.SYMBOLS), ("copy_length", lim.COPY_LENGTH),
                            ("num_train", lim.TASK_SEQUENCES), ("num_val", lim.TASK_SEQUENCES)):
            value = getattr(self, name)
            if value is not None:
                limit.check(value)
        lim.SEED.check(self.seed)
        layout = memory_layout(self, task)  # a lag that does not fit: refused here
        positions = (layout["num_train"] + layout["num_val"]) * layout["num_steps"]
        if not lim.TASK_POSITIONS.contains(positions):
            raise ConfigError(f"{layout['num_train'] + layout['num_val']:,} sequences of {layout['num_steps']:,} "
                              f"steps are too many: {lim.TASK_POSITIONS.message(positions)}")
        if not lim.BATCH_POSITIONS.contains(layout["batch_size"] * layout["num_steps"]):
            raise ConfigError(f"a batch of {layout['batch_size']:,} × {layout['num_steps']:,} steps is too large: "
                              + lim.BATCH_POSITIONS.message(layout["batch_size"] * layout["num_steps"]))

    def uses_book_split(self, task: Task) -> bool:
        """Whether the data are cut as the book's code cuts them (TimeMachine, MTFraEng)."""
        if task in MEMORY_TASKS:
            return False
        if task == "lm":
            return self.lm_sampling == "book"
        return self.num_train is not None or self.num_val is not None

    def resolved(self, task: Task) -> DataConfig:
        """A copy with every None replaced by the book's value for the task (the split's sizes
        only where the book's split is used)."""
        if task in MEMORY_TASKS:  # every setting concrete, copy's derived length included
            return DataConfig(**{**asdict(self), "task": task, **memory_layout(self, task)})
        values: dict[str, Any] = {k: v for k, v in TASK_DEFAULTS[task].items() if getattr(self, k) is None}
        if self.uses_book_split(task):
            train, val = BOOK_SPLIT[task]
            if task == "mt":
                train = self.max_examples or train
                if self.max_examples is None:  # concrete, so that sizes and estimates read it
                    values["max_examples"] = self.num_train or train
            values["num_train"] = self.num_train or train
            values["num_val"] = self.num_val or val
        return DataConfig(**{**asdict(self), "task": task, **values})

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sources": list(self.sources)}  # plain data: a list, as JSON has it

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown data settings: {', '.join(unknown)}.")
        return cls(**data)


def memory_layout(config: DataConfig, task: str) -> dict[str, int]:
    """The settings a task that needs memory is generated with: those given, else TASK_DEFAULTS.

    Recall's length, unset, is lag + RECALL_TARGETS. Copy's sequence is copy_length symbols, lag blanks,
    the go marker, then copy_length answer steps: 2 × copy_length + lag + 1 steps. Give num_steps or lag
    (the other follows) or both, if they agree.
    Raises ConfigError for a lag not shorter than a recall sequence, or a copy delay that does not fit.
    """
    defaults = TASK_DEFAULTS[task]
    values = {name: getattr(config, name) if getattr(config, name) is not None else default
              for name, default in defaults.items()}
    steps, lag = config.num_steps, config.lag
    if task == "recall":
        if steps is None:  # as many targeted steps at any lag: lag + RECALL_TARGETS steps
            values["num_steps"] = values["lag"] + RECALL_TARGETS
        if values["lag"] >= values["num_steps"]:
            raise ConfigError(f"the lag ({values['lag']}) must be shorter than the sequence (num_steps = "
                              f"{values['num_steps']}): the output at step t is the input at step t − lag, so with "
                              f"a lag of {values['lag']} no step of {values['num_steps']} would have a target. "
                              f"Lower the lag or give longer sequences (num_steps above {values['lag']}).")
    elif task == "copy":
        k = values["copy_length"]
        if steps is None:
            values["num_steps"] = 2 * k + values["lag"] + 1
        elif lag is None:
            values["lag"] = steps - 2 * k - 1
        layout = (f"a copy sequence is {k} symbol(s), the delay (lag) of blanks, the go marker and {k} answer "
                  f"step(s): 2 × {k} + lag + 1 steps")
        if values["lag"] < 0:
            raise ConfigError(f"the copy delay does not fit: {layout}, at least {2 * k + 1}, and num_steps is "
                              f"{values['num_steps']}. Give more steps or fewer symbols to copy (copy_length).")
        if values["num_steps"] != 2 * k + values["lag"] + 1:
            raise ConfigError(f"num_steps ({values['num_steps']}) and the copy delay (lag {values['lag']}) disagree: "
                              f"{layout} = {2 * k + values['lag'] + 1}. Give one of them; the other follows.")
        if not lim.NUM_STEPS.contains(values["num_steps"]):
            raise ConfigError(f"a copy sequence of {k} symbols with a delay of {values['lag']} is "
                              f"{values['num_steps']} steps long: {lim.NUM_STEPS.message(values['num_steps'])}")
    elif values["num_steps"] < 2:
        raise ConfigError(f"the adding problem marks two steps, one in each half of the sequence: num_steps must "
                          f"be at least 2, not {values['num_steps']}.")
    return values


@dataclass(frozen=True)
class TrainConfig:
    """How to train. The defaults are the book's GRU language model (SGD, lr 4, clip 1)."""

    epochs: int = 10
    lr: float = 4.0
    optimizer: Literal["sgd", "adam"] = "sgd"
    grad_clip: float | None = 1.0  # max gradient norm; None: no clipping
    device: str = "auto"  # auto: cuda, then mps, then cpu; or a name such as cpu, cuda:1
    seed: int = 0

    def __post_init__(self) -> None:
        lim.EPOCHS.check(self.epochs)
        lim.LEARNING_RATE.check(self.lr)  # refuses nan, inf, 0 and absurd rates alike
        if self.optimizer not in ("sgd", "adam"):
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; use sgd or adam.")
        if self.grad_clip is not None:
            lim.GRAD_CLIP.check(self.grad_clip)
        lim.SEED.check(self.seed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return cls(**data)
