"""The exercise registry: every row of the issue's table, each setup buildable, each ready run keeping its promise."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.config import DataConfig
from rnnviz.core.errors import ConfigError, RnnvizError
from rnnviz.core.exercises import EXERCISES, SECTIONS, VIEWS, by_section, get_exercise
from rnnviz.core.models.presets import get_preset

ISSUE_IDS = ("rnn-1 rnn-2 rnn-3 rnn-4 gru-1 gru-2 gru-3 gru-4 lstm-1 lstm-2 lstm-3 lstm-4 lstm-5 deep-1 deep-2 deep-3 "
             "deep-4 bi-1 bi-2 bi-3 bi-4 mt-1 ed-1 ed-2 s2s-1 s2s-2 s2s-3 beam-1 beam-2").split()
NEEDS: set[str] = set()


def test_every_exercise_of_the_issue_is_listed_once() -> None:
    ids = [e.id for e in EXERCISES]
    assert sorted(ids) == sorted(ISSUE_IDS)
    assert sum(len(v) for v in by_section().values()) == len(ids)
    assert list(by_section()) == list(SECTIONS.values())


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_setup_builds(exercise) -> None:
    setup = exercise.setup
    assert exercise.paraphrase.split(":")[0][:2] in {"9.", "10"}  # cites its section
    if setup.in_dock:  # its run brings its own data and model: the app loads nothing for it
        assert setup.preset is None and setup.view == "" and exercise.runner is not None
        return
    assert setup.view in VIEWS
    if setup.preset is not None:
        preset = get_preset(setup.preset)
        assert preset.config.task == setup.task
    DataConfig(corpus=setup.corpus, task=setup.task)  # the data it loads is a valid choice


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_status_is_honest(exercise) -> None:
    if exercise.id in NEEDS:
        assert exercise.status.startswith("needs: ") and exercise.meanwhile
        with pytest.raises(RnnvizError, match="Meanwhile"):
            exercise.run()
    else:
        assert exercise.status == "ready" and exercise.question


def test_unknown_id_names_the_ids() -> None:
    with pytest.raises(ConfigError, match="gru-4"):
        get_exercise("gru-9")
    assert get_exercise(" GRU-4 ").id == "gru-4"


@pytest.mark.parametrize("name", ["rnn-1", "deep-1", "bi-1", "bi-2", "ed-2"])
def test_anatomy_runs_give_the_layers(name: str) -> None:
    result = get_exercise(name).run()
    layers = result.table("layers")
    assert layers.rows and set(layers.column("parameters")) and all(p > 0 for p in layers.column("parameters"))
    if name == "bi-1":
        assert layers.column("output") == [48] and "48" in result.summary
    if name == "ed-2":
        assert layers.column("part").count("encoder") == 4 and layers.column("part").count("decoder") == 4


def test_rnn_1_output_dimension_is_the_vocabulary() -> None:
    result = get_exercise("rnn-1").run()
    assert "V = 28" in result.summary


def test_rnn_2_a_change_at_the_start_reaches_later_states() -> None:
    result = get_exercise("rnn-2").run()
    d = result.arrays["distance"]
    assert d.ndim == 1 and d.shape[0] > 10
    assert d[0] > 0 and np.all(d[1:5] > 0)  # later states depend on the first token
    assert d[-1] < d[0]


def test_rnn_3_gradient_over_time() -> None:
    result = get_exercise("rnn-3").run()
    g = result.arrays["g"]
    assert g.ndim == 1 and np.all(np.isfinite(g)) and g[0] < g[-1]  # the far past matters less
    assert len(result.tables[0].rows) == g.shape[0]


def test_rnn_4_generation_and_perplexity_by_position() -> None:
    result = get_exercise("rnn-4").run()
    assert len(result.texts) == 4 and all(result.texts.values())
    p = result.arrays["perplexity_by_position"]
    assert p.shape == (16,) and np.all(p > 1)


def test_gru_2_update_gate_trace() -> None:
    result = get_exercise("gru-2").run()
    z = result.arrays["update"]
    assert z.ndim == 2 and np.all((z >= 0) & (z <= 1))
    accuracy = result.table("the trained model").column("validation accuracy")[0]
    assert accuracy > 0.8  # the small run learns the recall clearly (chance: 12.5%)
    assert f"{accuracy:.0%} accuracy" in result.summary and result.plots[0].kind == "lines"


def test_lstm_3_cost_table_orders_the_cells() -> None:
    table = get_exercise("lstm-3").run().tables[0]
    params = dict(zip(table.column("cell"), table.column("parameters")))
    assert params["rnn"] < params["gru"] < params["lstm"]
    assert params["lstm"] == 4 * params["rnn"]


def test_lstm_4_cell_leaves_the_tanh_range_hidden_does_not() -> None:
    result = get_exercise("lstm-4").run()
    assert np.all(np.abs(result.arrays["hidden"]) < 1)
    assert result.arrays["cell"].shape == result.arrays["hidden"].shape


def test_gru_4_compares_the_partial_cells() -> None:
    table = get_exercise("gru-4").run().table("runs")
    assert len(table.rows) == 3
    assert all(1 < p < 100 for p in table.column("validation perplexity"))


def test_beam_1_wide_beam_equals_exhaustive() -> None:
    rows = get_exercise("beam-1").run().tables[0].rows
    best = {r[0]: r[1] for r in rows}
    assert best["exhaustive"] == rows[2][1]  # the beam that prunes nothing


def test_mt_1_and_beam_2() -> None:
    table = get_exercise("mt-1").run().tables[0]
    assert table.rows[0][1] > 0 and table.rows[0][3] > 10
    texts = get_exercise("beam-2").run().texts
    assert {"greedy", "beam 2", "beam 4", "sample"} <= set(texts)


def test_result_is_json_ready() -> None:
    import json

    result = get_exercise("rnn-3").run()
    data = json.loads(json.dumps(result.to_dict()))
    assert data["arrays"]["g"]["shape"] == list(result.arrays["g"].shape)


def test_a_stop_ends_a_comparison_early() -> None:
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 3

    result = get_exercise("gru-1").run(stop=stop)
    assert result.stopped and len(result.table("runs").rows) == 1
    assert result.table("runs").rows[0][2] < 40


@pytest.mark.parametrize("name", ["lstm-1", "lstm-2", "gru-1", "gru-3", "deep-2"])
def test_comparisons_tabulate_each_run(name: str) -> None:
    result = get_exercise(name).run()
    table = result.table("runs")
    assert table.rows and all(r[2] > 0 for r in table.rows)
