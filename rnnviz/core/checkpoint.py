"""Checkpoints: one file of plain data, loaded with ``weights_only=True``, written atomically.

Contents: format and version, the configs as dicts, the vocabularies as token
lists, the ``state_dict`` (torch.nn parameter names, CPU tensors), the training
history as lists and (version 2) a SHA-256 checksum of the weights and settings.
Nothing is pickled but plain data. A file corpus is saved by its absolute path,
so that the checkpoint opens from any working directory.

Loading trusts nothing: ``checkpoint_checks`` refuses wrong types, a checksum
that does not match, weights of other shapes than the settings imply and
non-finite weights, before any model is built. Version-1 files (no checksum)
still open, with a note on the bundle's origin saying they are unverified.
"""

from __future__ import annotations

import datetime as _dt
import logging
import pickle
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from rnnviz import __version__
from rnnviz.core import checkpoint_checks as checks
from rnnviz.core.config import CELL_VARIANTS, DataConfig, ModelConfig, TrainConfig
from rnnviz.core.data.corpora import list_corpora
from rnnviz.core.data.vocab import Vocab
from rnnviz.core.atomic import write_atomically
from rnnviz.core.errors import DataError, RnnvizError
from rnnviz.core.models.factory import ModelBundle, build_model
from rnnviz.core.models.origin import ModelOrigin
from rnnviz.core.events import History

FORMAT = "rnnviz-checkpoint"
VERSION = 2  # 2: a checksum of the weights and settings; 1 (none) still opens, unverified
log = logging.getLogger(__name__)
_TASK_WORDS = {"lm": "a language model", "mt": "a translation model", "recall": "a recall model (a task that "
               "needs memory)", "adding": "an adding-problem model (a task that needs memory)",
               "copy": "a copy model (a task that needs memory)"}
_ZIP_MAGIC = b"PK\x03\x04"  # what torch.save writes first


def _is_registered(corpus: str) -> bool:
    return corpus in {info.name for info in list_corpora()}


def _corpus_path(corpus: str) -> Path | None:
    """A file corpus's path, ``~`` expanded; None for a registered name, or a path no system can hold."""
    if _is_registered(corpus):
        return None
    try:
        return Path(corpus).expanduser()
    except (RuntimeError, ValueError):  # "~someone" with no such user
        return None


def _absolute(corpus: str) -> str:
    path = _corpus_path(corpus)
    return corpus if path is None else str(path.resolve())


def _data_config_for_file(config: DataConfig) -> DataConfig:
    """A file corpus (and further sources) by its absolute path: a relative one means nothing in another
    working directory."""
    try:
        return replace(config, corpus=_absolute(config.corpus), sources=tuple(map(_absolute, config.sources)))
    except (OSError, RuntimeError, ValueError):  # unresolvable (a symlink loop): saved as it was given
        return config


def _payload(bundle: ModelBundle) -> dict[str, Any]:
    vocabs = [v.to_list() for v in bundle.vocabs]
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "rnnviz": __version__,
        "torch": str(torch.__version__),  # TorchVersion is not plain data
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "task": bundle.task,
        "model_config": bundle.model_config.to_dict(),
        "data_config": _data_config_for_file(bundle.data_config).to_dict(),
        "train_config": bundle.train_config.to_dict() if bundle.train_config else None,
        "vocabs": dict(zip(checks.vocab_names(bundle.task), vocabs)),
        "state_dict": {k: v.detach().cpu().clone() for k, v in bundle.model.state_dict().items()},
        "history": bundle.history.to_dict(),
    }
    payload["checksum"] = checks.checksum(payload)
    return payload


def save_checkpoint(bundle: ModelBundle, path: str | Path) -> Path:
    """Write the bundle to ``path`` atomically: a failed save leaves the old file intact."""
    path = Path(path).expanduser()
    payload = _payload(bundle)
    return write_atomically(path, "wb", lambda out: torch.save(payload, out), "the checkpoint")


def _check_archive(path: Path) -> None:
    """Refuse a zip whose entries are compressed or claim more bytes than the file has: torch.save
    stores every entry as it is, and a compressed one could inflate a few kilobytes into gigabytes."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except Exception as exc:  # a crafted archive can fail zipfile's parsing in many ways; all mean damaged
        detail = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        raise DataError(f"{path} cannot be read as a checkpoint; it may be truncated or damaged ({detail}). "
                        "Save or download it again.") from None
    size = path.stat().st_size
    for entry in entries:
        if entry.compress_type != zipfile.ZIP_STORED:
            raise DataError(f"{path}: its entry {entry.filename[:80]} is compressed, which torch.save never "
                            "does: the file was altered or crafted, and rnnviz does not inflate it. Save or "
                            "download it again.")
        if entry.file_size > size or entry.compress_size != entry.file_size:
            raise DataError(f"{path}: its entry {entry.filename[:80]} claims {entry.file_size:,} bytes in a "
                            f"file of {size:,}: it is damaged. Save or download it again.")


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
    _check_archive(path)  # before torch reads it: no entry may inflate beyond the file
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise DataError(f"{path} is not an rnnviz checkpoint: it holds Python objects that rnnviz "
                        "does not load (only plain data is loaded, for safety).") from None
    except Exception as exc:  # torch's reader on damaged or crafted bytes raises almost anything
        detail = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        raise DataError(f"{path} cannot be read as a checkpoint; it may be truncated or damaged "
                        f"({detail}). Save or download it again.") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise DataError(f"{path} is a torch file but not an rnnviz checkpoint. Open a file saved by rnnviz "
                        "(File → Save checkpoint, or `rnnviz train ... --out FILE`).")
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DataError(f"{path}: its format version is {repr(version)[:40]}, not a version rnnviz wrote. "
                        "The file is damaged; save or download it again.")
    if version > VERSION:
        raise DataError(f"{path} was saved by a newer rnnviz ({str(payload.get('rnnviz'))[:40]}); update rnnviz "
                        "to open it.")
    return payload


def _corpus_notes(path: Path, config: DataConfig) -> tuple[DataConfig, tuple[str, ...]]:
    """The data config with a relative file corpus made absolute where it is found, and a note
    when the corpus the model was trained on is no longer where the checkpoint says."""
    if _is_registered(config.corpus):
        return config, ()
    corpus = _corpus_path(config.corpus)
    try:
        if corpus is not None and corpus.exists():
            return replace(config, corpus=str(corpus.resolve())), ()
        where = "" if corpus is None or corpus.is_absolute() else f" (relative to {Path.cwd()}; an older file)"
    except (OSError, RuntimeError):  # unresolvable, or the working directory itself is gone
        where = ""
    shown = config.corpus if len(config.corpus) <= 200 else config.corpus[:197] + "..."
    return config, (f"the corpus {path.name} was trained on, {shown}{where}, is no longer there: it was moved "
                    "or deleted. The model works as it is; to continue training it, choose its corpus again.",)


def _configs(path: Path, payload: dict[str, Any]) -> tuple[ModelConfig, DataConfig, TrainConfig | None, list[str]]:
    """The configs, each checked by its own constructor; training settings outside today's ranges
    (a recipe for continuing, saved by an rnnviz with other limits) are dropped with a note."""
    parts: list[Any] = []
    for key, kind in (("model_config", ModelConfig), ("data_config", DataConfig)):
        try:
            parts.append(kind.from_dict(payload[key]))
        except (KeyError, TypeError, ValueError, RnnvizError) as exc:
            raise DataError(f"{path}: its {key} cannot be read ({exc}). The file is damaged or from an "
                            "incompatible rnnviz; save it again with this rnnviz.") from None
    notes: list[str] = []
    train_config = None
    if payload.get("train_config") is not None:
        try:
            train_config = TrainConfig.from_dict(payload["train_config"])
        except (TypeError, ValueError, RnnvizError) as exc:
            notes.append(f"the training settings saved in {path.name} do not apply here ({exc}); continuing "
                         "to train it uses the settings you choose.")
    return parts[0], parts[1], train_config, notes


def load_checkpoint(path: str | Path, task: str | None = None) -> ModelBundle:
    """Load a checkpoint; ``task`` ('lm' or 'mt') refuses a checkpoint of the other task.

    Everything is checked before a model is built (``checkpoint_checks``); any problem is a
    DataError naming the file and the field. The bundle's ``origin`` is "opened FILE" (the origin
    is not saved: it says where this object came from); its ``notes`` say what the user should
    know: an unverified (version-1) file, a corpus that is no longer where it was."""
    path = Path(path).expanduser()
    payload = _read(path)
    checks.check_payload(path, payload)
    if task is not None and payload["task"] != task:
        raise DataError(f"{path} holds {_TASK_WORDS[payload['task']]}, but {_TASK_WORDS[task]} is needed here.")
    notes: list[str] = []
    if payload["version"] >= 2:
        checks.check_checksum(path, payload)
    else:
        notes.append(f"{path.name} was saved by an older rnnviz (format 1) without a checksum, so damage to "
                     "its weights cannot be detected; save it again to add one.")
    model_config, data_config, train_config, config_notes = _configs(path, payload)
    notes.extend(config_notes)
    names = checks.vocab_names(model_config.task)
    vocabs = tuple(Vocab.from_list(payload["vocabs"][name]) for name in names)  # checked: tokens, once each
    state_dict: dict[str, torch.Tensor] = payload["state_dict"]
    checks.check_shapes(path, model_config, tuple(len(v) for v in vocabs), state_dict)
    checks.check_finite(path, state_dict)
    try:
        model = build_model(model_config, vocabs)
        model.load_state_dict(state_dict, strict=True)
    except (RuntimeError, KeyError, RnnvizError) as exc:  # the checks above should leave nothing for here
        first = str(exc).splitlines()
        raise DataError(f"{path}: the weights do not fit the model its settings describe "
                        f"({' '.join(line.strip() for line in first[:3])[:300]}).") from None
    model.eval()
    data_config, corpus_notes = _corpus_notes(path, data_config)
    notes.extend(corpus_notes)
    for note in notes:
        log.info("%s", note)
    history = History.from_dict(payload.get("history") or {})
    return ModelBundle(model, model_config, data_config, vocabs, train_config, history,
                       ModelOrigin.opened(path, tuple(notes)))


def describe(bundle: ModelBundle) -> str:
    """One line saying what a model is, naming its cell variant and implementation."""
    config = bundle.model_config
    stack = config.stack
    return (f"{_TASK_WORDS[bundle.task]}: {stack.num_layers} layer(s) of {CELL_VARIANTS[stack.cell]}, hidden "
            f"{'/'.join(map(str, stack.hidden_sizes))}{', bidirectional' if stack.bidirectional else ''}"
            f"{' (backward ' + '/'.join(map(str, stack.backward_sizes)) + ')' if stack.backward_sizes else ''}"
            f", {stack.resolved_implementation} implementation, {bundle.parameter_count():,} parameters"
            + (", loss unmasked (the padding counted as targets)" if not getattr(config, "mask_padding", True)
               else ""))
