"""Lecture sessions: the panels' state in one JSON file, the model in a checkpoint beside it.

``lecture.rnnviz-session`` holds the data, config and view state and the device;
``lecture.rnnviz-session.pt`` (when there is a model) is an ordinary checkpoint.
Both are written atomically, so a failed save never destroys a good session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnviz.core.atomic import write_atomically
from rnnviz.core.errors import DataError

FORMAT = "rnnviz-session"
VERSION = 1
SUFFIX = ".rnnviz-session"


@dataclass(frozen=True)
class Session:
    data: dict[str, Any]
    config: dict[str, Any]
    view: dict[str, Any]
    device: str = "auto"
    has_checkpoint: bool = False


def checkpoint_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".pt")


def save_session(session: Session, path: str | Path) -> Path:
    path = Path(path).expanduser()
    payload = {"format": FORMAT, "version": VERSION, "data": session.data, "config": session.config,
               "view": session.view, "device": session.device,
               "checkpoint": checkpoint_path(path).name if session.has_checkpoint else None}
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    return write_atomically(path, "w", lambda out: out.write(text), "the session")


def load_session(path: str | Path) -> tuple[Session, Path | None]:
    """The session and the path of its checkpoint (None when it was saved without a model)."""
    path = Path(path).expanduser()
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such session file.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path} is not a readable rnnviz session ({exc}).") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise DataError(f"{path} is not an rnnviz session file (File → Save session writes them).")
    checkpoint = payload.get("checkpoint")
    ckpt_path = path.with_name(checkpoint) if isinstance(checkpoint, str) else None
    if ckpt_path is not None and not ckpt_path.is_file():
        raise DataError(f"the session's model {ckpt_path} is missing; keep it beside {path.name}.")
    session = Session(dict(payload.get("data") or {}), dict(payload.get("config") or {}),
                      dict(payload.get("view") or {}), str(payload.get("device") or "auto"), ckpt_path is not None)
    return session, ckpt_path
