"""The small models shipped with rnnviz, loaded with their origin: "shipped phrasebook model"."""

from __future__ import annotations

from dataclasses import replace

from rnnviz.core.checkpoint import load_checkpoint
from rnnviz.core.errors import RnnvizError
from rnnviz.core.models.factory import ModelBundle
from rnnviz.core.models.origin import ModelOrigin
from rnnviz.core.resources import pretrained_path


def load_shipped(task: str) -> ModelBundle:
    """The pretrained model shipped for ``task`` ("lm" or "mt"), its origin "shipped CORPUS model".

    Raises :class:`RnnvizError` when a broken install lacks the file."""
    path = pretrained_path(task)
    if not path.is_file():
        raise RnnvizError(f"the shipped pretrained model is missing ({path}); give --checkpoint FILE "
                          "or reinstall rnnviz.")
    bundle = load_checkpoint(path, task)
    return replace(bundle, origin=ModelOrigin.shipped(bundle.data_config.corpus, str(path),
                                                        bundle.origin.notes))
