"""Reading the NPZ files rnnviz writes (gate traces, gradients): no pickle, a format key, a version.

One reader, so that every export says the same thing when the file is missing, is not an NPZ file,
is another kind of file, or comes from a newer rnnviz.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from rnnviz.core.errors import DataError


def read_npz(path: str | Path, fmt: str, version: int, what: str, writers: str) -> dict[str, np.ndarray]:
    """Every array of the NPZ file ``path`` whose ``format`` key is ``fmt`` and whose ``version`` is at most
    ``version``; a DataError naming ``what`` the file should hold and ``writers`` (who writes one) otherwise."""
    path = Path(path).expanduser()
    try:
        with np.load(path, allow_pickle=False) as npz:  # never unpickle a file from someone else
            data = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise DataError(f"{path}: no such file.") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path} cannot be read as an NPZ file ({str(exc)[:120]}); export the {what} "
                        "again.") from None
    if "format" not in data or str(data["format"]) != fmt:
        raise DataError(f"{path} holds no rnnviz {what} (it has no format key {fmt!r}); open a file written by "
                        f"{writers}.")
    found = int(data["version"]) if "version" in data else 0
    if found > version:
        raise DataError(f"{path} was written by a newer rnnviz ({what} format {found}); update rnnviz to "
                        "read it.")
    return data
