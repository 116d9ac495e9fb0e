"""The PyInstaller bundle: built, self-tested, measured (slow; only with ``-m packaging``).

When the book's data sets are in ../shared/data/d2l (or RNNVIZ_TEST_D2L), the build
bundles them (RNNVIZ_DATA_DIR) and the frozen app must list them as "bundled".

    python -m pip install -e ".[packaging]"
    python -m pytest -m packaging tests/test_packaging.py -s

Runs scripts/build_and_check.sh: build dist/rnnviz/ from rnnviz.spec, the frozen app's
--self-test and `data list`, the bundle's size and its start time to the first window.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import D2L_DIR

ROOT = Path(__file__).resolve().parents[1]
SIZE_BUDGET_MB = 1200  # with the CPU build of torch
START_BUDGET_S = 5.0


@pytest.fixture(autouse=True)
def _only_when_selected(request: pytest.FixtureRequest) -> None:
    """Tests marked ``packaging`` are skipped unless ``-m packaging`` selects them."""
    marked = request.node.get_closest_marker("packaging") is not None
    if marked and "packaging" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("builds the PyInstaller bundle (minutes); run with -m packaging")


@pytest.mark.packaging
def test_bundle_builds_passes_its_self_test_and_fits_the_budget() -> None:
    pytest.importorskip("PyInstaller", reason="install the packaging extra: pip install -e '.[packaging]'")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    book = (D2L_DIR / "timemachine.txt").is_file() and (D2L_DIR / "fra-eng.zip").is_file()
    if book:  # the book's data sets go into the bundle, and the frozen app must find them there
        env["RNNVIZ_DATA_DIR"] = str(D2L_DIR)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "build_and_check.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    output = done.stdout + done.stderr
    print(done.stdout)
    assert done.returncode == 0, output[-4000:]
    assert "self-test passed" in done.stdout
    assert re.search(r"^phrasebook\s+translation\s+built-in", done.stdout, re.MULTILINE)
    if book:
        assert re.search(r"^time-machine .* bundled ", done.stdout, re.MULTILINE)
        assert re.search(r"^fra-eng .* bundled ", done.stdout, re.MULTILINE)
    size = int(re.search(r"bundle size: (\d+) MB", done.stdout).group(1))
    assert size <= SIZE_BUDGET_MB
    start = float(re.search(r"warm start to first paint: ([\d.]+) s median", done.stdout).group(1))
    assert start <= START_BUDGET_S
    assert "torch loaded before the paint: False" in done.stdout
    assert (ROOT / "dist" / "rnnviz" / "_internal" / "resources" / "pretrained" / "phrasebook-mt.pt").is_file()


def test_the_app_starts_no_worker_processes() -> None:
    """The frozen app must never fork DataLoader workers: rnnviz has no DataLoader at all."""
    sources = [p for p in (ROOT / "rnnviz").rglob("*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in sources
                 if re.search(r"\bDataLoader\b|num_workers|multiprocessing\.Pool|ProcessPoolExecutor", p.read_text())]
    assert offenders == []
