"""Gate traces: exact against the models' own forward passes, and against the torch.nn docs' equations."""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import Tensor

from rnnviz.core.config import GATES, DataConfig, ModelConfig, StackSpec
from rnnviz.core.introspect import kernels, records
from rnnviz.core.data.datasets import LmData, MtData, build_data
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK
from rnnviz.core.decoding import translate
from rnnviz.core.errors import DataError
from rnnviz.core.introspect import (
    GATE_NAMES, VALUE_RANGES, DirectionTrace, GateTrace, equations_for, part_path, trace_lm, trace_sequence,
    trace_translation, write_csv,
)
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.models.stacks import RecurrentStack, build_stack, parameter_names
from tests.core.corpora import lm_data

ATOL = 1e-5
PAIRS = ["go .\tva !", "i lost .\tj'ai perdu .", "he's calm .\til est calme .", "i'm home .\tje suis chez moi .",
         "we ran .\tnous avons couru .", "i won !\tj'ai gagné !", "he ran .\til a couru .", "go away .\tva-t'en ."]

# (cell, hidden sizes, bidirectional, implementation): every cell, deep and bidirectional,
# both implementations, and the unequal sizes only the scratch stack has.
STACKS = [
    ("rnn", (6,), False, "fused"),
    ("rnn", (5, 5), True, "scratch"),
    ("gru", (6, 6), True, "fused"),
    ("gru", (4, 7), False, "scratch"),
    ("gru-book", (6, 6, 6), True, "scratch"),
    ("gru-book", (5,), False, "scratch"),
    ("lstm", (6, 6), True, "fused"),
    ("lstm", (6, 4, 5), True, "scratch"),
    ("lstm", (7, 7, 7), False, "fused"),
]
STACK_IDS = [f"{c}-{'x'.join(map(str, h))}{'-bi' if b else ''}-{i}" for c, h, b, i in STACKS]


def sharpen(module: torch.nn.Module, factor: float = 3.0) -> None:
    """torch's initialisation keeps every gate near 0.5; larger weights let the equations differ visibly."""
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(factor)


# ---- an independent reference: one step at a time, straight from the torch.nn docs --------------


def reference_direction(cell: str, x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor,
                        h0: Tensor, c0: Tensor | None, reverse: bool) -> dict[str, Tensor]:
    """Every gate of one layer-direction in float64, written from the docs, not from rnnviz's cells."""
    x, w_ih, w_hh, b_ih, b_hh, h = (t.double() for t in (x, w_ih, w_hh, b_ih, b_hh, h0))
    c = None if c0 is None else c0.double()
    hidden = w_hh.shape[1]
    names = GATE_NAMES[cell]
    rows: dict[str, list[Tensor]] = {n: [] for n in names}
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    for t in steps:
        gi = w_ih @ x[t] + b_ih  # (G*H,)
        gh = w_hh @ h + b_hh  # (G*H,)
        if cell == "rnn":
            pre = gi + gh
            h = torch.tanh(pre)
            values = {"preactivation": pre, "hidden": h}
        elif cell in ("gru", "gru-book"):
            i_r, i_z, i_n = gi.split(hidden)
            h_r, h_z, h_n = gh.split(hidden)
            r = torch.sigmoid(i_r + h_r)
            z = torch.sigmoid(i_z + h_z)
            if cell == "gru":  # torch.nn.GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
                n = torch.tanh(i_n + r * h_n)
            else:  # the book: H~ = tanh(X W_xh + (R * H) W_hh + b_h)
                n = torch.tanh(i_n + w_hh[2 * hidden:] @ (r * h) + b_hh[2 * hidden:])
            h = (1 - z) * n + z * h
            values = {"reset": r, "update": z, "candidate": n, "hidden": h}
        else:  # torch.nn.LSTM
            i_i, i_f, i_g, i_o = (gi + gh).split(hidden)
            i, f, g, o = torch.sigmoid(i_i), torch.sigmoid(i_f), torch.tanh(i_g), torch.sigmoid(i_o)
            assert c is not None
            c = f * c + i * g
            h = o * torch.tanh(c)
            values = {"input": i, "forget": f, "output": o, "candidate": g, "cell": c, "hidden": h}
        for name in names:
            rows[name].append(values[name])
    return {n: torch.stack(v[::-1] if reverse else v) for n, v in rows.items()}  # (T, H) in input order


def check_against_reference(stack: RecurrentStack, traces: list[DirectionTrace]) -> None:
    state = stack.state_dict()
    for trace in traces:
        names = parameter_names(trace.layer, 0 if trace.direction == "forward" else 1)
        weights = [state[f"rnn.{n}"] for n in names]
        for recorded, real in zip((trace.weight_ih, trace.weight_hh, trace.bias_ih, trace.bias_hh), weights):
            np.testing.assert_array_equal(recorded, real.numpy())
        c0 = None if trace.c0 is None else torch.from_numpy(trace.c0.copy())
        expected = reference_direction(stack.spec.cell, torch.from_numpy(trace.x.copy()), *weights,
                                       torch.from_numpy(trace.h0.copy()), c0, trace.direction == "backward")
        for name, values in expected.items():
            np.testing.assert_allclose(trace.gates[name], values.numpy(), atol=ATOL, rtol=0,
                                       err_msg=f"layer {trace.layer} {trace.direction} {name}")


def check_against_stack(stack: RecurrentStack, inputs: Tensor, traces: list[DirectionTrace],
                        initial=None) -> None:
    """Each layer's outputs equal the real stack cut after that layer; final states equal the stack's."""
    stack.eval()
    spec = stack.spec
    D = spec.num_directions
    with torch.no_grad():
        outputs, final = stack(inputs, initial)  # (T, 1, D*H)
        for depth in range(1, spec.num_layers + 1):
            backward = spec.backward_sizes[:depth] if spec.backward_sizes else None
            sub_spec = replace(spec, hidden_sizes=spec.hidden_sizes[:depth], backward_sizes=backward)
            sub = build_stack(sub_spec, stack.input_size).eval()
            keep = {k: v for k, v in stack.state_dict().items() if int(k.split("_l")[1].split("_")[0]) < depth}
            sub.load_state_dict(keep)
            sub_out, _ = sub(inputs, None if initial is None else initial[:depth * D])
            layer = traces[(depth - 1) * D:depth * D]
            np.testing.assert_allclose(np.concatenate([t.hidden for t in layer], axis=1), sub_out[:, 0].numpy(),
                                       atol=ATOL, rtol=0, err_msg=f"outputs of layer {depth - 1}")
    np.testing.assert_allclose(np.concatenate([t.hidden for t in traces[-D:]], axis=1), outputs[:, 0].numpy(),
                               atol=ATOL, rtol=0)
    for trace, entry in zip(traces, final):
        if isinstance(entry, tuple):
            np.testing.assert_allclose(trace.final_hidden, entry[0][0].numpy(), atol=ATOL, rtol=0)
            np.testing.assert_allclose(trace.final_cell, entry[1][0].numpy(), atol=ATOL, rtol=0)
        else:
            np.testing.assert_allclose(trace.final_hidden, entry[0].numpy(), atol=ATOL, rtol=0)


# ---- trace_sequence --------------------------------------------------------------------------


@pytest.mark.parametrize("cell, hidden, bidirectional, implementation", STACKS, ids=STACK_IDS)
def test_trace_equals_the_stack_and_the_docs_equations(cell, hidden, bidirectional, implementation) -> None:
    torch.manual_seed(1)
    stack = build_stack(StackSpec(cell, hidden, bidirectional, implementation=implementation), 5).eval()
    sharpen(stack)
    inputs = torch.randn(9, 1, 5)  # (T, B=1, d)
    traces = trace_sequence(stack, inputs)
    assert [(t.layer, t.direction) for t in traces] == [
        (layer, d) for layer in range(len(hidden))
        for d in (("forward", "backward") if bidirectional else ("forward",))]
    for trace in traces:
        assert list(trace.gates) == list(GATE_NAMES[cell])
        assert all(a.dtype == np.float32 and a.shape == (9, trace.hidden_size) for a in trace.gates.values())
    np.testing.assert_array_equal(traces[0].x, inputs[:, 0].numpy())
    check_against_stack(stack, inputs, traces)
    check_against_reference(stack, traces)


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-book", "lstm"])
def test_directions_of_unequal_sizes(cell) -> None:
    """The backward direction may have its own sizes (StackSpec.backward_sizes): read from the weights."""
    torch.manual_seed(5)
    spec = StackSpec(cell, (6, 4), True, implementation="scratch", backward_sizes=(3, 5))
    stack = build_stack(spec, 4).eval()
    sharpen(stack)
    inputs = torch.randn(7, 1, 4)
    traces = trace_sequence(stack, inputs)
    assert [t.hidden_size for t in traces] == [6, 3, 4, 5]
    assert traces[2].input_size == 9  # layer 1 reads 6 forward + 3 backward features
    check_against_stack(stack, inputs, traces)
    check_against_reference(stack, traces)


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-book", "lstm"])
def test_trace_starts_from_a_given_state(cell) -> None:
    torch.manual_seed(2)
    spec = StackSpec(cell, (4, 4), True, implementation="scratch" if cell == "gru-book" else "auto")
    stack = build_stack(spec, 3).eval()
    sharpen(stack)
    inputs = torch.randn(6, 1, 3)
    initial = [(torch.randn(1, 4), torch.randn(1, 4)) if cell == "lstm" else torch.randn(1, 4) for _ in range(4)]
    traces = trace_sequence(stack, inputs[:, 0], initial)  # (T, d) works as well as (T, 1, d)
    for trace, entry in zip(traces, initial):
        h0 = entry[0] if isinstance(entry, tuple) else entry
        np.testing.assert_array_equal(trace.h0, h0[0].numpy())
    check_against_stack(stack, inputs, traces, initial)
    check_against_reference(stack, traces)


def test_the_two_gru_variants_differ_where_the_reset_gate_acts() -> None:
    torch.manual_seed(3)
    torch_gru = build_stack(StackSpec("gru", (6,), implementation="scratch"), 4).eval()
    book_gru = build_stack(StackSpec("gru-book", (6,)), 4).eval()
    sharpen(torch_gru)
    book_gru.load_state_dict(torch_gru.state_dict())
    inputs = torch.randn(8, 4)
    a, b = trace_sequence(torch_gru, inputs)[0], trace_sequence(book_gru, inputs)[0]
    np.testing.assert_allclose(a.gates["reset"][0], b.gates["reset"][0], atol=ATOL)  # same h0 = 0, same gates
    assert np.abs(a.gates["candidate"] - b.gates["candidate"]).max() > 1e-2  # but not the same candidate
    assert "r_t ⊙ (W_hn h_{t-1} + b_hn)" in equations_for("gru")["candidate"]
    assert "W_hn (r_t ⊙ h_{t-1})" in equations_for("gru-book")["candidate"]


def test_trace_sequence_refuses_wrong_shapes() -> None:
    stack = build_stack(StackSpec("gru", (4,)), 3)
    with pytest.raises(ValueError, match="does not fit|do not fit"):
        trace_sequence(stack, torch.zeros(5, 2))
    with pytest.raises(ValueError, match="T >= 1"):
        trace_sequence(stack, torch.zeros(0, 3))
    with pytest.raises(ValueError, match="1 entries"):
        trace_sequence(stack, torch.zeros(5, 3), [torch.zeros(1, 4)] * 2)


def test_a_trace_is_read_only_and_describes_its_equations() -> None:
    stack = build_stack(StackSpec("lstm", (4,)), 3)
    trace = GateTrace(("a", "b"), "lstm", "lm", tuple(trace_sequence(stack, torch.ones(2, 3))))
    with pytest.raises(ValueError):
        trace.get(0, "forward", "forget")[0, 0] = 1.0
    assert trace.equations["cell"] == "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t"
    assert set(trace.equations) == set(GATE_NAMES["lstm"]) and "LSTM" in trace.variant_description
    assert all(name in VALUE_RANGES for names in GATE_NAMES.values() for name in names)
    assert trace.get(0, 0, "hidden") is trace.get(0, "forward", "hidden")
    with pytest.raises(KeyError, match="no gate 'reset'"):
        trace.get(0, "forward", "reset")
    with pytest.raises(KeyError, match="no layer 0 backward"):
        trace.get(0, "backward", "hidden")


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-book", "lstm"])
def test_traces_share_no_memory_and_run_in_threads(cell) -> None:
    """Work arrays are reused per thread: a later trace must not change an earlier one."""
    torch.manual_seed(4)
    spec = StackSpec(cell, (8, 8), True, implementation="scratch" if cell == "gru-book" else "auto")
    stack = build_stack(spec, 3).eval()
    sharpen(stack)
    first_input, second_input = torch.randn(12, 3), torch.randn(12, 3)
    first = trace_sequence(stack, first_input)
    kept = [{n: a.copy() for n, a in d.gates.items()} for d in first]
    trace_sequence(stack, second_input)
    for d, saved in zip(first, kept):
        for name, values in saved.items():
            np.testing.assert_array_equal(d.gates[name], values)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda x: trace_sequence(stack, x), [second_input, first_input] * 3))
    for d, saved in zip(results[1], kept):
        for name, values in saved.items():
            np.testing.assert_array_equal(d.gates[name], values)


def test_blas_threads_are_restored_after_a_trace() -> None:
    blas = kernels._find_openblas()
    if not blas:
        pytest.skip("no OpenBLAS found in this process")
    before = [get() for get, _ in blas]
    with kernels._one_blas_thread():
        assert [get() for get, _ in blas] == [1] * len(blas)
        with kernels._one_blas_thread():  # nested: still one thread, restored only at the end
            pass
        assert [get() for get, _ in blas] == [1] * len(blas)
    assert [get() for get, _ in blas] == before
    trace_sequence(build_stack(StackSpec("gru", (4,)), 3), torch.zeros(5, 3))
    assert [get() for get, _ in blas] == before


# ---- language models -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def char_data(tmp_path_factory: pytest.TempPathFactory) -> LmData:
    # A user file, cleaned with the "lower" rule: '.', ',' and ' ' are tokens; z, b, r are not.
    return lm_data(tmp_path_factory.mktemp("char"), "the cat sat on the mat, then ate. " * 30)


def lm_bundle(data: LmData, stack: StackSpec, embed: int | None = None, seed: int = 0) -> ModelBundle:
    bundle = bundle_for(data, ModelConfig(task="lm", stack=stack, embed_size=embed), seed=seed)
    bundle.model.eval()
    sharpen(bundle.model.stack)
    return bundle


@pytest.mark.parametrize("cell, hidden, bidirectional, implementation, embed", [
    ("rnn", (6,), False, "auto", None),
    ("gru", (6, 6), True, "auto", 4),
    ("gru-book", (5, 7), False, "auto", None),
    ("lstm", (6, 6), True, "fused", 4),
    ("lstm", (5, 3), True, "scratch", None),
])
def test_trace_lm_equals_the_model(char_data, cell, hidden, bidirectional, implementation, embed) -> None:
    bundle = lm_bundle(char_data, StackSpec(cell, hidden, bidirectional, implementation=implementation), embed)
    trace = trace_lm(bundle, "The cat ate the mat.")
    assert trace.tokens == tuple("the cat ate the mat.") and trace.part == "lm" and trace.cell_variant == cell
    assert len(trace.notices) == int(bidirectional)  # a bidirectional LM's predictions peek ahead
    assert all("bidirectional" in n for n in trace.notices)
    assert (trace.num_layers, trace.num_directions) == (len(hidden), 2 if bidirectional else 1)
    model = bundle.model
    ids = torch.tensor([bundle.vocabs[0].indices(trace.tokens)])  # (1, T)
    with torch.no_grad():
        inputs = model.embed(ids)  # (T, 1, E)
        logits, _ = model(ids)  # (1, T, V)
    check_against_stack(model.stack, inputs, list(trace.directions))
    check_against_reference(model.stack, list(trace.directions))
    assert trace.predicted == tuple(bundle.vocabs[0].to_tokens(logits[0].argmax(-1).tolist()))


def test_unknown_characters_are_read_as_unk_and_named(char_data) -> None:
    bundle = lm_bundle(char_data, StackSpec("gru", (4,)))
    trace = trace_lm(bundle, "the zebra")
    assert trace.tokens == ("t", "h", "e", " ", UNK, "e", UNK, UNK, "a")
    assert len(trace.notices) == 1
    assert "not in the model's vocabulary" in trace.notices[0] and UNK in trace.notices[0]
    assert trace.notices[0].endswith(": z, b, r")


def test_long_text_is_trimmed_with_a_notice(char_data) -> None:
    bundle = lm_bundle(char_data, StackSpec("gru", (4,)))
    trace = trace_lm(bundle, "the cat " * 10, max_tokens=12)
    assert trace.tokens == tuple("the cat the ") and trace.num_steps == 12
    assert trace.get(0, "forward", "hidden").shape == (12, 4)
    assert any("79 tokens" in n and "first 12" in n and "max_tokens" in n for n in trace.notices)
    with pytest.raises(DataError, match="max_tokens must be at least 1, not 0"):
        trace_lm(bundle, "the cat", max_tokens=0)


def test_empty_text_is_refused(char_data, tmp_path) -> None:
    bundle = lm_bundle(char_data, StackSpec("gru", (4,)))
    for text in ("", "   \n"):
        with pytest.raises(DataError, match="probe text is empty; type some text"):
            trace_lm(bundle, text)
    letters = lm_bundle(lm_data(tmp_path, "the cat sat. " * 30, lm_cleaning="letters"), StackSpec("gru", (4,)))
    with pytest.raises(DataError, match="empty once cleaned for this model .*letters a-z only"):
        trace_lm(letters, "1234 !?")


# ---- translation -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mt_data(tmp_path_factory: pytest.TempPathFactory) -> MtData:
    path = tmp_path_factory.mktemp("mt") / "pairs.tsv"
    path.write_text("\n".join(PAIRS) + "\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=6, batch_size=4, min_freq=1,
                                 val_fraction=0.0, test_fraction=0.0))
    assert isinstance(data, MtData)
    return data


def mt_bundle(data: MtData, encoder: StackSpec, decoder: StackSpec, seed: int = 0) -> ModelBundle:
    bundle = bundle_for(data, ModelConfig(task="mt", stack=encoder, decoder=decoder, embed_size=4), seed=seed)
    bundle.model.eval()
    sharpen(bundle.model.encoder.stack)
    sharpen(bundle.model.decoder.stack)
    return bundle


MT_MODELS = [
    (StackSpec("gru", (6, 6)), StackSpec("gru", (6, 6))),  # the book's: identity bridge
    (StackSpec("lstm", (5, 5), bidirectional=True), StackSpec("lstm", (6, 6))),  # linear bridge, cell states
    (StackSpec("rnn", (4,), bidirectional=True), StackSpec("gru-book", (5,))),
    (StackSpec("gru-book", (4, 6)), StackSpec("lstm", (3, 5), implementation="scratch")),
]


@pytest.mark.parametrize("encoder, decoder", MT_MODELS, ids=["gru", "lstm-bi", "rnn-bi+gru-book", "gru-book+lstm"])
def test_trace_translation_equals_the_model(mt_data, encoder, decoder) -> None:
    bundle = mt_bundle(mt_data, encoder, decoder)
    enc, dec = trace_translation(bundle, "He ran.")
    assert (enc.part, dec.part) == ("encoder", "decoder")
    assert (enc.cell_variant, dec.cell_variant) == (encoder.cell, decoder.cell)
    assert enc.tokens == ("he", "ran", ".", EOS, PAD, PAD)  # padded to num_steps, as the model reads it
    assert any(PAD in n for n in enc.notices)
    model = bundle.model
    src = torch.tensor([bundle.vocabs[0].indices(enc.tokens)])  # (1, S)
    with torch.no_grad():
        enc_inputs = model.encoder.embedding(src.T)  # (S, 1, E)
        state, context, _ = model.start(src)
    check_against_stack(model.encoder.stack, enc_inputs, list(enc.directions))
    check_against_reference(model.encoder.stack, list(enc.directions))
    # The decoder: its real inputs (embedding ⊕ context) from the bridged state.
    result = translate(bundle, "He ran.")
    assert dec.tokens[0] == BOS and dec.tokens[1:] == result.tokens[:len(dec.tokens) - 1]
    tgt = torch.tensor([bundle.vocabs[1].indices(dec.tokens)])  # (1, T)
    with torch.no_grad():
        embs = model.decoder.embedding(tgt.T)  # (T, 1, E)
        dec_inputs = torch.cat([embs, context.unsqueeze(0).expand(embs.shape[0], -1, -1)], dim=-1)
        logits, _ = model.decoder(tgt, state, context)  # (1, T, V)
    np.testing.assert_allclose(dec.directions[0].x, dec_inputs[:, 0].numpy(), atol=0)
    check_against_stack(model.decoder.stack, dec_inputs, list(dec.directions), state)
    check_against_reference(model.decoder.stack, list(dec.directions))
    assert dec.predicted == tuple(bundle.vocabs[1].to_tokens(logits[0].argmax(-1).tolist()))
    # The teacher-forced decoder says again what greedy decoding produced.
    assert dec.predicted[:len(result.tokens)] == result.tokens[:len(dec.predicted)]


def favour(bundle: ModelBundle, token: str) -> None:
    """Make the decoder say ``token`` whatever it reads."""
    with torch.no_grad():
        bundle.model.decoder.output.bias.zero_()  # only this token is favoured, not an earlier one too
        bundle.model.decoder.output.bias[bundle.vocabs[1].index(token)] = 1e4


def test_decoder_trace_ends_where_the_translation_ends(mt_data) -> None:
    bundle = mt_bundle(mt_data, StackSpec("gru", (4,)), StackSpec("gru", (4,)))
    favour(bundle, EOS)  # the model stops at once: the decoder read <bos> only
    _, dec = trace_translation(bundle, "go .")
    assert dec.tokens == (BOS,) and dec.predicted == (EOS,) and dec.notices == ()
    favour(bundle, "il")  # never <eos>: it stops at max_tokens, and the last word is never read back
    _, dec = trace_translation(bundle, "go .", max_tokens=4)
    assert dec.tokens == (BOS, "il", "il", "il") and dec.predicted == ("il",) * 4
    assert any("max_tokens=4 without <eos>" in n for n in dec.notices)


def test_translation_notices_unknown_words_and_trimming(mt_data) -> None:
    bundle = mt_bundle(mt_data, StackSpec("gru", (4,)), StackSpec("gru", (4,)))
    enc, _ = trace_translation(bundle, "He ran with the zebra.")
    assert enc.tokens == ("he", "ran", UNK, UNK, UNK, ".")  # num_steps=6 cuts <eos> off, as translate does
    assert any("zebra" in n and UNK in n for n in enc.notices)
    assert any("the model reads 6" in n for n in enc.notices)
    with pytest.raises(DataError, match="sentence is empty"):
        trace_translation(bundle, "  ")


def test_each_tracer_refuses_the_other_task(char_data, mt_data) -> None:
    lm = lm_bundle(char_data, StackSpec("gru", (4,)))
    mt = mt_bundle(mt_data, StackSpec("gru", (4,)), StackSpec("gru", (4,)))
    with pytest.raises(DataError, match="translation model; trace it with trace_translation"):
        trace_lm(mt, "go")
    with pytest.raises(DataError, match="language model; trace it with trace_lm"):
        trace_translation(lm, "go")


# ---- export ----------------------------------------------------------------------------------


def expected_keys(trace: GateTrace) -> set[str]:
    keys = {"format", "version", "tokens", "cell_variant", "part", "notices", "predicted"}
    for d in trace.directions:
        extra = ["x", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h0"]
        extra += ["c0"] if trace.cell_variant == "lstm" else []
        keys |= {f"{d.layer}/{d.direction}/{n}" for n in (*GATE_NAMES[trace.cell_variant], *extra)}
    return keys


@pytest.mark.parametrize("cell", ["rnn", "gru-book", "lstm"])
def test_npz_round_trip(char_data, tmp_path, cell) -> None:
    bundle = lm_bundle(char_data, StackSpec(cell, (4, 3), True, implementation="scratch"))
    trace = trace_lm(bundle, "the zebra, at the cat", max_tokens=15)
    path = trace.to_npz(tmp_path / "trace.npz")
    with np.load(path, allow_pickle=False) as npz:  # plain arrays: no pickle needed
        assert set(npz.files) == expected_keys(trace)
        assert list(npz["tokens"]) == list(trace.tokens) and " " in list(npz["tokens"])
        assert str(npz["cell_variant"]) == cell
        assert npz["1/backward/hidden"].shape == (15, 3) and npz["1/backward/x"].shape == (15, 8)
        assert npz["0/forward/weight_hh"].shape == (len(GATES[cell]) * 4, 4)
    back = GateTrace.from_npz(path)
    assert (back.tokens, back.cell_variant, back.part, back.notices, back.predicted) == (
        trace.tokens, trace.cell_variant, trace.part, trace.notices, trace.predicted)
    assert len(trace.notices) == 3  # trimmed, unknown characters, bidirectional
    for a, b in zip(trace.directions, back.directions):
        assert (a.layer, a.direction) == (b.layer, b.direction)
        for name in a.gates:
            np.testing.assert_array_equal(a.gates[name], b.gates[name])
        for name in ("x", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h0", "c0"):
            left, right = getattr(a, name), getattr(b, name)
            assert (left is None) == (right is None)
            if left is not None:
                np.testing.assert_array_equal(left, right)


def test_from_npz_refuses_other_files(tmp_path) -> None:
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(DataError, match="holds no rnnviz gate trace"):
        GateTrace.from_npz(other)
    junk = tmp_path / "junk.npz"
    junk.write_text("hello")
    with pytest.raises(DataError, match="cannot be read as an NPZ file"):
        GateTrace.from_npz(junk)
    with pytest.raises(DataError, match="no such file"):
        GateTrace.from_npz(tmp_path / "missing.npz")


def test_csv_is_long_format_with_a_header(char_data, mt_data, tmp_path) -> None:
    trace = trace_lm(lm_bundle(char_data, StackSpec("gru", (3,), True)), "at, the")
    path = trace.to_csv(tmp_path / "trace.csv")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["part", "layer", "direction", "gate", "step", "token", "unit", "value"]
    assert len(rows) - 1 == 2 * 4 * 7 * 3  # directions × gates × steps × units
    by_key = {(r[1], r[2], r[3], r[4], r[6]): r for r in rows[1:]}
    row = by_key[("0", "backward", "update", "2", "1")]
    assert row[0] == "lm" and row[5] == ","  # the comma token survives quoting
    assert np.float32(float(row[7])) == trace.get(0, "backward", "update")[2, 1]
    enc, dec = trace_translation(mt_bundle(mt_data, StackSpec("lstm", (2,)), StackSpec("lstm", (2,))), "go .")
    both = write_csv([enc, dec], tmp_path / "mt.csv")
    with both.open(encoding="utf-8", newline="") as f:
        parts = {r["part"] for r in csv.DictReader(f)}
    assert parts == {"encoder", "decoder"}


def test_a_failed_write_keeps_the_previous_file(char_data, tmp_path, monkeypatch) -> None:
    trace = trace_lm(lm_bundle(char_data, StackSpec("gru", (3,))), "the cat")
    path = tmp_path / "trace.csv"
    path.write_text("precious\n")

    def rows_then_disk_full(t: GateTrace):
        yield ("lm", 0, "forward", "reset", 0, "t", 0, "0.5")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(records, "_csv_rows", rows_then_disk_full)
    with pytest.raises(DataError, match="No space left on device.*previous file, if any, is unchanged"):
        trace.to_csv(path)
    assert path.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.csv"]  # no temporary file left behind


def test_part_path_names_one_file_per_part() -> None:
    assert part_path("out/trace.npz", "encoder") == Path("out/trace.encoder.npz")
    assert part_path("trace", "decoder") == Path("trace.decoder.npz")
