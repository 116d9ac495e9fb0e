"""The book's recipes, number for number: rnnviz's presets against a re-typing of the book's code.

For each recipe that trains in minutes on a laptop's CPU, train rnnviz's preset (``rnnviz train
--preset NAME``, driven here through the core API) and ``bench/d2l_reference.py`` (the book's
classes re-typed) on the same text with the same recipe, several seeds each, and compare the
per-epoch training losses at equal epochs. Then set the book's printed results beside the app's:
perplexities, the bidirectional LSTM's gibberish, and the seq2seq section's four translations with
their BLEU. The script writes ``docs/fidelity.md``: the doc is a run's output, never edited by hand.

    RNNVIZ_DATA_DIR=../shared/data/d2l python bench/reproduce_book.py [--seeds 2] [--recipes rnn-lm,...]
        [--epochs N (every recipe, for a quick look)] [--out docs/fidelity.md] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import zipfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from statistics import mean

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import d2l_reference as ref  # noqa: E402
from fidelity_doc import (  # noqa: E402
    ENGLISH, LM_RECIPES, MT_RECIPE, Outcome, Side, document, max_rel_diff, not_met, shortened,
)

from rnnviz.core.data.datasets import LmData, build_data  # noqa: E402
from rnnviz.core.decoding import translate  # noqa: E402
from rnnviz.core.events import EpochEnd  # noqa: E402
from rnnviz.core.models.factory import bundle_for  # noqa: E402
from rnnviz.core.models.presets import get_preset  # noqa: E402
from rnnviz.core.train import run, train  # noqa: E402

# ---- rnnviz's side: the preset, as `rnnviz train --preset NAME` runs it -----------------------------

@dataclass
class AppRun:
    """One seed of the preset: its curve and ends, and what the matched reference run needs."""

    losses: list[float]  # per epoch, mean loss per token
    val: float
    seconds: float  # per epoch, training batches only
    bundle: object
    data: object
    start: dict[str, torch.Tensor]  # the weights before the first step


def app_run(name: str, seed: int, epochs: int | None) -> AppRun:
    preset = get_preset(name)
    data = build_data(replace(preset.data_config(), seed=seed), download=False)
    bundle = bundle_for(data, preset.config, seed=seed)
    start = {k: v.detach().clone() for k, v in bundle.model.state_dict().items()}
    config = replace(preset.train_config(), seed=seed, device="cpu", epochs=epochs or preset.train["epochs"])
    ends: list[EpochEnd] = []
    run(train(bundle.model, data, config), on_event=lambda e: ends.append(e) if isinstance(e, EpochEnd) else None)
    val = ends[-1].val_loss if ends[-1].val_loss is not None else math.nan
    # Training seconds only (the validation pass left out, as the reference's timing leaves it out).
    tokens = sum(bundle.model.count_tokens(b) for b in data.train_batches(0))
    return AppRun([e.train_loss for e in ends], val, mean(tokens / e.tokens_per_s for e in ends), bundle, data,
                  start)


def app_text(name: str, bundle, data) -> str:
    if name == MT_RECIPE:
        return " | ".join(translate(bundle, s).text for s in ENGLISH)
    from rnnviz.core.decoding import generate
    return generate(bundle, "time traveller", 50).text


# ---- the book's side: bench/d2l_reference.py --------------------------------------------------------
def _raw(name: str) -> str:
    folder = Path(os.environ.get("RNNVIZ_DATA_DIR", "../shared/data/d2l"))
    if name == "time-machine":
        return (folder / "timemachine.txt").read_text(encoding="utf-8")
    with zipfile.ZipFile(folder / "fra-eng.zip") as archive:
        return archive.read("fra-eng/fra.txt").decode("utf-8")


def _app_batches(data):
    """The app's own batches, epoch after epoch in the app's order (its epoch-e shuffle is a function of
    the seed and e alone): for bi-lstm-lm, whose preset keeps the earlier edition's random offsets, and
    for the matched runs."""
    epoch = [0]

    def batches():
        epoch[0] += 1
        for batch in data.train_batches(epoch[0] - 1):
            yield [torch.from_numpy(np.ascontiguousarray(a)) for a in batch]
    return batches


#: The app's parameter names (a fused stack, rnnviz's layer names) -> the reference's (the book's).
_REF_NAMES = (("stack.rnn.", "rnn."), ("decoder.output.", "decoder.dense."), ("output.", "linear."))


def _ref_state(start: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    renamed = {}
    for key, value in start.items():
        for old, new in _REF_NAMES:
            if old in key:
                key = key.replace(old, new)
                break
        renamed[key] = value.clone()
    return renamed


def matched_run(name: str, seed: int, epochs: int | None, app: AppRun) -> list[float]:
    """The reference from the app's own first weights, on the app's batches in the app's order, with
    torch's generator seeded as the app's ``train`` seeds it (so dropout draws the same masks): the
    book's code doing the same run. Its per-epoch losses; they differ from the app's only by what
    the two implementations compute differently."""
    recipe = get_preset(name).train
    if name == MT_RECIPE:
        vocab = app.data.tgt_vocab.to_list()  # type: ignore[attr-defined]
        encoder = ref.Seq2SeqEncoder(len(app.data.src_vocab.to_list()), 256, 256, 2, 0.2)  # type: ignore[attr-defined]
        decoder = ref.Seq2SeqDecoder(len(vocab), 256, 256, 2, 0.2)
        model: torch.nn.Module = ref.Seq2Seq(encoder, decoder, vocab.index("<pad>"))
        optimizer: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
    else:
        cell, hidden, layers, bidirectional = LM_RECIPES[name]
        model = ref.RNNLM(cell, len(app.data.vocab.to_list()), hidden, layers, bidirectional)  # type: ignore[attr-defined]
        optimizer = torch.optim.SGD(model.parameters(), lr=recipe["lr"])
    model.load_state_dict(_ref_state(app.start))  # strict: every name must map, or this raises
    torch.manual_seed(seed)
    fit = ref.fit(model, _app_batches(app.data), epochs or recipe["epochs"], optimizer, recipe["grad_clip"])
    return [e.per_token for e in fit.epochs]


def ref_lm_run(name: str, seed: int, epochs: int | None, app_data: LmData) -> tuple[list[float], float, float, str]:
    preset = get_preset(name)
    cell, hidden, layers, bidirectional = LM_RECIPES[name]
    recipe = preset.train
    book = ref.TimeMachine(_raw("time-machine"), recipe["batch_size"], recipe["num_steps"])
    torch.manual_seed(seed)
    model = ref.RNNLM(cell, len(book.vocab), hidden, layers, bidirectional)
    generator = torch.Generator().manual_seed(seed)
    if recipe.get("lm_sampling") == "book":
        batches, val = (lambda: book.train_loader(generator)), (lambda: book.val_loader())
    else:  # the same windows as the app: the reference's model and loop on the preset's data
        batches = _app_batches(app_data)
        val = (lambda: ((torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y)))
                        for x, y in app_data.val_batches()))
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe["lr"])
    fit = ref.fit(model, batches, epochs or recipe["epochs"], optimizer, recipe["grad_clip"], val)
    model.eval()
    vocab = book.vocab
    if recipe.get("lm_sampling") != "book":  # trained on the app's ids: read them with the app's vocabulary
        vocab = ref.Vocab()
        vocab.idx_to_token = app_data.vocab.to_list()
        vocab.token_to_idx = {t: i for i, t in enumerate(vocab.idx_to_token)}
    return ([e.per_token for e in fit.epochs], fit.val_loss or math.nan,
            mean(e.seconds for e in fit.epochs), model.predict("time traveller", 50, vocab))


def ref_mt_run(seed: int, epochs: int | None) -> tuple[list[float], float, float, str, tuple[int, int]]:
    recipe = get_preset(MT_RECIPE).train
    book = ref.MTFraEng(_raw("fra-eng"), recipe["batch_size"], recipe["num_steps"], recipe["num_train"],
                        recipe["num_val"])
    torch.manual_seed(seed)
    encoder = ref.Seq2SeqEncoder(len(book.src_vocab), 256, 256, 2, 0.2)
    decoder = ref.Seq2SeqDecoder(len(book.tgt_vocab), 256, 256, 2, 0.2)
    model = ref.Seq2Seq(encoder, decoder, book.tgt_vocab["<pad>"])
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
    fit = ref.fit(model, lambda: book.train_loader(generator), epochs or recipe["epochs"], optimizer,
                  recipe["grad_clip"], lambda: book.val_loader())
    text = " | ".join(" ".join(t) for t in ref.translate(model, book, ENGLISH))
    return ([e.per_token for e in fit.epochs], fit.val_loss or math.nan, mean(e.seconds for e in fit.epochs),
            text, (len(book.src_vocab), len(book.tgt_vocab)))


# ---- comparing -----------------------------------------------------------------------------------

def run_recipe(name: str, seeds: int, epochs: int | None, log) -> Outcome:
    app, book = Side(), Side()
    vocab = None
    matched: list[list[float]] = []
    for seed in range(seeds):
        one = app_run(name, seed, epochs)
        losses, val, per_epoch, bundle, data = one.losses, one.val, one.seconds, one.bundle, one.data
        app.losses.append(losses), app.val.append(val), app.seconds.append(per_epoch)
        app.text.append(app_text(name, bundle, data))
        matched.append(matched_run(name, seed, epochs, one))
        if name == MT_RECIPE:
            r_losses, r_val, r_sec, r_text, vocab = ref_mt_run(seed, epochs)
        else:
            r_losses, r_val, r_sec, r_text = ref_lm_run(name, seed, epochs, data)
        book.losses.append(r_losses), book.val.append(r_val), book.seconds.append(r_sec), book.text.append(r_text)
        log(f"{name} seed {seed}: app {losses[-1]:.4f} ({per_epoch:.2f} s/epoch), "
            f"reference {r_losses[-1]:.4f} ({r_sec:.2f} s/epoch); max rel diff this seed "
            f"{max_rel_diff(losses, r_losses):.1%}; matched run {max_rel_diff(losses, matched[-1]):.1e}")
    return Outcome(name, len(app.losses[0]), app, book, vocab, matched)


def _capped(name: str, cap: int | None) -> int | None:
    epochs = get_preset(name).train["epochs"]
    return min(epochs, cap) if cap and name in LM_RECIPES else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--mt-seeds", type=int, default=None,
                        help="seeds for the translation recipe (default: --seeds); its runs vary more from seed "
                             "to seed, so its mean curves need more of them")
    parser.add_argument("--recipes", default=",".join([*LM_RECIPES, MT_RECIPE]))
    parser.add_argument("--epochs", type=int, default=None, help="every recipe for this many epochs (a quick look)")
    parser.add_argument("--cap", type=int, default=None,
                        help="language models: at most this many epochs (the doc says which were shortened)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="docs/fidelity.md")
    parser.add_argument("--save-json", default=None, help="also save the run's figures here")
    parser.add_argument("--from-json", default=None,
                        help="re-render the doc from runs' saved figures (FILE[,FILE...]: a later file's recipes "
                             "replace an earlier one's)")
    parser.add_argument("--extra-not-met", default="", help="a line appended to 'what is not met'")
    parser.add_argument("--note", default="", help="a paragraph after the machine's line (e.g. how runs were joined)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = [n for n in args.recipes.split(",") if n]
    unknown = [n for n in names if n not in LM_RECIPES and n != MT_RECIPE]
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)}; choose from {', '.join([*LM_RECIPES, MT_RECIPE])}")
    start = time.perf_counter()
    if args.from_json:  # re-render saved runs (the figures are the runs'; only the prose can change)
        by_name: dict[str, Outcome] = {}
        commands, wall, seeds = [], 0.0, 0
        for path in args.from_json.split(","):  # a later run's recipe replaces an earlier one's
            saved = json.loads(Path(path).read_text(encoding="utf-8"))
            for o in saved["outcomes"]:
                by_name[o["name"]] = Outcome(o["name"], o["epochs"], Side(**o["app"]), Side(**o["book"]),
                                             tuple(o["vocab"]) if o["vocab"] else None, o.get("matched", []))
            commands.append(_shown(saved["command"]))
            wall, seeds = wall + saved["wall"], saved["seeds"]
            torch.set_num_threads(int(saved.get("threads") or _option(saved["command"], "--threads") or 2))
        write(args, list(by_name.values()), "`, then `RNNVIZ_DATA_DIR=../shared/data/d2l ".join(commands), seeds,
              wall)
        return
    outcomes = [run_recipe(n, (args.mt_seeds or args.seeds) if n == MT_RECIPE else args.seeds,
                           args.epochs or _capped(n, args.cap), lambda s: print(s, flush=True)) for n in names]
    command = ("python bench/reproduce_book.py " + " ".join(sys.argv[1:])).strip()
    wall = time.perf_counter() - start
    if args.save_json:
        Path(args.save_json).write_text(json.dumps({"command": command, "seeds": args.seeds, "wall": wall,
                                                    "threads": torch.get_num_threads(),
                                                    "outcomes": [asdict(o) for o in outcomes]}), encoding="utf-8")
    write(args, outcomes, _shown(command), args.seeds, wall)


def _option(command: str, name: str) -> str | None:
    words = command.split()
    return words[words.index(name) + 1] if name in words[:-1] else None


def _shown(command: str) -> str:
    """The command as the doc shows it: without where this run happened to save its files."""
    words = command.split()
    for name in ("--save-json", "--out"):
        while name in words[:-1]:
            at = words.index(name)
            del words[at:at + 2]
    return " ".join(words)


def write(args: argparse.Namespace, outcomes: list[Outcome], command: str, seeds: int, wall: float) -> None:
    order = [*LM_RECIPES, MT_RECIPE]  # the book's order, whatever order the run took
    outcomes = sorted(outcomes, key=lambda o: order.index(o.name))
    text = document(outcomes, command, seeds, wall)
    extra = [line for line in (shortened(outcomes), args.extra_not_met) if line]
    text = text.replace("{NOT_MET}", "\n".join([not_met(outcomes), *extra]))
    if args.note:
        machine = text.index("\nMachine: ")
        end = text.index("\n", machine + 1)
        text = text[:end] + "\n\n" + args.note + text[end:]
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
