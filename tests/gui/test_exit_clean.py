"""Closing the app right after starting a run exits cleanly: exit code 0, nothing on stderr, and no
training thread or background job of rnnviz still running when Python begins to exit (a thread that
ran on then printed "can't register atexit after shutdown" and "Signal source has been deleted")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# A fresh process: the window, a run started as soon as the data are loaded, the window closed
# DELAY_MS later (torch is still loading on the training thread), the app quitting as the last
# window closes. The atexit hook is registered after rnnviz's own, so it runs before them: it sees
# what the app's quit has already ended, not what those last-resort hooks would still wait for.
SCRIPT = """
import atexit, sys
from PySide6.QtCore import QSettings, QTimer
from rnnviz.gui.app import make_app
app = make_app()
from rnnviz.gui import concurrency, gc_guard
from rnnviz.gui.main_window import MainWindow

window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))
started = []

def report():
    threads = [t for t in started if t is not None]
    print("started", len(threads), "running", sum(t.isRunning() for t in threads),
          "live", sum(h.thread.isRunning() for h in gc_guard.LIVE), "jobs", concurrency.active_jobs(), flush=True)
atexit.register(report)

def start():
    window.data_panel.wait_idle(30_000)
    window.builder.encoder.set_hidden(8)
    window.config_panel.batch_size.setValue(256)
    window.config_panel.num_steps.setValue(16)
    window.device_box.setCurrentText("cpu")
    window.start_training()
    started.append(window.controller.worker_thread)
    print("state", window.controller.state, flush=True)
    QTimer.singleShot(int(sys.argv[2]), window.close)

window.show()
QTimer.singleShot(0, start)
sys.exit(app.exec())
"""

#: What Qt's offscreen platform prints about itself; anything else on stderr fails the test.
PLATFORM_NOTES = ("This plugin does not support",)


@pytest.mark.parametrize("delay_ms", [50, 120, 200])
def test_closing_right_after_a_start_exits_cleanly(tmp_path: Path, delay_ms: int) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path),
           "XDG_RUNTIME_DIR": str(tmp_path)}
    os.chmod(tmp_path, 0o700)  # what Qt asks of a runtime directory
    result = subprocess.run([sys.executable, "-X", "dev", "-c", SCRIPT, str(tmp_path / "settings.ini"), str(delay_ms)],
                            capture_output=True, text=True, env=env, timeout=120,
                            cwd=Path(__file__).resolve().parents[2])
    noise = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith(PLATFORM_NOTES)]
    assert result.returncode == 0, result.stderr
    assert noise == [], result.stderr  # no traceback, no "Exception ignored", no Qt warning
    assert "state preparing" in result.stdout
    assert "started 1 running 0 live 0 jobs 0" in result.stdout, result.stdout
