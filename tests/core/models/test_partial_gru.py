"""The GRUs with one gate (the book's exercise 4 of section 10.2): gru-reset and gru-update.

Each is checked against plain torch ops written here, against the full book GRU with the
missing gate pinned (z ≈ 0 gives gru-reset, r ≈ 1 gives gru-update), through a checkpoint,
and by a short training run.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.config import CELL_VARIANTS, CELLS, GATES, DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import LmData, build_data
from rnnviz.core.errors import ConfigError
from rnnviz.core.models.anatomy import anatomy
from rnnviz.core.models.cells import EQUATIONS, CellWeights, cell_step
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.models.init_scheme import describe_init
from rnnviz.core.models.labels import stack_label
from rnnviz.core.models.stacks import ScratchStack, build_stack, parameter_names
from rnnviz.core.train import run, train
from tests.core.models.builders import built, numel

PARTIAL = ("gru-reset", "gru-update")
B, I, H = 3, 4, 5


def _weights(seed: int) -> CellWeights:
    gen = torch.Generator().manual_seed(seed)
    shapes = ((2 * H, I), (2 * H, H), (2 * H,), (2 * H,))
    return CellWeights(*(0.6 * torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes))


def _inputs(seed: int) -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(B, I, generator=gen, dtype=torch.float64),
            torch.randn(B, H, generator=gen, dtype=torch.float64))


def _book(w: CellWeights, k: int) -> tuple[Tensor, Tensor, Tensor]:
    """Block k as the book writes it: X W_x (I, H), H W_h (H, H) and one bias, sliced here by hand."""
    rows = slice(k * H, (k + 1) * H)
    return w.w_ih[rows].T, w.w_hh[rows].T, w.b_ih[rows] + w.b_hh[rows]


# --- the step against the exercise's equations --------------------------------------------


def test_reset_only_step_is_the_candidate_with_the_reset_gate_before_the_matmul() -> None:
    w = _weights(0)
    X, Hp = _inputs(1)
    W_xr, W_hr, b_r = _book(w, 0)
    W_xh, W_hh, b_h = _book(w, 1)
    R = 1 / (1 + torch.exp(-(X @ W_xr + Hp @ W_hr + b_r)))
    H_tilde = torch.tanh(X @ W_xh + (R * Hp) @ W_hh + b_h)
    step = cell_step("gru-reset", X, Hp, w)
    torch.testing.assert_close(step.r, R)
    torch.testing.assert_close(step.n, H_tilde)
    torch.testing.assert_close(step.h, H_tilde)  # no update gate: H_t = H̃_t


def test_update_only_step_mixes_the_old_state_and_an_ungated_candidate() -> None:
    w = _weights(2)
    X, Hp = _inputs(3)
    W_xz, W_hz, b_z = _book(w, 0)
    W_xh, W_hh, b_h = _book(w, 1)
    Z = 1 / (1 + torch.exp(-(X @ W_xz + Hp @ W_hz + b_z)))
    H_tilde = torch.tanh(X @ W_xh + Hp @ W_hh + b_h)
    step = cell_step("gru-update", X, Hp, w)
    torch.testing.assert_close(step.z, Z)
    torch.testing.assert_close(step.n, H_tilde)
    torch.testing.assert_close(step.h, Z * Hp + (1 - Z) * H_tilde)


@pytest.mark.parametrize("cell", PARTIAL)
def test_a_three_block_weight_set_is_refused_with_a_clear_message(cell: str) -> None:
    X, Hp = _inputs(0)
    gen = torch.Generator().manual_seed(0)
    full = CellWeights(*(torch.randn(s, generator=gen, dtype=torch.float64)
                         for s in ((3 * H, I), (3 * H, H), (3 * H,), (3 * H,))))
    with pytest.raises(ValueError, match="2 gate block"):
        cell_step(cell, X, Hp, full)


def test_equations_name_what_each_cell_has_and_lacks() -> None:
    assert GATES["gru-reset"] == ("r", "n") and GATES["gru-update"] == ("z", "n")
    reset, update = "\n".join(EQUATIONS["gru-reset"]), "\n".join(EQUATIONS["gru-update"])
    assert "W_hn (r_t ⊙ h_{t-1})" in reset and "z_t" not in reset and EQUATIONS["gru-reset"][-1] == "h_t = n_t"
    assert "r_t" not in update and "W_hn h_{t-1}" in update
    assert "reset gate only" in CELL_VARIANTS["gru-reset"] and "update gate only" in CELL_VARIANTS["gru-update"]


# --- parity with the full book GRU, the missing gate pinned -------------------------------


def _full_gru_from_partial(partial: ScratchStack, pinned: float) -> ScratchStack:
    """A gru-book stack holding the partial stack's blocks, the missing gate's weights zero and
    its bias ``pinned`` (−40: z ≈ 0, +40: r ≈ 1)."""
    spec = partial.spec
    full = build_stack(StackSpec("gru-book", spec.hidden_sizes, spec.bidirectional,
                                 backward_sizes=spec.backward_sizes), partial.input_size).double()
    missing = 1 if spec.cell == "gru-reset" else 0  # the book GRU's blocks are r, z, n
    with torch.no_grad():
        for layer in range(spec.num_layers):
            for d in range(spec.num_directions):
                for name in parameter_names(layer, d):
                    source, target = getattr(partial.rnn, name), getattr(full.rnn, name)
                    h = source.shape[0] // 2
                    kept = [k for k in range(3) if k != missing]
                    target.zero_()
                    for block, k in enumerate(kept):
                        target[k * h:(k + 1) * h] = source[block * h:(block + 1) * h]
                    if name.startswith("bias_ih"):
                        target[missing * h:(missing + 1) * h] = pinned
    return full


@pytest.mark.parametrize("cell, pinned", [("gru-reset", -40.0), ("gru-update", 40.0)])
def test_the_full_gru_with_the_missing_gate_pinned_computes_the_same(cell: str, pinned: float) -> None:
    torch.manual_seed(0)
    spec = StackSpec(cell, (5, 3), bidirectional=True, backward_sizes=(4, 2))
    partial = build_stack(spec, 6).double()
    assert isinstance(partial, ScratchStack)
    full = _full_gru_from_partial(partial, pinned)
    x = torch.randn(7, 2, 6, dtype=torch.float64)  # (T, B, I)
    state = [torch.randn(2, h, dtype=torch.float64) for k in range(2) for h in spec.direction_sizes(k)]
    ours, our_final = partial(x, state)
    theirs, their_final = full(x, state)
    torch.testing.assert_close(ours, theirs, atol=1e-12, rtol=0)
    for a, b in zip(our_final, their_final):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=0)


# --- the stack, the config, the counts ------------------------------------------------------


@pytest.mark.parametrize("cell", PARTIAL)
def test_auto_picks_scratch_and_fused_is_refused_with_the_reason(cell: str) -> None:
    assert cell in CELLS
    spec = StackSpec(cell, (8, 8))
    assert not spec.fusable and spec.resolved_implementation == "scratch"
    assert isinstance(build_stack(spec, 3), ScratchStack)
    with pytest.raises(ConfigError, match="no fused kernel.*scratch"):
        StackSpec(cell, (8,), implementation="fused")


@pytest.mark.parametrize("cell", PARTIAL)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_parameter_counts_follow_the_two_block_formula_and_match_the_model(cell: str, bidirectional: bool) -> None:
    config = ModelConfig("lm", StackSpec(cell, (6, 4), bidirectional=bidirectional), embed_size=5)
    info = anatomy(config, (11,))
    first = info.layers[0].directions[0]
    d, h = 5, 6
    assert first.gate_blocks == 2
    assert first.book_params == 2 * (d * h + h * h + h)
    assert first.torch_params == 2 * (d * h + h * h + 2 * h)
    assert first.formula == f"2 × ({d}·{h} + {h}·{h} + {h}) = {2 * (d * h + h * h + h):,}"
    assert info.total_params == numel(built(config, (11,)))
    assert config.weight_count(11) == sum(layer.torch_params for layer in info.layers) + 5 * 11


@pytest.mark.parametrize("cell, words", [("gru-reset", "reset gate only"), ("gru-update", "update gate only")])
def test_labels_and_the_book_init_name_the_cell(cell: str, words: str) -> None:
    config = ModelConfig("lm", StackSpec(cell, (8,)))
    assert stack_label(config.stack).startswith("GRU(")
    assert "N(0, 0.01²)" in describe_init(config) and words in describe_init(config)


@pytest.mark.parametrize("cell", PARTIAL)
def test_book_init_draws_the_scratch_classes_weights(cell: str) -> None:
    torch.manual_seed(0)
    model = built(ModelConfig("lm", StackSpec(cell, (64,)), init="book"), (28,))
    weight = model.stack.rnn.weight_hh_l0.detach()
    assert weight.shape == (2 * 64, 64)
    assert 0.007 < float(weight.std()) < 0.013  # N(0, 0.01²)
    assert float(model.stack.rnn.bias_ih_l0.detach().abs().max()) == 0.0


# --- checkpoint and training ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> LmData:
    path = tmp_path_factory.mktemp("partial") / "tiny.txt"
    path.write_text("the cat sat on the mat and the rat ran to the hat. " * 40, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=10, batch_size=16))
    assert isinstance(data, LmData)
    return data


@pytest.mark.parametrize("cell", PARTIAL)
def test_a_short_training_lowers_the_loss_and_the_checkpoint_round_trips(cell: str, tiny_data: LmData,
                                                                        tmp_path) -> None:
    config = ModelConfig("lm", StackSpec(cell, (24,)), embed_size=8, init="torch")
    bundle = bundle_for(tiny_data, config, seed=3)
    bundle.train_config = TrainConfig(epochs=4, lr=2.0, seed=3, grad_clip=1.0)
    losses: list[float] = []
    finished = run(train(bundle.model, tiny_data, bundle.train_config),
                   lambda e: losses.append(e.loss) if hasattr(e, "batches") else None)
    assert finished.reason == "completed"
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < first - 0.3, f"{cell}: loss {first:.3f} -> {last:.3f}"
    bundle.model.eval()
    saved = save_checkpoint(bundle, tmp_path / f"{cell}.pt")
    loaded = load_checkpoint(saved)
    assert loaded.model_config.stack.cell == cell
    assert loaded.model_config.stack.resolved_implementation == "scratch"
    ids = torch.tensor([[1, 2, 3, 4, 5]])
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(ids)[0], bundle.model(ids)[0])
