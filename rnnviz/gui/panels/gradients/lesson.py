"""The Gradients tab's words, Qt-free: the one-sentence readout that makes the lesson, and the names.

:func:`readout` turns ``LayerGradients.shrink`` (g at step 1 over g at the last step) of the model
shown and of the overlaid runs into one sentence: "From the last step back to step 1 the gradient
shrinks to 10⁻⁷ (RNN 1×32, run 1); GRU 1×32, run 2: 10⁻²; LSTM 1×32, run 3: 10⁻¹." For recall it
adds the task's own lesson: how much of loss ℓ_s reaches step s − lag, its symbol's step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rnnviz.gui.panels.gradients.plots import power_of_ten

if TYPE_CHECKING:
    from rnnviz.core.gradients import Gradients, LayerGradients, StackGradients
    from rnnviz.core.models.factory import ModelBundle


#: What the model reads until the user types something: a phrase of its corpus.
DEFAULT_TEXTS = {"time-machine": "the time traveller for so it will be convenient to speak of him",
                 "lm": "the girls are not happy because she does not have a car", "mt": "The girls are happy."}
NO_MODEL = "No model yet: train one, or open a checkpoint, and its gradients through time appear here."
NO_PATH = ("Grey hatch: no path. ℓ_s cannot depend on H_t there (a forward state after step s), which is not a "
           "gradient that vanished. Click a row of the map, or press → / ←, to draw how that loss reaches back.")


def ratio_text(value: float) -> str:
    """A ratio spanning decades, as a class reads it: "0.45", "3", "2×10⁻⁷", "10⁵"."""
    if not math.isfinite(value) or value <= 0:
        return "0" if value == 0 else "n/a"
    if 0.01 <= value < 100:
        return f"{value:.2g}"
    exponent = math.floor(math.log10(value))
    mantissa = round(value / 10 ** exponent)
    if mantissa == 10:
        mantissa, exponent = 1, exponent + 1
    return power_of_ten(exponent) if mantissa == 1 else f"{mantissa}×{power_of_ten(exponent)}"


def model_key(bundle: ModelBundle) -> str:
    """Which model of this window a bundle is, whatever its step: a run, a file, the shipped one."""
    origin = bundle.origin
    if origin.kind == "trained":
        return f"trained:{origin.run}"
    if origin.kind == "opened":
        return f"opened:{origin.path}:{origin.epoch}"
    return f"{origin.kind}:{bundle.task}:{origin.corpus}"


def model_label(bundle: ModelBundle) -> str:
    """A short name for a legend: "GRU 1×32, run 2", "GRU 1×128, shipped", "LSTM 2×64, opened lm.pt"."""
    from rnnviz.core.models.labels import stack_label

    origin = bundle.origin
    where = {"trained": f"run {origin.run}" if origin.run is not None else "trained here",
             "shipped": "shipped"}.get(origin.kind, origin.describe())
    return f"{stack_label(bundle.model_config.stack)}, {where}"


def _change(shrink: float) -> str:
    if shrink < 1:
        return f"shrinks to {ratio_text(shrink)} of its size"
    return f"grows {ratio_text(shrink)}-fold"


def readout(current: LayerGradients | None, label: str, others: Sequence[tuple[str, LayerGradients]],
            steps: int, whole_loss: bool = False) -> str:
    """One sentence: how g changes from the last step back to step 1, for the model shown and the others."""
    if current is None:
        return " "
    loss = "the whole target's loss" if whole_loss else "the last loss"
    shrink = current.shrink
    if shrink is None:
        head = (f"g is ‖∂ℓ/∂H_t‖ for {loss}; this direction cannot reach every step (its first or last value is "
                "“no path”): pick a row of the map to see how one loss reaches back.")
    else:
        head = f"From the last step back to step 1 ({steps} steps), ‖∂ℓ/∂H_t‖ for {loss} {_change(shrink)} ({label})"
    rest = [f"{name}: {ratio_text(d.shrink)}" for name, d in others if d.shrink is not None]
    if rest and shrink is not None:
        return head + "; " + "; ".join(rest) + "."
    return head + ("." if not head.endswith(".") else "")


def recall_sentence(reach: np.ndarray, own: np.ndarray, lag: int) -> str:
    """Recall's lesson: the geometric mean over s of G[s, s − lag] / G[s, s] (how much of ℓ_s reaches back
    to the step whose symbol it asks for, against its own step)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.asarray(reach, np.float64) / np.asarray(own, np.float64)
    ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
    if not ratios.size:
        return ""
    mean = float(np.exp(np.log(ratios).mean()))
    return (f" Recall at lag {lag}: each loss reaches the step whose symbol it asks for ({lag} steps back) "
            f"with {ratio_text(mean)} of the gradient at its own step (geometric mean).")


def full_readout(bundle: ModelBundle | None, result: Gradients, stack: StackGradients, chosen: LayerGradients,
                 layer: int, direction: str, others: Sequence[tuple[str, LayerGradients]]) -> str:
    """The readout line: :func:`readout` for the model shown and the others, and recall's lesson."""
    label = model_label(bundle) if bundle is not None else ""
    sentence = readout(chosen, label, others, stack.steps, stack.part == "encoder")
    if bundle is not None and bundle.task == "recall" and chosen.G is not None:
        from rnnviz.core.gradients import recall_reach

        lag = int(bundle.data_config.lag or 0)
        if 0 < lag < stack.steps:
            own = chosen.G[range(lag, stack.steps), range(lag, stack.steps)]
            sentence += recall_sentence(recall_reach(result, lag, layer, direction), own, lag)
    return sentence
