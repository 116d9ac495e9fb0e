"""The vocabulary: tokens to indices and back, as the book's ``Vocab``.

Differences from the book, on purpose: reserved tokens take the first
indices in a fixed order, and the other tokens are ordered by falling
frequency (ties alphabetical), so index 0 is always ``<pad>`` when it is
reserved and the order is deterministic.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable, Sequence

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
RESERVED = (PAD, BOS, EOS)


def _flatten(tokens: Iterable[str] | Iterable[Sequence[str]]) -> list[str]:
    flat: list[str] = []
    for item in tokens:
        if isinstance(item, str):
            flat.append(item)
        else:
            flat.extend(item)
    return flat


class Vocab:
    """Token ↔ index. Unknown tokens map to ``<unk>``, which is always present.

    ``reserved`` defaults to ``<pad> <bos> <eos>`` (translation); the book's
    character language model reserves nothing but ``<unk>`` (28 tokens for
    The Time Machine), so pass ``reserved=()`` there.
    """

    def __init__(
        self,
        tokens: Iterable[str] | Iterable[Sequence[str]] = (),
        min_freq: int = 1,
        reserved: Sequence[str] = RESERVED,
    ) -> None:
        counts = Counter(_flatten(tokens))
        # Most frequent first; ties alphabetical so the order never depends on input order.
        self.token_freqs: list[tuple[str, int]] = sorted(
            counts.items(), key=lambda item: (-item[1], item[0])
        )
        specials = [t for t in (*reserved, UNK) if t]
        self.idx_to_token: list[str] = list(dict.fromkeys(specials))
        seen = set(self.idx_to_token)
        for token, freq in self.token_freqs:
            if freq >= min_freq and token not in seen:
                self.idx_to_token.append(token)
                seen.add(token)
        self.token_to_idx: dict[str, int] = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __contains__(self, token: str) -> bool:
        return token in self.token_to_idx

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.idx_to_token == other.idx_to_token

    def __repr__(self) -> str:
        head = ", ".join(self.idx_to_token[:8])
        return f"Vocab({len(self)} tokens: {head}{', …' if len(self) > 8 else ''})"

    @property
    def unk(self) -> int:
        return self.token_to_idx[UNK]

    def index(self, token: str) -> int:
        return self.token_to_idx.get(token, self.unk)

    def indices(self, tokens: Iterable[str]) -> list[int]:
        return [self.index(t) for t in tokens]

    def __getitem__(self, tokens: str | Sequence[str]) -> int | list[int]:
        """The book's ``vocab[token]`` and ``vocab[list_of_tokens]``."""
        if isinstance(tokens, str):
            return self.index(tokens)
        return self.indices(tokens)

    def to_tokens(self, indices: int | Iterable[int]) -> str | list[str]:
        try:  # one index: int, numpy integer or 0-d array/tensor
            return self.idx_to_token[operator.index(indices)]  # type: ignore[arg-type]
        except TypeError:
            return [self.idx_to_token[int(i)] for i in indices]  # type: ignore[union-attr]

    def to_list(self) -> list[str]:
        """The plain form saved in checkpoints: the tokens in index order."""
        return list(self.idx_to_token)

    @classmethod
    def from_list(cls, tokens: Sequence[str]) -> Vocab:
        """Rebuild a vocabulary saved with :meth:`to_list`, indices unchanged."""
        if UNK not in tokens:
            raise ValueError(f"a saved vocabulary must contain {UNK}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a saved vocabulary has a token twice")
        vocab = cls(reserved=())
        vocab.idx_to_token = list(tokens)
        vocab.token_to_idx = {t: i for i, t in enumerate(vocab.idx_to_token)}
        return vocab


def placeholder_vocab(size: int, translation: bool) -> Vocab:
    """A vocabulary of exactly ``size`` made-up tokens (translation reserves <pad> <bos> <eos>
    as well as <unk>): enough to build a model when only the sizes matter."""
    reserved = RESERVED if translation else ()
    extra = size - len(reserved) - 1
    if extra < 0:
        raise ValueError(f"a {'translation' if translation else 'language-model'} vocabulary needs at least "
                         f"{len(reserved) + 1} tokens, not {size}.")
    return Vocab([f"w{i}" for i in range(extra)], reserved=reserved)
