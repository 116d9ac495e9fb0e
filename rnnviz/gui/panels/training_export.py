"""The training panel's CSV export: every run's steps and epochs, one row each.

CSV columns (one header row, then rows; blank = not applicable):

====================  =============================================================
``run``               the run's label, as in the legend
``kind``              ``step`` (one optimizer step) or ``epoch`` (the end of an epoch)
``step``              optimizer steps so far
``epoch``             1-based epoch
``batch``             1-based batch within the epoch (step rows)
``batches``           batches in the epoch (step rows)
``elapsed_s``         seconds of training, pauses excluded
``loss``              step: this batch's mean cross-entropy per token (nats);
                      epoch: the epoch's mean train loss
``perplexity``        exp(loss)
``grad_norm``         gradient L2 norm before clipping (step rows)
``lr``                learning rate (step rows)
``tokens_per_s``      training throughput, this epoch so far
``val_loss``          validation loss (epoch rows; blank without validation data)
``val_perplexity``    exp(val_loss)
``clip_scale``        what clipping multiplied the gradient by (step rows; 1 = not clipped)
``val_metric``        a memory task's validation accuracy (0 to 1) or mean squared error
                      (epoch rows; blank for a model without one)
====================  =============================================================
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Sequence
from typing import IO

from rnnviz.core.atomic import write_atomically
from rnnviz.gui.widgets.curves import RunCurves
from rnnviz.gui.widgets.image_export import check_export_path

CSV_COLUMNS: tuple[str, ...] = ("run", "kind", "step", "epoch", "batch", "batches", "elapsed_s", "loss", "perplexity",
                                "grad_norm", "lr", "tokens_per_s", "val_loss", "val_perplexity", "clip_scale",
                                "val_metric")


def write_csv(runs: Sequence[RunCurves], path: str | os.PathLike[str]) -> None:
    """Write every run's steps and epochs as CSV (columns above); atomic (``core.atomic``).

    Raises :class:`~rnnviz.core.errors.DataError` (an ``RnnvizError``) naming the path and why,
    when the file cannot be written (a missing folder is refused, not created); an existing file
    is then left as it was.
    """
    target = check_export_path(path, "the CSV")

    def write(handle: IO[str]) -> None:
        writer = csv.writer(handle)  # "\r\n" rows, as before; atomic opens text with newline=""
        writer.writerow(CSV_COLUMNS)
        for run in runs:
            writer.writerows(_csv_rows(run))

    write_atomically(target, "w", write, "the CSV")


def _csv_number(value: float, integer: bool = False) -> str:
    if not math.isfinite(value):
        return "" if math.isnan(value) else repr(value)
    return str(int(value)) if integer else repr(float(value))


def _csv_rows(run: RunCurves) -> Iterable[list[str]]:
    s = {name: run.steps.column(name).tolist() for name in run.steps.columns}
    for i in range(len(run.steps)):
        yield [run.label, "step", _csv_number(s["step"][i], True), _csv_number(s["epoch"][i], True),
               _csv_number(s["batch"][i], True), _csv_number(s["batches"][i], True),
               _csv_number(s["elapsed"][i]), _csv_number(s["loss"][i]), _csv_number(s["perplexity"][i]),
               _csv_number(s["grad_norm"][i]), _csv_number(s["lr"][i]), _csv_number(s["tokens_per_s"][i]), "", "",
               _csv_number(s["clip_scale"][i]), ""]
    e = {name: run.epochs.column(name).tolist() for name in run.epochs.columns}
    for i in range(len(run.epochs)):
        yield [run.label, "epoch", _csv_number(e["step"][i], True), _csv_number(e["epoch"][i], True), "", "",
               _csv_number(e["elapsed"][i]), _csv_number(e["train_loss"][i]), _csv_number(e["train_perplexity"][i]),
               "", "", _csv_number(e["tokens_per_s"][i]), _csv_number(e["val_loss"][i]),
               _csv_number(e["val_perplexity"][i]), "", _csv_number(e["val_metric"][i])]
