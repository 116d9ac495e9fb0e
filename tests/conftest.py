"""Shared test set-up: headless Qt, and no test touches the user's cache or the network."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fake_hub import FakeHub

# Before any Qt import: the whole suite runs without a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: The book's data sets, for the optional tests that skip when they are absent.
D2L_DIR = Path(os.environ.get("RNNVIZ_TEST_D2L", Path(__file__).resolve().parents[2] / "shared" / "data" / "d2l"))


@pytest.fixture(scope="session", autouse=True)
def _torch_one_thread() -> None:
    """The test models are tiny: a second thread gains nothing and, on a shared
    2-core machine, can make a step a hundred times slower."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _isolated_data_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNVIZ_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    # A closed port on this machine: a test that reaches for the network fails fast and clearly.
    monkeypatch.setenv("RNNVIZ_DATA_URL", "http://127.0.0.1:9/")


@pytest.fixture
def d2l_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The offline folder with the book's two files; skips the test when it is absent."""
    if not (D2L_DIR / "timemachine.txt").is_file() or not (D2L_DIR / "fra-eng.zip").is_file():
        pytest.skip(f"the book's data sets are not in {D2L_DIR}")
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(D2L_DIR))
    return D2L_DIR


@pytest.fixture
def serve_files() -> Iterator[Callable[[dict[str, bytes]], FakeHub]]:
    """A factory of local HTTP servers standing in for the book's data hub."""
    servers: list[FakeHub] = []

    def start(files: dict[str, bytes]) -> FakeHub:
        servers.append(FakeHub(files))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
