"""Checkpoints: one file of plain data, loaded with ``weights_only=True``, written atomically.

Contents: format and version, the configs as dicts, the vocabularies as token
lists, the ``state_dict`` (torch.nn parameter names, CPU tensors) and the
training history as lists. Nothing is pickled but plain data.
"""

from __future__ import annotations

import datetime as _dt
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from rnnviz import __version__
from rnnviz.core.config import CELL_VARIANTS, DataConfig, ModelConfig, TrainConfig
from rnnviz.core.data.vocab import Vocab
from rnnviz.core.atomic import write_atomically
from rnnviz.core.errors import DataError, RnnvizError
from rnnviz.core.models.factory import ModelBundle, build_model
from rnnviz.core.models.origin import ModelOrigin
from rnnviz.core.events import History

FORMAT = "rnnviz-checkpoint"
VERSION = 1
_TASK_WORDS = {"lm": "a language model", "mt": "a translation model"}
_ZIP_MAGIC = b"PK\x03\x04"  # what torch.save writes first


def _payload(bundle: ModelBundle) -> dict[str, Any]:
    vocabs = [v.to_list() for v in bundle.vocabs]
    return {
        "format": FORMAT,
        "version": VERSION,
        "rnnviz": __version__,
        "torch": str(torch.__version__),  # TorchVersion is not plain data
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "task": bundle.task,
        "model_config": bundle.model_config.to_dict(),
        "data_config": bundle.data_config.to_dict(),
        "train_config": bundle.train_config.to_dict() if bundle.train_config else None,
        "vocabs": {"tokens": vocabs[0]} if bundle.task == "lm" else {"source": vocabs[0], "target": vocabs[1]},
        "state_dict": {k: v.detach().cpu().clone() for k, v in bundle.model.state_dict().items()},
        "history": bundle.history.to_dict(),
    }


def save_checkpoint(bundle: ModelBundle, path: str | Path) -> Path:
    """Write the bundle to ``path`` atomically: a failed save leaves the old file intact."""
    path = Path(path).expanduser()
    payload = _payload(bundle)
    return write_atomically(path, "wb", lambda out: torch.save(payload, out), "the checkpoint")


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(f"{path}: no such checkpoint file." if not path.exists()
                        else f"{path} is not a file; choose a checkpoint (.pt) file.")
    try:
        with path.open("rb") as f:
            head = f.read(len(_ZIP_MAGIC))
    except OSError as exc:
        raise DataError(f"{path} could not be read ({exc.strerror or exc}). Check its permissions.") from None
    if head != _ZIP_MAGIC:
        # torch.save writes a zip archive; anything else (text, an old-style pickle, an empty
        # file) is not a checkpoint, and torch's unpickler would fail on it in odd ways.
        raise DataError(f"{path} is not an rnnviz checkpoint (not a file saved by torch). Open a file "
                        "saved by rnnviz (File → Save checkpoint, or `rnnviz train ... --out FILE`).")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise DataError(f"{path} is not an rnnviz checkpoint: it holds Python objects that rnnviz "
                        "does not load (only plain data is loaded, for safety).") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, KeyError, IndexError) as exc:
        detail = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        raise DataError(f"{path} cannot be read as a checkpoint; it may be truncated or damaged "
                        f"({detail}). Save or download it again.") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise DataError(f"{path} is a torch file but not an rnnviz checkpoint. Open a file saved by rnnviz "
                        "(File → Save checkpoint, or `rnnviz train ... --out FILE`).")
    if payload.get("version", 0) > VERSION:
        raise DataError(f"{path} was saved by a newer rnnviz ({payload.get('rnnviz')}); update rnnviz to open it.")
    return payload


def load_checkpoint(path: str | Path, task: str | None = None) -> ModelBundle:
    """Load a checkpoint; ``task`` ('lm' or 'mt') refuses a checkpoint of the other task.

    The bundle's ``origin`` is "opened FILE" (the origin is not saved: it says where this object came from)."""
    path = Path(path).expanduser()
    payload = _read(path)
    if task is not None and payload.get("task") != task:
        raise DataError(f"{path} holds {_TASK_WORDS.get(payload.get('task'), 'an unknown model')}, "
                        f"but {_TASK_WORDS[task]} is needed here.")
    try:
        model_config = ModelConfig.from_dict(payload["model_config"])
        data_config = DataConfig.from_dict(payload["data_config"])
        train = payload.get("train_config")
        train_config = TrainConfig.from_dict(train) if train else None
        names = ("tokens",) if model_config.task == "lm" else ("source", "target")
        vocabs = tuple(Vocab.from_list(payload["vocabs"][name]) for name in names)
        model = build_model(model_config, vocabs)
    except (KeyError, TypeError, ValueError, RnnvizError) as exc:
        raise DataError(f"{path} is damaged or from an incompatible rnnviz: its settings cannot be read ({exc}).") from None
    try:
        model.load_state_dict(payload["state_dict"], strict=True)
    except (RuntimeError, KeyError) as exc:
        first = str(exc).splitlines()
        raise DataError(f"{path}: the weights do not fit the model its settings describe "
                        f"({' '.join(line.strip() for line in first[:3])[:300]}).") from None
    model.eval()
    history = History.from_dict(payload.get("history") or {})
    return ModelBundle(model, model_config, data_config, vocabs, train_config, history, ModelOrigin.opened(path))


def describe(bundle: ModelBundle) -> str:
    """One line saying what a model is, naming its cell variant and implementation."""
    config = bundle.model_config
    stack = config.stack
    return (f"{_TASK_WORDS[bundle.task]}: {stack.num_layers} layer(s) of {CELL_VARIANTS[stack.cell]}, hidden "
            f"{'/'.join(map(str, stack.hidden_sizes))}{', bidirectional' if stack.bidirectional else ''}"
            f"{' (backward ' + '/'.join(map(str, stack.backward_sizes)) + ')' if stack.backward_sizes else ''}"
            f", {stack.resolved_implementation} implementation, {bundle.parameter_count():,} parameters")
