"""The app's settings (QSettings) as plain values only: nothing in a settings file can run code.

Why a module of its own: PySide6 pickles a Python object that has no Qt type when it stores it
in QSettings (an ini entry ``@Variant(... PySide::PyObjectWrapper ...)``), and unpickles such an
entry as soon as QSettings parses the section that holds it: inside ``value()``, ``allKeys()``
or ``sync()``, before the caller could look at the type and refuse it. A crafted settings file
would run code when the window opens. So:

- every value is written as ``json.`` + base64url(JSON text), an alphabet Qt writes as it is: a
  file written here never holds ``@`` (Qt's mark for a typed value) nor a backslash (its escape);
- before QSettings reads or writes the file, every line holding ``@`` or a backslash is removed
  (the original is kept as ``NAME.rejected``, with a logged note). Without those two characters
  Qt's ini parser can only give plain strings: nothing is unpickled, whatever else the file holds;
- the fallback files (organisation-wide and system-wide) are switched off, since Qt would parse
  them too; the registry (Windows) and plists (macOS) cannot be checked before Qt reads them, so
  there the settings live in an ini file in the user's folder instead (``file_backed``);
- a value read back is used only when it decodes to the kind its key holds (text, bytes, an
  object); anything else is ignored with a logged note, and the window keeps its defaults.

MainWindow reads and writes its settings through :func:`restore_window` and :func:`save_window`,
the file dialogs their folders through :func:`read_text` and :func:`write`.

Threat model: a settings file present when the app starts (copied from elsewhere, or written by
an older rnnviz, which stored the panels' state as a pickled ``@Variant``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import stat
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings

from rnnviz.core.atomic import write_atomically
from rnnviz.core.errors import DataError
from rnnviz.core.session_schema import check_section

if TYPE_CHECKING:
    from rnnviz.gui.main_window import MainWindow

log = logging.getLogger("rnnviz")

#: The keys the app reads and writes, and what each holds.
GEOMETRY = "window/geometry"  # bytes: QMainWindow.saveGeometry()
WINDOW_STATE = "window/state"  # bytes: QMainWindow.saveState()
PANELS = "panels/config"  # an object: MainWindow.panels_state()
LAST_DIR = "files/last_dir"  # text: the folder of the last file dialog
OFFLINE_DIR = "data/offline_dir"  # text: the folder with the book's data files

PREFIX = "json."
#: A settings file of rnnviz holds a few kilobytes; a larger one was not written by it.
MAX_FILE_BYTES = 4 * 2**20
MAX_VALUE_CHARS = 2 * 2**20
#: Bytes that let Qt's ini parser build a typed value (``@...``) or unescape one (``\\x40``).
_UNSAFE = (b"@", b"\\")
_BAD = object()  # a value that could not be decoded (the note is logged already)


def restore_window(window: MainWindow) -> bool:
    """Give ``window`` its saved geometry, layout, offline data folder and panels' state; True when
    the layout (dock sizes) was restored. ``window.settings`` becomes a checked ini file."""
    window.settings = settings = file_backed(window.settings)
    geometry = read_bytes(settings, GEOMETRY)
    if geometry is not None:
        window.restoreGeometry(QByteArray(geometry))
    state = read_bytes(settings, WINDOW_STATE)
    restored = state is not None and window.restoreState(QByteArray(state))
    folder = read_text(settings, OFFLINE_DIR)
    if folder and not os.environ.get("RNNVIZ_DATA_DIR"):
        os.environ["RNNVIZ_DATA_DIR"] = folder  # the data layer looks here first
    restore_panels(settings, window.restore_panels_state)
    return restored


def save_window(window: MainWindow) -> None:
    """Store what :func:`restore_window` reads back."""
    write(window.settings, {GEOMETRY: window.saveGeometry().data(), WINDOW_STATE: window.saveState().data(),
                            PANELS: window.panels_state()})


def file_backed(settings: QSettings) -> QSettings:
    """``settings``, or where its store cannot be checked before Qt parses it (the Windows registry,
    macOS plists, a custom format), an ini file in the user's folder for the same application."""
    if _ini_path(settings) is not None:
        return settings
    ini = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                    settings.organizationName(), settings.applicationName())
    log.info("settings: kept in %s (an ini file, checked before it is read) instead of %s",
             ini.fileName(), settings.fileName())
    return ini


def read_text(settings: QSettings, key: str) -> str | None:
    """The text stored under ``key``, or None (missing, or not text: ignored with a note)."""
    raw = _read_raw(settings, key)
    if raw is None:
        return None
    if not raw.startswith(PREFIX):
        return raw  # a plain string (older rnnviz wrote folders so)
    value = _decode(settings, key, raw)
    if value is _BAD or value is None:
        return None
    if not isinstance(value, str):
        _ignore(settings, key, f"it holds {type(value).__name__}, not text")
        return None
    return value


def _read_json(settings: QSettings, key: str, kind: type, what: str) -> Any:
    """The JSON value of ``kind`` stored under ``key`` by this module, or None (with a note when
    something else is there)."""
    raw = _read_raw(settings, key)
    if raw is None:
        return None
    value = _decode(settings, key, raw) if raw.startswith(PREFIX) else None
    if value is _BAD:
        return None
    if not isinstance(value, kind):
        _ignore(settings, key, f"it is not {what} written by this rnnviz")
        return None
    return value


def read_bytes(settings: QSettings, key: str) -> bytes | None:
    """The bytes stored under ``key`` (base64 text), or None."""
    value = _read_json(settings, key, str, "base64 text")
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        _ignore(settings, key, "its base64 text is damaged")
        return None


def read_mapping(settings: QSettings, key: str) -> dict[str, Any] | None:
    """The JSON object stored under ``key``, or None."""
    return _read_json(settings, key, dict, "a JSON object")


def restore_panels(settings: QSettings, apply: Callable[[dict[str, Any]], None]) -> bool:
    """``apply`` the panels' state (PANELS) when it is there and passes a session's checks of its
    ``config`` section; True when applied. A panel that fails is noted, and the window opens."""
    config = read_mapping(settings, PANELS)
    if config is None:
        return False
    try:
        check_section("config", config)
    except DataError as exc:  # FieldError: the first wrong field, its value and the range
        _ignore(settings, PANELS, str(exc))
        return False
    try:
        apply(config)
    except Exception as exc:  # a panel refused a checked value: a bug, but the window still opens
        log.warning("settings: the panels' state from %s could not be applied (%s: %s); defaults kept "
                    "where it failed", settings.fileName(), type(exc).__name__, exc)
        return False
    return True


def write(settings: QSettings, values: Mapping[str, str | bytes | Mapping[str, Any]]) -> None:
    """Store ``values`` (text, bytes or a JSON-able mapping per key) and write the file now.

    A value that cannot be stored as JSON is left out with a note; nothing here raises."""
    if not _prepare(settings):
        log.warning("settings: %s not saved: the settings file %s could not be checked",
                    ", ".join(values), settings.fileName())
        return
    for key, value in values.items():
        if isinstance(value, (bytes, bytearray)):
            value = base64.b64encode(bytes(value)).decode("ascii")
        try:
            settings.setValue(key, encode(value))
        except (TypeError, ValueError) as exc:  # not JSON: a NaN, an object of some class
            log.warning("settings: %s not saved (%s)", key, exc)
    settings.sync()
    if settings.status() != QSettings.Status.NoError:
        log.warning("settings: could not write %s (%s)", settings.fileName(), settings.status().name)


def encode(value: Any) -> str:
    """``json.`` + base64url(JSON) without padding: letters, digits, ``-``, ``_`` and one ``.``."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return PREFIX + base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


# ---- before Qt reads the file ------------------------------------------------------------------

def _ini_path(settings: QSettings) -> Path | None:
    """The ini file behind ``settings``, or None when its store is not one (registry, plist…)."""
    fmt = settings.format()
    native_is_ini = not sys.platform.startswith(("win", "darwin"))
    if fmt == QSettings.Format.IniFormat or (fmt == QSettings.Format.NativeFormat and native_is_ini):
        return Path(settings.fileName())
    return None


def _prepare(settings: QSettings) -> bool:
    """Make the file safe for Qt to parse (see the module's docstring); False when it cannot be."""
    settings.setFallbacksEnabled(False)  # Qt would parse ~/.config/ORG.ini and /etc/xdg/... too
    path = _ini_path(settings)
    if path is None:
        log.warning("settings: %s is not an ini file; it is not read (settings_io.file_backed gives one)",
                    settings.fileName())
        return False
    if not _scrub(path):
        return False
    settings.sync()  # Qt re-reads the file as it is now (it parses sections only when asked)
    return True


def _scrub(path: Path) -> bool:
    try:
        info = path.stat()
    except FileNotFoundError:
        return True
    except OSError as exc:
        log.warning("settings: %s cannot be checked (%s); it is not read", path, exc.strerror or exc)
        return False
    if not stat.S_ISREG(info.st_mode):
        log.warning("settings: %s is not a regular file; it is not read", path)
        return False
    try:
        data = path.read_bytes() if info.st_size <= MAX_FILE_BYTES else None
    except OSError as exc:
        log.warning("settings: %s cannot be read (%s); it is not read", path, exc.strerror or exc)
        return False
    if data is not None and not any(mark in data for mark in _UNSAFE):
        return True
    backup = path.with_name(path.name + ".rejected")
    if data is None:
        lines: list[bytes] = []
        dropped = [f"the whole file ({info.st_size:,} bytes; rnnviz writes a few kilobytes)"]
        original = b""
    else:
        lines = data.splitlines(keepends=True)
        dropped = [_entry_name(line) for line in lines if any(mark in line for mark in _UNSAFE)]
        original = data
    try:
        if data is None:
            path.replace(backup)
        else:
            write_atomically(backup, "wb", lambda out: out.write(original), "the rejected settings")
            kept = b"".join(line for line in lines if not any(mark in line for mark in _UNSAFE))
            write_atomically(path, "wb", lambda out: out.write(kept), "the settings")
    except (DataError, OSError) as exc:
        log.warning("settings: %s holds entries that are not plain values and cannot be cleaned (%s); "
                    "it is not read", path, exc)
        return False
    log.warning("settings: ignored %s in %s: not plain values (a typed or pickled Qt value, which could "
                "run code); the window uses its defaults there. The original file is kept as %s.",
                ", ".join(dropped), path, backup)
    return True


def _entry_name(line: bytes) -> str:
    name = line.split(b"=", 1)[0].strip().decode("utf-8", "replace")
    return repr(name[:40] + ("…" if len(name) > 40 else ""))


# ---- reading -----------------------------------------------------------------------------------

def _read_raw(settings: QSettings, key: str) -> str | None:
    if not _prepare(settings):
        return None
    raw = settings.value(key)
    if raw is None:
        return None
    if not isinstance(raw, str):  # a list: the text held commas, so rnnviz did not write it
        _ignore(settings, key, f"it holds {type(raw).__name__}, not one text")
        return None
    if len(raw) > MAX_VALUE_CHARS:
        _ignore(settings, key, f"it holds {len(raw):,} characters")
        return None
    return raw


def _decode(settings: QSettings, key: str, raw: str) -> Any:
    """The JSON value of ``raw`` (``json.`` + base64url), or _BAD (ignored with a note)."""
    body = raw[len(PREFIX):]
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
        return json.loads(text, parse_constant=_refuse_constant)
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError) as exc:
        _ignore(settings, key, f"it cannot be read as JSON ({exc})")
        return _BAD


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a plain number")


def _ignore(settings: QSettings, key: str, why: str) -> None:
    log.warning("settings: ignored %s in %s: %s; the window uses its default", key, settings.fileName(), why)
