"""The core must import without Qt: the CLI, the tests and a GPU box without PySide6 rely on it."""

from __future__ import annotations

import json
import subprocess
import sys

QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")

_PROBE = """
import json, pkgutil, importlib, sys
import rnnviz.core, rnnviz.config, rnnviz.cli
names = ["rnnviz.config"]
# Every module of the core, and of the CLI (which imports the GUI only inside the functions that launch it).
for package in (rnnviz.core, rnnviz.cli):
    names.append(package.__name__)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        names.append(info.name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in {qt_modules!r})
print(json.dumps({{"imported": names, "qt": qt}}))
"""


def test_every_core_and_cli_module_imports_without_qt() -> None:
    code = _PROBE.format(qt_modules=set(QT_MODULES))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["qt"] == [], f"Qt was imported by the core: {report['qt']}"
    # The walk really found the data layer, so an empty walk cannot pass this test.
    assert "rnnviz.core.data.vocab" in report["imported"]
    assert "rnnviz.core.data.corpora" in report["imported"]
    assert "rnnviz.core.config" in report["imported"] and "rnnviz.cli.app" in report["imported"]


def test_core_stays_importable_when_qt_is_missing() -> None:
    """With PySide6 and pyqtgraph made unimportable, the headless CLI still lists the corpora."""
    code = (
        "import sys\n"
        f"for name in {QT_MODULES!r}:\n"
        "    sys.modules[name] = None  # any import of it now raises ImportError\n"
        "from rnnviz.cli import main\n"
        "sys.exit(main(['data', 'list']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "phrasebook" in result.stdout


def test_gui_without_qt_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['PySide6'] = None\n"
        "from rnnviz.cli import main\n"
        "sys.exit(main([]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "pip install PySide6-Essentials pyqtgraph" in result.stderr
    assert "Traceback" not in result.stderr
