"""A recurrent stack unrolled step by step in torch, keeping every state as a node of the graph.

The fused kernels (``torch.nn.LSTM`` ...) hide the states between steps, so
``∂ℓ/∂H_t`` cannot be asked of them. Here each layer-direction runs one step
at a time on the stack's own weights (torch's layout, read by ``layer_weights``,
so scratch and fused stacks alike) and each new state ``H_t`` (and ``C_t``) is
kept: ``torch.autograd.grad(loss, H_t)`` is then the gradient of the loss with
respect to that state, through every path it takes (the next step, the layer
above, the output layer).

Four choices keep the passes linear in the length, batchable and fast:

- The input part ``X W_ihᵀ + b`` of a layer-direction is computed per time
  block and split into steps (``split``'s backward is one ``cat``), never
  sliced per step: a slice's backward fills a tensor as large as the whole
  sequence, which made one backward quadratic in the length.
- The output of each time block is its own tensor, so the losses of block k
  reach only blocks ≤ k of a causal stack: a backward pass from them stops
  there (``through_time`` exploits this to save a third of the work of G).
- In the graph for batched passes (``batchable``), tanh is written
  ``2σ(2a) − 1`` with the factor 2 folded into the weights (exact: a power of
  two): torch's batched backward (``is_grads_batched``) has no batching rule
  for ``tanh_backward`` and fell back to a Python loop per row, 40 times
  slower. The LSTM's candidate is computed so in both graphs, which lets one
  sigmoid serve its four blocks.
- Each step reads its input part as a (1, G·H) row, so the backward of
  ``addmm`` needs no reduction to the bias's shape.

The cells follow ``rnnviz.core.models.cells.EQUATIONS``: ``gru`` applies the
reset gate after the hidden matmul as torch does, ``gru-book`` before it as the
book does; the GRUs with one gate (``gru-reset``, ``gru-update``) as their scratch
steps. No dropout: the model in evaluation mode.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from rnnviz.core.models.stacks import RecurrentStack, State, layer_weights

#: Steps per time block: the granularity at which a backward pass can stop early.
DEFAULT_BLOCK = 64


@dataclass(eq=False)
class StackRun:
    """One stack unrolled over ``T`` steps. Every tensor lives in the autograd graph.

    ``hidden[k][t]`` is the (1, H) state of layer-direction ``k = layer * D + d``
    at input position ``t`` (a backward direction's row ``t`` is the state after
    reading positions ``T-1 … t``, as in the gate traces); ``cell`` likewise for
    an LSTM (None otherwise). ``input_deltas[b]`` are zero leaves added to the
    inputs of time block ``b``: their gradient is the gradient with respect to
    the first layer's input. ``top[b]`` is the top layer's output over block
    ``b``, directions concatenated, (len(block), D*H). ``final`` is the final
    state in the stacks' layout (forward: last step; backward: first).
    """

    blocks: list[slice]
    hidden: list[list[Tensor]]
    cell: list[list[Tensor]] | None
    input_deltas: list[Tensor]
    top: list[Tensor]
    final: State
    num_layers: int
    num_directions: int

    @property
    def steps(self) -> int:
        return self.blocks[-1].stop


def time_blocks(steps: int, block: int = DEFAULT_BLOCK) -> list[slice]:
    """[0, block), [block, 2 block), … covering ``steps``."""
    if steps < 1 or block < 1:
        raise ValueError(f"need at least one step and a block of at least one, not {steps} and {block}.")
    return [slice(a, min(a + block, steps)) for a in range(0, steps, block)]


@dataclass(frozen=True, eq=False)
class _Weights:
    """One layer-direction's weights arranged for the steps below (detached: no weight gradients)."""

    w_in: Tensor  # (d, G*H) input weights, transposed, tanh rows doubled
    bias: Tensor  # (G*H,) the bias folded into the input part
    w_rec: Tensor  # (H, G'*H) recurrent weights transposed (GRU: the r, z blocks only)
    w_n: Tensor | None = None  # GRU: (H, H) the candidate's recurrent weights, transposed, doubled
    b_n: Tensor | None = None  # GRU torch variant: (H,) b_hn doubled (it sits inside r ⊙ (…))


def _arrange(cell: str, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor, double: float) -> _Weights:
    """``double`` (2.0 or 1.0) scales the rows that feed a tanh: 2 where tanh is computed as 2σ(2a) − 1."""
    w_ih, w_hh, b_ih, b_hh = (p.detach() for p in (w_ih, w_hh, b_ih, b_hh))
    H = int(w_hh.shape[1])
    if cell == "rnn":
        return _Weights((double * w_ih).T, double * (b_ih + b_hh), (double * w_hh).T)
    if cell == "lstm":
        # torch's blocks are (i, f, g, o); (i, f, o, g) puts the sigmoids first.
        order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H),
                           torch.arange(2 * H, 3 * H)]).to(w_ih.device)
        scale = torch.ones(4 * H, dtype=w_ih.dtype, device=w_ih.device)
        scale[3 * H:] = 2.0  # the candidate g as 2σ(2·) − 1 in both graphs: one sigmoid for all four blocks
        return _Weights((w_ih[order] * scale[:, None]).T, (b_ih + b_hh)[order] * scale,
                        (w_hh[order] * scale[:, None]).T)
    if cell in ("gru-reset", "gru-update"):  # blocks (gate, n): both biases join the input part
        scale = torch.ones(2 * H, dtype=w_ih.dtype, device=w_ih.device)
        scale[H:] = double
        w_in, bias = (w_ih * scale[:, None]).T, (b_ih + b_hh) * scale
        if cell == "gru-reset":  # W_hn (r ⊙ h) needs r first: its own matmul
            return _Weights(w_in, bias, w_hh[:H].T, (double * w_hh[H:]).T)
        return _Weights(w_in, bias, (w_hh * scale[:, None]).T)  # no reset gate: one matmul for z and n
    # GRU: r and z take both biases in the input part.
    scale = torch.ones(3 * H, dtype=w_ih.dtype, device=w_ih.device)
    scale[2 * H:] = double
    bias = b_ih.clone()
    bias[:2 * H] += b_hh[:2 * H]
    if cell == "gru-book":
        bias[2 * H:] += b_hh[2 * H:]  # tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn): b_hn joins the input part
    return _Weights((w_ih * scale[:, None]).T, bias * scale, w_hh[:2 * H].T, (double * w_hh[2 * H:]).T,
                    None if cell == "gru-book" else double * b_hh[2 * H:])


def _tanh_of_doubled(a: Tensor) -> Tensor:
    """tanh(a / 2) as 2σ(a) − 1: the callers' weights are doubled, so this is tanh of the true argument."""
    return torch.sigmoid(a) * 2 - 1


def _run_direction(cell: str, w: _Weights, steps_in: list[Tensor], h: Tensor, c: Tensor | None,
                   reverse: bool, batchable: bool) -> tuple[list[Tensor], list[Tensor] | None]:
    """Step through one direction; ``steps_in[t]`` is x_t W_inᵀ + bias, (1, G*H). Returns the states by position.

    ``batchable``: tanh as 2σ(2a) − 1, the weights feeding it doubled (see :func:`_arrange`)."""
    T, H = len(steps_in), int(h.shape[-1])
    hs: list[Tensor | None] = [None] * T
    cs: list[Tensor | None] | None = [None] * T if cell == "lstm" else None
    act = _tanh_of_doubled if batchable else torch.tanh
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        x = steps_in[t]  # (1, G*H)
        if cell == "rnn":
            h = act(torch.addmm(x, h, w.w_rec))  # (1, H)
        elif cell == "lstm":
            assert c is not None and cs is not None
            a = torch.addmm(x, h, w.w_rec)  # (1, 4H) blocks i, f, o, g
            # g's rows are doubled in both graphs (see _arrange): g = 2σ(2·) − 1 = tanh, folded into c.
            i, f, o, g = torch.sigmoid(a).chunk(4, dim=1)  # 4 × (1, H)
            c = torch.addcmul(f * c - i, i, g, value=2.0)  # f ⊙ c + i ⊙ (2σ − 1) = f ⊙ c + i ⊙ tanh(·)
            if batchable:
                h = torch.addcmul(-o, o, torch.sigmoid(c * 2), value=2.0)  # o ⊙ (2σ(2c) − 1) = o ⊙ tanh(c)
            else:
                h = o * torch.tanh(c)  # (1, H)
            cs[t] = c
        elif cell == "gru-update":
            a = torch.addmm(x, h, w.w_rec)  # (1, 2H) blocks z, n
            z, n = torch.sigmoid(a[:, :H]), act(a[:, H:])  # 2 × (1, H)
            h = n + z * (h - n)  # z ⊙ h + (1 - z) ⊙ n
        elif cell == "gru-reset":
            assert w.w_n is not None
            r = torch.sigmoid(torch.addmm(x[:, :H], h, w.w_rec))  # (1, H)
            h = act(torch.addmm(x[:, H:], r * h, w.w_n))  # h = n: no update gate
        else:
            x_rz, x_n = x[:, :2 * H], x[:, 2 * H:]  # small views of one step, not of the sequence
            r, z = torch.sigmoid(torch.addmm(x_rz, h, w.w_rec)).chunk(2, dim=1)  # 2 × (1, H)
            assert w.w_n is not None
            if w.b_n is None:  # the book: W_hn (r ⊙ h), reset before the matmul
                n = act(torch.addmm(x_n, r * h, w.w_n))  # (1, H)
            else:  # torch: r ⊙ (W_hn h + b_hn), reset after the matmul
                n = act(torch.addcmul(x_n, r, torch.addmm(w.b_n, h, w.w_n)))  # (1, H)
            h = n + z * (h - n)  # z ⊙ h + (1 - z) ⊙ n
        hs[t] = h
    return hs, cs  # type: ignore[return-value]


def _initial(entry: object, size: int, lstm: bool, like: Tensor) -> tuple[Tensor, Tensor | None]:
    """One direction's (h0, c0) as (1, H) tensors (graph kept); zeros for None."""
    zeros = torch.zeros(1, size, dtype=like.dtype, device=like.device)
    if entry is None:
        return zeros, (zeros.clone() if lstm else None)
    h, c = entry if isinstance(entry, tuple) else (entry, None)
    h = h.reshape(1, size)  # type: ignore[union-attr]
    c = None if not lstm else (zeros.clone() if c is None else c.reshape(1, size))
    return h, c


def run_stack(stack: RecurrentStack, inputs: Tensor, initial_state: State | None = None,
              block: int = DEFAULT_BLOCK, batchable: bool = True) -> StackRun:
    """Unroll ``stack`` over one sequence of ``(T, d)`` inputs (graph kept), states as nodes.

    ``inputs`` may carry a graph of its own (a decoder's context); zero leaves
    are added to it per time block (``StackRun.input_deltas``). ``initial_state``
    is the stacks' state list (one (1, H) entry per layer-direction, (h, c) for
    the LSTM), graph kept; zeros when None. ``batchable``: build the graph for batched backward passes
    (tanh written with σ, which has a batching rule); False builds a slightly smaller graph for passes
    of one row.
    """
    spec = stack.spec
    L, D, cell = spec.num_layers, spec.num_directions, spec.cell
    if inputs.dim() != 2 or inputs.shape[0] < 1:
        raise ValueError(f"inputs must be (T, d) with T >= 1, not {tuple(inputs.shape)}.")
    if initial_state is not None and len(initial_state) != L * D:
        raise ValueError(f"initial_state must have {L * D} entries (layers × directions), not {len(initial_state)}.")
    blocks = time_blocks(int(inputs.shape[0]), block)
    deltas = [torch.zeros(b.stop - b.start, inputs.shape[1], dtype=inputs.dtype, device=inputs.device,
                          requires_grad=True) for b in blocks]
    layer_in = [inputs[b] + deltas[k] for k, b in enumerate(blocks)]  # per block, (len, d)
    hidden: list[list[Tensor]] = []
    cells: list[list[Tensor]] = []
    final: State = []
    for layer in range(L):
        outputs = []
        for d in range(D):
            w = _arrange(cell, *_params(stack, layer, d), double=2.0 if batchable else 1.0)
            # One matmul per block, split into steps: (len, G*H) -> len × (1, G*H)
            steps_in = [row for x in layer_in for row in torch.addmm(w.bias, x, w.w_in).split(1)]  # (1, G*H) each
            entry = None if initial_state is None else initial_state[layer * D + d]
            h0, c0 = _initial(entry, int(w.w_rec.shape[0]), cell == "lstm", inputs)
            hs, cs = _run_direction(cell, w, steps_in, h0, c0, reverse=d == 1, batchable=batchable)
            hidden.append(hs)
            if cs is not None:
                cells.append(cs)
            last = 0 if d == 1 else -1
            final.append((hs[last], cs[last]) if cs is not None else hs[last])
            outputs.append(hs)
        # The layer above reads both directions, forward first, block by block.
        layer_in = [torch.cat([torch.cat(hs[b], dim=0) for hs in outputs], dim=1) for b in blocks]  # (len, D*H)
    return StackRun(blocks, hidden, cells if cell == "lstm" else None, deltas, layer_in, final, L, D)


def _params(stack: RecurrentStack, layer: int, direction: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    w = layer_weights(stack, layer, direction)
    return w.w_ih, w.w_hh, w.b_ih, w.b_hh
