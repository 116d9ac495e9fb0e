"""One smoke test in a real X window: `rnnviz` starts under Xvfb and paints something.

Skipped when Xvfb, xdotool or ImageMagick is missing (.ci/run installs them).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOOLS = ("Xvfb", "xdotool", "import", "convert")
pytestmark = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                                reason="needs Xvfb, xdotool and ImageMagick")


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        pytest.skip("Xvfb did not start")
    return server, f":{number}"


def _deviation(png: Path) -> float:
    out = subprocess.run(["convert", str(png), "-colorspace", "Gray", "-format", "%[fx:standard_deviation]", "info:"],
                         capture_output=True, text=True, timeout=30).stdout
    return float(out.strip() or 0)


def test_rnnviz_paints_a_real_window(tmp_path: Path) -> None:
    server, display = _start_xvfb()
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path))
    app = subprocess.Popen([sys.executable, "-m", "rnnviz"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    shot = tmp_path / "shot.png"
    try:
        found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", "rnnviz"],
                               env=env, capture_output=True, text=True, timeout=60)
        assert found.returncode == 0, "no rnnviz window appeared"
        deviation, deadline = 0.0, time.monotonic() + 30
        while deviation < 0.05 and time.monotonic() < deadline:  # wait for the panels to paint
            subprocess.run(["import", "-window", "root", str(shot)], env=env, timeout=30, check=True)
            deviation = _deviation(shot)
        assert deviation >= 0.05, f"the screenshot is blank (grey-level deviation {deviation:.3f})"
        assert app.poll() is None, app.stdout.read() if app.stdout else ""
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.kill()
        server.terminate()
        server.wait(timeout=10)
