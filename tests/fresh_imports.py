"""What importing some modules loads, in a fresh interpreter (tests that keep torch, or Qt, out of
a module: the first window paints before torch loads, and the core never imports Qt)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def loaded_by(modules: Iterable[str], prefixes: Iterable[str]) -> list[str]:
    """The modules whose names start with one of ``prefixes`` (``"torch"`` matches ``torch`` and
    ``torch.nn``, not ``torchvision``) that importing ``modules`` loads, offscreen, in a new process."""
    code = ("import importlib, json, sys\n"
            f"for name in {list(modules)!r}: importlib.import_module(name)\n"
            f"prefixes = {list(prefixes)!r}\n"
            "print(json.dumps(sorted(m for m in sys.modules "
            "if any(m == p or m.startswith(p + '.') for p in prefixes))))")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
