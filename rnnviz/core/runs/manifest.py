"""A run's manifest: what the run is, in one JSON file with a format version.

It holds the settings as dicts (``DataConfig.to_dict()`` ...), the vocabularies as token
lists, where the corpus came from (its name and a digest of its file, where known), the
model's description and the run's status. The recorder writes it when the run starts and
again when it ends (atomically: a reader sees the old or the new file, never half of one).

Reading trusts nothing: a manifest from a newer rnnviz is refused with the version named;
one whose settings do not parse is refused naming the field. The weights are checked
later, per epoch, by ``rnnviz.core.checkpoint_checks`` (see ``reader.Run.bundle_at``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnviz import __version__
from rnnviz.core.config import TASKS, DataConfig, ModelConfig, TrainConfig
from rnnviz.core.errors import DataError, RnnvizError

FORMAT = "rnnviz-run"
VERSION = 1
#: A run's status as its writer leaves it. "running" in a run nobody writes any more reads as
#: "unfinished" (``reader.Run.status``): the writer was killed or crashed.
STATUSES = ("running", "completed", "stopped", "diverged", "non-finite", "interrupted", "failed")
UNFINISHED = "unfinished"
_MAX_BYTES = 64 * 1024 * 1024  # a manifest holds settings and vocabularies: megabytes at most


def now_text() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _file_digest(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return "sha256:" + digest.hexdigest()


def corpus_facts(config: DataConfig) -> dict[str, Any]:
    """The corpus's name and, where known, a digest of its file: the book's files by the SHA-1 rnnviz
    verifies them with, a file or the built-in phrasebook by SHA-256; a generated task has none (its
    seed, in the data settings, makes it)."""
    from rnnviz.core.data.corpora import PHRASEBOOK_FILE, list_corpora
    from rnnviz.core.data.toy_pairs import TOY_TASKS
    from rnnviz.core.resources import resource_path

    registered = {info.name: info for info in list_corpora()}
    info = registered.get(config.corpus)
    if info is None:  # a file
        return {"name": Path(config.corpus).name, "path": config.corpus,
                "digest": _file_digest(Path(config.corpus).expanduser())}
    if info.remote is not None:
        return {"name": info.name, "title": info.title, "digest": f"sha1:{info.remote.sha1}"}
    if info.name in TOY_TASKS:  # generated: its name makes it
        return {"name": info.name, "title": info.title, "digest": None}
    if info.source == "built-in":
        return {"name": info.name, "title": info.title, "digest": _file_digest(resource_path(*PHRASEBOOK_FILE))}
    return {"name": info.name, "title": info.title, "digest": None}


def manifest_dict(bundle: Any, *, label: str = "", device: str = "", save_every_steps: int | None = None,
                  start: tuple[int, int, float] = (0, 0, 0.0)) -> dict[str, Any]:
    """The manifest of a run about to train ``bundle`` (a ModelBundle; its train_config set)."""
    from rnnviz.core.checkpoint import describe
    from rnnviz.core.checkpoint_checks import vocab_names

    train = bundle.train_config
    return {
        "format": FORMAT,
        "version": VERSION,
        "rnnviz": __version__,
        "created": now_text(),
        "label": label,
        "task": bundle.task,
        "description": describe(bundle),
        "parameters": bundle.parameter_count(),
        "device": device,
        "model_config": bundle.model_config.to_dict(),
        "data_config": bundle.data_config.to_dict(),
        "train_config": train.to_dict() if train is not None else None,
        "vocabs": dict(zip(vocab_names(bundle.task), (v.to_list() for v in bundle.vocabs))),
        "corpus": corpus_facts(bundle.data_config),
        # A language model's further texts: each one's name and digest, as the corpus's.
        "sources": [corpus_facts(DataConfig(corpus=s)) for s in bundle.data_config.sources],
        "save_every_steps": save_every_steps,
        "start": {"step": start[0], "epoch": start[1], "elapsed": start[2]},
        "status": "running",
        "ended": None,
        "reason": None,
    }


@dataclass(frozen=True)
class Manifest:
    """A manifest as read and checked; ``raw`` is the JSON as it stands (for the weights' checks)."""

    path: Path
    version: int
    rnnviz: str
    created: str
    label: str
    task: str
    description: str
    model_config: ModelConfig
    data_config: DataConfig
    train_config: TrainConfig | None
    vocabs: tuple[tuple[str, ...], ...]  # in the order of checkpoint_checks.vocab_names(task)
    corpus: dict[str, Any]
    save_every_steps: int | None
    start_step: int
    start_epoch: int
    status: str
    ended: str | None
    reason: str | None
    raw: dict[str, Any]

    @property
    def model_words(self) -> str:
        """A short name of the model for tables: "GRU 1×256 language model"."""
        from rnnviz.core.models import labels

        return labels.display_name(self.model_config)


def _refuse(path: Path, problem: str) -> DataError:
    return DataError(f"{path}: {problem} The run's manifest is damaged or was not written by rnnviz.")


def read_manifest(path: Path) -> Manifest:
    """Read and check ``path`` (a manifest.json); DataError naming what is wrong."""
    try:
        size = path.stat().st_size
        if size > _MAX_BYTES:
            raise _refuse(path, f"it is {size:,} bytes, far more than any manifest rnnviz writes.")
        text = path.read_text(encoding="utf-8")
    except DataError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise DataError(f"{path} could not be read ({detail}).") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than any manifest
        raise _refuse(path, f"it is not JSON as rnnviz writes it ({str(exc)[:120]}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataError(f"{path} is not an rnnviz run manifest. Open a folder recorded by rnnviz "
                        "(rnnviz train ... --run-dir DIR, or the app's runs).")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _refuse(path, f"its format version is {str(version)[:40]!r}, not one rnnviz writes.")
    if version > VERSION:
        raise DataError(f"{path.parent} was recorded by a newer rnnviz ({str(data.get('rnnviz'))[:40]}, run format "
                        f"{version}; this rnnviz {__version__} reads format {VERSION}): update rnnviz to open it.")
    task = data.get("task")
    if task not in TASKS:
        raise _refuse(path, f"its task is {str(task)[:40]!r}, not one of {', '.join(TASKS)}.")
    configs: list[Any] = []
    for key, kind in (("model_config", ModelConfig), ("data_config", DataConfig)):
        try:
            configs.append(kind.from_dict(data[key]))
        except (KeyError, TypeError, ValueError, AttributeError, RnnvizError) as exc:
            raise _refuse(path, f"its {key} cannot be read ({str(exc)[:200]}).") from None
    train = None
    if data.get("train_config") is not None:
        try:
            train = TrainConfig.from_dict(data["train_config"])
        except (TypeError, ValueError, AttributeError, RnnvizError) as exc:
            raise _refuse(path, f"its train_config cannot be read ({str(exc)[:200]}).") from None
    if configs[0].task != task:
        raise _refuse(path, f"its model is for {configs[0].task} but the run says {task}.")
    vocabs = _vocabs(path, task, data.get("vocabs"))
    status = data.get("status")
    if status not in STATUSES:
        raise _refuse(path, f"its status is {str(status)[:40]!r}, not one of {', '.join(STATUSES)}.")
    start = data.get("start") if isinstance(data.get("start"), dict) else {}
    every = data.get("save_every_steps")
    return Manifest(
        path=path, version=version, rnnviz=str(data.get("rnnviz", "?")), created=str(data.get("created", "")),
        label=str(data.get("label") or ""), task=task, description=str(data.get("description") or ""),
        model_config=configs[0], data_config=configs[1], train_config=train, vocabs=vocabs,
        corpus=data.get("corpus") if isinstance(data.get("corpus"), dict) else {},
        save_every_steps=every if isinstance(every, int) and not isinstance(every, bool) else None,
        start_step=_whole(start.get("step")), start_epoch=_whole(start.get("epoch")),
        status=status, ended=data.get("ended") if isinstance(data.get("ended"), str) else None,
        reason=data.get("reason") if isinstance(data.get("reason"), str) else None, raw=data)


def _whole(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _vocabs(path: Path, task: str, data: Any) -> tuple[tuple[str, ...], ...]:
    from rnnviz.core.checkpoint_checks import vocab_names

    names = vocab_names(task)
    if not isinstance(data, dict):
        raise _refuse(path, "its vocabs are not a table of token lists.")
    vocabs = []
    for name in names:
        tokens = data.get(name)
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise _refuse(path, f"its vocabs.{name} is not a list of tokens.")
        vocabs.append(tuple(tokens))
    return tuple(vocabs)


def write_manifest(folder: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as the folder's manifest.json, atomically (DataError when the disk refuses)."""
    from rnnviz.core.atomic import write_atomically
    from rnnviz.core.runs.layout import MANIFEST

    text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False)
    write_atomically(folder / MANIFEST, "w", lambda out: out.write(text + "\n"), "the run's manifest")
