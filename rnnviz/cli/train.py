"""``rnnviz train``: train a language model or a translation model headless, and save a checkpoint.

Two ways to say what to train: the task alone (``rnnviz train lm``), which takes quick defaults
for a laptop (``RECIPES`` and ``TASK_DEFAULTS`` in :mod:`rnnviz.core.config`), or ``--preset NAME``,
one of the book's recipes whole (:mod:`rnnviz.core.models.presets`). Options given beside a preset
override its values; every option defaults to None so that only what was typed overrides.

This module runs the command; its options are defined in ``rnnviz.cli.train_options`` and turned
into settings in ``rnnviz.cli.train_configs``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from rnnviz.cli.common import EpochBar, ProgressBar
from rnnviz.cli.sources import corpus_words, report_sources, split_corpus_option, with_sources
from rnnviz.cli.train_configs import check_task_options, preset_configs, quick_configs, resolve_task
from rnnviz.cli.train_loss import apply_loss_options
from rnnviz.cli.train_options import add_train_parser
from rnnviz.core.config import DataConfig, ModelConfig, TrainConfig
from rnnviz.core.errors import ConfigError, DataError, RnnvizError

if TYPE_CHECKING:
    from rnnviz.core.models.presets import Preset


# ---- before any long work: the corpus here, the run's length said ------------------------------

def _ensure_corpus(data: DataConfig, preset: Preset | None) -> None:
    """A book's corpus that is not on this machine is fetched now, with a progress bar; when that
    fails the message names the corpus, the preset, and how to get it (before any data is built)."""
    from rnnviz.core.data import hub
    from rnnviz.core.data.corpora import get_info

    try:
        info = get_info(data.corpus)
    except RnnvizError:
        return  # a file (or a mistyped name: building the data says which corpora there are)
    if info.remote is None or hub.locate(info.remote) is not None:  # a damaged offline copy: its own message
        return
    bar = ProgressBar(f"fetching {info.remote.filename} ({info.name})")
    try:
        hub.fetch(info.remote, bar)
    except DataError as exc:
        who = f"the preset {preset.name}" if preset is not None else "this run"
        raise DataError(f"{who} trains on {info.name} ({info.title}), which is not on this machine, and "
                        f"downloading it failed: {exc} Once the network is reachable, `rnnviz data fetch "
                        f"{info.name}` downloads it ahead of time.") from None
    finally:
        bar.close()


def long_run_note(data: DataConfig, model: ModelConfig, train: TrainConfig) -> str | None:
    """What to say before a run of more than about ten minutes on this machine's CPU starts; None for a
    shorter one. No question: the command stays scriptable; the options that shorten it are named."""
    from rnnviz.core.estimate import estimate_run, how_long, suggest_smaller

    estimate = estimate_run(data, model, train)
    if estimate is None or not estimate.is_long:
        return None
    text = f"note: this run will take {how_long(estimate, train)}."
    suggestion = suggest_smaller(data, model, train)
    if suggestion is not None and suggestion.max_examples is not None:
        if data.num_train is not None:  # the book's split, stretched by --max-examples
            return f"{text} {suggestion.why} For that, leave --max-examples out (the preset's split is the book's)."
        return f"{text} {suggestion.why} For that, add --max-examples {suggestion.max_examples}."
    if suggestion is not None and suggestion.epochs is not None:
        return f"{text} {suggestion.why} For that, add --epochs {suggestion.epochs}."
    return f"{text} A smaller model or corpus, or a GPU (--device cuda), would be quicker."


def _trim_notice(data) -> str | None:
    src, tgt = data.trimmed
    if not (src or tgt):
        return None
    longest = max(max(len(p[0].split()), len(p[1].split())) for p in data.train.pairs) + 2
    return (f"note: {src} source and {tgt} target sentences are longer than num_steps="
            f"{data.config.num_steps} and were cut, as the book does; --num-steps {longest} would keep "
            "nearly all of them.")


#: Exit codes: 0 done and saved; 1 an error, or a non-finite loss (saved as it was before that step);
#: 3 the loss diverged, not saved (0 with --keep-diverged, saved); 130 Ctrl-C (saved as it was).
EXIT_DIVERGED = 3
#: --run-dir: writing the run failed (a full disk); training stopped, the run keeps its complete epochs.
EXIT_RECORDING_FAILED = 4


def cmd_train(args: argparse.Namespace) -> int:
    from rnnviz.core.atomic import check_destination
    from rnnviz.core.checkpoint import describe, save_checkpoint
    from rnnviz.core.events import EpochEnd, Finished, NonFinite, Step, Stop, diverged_message
    from rnnviz.core.models.presets import preset_report
    from rnnviz.core.session import TrainingSession
    from rnnviz.core.train import resolve_device

    split_corpus_option(args)  # --corpus A --corpus B: A, and B as a further source
    if args.compare is not None:
        if args.run_dir is not None:
            raise ConfigError("--run-dir records one run; --compare trains several: leave one of them out.")
        from rnnviz.cli.memory_compare import run_comparison

        return run_comparison(args, preset_configs)
    if args.out is None and args.run_dir is None:
        raise ConfigError("say where to save the trained model: --out FILE (a checkpoint, e.g. model.pt) and/or "
                          "--run-dir DIR (a run folder: every epoch's weights and the curves, to replay).")
    if args.save_every_steps is not None and args.run_dir is None:
        raise ConfigError("--save-every-steps saves weights into a run folder: add --run-dir DIR.")
    task, preset = resolve_task(args)
    check_task_options(args, task)
    if task == "mt" and args.sampling is not None:
        raise ConfigError("--sampling says how a language model's text is cut into windows; a translation "
                          "model reads sentence pairs: leave it out.")
    # Before any data is built: a run that cannot be saved is not worth training.
    out = check_destination(args.out, "the checkpoint", "--out") if args.out is not None else None
    if args.run_dir is not None:
        from rnnviz.cli.runs import check_run_dir

        check_run_dir(args.run_dir)
    data_config, model_config, train_config = (preset_configs(args, preset) if preset is not None
                                               else quick_configs(args, task))
    model_config = apply_loss_options(args, model_config)  # --no-mask-padding
    data_config = with_sources(data_config, args)  # --corpus given again: a language model of several texts
    tail = ""  # the summary line's word on the preset
    if preset is not None:
        kept, changed = preset_report(preset, data_config, model_config, train_config)
        print(f"preset {preset.name} ({preset.section}): from the preset: {', '.join(kept)}"
              + (f"; overridden: {', '.join(changed)}" if changed else ""), file=sys.stderr)
        tail = f"; preset {preset.name}, " + (f"overridden: {', '.join(changed)}" if changed else "nothing overridden")
    device = resolve_device(train_config.device)  # a missing device fails before a download
    _ensure_corpus(data_config, preset)
    if device.type == "cpu" and (note := long_run_note(data_config.resolved(task), model_config, train_config)):
        print(note, file=sys.stderr)
    session = TrainingSession(data_config, model_config, train_config)
    session.prepare()  # the device, then the data and the model (seeded by train_config.seed)
    bundle = session.bundle
    if task == "mt" and (notice := _trim_notice(session.data)):
        print(notice, file=sys.stderr)
    print(f"training {describe(bundle)}, on {corpus_words(data_config)} with {train_config.optimizer} "
          f"lr {train_config.lr:g} on {session.device}", file=sys.stderr)
    bar = EpochBar(train_config.epochs)
    recorder = None
    if args.run_dir is not None:
        from rnnviz.cli.runs import start_recording

        recorder = start_recording(args, session, model_config)
    events = session.start()  # the session adds each event to the model's history
    last_step = last_epoch = None
    scales: list[float] = []  # each step's clip scale: how often clipping acted, and by how much
    outcome, elapsed = "completed", 0.0
    try:
        event = next(events)
        while not isinstance(event, Finished):
            command = None
            if recorder is not None and not _recorded(recorder, event):
                outcome, command = "recording failed", Stop()
            if isinstance(event, Step):
                last_step, elapsed = event, event.elapsed
                scales.append(event.clip_scale)
                bar.step(event)
            elif isinstance(event, EpochEnd):
                last_epoch, elapsed = event, event.elapsed
                bar.epoch(event)
            elif isinstance(event, NonFinite):
                print(f"rnnviz: {event.message}", file=sys.stderr)
                outcome = "non-finite" if outcome == "completed" else outcome
                command = Stop()
            event = events.send(command)
        elapsed = event.elapsed
        if recorder is not None:
            _recorded(recorder, event)
        if event.reason == "diverged":
            outcome = "diverged"
            print(f"rnnviz: {diverged_message(event, train_config.grad_clip is not None)}", file=sys.stderr)
    except KeyboardInterrupt:
        # Ctrl-C ends the run; the weights are those of the last finished step.
        events.close()
        outcome = "interrupted"
        print(file=sys.stderr)
    finally:
        if recorder is not None:  # what is queued written, the manifest's status, the lock removed; never raises
            recorder.close(None if outcome in ("completed", "diverged") else outcome)
    if recorder is not None and recorder.failed is not None and outcome != "recording failed":
        print(f"rnnviz: {recorder.failed}", file=sys.stderr)  # it failed on the run's last writes
        outcome = "recording failed"
    if train_config.grad_clip is not None and scales:
        from rnnviz.core.gradients.norms import summarize_clipping

        print(summarize_clipping(scales).sentence(train_config.grad_clip), file=sys.stderr)
    if outcome != "non-finite":
        report_sources(bundle, session.data)  # several texts: each one's validation perplexity
    summary = _summary(last_step, last_epoch, elapsed,
                       getattr(bundle.model, "metric_name", None) is not None) + tail
    if recorder is not None:
        from rnnviz.cli.runs import recorded_words

        summary += f"; {recorded_words(recorder)}"
    if outcome == "recording failed":
        if out is not None:
            bundle.model.cpu()
            summary += f"; saved {save_checkpoint(bundle, out)}"
        print(f"{outcome}: {summary}")
        return EXIT_RECORDING_FAILED
    if out is None:  # --run-dir alone: the run folder is the result
        print(f"{outcome}: {summary}")
        if outcome == "diverged":
            return 0 if args.keep_diverged else EXIT_DIVERGED
        return {"completed": 0, "non-finite": 1, "interrupted": 130}[outcome]
    if outcome == "diverged" and not args.keep_diverged:
        print(f"{outcome}: {summary}; not saved (--keep-diverged saves it anyway)")
        return EXIT_DIVERGED
    bundle.model.cpu()
    path = save_checkpoint(bundle, out)
    print(f"{outcome}: {summary}; saved {path}")
    return {"completed": 0, "diverged": 0, "non-finite": 1, "interrupted": 130}[outcome]


def _recorded(recorder, event) -> bool:
    """Record ``event`` into the run folder; False (said on stderr) when recording failed just now."""
    from rnnviz.core.runs import RecordingFailed

    try:
        recorder.record(event)
    except RecordingFailed as exc:
        print(f"rnnviz: {exc} Training stopped.", file=sys.stderr)
        return False
    return True


def _summary(step, epoch, elapsed: float, has_metric: bool = False) -> str:
    from rnnviz.cli.common import metric_words

    if step is None:
        return "no step was taken"
    parts = [f"{step.step} steps"]
    if epoch is not None and epoch.val_metric is not None:  # a memory task: its metric, not a perplexity
        parts.append(f"final loss {epoch.train_loss:.3f}")
        parts.append(f"validation {metric_words(epoch.metric, epoch.val_metric)}")
        parts.append(f"{epoch.tokens_per_s:,.0f} tokens/s")
    elif epoch is not None:
        parts.append(f"final loss {epoch.train_loss:.3f} (perplexity {epoch.train_perplexity:.2f})")
        if epoch.val_loss is not None:
            parts.append(f"validation perplexity {epoch.val_perplexity:.2f}")
        parts.append(f"{epoch.tokens_per_s:,.0f} tokens/s")
    elif has_metric:  # stopped before an epoch ended: a memory task's loss alone
        parts.append(f"last loss {step.loss:.3f}")
        parts.append(f"{step.tokens_per_s:,.0f} tokens/s")
    else:
        parts.append(f"last loss {step.loss:.3f} (perplexity {step.perplexity:.2f})")
        parts.append(f"{step.tokens_per_s:,.0f} tokens/s")
    parts.append(f"{elapsed:.1f} s")
    return ", ".join(parts)


def add_commands(commands: argparse._SubParsersAction) -> None:
    add_train_parser(commands).set_defaults(func=cmd_train)
