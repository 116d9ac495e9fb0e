"""``rnnviz train``'s options: the parser, its help and its ranges.

Kept beside ``rnnviz.cli.train`` (which runs the command) so that each module is one room: here
what can be typed, there what happens with it. Every option defaults to None, so that only what was
typed overrides a preset's values (``rnnviz.cli.train_configs``).
"""

from __future__ import annotations

import argparse

from rnnviz.cli.common import in_range, ranged
from rnnviz.cli.sources import CORPUS_HELP
from rnnviz.cli.train_loss import add_loss_options
from rnnviz.core.config import CELLS, RECIPES, TASK_DEFAULTS
from rnnviz.core.limits import BATCH_SIZE, COPY_LENGTH, DROPOUT, EMBED_SIZE, EPOCHS, GRAD_CLIP, HIDDEN_SIZE, LAG, \
    LEARNING_RATE, MAX_EXAMPLES, NUM_LAYERS, NUM_STEPS, SAVE_EVERY_STEPS, SEED, SYMBOLS, TASK_SEQUENCES


def _quick_defaults_text() -> str:
    """The quick defaults in words, read from the very dicts they come from."""
    lm, mt, lm_data, mt_data = RECIPES["lm"], RECIPES["mt"], TASK_DEFAULTS["lm"], TASK_DEFAULTS["mt"]
    return (f"lm = GRU, hidden {lm['hidden']}, one-hot characters, {lm['optimizer'].upper()} lr {lm['lr']:g}, "
            f"{lm['epochs']} epochs, batches of {lm_data['batch_size']} windows of {lm_data['num_steps']}, on the "
            f"built-in phrasebook's English side; mt = {mt['layers']}-layer GRU encoder-decoder, embed "
            f"{mt['embed']}, hidden {mt['hidden']}, {mt['optimizer'].capitalize()} lr {mt['lr']:g}, {mt['epochs']} "
            f"epochs, batches of {mt_data['batch_size']} sentences of {mt_data['num_steps']} tokens, on the "
            "built-in phrasebook. Gradients are clipped to norm 1.")


def add_train_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The ``train`` command's parser, with every option; ``rnnviz.cli.train`` binds the command to it."""
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
    return train
