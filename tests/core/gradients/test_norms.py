"""Per-group gradient norms: the groups a student reads, their norms against torch.linalg.norm of the
slices, and clipping as torch's clip_grad_norm_ does it."""

from __future__ import annotations

import math

import pytest
import torch

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.gradients.norms import GradientMeter, clip_scale, group_names, summarize_clipping
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.models.seq2seq import Seq2Seq

V = 11


def _lm(stack: StackSpec, embed: int | None = None) -> RNNLM:
    torch.manual_seed(0)
    return RNNLM(ModelConfig("lm", stack, embed_size=embed), V)


def _mt(encoder: StackSpec, decoder: StackSpec, bridge: str = "auto") -> Seq2Seq:
    torch.manual_seed(0)
    return Seq2Seq(ModelConfig("mt", encoder, decoder, embed_size=6, bridge=bridge), V, V + 2, 0)  # type: ignore[arg-type]


def _backward(model: torch.nn.Module) -> None:
    torch.manual_seed(1)
    if isinstance(model, Seq2Seq):
        src, tgt = torch.randint(1, V, (3, 5)), torch.randint(1, V + 2, (3, 6))
        loss = model.batch_loss([src, tgt[:, :-1], torch.full((3,), 5), tgt[:, 1:]])
    else:
        tokens = torch.randint(0, V, (3, 7))
        loss = model.loss(model(tokens[:, :-1])[0], tokens[:, 1:])
    model.zero_grad(set_to_none=True)
    (loss * 50).backward()  # large enough for clipping at 1 to act


def _direct(model: torch.nn.Module, name: str) -> float:
    """A group's norm from its name alone: the slices of torch's tensors it stands for."""
    words = name.split(" · ")
    params = dict(model.named_parameters())
    if words[-1] not in ("W_x", "W_h", "b"):  # a whole module
        prefix = ".".join(w.replace("output layer", "output") for w in words)
        chosen = [p.grad for n, p in params.items() if n.rsplit(".", 1)[0].startswith(prefix) and p.grad is not None]
        return math.sqrt(sum(float(torch.linalg.norm(g)) ** 2 for g in chosen))
    part = words[0] if words[0] in ("encoder", "decoder") else None
    rest = words[1:] if part else words
    layer = int(rest[0].split()[1]) - 1
    reverse = "backward" in rest
    stack = getattr(model, part).stack if part else model.stack
    cell = stack.spec.cell
    order = {"rnn": [None], "gru": ["reset", "update", "candidate"], "lstm": ["input", "forget", "input node", "output"]}
    gate_words = [w for w in rest if w.split()[0] in ("reset", "update", "candidate", "input", "forget", "output")]
    block = 0 if not gate_words else [g for g in order[cell]].index(
        "input node" if gate_words[0].startswith("input node") else gate_words[0].split()[0])
    hidden = stack.spec.hidden_size(layer, int(reverse))
    rows = slice(block * hidden, (block + 1) * hidden)
    suffix = f"l{layer}" + ("_reverse" if reverse else "")
    names = {"W_x": ["weight_ih"], "W_h": ["weight_hh"], "b": ["bias_ih", "bias_hh"]}[words[-1]]
    slices = [getattr(stack.rnn, f"{n}_{suffix}").grad[rows] for n in names]
    return math.sqrt(sum(float(torch.linalg.norm(s)) ** 2 for s in slices))


MODELS = {
    "rnn": lambda: _lm(StackSpec("rnn", (8,))),
    "gru": lambda: _lm(StackSpec("gru", (8,))),
    "lstm": lambda: _lm(StackSpec("lstm", (8,)), embed=5),
    "deep gru": lambda: _lm(StackSpec("gru", (8, 6), implementation="scratch")),
    "deep lstm fused": lambda: _lm(StackSpec("lstm", (7, 7))),
    "bidirectional lstm, own sizes": lambda: _lm(StackSpec("lstm", (8, 5), True, backward_sizes=(4, 3)), embed=5),
    "bidirectional gru fused": lambda: _lm(StackSpec("gru", (6, 6), True)),
    "seq2seq": lambda: _mt(StackSpec("gru", (8, 8)), StackSpec("gru", (8, 8))),
    "seq2seq, bidirectional encoder, bridge": lambda: _mt(StackSpec("lstm", (8,), True), StackSpec("lstm", (8,))),
}


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_group_norms_equal_the_slices_norms(make):
    model = make()
    _backward(model)
    meter = GradientMeter(model)
    reading = meter.measure()
    assert len(reading.norms) == len(meter.groups) and len(set(meter.names)) == len(meter.names)
    for name, norm in zip(meter.names, reading.norms):
        assert norm == pytest.approx(_direct(model, name), rel=1e-5), name
    every = torch.nn.utils.get_total_norm([p.grad for p in model.parameters() if p.grad is not None])
    assert reading.total == pytest.approx(float(every), rel=1e-5)
    # Every scalar is in exactly one group: the groups' squares add up to the total's.
    assert math.sqrt(sum(n * n for n in reading.norms)) == pytest.approx(reading.total, rel=1e-6)


def test_groups_read_as_the_gates_tab_names_them():
    assert group_names(_lm(StackSpec("gru", (8,)))) == (
        "layer 1 · reset gate r · W_x", "layer 1 · reset gate r · W_h", "layer 1 · reset gate r · b",
        "layer 1 · update gate z · W_x", "layer 1 · update gate z · W_h", "layer 1 · update gate z · b",
        "layer 1 · candidate n · W_x", "layer 1 · candidate n · W_h", "layer 1 · candidate n · b",
        "output layer")
    lstm = group_names(_lm(StackSpec("lstm", (8, 8), True), embed=4))
    assert "layer 2 · backward · forget gate f · W_h" in lstm and "layer 1 · forward · input node g · b" in lstm
    assert lstm[-2:] == ("embedding", "output layer")
    assert group_names(_lm(StackSpec("rnn", (8,))))[:3] == ("layer 1 · W_x", "layer 1 · W_h", "layer 1 · b")
    mt = group_names(_mt(StackSpec("gru", (8,), True), StackSpec("gru", (8,)), bridge="linear"))
    for name in ("encoder · layer 1 · backward · update gate z · W_x", "decoder · layer 1 · reset gate r · b",
                 "encoder · embedding", "decoder · embedding", "decoder · output layer", "bridge"):
        assert name in mt


@pytest.mark.parametrize("clip", [1.0, 1e6, None])
def test_clipping_scales_the_gradient_as_torch_does(clip):
    model = _lm(StackSpec("lstm", (8,)), embed=5)
    _backward(model)
    reference = [p.grad.clone() for p in model.parameters()]
    meter = GradientMeter(model)
    reading = meter.measure_and_clip(clip)
    expected_scale = 1.0 if clip is None else min(1.0, clip / reading.total)
    assert reading.scale == pytest.approx(expected_scale, rel=1e-5)
    if clip == 1.0:
        assert reading.scale < 0.5  # the test's gradient is large: clipping acted
    # The gradients the optimizer sees are the old ones times the scale, and so are the groups' norms after.
    for before, p in zip(reference, model.parameters()):
        torch.testing.assert_close(p.grad, before * reading.scale, rtol=1e-5, atol=1e-8)
    after = meter.measure()
    for a, b in zip(after.norms, reading.clipped_norms):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-9)
    assert after.total == pytest.approx(min(reading.total, clip or math.inf), rel=1e-5)


def test_missing_gradients_count_as_zero():
    model = _lm(StackSpec("gru", (8,)))
    meter = GradientMeter(model)
    assert meter.measure().norms == (0.0,) * len(meter.groups)


def test_clip_scale_and_summary():
    assert clip_scale(0.5, 1.0) == 1.0 and clip_scale(4.0, None) == 1.0
    assert clip_scale(4.0, 1.0) == pytest.approx(0.25, rel=1e-6)
    summary = summarize_clipping([1.0, 0.5, 1.0, 0.1, None, 1.0, 0.25, 1.0, 1.0, 1.0, 1.0])
    assert (summary.steps, summary.clipped) == (10, 3)
    assert summary.share == pytest.approx(0.3) and summary.largest == pytest.approx(10.0)
    assert summary.median == pytest.approx(4.0)
    assert summary.sentence() == ("clipping acted on 30% of steps (3 of 10), shrinking the gradient by up to 10× "
                                  "(median 4.0×)")
    assert summarize_clipping([1.0, 1.0]).sentence(1.0) == "clipping at norm 1 never acted (2 steps)"
