"""After a run on several texts: each text's validation perplexity, in the training readout and the status bar.

The trained model is copied on the GUI thread (the worker may train it on at once) and read on
each source's validation windows off the GUI thread (``core.data.sources.perplexity_by_source``).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from rnnviz.gui.concurrency import run_in_background
from rnnviz.gui.panels.training_readout import sources_text


def report_source_perplexities(window: Any) -> None:
    """Compute and show the per-source perplexity of ``window``'s trained model; nothing for a corpus of one text."""
    bundle = window.controller.bundle
    if bundle is None or bundle.task != "lm" or not bundle.data_config.sources:
        return
    frozen = dataclasses.replace(bundle, model=copy.deepcopy(bundle.model))

    def work() -> list:
        from rnnviz.core.data.datasets import build_data
        from rnnviz.core.data.sources import perplexity_by_source

        return perplexity_by_source(frozen, build_data(frozen.data_config, download=False))

    def done(rows: list) -> None:
        text = sources_text(rows)
        readout = window.training_view.readout
        readout.setText(f"{readout.text()}  ·  {text}")
        window.statusBar().showMessage(text, 15000)

    def failed(message: str, details: str) -> None:
        window.statusBar().showMessage(f"The perplexity by source could not be computed: {message}", 8000)

    run_in_background(work, done, failed, owner=window)
