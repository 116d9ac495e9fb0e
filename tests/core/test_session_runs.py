"""Sessions that point at a recorded run: saved and read back, and checked like every other field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnviz.core.errors import DataError
from rnnviz.core.lecture import Session, load_session, save_session


def test_a_run_and_its_epochs_round_trip(tmp_path: Path) -> None:
    run = {"path": str(tmp_path / "runs" / "gru"), "epoch": 7, "tabs": {"gates": 3, "translate": 30}}
    path = save_session(Session({}, {}, {}, run=run), tmp_path / "a.rnnviz-session")
    session, checkpoint = load_session(path)
    assert session.run == run and checkpoint is None


def test_a_session_without_a_run_reads_none(tmp_path: Path) -> None:
    path = save_session(Session({}, {}, {}), tmp_path / "b.rnnviz-session")
    assert "run" not in json.loads(path.read_text())
    assert load_session(path)[0].run is None


@pytest.mark.parametrize(("run", "words"), [
    ({"path": "/x", "epoch": -1}, "run.epoch is -1"),
    ({"path": "/x", "tabs": {"gates": "3"}}, "run.tabs.gates is '3'"),
    ({"path": "//server/share/run"}, "not a network share"),
    ({"epoch": 2}, "run.path"),
    ("runs/gru", "run is 'runs/gru'"),
])
def test_a_wrong_run_field_is_named(tmp_path: Path, run: object, words: str) -> None:
    path = tmp_path / "c.rnnviz-session"
    path.write_text(json.dumps({"format": "rnnviz-session", "version": 1, "run": run}))
    with pytest.raises(DataError, match="cannot be opened") as error:
        load_session(path)
    assert words in str(error.value)
