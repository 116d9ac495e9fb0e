"""The app's one owner of state: what it holds, and the signals that tell the views."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rnnviz.core.models.origin import ModelOrigin
from rnnviz.gui.store import AppStore


def _model(task: str, origin: ModelOrigin) -> SimpleNamespace:
    return SimpleNamespace(task=task, origin=origin)


@pytest.fixture
def store(qapp) -> AppStore:
    return AppStore()


def test_selection_is_announced_once_per_change(store: AppStore, qtbot) -> None:
    seen: list[tuple[str, str]] = []
    store.sig_selection_changed.connect(lambda corpus, task: seen.append((corpus, task)))
    store.set_selection("phrasebook", "mt")
    store.set_selection("phrasebook", "mt")  # the same again: nothing to tell
    store.set_selection("time-machine", "lm")
    assert seen == [("phrasebook", "mt"), ("time-machine", "lm")]
    assert (store.corpus, store.task) == ("time-machine", "lm")
    with pytest.raises(ValueError):
        store.set_selection("x", "classification")


def test_own_model_wins_over_the_shipped_one_and_clearing_goes_back(store: AppStore) -> None:
    changed: list[str] = []
    store.sig_model_changed.connect(changed.append)
    shipped = _model("mt", ModelOrigin.shipped("phrasebook"))
    trained = _model("mt", ModelOrigin.trained(2, 650))
    store.set_shipped(shipped)
    assert store.model("mt") is shipped and store.is_shipped("mt")
    assert store.model_label("mt") == "shipped phrasebook model"
    store.set_model(trained)
    assert store.model("mt") is trained and store.own_model("mt") is trained
    assert store.model_label("mt") == "trained here, run 2, step 650"
    store.set_shipped(shipped)  # reloaded while a trained model is shown: the views keep the trained one
    assert store.model("mt") is trained
    store.clear_model("mt")
    assert store.model("mt") is shipped and store.own_model("mt") is None
    assert changed == ["mt", "mt", "mt"]
    assert store.model("lm") is None and store.model_label("lm") == "no model yet"


def test_a_model_must_say_where_it_came_from(store: AppStore) -> None:
    with pytest.raises(TypeError, match="origin"):
        store.set_model(SimpleNamespace(task="lm"))


def test_runs_are_numbered_and_their_changes_announced(store: AppStore) -> None:
    records = []
    store.sig_run_changed.connect(records.append)
    store.set_selection("phrasebook-en", "lm")
    first = store.start_run("GRU 1×32, sgd lr 4", "lm")
    store.update_run(state="running", parameters=2489)
    store.update_run(state="running", parameters=2489)  # no change: no signal
    store.update_run(state="completed", step=28)
    second = store.start_run("LSTM 1×32, sgd lr 4", "lm")
    assert (first.number, second.number) == (1, 2)
    assert [r.state for r in records] == ["preparing", "running", "completed", "preparing"]
    assert store.runs()[0].ended and not store.current_run().ended
    origin = store.trained_origin(step=650)
    assert origin.describe() == "trained here, run 2, step 650" and origin.corpus == "phrasebook-en"
