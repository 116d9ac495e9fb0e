"""The book's RNN language model and encoder–decoder: shapes, the bridge, the context vector, the masked loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import MtData, build_data
from rnnviz.core.data.vocab import EOS, PAD, Vocab
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.factory import build_model, bundle_for
from rnnviz.core.models.lm import RNNLM
from rnnviz.core.models.seq2seq import LinearBridge, Seq2Seq, context_of

B, T, V = 3, 5, 11
SRC_V, TGT_V, PAD_INDEX = 13, 17, 0


def tokens(batch: int = B, steps: int = T, vocab: int = V, seed: int = 0) -> torch.Tensor:
    return torch.randint(vocab, (batch, steps), generator=torch.Generator().manual_seed(seed))


def lm(stack: StackSpec, embed_size: int | None = None, seed: int = 0) -> RNNLM:
    torch.manual_seed(seed)
    return RNNLM(ModelConfig(task="lm", stack=stack, embed_size=embed_size), V)


def seq2seq(encoder: StackSpec, decoder: StackSpec, bridge: str = "auto", seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    config = ModelConfig(task="mt", stack=encoder, decoder=decoder, embed_size=6, bridge=bridge)  # type: ignore[arg-type]
    return Seq2Seq(config, SRC_V, TGT_V, PAD_INDEX)


def hidden(entry):
    return entry[0] if isinstance(entry, tuple) else entry


# ---- language model ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [
    StackSpec(cell="gru", hidden_sizes=(8,)),
    StackSpec(cell="lstm", hidden_sizes=(8, 8)),
    StackSpec(cell="gru-book", hidden_sizes=(8, 6)),  # scratch implementation
    StackSpec(cell="rnn", hidden_sizes=(8,), implementation="scratch"),
])
def test_lm_with_one_hot_inputs_gives_logits_per_position(spec):
    model = lm(spec)
    assert model.embedding is None
    ids = tokens()
    # One-hot inputs, time first, as the book's RNNLMScratch feeds them.
    assert torch.equal(model.embed(ids), F.one_hot(ids.T, V).float())
    logits, state = model(ids)
    assert logits.shape == (B, T, V)
    assert len(state) == spec.num_layers
    for size, entry in zip(spec.hidden_sizes, state):
        assert hidden(entry).shape == (B, size)
        assert isinstance(entry, tuple) == (spec.cell == "lstm")


def test_lm_with_embedding():
    model = lm(StackSpec(cell="gru", hidden_sizes=(8,)), embed_size=4)
    assert model.embedding is not None and model.embedding.weight.shape == (V, 4)
    assert model.stack.input_size == 4
    ids = tokens()
    assert model.embed(ids).shape == (T, B, 4)
    logits, _ = model(ids)
    assert logits.shape == (B, T, V)


def test_bidirectional_lm_reads_both_directions():
    spec = StackSpec(cell="lstm", hidden_sizes=(8, 8), bidirectional=True)
    model = lm(spec, embed_size=4)
    assert model.output.in_features == 16  # forward and backward concatenated
    ids = tokens()
    logits, state = model(ids)
    assert logits.shape == (B, T, V)
    assert len(state) == 4  # two layers × two directions
    # The first position's logits depend on later tokens (which a left-to-right model never sees).
    changed = ids.clone()
    changed[:, -1] = (changed[:, -1] + 1) % V
    assert not torch.allclose(model(changed)[0][:, 0], logits[:, 0])


def test_unidirectional_lm_does_not_look_ahead():
    model = lm(StackSpec(cell="gru", hidden_sizes=(8,)))
    ids = tokens()
    changed = ids.clone()
    changed[:, -1] = (changed[:, -1] + 1) % V
    assert torch.equal(model(changed)[0][:, :-1], model(ids)[0][:, :-1])


def test_lm_state_carries_over_between_calls():
    model = lm(StackSpec(cell="lstm", hidden_sizes=(8,)))
    ids = tokens()
    whole, _ = model(ids)
    first, state = model(ids[:, :2])
    rest, _ = model(ids[:, 2:], state)
    torch.testing.assert_close(torch.cat([first, rest], dim=1), whole)
    last, _ = model.next_logits(ids)
    torch.testing.assert_close(last, whole[:, -1])


def test_lm_loss_is_mean_cross_entropy_and_counts_every_token():
    model = lm(StackSpec(cell="gru", hidden_sizes=(8,)))
    inputs, targets = tokens(seed=1), tokens(seed=2)
    logits, _ = model(inputs)
    expected = -torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).mean()
    torch.testing.assert_close(model.batch_loss([inputs, targets]), expected)
    assert model.count_tokens((inputs.numpy(), targets.numpy())) == B * T


# ---- encoder–decoder --------------------------------------------------------------------------


@pytest.mark.parametrize("implementation", ["fused", "scratch"])
@pytest.mark.parametrize("layers", [1, 2])
def test_seq2seq_identity_bridge_hands_the_encoder_state_to_the_decoder(implementation, layers):
    spec = StackSpec(cell="gru", hidden_sizes=(8,) * layers, implementation=implementation)  # type: ignore[arg-type]
    model = seq2seq(spec, spec)
    assert model.config.resolved_bridge == "identity" and model.bridge is None
    src, tgt = tokens(vocab=SRC_V, seed=1), tokens(steps=4, vocab=TGT_V, seed=2)
    enc_outputs, enc_state = model.encoder(src)
    state, context, outputs = model.start(src)
    assert outputs.shape == (T, B, 8)
    assert len(state) == layers
    for mine, theirs in zip(state, enc_state):
        torch.testing.assert_close(mine, theirs)
    # The context is the top layer's final hidden state: the book's enc_outputs[-1].
    assert context.shape == (B, 8)
    torch.testing.assert_close(context, enc_outputs[-1])
    torch.testing.assert_close(context, enc_state[-1])
    # Decoder inputs: embedding then context.
    assert model.decoder.stack.input_size == 6 + 8
    assert model(src, tgt).shape == (B, 4, TGT_V)


def test_seq2seq_bidirectional_encoder_uses_the_linear_bridge():
    encoder = StackSpec(cell="gru", hidden_sizes=(8, 8), bidirectional=True)
    decoder = StackSpec(cell="gru", hidden_sizes=(6, 6))
    model = seq2seq(encoder, decoder)
    assert isinstance(model.bridge, LinearBridge)
    assert [layer.in_features for layer in model.bridge.hidden] == [16, 16]
    assert [layer.out_features for layer in model.bridge.hidden] == [6, 6]
    src, tgt = tokens(vocab=SRC_V, seed=1), tokens(steps=4, vocab=TGT_V, seed=2)
    enc_outputs, enc_state = model.encoder(src)
    state, context, _ = model.start(src)
    assert [entry.shape for entry in state] == [(B, 6), (B, 6)]
    # Layer by layer: h_dec = tanh(W [h_fwd; h_bwd] + b).
    for layer in range(2):
        both = torch.cat([enc_state[2 * layer], enc_state[2 * layer + 1]], dim=-1)
        torch.testing.assert_close(state[layer], torch.tanh(model.bridge.hidden[layer](both)))
    # The context: the top layer's final states, forward (last step) then backward (first step).
    assert context.shape == (B, 16)
    torch.testing.assert_close(context[:, :8], enc_outputs[-1, :, :8])
    torch.testing.assert_close(context[:, 8:], enc_outputs[0, :, 8:])
    torch.testing.assert_close(context, context_of(encoder, enc_state))
    assert model.decoder.stack.input_size == 6 + 16
    assert model(src, tgt).shape == (B, 4, TGT_V)


def test_seq2seq_gru_encoder_to_lstm_decoder_starts_with_zero_cell_state():
    model = seq2seq(StackSpec(cell="gru", hidden_sizes=(8,)), StackSpec(cell="lstm", hidden_sizes=(8,)))
    assert model.config.resolved_bridge == "linear"
    assert model.bridge is not None and model.bridge.cell is None
    src = tokens(vocab=SRC_V)
    enc_outputs, _ = model.encoder(src)
    state, context, _ = model.start(src)
    (h, c), = state
    assert h.shape == c.shape == (B, 8)
    assert torch.equal(c, torch.zeros_like(c))
    assert not torch.equal(h, torch.zeros_like(h))
    torch.testing.assert_close(context, enc_outputs[-1])
    assert model(src, tokens(steps=3, vocab=TGT_V)).shape == (B, 3, TGT_V)


def test_seq2seq_lstm_to_lstm_linear_bridge_carries_the_cell_state():
    encoder = StackSpec(cell="lstm", hidden_sizes=(8,))
    decoder = StackSpec(cell="lstm", hidden_sizes=(6,))  # sizes differ: linear bridge
    model = seq2seq(encoder, decoder)
    assert model.bridge is not None and model.bridge.cell is not None
    src = tokens(vocab=SRC_V)
    enc_outputs, enc_state = model.encoder(src)
    (enc_h, enc_c), = enc_state
    (h, c), = model.start(src)[0]
    torch.testing.assert_close(h, torch.tanh(model.bridge.hidden[0](enc_h)))
    torch.testing.assert_close(c, torch.tanh(model.bridge.cell[0](enc_c)))
    assert not torch.allclose(c, torch.tanh(model.bridge.cell[0](torch.zeros_like(enc_c))))
    # The context is the hidden state, not the cell state.
    torch.testing.assert_close(model.start(src)[1], enc_outputs[-1])
    torch.testing.assert_close(model.start(src)[1], enc_h)
    assert model(src, tokens(steps=3, vocab=TGT_V)).shape == (B, 3, TGT_V)


def test_seq2seq_lstm_identity_bridge_passes_h_and_c():
    spec = StackSpec(cell="lstm", hidden_sizes=(8,))
    model = seq2seq(spec, spec)
    assert model.bridge is None
    src = tokens(vocab=SRC_V)
    _, enc_state = model.encoder(src)
    (h, c), = model.start(src)[0]
    torch.testing.assert_close(h, enc_state[0][0])
    torch.testing.assert_close(c, enc_state[0][1])


def test_decoder_output_depends_on_the_context():
    spec = StackSpec(cell="gru", hidden_sizes=(8,))
    model = seq2seq(spec, spec)
    src, tgt = tokens(vocab=SRC_V), tokens(steps=3, vocab=TGT_V)
    state, context, _ = model.start(src)
    logits, _ = model.decoder(tgt, state, context)
    other, _ = model.decoder(tgt, state, context + 1.0)
    assert not torch.allclose(logits, other)


# ---- masked loss ------------------------------------------------------------------------------


def test_masked_loss_ignores_padding():
    model = seq2seq(StackSpec(hidden_sizes=(8,)), StackSpec(hidden_sizes=(8,)))
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, TGT_V, generator=gen)
    targets = torch.tensor([[5, 3, 2, PAD_INDEX], [7, 2, PAD_INDEX, PAD_INDEX]])
    loss = model.loss(logits, targets)
    # By hand: the mean negative log-likelihood over the five real tokens.
    log_probs = torch.log_softmax(logits, -1)
    real = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    expected = -sum(log_probs[b, t, targets[b, t]] for b, t in real) / len(real)
    torch.testing.assert_close(loss, expected)
    # Whatever the model says at padded positions does not count.
    changed = logits.clone()
    changed[0, 3] = torch.randn(TGT_V, generator=gen) * 10
    changed[1, 2:] = 100.0
    torch.testing.assert_close(model.loss(changed, targets), loss)
    # ...while a real position does.
    changed[1, 1] += torch.randn(TGT_V, generator=gen) * 10
    assert not torch.allclose(model.loss(changed, targets), loss)


def test_masked_loss_of_all_padding_is_zero_not_nan():
    model = seq2seq(StackSpec(hidden_sizes=(8,)), StackSpec(hidden_sizes=(8,)))
    loss = model.loss(torch.randn(1, 3, TGT_V), torch.full((1, 3), PAD_INDEX))
    assert float(loss) == 0.0


# ---- with real data ---------------------------------------------------------------------------

PAIRS = ["go .\tva !", "i lost .\tj'ai perdu .", "he's calm .\til est calme .", "i'm home .\tje suis chez moi .",
         "we ran away from the big dog .\tnous avons fui le gros chien ."]


@pytest.fixture
def mt_data(tmp_path: Path) -> MtData:
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(PAIRS) + "\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=6, batch_size=5, min_freq=1,
                                 val_fraction=0.0, test_fraction=0.0))
    assert isinstance(data, MtData)
    return data


def test_count_tokens_counts_target_tokens_without_padding(mt_data):
    config = ModelConfig(task="mt", stack=StackSpec(hidden_sizes=(8,)), decoder=StackSpec(hidden_sizes=(8,)),
                         embed_size=4)
    bundle = bundle_for(mt_data, config)
    model = bundle.model
    assert model.pad_index == mt_data.tgt_vocab.index(PAD)
    batch = next(iter(mt_data.train_batches(0)))
    # Each target sentence: its words and <eos>, cut at num_steps=6 (the long one).
    expected = sum(min(len(pair.split("\t")[1].split()) + 1, 6) for pair in PAIRS)
    assert model.count_tokens(batch) == expected
    assert model.count_tokens(batch) == int((batch[3] != mt_data.tgt_vocab.index(PAD)).sum())
    loss = model.batch_loss([torch.from_numpy(a) for a in batch])
    assert loss.shape == () and torch.isfinite(loss)
    assert mt_data.tgt_vocab.index(EOS) in batch[3]


def test_build_model_checks_the_vocabularies():
    vocab = Vocab(["a", "b"], reserved=())
    lm_config = ModelConfig(task="lm", stack=StackSpec(hidden_sizes=(8,)))
    assert isinstance(build_model(lm_config, (vocab,)), RNNLM)
    with pytest.raises(ConfigError, match="one vocabulary"):
        build_model(lm_config, (vocab, vocab))
    mt_config = ModelConfig(task="mt", stack=StackSpec(hidden_sizes=(8,)), decoder=StackSpec(hidden_sizes=(8,)),
                            embed_size=4)
    with pytest.raises(ConfigError, match="source and a target vocabulary"):
        build_model(mt_config, (vocab,))


def test_bundle_for_refuses_data_of_the_other_task_and_is_deterministic(mt_data):
    with pytest.raises(ConfigError, match="cannot train on translation data"):
        bundle_for(mt_data, ModelConfig(task="lm", stack=StackSpec(hidden_sizes=(8,))))
    config = ModelConfig(task="mt", stack=StackSpec(hidden_sizes=(8,)), decoder=StackSpec(hidden_sizes=(8,)),
                         embed_size=4)
    first, second, other = (bundle_for(mt_data, config, seed=s) for s in (1, 1, 2))
    for (name, a), b in zip(first.model.state_dict().items(), second.model.state_dict().values()):
        assert torch.equal(a, b), name
    assert not torch.equal(first.model.encoder.embedding.weight, other.model.encoder.embedding.weight)
    assert first.vocabs == (mt_data.src_vocab, mt_data.tgt_vocab)
    assert first.data_config == mt_data.config and first.task == "mt"
    assert first.parameter_count() == sum(int(np.prod(p.shape)) for p in first.model.parameters())


# ---- unequal directions: bidirectional stacks whose backward direction has its own sizes ------

UNEQUAL_LM = ModelConfig(task="lm", stack=StackSpec(cell="lstm", hidden_sizes=(8, 6), bidirectional=True,
                                                    backward_sizes=(4, 5)))
UNEQUAL_MT = ModelConfig(task="mt", stack=StackSpec(cell="gru", hidden_sizes=(8, 6), bidirectional=True,
                                                    backward_sizes=(3, 4)),
                         decoder=StackSpec(cell="gru", hidden_sizes=(7, 7)), embed_size=5, bridge="linear")


@pytest.fixture
def lm_data(tmp_path: Path):
    from rnnviz.core.data.datasets import LmData

    path = tmp_path / "tiny.txt"
    path.write_text("the cat sat on the mat. " * 30, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8))
    assert isinstance(data, LmData)
    return data


def train_briefly(bundle, data) -> None:
    from rnnviz.core.config import TrainConfig
    from rnnviz.core.train import NonFinite, run, train

    before = {k: v.clone() for k, v in bundle.model.state_dict().items()}
    bundle.train_config = TrainConfig(epochs=1, lr=0.01, optimizer="adam", seed=0)
    outcome = run(train(bundle.model, data, bundle.train_config), bundle.history.add)
    assert not isinstance(outcome, NonFinite)
    assert bundle.history.step and all(np.isfinite(bundle.history.loss))
    changed = [k for k, v in bundle.model.state_dict().items() if not torch.equal(v, before[k])]
    assert any("reverse" in k for k in changed)  # the backward direction learned too


def test_unequal_bidirectional_lm_shapes():
    model = RNNLM(UNEQUAL_LM, V)
    assert model.output.in_features == 5 + 6  # top layer: h→ 6 and h← 5, concatenated
    assert model.stack.rnn.weight_ih_l1.shape == (4 * 6, 8 + 4)  # layer 1 reads [h→ 8; h← 4]
    logits, state = model(tokens())
    assert logits.shape == (B, T, V)
    assert [hidden(entry).shape for entry in state] == [(B, 8), (B, 4), (B, 6), (B, 5)]
    last, state = model.next_logits(tokens(steps=1), state)  # state carries over, as generation does
    assert last.shape == (B, V)


def test_unequal_bidirectional_lm_trains_and_round_trips(lm_data, tmp_path):
    from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint

    bundle = bundle_for(lm_data, UNEQUAL_LM, seed=3)
    train_briefly(bundle, lm_data)
    bundle.model.eval()
    loaded = load_checkpoint(save_checkpoint(bundle, tmp_path / "lm.pt"), "lm")
    assert loaded.model_config == UNEQUAL_LM and loaded.model_config.stack.backward_sizes == (4, 5)
    assert loaded.parameter_count() == bundle.parameter_count()
    ids = tokens(vocab=len(lm_data.vocab))
    with torch.no_grad():
        assert torch.equal(loaded.model(ids)[0], bundle.model(ids)[0])


def test_seq2seq_with_an_unequal_bidirectional_encoder_and_linear_bridge():
    torch.manual_seed(0)
    model = Seq2Seq(UNEQUAL_MT, SRC_V, TGT_V, PAD_INDEX)
    assert isinstance(model.bridge, LinearBridge)
    # Layer by layer the bridge reads [h→; h←] of that encoder layer: 8 + 3, then 6 + 4.
    assert [layer.in_features for layer in model.bridge.hidden] == [11, 10]
    assert [layer.out_features for layer in model.bridge.hidden] == [7, 7]
    src, tgt = tokens(vocab=SRC_V, seed=1), tokens(steps=4, vocab=TGT_V, seed=2)
    enc_outputs, enc_state = model.encoder(src)
    assert enc_outputs.shape == (T, B, 10)
    state, context, _ = model.start(src)
    assert [entry.shape for entry in state] == [(B, 7), (B, 7)]
    for layer in range(2):
        both = torch.cat([enc_state[2 * layer], enc_state[2 * layer + 1]], dim=-1)
        torch.testing.assert_close(state[layer], torch.tanh(model.bridge.hidden[layer](both)))
    # The context: the top layer's forward (last step, 6 wide) then backward (first step, 4 wide).
    assert context.shape == (B, 10)
    torch.testing.assert_close(context[:, :6], enc_outputs[-1, :, :6])
    torch.testing.assert_close(context[:, 6:], enc_outputs[0, :, 6:])
    assert model.decoder.stack.input_size == 5 + 10  # [embedding; context]
    assert model(src, tgt).shape == (B, 4, TGT_V)


def test_seq2seq_lstm_bridge_carries_unequal_cell_states():
    config = ModelConfig(task="mt", stack=StackSpec(cell="lstm", hidden_sizes=(8,), bidirectional=True,
                                                    backward_sizes=(3,)),
                         decoder=StackSpec(cell="lstm", hidden_sizes=(6,)), embed_size=5)
    model = Seq2Seq(config, SRC_V, TGT_V, PAD_INDEX)
    assert model.bridge is not None and model.bridge.cell is not None
    assert model.bridge.cell[0].in_features == 11
    (h, c), = model.start(tokens(vocab=SRC_V))[0]
    assert h.shape == c.shape == (B, 6)


def test_seq2seq_with_unequal_encoder_trains_and_round_trips(mt_data, tmp_path):
    from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
    from rnnviz.core.decoding import translate

    bundle = bundle_for(mt_data, UNEQUAL_MT, seed=4)
    train_briefly(bundle, mt_data)
    bundle.model.eval()
    loaded = load_checkpoint(save_checkpoint(bundle, tmp_path / "mt.pt"), "mt")
    assert loaded.model_config == UNEQUAL_MT
    batch = [torch.from_numpy(a) for a in next(iter(mt_data.train_batches(0)))]
    with torch.no_grad():
        assert torch.equal(loaded.model(*batch[:3]), bundle.model(*batch[:3]))
    assert translate(loaded, "i lost .").text == translate(bundle, "i lost .").text  # greedy decoding runs
