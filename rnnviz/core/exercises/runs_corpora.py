"""The exercises of section 10.3 on data: more text (deep-3) and texts of several authors (deep-4).

Both train the deep-GRU preset briefly on corpora of several sources
(rnnviz.core.data.sources) and read every model on every source's validation text
(``perplexity_by_source``). Built in, the sources are the phrasebook's English and
French sides (no download); given the user's text files (``files=``), theirs. Every
run cleans with one rule ("lower") so that all models read the same validation text;
a model that never saw a character reads it as <unk>.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rnnviz.core.errors import ConfigError, DataError, TextTooShort
from rnnviz.core.exercises.records import ExerciseResult, Plot, Progress, Series, ShouldStop, Table
from rnnviz.core.exercises.training import Trained, build_data, data_config, train_short

#: The built-in sources: two "authors" that share an alphabet but not a language.
BUILT_IN = ("phrasebook-en", "phrasebook-fr")
PRESET = "deep-gru"
#: Every run's data but the sources: short windows, random offsets, one cleaning rule for all.
SMALL_DATA = {"num_steps": 16, "batch_size": 32}
FULL_DATA = {"num_steps": 32, "batch_size": 64}
#: A small run's steps: the usual 40 leave every model near the characters' frequencies (perplexity ~17 on
#: the phrasebook, all models alike); at 100 each model has learnt its own text (about 10) and the
#: differences between the models are the exercise's.
SMALL_RUN_STEPS = 100
SMALL_VAL_BATCHES = 8  # per source: enough for a perplexity in a fraction of a second
RUNS_MAX = 5  # deep-3's growing corpora, deep-4's models: at most this many runs


def _sources(exercise: str, files: tuple[str, ...]) -> tuple[str, ...]:
    if not files:
        return BUILT_IN
    if len(files) < 2:
        raise ConfigError(f"{exercise} compares texts: give two text files or more (one per author or book), "
                          "not one.")
    if len(files) > RUNS_MAX - (1 if exercise == "deep-4" else 0):
        raise ConfigError(f"{exercise} trains one model per text: give at most "
                          f"{RUNS_MAX - (1 if exercise == 'deep-4' else 0)} files, not {len(files)}.")
    seen: dict[Path, str] = {}
    for name in files:  # before any training: a duplicate found after the first model's steps wastes them
        key = Path(name).expanduser().resolve()
        if key in seen:
            raise ConfigError(f"{name!r} and {seen[key]!r} are the same file: {exercise} trains one model per "
                              "text, so give each text once.")
        seen[key] = name
    return tuple(files)


def _changes(sources: tuple[str, ...], small: bool) -> dict[str, Any]:
    return {**(SMALL_DATA if small else FULL_DATA), "corpus": sources[0], "sources": sources[1:],
            "lm_cleaning": "lower", "lm_sampling": "random-offset", "num_train": None, "num_val": None}


def _label(names: list[str]) -> str:
    return " + ".join(names)


def _train_all(plan: list[tuple[str, tuple[str, ...]]], small: bool, progress: Progress | None,
               stop: ShouldStop | None) -> tuple[list[Trained], bool]:
    """Train one model per (label, sources) of ``plan``, each the same budget of steps; stops early on a Stop."""
    done: list[Trained] = []
    for k, (label, sources) in enumerate(plan):
        span = (0.9 * k / len(plan), 0.9 * (k + 1) / len(plan))
        trained = train_short(PRESET, small, label=label, data_changes=_changes(sources, small),
                              steps=SMALL_RUN_STEPS if small else None, progress=progress, span=span, stop=stop)
        done.append(trained)
        if trained.stopped:
            return done, True
    return done, False


def _all_sources(exercise: str, sources: tuple[str, ...], small: bool) -> Any:
    """The data of every source together, as the runs cut it: built before any training, so that a text too
    short for the exercise is said at once, in the exercise's words (it has no num_steps to offer)."""
    from rnnviz.core.models.presets import get_preset

    config = data_config(get_preset(PRESET), small, **_changes(sources, small))
    try:
        return build_data(config)
    except TextTooShort as short:
        raise DataError(f"{short.name} is too short for {exercise}: it has {short.count:,} {short.unit}, and the "
                        f"exercise reads windows of {config.num_steps} {short.unit} and holds "
                        f"{config.val_fraction:.0%} of each text out for validation, so it needs at least "
                        f"{short.minimum:,}. Give a longer text (a chapter or a book, not a paragraph).") from None


def _read_all(models: list[Trained], data: Any, small: bool,
              progress: Progress | None) -> tuple[list[str], list[list[float]], list[list[float]]]:
    """Each model's perplexity on each source's validation text, and the share of that text it reads as <unk>."""
    from rnnviz.core.data.sources import perplexity_by_source

    if progress is not None:
        progress(0.92, "reading every model on every source")
    names = [name for name, _ in data.val_parts()]
    table, unknown = [], []
    for trained in models:
        rows = perplexity_by_source(trained.bundle, data, SMALL_VAL_BATCHES if small else None)
        table.append([math.nan if r.perplexity is None else r.perplexity for r in rows])
        vocab = trained.bundle.vocabs[0]
        unknown.append([_unknown_share(vocab, data.vocab.to_tokens(ids.tolist())) for _, ids in data.val_parts()])
    return names, table, unknown


def _unknown_share(vocab: Any, tokens: list[str]) -> float:
    return sum(t not in vocab for t in tokens) / max(len(tokens), 1)


def _bars(title: str, names: list[str], labels: list[str], table: list[list[float]]) -> Plot:
    return Plot(title, "bars", y_label="validation perplexity", categories=tuple(names),
                series=tuple(Series(label, range(len(names)), row) for label, row in zip(labels, table)))


def _unknown_note(labels: list[str], names: list[str], unknown: list[list[float]]) -> str:
    notes = [f"{label} on {name}: {share:.1%}" for label, row in zip(labels, unknown)
             for name, share in zip(names, row) if share > 0]
    return ("tokens of the validation text the model never saw (read as <unk>): " + "; ".join(notes)) if notes \
        else "every model knows every token of every validation text."


def run_deep_3(small: bool, progress: Progress | None, stop: ShouldStop | None,
               files: tuple[str, ...] = (), column: str | None = None) -> ExerciseResult:
    """The same model trained on the first source, then on the first two, …: perplexity on each source."""
    sources = _sources("deep-3", files)
    data = _all_sources("deep-3", sources, small)
    plan = [(f"trained on {_label(_short(sources[:k]))}", sources[:k]) for k in range(1, len(sources) + 1)]
    models, stopped = _train_all(plan, small, progress, stop)
    names, table, unknown = _read_all(models, data, small, progress)
    labels = [m.label for m in models]
    columns = ("model", "texts", "steps", *(f"perplexity on {n}" for n in names))
    rows = tuple((label, k + 1, m.steps, *row) for k, (label, m, row) in enumerate(zip(labels, models, table)))
    first = [row[0] for row in table]
    best = min(range(len(first)), key=lambda k: first[k])
    more = "lower" if first[-1] < first[0] else "higher"
    stopped_words = ("Stopped before every model was trained: the table holds the models trained so far, the last "
                     "of them only partly; run it again to the end to compare them.")
    summary = stopped_words if stopped or len(models) < 2 else (
               f"The same {PRESET} model, the same {models[0].steps} steps each, on ever more text. On "
               f"{names[0]}'s validation text the model of {names[0]} alone reaches perplexity {first[0]:.2f} and "
               f"the model of {len(models)} text(s) {first[-1]:.2f} ({more}); the best is the model "
               f"{labels[best]}. More text helps where it is like the text being predicted and the model has "
               "steps and units enough to learn it; with the same short budget a bigger corpus gives each "
               "text fewer steps, and text of another kind spends the model's capacity elsewhere. Run it at "
               "full size (more steps) to see how low the perplexity goes.")
    table_record = Table("validation perplexity by source", columns, rows)
    return ExerciseResult("deep-3", summary, (table_record,), texts={"unknown": _unknown_note(labels, names, unknown)},
                          stopped=stopped, plots=(_bars("validation perplexity by source", names, labels, table),))


def run_deep_4(small: bool, progress: Progress | None, stop: ShouldStop | None,
               files: tuple[str, ...] = (), column: str | None = None) -> ExerciseResult:
    """A model per author and one of all authors mixed: each read on every author's validation text."""
    sources = _sources("deep-4", files)
    data = _all_sources("deep-4", sources, small)
    short = _short(sources)
    plan = [(f"{name} alone", (source,)) for name, source in zip(short, sources)]
    plan.append((f"mixed ({_label(short)})", sources))
    models, stopped = _train_all(plan, small, progress, stop)
    names, table, unknown = _read_all(models, data, small, progress)
    labels = [m.label for m in models]
    rows = tuple((label, *row) for label, row in zip(labels, table))
    summary = _mixing_summary(names, labels, table, models) if not stopped else \
        "Stopped before every model was trained: the table holds the models trained so far."
    return ExerciseResult("deep-4", summary, (Table("validation perplexity: model × source", ("model", *names),
                                                    rows),),
                          texts={"unknown": _unknown_note(labels, names, unknown)}, stopped=stopped,
                          plots=(_bars("validation perplexity: each model on each source", names, labels, table),))


def _mixing_summary(names: list[str], labels: list[str], table: list[list[float]], models: list[Trained]) -> str:
    """What mixing costs (on each author, the mixed model against that author's own) and buys (against the
    other authors' models)."""
    mixed = table[-1]
    costs, gains = [], []
    beats_others = 0  # sources where the mixed model reads better than every other author's specialist
    for k, name in enumerate(names):
        own = table[k][k]
        others = [table[j][k] for j in range(len(names)) if j != k]
        costs.append(f"on {name} {mixed[k]:.2f} against {own:.2f} for its own model")
        gains.append(f"{mixed[k]:.2f} on {name} where the other model(s) reach {', '.join(f'{v:.2f}' for v in others)}")
        beats_others += all(mixed[k] < v for v in others)
    worse = sum(mixed[k] > table[k][k] for k in range(len(names)))
    if beats_others == len(names):
        buys = (f"What it buys: one model that reads every source better than the other authors' specialists do "
                f"({'; '.join(gains)}); a specialist read on another author's text meets a style, and perhaps "
                "characters, it never saw.")
    else:
        buys = (f"It reads better than the other authors' specialists on only {beats_others} of {len(names)} "
                f"source(s) ({'; '.join(gains)}): at this budget, mixing has not yet paid even there; train longer "
                "(full size) and compare again.")
    return (f"{len(models)} models of the {PRESET} preset, {models[0].steps} steps each. What mixing costs: the "
            f"mixed model is {'worse' if worse else 'no worse'} than the specialist on {worse} of {len(names)} "
            f"source(s) ({'; '.join(costs)}): its units and steps are shared between the authors, and its "
            f"vocabulary holds every author's characters. {buys} Generated text of the mixed model can switch "
            "authors mid-sentence.")


def _short(sources: tuple[str, ...]) -> list[str]:
    from rnnviz.core.data.sources import source_labels

    return source_labels(list(sources))
