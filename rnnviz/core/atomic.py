"""Writing a file so that a failed write never destroys the previous one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from rnnviz.core.errors import DataError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: Path, mode: str, write: Callable[[IO[Any]], None], what: str = "the file") -> Path:
    """Call ``write`` on a temporary file beside ``path`` (opened in ``mode``, "w" or "wb"), flush it
    to disk, then ``os.replace`` it into place. Raises DataError naming ``what`` on failure."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DataError(f"cannot write {what} in {path.parent} ({exc.strerror or exc}); "
                        "choose another folder.") from None
    tmp = Path(tmp_name)
    try:
        text = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with os.fdopen(handle, mode, **text) as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a saved file gets the usual mode
        os.replace(tmp, path)
    except OSError as exc:
        raise DataError(f"could not save {what} to {path} ({exc.strerror or exc}); "
                        "the previous file, if any, is unchanged.") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path
