"""The headless runs of the other exercises: costs (10.1), bidirectional (10.4), data and encoder–decoder
(10.5–10.6) and beam search (10.8)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from rnnviz.core.exercises.records import ExerciseResult, Progress, ShouldStop, Table
from rnnviz.core.exercises.runs_lm import anatomy_result, probe_text
from rnnviz.core.exercises.training import train_short

#: The hidden size of the cost table (the book's language models use 32; 256 is its translation size).
COST_HIDDEN = 256


def run_lstm_3(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.costs import cell_costs, formula_table

    if small:  # by formula only: measuring takes a few seconds per cell
        table = formula_table(COST_HIDDEN)
    else:
        table = cell_costs(COST_HIDDEN, seconds=1.0, should_stop=stop, progress=progress)
    rows = []
    for row in table.rows:
        m = row.measured
        rows.append((row.cell, row.gate_blocks, row.params, row.flops, row.train_flops, table.flops_ratio(row.cell),
                     None if m is None else m.train_tokens_per_s, None if m is None else m.infer_tokens_per_s))
    return ExerciseResult(
        "lstm-3", f"One layer at hidden {table.hidden_size}, input {table.input_size}: parameters and FLOPs grow "
        "with the number of gate blocks (RNN 1, GRU 3, LSTM 4), for training (forward and backward) and "
        "inference alike. Measured speeds differ from the FLOPs ratios: per-step overhead and fused kernels "
        "matter (run it without --small, or rnnviz stack --costs, to measure).",
        (Table("cost of one layer per token", ("cell", "gate blocks", "parameters", "forward FLOPs",
                                                "training FLOPs", "FLOPs / RNN's", "train tokens/s",
                                                "inference tokens/s"), rows),),
        stopped=table.stopped)


def run_bi_1(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    def summary(info: Any) -> str:
        layer = info.layers[0]
        forward, backward = layer.hidden_sizes
        return (f"The two directions need not agree: forward {forward} units, backward {backward}; H_t "
                f"concatenates them, (B, {forward} + {backward}) = (B, {layer.output_size}), and the output "
                f"layer's W_hq is {layer.output_size}×q.")
    return anatomy_result("bi-1", "bi-gru-unequal", summary)


def run_bi_2(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    def summary(info: Any) -> str:
        second = info.layers[1]
        return (f"Stacking bidirectional layers: layer 2 reads both directions of layer 1 at each step "
                f"(input {second.input_size} = 2 × {info.layers[0].hidden_sizes[0]}), and each of its directions "
                "runs over the whole sequence again.")
    return anatomy_result("bi-2", "bi-lstm-lm", summary)


def run_ed_2(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.config import StackSpec
    from rnnviz.core.models.presets import get_preset

    base = get_preset("seq2seq").config
    deeper = StackSpec("gru", (32, 32, 32, 32))
    config = dataclasses.replace(base, stack=deeper, decoder=deeper)

    def summary(info: Any) -> str:
        return (f"Four layers in the encoder and four in the decoder ({info.total_params:,} parameters at "
                "embed 32, hidden 32): the identity bridge hands each encoder layer's final state to the decoder "
                "layer of the same depth, so both stacks need the same number of layers and sizes; the context "
                "is the top encoder layer's final state.")
    return anatomy_result("ed-2", "seq2seq", summary, config=config)


def run_mt_1(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.config import DataConfig
    from rnnviz.core.exercises.training import build_data

    rows = []
    data = {}
    for corpus in ("phrasebook",):  # built in; fra-eng and a user's file load the same way
        data[corpus] = build_data(DataConfig(corpus=corpus, task="mt", max_examples=2000 if small else None))
        d = data[corpus]
        src_len = float(np.mean(d.train.src_valid_len))
        rows.append((corpus, len(d.train), len(d.val), len(d.src_vocab), len(d.tgt_vocab), src_len))
    d = data["phrasebook"]
    examples = "\n  ".join(f"{s}  →  {t}" for s, t in d.train.pairs[:5])
    return ExerciseResult(
        "mt-1", "Another data set is a text file of pairs, one per line, source TAB target (Data dock → Open "
        "file, or rnnviz train --corpus FILE): here the built-in phrasebook beside the book's fra-eng. Compare "
        "vocabulary sizes and sentence lengths: they decide how much data and how many epochs a model needs.",
        (Table("translation data sets", ("corpus", "training pairs", "validation pairs", "source vocabulary",
                                         "target vocabulary", "mean source length"), rows),),
        texts={"examples": examples})


def run_beam_1(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.decoding import BeamOptions, beam_search, exhaustive_search, load_toy
    from rnnviz.core.decoding.toy import D2L_MAX_LEN

    toy = load_toy("d2l")
    wide = (toy.vocab_size - 1) ** (D2L_MAX_LEN - 1)  # every unfinished prefix of length max_len − 1 survives
    options = BeamOptions(max_len=D2L_MAX_LEN)
    results = [(f"beam, k = {k}", beam_search(toy.step, toy.vocab_size, toy.eos, dataclasses.replace(options,
                                                                                                  beam_size=k)))
               for k in (1, 2, wide)]
    results.append(("exhaustive", exhaustive_search(toy.step, toy.vocab_size, toy.eos, options=options)))
    rows = [(name, " ".join(toy.decode(r.best.tokens)), r.best.log_prob, r.best.score, len(r.tree))
            for name, r in results]
    return ExerciseResult(
        "beam-1", f"Exhaustive search is beam search whose beam never prunes: with k ≥ |V′|^(L−1) = {wide} "
        "(every unfinished prefix) beam search keeps every candidate and finds the same best sequence as "
        "exhaustive search; greedy search is k = 1.",
        (Table("the book's toy table", ("search", "best", "log P", "score", "nodes in the tree"), rows),))


def run_beam_2(small: bool, progress: Progress | None, stop: ShouldStop | None) -> ExerciseResult:
    from rnnviz.core.decoding import BeamOptions, generate
    from rnnviz.core.decoding.model_beam import generate_beam

    trained = train_short("gru-lm", small, progress=progress, span=(0.0, 0.8), stop=stop)
    prefix = probe_text(trained.data, 8)
    greedy = generate(trained.bundle, prefix, 20)
    rows, texts = [("greedy (what the book's predict does)", greedy.text, None)], {"greedy": greedy.text}
    for k in (2, 4):
        beam = generate_beam(trained.bundle, prefix, 20, BeamOptions(beam_size=k))
        best = beam.hypotheses[0]
        rows.append((f"beam, k = {k}", best.text, best.log_prob))
        texts[f"beam {k}"] = best.text
    sample = generate(trained.bundle, prefix, 20, strategy="sample", temperature=1.0, seed=0)
    rows.append(("sampling, temperature 1", sample.text, None))
    texts["sample"] = sample.text
    return ExerciseResult(
        "beam-2", "The book's language models generate greedily: the most likely character at every step. Beam "
        "search finds continuations of higher total probability; sampling (with a temperature) trades "
        "probability for variety. Which reads better?",
        (Table("continuations of the same prefix", ("search", "text", "log P"), rows),),
        texts=texts, stopped=trained.stopped)
