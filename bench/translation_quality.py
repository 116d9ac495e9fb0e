"""Translation quality at equal work: rnnviz's encoder–decoder against the book's own code, same pairs.

The book's recipe at full size (embed 256, hidden 256, 2 GRU layers, dropout 0.2, Adam lr 0.005,
gradients clipped to norm 1, batch 128, num_steps 9) on the first ``--pairs`` pairs of fra-eng with
the book's split (all of them train; validation from the num_val pairs after them), trained by rnnviz
(``DataConfig(num_train=N)``, the ``seq2seq-256`` preset's model) and by ``bench/d2l_reference.py``.
Both are scored on a held-out slice: the first ``--test`` pairs after the validation ones whose
English side occurs in neither training nor validation. Scores: the book's BLEU (k = 2, the mean over
sentences, ``d2l.bleu``) and sacrebleu's corpus BLEU, greedy for both, and rnnviz's beam search
(beam 4) beside its greedy. Training seconds per epoch are measured in the same run.

    pip install -e ".[bench]"   # sacrebleu
    RNNVIZ_DATA_DIR=../shared/data/d2l python bench/translation_quality.py [--pairs 20000] [--epochs 10]
        [--test 500] [--seed 0] [--seeds 1] [--threads 2] [--doc docs/benchmarks.md] [--note TEXT]
        [--save-json PATH | --from-json PATH]

With ``--doc`` the script writes its section of that file (replacing the section if it is there).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path
from statistics import mean

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import d2l_reference as ref  # noqa: E402
from machine import cpu_name  # noqa: E402
from reproduce_book import _app_batches, _ref_state  # noqa: E402

from rnnviz.core.data.datasets import build_data  # noqa: E402
from rnnviz.core.decoding import BeamOptions, translate, translate_beam  # noqa: E402
from rnnviz.core.errors import RnnvizError  # noqa: E402
from rnnviz.core.events import EpochEnd  # noqa: E402
from rnnviz.core.models.factory import bundle_for  # noqa: E402
from rnnviz.core.models.presets import get_preset  # noqa: E402
from rnnviz.core.train import run, train  # noqa: E402

HEADING = "## Translation quality at equal work — `bench/translation_quality.py`"
NUM_VAL = 128  # the book's MTFraEng default



def raw_text() -> str:
    folder = Path(os.environ.get("RNNVIZ_DATA_DIR", "../shared/data/d2l"))
    with zipfile.ZipFile(folder / "fra-eng.zip") as archive:
        return archive.read("fra-eng/fra.txt").decode("utf-8")


def held_out(raw: str, seen_lines: int, count: int) -> list[tuple[str, str]]:
    """The first ``count`` pairs after line ``seen_lines`` whose English (as the book's preprocessing
    leaves it) is not among the first ``seen_lines`` lines' (training and validation)."""
    lines = ref._mt_preprocess(raw).split("\n")
    seen = {line.split("\t")[0] for line in lines[:seen_lines]}
    out: list[tuple[str, str]] = []
    for line in lines[seen_lines:]:
        parts = line.split("\t")
        if len(parts) == 2 and parts[0] not in seen:
            out.append((" ".join(parts[0].split()), " ".join(parts[1].split())))
            seen.add(parts[0])  # each English sentence once
            if len(out) == count:
                break
    return out


def scores(predictions: list[str], references: list[str]) -> tuple[float, float]:
    """(the book's BLEU with k = 2, averaged over sentences; sacrebleu's corpus BLEU / 100)."""
    import sacrebleu

    book = mean(ref.bleu(p, r, 2) if p else 0.0 for p, r in zip(predictions, references))
    # force: the text is tokenized on purpose (the models' own tokens), for both sides alike.
    return book, sacrebleu.corpus_bleu(predictions, [references], force=True).score / 100


def app_side(raw: str, pairs: int, epochs: int, seed: int, tests: list[tuple[str, str]],
             matched: bool = False) -> dict:
    """rnnviz's preset; with ``matched`` also the book's code started from its first weights (below)."""
    preset = get_preset("seq2seq-256")
    data = build_data(replace(preset.data_config(), num_train=pairs, num_val=NUM_VAL, seed=seed), download=False)
    bundle = bundle_for(data, preset.config, seed=seed)
    start = {k: v.detach().clone() for k, v in bundle.model.state_dict().items()}
    config = replace(preset.train_config(), epochs=epochs, seed=seed, device="cpu")
    ends: list[EpochEnd] = []
    run(train(bundle.model, data, config), on_event=lambda e: ends.append(e) if isinstance(e, EpochEnd) else None)
    greedy = [translate(bundle, en).text for en, _ in tests]
    beam = []
    for en, _ in tests:
        try:  # max_len 10: up to 9 words and <eos>, as greedy's 9 words
            beam.append(translate_beam(bundle, en, BeamOptions(beam_size=4, max_len=10)).text)
        except RnnvizError:  # no known word in the sentence: nothing to translate, scored as empty
            beam.append("")
    # Training seconds only (the validation pass left out, as the reference's timing leaves it out).
    tokens = sum(bundle.model.count_tokens(b) for b in data.train_batches(0))
    out = {"losses": [e.train_loss for e in ends], "seconds": mean(tokens / e.tokens_per_s for e in ends),
           "vocab": (len(data.src_vocab), len(data.tgt_vocab)), "greedy": greedy, "beam": beam}
    if matched:
        out["matched"] = matched_side(raw, pairs, epochs, seed, tests, data, start)
    return out


def matched_side(raw: str, pairs: int, epochs: int, seed: int, tests: list[tuple[str, str]], data,
                 start: dict[str, torch.Tensor]) -> dict:
    """The book's code doing rnnviz's run: from rnnviz's first weights, on rnnviz's batches in rnnviz's
    order, torch's generator seeded as rnnviz's loop seeds it (the same dropout masks); it translates
    with its own predict_step, reading sentences with the book's code and rnnviz's vocabularies (whose
    ids its weights use). Any gap to rnnviz's row is a gap between the implementations."""
    src, tgt = data.src_vocab.to_list(), data.tgt_vocab.to_list()
    model = ref.Seq2Seq(ref.Seq2SeqEncoder(len(src), 256, 256, 2, 0.2),
                        ref.Seq2SeqDecoder(len(tgt), 256, 256, 2, 0.2), tgt.index("<pad>"))
    model.load_state_dict(_ref_state(start))
    torch.manual_seed(seed)
    fit = ref.fit(model, _app_batches(data), epochs, torch.optim.Adam(model.parameters(), lr=0.005), 1.0)
    book = ref.MTFraEng(raw, 128, 9, pairs, NUM_VAL)
    book.src_vocab, book.tgt_vocab = _ref_vocab(src), _ref_vocab(tgt)
    greedy = [" ".join(t) for t in ref.translate(model, book, [en for en, _ in tests])]
    return {"losses": [e.per_token for e in fit.epochs], "seconds": mean(e.seconds for e in fit.epochs),
            "greedy": greedy}


def _ref_vocab(tokens: list[str]) -> ref.Vocab:
    vocab = ref.Vocab()
    vocab.idx_to_token, vocab.token_to_idx = list(tokens), {t: i for i, t in enumerate(tokens)}
    return vocab


def reference_side(raw: str, pairs: int, epochs: int, seed: int, tests: list[tuple[str, str]]) -> dict:
    book = ref.MTFraEng(raw, 128, 9, pairs, NUM_VAL)
    torch.manual_seed(seed)
    model = ref.Seq2Seq(ref.Seq2SeqEncoder(len(book.src_vocab), 256, 256, 2, 0.2),
                        ref.Seq2SeqDecoder(len(book.tgt_vocab), 256, 256, 2, 0.2), book.tgt_vocab["<pad>"])
    generator = torch.Generator().manual_seed(seed)
    fit = ref.fit(model, lambda: book.train_loader(generator), epochs,
                  torch.optim.Adam(model.parameters(), lr=0.005), 1.0)
    greedy = [" ".join(t) for t in ref.translate(model, book, [en for en, _ in tests])]
    return {"losses": [e.per_token for e in fit.epochs], "seconds": mean(e.seconds for e in fit.epochs),
            "vocab": (len(book.src_vocab), len(book.tgt_vocab)), "greedy": greedy}


def section(args: argparse.Namespace, apps: list[dict], books: list[dict], tests: list[tuple[str, str]],
            note: str) -> str:
    """The doc's section: scores as means over the seeds (each seed's in brackets)."""
    refs = [fr for _, fr in tests]
    app, book = apps[0], books[0]
    rows = [("book's code (d2l_reference), greedy", books, "greedy"), ("rnnviz, greedy", apps, "greedy"),
            ("rnnviz, beam 4", apps, "beam")]
    seeds = ", ".join(str(args.seed + i) for i in range(len(apps)))
    lines = [HEADING, "",
             f"Date: {datetime.date.today().isoformat()}. Machine: {cpu_name()}, {os.cpu_count()} cores "
             f"(shared with other work), torch {torch.__version__} with {torch.get_num_threads()} threads, Python "
             f"{platform.python_version()}. Command: `RNNVIZ_DATA_DIR=../shared/data/d2l python "
             f"bench/translation_quality.py --pairs {args.pairs} --epochs {args.epochs} --test {args.test} "
             f"--seed {args.seed} --seeds {len(apps)}" + (" --matched" if all("matched" in a for a in apps) else "")
             + "`.", "",
             f"The book's recipe at full size (embed 256, hidden 256, 2 GRU layers, dropout 0.2, Adam 0.005, "
             f"clipping 1, batch 128, num_steps 9) on the first {args.pairs:,} pairs of fra-eng, all of them "
             f"training, validation the {NUM_VAL} (+1) after them, as the book's MTFraEng cuts them; "
             f"{args.epochs} epochs, seeds {seeds}, each side on the same pairs with its own pipeline. "
             f"Vocabularies (min_freq 2): rnnviz {app['vocab'][0]:,}/{app['vocab'][1]:,}, the book's code "
             f"{book['vocab'][0]:,}/{book['vocab'][1]:,}. Held out: the first {len(tests)} pairs after the "
             f"validation ones whose English side occurs in neither training nor validation. Book BLEU: "
             "`d2l.bleu` with k = 2, the mean over sentences; sacrebleu: corpus BLEU (13a tokenizer, on the "
             "tokenized text) / 100. Beam: `translate_beam` with beam 4, max_len 10 (9 words and `<eos>`, as "
             "greedy's 9), the book's length penalty (α 0.75). Scores are means over the seeds, each seed's "
             "in brackets; seconds per epoch count the training batches only. The matched row is the book's code "
             "doing rnnviz's run: started from rnnviz's first weights, fed rnnviz's batches in rnnviz's order, "
             "torch's generator seeded alike so that dropout draws the same masks, translating with its own "
             "`predict_step`; a gap between it and rnnviz's greedy row is a gap between the implementations, "
             "while the book's own independent runs differ from rnnviz's by the draw of the first weights and "
             "of the batch order as well.", "",
             "| model, decoding | book BLEU (k = 2) | sacrebleu | final train loss | s/epoch |",
             "| --- | --- | --- | --- | --- |"]
    if all("matched" in a for a in apps):
        rows.insert(1, ("book's code from rnnviz's first weights and batches (matched), greedy",
                        [a["matched"] for a in apps], "greedy"))
    for label, sides, key in rows:
        each = [scores(side[key], refs) for side in sides]
        b = ", ".join(f"{x[0]:.3f}" for x in each)
        c = ", ".join(f"{x[1]:.3f}" for x in each)
        loss, seconds = mean(side["losses"][-1] for side in sides), mean(side["seconds"] for side in sides)
        lines.append(f"| {label} | {mean(x[0] for x in each):.3f} ({b}) | {mean(x[1] for x in each):.3f} ({c}) | "
                     f"{loss:.3f} | {seconds:.1f} |")
    curve = [(mean(a), mean(b))
             for a, b in zip(zip(*(s["losses"] for s in apps)), zip(*(s["losses"] for s in books)))]
    lines += ["", "Per-epoch training loss, means over the seeds (rnnviz / book's code): " + ", ".join(
        f"{i + 1}: {a:.3f}/{b:.3f}" for i, (a, b) in enumerate(curve)) + ".", "",
        f"Examples, seed {args.seed} (English → reference | rnnviz greedy | rnnviz beam 4 | book's code):", ""]
    for i in range(min(5, len(tests))):
        lines.append(f"- {tests[i][0]} → {tests[i][1]} | {app['greedy'][i]} | {app['beam'][i]} | {book['greedy'][i]}")
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


MATCHED_HEADING = "## Translation quality, matched: the book's code doing rnnviz's run — `bench/translation_quality.py`"


def matched_section(args: argparse.Namespace, apps: list[dict], tests: list[tuple[str, str]], note: str) -> str:
    """The matched runs alone: rnnviz's greedy translations beside the book's code's from the same start."""
    refs = [fr for _, fr in tests]
    seeds = ", ".join(str(args.seed + i) for i in range(len(apps)))
    lines = [MATCHED_HEADING, "",
             f"Date: {datetime.date.today().isoformat()}. Machine: {cpu_name()}, {os.cpu_count()} cores "
             f"(shared with other work), torch {torch.__version__} with {torch.get_num_threads()} threads, Python "
             f"{platform.python_version()}. Command: `RNNVIZ_DATA_DIR=../shared/data/d2l python "
             f"bench/translation_quality.py --pairs {args.pairs} --epochs {args.epochs} --test {args.test} "
             f"--seed {args.seed} --seeds {len(apps)} --matched-only`.", "",
             f"The same recipe, pairs and held-out slice as the section above, seed(s) {seeds}. Here the book's "
             "code (bench/d2l_reference.py) does rnnviz's run: it starts from rnnviz's first weights (renamed to "
             "the book's parameter names), reads rnnviz's batches in rnnviz's order with torch's generator seeded "
             "as rnnviz's loop seeds it (the same dropout masks), and translates the held-out sentences with its "
             "own `predict_step`, reading them with the book's code and rnnviz's vocabularies. What differs "
             "between the rows is what the two implementations compute, nothing else.", "",
             "| model, greedy | book BLEU (k = 2) | sacrebleu | final train loss | s/epoch |",
             "| --- | --- | --- | --- | --- |"]
    for label, sides in (("rnnviz", apps), ("book's code from rnnviz's start", [a["matched"] for a in apps])):
        each = [scores(side["greedy"], refs) for side in sides]
        lines.append(f"| {label} | {mean(x[0] for x in each):.3f} ({', '.join(f'{x[0]:.3f}' for x in each)}) | "
                     f"{mean(x[1] for x in each):.3f} ({', '.join(f'{x[1]:.3f}' for x in each)}) | "
                     f"{mean(s['losses'][-1] for s in sides):.3f} | {mean(s['seconds'] for s in sides):.1f} |")
    for i, app in enumerate(apps):
        same = sum(a == b for a, b in zip(app["greedy"], app["matched"]["greedy"]))
        diff = max(abs(a - b) / b for a, b in zip(app["losses"], app["matched"]["losses"]))
        lines += ["", f"Seed {args.seed + i}: {same} of {len(tests)} translations identical; per-epoch training "
                  f"losses at most {diff:.1e} apart (relative)."]
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def write_section(path: Path, text: str, heading: str = HEADING) -> None:
    """Replace the section of ``path`` under ``heading`` (up to the next '## ' heading), or append it."""
    doc = path.read_text(encoding="utf-8")
    start = doc.find(heading)
    if start < 0:
        doc = doc.rstrip("\n") + "\n\n" + text
    else:
        end = doc.find("\n## ", start + len(heading))
        doc = doc[:start] + text + (doc[end + 1:] if end >= 0 else "")
        doc = doc if end < 0 else doc.replace(text + "## ", text + "\n## ")
    path.write_text(doc, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--test", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0, help="the first seed")
    parser.add_argument("--seeds", type=int, default=1, help="how many seeds per side (seed, seed + 1, ...)")
    parser.add_argument("--save-json", default=None, help="also save the runs' outputs here")
    parser.add_argument("--from-json", default=None, help="re-render the section from saved outputs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--matched-only", action="store_true",
                        help="rnnviz and the matched book's code only (no independent runs): its own section")
    parser.add_argument("--matched", action="store_true",
                        help="also run the book's code from rnnviz's first weights on rnnviz's batches")
    parser.add_argument("--doc", default=None, help="write the section into this file (e.g. docs/benchmarks.md)")
    parser.add_argument("--note", default="", help="a closing paragraph for the section")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    raw = raw_text()
    tests = held_out(raw, args.pairs + NUM_VAL + 1, args.test)  # the book reads num_train + num_val + 1 lines
    start = time.perf_counter()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        apps, books = saved["apps"], saved["books"]
    elif args.matched_only:
        apps, books = [], []
        for seed in range(args.seed, args.seed + args.seeds):
            apps.append(app_side(raw, args.pairs, args.epochs, seed, tests, True))
            print(f"seed {seed}: rnnviz and the matched book's code trained", flush=True)
            if args.save_json:  # after every seed: a long run keeps what it has
                Path(args.save_json).write_text(json.dumps({"apps": apps, "books": books}), encoding="utf-8")
    else:
        apps, books = [], []
        for seed in range(args.seed, args.seed + args.seeds):
            apps.append(app_side(raw, args.pairs, args.epochs, seed, tests, args.matched))
            print(f"seed {seed}, rnnviz: {apps[-1]['seconds']:.1f} s/epoch, final loss {apps[-1]['losses'][-1]:.3f}",
                  flush=True)
            books.append(reference_side(raw, args.pairs, args.epochs, seed, tests))
            print(f"seed {seed}, book's code: {books[-1]['seconds']:.1f} s/epoch, final loss "
                  f"{books[-1]['losses'][-1]:.3f}", flush=True)
        if args.save_json:
            Path(args.save_json).write_text(json.dumps({"apps": apps, "books": books}), encoding="utf-8")
    matched_only = args.matched_only or (not books and all("matched" in a for a in apps))
    text = matched_section(args, apps, tests, args.note) if matched_only else section(args, apps, books, tests, args.note)
    print(text)
    print(f"({(time.perf_counter() - start) / 60:.1f} minutes)")
    if args.doc:
        write_section(Path(args.doc), text, MATCHED_HEADING if matched_only else HEADING)
        print(f"wrote its section of {args.doc}")


if __name__ == "__main__":
    main()
