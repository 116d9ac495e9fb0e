"""A run's weights file as a ModelBundle, checked as a checkpoint is.

The bytes are read no further than the size the event line recorded and must match its
SHA-256; they are then parsed as safetensors (``tensors_of``: offsets beyond the buffer are
refused, nothing is allocated for shapes the file does not hold, the tensors are views of the
bytes), and ``rnnviz.core.checkpoint_checks`` checks the settings' types and ranges, each weight's shape against the shapes the settings imply
(by arithmetic, before any model is built) and that every value is finite.

Scrubbing reads many epochs, often again (a cached model was let go, or a far jump reads an epoch
a background pass already checked), so a Run remembers each file whose bytes passed every check,
by its identity after the read: (device, inode, size, mtime_ns, ctime_ns) from ``fstat`` on the
open file. A file read again with the same identity and the same recorded SHA-256 is parsed and
shape-checked again but not hashed or scanned for NaN again (~9 ms of a 7 MB epoch's ~15 ms); a
file changed in any way since gets a new ctime (no program can set it) and is checked in full.
A file changed less than :data:`SETTLED_S` before its check is not remembered: a second write
within the same timestamp tick would leave its identity as it was (git's "racily clean" files).
``Run.verify`` (``rnnviz runs verify``) always hashes every file.

The model is not built anew per epoch either: a skeleton of the run's model (built once on the
meta device, no weights) is copied and handed the epoch's tensors.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
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
#: Seconds a file must have been left alone before its check is remembered (coarse file timestamps).
SETTLED_S = 2.0

#: What identifies a file's contents without reading them: (st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns).
Stamp = tuple[int, int, int, int, int]


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


def read_verified(folder: Path, record: journal.WeightsRecord) -> bytearray:
    """The bytes of a weights file, checked against the size and SHA-256 its line recorded."""
    data, _stamp = _read_checked(folder, record, None)
    return data


def _read_checked(folder: Path, record: journal.WeightsRecord, known: Stamp | None) -> tuple[bytearray, Stamp]:
    """The bytes of a weights file and its identity once read; hashed unless the identity is ``known``
    (the file's bytes passed every check before and nothing has changed it since)."""
    path = folder / record.file
    what = weights_words(record)
    try:
        with open(path, "rb") as handle:
            data = bytearray(record.bytes)  # never more than the line vouches for; writable: the tensors use it
            got = handle.readinto(data)
            whole = got == record.bytes and not handle.read(1)
            # After the read: a write during it changes ctime, so these bytes are the ones stamped.
            st = os.fstat(handle.fileno())
    except OSError as exc:
        raise DataError(f"{what} of the run {folder.name}: {path.name} cannot be read ({exc.strerror}).") from None
    stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if whole and known is not None and stamp == known:
        return data, stamp
    if not whole:
        raise DataError(f"{what} of the run {folder.name}: {path.name} is not the {record.bytes:,} bytes recorded; "
                        "it was cut short or replaced. Choose another epoch.")
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise DataError(f"{what} of the run {folder.name}: {path.name} does not match the SHA-256 recorded when it "
                        "was written: the file was damaged or replaced. Choose another epoch.")
    return data, stamp


#: safetensors' dtype names.
_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
           "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
           "BOOL": torch.bool}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def tensors_of(data: bytearray) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file's bytes as views into them (no copy: half the fresh memory of
    ``safetensors.torch.load``, whose copies cost 10-25 ms per 7 MB epoch on a busy machine). Checked as
    safetensors checks: a JSON header of known dtypes and whole shapes, each tensor's bytes exactly its
    shape's, the tensors covering the data after the header without gap or overlap. ValueError says what."""
    if len(data) < 8:
        raise ValueError("shorter than a header")
    size = int.from_bytes(data[:8], "little")
    if size > min(len(data) - 8, _HEADER_ALLOWANCE):
        raise ValueError(f"a header of {size:,} bytes")
    header = json.loads(bytes(data[8:8 + size]))
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    base, body = 8 + size, len(data) - 8 - size
    spans = []
    tensors: dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise ValueError("__metadata__ is not text")
            continue
        if not isinstance(info, dict) or info.get("dtype") not in _DTYPES:
            raise ValueError(f"{name}: no known dtype")
        shape, offsets = info.get("shape"), info.get("data_offsets")
        if not isinstance(shape, list) or not all(_is_int(n) for n in shape) or len(shape) > 8:
            raise ValueError(f"{name}: its shape is not a list of sizes")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_int(n) for n in offsets):
            raise ValueError(f"{name}: its data_offsets are not two offsets")
        begin, end = offsets
        dtype = _DTYPES[info["dtype"]]
        count = 1
        for n in shape:
            count *= n
        if not begin <= end <= body or end - begin != count * dtype.itemsize:
            raise ValueError(f"{name}: its bytes {begin}–{end} do not hold its shape {shape}")
        spans.append((begin, end))
        tensors[name] = (torch.frombuffer(data, dtype=dtype, count=count, offset=base + begin).reshape(shape)
                         if count else torch.empty(shape, dtype=dtype))
    covered = 0
    for begin, end in sorted(spans):
        if begin != covered:
            raise ValueError("its tensors overlap or leave a gap")
        covered = end
    if covered != body:
        raise ValueError("bytes after its last tensor")
    return tensors


def _settled(stamp: Stamp) -> bool:
    """Left alone long enough that a later change would show in its timestamps."""
    return time.time() - max(stamp[3], stamp[4]) / 1e9 > SETTLED_S


def _model_with(run: Run, vocabs: tuple[Any, ...], tensors: dict[str, Any]) -> Any:
    """The model of the run's settings holding ``tensors`` (checked: exactly its parameters, with their shapes).

    A copy of the run's skeleton (its model built once on the meta device: no weights drawn only
    to be overwritten, no modules built anew per epoch) given the loaded tensors themselves (a
    run's epoch opens in a fraction of the time: scrubbing). A model whose construction does not
    allow that is built and loaded the ordinary way."""
    from rnnviz.core.models.factory import build_model

    config = run.manifest.model_config
    try:
        kept = run._skeleton
        if kept is None or kept[0] is not run.manifest:  # the manifest read again: its settings may differ
            with torch.device("meta"):
                kept = (run.manifest, build_model(config, vocabs))
            run._skeleton = kept
        model = copy.deepcopy(kept[1])
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
    from rnnviz.core.data.vocab import Vocab
    from rnnviz.core.models.factory import ModelBundle
    from rnnviz.core.models.origin import ModelOrigin

    tensors = checked_tensors(run, saved)
    record, manifest = saved.record, run.manifest
    what = f"step {record.step}" if record.kind == "step" else f"epoch {record.epoch}"
    try:
        vocabs = tuple(Vocab.from_list(tokens) for tokens in manifest.vocabs)
        model = _model_with(run, vocabs, tensors)
    except (RnnvizError, RuntimeError, KeyError) as exc:
        raise DataError(f"{what} of the run {run.name} was refused: {exc}".rstrip()) from None
    model.eval()
    notes = tuple(run.notes)
    origin = ModelOrigin.opened_run(run.folder, record.epoch, step=record.step if record.kind == "step" else None,
                                    notes=notes)
    return ModelBundle(model, manifest.model_config, manifest.data_config, vocabs, manifest.train_config,
                       history, origin)


def checked_tensors(run: Run, saved: SavedWeights) -> dict[str, torch.Tensor]:
    """The tensors of ``saved`` once they passed every check (remembered per file: see the module doc);
    DataError naming the epoch (or step) and what is wrong."""
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
    known = run._vouched.get(record.file)
    data, stamp = _read_checked(run.folder, record, known[0] if known and known[1] == record.sha256 else None)
    checked_before = known is not None and known == (stamp, record.sha256)
    try:
        tensors = tensors_of(data)
    except (ValueError, RuntimeError, RecursionError) as exc:  # json's, ours, torch's
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
        # The same bytes as checked before were finite then; others are scanned (one pass; the slow one names them).
        if not checked_before and not all(bool(torch.isfinite(t).all()) for t in tensors.values()):
            checks.check_finite(path, tensors)
    except (RnnvizError, RuntimeError, KeyError) as exc:
        raise DataError(f"{what} of the run {run.name} was refused: {exc}".rstrip()) from None
    if _settled(stamp):
        run._vouched[record.file] = (stamp, record.sha256)
    else:
        run._vouched.pop(record.file, None)
    return tensors
