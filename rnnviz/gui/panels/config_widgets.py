"""The Config dock's building blocks: the recipe's model, and spin and combo boxes over the Limits' ranges."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox

from rnnviz.core.config import MEMORY_TASKS, RECIPES, ModelConfig, StackSpec
from rnnviz.core.limits import Limit


def recipe_model(task: str) -> ModelConfig:
    """The model the book's recipe trains when the Builder has said nothing (RECIPES); a task that needs
    memory gets its GRU (one-hot symbols, or the adding problem's two numbers)."""
    recipe = RECIPES[task]
    stack = StackSpec("gru", (recipe["hidden"],) * recipe["layers"])
    if task == "lm" or task in MEMORY_TASKS:
        return ModelConfig(task, stack, embed_size=recipe["embed"])  # type: ignore[arg-type]
    return ModelConfig("mt", stack, stack, recipe["embed"], "identity")


def combo(tip: str, *items: tuple[str, str]) -> QComboBox:
    """A combo box of (text, name) items; the names are what configs and sessions hold."""
    box = QComboBox()
    for text, name in items:
        box.addItem(text, name)
    box.setToolTip(tip)
    # The dock stays narrow: the box shows what fits, its list and tooltip the whole text.
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(6)
    return box


def spin(limit: Limit, tip: str, special: str | None = None) -> QSpinBox:
    """A spin box over ``limit``'s range (rnnviz.core.limits), the range in its tooltip."""
    box = QSpinBox()
    box.setRange(*limit.spin_range())  # type: ignore[arg-type]
    box.setToolTip(limit.tip(tip))
    if special:
        box.setSpecialValueText(special)  # shown at the minimum
    return box


def dspin(limit: Limit, tip: str, decimals: int, step: float, special: str | None = None) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)  # before the range, which Qt rounds to the decimals
    box.setRange(*limit.spin_range())
    box.setSingleStep(step)
    box.setToolTip(limit.tip(tip))
    if special:
        box.setSpecialValueText(special)
    return box
