"""NPZ, CSV and the JSON summary of gradients through time."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.core.errors import DataError
from rnnviz.core.gradients import CSV_HEADER, Gradients, lm_step_loss, through_time
from tests.core.gradients.models import VOCAB, small_lm

IDS = torch.tensor([2, 0, 3, 1, 4, 0])  # 5 steps
TOKENS = tuple("cadbea")


def _result(cell: str = "lstm", bidirectional: bool = True, maps: bool = True) -> Gradients:
    model = small_lm(cell, "scratch", bidirectional)
    inputs = F.one_hot(IDS[:-1], VOCAB).double()
    return through_time(model.stack, inputs, lm_step_loss(model.output, IDS[1:]), tokens=TOKENS, maps=maps)


def test_npz_holds_the_documented_keys_and_reads_back(tmp_path: Path) -> None:
    result = _result()
    path = result.to_npz(tmp_path / "g.npz")
    with np.load(path, allow_pickle=False) as npz:
        keys = set(npz.files)
        assert tuple(npz["tokens"]) == TOKENS
        assert npz["g/1/forward"].shape == (5,) and npz["G/2/backward"].shape == (5, 5)
        np.testing.assert_array_equal(npz["x/1/forward"], npz["x/1/backward"])
        np.testing.assert_array_equal(npz["G/2/forward"], result.get(2, "forward").G)
    per_layer = {f"{q}/{layer}/{d}" for q in ("g", "G", "cell_g", "cell_G") for layer in (1, 2)
                 for d in ("forward", "backward")}
    inputs = {f"{q}/1/{d}" for q in ("x", "X") for d in ("forward", "backward")}
    meta = {"format", "version", "task", "part", "cell_variant", "tokens", "labels", "losses", "notices"}
    assert keys == per_layer | inputs | meta
    back = Gradients.from_npz(path)
    assert back.tokens == TOKENS and back.cell_variant == "lstm" and back.task == "lm"
    for a, b in zip(result.stack, back.stack):
        assert (a.layer, a.direction) == (b.layer, b.direction)
        for name in ("g", "G", "cell_g", "cell_G"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(back.stack.X, result.stack.X)
    np.testing.assert_array_equal(back.losses, result.losses)


def test_npz_of_g_alone_has_no_maps(tmp_path: Path) -> None:
    path = _result("gru", bidirectional=False, maps=False).to_npz(tmp_path / "g.npz")
    with np.load(path) as npz:
        assert {"g/1/forward", "g/2/forward", "x/1/forward"} <= set(npz.files)
        assert not any(key.startswith(("G/", "X/", "cell_g/", "cell_G/")) for key in npz.files)
    assert Gradients.from_npz(path).get(2).G is None


def test_a_file_that_is_not_gradients_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(DataError, match="holds no rnnviz gradients"):
        Gradients.from_npz(other)
    with pytest.raises(DataError, match="no such file"):
        Gradients.from_npz(tmp_path / "missing.npz")


def test_csv_has_one_row_per_value_and_none_for_nan(tmp_path: Path) -> None:
    result = _result("gru", bidirectional=False)
    path = result.to_csv(tmp_path / "g.csv")
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        assert tuple(next(reader)) == CSV_HEADER
        rows = [dict(zip(CSV_HEADER, row)) for row in reader]
    triangle = 5 * 6 // 2  # t ≤ s of a 5 × 5 map
    by_quantity = {q: [r for r in rows if r["quantity"] == q] for q in ("loss", "g", "G", "x", "X")}
    assert len(by_quantity["loss"]) == 5 and len(by_quantity["x"]) == 5 and len(by_quantity["X"]) == triangle
    assert len(by_quantity["g"]) == 2 * 5 and len(by_quantity["G"]) == 2 * triangle
    assert len(rows) == sum(len(v) for v in by_quantity.values())
    cell = next(r for r in by_quantity["G"] if (r["layer"], r["s"], r["t"]) == ("2", "4", "2"))
    assert float(cell["value"]) == pytest.approx(float(result.get(2).G[3, 1]), rel=1e-7)
    assert (cell["target"], cell["token"]) == (TOKENS[4], TOKENS[1])  # ℓ_4 predicts token 5; step 2 reads token 2
    assert all(r["s"] == "5" for r in by_quantity["g"])
    assert all(int(r["t"]) <= int(r["s"]) for r in by_quantity["G"])


def test_summary_is_json_with_g_and_its_ratio() -> None:
    result = _result("lstm", bidirectional=True)
    data = json.loads(json.dumps(result.summary(), allow_nan=False))
    assert data["tokens"] == list(TOKENS) and data["task"] == "lm" and data["cell_variant"] == "lstm"
    first = data["layers"][0]
    g = result.get(1, "forward").g
    assert (first["layer"], first["direction"]) == (1, "forward")
    assert first["g"] == pytest.approx(g.tolist()) and first["ratio"] == pytest.approx(float(g[0] / g[-1]))
    top_backward = data["layers"][3]
    assert top_backward["direction"] == "backward" and top_backward["g"][0] is None
    assert top_backward["ratio"] is None
    assert math.isclose(data["mean_loss"], float(np.mean(result.losses)), rel_tol=1e-6)
