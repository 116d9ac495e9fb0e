"""gradients_lm and gradients_translation: the text read as in training, the model's own forward, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import build_data
from rnnviz.core.data.vocab import BOS, EOS, PAD, UNK
from rnnviz.core.errors import DataError
from rnnviz.core.gradients import gradients_lm, gradients_translation
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.models.shipped import load_shipped


@pytest.fixture(scope="module")
def lm_bundle(tmp_path_factory: pytest.TempPathFactory) -> ModelBundle:
    """A 2-layer LSTM character model with an embedding, on a user file (lowercased, not letters-only)."""
    corpus = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(corpus), num_steps=8, batch_size=8))
    return bundle_for(data, ModelConfig("lm", StackSpec("lstm", (6, 6)), embed_size=5))


@pytest.fixture(scope="module")
def mt_bundle() -> ModelBundle:
    bundle = load_shipped("mt")
    bundle.model.double()  # exact enough to compare with an independent computation
    return bundle


def test_a_language_model_reads_the_text_as_in_training(lm_bundle: ModelBundle) -> None:
    result = gradients_lm(lm_bundle, "The Cat  sat.")
    assert result.tokens == tuple("the cat sat.") and result.task == "lm" and result.notices == ()
    vocab = lm_bundle.vocabs[0]
    ids = torch.tensor([vocab.indices(result.tokens)])  # (1, n)
    with torch.no_grad():
        logits, _ = lm_bundle.model(ids[:, :-1])  # the model's own forward
        losses = F.cross_entropy(logits[0], ids[0, 1:], reduction="none")
    np.testing.assert_allclose(result.losses, losses.numpy(), rtol=1e-5)
    assert result.get(2).G.shape == (11, 11) and result.get(1).cell_g.shape == (11,)


def test_a_long_text_is_cut_to_max_tokens(lm_bundle: ModelBundle) -> None:
    result = gradients_lm(lm_bundle, "the cat sat on the mat", max_tokens=7)
    assert result.tokens == tuple("the cat") and "the gradients cover the first 7" in result.notices[0]
    with pytest.raises(DataError, match="max_tokens must be at least 2"):
        gradients_lm(lm_bundle, "the cat", max_tokens=1)


@pytest.mark.parametrize("text, message", [
    ("", "the text is empty"),
    ("  \n ", "the text is empty"),
    ("t", "leaves one token ('t')"),
    ("  T \n", "leaves one token ('t')"),
])
def test_too_short_a_text_is_refused(lm_bundle: ModelBundle, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        gradients_lm(lm_bundle, text)
    if text.strip():
        assert "two tokens at least" in str(refused.value)


def test_a_text_with_no_letters_leaves_nothing_for_a_letters_model() -> None:
    with pytest.raises(DataError, match="leaves nothing once cleaned .*letters a-z only"):
        gradients_lm(load_shipped("lm"), "42 !")


def test_unknown_tokens_are_named_and_refused_unless_allowed(lm_bundle: ModelBundle) -> None:
    with pytest.raises(DataError, match="lacks: 'b', 'x'") as refused:
        gradients_lm(lm_bundle, "the bat box")
    assert "--allow-unknown" in str(refused.value)
    result = gradients_lm(lm_bundle, "the bat box", allow_unknown=True)
    assert result.tokens[4] == UNK and any("read as <unk>: 'b', 'x'" in n for n in result.notices)


def test_each_task_asks_for_its_own_input(lm_bundle: ModelBundle, mt_bundle: ModelBundle) -> None:
    with pytest.raises(DataError, match="this is a translation model"):
        gradients_lm(mt_bundle, "the cat is black .")
    with pytest.raises(DataError, match="this is a language model"):
        gradients_translation(lm_bundle, "the cat", "le chat")
    for reference in (None, "", "   "):
        with pytest.raises(DataError, match="needs a reference translation"):
            gradients_translation(mt_bundle, "the cat is black .", reference)
    with pytest.raises(DataError, match="the sentence is empty"):
        gradients_translation(mt_bundle, " ", "le chat")
    with pytest.raises(DataError, match="the reference has tokens the model's vocabulary lacks: 'gelé'"):
        gradients_translation(mt_bundle, "the cat is black .", "le chat est gelé .")


def _independent_translation(bundle: ModelBundle, source: tuple[str, ...], target: tuple[str, ...]):
    """Per-loss losses, and ‖∂L/∂H^enc_t‖ of the top encoder layer by zero leaves added to the fused
    encoder's states, recomputed with torch.nn.GRUCell step by step."""
    model = bundle.model
    src_vocab, tgt_vocab = bundle.vocabs
    src = torch.tensor([src_vocab.indices(source)])
    tgt = torch.tensor([tgt_vocab.indices(target)])
    x = model.encoder.embedding(src.T)[:, 0].detach()  # (S, E)
    spec = model.config.stack
    state, leaves = [], []
    layer_in = x
    for layer in range(spec.num_layers):
        rnn = model.encoder.stack.rnn
        cell = torch.nn.GRUCell(layer_in.shape[1], spec.hidden_sizes[layer]).double()
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(rnn, f"{name}_l{layer}"))
        h = torch.zeros(1, spec.hidden_sizes[layer], dtype=torch.float64)
        hs = []
        for t in range(layer_in.shape[0]):
            leaf = torch.zeros_like(h, requires_grad=True)
            h = cell(layer_in[t:t + 1], h) + leaf
            hs.append(h)
            leaves.append(leaf)
        state.append(h)
        layer_in = torch.cat(hs)
    context = state[-1]  # the top layer's final state
    dec_state = model.bridge(state) if model.bridge is not None else state
    logits, _ = model.decoder(tgt[:, :-1], dec_state, context)  # the fused decoder
    losses = F.cross_entropy(logits[0], tgt[0, 1:], reduction="none")
    grads = torch.autograd.grad(losses.sum(), leaves[-len(source):])  # the top layer's leaves
    return losses.detach().numpy(), np.array([float(g.norm()) for g in grads])


def test_a_translation_model_is_scored_on_the_reference(mt_bundle: ModelBundle) -> None:
    result = gradients_translation(mt_bundle, "The cat is black.", "Le chat est noir.")
    assert result.task == "mt" and result.stack.part == "decoder"
    assert result.tokens == (BOS, "le", "chat", "est", "noir", ".", EOS)
    encoder = result.encoder
    assert encoder is not None and encoder.tokens[:6] == ("the", "cat", "is", "black", ".", EOS)
    assert set(encoder.tokens[6:]) == {PAD} and len(encoder.tokens) == mt_bundle.max_len
    src = torch.tensor([mt_bundle.vocabs[0].indices(encoder.tokens)])
    tgt = torch.tensor([mt_bundle.vocabs[1].indices(result.tokens)])
    with torch.no_grad():
        logits = mt_bundle.model(src, tgt[:, :-1])  # the model's own forward, teacher-forced
    np.testing.assert_allclose(result.losses, F.cross_entropy(logits[0], tgt[0, 1:], reduction="none").numpy(),
                               rtol=1e-5, atol=1e-12)
    losses, top_encoder_g = _independent_translation(mt_bundle, encoder.tokens, result.tokens)
    np.testing.assert_allclose(result.losses, losses, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(encoder.get(encoder.num_layers).g, top_encoder_g, rtol=1e-5)
    # The decoder is causal; every decoder loss reaches every encoder state.
    decoder_G = result.get(1).G
    assert np.array_equal(np.isnan(decoder_G), np.triu(np.ones((6, 6), bool), k=1))
    assert encoder.get(1).G.shape == (6, mt_bundle.max_len) and not np.isnan(encoder.get(1).G).any()


def test_a_translation_reference_is_cut_to_num_steps(mt_bundle: ModelBundle) -> None:
    long = "le chat est noir . " * 3
    result = gradients_translation(mt_bundle, "the cat is black .", long)
    assert len(result.tokens) == mt_bundle.max_len + 1 and result.tokens[-1] != EOS
    assert any("scored on the first" in n for n in result.notices)
    longer = gradients_translation(mt_bundle, "the cat is black .", long, max_tokens=16)
    assert longer.tokens[-1] == EOS and len(longer.tokens) == 17


def test_translation_g_alone_matches_the_maps(mt_bundle: ModelBundle) -> None:
    full = gradients_translation(mt_bundle, "the cat is black .", "le chat est noir .")
    alone = gradients_translation(mt_bundle, "the cat is black .", "le chat est noir .", maps=False)
    assert alone.encoder is not None and full.encoder is not None and alone.encoder.X is None
    for a, b in zip(full.parts, alone.parts):
        for x, y in zip(a, b):
            np.testing.assert_allclose(y.g, x.g, rtol=1e-6)
        np.testing.assert_allclose(b.x, a.x, rtol=1e-6)


def test_the_result_saves_and_reads_back(mt_bundle: ModelBundle, tmp_path: Path) -> None:
    from rnnviz.core.gradients import Gradients

    result = gradients_translation(mt_bundle, "the cat is black .", "le chat est noir .")
    back = Gradients.from_npz(result.to_npz(tmp_path / "mt.npz"))
    assert back.encoder is not None and back.encoder.tokens == result.encoder.tokens
    np.testing.assert_array_equal(back.encoder.get(2).G, result.encoder.get(2).G)
    with np.load(tmp_path / "mt.npz") as npz:
        assert {"source_tokens", "encoder/g/1/forward", "encoder/G/2/forward", "encoder/x/1/forward",
                "g/2/forward", "G/1/forward"} <= set(npz.files)


def test_gradients_that_would_not_fit_in_memory_are_refused(lm_bundle: ModelBundle,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnviz.core import limits
    from rnnviz.core.errors import ConfigError

    monkeypatch.setattr(limits, "available_memory", lambda: 1_000_000)  # 1 MB free
    with pytest.raises(ConfigError, match="gradients through time over 11 steps would need about .* use a shorter"):
        gradients_lm(lm_bundle, "the cat sat.")


class _Adding(torch.nn.Module):
    """The adding problem's shape: two numbers a step in, one number out."""

    def __init__(self) -> None:
        super().__init__()
        from rnnviz.core.models.stacks import build_stack

        torch.manual_seed(1)
        self.stack = build_stack(StackSpec("lstm", (5,), implementation="fused"), 2).double()
        self.output = torch.nn.Linear(5, 1).double()

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.transpose(0, 1).double()  # (B, T, 2) -> (T, B, 2)


def test_a_sequence_scored_at_its_last_step_by_squared_error() -> None:
    from rnnviz.core.gradients import gradients_sequence

    model = _Adding()
    torch.manual_seed(2)
    inputs = torch.rand(7, 2, dtype=torch.float64)
    targets = [float("nan")] * 6 + [0.8]
    result = gradients_sequence(model, inputs, targets, tokens=[f"x{t}" for t in range(1, 8)],
                                labels=[""] * 6 + ["sum"])
    assert np.isnan(result.losses[:6]).all() and np.isnan(result.get(1).G[:6]).all()
    x = inputs.clone().requires_grad_(True)
    outputs, _ = model.stack(x[:, None])  # the model's own forward
    loss = (model.output(outputs[-1, 0]) - 0.8).pow(2).sum()
    (grad,) = torch.autograd.grad(loss, x)
    assert result.losses[-1] == pytest.approx(float(loss.detach()), rel=1e-6)
    np.testing.assert_allclose(result.stack.x, grad.norm(dim=1).numpy(), rtol=1e-5)
    assert result.stack.inputs[0] == "x1" and result.stack.targets[-1] == "sum"


def test_a_sequence_with_targets_at_some_steps_only(lm_bundle: ModelBundle) -> None:
    from rnnviz.core.gradients import gradients_sequence

    ids = torch.tensor([3, 1, 4, 1, 5, 2])
    targets = torch.tensor([-1, -1, 3, 1, 4, 1])  # recall at lag 2: no target for the first two steps
    result = gradients_sequence(lm_bundle.model, ids, targets)
    assert np.isnan(result.losses[:2]).all() and (result.losses[2:] > 0).all()
    full = gradients_lm(lm_bundle, "the cat")  # the same engine: losses where a target exists are finite
    assert np.isnan(result.get(2).G[:2]).all() and not np.isnan(np.diag(result.get(2).G)[2:]).any()
    assert full.get(2).G.shape == (6, 6)
    with pytest.raises(ValueError, match="one per step"):
        gradients_sequence(lm_bundle.model, ids, targets[:3])
