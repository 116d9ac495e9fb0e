"""The headless runs of the language-model exercises: sections 9.4–9.6 (RNN), 10.1 (LSTM), 10.2 (GRU), 10.3 (deep).

Each ``run_*`` takes ``(small, progress, stop)`` and returns an ExerciseResult; the
models are trained briefly by :func:`~rnnviz.core.exercises.training.train_short`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnviz.core.exercises.records import ExerciseResult, Progress, ShouldStop, Table
from rnnviz.core.exercises.training import Trained, build_data, data_config, train_short

#: Characters of the probe text that traces and gradients read.
PROBE_LENGTH = 40


def probe_text(data: Any, length: int = PROBE_LENGTH) -> str:
    """A stretch of the validation text: every token is in the vocabulary, and the model never trained on it."""
    tokens = data.vocab.to_tokens(data.val_ids[:length].tolist())
    return (" " if data.level == "word" else "").join(tokens)


def _tell(progress: Progress | None, fraction: float, text: str) -> None:
    if progress is not None:
        progress(fraction, text)


def anatomy_result(exercise: str, preset_name: str, summary_of: Any, vocab: tuple[int, ...] | None = None,
                   config: Any = None) -> ExerciseResult:
    """The Builder's anatomy of a preset (or ``config``) as a table of layers and shapes."""
    from rnnviz.core.models.anatomy import anatomy
    from rnnviz.core.models.presets import get_preset

    preset = get_preset(preset_name)
    config = config or preset.config
    sizes = vocab or ((28,) if config.task == "lm" else (200, 200))
    info = anatomy(config, sizes)
    rows = [(layer.part, layer.index + 1, layer.cell, layer.input_size, "/".join(map(str, layer.hidden_sizes)),
             layer.output_size, layer.shapes.get("H_t", ""), layer.torch_params) for layer in info.layers]
    layers = Table("layers", ("part", "layer", "cell", "input", "hidden →/←", "output", "H_t", "parameters"), rows)
    extras = Table("other parts", ("name", "shape", "parameters"),
                   [(e.name, e.shape, e.params) for e in info.extras])
    return ExerciseResult(exercise, summary_of(info), (layers, extras),
                          texts={"formulas": "\n  ".join(f"{l.part} layer {l.index + 1}: {l.formula}"
                                                         for l in info.layers)})


def run_rnn_1(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    def summary(info: Any) -> str:
        out = info.extras[-1]
        return (f"Next-character prediction scores every character of the vocabulary at every step: with "
                f"V = {info.vocab_sizes[0]} characters the output layer maps H_t to (B, V) = {out.shape}; "
                "the one-hot input has the same dimension V.")
    return anatomy_result("rnn-1", "rnn-lm", summary)


def _trace_distance(bundle: Any, text: str, other: str) -> np.ndarray:
    from rnnviz.core.introspect import trace_lm

    a = trace_lm(bundle, text).get(0, "forward", "hidden")  # (T, H)
    b = trace_lm(bundle, other).get(0, "forward", "hidden")  # (T, H)
    return np.linalg.norm(a - b, axis=1)  # (T,)


def run_rnn_2(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    trained = train_short("rnn-lm", small, progress=progress, span=(0.0, 0.8), stop=stop)
    text = probe_text(trained.data).strip()  # cleaning would drop a leading space, and shift the steps
    other = ("e" if text[0] != "e" else "a") + text[1:]  # the same text but its first character
    distance = _trace_distance(trained.bundle, text, other)  # (T,)
    rows = [(t + 1, text[t], float(distance[t])) for t in range(len(distance))]
    return ExerciseResult(
        "rnn-2", "H_t = tanh(X_t W_xh + H_{t-1} W_hh + b) folds every earlier input into the state: change only "
        f"the first character ({text[0]!r} → {other[0]!r}) and H_t differs at every later step, fading as the "
        "step moves away from it.",
        (Table("‖H_t − H′_t‖ when only the first character differs", ("t", "token", "distance"), rows),),
        {"distance": distance}, {"text": text, "changed": other}, trained.stopped)


def run_rnn_3(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.gradients import gradients_lm

    trained = train_short("rnn-lm", small, progress=progress, span=(0.0, 0.8), stop=stop)
    text = probe_text(trained.data)
    g = gradients_lm(trained.bundle, text, maps=False).stack.layers[0].g  # (T,)
    last = float(g[-1]) if np.isfinite(g[-1]) and g[-1] > 0 else 1.0
    rows = [(t + 1, text[t], float(g[t]), float(g[t] / last)) for t in range(len(g))]
    return ExerciseResult(
        "rnn-3", "g[t] = ‖∂ℓ_last/∂H_t‖: how much the last prediction's loss depends on the state t steps "
        "back. In a vanilla RNN it is a product of Jacobians and shrinks (or, with large weights, grows) "
        "geometrically as t moves away from the end.",
        (Table("gradient of the last loss with respect to H_t", ("t", "token", "g", "g / g_last"), rows),),
        {"g": g}, {"text": text}, trained.stopped)


def per_position_perplexity(trained: Trained, batches: int = 8) -> np.ndarray:
    """The validation perplexity at each position of the window, (num_steps,)."""
    import itertools

    import torch
    import torch.nn.functional as F

    losses = []
    with torch.no_grad():
        for inputs, targets in itertools.islice(trained.data.val_batches(), batches):
            logits, _ = trained.bundle.model(torch.as_tensor(inputs))  # (B, T, V)
            loss = F.cross_entropy(logits.transpose(1, 2), torch.as_tensor(targets), reduction="none")  # (B, T)
            losses.append(loss.mean(0).numpy())
    return np.exp(np.mean(losses, axis=0))  # (T,)


def run_rnn_4(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.decoding import generate

    trained = train_short("rnn-lm", small, progress=progress, span=(0.0, 0.8), stop=stop)
    prefix = probe_text(trained.data, 8)
    texts, rows = {}, []
    for temperature in (0.0, 0.5, 1.0, 1.5):
        out = generate(trained.bundle, prefix, 40, strategy="sample", temperature=temperature, seed=0)
        texts[f"temperature {temperature:g}"] = out.text
        rows.append((temperature, len(set(out.tokens)), out.text))
    position = per_position_perplexity(trained)  # (T,)
    return ExerciseResult(
        "rnn-4", "Problems to look for: greedy text (temperature 0) falls into loops, hot sampling invents "
        "words, and the perplexity is highest at the first positions of a window, where the model has read "
        "least (each window starts from a zero state).",
        (Table("generation", ("temperature", "distinct characters", "text"), rows),
         Table("validation perplexity by position", ("position", "perplexity"),
               [(t + 1, float(p)) for t, p in enumerate(position)])),
        {"perplexity_by_position": position}, texts, trained.stopped)


def compare(exercise: str, runs: list[tuple[str, dict[str, Any]]], small: bool, progress: Progress | None,
            stop: ShouldStop | None, summary: str, sample: bool = True) -> ExerciseResult:
    """Train each ``(preset, changes)`` on the same data and tabulate time, perplexity (or accuracy) and text."""
    from rnnviz.core.decoding import generate
    from rnnviz.core.models.presets import get_preset

    data_of: dict[Any, Any] = {}
    done: list[Trained] = []
    for k, (preset, changes) in enumerate(runs):
        if stop is not None and stop():
            break
        key = data_config(get_preset(preset), small)
        data = data_of.setdefault(key, build_data(key))
        span = (k / len(runs), (k + 1) / len(runs))
        done.append(train_short(preset, small, data=data, progress=progress, span=span, stop=stop, **changes))
        if done[-1].stopped:
            break
    rows, texts = [], {}
    for t in done:
        metric = t.perplexity if t.metric is None else t.metric_value
        rows.append((t.label, t.parameters, t.steps, t.seconds, t.tokens_per_s, metric))
        if sample and t.bundle.task == "lm":
            texts[t.label] = generate(t.bundle, probe_text(t.data, 8), 40).text
    name = "validation perplexity" if not done or done[0].metric is None else f"validation {done[0].metric}"
    table = Table("runs", ("run", "parameters", "steps", "seconds", "tokens/s", name), rows)
    curves = {f"loss_{i}": np.array(t.bundle.history.loss, dtype=np.float64) for i, t in enumerate(done)}
    return ExerciseResult(exercise, summary, (table,), curves, texts,
                          stopped=len(done) < len(runs) or any(t.stopped for t in done))


def run_gru_1(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    return compare("gru-1", [("rnn-lm", {"label": "RNN"}), ("gru-lm", {"label": "GRU"})], small, progress, stop,
                   "The same data and number of steps: the GRU has three times the RNN's recurrent parameters and "
                   "takes longer per step, and usually reaches a lower perplexity in the same steps.")


#: gru-2's small run: the recall at the preset's lag 5, with more sequences (1,000 overfit at ~83%) and a
#: larger step and batch than the preset's recipe, so that it learns the recall (~95% against 12.5% chance)
#: in a few seconds on a laptop's CPU. A full run is the preset's own recipe.
GRU_2_SMALL = {"steps": 800, "lr": 0.02, "data_changes": {"batch_size": 64, "num_train": 4000}}


def run_gru_2(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.exercises.records import Plot, Series
    from rnnviz.core.introspect.memory import trace_memory

    trained = train_short("recall-gru", small, progress=progress, stop=stop, **(GRU_2_SMALL if small else {}))
    lag = int(trained.data.config.lag or 5)
    chance = 1.0 / int(trained.data.config.symbols or 8)
    accuracy = float(trained.metric_value or 0.0)
    trace = trace_memory(trained.bundle, 0)
    z = trace.get(0, "forward", "update")  # (T, H)
    mean_z = z.mean(axis=1)  # (T,)
    held = (z > 0.9).mean(axis=1)  # (T,) share of units that keep their state
    rows = [(t + 1, trace.tokens[t], float(mean_z[t]), float(held[t])) for t in range(len(mean_z))]
    reached = (f"The GRU recalls the input of {lag} steps before with {accuracy:.0%} accuracy on validation "
               f"sequences (chance: {chance:.1%}) after {trained.steps} steps.")
    if accuracy < 0.9:  # say so: the gates of a model that has not learned the task show little
        reached += (" It has not learned the recall well yet, so its gates show the pattern only faintly: "
                    "run it again, or at full size (rnnviz exercises run gru-2 --full).")
    steps = tuple(float(t + 1) for t in range(len(mean_z)))
    plot = Plot("update gate z over a validation sequence", "lines", "step t", "z",
                (Series("mean z over the units", steps, tuple(float(v) for v in mean_z)),
                 Series("share of units with z > 0.9", steps, tuple(float(v) for v in held), "dashed")))
    return ExerciseResult(
        "gru-2", f"{reached} For the output at t to use only the input at t′ = t − {lag}, the units holding "
        "that input must keep it: update gate z ≈ 1 (H_t ≈ H_{t−1}) at every step after t′, and z ≈ 0 with the "
        "reset gate open at t′ to write it in. Look for units whose z stays near 1 across the lag.",
        (Table("update gate on a validation sequence", ("t", "input", "mean z", "share of units with z > 0.9"),
               rows),
         Table("the trained model", ("lag", "steps", f"validation {trained.metric}", "chance"),
               [(lag, trained.steps, trained.metric_value, chance)])),
        {"update": z}, {}, trained.stopped, (plot,), models=(trained.bundle,))


def sweep(exercise: str, preset: str, small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.models.presets import get_preset

    hidden = get_preset(preset).config.stack.hidden_sizes[0]
    values = (max(hidden // 2, 1), hidden * 2)
    return compare(exercise, [(preset, {"label": f"hidden {h}", "hidden": (h,)}) for h in values], small, progress,
                   stop, f"Two values of one hyperparameter, the hidden size ({values[0]} and {values[1]}), the rest "
                         "as the book's recipe: more units cost more time per step and parameters; whether they "
                         "buy a lower perplexity depends on how long you train. Try the learning rate and the "
                         "number of steps next (Config dock).")


def run_gru_3(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    return sweep("gru-3", "gru-lm", small, progress, stop)


def run_lstm_1(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    return sweep("lstm-1", "lstm-lm", small, progress, stop)


def run_gru_4(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    cells = (("gru-book", "GRU (both gates)"), ("gru-reset", "reset gate only"), ("gru-update", "update gate only"))
    return compare("gru-4", [("gru-lm", {"label": label, "cell": cell}) for cell, label in cells], small, progress,
                   stop, "Without the update gate the state is rewritten at every step (H_t = H̃_t), like a "
                         "vanilla RNN with a reset gate; without the reset gate the candidate always reads all of "
                         "H_{t−1}. The update gate is the one that lets the state carry across many steps.")


def run_lstm_2(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    return compare("lstm-2", [("lstm-lm", {"label": "LSTM, words", "data_changes": {"token_level": "word"}})],
                   small, progress, stop,
                   "The same LSTM over words instead of characters: the vocabulary grows from tens to thousands, "
                   "so do the input and output layers, and each step predicts a whole word.")


def run_lstm_4(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.introspect import trace_lm

    trained = train_short("lstm-lm", small, progress=progress, span=(0.0, 0.8), stop=stop)
    trace = trace_lm(trained.bundle, probe_text(trained.data))
    c = trace.get(0, "forward", "cell")  # (T, H)
    h = trace.get(0, "forward", "hidden")  # (T, H)
    rows = [(name, float(v.min()), float(v.max()), float(np.abs(v).mean())) for name, v in (("C_t", c), ("H_t", h))]
    return ExerciseResult(
        "lstm-4", "C_t adds up what the input gate lets in, step after step, and is not bounded; tanh squashes "
        "it back into (−1, 1) before the output gate, so H_t, which the next layer and the output read, keeps "
        "the range of an RNN's state.",
        (Table("ranges over the probe text", ("value", "min", "max", "mean |value|"), rows),),
        {"cell": c, "hidden": h}, {"text": "".join(trace.tokens)}, trained.stopped)


def run_deep_1(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    def summary(info: Any) -> str:
        second = info.layers[1]
        return (f"Two layers: the first reads X_t (d = {info.layers[0].input_size}), the second reads the first "
                f"layer's H_t (d = {second.input_size}), so its W_xh is {second.input_size}×"
                f"{second.hidden_sizes[0]}. The Builder shows the scratch equations of each layer.")
    return anatomy_result("deep-1", "deep-gru", summary)


def run_deep_2(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    return compare("deep-2", [("deep-gru", {"label": "deep GRU"}), ("deep-lstm", {"label": "deep LSTM"})], small,
                   progress, stop, "Two layers of GRU against two layers of LSTM on the same data and steps: the "
                                   "LSTM has a third more parameters and is slower per step.")
