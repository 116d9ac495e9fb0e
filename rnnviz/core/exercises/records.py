"""The records of the exercise registry: what an exercise is, how the app sets it up, what its run returns.

Plain data, but for ``ExerciseResult.models``: a result crosses threads (the GUI runs exercises off
its thread) and is printed as JSON by ``rnnviz exercises run ID --json``. The models a run trained
travel beside it (handed over once the run has ended, never shared with a running one) and stay out
of the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import math
from typing import Any

import numpy as np

from rnnviz.core.errors import RnnvizError

#: ``progress(fraction, text)``: how far a run is (0 … 1) and what it is doing.
Progress = Callable[[float, str], None]
#: ``stop()``: True once the user asked the run to stop; asked between steps.
ShouldStop = Callable[[], bool]

#: The views of the app an exercise can open (the main window's tab titles).
VIEWS: tuple[str, ...] = ("Training", "Builder", "Gates", "Gradients", "Translate", "Generate", "Beam search")
#: Tasks whose data and model live in the exercise's own run (the time series, sequence classification):
#: the app's tabs have no such task, so choosing the exercise loads nothing and its plots are the view.
DOCK_TASKS: tuple[str, ...] = ("series", "classify")


@dataclass(frozen=True)
class Setup:
    """What the app loads and shows for an exercise: the data, the model and the view."""

    corpus: str  # a name from `rnnviz data list`, or the built-in data of a DOCK_TASKS run
    task: str  # "lm", "mt", "recall", "adding" or "copy"; or one of DOCK_TASKS
    preset: str | None  # the model, by preset name (rnnviz stack --list); None: keep the current one
    view: str  # a tab of the main window, one of VIEWS; "" for a DOCK_TASKS exercise (its plots are the view)
    # What the exercise compares or sweeps, in words the app shows (e.g. ("rnn-lm", "gru-lm")):
    # where it is not empty the app runs the comparison in one go, with progress and a Stop.
    compares: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"temperatures": [0, 0.5, 1]}

    def __post_init__(self) -> None:
        if self.in_dock and (self.view or self.preset is not None):
            raise ValueError(f"a {self.task} exercise loads no model and opens no tab: preset None, view ''")
        if not self.in_dock and self.view not in VIEWS:
            raise ValueError(f"unknown view {self.view!r}; one of {', '.join(VIEWS)}")
        object.__setattr__(self, "compares", tuple(self.compares))
        object.__setattr__(self, "settings", dict(self.settings))

    @property
    def in_dock(self) -> bool:
        """True when the exercise's run brings its own data and model and the dock's plots are its view."""
        return self.task in DOCK_TASKS

    def to_dict(self) -> dict[str, Any]:
        return {"corpus": self.corpus, "task": self.task, "preset": self.preset, "view": self.view,
                "compares": list(self.compares), "settings": dict(self.settings)}


@dataclass(frozen=True)
class Table:
    """A small table of plain values (str, int, float, None), one tuple per row."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def __post_init__(self) -> None:
        rows = tuple(tuple(r) for r in self.rows)
        for row in rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.title!r}: a row of {len(row)} values for {len(self.columns)} columns")
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "rows", rows)

    def column(self, name: str) -> list[Any]:
        k = self.columns.index(name)
        return [row[k] for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(r) for r in self.rows]}

    def to_text(self) -> str:
        """The table as aligned columns, numbers to four significant digits."""
        cells = [list(self.columns)] + [[_cell(v) for v in row] for row in self.rows]
        widths = [max(len(r[k]) for r in cells) for k in range(len(self.columns))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join([self.title, *lines])


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class Series:
    """One curve (or one set of bars) of a Plot: x and y of equal length."""

    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    style: str = "line"  # "line", "dashed" or "points"

    def __post_init__(self) -> None:
        x, y = tuple(float(v) for v in self.x), tuple(float(v) for v in self.y)
        if len(x) != len(y):
            raise ValueError(f"series {self.name!r}: {len(x)} x values for {len(y)} y values")
        if self.style not in ("line", "dashed", "points"):
            raise ValueError(f"series {self.name!r}: unknown style {self.style!r}")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)


@dataclass(frozen=True)
class Plot:
    """A figure the app draws beside the exercise (the CLI lists it; --json gives its numbers).

    ``kind`` "lines": every series a curve over x (e.g. a forecast over time, losses over epochs);
    "bars": ``categories`` name the bars, each series gives one bar per category (y) beside the others';
    "matrix": ``values`` (rows × columns) drawn as a heatmap with ``row_labels`` and ``column_labels``
    (a confusion matrix: rows the true class, columns the predicted one)."""

    title: str
    kind: str
    x_label: str = ""
    y_label: str = ""
    series: tuple[Series, ...] = ()
    categories: tuple[str, ...] = ()
    values: tuple[tuple[float, ...], ...] = ()
    row_labels: tuple[str, ...] = ()
    column_labels: tuple[str, ...] = ()
    log_y: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("lines", "bars", "matrix"):
            raise ValueError(f"plot {self.title!r}: unknown kind {self.kind!r}")
        values = tuple(tuple(float(v) for v in row) for row in self.values)
        if self.kind == "matrix" and (len(values) != len(self.row_labels)
                                      or any(len(r) != len(self.column_labels) for r in values)):
            raise ValueError(f"plot {self.title!r}: the matrix's shape does not match its labels")
        if self.kind == "bars" and any(len(s.y) != len(self.categories) for s in self.series):
            raise ValueError(f"plot {self.title!r}: every series needs one bar per category")
        for name in ("series", "categories", "row_labels", "column_labels"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "values", values)

    def to_dict(self) -> dict[str, Any]:
        def plain(v: float) -> float | None:
            return v if math.isfinite(v) else None
        return {"title": self.title, "kind": self.kind, "x_label": self.x_label, "y_label": self.y_label,
                "log_y": self.log_y,
                "series": [{"name": s.name, "style": s.style, "x": [plain(v) for v in s.x],
                            "y": [plain(v) for v in s.y]} for s in self.series],
                "categories": list(self.categories), "values": [[plain(v) for v in r] for r in self.values],
                "row_labels": list(self.row_labels), "column_labels": list(self.column_labels)}


@dataclass(frozen=True)
class FileInput:
    """A user's file an exercise can run on instead of its built-in data (Run on a file… / --file)."""

    kind: str  # "csv", "tsv" or "text"
    description: str  # what the file must hold, shown by the app's file dialog and `exercises show`
    many: bool = False  # several files at once (e.g. several books)
    column: bool = False  # the run also needs a column's name or number (a CSV)


@dataclass(frozen=True)
class ExerciseResult:
    """What a headless run returns: what to look at (``summary``), tables, arrays and texts."""

    exercise: str  # its id
    summary: str  # what the numbers show, in a sentence or two
    tables: tuple[Table, ...] = ()
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)  # read-only copies, e.g. "g_forward" (T,)
    texts: Mapping[str, str] = field(default_factory=dict)  # e.g. generated text per temperature
    stopped: bool = False  # a Stop came before the run finished: what was done so far
    plots: tuple[Plot, ...] = ()  # figures the app draws (forecasts, curves overlaid, a confusion matrix)
    # The models its run trained (ModelBundle, on the CPU) that the app can show in its tabs ("Show this
    # model in the tabs"); not plain data, so neither compared nor in to_dict.
    models: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", tuple(self.tables))
        object.__setattr__(self, "plots", tuple(self.plots))
        object.__setattr__(self, "models", tuple(self.models))
        arrays = {}
        for name, value in dict(self.arrays).items():
            array = np.array(value, copy=True)
            array.flags.writeable = False
            arrays[name] = array
        object.__setattr__(self, "arrays", arrays)
        object.__setattr__(self, "texts", dict(self.texts))

    def table(self, title: str) -> Table:
        found = [t for t in self.tables if t.title == title]
        if not found:
            raise KeyError(title)
        return found[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: arrays as nested lists (NaN as None)."""
        def plain(a: np.ndarray) -> Any:
            return np.where(np.isfinite(a), a, None).tolist() if a.dtype.kind == "f" else a.tolist()
        return {"exercise": self.exercise, "summary": self.summary, "stopped": self.stopped,
                "tables": [t.to_dict() for t in self.tables],
                "arrays": {k: {"shape": list(v.shape), "values": plain(v)} for k, v in self.arrays.items()},
                "texts": dict(self.texts), "plots": [p.to_dict() for p in self.plots]}

    def to_text(self) -> str:
        parts = [self.summary]
        if self.stopped:
            parts.append("(stopped: what was done before the Stop)")
        parts += [t.to_text() for t in self.tables]
        parts += [f"{name}:\n  {text}" for name, text in self.texts.items()]
        if self.arrays:
            parts.append("arrays: " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in self.arrays.items()))
        if self.plots:
            parts.append("plots (drawn by the app; --json gives their numbers): "
                         + "; ".join(p.title for p in self.plots))
        return "\n\n".join(parts)


#: ``runner(small, progress, stop)``; an exercise that accepts a user's file (``Exercise.accepts``) is also
#: called with ``files=(path, ...)`` and ``column=`` (None when not given) when the user gives one.
Runner = Callable[..., ExerciseResult]


@dataclass(frozen=True)
class Exercise:
    """One exercise of the book's chapters, as the app offers it."""

    id: str  # e.g. "gru-4"
    section: str  # the book's section number and title, e.g. "10.2 Gated Recurrent Units (GRU)"
    number: int  # its number among the section's exercises
    title: str  # a few words
    paraphrase: str  # the exercise in our own words, citing the section
    question: str  # what to look for, shown beside the view
    setup: Setup
    status: str  # "ready", or "needs: <capability>"
    meanwhile: str = ""  # for an exercise that needs something: what the student can do now
    runner: Runner | None = field(default=None, repr=False, compare=False)
    accepts: FileInput | None = None  # a user's file it can run on instead of its built-in data

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    @property
    def chapter(self) -> str:
        """The section's short name used in ids and menus: "rnn", "gru", "lstm" …"""
        return self.id.rsplit("-", 1)[0]

    def run(self, small: bool = True, progress: Progress | None = None, stop: ShouldStop | None = None,
            files: tuple[str, ...] = (), column: str | None = None) -> ExerciseResult:
        """Do the exercise's work headless; ``small`` at a size that takes seconds; on the user's ``files``
        (and ``column``) when given and the exercise accepts them."""
        if self.runner is None:
            raise RnnvizError(f"exercise {self.id} {self.status}; it has no run yet. Meanwhile: {self.meanwhile}")
        if files or column is not None:
            if self.accepts is None:
                raise RnnvizError(f"exercise {self.id} runs on its own data only; run it without a file.")
            if len(files) > 1 and not self.accepts.many:
                raise RnnvizError(f"exercise {self.id} takes one {self.accepts.kind} file, not {len(files)}.")
            if column is not None and not self.accepts.column:
                raise RnnvizError(f"exercise {self.id} takes no column; run it without --column.")
            if column is not None and not files:  # else the column is dropped and the exercise's own data used
                raise RnnvizError(f"exercise {self.id}: the column {column!r} picks a column of your file; give the "
                                  "file too (--file), or leave the column out.")
            return self.runner(small, progress, stop, files=tuple(files), column=column)
        return self.runner(small, progress, stop)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "section": self.section, "number": self.number, "title": self.title,
                "paraphrase": self.paraphrase, "question": self.question, "status": self.status,
                "meanwhile": self.meanwhile, "setup": self.setup.to_dict(), "runnable": self.runner is not None,
                "accepts": None if self.accepts is None else {"kind": self.accepts.kind,
                                                              "description": self.accepts.description,
                                                              "many": self.accepts.many,
                                                              "column": self.accepts.column}}
