"""``rnnviz train``: train a language model or a translation model headless, and save a checkpoint."""

from __future__ import annotations

import argparse
import sys

from rnnviz.cli.common import EpochBar, in_range, ranged
from rnnviz.core.limits import BATCH_SIZE, DROPOUT, EMBED_SIZE, EPOCHS, GRAD_CLIP, HIDDEN_SIZE, LEARNING_RATE, \
    MAX_EXAMPLES, NUM_LAYERS, NUM_STEPS, SEED
from rnnviz.core.config import CELLS, RECIPES, TASK_DEFAULTS, DataConfig, ModelConfig, StackSpec, TrainConfig


def _model_config(args: argparse.Namespace, recipe: dict) -> ModelConfig:
    def given(name: str):
        value = getattr(args, name)
        return recipe[name] if value is None else value

    hidden = tuple([given("hidden")] * given("layers"))
    stack = StackSpec(args.cell, hidden, args.bidirectional, args.dropout, args.implementation)
    embed = args.embed if args.embed is not None else recipe["embed"]
    if args.task == "lm":
        return ModelConfig("lm", stack, embed_size=embed or None)
    decoder = StackSpec(args.cell, hidden, False, args.dropout, args.implementation)
    return ModelConfig("mt", stack, decoder, embed or 32)


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


def cmd_train(args: argparse.Namespace) -> int:
    from rnnviz.core.atomic import check_destination
    from rnnviz.core.checkpoint import describe, save_checkpoint
    from rnnviz.core.data.corpora import default_corpus
    from rnnviz.core.events import EpochEnd, Finished, NonFinite, Step, Stop, diverged_message
    from rnnviz.core.session import TrainingSession

    # Before any data is built: a run that cannot be saved is not worth training.
    out = check_destination(args.out, "the checkpoint", "--out")
    recipe = RECIPES[args.task]
    data_config = DataConfig(corpus=args.corpus or default_corpus(args.task), task=args.task, token_level=args.token_level,
                             num_steps=args.num_steps, batch_size=args.batch_size,
                             max_examples=args.max_examples, seed=args.seed)
    train_config = TrainConfig(epochs=recipe["epochs"] if args.epochs is None else args.epochs,
                               lr=recipe["lr"] if args.lr is None else args.lr,
                               optimizer=args.optimizer or recipe["optimizer"],
                               grad_clip=None if args.clip == 0 else args.clip,
                               device=args.device, seed=args.seed)
    session = TrainingSession(data_config, _model_config(args, recipe), train_config)
    session.prepare()  # the device first, then the data and the model (seeded by train_config.seed)
    bundle = session.bundle
    if args.task == "mt" and (notice := _trim_notice(session.data)):
        print(notice, file=sys.stderr)
    print(f"training {describe(bundle)}, on {data_config.corpus} with {train_config.optimizer} "
          f"lr {train_config.lr:g} on {session.device}", file=sys.stderr)
    bar = EpochBar(train_config.epochs)
    events = session.start()  # the session adds each event to the model's history
    last_step = last_epoch = None
    outcome, elapsed = "completed", 0.0
    try:
        event = next(events)
        while not isinstance(event, Finished):
            command = None
            if isinstance(event, Step):
                last_step, elapsed = event, event.elapsed
                bar.step(event)
            elif isinstance(event, EpochEnd):
                last_epoch, elapsed = event, event.elapsed
                bar.epoch(event)
            elif isinstance(event, NonFinite):
                print(f"rnnviz: {event.message}", file=sys.stderr)
                outcome, command = "non-finite", Stop()
            event = events.send(command)
        elapsed = event.elapsed
        if event.reason == "diverged":
            outcome = "diverged"
            print(f"rnnviz: {diverged_message(event, train_config.grad_clip is not None)}", file=sys.stderr)
    except KeyboardInterrupt:
        # Ctrl-C ends the run; the weights are those of the last finished step.
        events.close()
        outcome = "interrupted"
        print(file=sys.stderr)
    summary = _summary(last_step, last_epoch, elapsed)
    if outcome == "diverged" and not args.keep_diverged:
        print(f"{outcome}: {summary}; not saved (--keep-diverged saves it anyway)")
        return EXIT_DIVERGED
    bundle.model.cpu()
    path = save_checkpoint(bundle, out)
    print(f"{outcome}: {summary}; saved {path}")
    return {"completed": 0, "diverged": 0, "non-finite": 1, "interrupted": 130}[outcome]


def _summary(step, epoch, elapsed: float) -> str:
    if step is None:
        return "no step was taken"
    parts = [f"{step.step} steps"]
    if epoch is not None:
        parts.append(f"final loss {epoch.train_loss:.3f} (perplexity {epoch.train_perplexity:.2f})")
        if epoch.val_loss is not None:
            parts.append(f"validation perplexity {epoch.val_perplexity:.2f}")
        parts.append(f"{epoch.tokens_per_s:,.0f} tokens/s")
    else:
        parts.append(f"last loss {step.loss:.3f} (perplexity {step.perplexity:.2f})")
        parts.append(f"{step.tokens_per_s:,.0f} tokens/s")
    parts.append(f"{elapsed:.1f} s")
    return ", ".join(parts)


def add_commands(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a language model or a translation model, headless",
                                description="Train with the book's recipe for the task unless told otherwise: "
                                "lm = GRU, hidden 32, SGD lr 4; mt = 2-layer GRU encoder-decoder, "
                                "embed 32, hidden 32, Adam lr 0.005. Gradients are clipped to norm 1.",
                                epilog="Exit codes: 0 trained and saved; 1 an error (nothing trained if the "
                                "settings or --out are wrong), or a loss that became inf/NaN (saved with the "
                                "weights before that step); 3 the loss diverged (not saved unless "
                                "--keep-diverged); 130 interrupted by Ctrl-C (saved).")
    train.add_argument("task", choices=("lm", "mt"), help="lm: language model; mt: translation")
    train.add_argument("--corpus", help="a corpus name (rnnviz data list) or a file; default: the built-in phrasebook")
    train.add_argument("--cell", choices=CELLS, default="gru",
                       help="gru is torch's variant; gru-book applies the reset gate before the matmul")
    train.add_argument("--layers", type=in_range(NUM_LAYERS), help=ranged(NUM_LAYERS, "number of layers"))
    train.add_argument("--hidden", type=in_range(HIDDEN_SIZE), help=ranged(HIDDEN_SIZE, "hidden size of every layer"))
    train.add_argument("--bidirectional", action="store_true", help="bidirectional stack (the encoder, for mt)")
    train.add_argument("--embed", type=in_range(EMBED_SIZE, special=True),
                       help=ranged(EMBED_SIZE, "embedding size (lm default: one-hot inputs, as the book)"))
    train.add_argument("--dropout", type=in_range(DROPOUT), default=0.0, help=ranged(DROPOUT, "dropout between layers"))
    train.add_argument("--implementation", choices=("auto", "fused", "scratch"), default="auto",
                       help="torch's fused kernels, or the book's equations step by step")
    train.add_argument("--token-level", choices=("char", "word"), default="char", help="lm tokens")
    train.add_argument("--epochs", type=in_range(EPOCHS), help=ranged(EPOCHS, "epochs"))
    train.add_argument("--lr", type=in_range(LEARNING_RATE), help=ranged(LEARNING_RATE, "learning rate"))
    train.add_argument("--optimizer", choices=("sgd", "adam"))
    train.add_argument("--clip", type=in_range(GRAD_CLIP, special=True), default=1.0,
                       help=ranged(GRAD_CLIP, "max gradient norm; 0 turns clipping off"))
    train.add_argument("--batch-size", type=in_range(BATCH_SIZE), help=ranged(BATCH_SIZE, "batch size"))
    train.add_argument("--num-steps", type=in_range(NUM_STEPS), help=f"window length (lm, default {TASK_DEFAULTS['lm']['num_steps']}) "
                       f"or sentence length (mt, default {TASK_DEFAULTS['mt']['num_steps']}; {NUM_STEPS.range_text()})")
    train.add_argument("--max-examples", type=in_range(MAX_EXAMPLES),
                       help=ranged(MAX_EXAMPLES, "mt: use the first N pairs"))
    train.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    train.add_argument("--seed", type=in_range(SEED), default=0, help=ranged(SEED, "random seed"))
    train.add_argument("--out", required=True, help="checkpoint file to write (checked before training)")
    train.add_argument("--keep-diverged", action="store_true",
                       help="save the checkpoint even if the loss diverged (and exit 0); without it a "
                            "diverged run is not saved and the exit code is 3")
    train.set_defaults(func=cmd_train)
