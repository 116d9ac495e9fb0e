"""``rnnviz train``, ``rnnviz generate`` and ``rnnviz translate``: the models, headless."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from rnnviz.config import CELLS, RECIPES, TASK_DEFAULTS, DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.errors import RnnvizError
from rnnviz.core.resources import resource_path

PRETRAINED = {"lm": ("pretrained", "phrasebook-lm.pt"), "mt": ("pretrained", "phrasebook-mt.pt")}


def pretrained_path(task: str) -> Path:
    return resource_path(*PRETRAINED[task])


class EpochBar:
    """One progress line per epoch on stderr: batches done, loss, tokens/s."""

    def __init__(self, epochs: int, stream: TextIO | None = None, width: int = 24) -> None:
        self.epochs, self.stream, self.width = epochs, stream or sys.stderr, width
        self.live = self.stream.isatty()

    def step(self, event) -> None:
        if not self.live or (event.batch % 5 and event.batch != event.batches):
            return
        filled = int(self.width * event.batch / event.batches)
        self.stream.write(f"\repoch {event.epoch}/{self.epochs} [{'#' * filled}{'-' * (self.width - filled)}] "
                          f"loss {event.loss:.3f}  {event.tokens_per_s:,.0f} tok/s ")
        self.stream.flush()

    def epoch(self, event) -> None:
        val = "" if event.val_loss is None else f"  val loss {event.val_loss:.3f} (perplexity {event.val_perplexity:.2f})"
        self.stream.write(("\r" if self.live else "") + f"epoch {event.epoch}/{self.epochs}  train loss "
                          f"{event.train_loss:.3f} (perplexity {event.train_perplexity:.2f}){val}  "
                          f"{event.tokens_per_s:,.0f} tok/s  {event.elapsed:.1f} s\n")
        self.stream.flush()


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


def cmd_train(args: argparse.Namespace) -> int:
    from rnnviz.core.checkpoint import describe, save_checkpoint
    from rnnviz.core.data.datasets import build_data
    from rnnviz.core.models.factory import bundle_for
    from rnnviz.core.train import EpochEnd, Finished, NonFinite, Step, Stop, resolve_device, train

    recipe = RECIPES[args.task]
    from rnnviz.core.data.corpora import default_corpus

    data_config = DataConfig(corpus=args.corpus or default_corpus(args.task), task=args.task, token_level=args.token_level,
                             num_steps=args.num_steps, batch_size=args.batch_size,
                             max_examples=args.max_examples, seed=args.seed)
    train_config = TrainConfig(epochs=recipe["epochs"] if args.epochs is None else args.epochs,
                               lr=recipe["lr"] if args.lr is None else args.lr,
                               optimizer=args.optimizer or recipe["optimizer"],
                               grad_clip=None if args.clip == 0 else args.clip,
                               device=args.device, seed=args.seed)
    model_config = _model_config(args, recipe)
    device = resolve_device(train_config.device)
    data = build_data(data_config)
    bundle = bundle_for(data, model_config, seed=args.seed)
    bundle.train_config = train_config
    if args.task == "mt" and (notice := _trim_notice(data)):
        print(notice, file=sys.stderr)
    print(f"training {describe(bundle)}, on {data_config.corpus} with {train_config.optimizer} "
          f"lr {train_config.lr:g} on {device}", file=sys.stderr)
    bar = EpochBar(train_config.epochs)
    generator = train(bundle.model, data, train_config)
    last_step = last_epoch = None
    outcome, elapsed = "completed", 0.0
    try:
        event = next(generator)
        while not isinstance(event, Finished):
            bundle.history.add(event)
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
            event = generator.send(command)
        elapsed = event.elapsed
    except KeyboardInterrupt:
        # Ctrl-C ends the generator; the weights are those of the last finished step.
        generator.close()
        outcome = "interrupted"
        print(file=sys.stderr)
    bundle.model.cpu()
    path = save_checkpoint(bundle, args.out)
    summary = _summary(last_step, last_epoch, elapsed)
    print(f"{outcome}: {summary}; saved {path}")
    return {"completed": 0, "non-finite": 1, "interrupted": 130}[outcome]


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


def _load(path: str | None, task: str):
    from rnnviz.core.checkpoint import load_checkpoint

    if path is None:
        shipped = pretrained_path(task)
        if not shipped.is_file():
            raise RnnvizError(f"the shipped pretrained model is missing ({shipped}); give --checkpoint FILE "
                              "or reinstall rnnviz.")
        return load_checkpoint(shipped, task)
    return load_checkpoint(path, task)


def cmd_generate(args: argparse.Namespace) -> int:
    from rnnviz.core.decoding import generate

    bundle = _load(args.checkpoint, "lm")
    strategy = "sample" if args.temperature is not None else "greedy"
    result = generate(bundle, args.prefix, args.length, strategy, args.temperature or 1.0, args.seed)
    for notice in result.notices:
        print(f"note: {notice}", file=sys.stderr)
    print(result.text)
    return 0


_BEAM_FLAGS = ("alpha", "length_penalty", "nbest", "min_len", "candidates", "max_len")


def _beam_options(args: argparse.Namespace, bundle):
    """BeamOptions from ``rnnviz translate --beam K ...``; None for greedy translation."""
    from rnnviz.core.beam import BeamOptions

    if args.beam is None:
        given = [f"--{name.replace('_', '-')}" for name in _BEAM_FLAGS if getattr(args, name) is not None]
        if given:
            raise RnnvizError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to beam search; "
                              "add --beam K (--beam 1 is greedy search).")
        return None
    chosen = {name: getattr(args, name) for name in _BEAM_FLAGS if getattr(args, name) is not None}
    chosen.setdefault("max_len", int(bundle.data_config.num_steps or 9))  # as greedy translation
    return BeamOptions(beam_size=args.beam, **chosen)


def cmd_translate(args: argparse.Namespace) -> int:
    from rnnviz.core.decoding import translate, translate_beam

    sentences = list(args.sentences) or [line.strip() for line in sys.stdin if line.strip()]
    if not sentences:
        raise RnnvizError("there is nothing to translate: give sentences as arguments or on standard input.")
    bundle = _load(args.checkpoint, "mt")
    options = _beam_options(args, bundle)
    if options is None and args.tree is not None:
        raise RnnvizError("--tree applies to beam search with --json; add --beam K.")
    results = []
    for sentence in sentences:
        result = translate(bundle, sentence) if options is None else translate_beam(bundle, sentence, options)
        results.append(result)
        if not args.json:
            for notice in result.notices:
                print(f"note: {sentence!r}: {notice}", file=sys.stderr)
            print(f"{sentence} => {result.text}")
            if options is not None and options.nbest > 1:
                for rank, h in enumerate(result.hypotheses, 1):
                    print(f"  {rank}. {h.text}  (log P {h.log_prob:.3f}, score {h.score:.3f}"
                          f"{'' if h.finished else ', unfinished'})")
    if args.json and options is not None:
        tree = args.tree or "survivors"
        data = [r.to_dict(include_pruned=tree == "all") for r in results]
        if tree == "none":
            for entry in data:
                del entry["tree"]
        print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
    elif args.json:
        print(json.dumps([{"source": r.source, "translation": r.text, "tokens": list(r.tokens),
                           "source_tokens": list(r.source_tokens), "unknown": list(r.unknown),
                           "trimmed": r.trimmed, "notices": list(r.notices)} for r in results],
                         indent=2, ensure_ascii=False))
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a language model or a translation model, headless",
                                description="Train with the book's recipe for the task unless told otherwise: "
                                "lm = GRU, hidden 32, SGD lr 4; mt = 2-layer GRU encoder-decoder, "
                                "embed 32, hidden 32, Adam lr 0.005. Gradients are clipped to norm 1.")
    train.add_argument("task", choices=("lm", "mt"), help="lm: language model; mt: translation")
    train.add_argument("--corpus", help="a corpus name (rnnviz data list) or a file; default: the built-in phrasebook")
    train.add_argument("--cell", choices=CELLS, default="gru",
                       help="gru is torch's variant; gru-book applies the reset gate before the matmul")
    train.add_argument("--layers", type=int, help="number of layers")
    train.add_argument("--hidden", type=int, help="hidden size of every layer")
    train.add_argument("--bidirectional", action="store_true", help="bidirectional stack (the encoder, for mt)")
    train.add_argument("--embed", type=int, help="embedding size (lm default: one-hot inputs, as the book)")
    train.add_argument("--dropout", type=float, default=0.0, help="dropout between layers")
    train.add_argument("--implementation", choices=("auto", "fused", "scratch"), default="auto",
                       help="torch's fused kernels, or the book's equations step by step")
    train.add_argument("--token-level", choices=("char", "word"), default="char", help="lm tokens")
    train.add_argument("--epochs", type=int)
    train.add_argument("--lr", type=float, help="learning rate")
    train.add_argument("--optimizer", choices=("sgd", "adam"))
    train.add_argument("--clip", type=float, default=1.0, help="max gradient norm; 0 turns clipping off")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--num-steps", type=int, help=f"window length (lm, default {TASK_DEFAULTS['lm']['num_steps']}) "
                       f"or sentence length (mt, default {TASK_DEFAULTS['mt']['num_steps']})")
    train.add_argument("--max-examples", type=int, help="mt: use the first N pairs")
    train.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", required=True, help="checkpoint file to write")
    train.set_defaults(func=cmd_train)

    gen = commands.add_parser("generate", help="continue a prefix with a language model")
    gen.add_argument("--checkpoint", help="a language-model checkpoint (default: the shipped one)")
    gen.add_argument("--prefix", required=True, help="text to continue, e.g. 'time traveller '")
    gen.add_argument("--length", type=int, default=50, help="tokens to generate")
    gen.add_argument("--temperature", type=float, help="sample with this temperature (default: greedy)")
    gen.add_argument("--seed", type=int, help="seed for sampling")
    gen.set_defaults(func=cmd_generate)

    tr = commands.add_parser(
        "translate", help="translate sentences (arguments, or one per line on stdin), greedily or by beam search",
        description="Translate with the model's greedy search (the book's predict_step), or with beam search "
                    "given --beam K. Beam search shows the best hypothesis, and with --nbest N the N best "
                    "with their log-probability and length-normalised score.",
        epilog="--json prints a list with one object per sentence. Greedy: source, translation, tokens, "
               "source_tokens, unknown, trimmed, notices. With --beam, also: strategy, options, hypotheses "
               "(best first, each with tokens (no <eos>), text, log_prob, score, finished, node) and tree "
               "(root, steps with the candidates considered/kept/finished/pruned per step, nodes with id, parent, "
               "token, text, step, log_prob, cum_log_prob, score, status); translation and tokens are the best "
               "hypothesis's.")
    tr.add_argument("sentences", nargs="*", metavar="SENTENCE")
    tr.add_argument("--checkpoint", help="a translation checkpoint (default: the shipped one)")
    tr.add_argument("--beam", type=int, metavar="K", help="beam search with beam size K (default: greedy search)")
    tr.add_argument("--max-len", type=int, metavar="T",
                    help="beam search: at most T tokens, <eos> included (default: the model's num_steps)")
    from rnnviz.cli_beam import add_beam_options

    add_beam_options(tr, defaults=False)
    tr.add_argument("--json", action="store_true", help="print JSON (see below)")
    tr.add_argument("--tree", choices=("all", "survivors", "none"),
                    help="beam search with --json: the tree's nodes: all (k·|V| candidates a step), "
                         "survivors (default), or none")
    tr.set_defaults(func=cmd_translate)
