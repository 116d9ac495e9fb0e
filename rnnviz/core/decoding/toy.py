"""Toy decoders: next-token probability tables to run beam search on by hand.

A toy decoder maps a prefix (the tokens generated so far, no ``<bos>``) to the
probabilities of the next token. It is the smallest thing
:func:`rnnviz.core.decoding.beam.beam_search` can search, and small enough to check on
paper, like the book's example in section 10.8 (:func:`d2l`).

The JSON format (``ToyDecoder.from_json``, ``load_toy``, ``rnnviz beam --toy FILE``)::

    {
      "vocab": ["A", "B", "<eos>"],        # the tokens, in order; no spaces inside a token
      "eos": "<eos>",                      # the token that ends a sequence; must be in vocab
      "table": {                           # prefix -> probabilities, in vocab order
        "": [0.5, 0.3, 0.2],               # the first step (the empty prefix)
        "A": [0.1, 0.6, 0.3],              # a prefix is its tokens joined by single spaces
        "A B": [0.2, 0.2, 0.6]
      },
      "default": [0.3, 0.3, 0.4],          # every prefix without a row (needed only if one is reached)
      "name": "mine", "description": "..." # optional
    }

Each row must have one non-negative number per token, summing to 1 within
``1e-6 · |V|`` (then it is normalised exactly). A prefix must not contain
``<eos>``: a finished sequence has no next token. Every error names the file,
the prefix and the position, and JSON syntax errors their line and column.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from rnnviz.core.errors import DataError

Prefix = tuple[int, ...]
KEYS = ("vocab", "eos", "table", "default", "name", "description")


@dataclass(frozen=True, eq=False)
class ToyDecoder:
    """A next-token probability table; :meth:`step` is a beam-search ``step``."""

    vocab: tuple[str, ...]
    eos: int  # index of the end token in vocab
    table: Mapping[Prefix, np.ndarray]  # prefix ids -> (V,) probabilities, read-only
    default: np.ndarray | None = None  # (V,) for every prefix without a row
    name: str = "toy"
    description: str = ""
    _log_rows: dict[Prefix, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        with np.errstate(divide="ignore"):  # probability 0 is log-probability -inf: never chosen
            for prefix, row in self.table.items():
                self._log_rows[prefix] = np.log(row)
            if self.default is not None:
                self._log_rows[_DEFAULT] = np.log(self.default)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def eos_token(self) -> str:
        return self.vocab[self.eos]

    def _row(self, prefix: Prefix, logs: bool) -> np.ndarray:
        rows = self._log_rows if logs else self.table
        row = rows.get(tuple(prefix))
        if row is None:
            row = self._log_rows.get(_DEFAULT) if logs else self.default
        if row is None:
            shown = " ".join(self.decode(prefix))
            raise DataError(f"toy table {self.name!r} has no row for the prefix {shown!r} and no \"default\" row; "
                            "add either.")
        return row

    def probs(self, prefix: Sequence[int]) -> np.ndarray:
        """(V,) probabilities of the next token after ``prefix`` (token ids)."""
        return self._row(tuple(prefix), logs=False).copy()

    def step(self, prefixes: list[Prefix]) -> np.ndarray:
        """Log-probabilities (N, V) for a batch of prefixes: the beam-search step."""
        if not prefixes:
            return np.zeros((0, self.vocab_size))
        return np.stack([self._row(p, logs=True) for p in prefixes])  # (N, V)

    def sequence_log_prob(self, tokens: Sequence[int]) -> float:
        """log P(tokens) under the table: the sum of each token's log-probability."""
        return float(sum(self._row(tuple(tokens[:i]), logs=True)[t] for i, t in enumerate(tokens)))

    def encode(self, text: str | Sequence[str]) -> Prefix:
        """Token ids of ``"A C B"`` or ``["A", "C", "B"]``."""
        words = text.split() if isinstance(text, str) else list(text)
        index = {t: i for i, t in enumerate(self.vocab)}
        unknown = [w for w in words if w not in index]
        if unknown:
            raise DataError(f"{unknown[0]!r} is not in the toy vocabulary ({', '.join(self.vocab)}).")
        return tuple(index[w] for w in words)

    def decode(self, ids: Sequence[int]) -> tuple[str, ...]:
        return tuple(self.vocab[int(i)] for i in ids)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form that :meth:`from_dict` reads back."""
        out: dict[str, Any] = {"name": self.name, "vocab": list(self.vocab), "eos": self.eos_token,
                               "table": {" ".join(self.decode(p)): [float(x) for x in row]
                                         for p, row in self.table.items()}}
        if self.default is not None:
            out["default"] = [float(x) for x in self.default]
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, data: Any, source: str = "toy table") -> ToyDecoder:
        """Validate plain data in the JSON format; every problem is a :class:`DataError`."""
        return _parse(data, source)

    @classmethod
    def from_json(cls, text: str, source: str = "toy table") -> ToyDecoder:
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise DataError(f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
        except _DuplicateKey as exc:
            raise DataError(f"{source}: the key {exc.args[0]!r} appears twice in one object.") from None
        except RecursionError:
            raise DataError(f"{source}: nested too deeply to be a toy table (a table is a flat object of "
                            "rows).") from None
        except ValueError as exc:  # e.g. an integer of thousands of digits, which Python refuses to convert
            raise DataError(f"{source}: not a toy table: {exc}.") from None
        return _parse(data, source)


#: The largest toy table file read (a few hundred rows of a small vocabulary fit in far less).
MAX_TOY_BYTES = 4 * 1024 * 1024
_DEFAULT: Prefix = (-1,)  # the default row's key among the cached log rows: no real prefix has -1


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _row(values: Any, vocab: tuple[str, ...], where: str) -> np.ndarray:
    size = len(vocab)
    if not isinstance(values, list):
        raise DataError(f"{where} must be a list of {size} probabilities (one per token: {', '.join(vocab)}), "
                        f"not {type(values).__name__}.")
    if len(values) != size:
        raise DataError(f"{where} has {len(values)} probabilities; the vocabulary has {size} tokens "
                        f"({', '.join(vocab)}).")
    for i, value in enumerate(values):
        at = f"{where}, position {i + 1} ({vocab[i]})"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataError(f"{at} is {value!r}, not a number.")
        if not math.isfinite(value):
            raise DataError(f"{at} is {value}, not a finite number.")
        if value < 0:
            raise DataError(f"{at} is {value}: a probability cannot be negative.")
    row = np.array(values, dtype=np.float64)
    total = float(row.sum())
    if abs(total - 1.0) > 1e-6 * size:
        raise DataError(f"{where} sums to {total:.6g}, not 1; the probabilities of the next token must add up to 1.")
    row /= total  # exact normalisation, so the log-probabilities of a row sum to 1 in probability
    row.flags.writeable = False
    return row


def _prefix(key: str, index: dict[str, int], eos: str, source: str) -> Prefix:
    words = key.split()
    for word in words:
        if word not in index:
            raise DataError(f"{source}: table prefix {key!r}: {word!r} is not in vocab ({', '.join(index)}).")
    if eos in words:
        raise DataError(f"{source}: table prefix {key!r} contains {eos}; a sequence ends at {eos}, so nothing "
                        "follows it and the row would never be used.")
    return tuple(index[w] for w in words)


def _parse(data: Any, source: str) -> ToyDecoder:
    if not isinstance(data, dict):
        raise DataError(f"{source}: the top level must be a JSON object with \"vocab\", \"eos\" and \"table\", "
                        f"not {type(data).__name__}.")
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        raise DataError(f"{source}: unknown key {unknown[0]!r}; the keys are {', '.join(KEYS)}.")
    vocab = data.get("vocab")
    if not isinstance(vocab, list) or not vocab:
        raise DataError(f"{source}: \"vocab\" must be a non-empty list of token strings, "
                        "e.g. [\"A\", \"B\", \"<eos>\"].")
    for i, token in enumerate(vocab):
        if not isinstance(token, str) or not token or token != token.strip() or len(token.split()) != 1:
            raise DataError(f"{source}: vocab entry {i + 1} ({token!r}) must be a non-empty string without spaces "
                            "(prefixes are tokens joined by spaces).")
    seen: set[str] = set()
    for token in vocab:
        if token in seen:
            raise DataError(f"{source}: the token {token!r} appears twice in vocab.")
        seen.add(token)
    vocab_t = tuple(vocab)
    if "eos" not in data:
        raise DataError(f"{source}: \"eos\" is missing: name the token that ends a sequence, e.g. \"<eos>\".")
    eos = data["eos"]
    if not isinstance(eos, str) or eos not in vocab_t:
        raise DataError(f"{source}: eos {eos!r} is not in vocab ({', '.join(vocab_t)}).")
    table = data.get("table", {})
    if not isinstance(table, dict):
        raise DataError(f"{source}: \"table\" must be an object mapping prefixes to probability lists.")
    index = {t: i for i, t in enumerate(vocab_t)}
    rows: dict[Prefix, np.ndarray] = {}
    for key, values in table.items():
        prefix = _prefix(key, index, eos, source)
        if prefix in rows:
            raise DataError(f"{source}: table prefix {key!r} is the same prefix as another row "
                            f"({' '.join(key.split())!r}).")
        rows[prefix] = _row(values, vocab_t, f"{source}: table[{key!r}]")
    default = data.get("default")
    default_row = None if default is None else _row(default, vocab_t, f"{source}: default")
    if () not in rows and default_row is None:
        raise DataError(f"{source}: no row for the empty prefix \"\" (the first step) and no \"default\"; "
                        "add either.")
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise DataError(f"{source}: {key!r} must be a string.")
    return ToyDecoder(vocab_t, index[eos], MappingProxyType(rows), default_row,
                      data.get("name", source), data.get("description", ""))


# ---- the book's example ------------------------------------------------------------------------

#: The book's example (D2L section 10.8, "Beam Search"), in the JSON format. Each row is one
#: column of the book's figures: the conditional probabilities of A, B, C and <eos> at that time
#: step, given the prefix. Read off d2l-en's img/s2s-prob1.svg (figure 10.8.1, greedy search) and
#: img/s2s-prob2.svg (figure 10.8.2, "C" at time step 2):
#:
#: - figure 10.8.1, steps 1-4 after "", "A", "A B", "A B C": greedy reads A B C <eos>,
#:   0.5 × 0.4 × 0.4 × 0.6 = 0.048;
#: - figure 10.8.2, steps 3-4 after "A C", "A C B": A C B <eos>, 0.5 × 0.3 × 0.6 × 0.6 = 0.054.
#:
#: The book gives no numbers for any other prefix; our default spreads the probability evenly
#: (0.25 each), which keeps A C B <eos> the best finished sequence under the book's score with
#: α = 0.75 (it is not the most probable one: "A <eos>" and "<eos>" have 0.1).
D2L_TABLE: dict[str, Any] = {
    "name": "d2l",
    "description": "The example of D2L section 10.8 (figures 10.8.1 and 10.8.2): greedy search finds "
                   "A B C <eos> (0.048), a better sequence is A C B <eos> (0.054). Prefixes the book "
                   "does not show get the uniform default row.",
    "vocab": ["A", "B", "C", "<eos>"],
    "eos": "<eos>",
    "table": {
        "": [0.5, 0.2, 0.2, 0.1],  # figures 10.8.1 and 10.8.2, time step 1
        "A": [0.1, 0.4, 0.3, 0.2],  # both figures, time step 2
        "A B": [0.2, 0.2, 0.4, 0.2],  # figure 10.8.1, time step 3
        "A B C": [0.0, 0.2, 0.2, 0.6],  # figure 10.8.1, time step 4
        "A C": [0.1, 0.6, 0.2, 0.1],  # figure 10.8.2, time step 3
        "A C B": [0.1, 0.2, 0.1, 0.6],  # figure 10.8.2, time step 4
    },
    "default": [0.25, 0.25, 0.25, 0.25],
}

#: How the Beam search tab and ``rnnviz beam --toy d2l`` search the book's example by default
#: (one source for both): a beam of 2, as the book's beam-search figure (10.8.3) draws it; at most
#: 4 tokens, <eos> included, the four time steps of figures 10.8.1 and 10.8.2; and the tab opens
#: at step 1, so that a lecture walks through the search from its first choice.
D2L_BEAM_SIZE = 2
D2L_MAX_LEN = 4
D2L_START_STEP = 1

BUILTIN_TOYS: dict[str, dict[str, Any]] = {"d2l": D2L_TABLE}


def d2l() -> ToyDecoder:
    """The book's example table (section 10.8)."""
    return ToyDecoder.from_dict(D2L_TABLE, "d2l")


def load_toy(spec: str | Path) -> ToyDecoder:
    """A built-in table by name (``"d2l"``) or a JSON file by path."""
    if isinstance(spec, str) and spec in BUILTIN_TOYS:
        return ToyDecoder.from_dict(BUILTIN_TOYS[spec], spec)
    path = Path(spec).expanduser()
    if not path.is_file():
        raise DataError(f"no toy table named {str(spec)!r}: the built-in ones are {', '.join(BUILTIN_TOYS)}, "
                        f"and there is no file {path}.")
    try:
        if path.stat().st_size > MAX_TOY_BYTES:  # a toy table is a few rows; read nothing huge into memory
            raise DataError(f"{path}: {path.stat().st_size:,} bytes is too large for a toy table (at most "
                            f"{MAX_TOY_BYTES:,}); a toy table lists a few prefixes' probabilities.")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror}).") from None
    return ToyDecoder.from_json(text, str(path))
