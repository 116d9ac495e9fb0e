"""The lecturer's tour (scripts/tour.py) in a real window under Xvfb at 1280×720: every tab by keys
and clicks, in the normal and the presentation mode, with nothing printed as a traceback.

Skipped where Xvfb is missing (.ci/run installs it). RNNVIZ_TOUR_SHOTS=DIR keeps the screenshots.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (xvfb-run)")


def test_the_tour_drives_every_tab_at_1280x720(tmp_path: Path) -> None:
    shots = Path(os.environ.get("RNNVIZ_TOUR_SHOTS") or tmp_path / "shots")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    done = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", sys.executable,
                           str(ROOT / "scripts" / "tour.py"), "--shots", str(shots)],
                          env=env, capture_output=True, text=True, timeout=400)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == 0, output
    assert len(list(shots.glob("*.png"))) == 15  # 7 tabs × 2 modes, and the blank screen
