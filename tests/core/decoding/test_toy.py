"""Toy probability tables: the book's example, the JSON format, and every message a bad table gets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.errors import DataError
from rnnviz.core.decoding.toy import D2L_TABLE, ToyDecoder, d2l, load_toy

GOOD = {"vocab": ["A", "B", "<eos>"], "eos": "<eos>",
        "table": {"": [0.5, 0.3, 0.2], "A": [0.1, 0.6, 0.3], "A B": [0.2, 0.2, 0.6]},
        "default": [0.3, 0.3, 0.4]}


def with_(**changes) -> dict:
    data = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


# ---- the book's example -----------------------------------------------------------------------


def test_d2l_reproduces_the_books_two_numbers() -> None:
    toy = d2l()
    assert toy.vocab == ("A", "B", "C", "<eos>") and toy.eos_token == "<eos>" and toy.eos == 3
    assert math.isclose(math.exp(toy.sequence_log_prob(toy.encode("A B C <eos>"))), 0.5 * 0.4 * 0.4 * 0.6)
    assert math.isclose(math.exp(toy.sequence_log_prob(toy.encode("A B C <eos>"))), 0.048)
    assert math.isclose(math.exp(toy.sequence_log_prob(toy.encode("A C B <eos>"))), 0.054)


def test_d2l_rows_are_the_figures_and_the_default_is_uniform() -> None:
    toy = d2l()
    assert toy.probs(()).tolist() == pytest.approx([0.5, 0.2, 0.2, 0.1])
    assert toy.probs(toy.encode("A")).tolist() == pytest.approx([0.1, 0.4, 0.3, 0.2])
    assert toy.probs(toy.encode("A C")).tolist() == pytest.approx([0.1, 0.6, 0.2, 0.1])
    assert toy.probs(toy.encode("C A B")).tolist() == pytest.approx([0.25] * 4)
    for prefix in D2L_TABLE["table"]:
        assert math.isclose(toy.probs(toy.encode(prefix)).sum(), 1.0)


# Every column of the book's figures (D2L section 10.8, "Beam Search"; read off d2l-en's
# img/s2s-prob1.svg and img/s2s-prob2.svg): the probabilities of A, B, C, <eos> at each time step.
BOOK_FIGURES = [
    ("", [0.5, 0.2, 0.2, 0.1]),  # figure 10.8.1 (and 10.8.2), time step 1
    ("A", [0.1, 0.4, 0.3, 0.2]),  # figure 10.8.1 (and 10.8.2), time step 2: greedy takes B, 10.8.2 takes C
    ("A B", [0.2, 0.2, 0.4, 0.2]),  # figure 10.8.1, time step 3
    ("A B C", [0.0, 0.2, 0.2, 0.6]),  # figure 10.8.1, time step 4 (A is 0.0 in the figure)
    ("A C", [0.1, 0.6, 0.2, 0.1]),  # figure 10.8.2, time step 3
    ("A C B", [0.1, 0.2, 0.1, 0.6]),  # figure 10.8.2, time step 4
]


@pytest.mark.parametrize("prefix, row", BOOK_FIGURES, ids=[p or "start" for p, _ in BOOK_FIGURES])
def test_every_row_is_the_books_figure(prefix: str, row: list[float]) -> None:
    assert D2L_TABLE["table"][prefix] == row
    assert d2l().probs(d2l().encode(prefix)).tolist() == pytest.approx(row)


def test_the_table_has_the_figures_rows_and_no_other() -> None:
    assert set(D2L_TABLE["table"]) == {prefix for prefix, _ in BOOK_FIGURES}


def test_greedy_and_beam_find_the_books_sequences() -> None:
    from rnnviz.core.decoding import BeamOptions, beam_search, greedy_search
    from rnnviz.core.decoding.toy import D2L_BEAM_SIZE, D2L_MAX_LEN

    toy = d2l()
    options = BeamOptions(beam_size=D2L_BEAM_SIZE, max_len=D2L_MAX_LEN)
    greedy = greedy_search(toy.step, toy.vocab_size, toy.eos, options=BeamOptions(beam_size=1, max_len=D2L_MAX_LEN))
    beam = beam_search(toy.step, toy.vocab_size, toy.eos, options)
    assert toy.decode(greedy.best.tokens) == ("A", "B", "C", "<eos>")
    assert greedy.best.probability == pytest.approx(0.048)
    assert toy.decode(beam.best.tokens) == ("A", "C", "B", "<eos>")
    assert beam.best.probability == pytest.approx(0.054)


def test_step_is_batched_log_probabilities() -> None:
    toy = d2l()
    prefixes = [(), toy.encode("A"), toy.encode("B B")]
    out = toy.step(prefixes)
    assert out.shape == (3, 4)
    assert np.allclose(np.exp(out), np.stack([toy.probs(p) for p in prefixes]))
    assert toy.step([]).shape == (0, 4)


def test_probability_zero_is_minus_infinity() -> None:
    toy = ToyDecoder.from_dict(with_(table={"": [1.0, 0.0, 0.0]}))
    assert toy.step([()])[0].tolist() == [0.0, -math.inf, -math.inf]


def test_round_trip_through_json(tmp_path: Path) -> None:
    toy = d2l()
    path = tmp_path / "d2l.json"
    path.write_text(json.dumps(toy.to_dict()), encoding="utf-8")
    again = load_toy(str(path))
    assert again.vocab == toy.vocab and again.eos == toy.eos and again.name == "d2l"
    assert set(again.table) == set(toy.table)
    assert all(np.allclose(again.table[p], toy.table[p], rtol=0, atol=1e-15) for p in toy.table)
    assert np.allclose(again.default, toy.default, rtol=0, atol=1e-15)


def test_the_documented_example_loads() -> None:
    toy = ToyDecoder.from_json(json.dumps(GOOD), "example.json")
    assert toy.vocab_size == 3 and toy.decode(toy.encode("A B")) == ("A", "B")
    assert toy.probs(toy.encode("B B")).tolist() == pytest.approx([0.3, 0.3, 0.4])  # the default


def test_rows_within_tolerance_are_normalised_exactly() -> None:
    toy = ToyDecoder.from_dict(with_(table={"": [0.5, 0.3, 0.2 + 1e-7]}))
    assert toy.probs(()).sum() == pytest.approx(1.0, abs=1e-15)


def test_load_builtin_by_name_and_encode_errors() -> None:
    toy = load_toy("d2l")
    assert toy.name == "d2l" and toy.description
    with pytest.raises(DataError, match=r"'D' is not in the toy vocabulary \(A, B, C, <eos>\)"):
        toy.encode("A D")


# ---- every bad input, with its message ---------------------------------------------------------


@pytest.mark.parametrize("data, message", [
    ([1, 2], "the top level must be a JSON object"),
    (with_(defualt=[0.3, 0.3, 0.4]), "unknown key 'defualt'; the keys are vocab, eos, table, default"),
    (with_(vocab=None), '"vocab" must be a non-empty list of token strings'),
    (with_(vocab=[]), '"vocab" must be a non-empty list'),
    (with_(vocab=["A", 2, "<eos>"]), r"vocab entry 2 \(2\) must be a non-empty string without spaces"),
    (with_(vocab=["A", "B C", "<eos>"]), r"vocab entry 2 \('B C'\) must be a non-empty string without spaces"),
    (with_(vocab=["A", "", "<eos>"]), r"vocab entry 2 \(''\)"),
    (with_(vocab=["A", "A", "<eos>"]), "the token 'A' appears twice in vocab"),
    (with_(eos=None), '"eos" is missing: name the token that ends a sequence'),
    (with_(eos="<end>"), r"eos '<end>' is not in vocab \(A, B, <eos>\)"),
    (with_(table=[0.5]), '"table" must be an object mapping prefixes'),
    (with_(table={"": [0.5, 0.5]}), r"table\[''\] has 2 probabilities; the vocabulary has 3 tokens \(A, B, <eos>\)"),
    (with_(table={"": 0.5}), r"table\[''\] must be a list of 3 probabilities"),
    (with_(table={"": [0.5, 0.6, -0.1]}),
     r"table\[''\], position 3 \(<eos>\) is -0.1: a probability cannot be negative"),
    (with_(table={"A": [0.5, "x", 0.5]}), r"table\['A'\], position 2 \(B\) is 'x', not a number"),
    (with_(table={"A": [True, 0, 0]}), r"table\['A'\], position 1 \(A\) is True, not a number"),
    (with_(table={"A": [math.nan, 0.5, 0.5]}), r"position 1 \(A\) is nan, not a finite number"),
    (with_(table={"A": [0.5, 0.3, 0.1]}), r"table\['A'\] sums to 0.9, not 1"),
    (with_(table={"A": [0.5, 0.3, 0.2001]}), r"sums to 1.0001, not 1"),
    (with_(table={"A D": [0.5, 0.3, 0.2]}), r"table prefix 'A D': 'D' is not in vocab \(A, B, <eos>\)"),
    (with_(table={"A <eos>": [0.5, 0.3, 0.2]}), r"table prefix 'A <eos>' contains <eos>"),
    (with_(table={"A  B": [0.5, 0.3, 0.2], "A B": [0.5, 0.3, 0.2]}), "is the same prefix as another row"),
    (with_(table={"A": [0.5, 0.3, 0.2]}, default=None),
     r'no row for the empty prefix "" \(the first step\) and no "default"'),
    (with_(default=[0.5, 0.5]), "default has 2 probabilities; the vocabulary has 3 tokens"),
    (with_(default=[0.5, 0.6, 0.1]), "default sums to 1.2, not 1"),
    (with_(name=3), "'name' must be a string"),
])
def test_bad_tables_are_refused_with_a_message(data, message: str) -> None:
    with pytest.raises(DataError, match=message) as info:
        ToyDecoder.from_dict(data, "mine.json")
    assert str(info.value).startswith("mine.json: ")


@pytest.mark.parametrize("text, message", [
    ('{"vocab": ["A", "<eos>"],\n "eos": "<eos>" "table": {}}', "mine.json: not valid JSON at line 2, column 17"),
    ("", "not valid JSON at line 1, column 1"),
    ('{"vocab": ["A"], "vocab": ["B"]}', "the key 'vocab' appears twice in one object"),
    ('{"vocab": ["A", "<eos>"], "eos": "<eos>", "table": {"": [1, 0], "": [0, 1]}}', "the key '' appears twice"),
])
def test_malformed_json_is_refused_with_its_position(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        ToyDecoder.from_json(text, "mine.json")


def test_missing_default_is_named_when_a_prefix_needs_it() -> None:
    toy = ToyDecoder.from_dict(with_(default=None), "mine.json")
    assert toy.step([(), (0,)]).shape == (2, 3)  # rows exist for these
    with pytest.raises(DataError, match="toy table 'mine.json' has no row for the prefix 'B A' and no \"default\" row"):
        toy.step([(0,), (1, 0)])


def test_load_toy_refuses_unknown_names_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no toy table named 'nope': the built-in ones are d2l, and there is no file"):
        load_toy("nope")
    binary = tmp_path / "table.json"
    binary.write_bytes(b"\xff\xfe{}")
    with pytest.raises(DataError, match="not UTF-8 text"):
        load_toy(binary)
    broken = tmp_path / "broken.json"
    broken.write_text('{"vocab": [}', encoding="utf-8")
    with pytest.raises(DataError, match=r"broken.json: not valid JSON at line 1, column 12"):
        load_toy(broken)


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"vocab": ["a"], "eos": "a", "table": {}, "name": ' + "9" * 5000 + "}", "not a toy table"),
])
def test_crafted_json_is_a_message_not_a_crash(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        ToyDecoder.from_json(text, "crafted.json")


def test_a_huge_toy_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rnnviz.core.decoding.toy as toy

    path = tmp_path / "big.json"
    path.write_text(json.dumps({"vocab": ["a", "<eos>"], "eos": "<eos>", "table": {"": [0.5, 0.5]}}))
    monkeypatch.setattr(toy, "MAX_TOY_BYTES", 10)
    with pytest.raises(DataError, match="too large for a toy table"):
        load_toy(path)
