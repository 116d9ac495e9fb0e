"""Beam-search speed: rnnviz's batched beam search against one hypothesis at a time.

A randomly initialised Seq2Seq: 2-layer GRU encoder and decoder, hidden 256,
embeddings 256, source and target vocabularies of 8,000 words each (plus the
reserved tokens). Beam size 5, at most 20 output tokens; sentences of 5 to 10
random source words, read as num_steps 12. An untrained decoder almost never
picks <eos>, so every search runs all 20 steps: the worst case.

Two searches per sentence, alternating, same results asserted:
- batched: ``rnnviz.core.decoding.seq2seq_step`` + ``beam_search``, one decoder
  call per step for all live hypotheses (what ``translate_beam`` does);
- one at a time: the same step called with one prefix per decoder call.
Each time covers encoding the sentence and the whole search, tree included.

    python bench/beam_speed.py [--sentences 50] [--vocab 8000] [--device cpu] [--threads N]

The last lines read ``median per sentence: ... ms`` and ``speed-up batched/one-at-a-time: X.XX``.
Target: at most 50 ms per sentence on CPU. Each search makes 20 small decoder
calls, so on a machine whose cores are busy with other work torch's worker
threads wait on each other and times jump tenfold; ``--threads 1`` avoids that.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time

import numpy as np
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.vocab import EOS, Vocab
from rnnviz.core.decoding import BeamOptions, BeamResult, RecurrentStep, beam_search, seq2seq_step
from rnnviz.core.models.factory import ModelBundle, build_model
from rnnviz.core.train import resolve_device

HIDDEN, LAYERS, EMBED, NUM_STEPS, BEAM, MAX_LEN = 256, 2, 256, 12, 5, 20


def make_bundle(vocab_size: int, device: torch.device) -> ModelBundle:
    torch.manual_seed(0)
    stack = StackSpec("gru", (HIDDEN,) * LAYERS)
    config = ModelConfig("mt", stack, StackSpec("gru", (HIDDEN,) * LAYERS), EMBED)
    src = Vocab([f"s{i}" for i in range(vocab_size)])
    tgt = Vocab([f"t{i}" for i in range(vocab_size)])
    model = build_model(config, (src, tgt)).to(device).eval()
    data = DataConfig(corpus="synthetic", task="mt", num_steps=NUM_STEPS).resolved("mt")
    return ModelBundle(model, config, data, (src, tgt))


def one_at_a_time(step: RecurrentStep):
    """The same step, but one decoder call per hypothesis."""
    def call(prefixes):
        return torch.cat([step([p]) for p in prefixes])  # (N, V)
    return call


def search(bundle: ModelBundle, src_ids: list[int], batched: bool) -> tuple[BeamResult, float]:
    options = BeamOptions(beam_size=BEAM, max_len=MAX_LEN)
    tgt = bundle.vocabs[1]
    device = next(bundle.model.parameters()).device
    sync(device)
    start = time.perf_counter()
    step = seq2seq_step(bundle, src_ids)
    result = beam_search(step if batched else one_at_a_time(step), len(tgt), tgt.index(EOS), options)
    sync(device)
    return result, time.perf_counter() - start


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=50)
    parser.add_argument("--vocab", type=int, default=8000, help="source and target words (before reserved tokens)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    bundle = make_bundle(args.vocab, device)
    src_vocab, tgt_vocab = bundle.vocabs
    rng = random.Random(0)
    sentences = []
    for _ in range(args.sentences):
        words = [f"s{rng.randrange(args.vocab)}" for _ in range(rng.randint(5, 10))] + [EOS]
        words = words[:NUM_STEPS] + ["<pad>"] * (NUM_STEPS - len(words))
        sentences.append(src_vocab.indices(words))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine()
    params = sum(p.numel() for p in bundle.model.parameters())
    print(f"Seq2Seq GRU {LAYERS}x{HIDDEN}, embed {EMBED}, vocab {len(src_vocab):,} -> {len(tgt_vocab):,} "
          f"({params / 1e6:.1f}M parameters, random weights); beam {BEAM}, max length {MAX_LEN}")
    print(f"device {device} ({name}), torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.sentences} sentences of 5-10 words")
    search(bundle, sentences[0], True)  # warm-up: allocator, kernels, caches
    search(bundle, sentences[0], False)
    batched_times, single_times, steps = [], [], []
    for i, src in enumerate(sentences):
        order = (True, False) if i % 2 == 0 else (False, True)
        results = {}
        for batched in order:
            result, seconds = search(bundle, src, batched)
            results[batched] = result
            (batched_times if batched else single_times).append(seconds)
        fast, slow = results[True], results[False]
        assert [h.tokens for h in fast.hypotheses] == [h.tokens for h in slow.hypotheses], "different hypotheses"
        assert np.allclose([h.log_prob for h in fast.hypotheses], [h.log_prob for h in slow.hypotheses], atol=1e-4)
        assert np.array_equal(fast.tree.token_ids, slow.tree.token_ids), "different trees"
        steps.append(fast.tree.num_steps)
    batched, single = statistics.median(batched_times), statistics.median(single_times)
    print(f"steps per search: median {statistics.median(steps):.0f}, "
          f"candidates per step up to {BEAM * len(tgt_vocab):,}")
    print(f"batched:         median {batched * 1e3:.1f} ms per sentence "
          f"(p10 {np.percentile(batched_times, 10) * 1e3:.1f}, p90 {np.percentile(batched_times, 90) * 1e3:.1f})")
    print(f"one at a time:   median {single * 1e3:.1f} ms per sentence "
          f"(p10 {np.percentile(single_times, 10) * 1e3:.1f}, p90 {np.percentile(single_times, 90) * 1e3:.1f})")
    print("results: identical hypotheses, log-probabilities within 1e-4, identical trees")
    print(f"median per sentence: {batched * 1e3:.1f} ms (target <= 50 ms on CPU)")
    print(f"speed-up batched/one-at-a-time: {single / batched:.2f}")


if __name__ == "__main__":
    main()
