"""`python -m rnnviz` and the parser's own options."""

from __future__ import annotations

import subprocess
import sys

from rnnviz import __version__


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "rnnviz", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"rnnviz {__version__}"
