"""The headless runs of the translation exercises: the padding mask (10.7 ex. 3), BLEU by source length
(10.7 ex. 2), and the toy sequence-to-sequence tasks (10.6 ex. 1, 10.7 ex. 1).

Each trains the book's encoder–decoder (a GRU encoder and decoder, Adam, gradients clipped at 1) for a
few epochs through ``rnnviz.core.session.TrainingSession``: small runs on 3,000 pairs of the built-in
phrasebook or a toy task's 2,000 take seconds; full runs on all of them take minutes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.vocab import PAD
from rnnviz.core.exercises.records import ExerciseResult, Plot, Progress, Series, ShouldStop, Table

#: Small runs: pairs, epochs and layers; full runs: every pair of the corpus. 400 pairs (20 steps) left the model
#: at a mean BLEU of 0.04, translating every sentence alike: too little for s2s-2's or s2s-3's question. 3,000
#: pairs for 5 epochs (about 190 steps) reach about 0.14 in a few seconds.
SMALL_PAIRS, SMALL_EPOCHS, SMALL_LAYERS = 3000, 5, 1
FULL_EPOCHS, FULL_LAYERS = 30, 2
#: The toys' small runs read every pair of the corpus: on 400 (30 steps) no task came out exactly right and every
#: date began with <unk> (a year seen once is out of the vocabulary); 2,000 take about as long and sort digits.
SMALL_TOY_PAIRS, SMALL_TOY_EPOCHS = 2000, 6
EXAMPLES = 5  # example translations shown per run


@dataclass(frozen=True)
class Run:
    """A model after a run of a few epochs, and its curves."""

    label: str
    bundle: Any  # ModelBundle on the CPU
    data: Any  # MtData
    epochs: tuple[int, ...]
    val_loss: tuple[float, ...]  # as the model's own loss measures it, per epoch
    val_loss_masked: tuple[float, ...]  # over the real target tokens only, per epoch (comparable across runs)
    seconds: float
    stopped: bool


def _model(hidden: int, layers: int, mask_padding: bool = True) -> ModelConfig:
    stack = StackSpec("gru", (hidden,) * layers)
    return ModelConfig("mt", stack, stack, embed_size=32, mask_padding=mask_padding)


def masked_val_loss(bundle: Any, data: Any) -> float:
    """Cross-entropy over the validation targets' real tokens (padding masked, the book's loss), whatever
    the model trained with: the one number that compares a masked and an unmasked run."""
    import torch

    model = bundle.model
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for src, tgt_in, _, tgt_out in data.val_batches():
            targets = torch.as_tensor(tgt_out)  # (B, T)
            logits = model(torch.as_tensor(src), torch.as_tensor(tgt_in))  # (B, T, V)
            n = int((targets != model.pad_index).sum())
            total += float(model.loss(logits, targets, mask_padding=True)) * n
            count += n
    return total / max(count, 1)


def train_mt(label: str, corpus: str, model: ModelConfig, epochs: int, pairs: int | None, *, lr: float = 0.005,
             seed: int = 0, progress: Progress | None = None, span: tuple[float, float] = (0.0, 1.0),
             stop: ShouldStop | None = None) -> Run:
    """Train ``model`` on ``corpus`` (its first ``pairs`` pairs, shuffled and split 80/10/10) for ``epochs``."""
    from rnnviz.core.events import EpochEnd, Finished, NonFinite, Step, Stop
    from rnnviz.core.session import TrainingSession

    data_config = DataConfig(corpus=corpus, task="mt", batch_size=64, max_examples=pairs, seed=seed)
    train = TrainConfig(epochs=epochs, lr=lr, optimizer="adam", grad_clip=1.0, device="cpu", seed=seed)
    session = TrainingSession(data_config, model, train, label=label)
    session.prepare()
    per_epoch = session.data.num_train_batches()
    curve: list[tuple[int, float, float]] = []
    stopped, started = False, time.perf_counter()
    events = session.start()
    assert events is not None
    try:
        event = next(events)
        while not isinstance(event, (Finished, NonFinite)):
            command = None
            if isinstance(event, Step):
                if progress is not None:
                    share = min(event.step / (per_epoch * epochs), 1.0)
                    progress(span[0] + (span[1] - span[0]) * share, f"{label}: epoch {event.epoch} of {epochs}")
                if stop is not None and stop():
                    stopped, command = True, Stop()
            elif isinstance(event, EpochEnd) and event.val_loss is not None:
                # Between two events the weights do not change: measured here, the masked loss is this epoch's.
                curve.append((event.epoch, event.val_loss, masked_val_loss(session.bundle, session.data)))
                session.bundle.model.train()
            event = events.send(command)
    finally:
        events.close()
    bundle = session.bundle
    bundle.model.eval()
    return Run(label, bundle, session.data, tuple(e for e, _, _ in curve), tuple(v for _, v, _ in curve),
               tuple(m for _, _, m in curve), time.perf_counter() - started, stopped)


def padding_share(data: Any) -> float:
    """The share of the training targets' positions that are <pad>."""
    pad = data.tgt_vocab.index("<pad>")
    return float(np.mean(data.train.tgt_out == pad))


def _examples(run: Run, count: int = EXAMPLES) -> str:
    from rnnviz.core.decoding.by_length import greedy_batch

    pairs = run.data.val.pairs[:count]
    outputs = greedy_batch(run.bundle, [s for s, _ in pairs])
    return "\n  ".join(f"{s}  →  {' '.join(o) or '(nothing)'}   (reference: {t})" for (s, t), o in zip(pairs, outputs))


def _scores(run: Run) -> tuple[float, float, tuple[int, int]]:
    """(mean BLEU, share of exact translations, (translations that write <pad>, translations)) over the
    run's validation pairs, greedy."""
    from rnnviz.core.decoding.by_length import bleu_by_length

    result = bleu_by_length(run.bundle, run.data.val.pairs)
    n = len(result.pairs)
    padded = sum(PAD in p.prediction for p in result.pairs)
    return result.mean_bleu, sum(p.exact for p in result.pairs) / n, (padded, n)


def run_s2s_3(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    pairs, epochs, layers = (SMALL_PAIRS, SMALL_EPOCHS, SMALL_LAYERS) if small else (None, FULL_EPOCHS, FULL_LAYERS)
    runs = []
    for k, (label, mask) in enumerate((("masked (the book)", True), ("unmasked: <pad> counted", False))):
        runs.append(train_mt(label, "phrasebook", _model(32, layers, mask), epochs, pairs, progress=progress,
                             span=(k / 2, (k + 1) / 2), stop=stop))
        if runs[-1].stopped:
            break
    share = padding_share(runs[0].data)
    rows, padded = [], []
    for run in runs:
        score, exact, pads = _scores(run)
        padded.append(pads)
        rows.append((run.label, run.val_loss[-1] if run.val_loss else None,
                     run.val_loss_masked[-1] if run.val_loss_masked else None, score, exact, pads[0]))
    series = [Series(f"{r.label}: its own loss", r.epochs, r.val_loss) for r in runs]
    if len(runs) == 2:
        series.append(Series(f"{runs[1].label}: measured masked", runs[1].epochs, runs[1].val_loss_masked, "dashed"))
    summary = (f"{share:.0%} of the target positions are padding. Unmasked, the loss also counts predicting <pad> "
               "after <eos> as a target, and that is easy to learn, so the unmasked run's own loss averages easy "
               "pads in with the words.")
    if len(rows) == 2 and all(r[1] is not None for r in rows):
        (_, masked, _, masked_bleu, _, _), (_, own, real, bleu, _, _) = rows
        summary += (f" Its own validation loss: {own:.3f}, the masked run's {masked:.3f}; on the real tokens only "
                    f"(the dashed curve), {real:.3f} against {masked:.3f}: the fair comparison. Mean BLEU: "
                    f"{bleu:.3f} unmasked, {masked_bleu:.3f} masked.")
    if len(padded) == 2 and padded[1][0] > 0:  # it learnt that <pad> follows a sentence; greedy writes it out
        (masked_pads, n), (unmasked_pads, _) = padded
        verb = "writes" if unmasked_pads == 1 else "write"
        summary += (f" {unmasked_pads} of the unmasked model's {n} translations {verb} <pad> tokens (the masked "
                    f"model's: {masked_pads}); BLEU counts them as words.")
    return ExerciseResult(
        "s2s-3", summary,
        (Table("masked and unmasked loss, same seed", ("run", "final val loss (its own)",
                                                        "final val loss (real tokens)", "mean BLEU (k = 2)",
                                                        "exact translations", "translations with <pad>"), rows),
         Table("padding", ("training targets", "padding share"), [(len(runs[0].data.train), share)])),
        texts={f"translations, {r.label}": _examples(r) for r in runs},
        stopped=any(r.stopped for r in runs),
        plots=(Plot("validation loss per epoch", "lines", "epoch", "cross-entropy", tuple(series)),),
        models=tuple(r.bundle for r in runs))


#: Mean BLEU below this: the model translates too little for a trend by length to mean anything.
TOO_LITTLE_BLEU = 0.05
#: |Pearson r| of (source words, BLEU) over the pairs below this: no trend worth a sentence.
NO_TREND = 0.1


def length_trend(result: Any) -> float | None:
    """Pearson's r between a pair's source words and its BLEU, over every pair (None: no spread to correlate).
    A number the summary can rest on: buckets' means alone hide how few pairs the extreme lengths hold."""
    lengths = np.array([p.length for p in result.pairs], dtype=float)  # (N,)
    scores = np.array([p.bleu for p in result.pairs], dtype=float)  # (N,)
    if lengths.std() == 0 or scores.std() == 0:
        return None
    return float(np.corrcoef(lengths, scores)[0, 1])


def length_summary(result: Any) -> str:
    """s2s-2's summary, said from this run's numbers: whether BLEU falls, rises or stays with source length."""
    shortest, longest = result.buckets[0], result.buckets[-1]
    said = (f"Greedy translations of {len(result.pairs)} validation pairs, BLEU (k = {result.k}) by the number of "
            f"source words: {shortest.mean_bleu:.2f} at {shortest.label} words ({shortest.count} pair(s)), "
            f"{longest.mean_bleu:.2f} at {longest.label} ({longest.count}).")
    r = length_trend(result)
    if result.mean_bleu < TOO_LITTLE_BLEU or r is None:
        return said + (f" Mean BLEU is {result.mean_bleu:.2f}: the model translates too little yet for its length "
                       "to matter; run it at full size and look again.")
    if r <= -NO_TREND:
        trend = (f" Here BLEU falls as sources grow (correlation {r:.2f} over the pairs), as the book expects: the "
                 "encoder squeezes the whole source into one fixed-size state, so a longer source loses more of "
                 "itself (attention, chapter 11, lifts this limit).")
    elif r >= NO_TREND:
        trend = (f" Here BLEU rises with source length (correlation {r:.2f} over the pairs): in this run the longer "
                 "sources are not the harder ones, against the book's expectation. Compare the buckets' counts, and "
                 "run it at full size: the limit of one fixed-size state shows once the model translates well.")
    else:
        trend = (f" BLEU hardly changes with length (correlation {r:.2f} over the pairs): at these lengths the "
                 "fixed-size state is not yet the limit.")
    return said + trend + " The extreme buckets hold few pairs, so read their counts."


def run_s2s_2(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.decoding.by_length import bleu_by_length

    pairs, epochs, layers = (SMALL_PAIRS, SMALL_EPOCHS, SMALL_LAYERS) if small else (None, FULL_EPOCHS, FULL_LAYERS)
    run = train_mt("seq2seq", "phrasebook", _model(32, layers), epochs, pairs, progress=progress, span=(0.0, 0.9),
                   stop=stop)
    result = bleu_by_length(run.bundle, run.data.val.pairs)
    shares = [b.exact / b.count for b in result.buckets]
    labels = [b.label for b in result.buckets]
    return ExerciseResult(
        "s2s-2", length_summary(result),
        (Table("BLEU by source length", ("source words", "pairs", "mean BLEU", "exact"), result.rows()),),
        texts={"translations": _examples(run)}, stopped=run.stopped, models=(run.bundle,),
        plots=(Plot("BLEU by source length", "bars", "source words", "", (
            Series("mean BLEU", tuple(range(len(labels))), tuple(b.mean_bleu for b in result.buckets)),
            Series("exact share", tuple(range(len(labels))), tuple(shares))), categories=tuple(labels)),))


def _toy_runs(small: bool, progress: Progress | None, stop: ShouldStop | None) -> list[Run]:
    from rnnviz.core.data.toy_pairs import TOY_TASKS

    pairs, epochs = (SMALL_TOY_PAIRS, SMALL_TOY_EPOCHS) if small else (None, FULL_EPOCHS)
    runs = []
    for k, task in enumerate(TOY_TASKS):
        runs.append(train_mt(task, task, _model(64, 1), epochs, pairs, lr=0.01, progress=progress,
                             span=(k / len(TOY_TASKS), (k + 1) / len(TOY_TASKS)), stop=stop))
        if runs[-1].stopped:
            break
    return runs


def _toy_result(exercise: str, summary: str, runs: list[Run]) -> ExerciseResult:
    rows = []
    for run in runs:
        score, exact, _ = _scores(run)
        rows.append((run.label, len(run.data.train), len(run.epochs), run.val_loss_masked[-1] if run.epochs else None,
                     score, exact))
    return ExerciseResult(
        exercise, summary,
        (Table("toy sequence-to-sequence tasks", ("task", "training pairs", "epochs", "val loss", "mean BLEU (k = 2)",
                                                  "exact translations"), rows),),
        texts={f"translations, {r.label}": _examples(r) for r in runs}, stopped=any(r.stopped for r in runs),
        plots=(Plot("validation loss per epoch", "lines", "epoch", "cross-entropy",
                    tuple(Series(r.label, r.epochs, r.val_loss_masked) for r in runs)),),
        models=tuple(r.bundle for r in runs))  # "Show this model in the tabs": the first, toy-reverse


def run_ed_1(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    return _toy_result(
        "ed-1", "The same encoder–decoder, unchanged, learns tasks that are not translation: any input sequence "
        "to any output sequence. Reversing needs the encoder's state to hold every digit in order; sorting needs "
        "counts of each digit; dates need a reordering and a lookup (month names to numbers). Exact match is the "
        "strict measure here: a reversal with one digit wrong is wrong.", _toy_runs(small, progress, stop))


def run_s2s_1(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    return _toy_result(
        "s2s-1", "Sequence-to-sequence learning fits wherever input and output are sequences of different or "
        "unaligned lengths: normalising text (dates here), reordering (reversal), simple algorithms (sorting), "
        "and beyond the toys summarising, question answering, speech to text, code generation. Which toy is "
        "hardest for one fixed-size context vector, and why?", _toy_runs(small, progress, stop))


__all__ = ["Run", "length_summary", "length_trend", "masked_val_loss", "padding_share", "run_ed_1", "run_s2s_1",
           "run_s2s_2", "run_s2s_3", "train_mt"]
