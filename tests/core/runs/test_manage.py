"""Naming, renaming and deleting runs: only rnnviz's files, never while a process writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rnnviz.core.errors import DataError
from rnnviz.core.runs import RunRecorder, delete_run, new_run_folder, open_run, rename_run


def test_a_new_run_folder_is_named_by_time_and_label_and_never_reused(tmp_path: Path) -> None:
    now = dt.datetime(2026, 12, 7, 14, 30)
    first = new_run_folder(tmp_path, "GRU 1×32, sgd lr 4", now)
    assert first.name == "2026-12-07_1430_GRU-1-32-sgd-lr-4"
    first.mkdir()
    assert new_run_folder(tmp_path, "GRU 1×32, sgd lr 4", now).name == first.name + "_2"
    assert new_run_folder(tmp_path, "../../etc", now).parent == tmp_path


def test_rename_and_delete_a_run(tmp_path: Path, record) -> None:
    record(tmp_path / "run", epochs=1)
    renamed = rename_run(tmp_path / "run", "lecture 3")
    assert open_run(renamed).name == "lecture 3" and not (tmp_path / "run").exists()
    with pytest.raises(DataError, match="cannot name a run folder"):
        rename_run(renamed, "../elsewhere")
    (renamed / "my notes.txt").write_text("mine")
    assert delete_run(renamed) == ["my notes.txt"]
    assert [p.name for p in renamed.iterdir()] == ["my notes.txt"]  # the user's file stays
    record(tmp_path / "other", epochs=1)
    assert delete_run(tmp_path / "other") == [] and not (tmp_path / "other").exists()


def test_a_run_being_written_is_neither_renamed_nor_deleted(tmp_path: Path, session_for) -> None:
    with RunRecorder.create(tmp_path / "run", session_for(1).bundle):
        with pytest.raises(DataError, match="is writing it"):
            delete_run(tmp_path / "run")
        with pytest.raises(DataError, match="is writing it"):
            rename_run(tmp_path / "run", "x")
    assert open_run(tmp_path / "run").epochs() == (0,)
    with pytest.raises(DataError, match="not an rnnviz run"):
        delete_run(tmp_path)
