"""Presets for the tasks that need memory: RNN vs GRU vs LSTM on recall, adding and copy.

One family per task (``recall``, ``adding``, ``copy``), one preset per cell (``recall-rnn``,
``recall-gru``, ``recall-lstm`` ...): the same hidden size, optimiser, learning rate and epochs for
every cell, so that a comparison changes the cell alone. ``rnnviz train --compare rnn,gru,lstm
--preset recall --lags 5,20,50`` runs a family at several lags and prints the final validation
metric of each. The recipes were measured (docs/benchmarks.md, "Tasks that need memory"): each
run takes one to three minutes on a shared two-core CPU. Recall at lag 20 and the adding problem
show the lesson (the vanilla RNN at chance or at the baseline, the GRU solving it); with these
recipes the LSTM stays on its first plateau at lag 20 and beyond, and lag 50 needs more epochs.
"""

from __future__ import annotations

from typing import Any

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.presets import Preset

#: The cells a comparison runs, in the order the lesson tells them.
COMPARED_CELLS: tuple[str, ...] = ("rnn", "gru", "lstm")
_SECTION = "10.1–10.2 LSTM and GRU (issue 17: tasks that need memory)"
_CELL_TITLES = {"rnn": "RNN", "gru": "GRU", "gru-book": "GRU (book)", "lstm": "LSTM"}

#: Per family: the stack's hidden size and the recipe (data and optimiser), the same for every cell.
RECIPES: dict[str, tuple[int, dict[str, Any]]] = {
    # Recall at lag 5 by default; --lag overrides it and the sequences grow with it (lag + 25 steps).
    "recall": (128, {"corpus": "recall", "lag": 5, "symbols": 2, "num_train": 2000, "num_val": 256,
                     "batch_size": 32, "optimizer": "adam", "lr": 0.003, "epochs": 20, "grad_clip": 1.0}),
    "adding": (64, {"corpus": "adding", "num_steps": 50, "num_train": 3000, "num_val": 500, "batch_size": 32,
                    "optimizer": "adam", "lr": 0.005, "epochs": 10, "grad_clip": 1.0}),
    "copy": (64, {"corpus": "copy", "copy_length": 5, "lag": 10, "symbols": 4, "num_train": 1000, "num_val": 256,
                  "batch_size": 32, "optimizer": "adam", "lr": 0.01, "epochs": 10, "grad_clip": 1.0}),
}
_NOTES = {
    "recall": "The output at step t must be the input at step t − lag. At a short lag every cell learns it. "
              "As the lag grows the vanilla RNN's gradient through lag steps fades (a product of lag "
              "Jacobians), and it stays near chance, while the GRU's update gate can carry the symbol, and its "
              "gradient, across the lag (94% at lag 20 with this recipe). Look at that gate in the Gates tab.",
    "adding": "Two values in a long sequence are marked; at the end the output must be their sum. Guessing 1 "
              "scores a mean squared error of 1/6 ≈ 0.167; a model that remembers the marked values goes far "
              "below it, one that forgets stays near it.",
    "copy": "A few symbols, a delay of blanks, then the go marker: the network writes the symbols back after "
            "the delay. --lag sets the delay.",
}


def _preset(family: str, cell: str) -> Preset:
    hidden, recipe = RECIPES[family]
    title = {"recall": "recall at a lag", "adding": "the adding problem", "copy": "copy after a delay"}[family]
    return Preset(f"{family}-{cell}", f"{_CELL_TITLES[cell]} on {title}", _SECTION,
                  ModelConfig(family, StackSpec(cell, (hidden,))),  # type: ignore[arg-type]
                  dict(recipe), _NOTES[family])


MEMORY_PRESETS: dict[str, Preset] = {p.name: p for p in (
    _preset(family, cell) for family in RECIPES for cell in COMPARED_CELLS)}


def family_preset(name: str, cell: str) -> Preset:
    """The preset for ``cell`` of ``name``: a family ("recall") or any preset of one ("recall-gru"); the
    cell of the family's presets when there is one (gru-book: the GRU's recipe with the book's cell)."""
    family = name if name in RECIPES else next((f for f in RECIPES if name.startswith(f + "-")), None)
    if family is None:
        raise ConfigError(f"--compare runs a task that needs memory: give --preset {', '.join(RECIPES)} (or one "
                          f"of their presets, e.g. recall-gru), not {name!r}.")
    if f"{family}-{cell}" in MEMORY_PRESETS:
        return MEMORY_PRESETS[f"{family}-{cell}"]
    base = MEMORY_PRESETS[f"{family}-gru"]
    stack = StackSpec(cell, base.config.stack.hidden_sizes)  # type: ignore[arg-type]  # ConfigError if unknown
    return Preset(f"{family}-{cell}", f"{_CELL_TITLES.get(cell, cell)} on {family}", base.section,
                  ModelConfig(base.config.task, stack), dict(base.train), base.note)
