"""A run's weights file as a ModelBundle, checked as a checkpoint is.

The bytes are read no further than the size the event line recorded and must match its
SHA-256; safetensors then parses them (it refuses offsets beyond the buffer: nothing is
allocated for shapes the file does not hold), and ``rnnviz.core.checkpoint_checks`` checks
the settings' types and ranges, each weight's shape against the shapes the settings imply
(by arithmetic, before any model is built) and that every value is finite.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from rnnviz.core import checkpoint_checks as checks
from rnnviz.core.errors import DataError, RnnvizError
from rnnviz.core.events import History
from rnnviz.core.runs import journal
from rnnviz.core.runs.reader import weights_words

if TYPE_CHECKING:
    from rnnviz.core.runs.reader import Run, SavedWeights

#: Bytes a weights file may hold beyond its values: safetensors' JSON header (names, shapes, offsets).
_HEADER_ALLOWANCE = 1 << 20


def _expected_bytes(run: Run) -> int:
    """The most bytes the weights of the run's model can take (float64 values, the most a file holds)."""
    manifest = run.manifest
    shapes = checks.expected_shapes(manifest.model_config, tuple(len(v) for v in manifest.vocabs))
    values = 0
    for shape in shapes.values():
        count = 1
        for size in shape:
            count *= size
        values += count
    return 8 * values + _HEADER_ALLOWANCE


def read_verified(folder: Path, record: journal.WeightsRecord) -> bytes:
    """The bytes of a weights file, checked against the size and SHA-256 its line recorded."""
    path = folder / record.file
    what = weights_words(record)
    try:
        with open(path, "rb") as handle:
            data = handle.read(record.bytes + 1)  # never more than the line vouches for
    except OSError as exc:
        raise DataError(f"{what} of the run {folder.name}: {path.name} cannot be read ({exc.strerror}).") from None
    if len(data) != record.bytes:
        raise DataError(f"{what} of the run {folder.name}: {path.name} is not the {record.bytes:,} bytes recorded; "
                        "it was cut short or replaced. Choose another epoch.")
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise DataError(f"{what} of the run {folder.name}: {path.name} does not match the SHA-256 recorded when it "
                        "was written: the file was damaged or replaced. Choose another epoch.")
    return data


def _model_with(config: Any, vocabs: tuple[Any, ...], tensors: dict[str, Any]) -> Any:
    """The model of ``config`` holding ``tensors`` (checked: exactly its parameters, with their shapes).

    Built on the meta device, so that no weights are drawn only to be overwritten, and then given
    the loaded tensors themselves (a run's epoch opens in a fraction of the time: scrubbing). A
    model whose construction does not allow that is built and loaded the ordinary way."""
    from rnnviz.core.models.factory import build_model

    try:
        with torch.device("meta"):
            model = build_model(config, vocabs)
        model.load_state_dict(tensors, strict=True, assign=True)
        if not any(t.is_meta for t in (*model.parameters(), *model.buffers())):
            return model
    except (RuntimeError, NotImplementedError, TypeError):
        pass
    model = build_model(config, vocabs)
    model.load_state_dict(tensors, strict=True)
    return model


def load_bundle(run: Run, saved: SavedWeights, history: History) -> Any:
    """The ModelBundle of ``saved``; DataError naming the epoch (or step) and what is wrong."""
    from safetensors.torch import load

    from rnnviz.core.data.vocab import Vocab
    from rnnviz.core.models.factory import ModelBundle
    from rnnviz.core.models.origin import ModelOrigin
    record = saved.record
    what = f"step {record.step}" if record.kind == "step" else f"epoch {record.epoch}"
    path = run.folder / record.file
    manifest = run.manifest
    try:
        limit = _expected_bytes(run)
    except (RnnvizError, ValueError, TypeError) as exc:
        raise DataError(f"{what} of the run {run.name}: its settings do not describe a model ({exc}).") from None
    if record.bytes > limit:
        raise DataError(f"{what} of the run {run.name}: {record.file} holds {record.bytes:,} bytes, more than the "
                        f"model its settings describe can take ({limit:,}); it does not belong to this run. "
                        "Choose another epoch.")
    data = read_verified(run.folder, record)
    try:
        tensors = load(data)
    except Exception as exc:  # safetensors raises its own error types on damaged bytes
        raise DataError(f"{what} of the run {run.name}: {record.file} cannot be read as safetensors "
                        f"({str(exc)[:120]}). Choose another epoch.") from None
    raw = manifest.raw
    payload = {"task": manifest.task, "model_config": raw["model_config"], "data_config": raw["data_config"],
               "train_config": raw.get("train_config"), "vocabs": raw["vocabs"], "state_dict": tensors,
               "history": None}
    sizes = tuple(len(v) for v in manifest.vocabs)
    try:
        checks.check_payload(path, payload)
        checks.check_shapes(path, manifest.model_config, sizes, tensors)
        if not all(bool(torch.isfinite(t).all()) for t in tensors.values()):  # one pass; the slow one names them
            checks.check_finite(path, tensors)
        vocabs = tuple(Vocab.from_list(tokens) for tokens in manifest.vocabs)
        model = _model_with(manifest.model_config, vocabs, tensors)
    except (RnnvizError, RuntimeError, KeyError) as exc:
        raise DataError(f"{what} of the run {run.name} was refused: {exc}".rstrip()) from None
    model.eval()
    notes = tuple(run.notes)
    origin = ModelOrigin.opened_run(run.folder, record.epoch, step=record.step if record.kind == "step" else None,
                                    notes=notes)
    return ModelBundle(model, manifest.model_config, manifest.data_config, vocabs, manifest.train_config,
                       history, origin)
