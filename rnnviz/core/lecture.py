"""Lecture sessions: the panels' state in one JSON file, the model in a checkpoint beside it.

``lecture.rnnviz-session`` holds the data, config and view state and the device;
``lecture.rnnviz-session.pt`` (when there is a model) is an ordinary checkpoint. A session may
point at a recorded run instead (its folder, the epoch shown, each tab's epoch): the run is not
copied, and a run that has gone is named when the session opens, the rest opening as usual.
Both are written atomically, so a failed save never destroys a good session.

A session file may come from anyone: :func:`load_session` checks it whole before the app
applies any of it (``rnnviz.core.session_schema``): a newer format is refused as such, and the
first wrong field is named with its value and what is allowed. The checkpoint must be a plain
file name beside the session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnviz.core.atomic import write_atomically
from rnnviz.core.errors import DataError
from rnnviz.core.session_schema import NewerFormat, check_session

FORMAT = "rnnviz-session"
VERSION = 1
SUFFIX = ".rnnviz-session"
#: A session holds a few kilobytes; a file much larger than that is not one.
MAX_BYTES = 4 * 2**20


@dataclass(frozen=True)
class Session:
    data: dict[str, Any]
    config: dict[str, Any]
    view: dict[str, Any]
    device: str = "auto"
    has_checkpoint: bool = False
    #: A recorded run to open (``rnnviz.core.runs``): {"path", "epoch", "tabs": {tab: epoch}}; None for none.
    run: dict[str, Any] | None = None


def checkpoint_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".pt")


def save_session(session: Session, path: str | Path) -> Path:
    path = Path(path).expanduser()
    payload = {"format": FORMAT, "version": VERSION, "data": session.data, "config": session.config,
               "view": session.view, "device": session.device,
               "checkpoint": checkpoint_path(path).name if session.has_checkpoint else None}
    if session.run is not None:
        payload["run"] = session.run
    try:
        text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:  # a state that is not plain data: a bug, said as such
        raise DataError(f"could not save the session to {path}: its state is not plain data ({exc}).") from None
    return write_atomically(path, "w", lambda out: out.write(text), "the session")


def load_session(path: str | Path) -> tuple[Session, Path | None]:
    """The session and the path of its checkpoint (None when it was saved without a model).

    Raises DataError naming the file and what is wrong; nothing else escapes."""
    path = Path(path).expanduser()
    payload = _read_json(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise DataError(f"{path} is not an rnnviz session file (File → Save session writes them).")
    try:
        check_session(payload, VERSION)
    except NewerFormat as exc:
        raise DataError(f"the session {path} {exc}") from None
    except DataError as exc:
        raise DataError(f"the session {path} cannot be opened: {str(exc).rstrip('.')}. Fix that field, or save "
                        "the session again from rnnviz.") from None
    checkpoint = payload.get("checkpoint")
    ckpt_path = path.with_name(checkpoint) if checkpoint is not None else None
    if ckpt_path is not None and not ckpt_path.is_file():
        raise DataError(f"the session's model {ckpt_path} is missing; keep it beside {path.name}.")
    session = Session(dict(payload.get("data", {})), dict(payload.get("config", {})),
                      dict(payload.get("view", {})), payload.get("device", "auto"), ckpt_path is not None,
                      dict(payload["run"]) if isinstance(payload.get("run"), dict) else None)
    return session, ckpt_path


def _read_json(path: Path) -> object:
    try:
        if path.exists() and not path.is_file():
            raise DataError(f"{path} is not a file; choose a session file (*{SUFFIX}).")
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise DataError(f"{path}: no such session file.") from None
    except OSError as exc:
        raise DataError(f"{path} is not a readable rnnviz session ({exc.strerror or exc}).") from None
    if len(raw) > MAX_BYTES:
        raise DataError(f"{path} is larger than {MAX_BYTES // 2**20} MB; an rnnviz session holds a few "
                        "kilobytes, so this is not one.")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not a readable rnnviz session (not UTF-8 text: {exc.reason} at byte "
                        f"{exc.start}).") from None
    except RecursionError:
        raise DataError(f"{path} is not a readable rnnviz session (it nests too deeply).") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of thousands of digits
        raise DataError(f"{path} is not a readable rnnviz session ({exc}).") from None
