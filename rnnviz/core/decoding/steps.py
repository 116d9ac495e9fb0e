"""Beam-search steps over a recurrent model: ``step(prefixes) -> log-probs`` in one batched call.

Beam search (:func:`rnnviz.core.decoding.beam.beam_search`) is a function of
such a step. :class:`RecurrentStep` feeds all live hypotheses to the decoder
in one batched call and keeps each hypothesis's recurrent state, keyed by its
prefix, so the search itself stays a function of ``step(prefixes) -> log-probs``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from rnnviz.core.data.vocab import BOS
from rnnviz.core.decoding.scoring import Prefix
from rnnviz.core.models.factory import ModelBundle
from rnnviz.core.models.stacks import State

#: ``advance(inputs (N, 1) ids, state batched over N) -> (logits (N, V), new state)``
Advance = Callable[[Tensor, State], tuple[Tensor, State]]
_START: Prefix = (-1,)  # the key of the state before the first input; no real prefix holds -1


def _map_state(state: State, fn: Callable[[Tensor], Tensor]) -> State:
    return [tuple(fn(x) for x in entry) if isinstance(entry, tuple) else fn(entry)  # type: ignore[misc]
            for entry in state]


def _cat_states(states: Sequence[State]) -> State:
    """Concatenate batched states along the batch: [(B1, H) ...] -> (B1+B2+..., H) per entry."""
    out: State = []
    for entries in zip(*states):
        if isinstance(entries[0], tuple):
            out.append(tuple(torch.cat(parts, dim=0) for parts in zip(*entries)))  # type: ignore[arg-type]
        else:
            out.append(torch.cat(entries, dim=0))  # type: ignore[arg-type]
    return out


class RecurrentStep:
    """A beam-search ``step`` over a recurrent decoder: one batched call for all prefixes.

    The decoder state reached by each prefix is cached under the prefix. A call
    with prefixes ``p`` looks up the state of each parent ``p[:-1]``, gathers
    them into one batch in the order asked (index_select by parent row: the
    reordering of states by parent index), feeds every prefix's last token
    (``first_input`` for the empty prefix) through ``advance`` at once, and
    caches the new states under ``p``. Only the last two prefix lengths are
    kept, so memory stays at two beams' worth. A parent that is not cached (a
    caller that jumps around) is recomputed from the start state, so any call
    order gives the same log-probabilities, only slower (counted in ``replays``).
    """

    def __init__(self, advance: Advance, start: State, first_input: int, device: torch.device | str = "cpu") -> None:
        self._advance, self._first, self.device = advance, int(first_input), torch.device(device)
        self._blocks: dict[int, tuple[int, State]] = {0: (-1, start)}  # block id -> (prefix length, state (B, ...))
        self._where: dict[Prefix, tuple[int, int]] = {_START: (0, 0)}  # prefix -> (block id, row)
        self._next_block = 1
        self.calls = 0  # decoder calls made
        self.replays = 0  # parents recomputed because they were not cached

    def _store(self, length: int, state: State, prefixes: Sequence[Prefix]) -> None:
        block = self._next_block
        self._next_block += 1
        self._blocks[block] = (length, state)
        for row, prefix in enumerate(prefixes):
            self._where[prefix] = (block, row)

    def _replay(self, prefix: Prefix) -> None:
        """Recompute the state reached by ``prefix`` from the start state, one token at a time."""
        state = self._blocks[0][1]
        for token in (self._first, *prefix):
            _, state = self._advance(torch.tensor([[token]], device=self.device), state)  # (1, V)
        self.replays += 1
        self._store(len(prefix), state, [prefix])

    def _gather(self, parents: list[Prefix]) -> State:
        """The parents' states as one batch, row i for parents[i]."""
        for parent in dict.fromkeys(parents):
            if parent not in self._where:
                self._replay(parent)
        places = [self._where[p] for p in parents]
        blocks = list(dict.fromkeys(b for b, _ in places))
        offsets, sources, size = {}, [], 0
        for block in blocks:  # usually one: the previous step's batch
            offsets[block] = size
            sources.append(self._blocks[block][1])
            size += _batch_size(self._blocks[block][1])
        source = sources[0] if len(sources) == 1 else _cat_states(sources)
        rows = torch.tensor([offsets[b] + r for b, r in places], device=self.device)  # (N,)
        return _map_state(source, lambda x: x.index_select(0, rows))  # (N, H) per entry

    def __call__(self, prefixes: list[Prefix]) -> Tensor:
        """Log-probabilities (N, V) of the next token after each prefix."""
        if not prefixes:
            raise ValueError("step needs at least one prefix.")
        with torch.no_grad():
            state = self._gather([p[:-1] if p else _START for p in prefixes])
            inputs = torch.tensor([[p[-1] if p else self._first] for p in prefixes], device=self.device)  # (N, 1)
            logits, state = self._advance(inputs, state)  # (N, V)
            self.calls += 1
        shortest = min(len(p) for p in prefixes)
        self._store(shortest, state, prefixes)
        self._evict(shortest - 1)
        return torch.log_softmax(logits.float(), dim=-1)  # (N, V)

    def _evict(self, keep_from: int) -> None:
        """Forget the states of prefixes shorter than ``keep_from`` (the start state stays)."""
        stale = {b for b, (length, _) in self._blocks.items() if b != 0 and length < keep_from}
        if stale:
            self._blocks = {b: v for b, v in self._blocks.items() if b not in stale}
            self._where = {p: w for p, w in self._where.items() if w[0] not in stale}


def _batch_size(state: State) -> int:
    first = state[0]
    return int((first[0] if isinstance(first, tuple) else first).shape[0])


def seq2seq_step(bundle: ModelBundle, src_ids: Sequence[int]) -> RecurrentStep:
    """A beam-search step for a translation model reading ``src_ids`` (num_steps source ids)."""
    model = bundle.model
    device = next(model.parameters()).device
    with torch.no_grad():
        state, context, _ = model.start(torch.tensor([list(src_ids)], device=device))  # context (1, C)

    def advance(inputs: Tensor, state: State) -> tuple[Tensor, State]:
        logits, state = model.decoder(inputs, state, context.expand(inputs.shape[0], -1))  # (N, 1, V)
        return logits[:, -1], state  # (N, V)

    return RecurrentStep(advance, state, bundle.vocabs[1].index(BOS), device)


def lm_step(bundle: ModelBundle, prompt_ids: Sequence[int]) -> RecurrentStep:
    """A beam-search step for a language model continuing ``prompt_ids`` (at least one id)."""
    model = bundle.model
    device = next(model.parameters()).device
    ids = list(prompt_ids)
    with torch.no_grad():
        if len(ids) > 1:  # warm up on all but the last token; the root step feeds the last one
            _, start = model.next_logits(torch.tensor([ids[:-1]], device=device))
        else:
            start = model.stack.init_state(1)
    return RecurrentStep(model.next_logits, start, ids[-1], device)
