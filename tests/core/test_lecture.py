"""Lecture session files: checked whole before anything is applied; every failure a DataError that
names the file and the first wrong field (rnnviz.core.lecture, rnnviz.core.session_schema)."""

from __future__ import annotations

import copy
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.errors import DataError
from rnnviz.core.lecture import MAX_BYTES, VERSION, Session, load_session, save_session
from rnnviz.core.session_schema import MAX_DEPTH, MAX_TEXT


def valid_payload() -> dict[str, Any]:
    """A session as the app writes it, every section and field present."""
    model = ModelConfig("mt", StackSpec("gru", (32, 32)), StackSpec("gru", (32, 32)), 32, "identity")
    return {
        "format": "rnnviz-session", "version": VERSION,
        "data": {"corpus": "phrasebook-en", "task": "lm", "user_files": [["/data/words.txt", "lm"]],
                 "last": {"lm": "phrasebook-en", "mt": "phrasebook"}, "last_dir": "/data"},
        "config": {
            "task": "mt", "epochs": 30, "optimizer": "adam", "lr": 0.005, "clip": 1.0, "batch_size": 128,
            "num_steps": 9, "max_examples": 0, "seed": 0,
            "builder": {"task": "mt", "vocab_sizes": {"lm": [28], "mt": [195, 214]}, "model": model.to_dict()},
            "gates": {"probe": "the girls", "saturation_text": "", "follow": True, "part": "encoder", "layer": 1,
                      "direction": "forward", "sort": "mean", "sort_gate": "z", "top_n": 0, "unit_filter": "0-9",
                      "speed": 4.0, "step": 3, "unit": -1},
            "translate": {"sentence": "The girls are happy.", "reference": "", "beam_size": 3, "nbest": 5,
                          "alpha": 0.75, "length_penalty": "book"},
            "generate": {"prefix": "the ", "length": 100, "strategy": "sample", "temperature": 0.8, "seed": 1,
                         "beam_size": 4, "alpha": 0.75, "top_k": 10},
            "beam": {"source": "d2l", "toy_path": None, "text": "", "strategy": "beam", "beam_size": 2,
                     "max_len": 3, "alpha": 0.75, "length_penalty": "book", "candidates": "book", "nbest": 5,
                     "pruned": "all"},
        },
        "view": {"smoothing": 0.6, "log_y": False, "x_axis": "step", "metric": "loss", "probe": "the "},
        "device": "cpu", "checkpoint": None,
    }


def write(tmp_path: Path, payload: Any, name: str = "lecture.rnnviz-session") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def with_value(keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    payload = valid_payload()
    target = payload
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return payload


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def test_a_valid_session_loads_and_round_trips(tmp_path: Path) -> None:
    path = write(tmp_path, valid_payload())
    session, checkpoint = load_session(path)
    assert checkpoint is None
    assert session.config["translate"]["beam_size"] == 3 and session.device == "cpu"
    again = save_session(session, tmp_path / "again.rnnviz-session")
    assert load_session(again)[0] == session


def test_a_checkpoint_beside_the_session_is_found(tmp_path: Path) -> None:
    (tmp_path / "lecture.rnnviz-session.pt").write_bytes(b"weights")
    path = write(tmp_path, with_value(("checkpoint",), "lecture.rnnviz-session.pt"))
    assert load_session(path)[1] == tmp_path / "lecture.rnnviz-session.pt"
    (tmp_path / "lecture.rnnviz-session.pt").unlink()
    with pytest.raises(DataError, match="model .*lecture.rnnviz-session.pt is missing; keep it beside"):
        load_session(path)


# Each: where, the wrong value, what the message must say (after the file's name).
MALFORMED: list[tuple[tuple[str, ...], Any, str]] = [
    (("config", "lr"), math.nan, "config.lr is nan; allowed: a finite number from 1e-05 to 100"),
    (("config", "lr"), math.inf, "config.lr is inf"),
    (("config", "lr"), -math.inf, "config.lr is -inf"),
    (("config", "lr"), 1e308, "config.lr is 1e+308"),
    (("config", "lr"), "4", "config.lr is '4'; a number"),
    (("config", "epochs"), -3, "config.epochs is -3; allowed: 1 to 100,000"),
    (("config", "epochs"), 10**30, "config.epochs is 1000000000000000000000000000000"),
    (("config", "epochs"), 10.5, "config.epochs is 10.5; a whole number"),
    (("config", "epochs"), True, "config.epochs is True; a whole number"),
    (("config", "batch_size"), 0, "config.batch_size is 0; allowed: 1 to"),
    (("config", "seed"), -1, "config.seed is -1"),
    (("config", "optimizer"), "rmsprop", "config.optimizer is 'rmsprop'; allowed: sgd, adam"),
    (("config", "task"), None, "config.task is None; allowed: lm, mt"),
    (("config", "builder"), [1, 2], "config.builder is a list of 2 item(s); an object"),
    (("config", "builder", "vocab_sizes", "lm"), [0], "config.builder.vocab_sizes.lm[0] is 0"),
    (("config", "builder", "vocab_sizes", "mt"), [5], "config.builder.vocab_sizes.mt is a list of 1 item(s)"),
    (("config", "builder", "model", "stack", "hidden_sizes"), [-4, 32],
     "config.builder.model.stack.hidden_sizes[0] is -4"),
    (("config", "builder", "model", "stack", "hidden_sizes"), [32] * 1000,
     "config.builder.model.stack.hidden_sizes is a list of 1000 item(s)"),
    (("config", "builder", "model", "stack", "hidden_sizes"), "32", "hidden_sizes is '32'; a list"),
    (("config", "builder", "model", "stack", "cell"), "transformer", "stack.cell is 'transformer'; allowed: rnn"),
    (("config", "builder", "model", "stack", "dropout"), math.nan, "stack.dropout is nan"),
    (("config", "builder", "model", "embed_size"), 10**9, "config.builder.model.embed_size is 1000000000"),
    (("config", "builder", "model", "decoder"), None, "config.builder.model is an object with 7 field(s); this "
                                                      "model cannot be built: a translation model needs a decoder"),
    (("config", "builder", "model", "task"), "image", "config.builder.model.task is 'image'"),
    (("config", "gates", "speed"), math.nan, "config.gates.speed is nan"),
    (("config", "gates", "unit"), 10**6, "config.gates.unit is 1000000"),
    (("config", "gates", "follow"), "yes", "config.gates.follow is 'yes'; allowed: true or false"),
    (("config", "gates", "probe"), "x" * (MAX_TEXT + 1), "config.gates.probe is 'xxxx"),
    (("config", "translate", "beam_size"), 10**9, "config.translate.beam_size is 1000000000"),
    (("config", "translate", "length_penalty"), "long", "config.translate.length_penalty is 'long'; allowed: book"),
    (("config", "generate", "temperature"), -1.0, "config.generate.temperature is -1.0"),
    (("config", "generate", "length"), 10**7, "config.generate.length is 10000000"),
    (("config", "generate", "strategy"), "nucleus", "config.generate.strategy is 'nucleus'"),
    (("config", "beam", "pruned"), "some", "config.beam.pruned is 'some'; allowed: all, newest, none"),
    (("config", "beam", "toy_path"), 12, "config.beam.toy_path is 12; text"),
    (("config", "beam", "max_len"), 0, "config.beam.max_len is 0"),
    (("data",), [], "data is a list of 0 item(s); an object"),
    (("data", "task"), "image", "data.task is 'image'; allowed: lm, mt"),
    (("data", "user_files"), "words.txt", "data.user_files is 'words.txt'; a list"),
    (("data", "user_files"), [["only-a-path"]], "data.user_files[0] is a list of 1 item(s); a list of two"),
    (("data", "user_files"), [["words.txt", "fr"]], "data.user_files[0][1] is 'fr'"),
    (("data", "corpus"), "c" * 100_000, "data.corpus is 'cccc"),
    (("data", "last", "lm"), 7, "data.last.lm is 7"),
    (("data", "user_files"), [["\\\\server\\share\\words.txt", "lm"]], "allowed: a path on this machine, not a "
                                                                      "network share"),
    (("config", "beam", "toy_path"), "//server/share/toy.json", "config.beam.toy_path is '//server/share/toy.json'"),
    (("config",), "lr=4", "config is 'lr=4'; an object"),
    (("view",), None, "view is None; an object"),
    (("view", "smoothing"), 2.0, "view.smoothing is 2.0; allowed: a finite number from 0 to 0.999"),
    (("view", "log_y"), 1, "view.log_y is 1; allowed: true or false"),
    (("view", "x_axis"), "wall", "view.x_axis is 'wall'; allowed: step, epoch, time"),
    (("device",), "tpu:0", "device is 'tpu:0'"),
    (("device",), 0, "device is 0"),
    (("checkpoint",), "../elsewhere.pt", "checkpoint is '../elsewhere.pt'; allowed: a plain file name"),
    (("checkpoint",), "/etc/passwd", "checkpoint is '/etc/passwd'"),
    (("checkpoint",), "models/lecture.pt", "checkpoint is 'models/lecture.pt'"),
    (("checkpoint",), "..", "checkpoint is '..'"),
    (("checkpoint",), "C:lecture.pt", "checkpoint is 'C:lecture.pt'"),
    (("checkpoint",), "..\\..\\lecture.pt", "checkpoint is '..\\\\..\\\\lecture.pt'"),
    (("checkpoint",), 5, "checkpoint is 5"),
    (("version",), "1", "version is '1'; a whole number"),
    (("version",), None, "version is None"),
    (("version",), 0, "version is 0"),
    (("extra",), nested(MAX_DEPTH + 5), f"at most {MAX_DEPTH} levels of nesting"),
]


@pytest.mark.parametrize(("keys", "value", "message"), MALFORMED,
                         ids=[f"{'.'.join(k)}={str(v)[:20]}" for k, v, _ in MALFORMED])
def test_a_malformed_session_is_refused_naming_the_field(tmp_path: Path, keys: tuple[str, ...], value: Any,
                                                         message: str) -> None:
    path = write(tmp_path, with_value(keys, value))
    with pytest.raises(DataError) as refused:
        load_session(path)
    text = str(refused.value)
    assert str(path) in text and message in text
    assert len(text) < 1000  # a huge value is shortened, not pasted into the dialog


def test_a_newer_format_is_refused_as_such(tmp_path: Path) -> None:
    payload = with_value(("version",), VERSION + 1)
    payload["config"] = "a shape this rnnviz does not know"
    path = write(tmp_path, payload)
    with pytest.raises(DataError, match=r"saved by a newer rnnviz; update rnnviz to open it") as refused:
        load_session(path)
    assert str(path) in str(refused.value) and f"version {VERSION + 1}" in str(refused.value)


@pytest.mark.parametrize(("content", "message"), [
    (b"[1, 2, 3]", "is not an rnnviz session file"),
    (b'"rnnviz-session"', "is not an rnnviz session file"),
    (b'{"format": "something-else", "version": 1}', "is not an rnnviz session file"),
    (b"{", "is not a readable rnnviz session"),
    (b"\xff\xfe{}", "not UTF-8 text"),
    (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    (b'{"format": "rnnviz-session", "version": 1, "seed": ' + b"9" * 5000 + b"}", "not a readable"),
], ids=["list", "string", "other-format", "truncated", "not-utf8", "deep", "huge-integer"])
def test_a_file_that_is_no_session_is_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "lecture.rnnviz-session"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as refused:
        load_session(path)
    assert str(path) in str(refused.value)


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "lecture.rnnviz-session"
    with path.open("wb") as out:
        out.write(b'{"format": "rnnviz-session", "padding": "')
        out.truncate(MAX_BYTES + 10)
    with pytest.raises(DataError, match="a few kilobytes, so this is not one"):
        load_session(path)


def test_a_folder_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such session file"):
        load_session(tmp_path / "nothing.rnnviz-session")
    with pytest.raises(DataError, match="is not a file"):
        load_session(tmp_path)


def test_a_session_that_is_not_plain_data_is_not_saved(tmp_path: Path) -> None:
    session = Session({"probe": math.nan}, {}, {})
    with pytest.raises(DataError, match="not plain data"):
        save_session(session, tmp_path / "bad.rnnviz-session")
    assert not (tmp_path / "bad.rnnviz-session").exists()


# ---- fuzz: a mutated session loads, or raises DataError; nothing else escapes -------------------

ODD_VALUES: list[Any] = [None, True, False, 0, -1, 1, 2**63, 10**30, -1e308, 1e-300, math.nan, math.inf, 3.5, "",
                         "lm", "mt", "beam", "../x.pt", "x" * 20_000, [], [1, "a"], [[["deep"]]], {}, {"a": 1},
                         nested(MAX_DEPTH + 2)]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, prefix + (index,))
    return found


def _mutate(payload: dict[str, Any], rng: random.Random) -> Any:
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_paths(payload))
        parent = payload
        for key in path[:-1]:
            parent = parent[key]
        kind = rng.random()
        if kind < 0.7:
            parent[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif kind < 0.8 and isinstance(parent, dict):
            del parent[path[-1]]
        elif kind < 0.9:
            parent[path[-1]] = [parent[path[-1]]]
        elif isinstance(parent, dict):
            parent[f"unknown-{rng.randint(0, 9)}"] = copy.deepcopy(rng.choice(ODD_VALUES))
    return payload


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def test_fuzzed_sessions_load_or_raise_data_error(tmp_path: Path) -> None:
    rng = random.Random(15)
    outcomes = {"loaded": 0, "refused": 0}
    for case in range(200):
        if case % 5 == 4:  # damaged text rather than a damaged value
            text = bytearray(json.dumps(valid_payload()).encode())
            for _ in range(rng.randint(1, 4)):
                text[rng.randrange(len(text))] = rng.randrange(256)
            (tmp_path / "fuzz.rnnviz-session").write_bytes(bytes(text))
            path = tmp_path / "fuzz.rnnviz-session"
        else:
            path = write(tmp_path, _mutate(valid_payload(), rng), "fuzz.rnnviz-session")
        try:
            session, _ = load_session(path)
        except DataError as exc:
            assert str(path) in str(exc), exc
            outcomes["refused"] += 1
            continue
        # What loads is what the app can apply: plain, finite, of the known kinds.
        assert _finite([session.data, session.config, session.view]), path.read_text(errors="replace")[:500]
        outcomes["loaded"] += 1
    assert outcomes["loaded"] > 10 and outcomes["refused"] > 100, outcomes
