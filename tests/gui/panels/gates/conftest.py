"""Fixtures of the Gates panel's tests: two tiny corpora, a GRU language model, a shown panel."""

from __future__ import annotations

import pytest

from rnnviz.core.config import DataConfig
from rnnviz.core.data.datasets import LmData, MtData, build_data
from rnnviz.core.models.factory import ModelBundle
from rnnviz.gui.panels.gates import GatesPanel
from tests.gui.panels.gates.helpers import PAIRS, make_lm


@pytest.fixture(scope="module")
def lm_data(tmp_path_factory: pytest.TempPathFactory) -> LmData:
    # A user file, cleaned with the "lower" rule: ' ', ',' and '.' are tokens; z, b, r are not.
    path = tmp_path_factory.mktemp("lm") / "corpus.txt"
    path.write_text("the cat sat on the mat, then ate. " * 30, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8))
    assert isinstance(data, LmData)
    return data


@pytest.fixture(scope="module")
def mt_data(tmp_path_factory: pytest.TempPathFactory) -> MtData:
    path = tmp_path_factory.mktemp("mt") / "pairs.tsv"
    path.write_text("\n".join(PAIRS) + "\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=6, batch_size=4, min_freq=1, val_fraction=0.0,
                                 test_fraction=0.0))
    assert isinstance(data, MtData)
    return data


@pytest.fixture(scope="module")
def gru_lm(lm_data: LmData) -> ModelBundle:
    return make_lm(lm_data, "gru", (6,))


@pytest.fixture
def panel(qtbot) -> GatesPanel:
    widget = GatesPanel()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    qtbot.waitUntil(lambda: not widget.is_busy(), timeout=10000)  # no trace left running
