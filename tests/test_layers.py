"""The layers hold: import-linter's contracts in pyproject.toml, checked by ``lint-imports``.

The core imports neither Qt nor the GUI nor the CLI; the GUI does not import the
CLI; the CLI imports the GUI only in ``rnnviz.cli.app``, to launch it; the package
itself reads its configuration from ``rnnviz.core.config``, never from the
``rnnviz.config`` re-export. ``lint-imports`` reads import statements only, so
``tests/core/test_no_qt.py`` also imports the core for real. The second
test plants a forbidden import in a copy of the package, so the contracts are
shown to bite, not only to pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    # The one installed beside this Python first, so a virtual environment checks with its own.
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if found is None:
        pytest.skip("lint-imports is not installed: pip install -e '.[test]' (it brings import-linter)")
    return found


def _run(exe: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # --no-cache: nothing written into the working tree; cwd: lint-imports reads cwd's pyproject.toml
    # and finds the package on the path from there.
    return subprocess.run([exe, "--no-cache", "--no-logo"], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(cwd)})


def test_every_layer_contract_is_kept() -> None:
    result = _run(_lint_imports(), ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for name in ("The core imports neither Qt, the GUI nor the CLI", "The GUI does not import the CLI",
                 "The CLI imports the GUI only to launch it", "Only old scripts import rnnviz.config"):
        assert f"{name}" in result.stdout, f"contract missing from pyproject.toml: {name}"


@pytest.mark.parametrize("module, line, broken", [
    ("core/errors.py", "import PySide6.QtCore", "The core imports neither Qt"),
    ("core/errors.py", "from rnnviz.gui import style", "The core imports neither Qt"),
    ("core/errors.py", "def _f():\n    from rnnviz.cli import main", "The core imports neither Qt"),
    ("core/errors.py", "import pyqtgraph", "The core imports neither Qt"),
    ("gui/app.py", "from rnnviz.cli.common import ProgressBar", "The GUI does not import the CLI"),
    ("cli/data.py", "from rnnviz.gui import app", "The CLI imports the GUI only to launch it"),
    ("gui/app.py", "from rnnviz.config import ModelConfig", "Only old scripts import rnnviz.config"),
])
def test_a_forbidden_import_breaks_a_contract(module: str, line: str, broken: str, tmp_path: Path) -> None:
    exe = _lint_imports()
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "rnnviz", tmp_path / "rnnviz", ignore=shutil.ignore_patterns("__pycache__", "resources"))
    target = tmp_path / "rnnviz" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n\n{line}\n", encoding="utf-8")
    result = _run(exe, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(broken)]
    assert verdicts and " BROKEN" in verdicts[0], result.stdout
