"""The training panel's readout line: the latest step's numbers and the last epoch's perplexity."""

from __future__ import annotations

import math

from rnnviz.core.events import EpochEnd, Step, metric_text
from rnnviz.gui.widgets.curves import RunCurves


def readout_text(run: RunCurves, step: Step | None, epoch: EpochEnd | None) -> str:
    """One line for the run on top (named last in the legend): its step, loss, perplexity, speed."""
    parts = []
    if step is not None:
        # A memory task's loss has no perplexity worth reading (its metric is accuracy or mse).
        perplexity = [] if getattr(run, "metric_name", None) else [f"perplexity {fmt_perplexity(step.perplexity)}"]
        parts += [f"step {step.step:,}", f"epoch {step.epoch} ({step.batch}/{step.batches})",
                  f"loss {step.loss:.3f}", *perplexity,
                  f"grad norm {step.grad_norm:.3g}", f"lr {step.lr:g}", f"{step.tokens_per_s:,.0f} tokens/s"]
    elif len(run.steps):
        parts += [f"step {int(run.steps.last('step')):,}"]
    if epoch is not None and epoch.val_metric is not None:  # a memory task: its own measure says most
        parts.append(f"validation {metric_text(epoch.metric, epoch.val_metric)} (epoch {epoch.epoch})")
    elif epoch is not None and epoch.val_perplexity is not None:
        parts.append(f"validation perplexity {fmt_perplexity(epoch.val_perplexity)} (epoch {epoch.epoch})")
    elif epoch is not None:
        parts.append(f"epoch {epoch.epoch} perplexity {fmt_perplexity(epoch.train_perplexity)}")
    return "  ·  ".join(parts)


def fmt_perplexity(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def sources_text(rows) -> str:
    """A run on several texts: "validation perplexity by source: a.txt 5.05 · b.txt 4.16" (rows: the core's
    ``perplexity_by_source``)."""
    parts = [f"{r.source} {'—' if r.perplexity is None else fmt_perplexity(r.perplexity)}" for r in rows]
    return "validation perplexity by source: " + " · ".join(parts)
