"""Guards against a Qt binding that would crash the app in a long lecture."""

from __future__ import annotations

import subprocess
import sys

_EMITS = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Source(QObject):
    sig = Signal(int)
source = Source()
source.sig.connect(lambda value: None)
before = sys.getrefcount(True)
for value in range(500):
    source.sig.emit(value)
print(sys.getrefcount(True) - before)
"""


def test_signal_emits_keep_bool_refcounts() -> None:
    # PySide6 6.12.0 on Python 3.11 loses one reference to True per emit, and the process
    # aborts once it reaches zero: a training plot emits thousands of signals a minute.
    result = subprocess.run([sys.executable, "-c", _EMITS], capture_output=True, text=True, timeout=60,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert result.returncode == 0, result.stderr[-500:]
    drift = int(result.stdout.strip().splitlines()[-1])
    assert abs(drift) < 50, f"each Signal.emit leaks a reference to True ({drift} over 500 emits)"
