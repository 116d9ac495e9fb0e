"""``rnnviz train``: train a language model or a translation model headless, and save a checkpoint.

Two ways to say what to train: the task alone (``rnnviz train lm``), which takes quick defaults
for a laptop (``RECIPES`` and ``TASK_DEFAULTS`` in :mod:`rnnviz.core.config`), or ``--preset NAME``,
one of the book's recipes whole (:mod:`rnnviz.core.models.presets`). Options given beside a preset
override its values; every option defaults to None so that only what was typed overrides.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rnnviz.cli.common import EpochBar, ProgressBar, in_range, ranged
from rnnviz.cli.sources import CORPUS_HELP, corpus_words, report_sources, split_corpus_option, with_sources
from rnnviz.cli.train_loss import add_loss_options, apply_loss_options
from rnnviz.core.config import CELLS, RECIPES, TASK_DEFAULTS, DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.errors import ConfigError, DataError, RnnvizError
from rnnviz.core.limits import BATCH_SIZE, COPY_LENGTH, DROPOUT, EMBED_SIZE, EPOCHS, GRAD_CLIP, HIDDEN_SIZE, LAG, \
    LEARNING_RATE, MAX_EXAMPLES, NUM_LAYERS, NUM_STEPS, SAVE_EVERY_STEPS, SEED, SYMBOLS, TASK_SEQUENCES

if TYPE_CHECKING:
    from rnnviz.core.models.presets import Preset

_TASK_WORDS = {"lm": "a language model (lm)", "mt": "a translation model (mt)", "recall": "the recall task",
               "adding": "the adding problem", "copy": "the copy task"}
#: The options of the tasks that need memory, by config field (their ranges say which task reads each).
_MEMORY_OPTIONS = {"lag": "lag", "symbols": "symbols", "copy_length": "copy_length", "num_train": "num_train",
                   "num_val": "num_val"}


# ---- the configs: quick defaults, or a preset with what was typed over it ----------------------

def _resolve_task(args: argparse.Namespace) -> tuple[str, Preset | None]:
    """(task, preset or None); a preset's task must agree with a task given beside it."""
    if args.preset is None:
        if args.task is None:
            raise ConfigError("say what to train: a task (rnnviz train lm or rnnviz train mt, quick defaults) "
                              "or one of the book's recipes (rnnviz train --preset NAME; rnnviz stack --list "
                              "names them).")
        return args.task, None
    from rnnviz.core.models.presets import PRESETS, get_preset

    preset = get_preset(args.preset)  # an unknown name: the error lists the presets
    task = preset.config.task
    if args.task is not None and args.task != task:
        fitting = ", ".join(p.name for p in PRESETS.values() if p.config.task == args.task)
        raise ConfigError(f"the preset {preset.name} trains {_TASK_WORDS[task]}, not {_TASK_WORDS[args.task]}; "
                          f"leave the task out (the preset knows it), or choose a preset for {args.task}: {fitting}.")
    return task, preset


def _quick_model(args: argparse.Namespace, task: str) -> ModelConfig:
    recipe = RECIPES[task]

    def given(name: str) -> Any:
        value = getattr(args, name)
        return recipe[name] if value is None else value

    hidden = tuple([given("hidden")] * given("layers"))
    cell, dropout, implementation = args.cell or "gru", args.dropout or 0.0, args.implementation or "auto"
    stack = StackSpec(cell, hidden, bool(args.bidirectional), dropout, implementation)
    embed = given("embed")
    if task != "mt":  # a language model, or a task that needs memory: one stack
        config = ModelConfig(task, stack, embed_size=embed or None)  # type: ignore[arg-type]
    else:
        config = ModelConfig("mt", stack, StackSpec(cell, hidden, False, dropout, implementation), embed or 32)
    return config if args.init is None else replace(config, init=args.init)


def _quick_configs(args: argparse.Namespace, task: str) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    from rnnviz.core.data.corpora import default_corpus

    recipe, seed = RECIPES[task], args.seed or 0
    data = DataConfig(corpus=args.corpus or default_corpus(task), task=task,  # type: ignore[arg-type]
                      token_level=args.token_level or "char", num_steps=args.num_steps,
                      batch_size=args.batch_size, max_examples=args.max_examples, seed=seed,
                      lm_sampling=args.sampling or "random-offset",
                      # As the book: all N pairs train, and validation comes from the pairs after them.
                      num_train=args.max_examples if task == "mt" else args.num_train,
                      num_val=args.num_val, lag=args.lag, symbols=args.symbols, copy_length=args.copy_length)
    train = TrainConfig(epochs=recipe["epochs"] if args.epochs is None else args.epochs,
                        lr=recipe["lr"] if args.lr is None else args.lr,
                        optimizer=args.optimizer or recipe["optimizer"], grad_clip=_clip(args.clip, 1.0),
                        device=args.device or "auto", seed=seed)
    return data, _quick_model(args, task), train


def _check_task_options(args: argparse.Namespace, task: str) -> None:
    """Options of one kind of task given for another: said before anything is built."""
    text_only = {"--sampling": args.sampling, "--token-level": args.token_level, "--max-examples": args.max_examples}
    if task in ("recall", "adding", "copy"):
        given = [name for name, value in text_only.items() if value is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} {'cut' if len(given) > 1 else 'cuts'} a text corpus; "
                              f"{_TASK_WORDS[task]} is generated: leave "
                              f"{'them' if len(given) > 1 else 'it'} out (its options: --num-steps, --lag, --symbols, "
                              "--copy-length, --num-train, --num-val, --seed).")
        return
    given = [f"--{name.replace('_', '-')}" for name in _MEMORY_OPTIONS if getattr(args, name) is not None]
    if given:
        raise ConfigError(f"{', '.join(given)} {'belong' if len(given) > 1 else 'belongs'} to the tasks that need memory (recall, adding, copy), not to "
                          f"{_TASK_WORDS[task]}; leave {'them' if len(given) > 1 else 'it'} out.")


def _clip(flag: float | None, preset: float | None) -> float | None:
    """--clip: 0 turns clipping off; not given, the preset's (or the default's) value."""
    if flag is None:
        return preset
    return None if flag == 0 else flag


def _given(args: argparse.Namespace, names: dict[str, str]) -> dict[str, Any]:
    """{config field: value} of the options that were typed (not None)."""
    return {field: getattr(args, option) for option, field in names.items() if getattr(args, option) is not None}


def _stack_over(spec: StackSpec, args: argparse.Namespace, decoder: bool) -> StackSpec:
    """A preset's stack with the typed options over it; --hidden/--layers make every layer (and both
    directions) that size."""
    changes = _given(args, {"cell": "cell", "dropout": "dropout", "implementation": "implementation"})
    if args.hidden is not None or args.layers is not None:
        hidden = spec.hidden_sizes[0] if args.hidden is None else args.hidden
        changes.update(hidden_sizes=(hidden,) * (spec.num_layers if args.layers is None else args.layers),
                       backward_sizes=None)
    if args.bidirectional is not None and not decoder:  # the decoder generates left to right
        changes["bidirectional"] = args.bidirectional
        if not args.bidirectional:
            changes["backward_sizes"] = None
    return replace(spec, **changes) if changes else spec


def _model_over(config: ModelConfig, args: argparse.Namespace) -> ModelConfig:
    changes: dict[str, Any] = {"stack": _stack_over(config.stack, args, decoder=False)}
    if config.decoder is not None:
        changes["decoder"] = _stack_over(config.decoder, args, decoder=True)
    if args.embed is not None:  # 0: one-hot inputs, for a language model; a translation model keeps its size
        changes["embed_size"] = (args.embed or None) if config.task == "lm" else (args.embed or config.embed_size)
    if args.init is not None:
        changes["init"] = args.init
    if config.bridge == "identity" and not replace(config, **changes, bridge="auto").identity_bridge_fits:
        changes["bridge"] = "auto"  # the encoder's state no longer fits the decoder as it is: the linear bridge
    return replace(config, **changes)


def _preset_configs(args: argparse.Namespace, preset: Preset) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    data = preset.data_config()
    changes = _given(args, {"corpus": "corpus", "token_level": "token_level", "num_steps": "num_steps",
                            "batch_size": "batch_size", "max_examples": "max_examples", "seed": "seed",
                            "sampling": "lm_sampling", **_MEMORY_OPTIONS})
    if data.task == "mt" and data.num_train is not None and args.max_examples is not None:
        changes["num_train"] = args.max_examples  # the book's split: all N pairs train, validation after them
    data = replace(data, **changes)
    train = preset.train_config()
    train = replace(train, **_given(args, {"epochs": "epochs", "lr": "lr", "optimizer": "optimizer",
                                           "device": "device", "seed": "seed"}),
                    grad_clip=_clip(args.clip, train.grad_clip))
    return data, _model_over(preset.config, args), train


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

        return run_comparison(args, _preset_configs)
    if args.out is None and args.run_dir is None:
        raise ConfigError("say where to save the trained model: --out FILE (a checkpoint, e.g. model.pt) and/or "
                          "--run-dir DIR (a run folder: every epoch's weights and the curves, to replay).")
    if args.save_every_steps is not None and args.run_dir is None:
        raise ConfigError("--save-every-steps saves weights into a run folder: add --run-dir DIR.")
    task, preset = _resolve_task(args)
    _check_task_options(args, task)
    if task == "mt" and args.sampling is not None:
        raise ConfigError("--sampling says how a language model's text is cut into windows; a translation "
                          "model reads sentence pairs: leave it out.")
    # Before any data is built: a run that cannot be saved is not worth training.
    out = check_destination(args.out, "the checkpoint", "--out") if args.out is not None else None
    if args.run_dir is not None:
        from rnnviz.cli.runs import check_run_dir

        check_run_dir(args.run_dir)
    data_config, model_config, train_config = (_preset_configs(args, preset) if preset is not None
                                               else _quick_configs(args, task))
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


def _quick_defaults_text() -> str:
    """The quick defaults in words, read from the very dicts they come from."""
    lm, mt, lm_data, mt_data = RECIPES["lm"], RECIPES["mt"], TASK_DEFAULTS["lm"], TASK_DEFAULTS["mt"]
    return (f"lm = GRU, hidden {lm['hidden']}, one-hot characters, {lm['optimizer'].upper()} lr {lm['lr']:g}, "
            f"{lm['epochs']} epochs, batches of {lm_data['batch_size']} windows of {lm_data['num_steps']}, on the "
            f"built-in phrasebook's English side; mt = {mt['layers']}-layer GRU encoder-decoder, embed "
            f"{mt['embed']}, hidden {mt['hidden']}, {mt['optimizer'].capitalize()} lr {mt['lr']:g}, {mt['epochs']} "
            f"epochs, batches of {mt_data['batch_size']} sentences of {mt_data['num_steps']} tokens, on the "
            "built-in phrasebook. Gradients are clipped to norm 1.")


def add_commands(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser(
        "train", usage="rnnviz train [lm|mt] [--preset NAME] [options] --out FILE",
        help="train a language model or a translation model, headless; --preset NAME for the book's recipes",
        description="Train a language model (lm) or a translation model (mt). Given only the task, it trains "
        "with quick defaults for a laptop, not the book's recipes: " + _quick_defaults_text() + " The book's "
        "recipes: --preset NAME (rnnviz stack --list), which sets the data (the book's corpus, windows, batch "
        "size and sampling), the model, the optimiser, the learning rate, the epochs and the clipping as the "
        "book does; the task may then be left out. Options given beside --preset override the preset's "
        "values, and the run says which values came from the preset and which were overridden. A book's "
        "corpus not on this machine is downloaded first (or the error says how to get it), and a run "
        "estimated at over ten minutes on a CPU is announced before it starts.",
        epilog="Exit codes: 0 trained and saved; 1 an error (nothing trained if the settings, the preset, "
        "the corpus or --out are wrong), or a loss that became inf/NaN (saved with the weights before that "
        "step); 3 the loss diverged (not saved unless --keep-diverged); 130 interrupted by Ctrl-C (saved).")
    train.add_argument("task", nargs="?", choices=("lm", "mt", "recall", "adding", "copy"),
                       help="lm: language model; mt: translation; recall, adding, copy: tasks that need memory, "
                            "generated from --seed (rnnviz data list describes them). Optional with --preset (the "
                            "preset knows its task; a task given must match it)")
    train.add_argument("--preset", metavar="NAME",
                       help="one of the book's recipes, whole (rnnviz stack --list names them, e.g. gru-lm, "
                            "seq2seq); options given beside it override its values")
    train.add_argument("--corpus", action="append", help=CORPUS_HELP)
    train.add_argument("--cell", choices=CELLS,
                       help="default gru (torch's variant); gru-book applies the reset gate before the matmul; "
                            "gru-reset (reset gate only) and gru-update (update gate only) are the book's "
                            "exercise 4 of section 10.2, scratch implementation only")
    train.add_argument("--layers", type=in_range(NUM_LAYERS), help=ranged(NUM_LAYERS, "number of layers"))
    train.add_argument("--hidden", type=in_range(HIDDEN_SIZE), help=ranged(HIDDEN_SIZE, "hidden size of every layer"))
    train.add_argument("--bidirectional", action=argparse.BooleanOptionalAction,
                       help="bidirectional stack (the encoder, for mt); --no-bidirectional turns a preset's off")
    train.add_argument("--embed", type=in_range(EMBED_SIZE, special=True),
                       help=ranged(EMBED_SIZE, "embedding size (lm default: one-hot inputs, as the book)"))
    train.add_argument("--dropout", type=in_range(DROPOUT), help=ranged(DROPOUT, "dropout between layers, default 0"))
    train.add_argument("--implementation", choices=("auto", "fused", "scratch"),
                       help="torch's fused kernels, or the book's equations step by step (default auto: fused "
                            "where torch has a kernel)")
    train.add_argument("--init", choices=("book", "torch", "forget-bias"),
                       help="initial weights: book = as the book's code (Xavier-uniform for the encoder-decoder, "
                            "N(0, 0.01²) for the scratch cells, torch's default for torch's layers); torch = "
                            "torch's defaults everywhere; forget-bias = book, with an LSTM's forget-gate bias 3 "
                            "so that its cell holds from the start (not the book's; the LSTM memory presets) "
                            "(default: book)")
    train.add_argument("--token-level", choices=("char", "word"), help="lm tokens, default char")
    train.add_argument("--sampling", choices=("book", "random-offset"),
                       help="lm windows: book = every window of num_steps, the first 10,000 for training and "
                            "the next 5,000 for validation, as the book's TimeMachine (the presets'); "
                            "random-offset = windows from a random offset each epoch over 90%% of the text, "
                            "as the book's section 9.3 describes (the quick default)")
    train.add_argument("--epochs", type=in_range(EPOCHS), help=ranged(EPOCHS, "epochs"))
    train.add_argument("--lr", type=in_range(LEARNING_RATE), help=ranged(LEARNING_RATE, "learning rate"))
    train.add_argument("--optimizer", choices=("sgd", "adam"))
    train.add_argument("--clip", type=in_range(GRAD_CLIP, special=True),
                       help=ranged(GRAD_CLIP, "max gradient norm, default 1 as the book's; 0 turns clipping off"))
    train.add_argument("--batch-size", type=in_range(BATCH_SIZE), help=ranged(BATCH_SIZE, "batch size"))
    train.add_argument("--num-steps", type=in_range(NUM_STEPS), help=f"window length (lm, default {TASK_DEFAULTS['lm']['num_steps']}) "
                       f"or sentence length (mt, default {TASK_DEFAULTS['mt']['num_steps']}; {NUM_STEPS.range_text()})")
    train.add_argument("--max-examples", type=in_range(MAX_EXAMPLES),
                       help=ranged(MAX_EXAMPLES, "mt: train on the first N sentence pairs, as the book's "
                                                 "MTFraEng: the 128 pairs after them (and one more, as the "
                                                 "book's reader) validate, and the vocabularies are built "
                                                 "from those pairs (min_freq 2); without it the pairs are "
                                                 "shuffled and split 80/10/10"))
    train.add_argument("--device", help="auto (the default: cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    train.add_argument("--seed", type=in_range(SEED), help=ranged(SEED, "random seed, default 0"))
    train.add_argument("--out", help="checkpoint file to write (checked before training; needed unless --compare "
                                     "or --run-dir)")
    train.add_argument("--run-dir", metavar="DIR",
                       help="record the run into DIR (a new or empty folder): the settings, every step's "
                            "curves and every epoch's weights, to replay with rnnviz runs show/compare, "
                            "rnnviz gates/generate/translate --run DIR --epoch K, or the app; another process "
                            "can follow it while it trains")
    train.add_argument("--save-every-steps", type=in_range(SAVE_EVERY_STEPS), metavar="N",
                       help=ranged(SAVE_EVERY_STEPS, "with --run-dir: also save the weights every N steps "
                                                     "(the end of every epoch is saved anyway)"))
    memory = train.add_argument_group("tasks that need memory (recall, adding, copy)")
    memory.add_argument("--lag", type=in_range(LAG), help=ranged(LAG, "recall: the target at step t is the input "
                        "at t - lag (sequences of lag + 5 steps unless --num-steps); copy: the delay of blanks"))
    memory.add_argument("--symbols", type=in_range(SYMBOLS), help=ranged(SYMBOLS, "recall, copy: the alphabet"))
    memory.add_argument("--copy-length", type=in_range(COPY_LENGTH),
                        help=ranged(COPY_LENGTH, "copy: how many symbols to reproduce"))
    memory.add_argument("--num-train", type=in_range(TASK_SEQUENCES), help=ranged(TASK_SEQUENCES, "training sequences"))
    memory.add_argument("--num-val", type=in_range(TASK_SEQUENCES), help=ranged(TASK_SEQUENCES, "validation sequences"))
    memory.add_argument("--compare", metavar="CELLS",
                        help="train one model per cell (e.g. rnn,gru,lstm) with --preset's recipe (recall, adding, "
                             "copy, or one of their presets) and print a table of the final validation accuracy or "
                             "MSE per cell and lag; nothing is saved")
    memory.add_argument("--lags", metavar="LAGS", help="with --compare: the lags to run (e.g. 5,20,50; recall and "
                        "copy), one column each; default the preset's")
    add_loss_options(train)
    train.add_argument("--keep-diverged", action="store_true",
                       help="save the checkpoint even if the loss diverged (and exit 0); without it a "
                            "diverged run is not saved and the exit code is 3")
    train.set_defaults(func=cmd_train)
