"""Decoding: reading inputs, greedy and sampled decoding, beam search (pure, with its tree), toy tables.

The rooms, by what they hold:

- :mod:`~rnnviz.core.decoding.reading`: a prompt or a source sentence as the model reads it;
- :mod:`~rnnviz.core.decoding.greedy`: greedy translation, greedy or sampled generation;
- :mod:`~rnnviz.core.decoding.scoring`, :mod:`~rnnviz.core.decoding.tree`,
  :mod:`~rnnviz.core.decoding.beam`: beam search as a pure function of
  ``step(prefixes) -> log-probs``: its options and scores, its result and tree, the search;
- :mod:`~rnnviz.core.decoding.tree_layout`: where each node of a tree goes in a drawing;
- :mod:`~rnnviz.core.decoding.toy`: next-token tables to search by hand (the book's example);
- :mod:`~rnnviz.core.decoding.steps`: the batched ``step`` over a recurrent model;
- :mod:`~rnnviz.core.decoding.model_beam`: beam translation and generation over a model;
- :mod:`~rnnviz.core.decoding.analysis`: what the decoding views ask for (a search with its
  tree, translations with BLEU, the distribution at each step).

Every public name is importable from this package. The modules that import
torch (``greedy``, ``steps``, ``model_beam``) load on first use of one of their
names, so a view that imports the package does not wait for torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnnviz.core.lazy import lazy_exports

from rnnviz.core.decoding.analysis import (
    BLEU_K,
    GenerationOutcome,
    SearchOutcome,
    TranslationOutcome,
    TreeRequest,
    generate_with_distributions,
    prompt_label,
    prompt_tokens,
    run_search,
    search_model,
    source_ids,
    step_distributions,
    top_k,
    translate_and_score,
)
from rnnviz.core.decoding.beam import beam_search, exhaustive_search, greedy_search, search_space
from rnnviz.core.decoding.reading import (
    BIDIRECTIONAL_LM_NOTICE,
    PromptReading,
    SourceReading,
    continuation_text,
    read_prompt,
    read_source,
)
from rnnviz.core.decoding.scoring import (
    CANDIDATE_RULES,
    EXHAUSTIVE_LIMIT,
    LENGTH_PENALTIES,
    ROOT_TOKEN,
    STATUSES,
    STRATEGIES,
    BeamOptions,
    Prefix,
    Step,
    length_penalty,
    normalised_score,
)
from rnnviz.core.decoding.toy import BUILTIN_TOYS, D2L_TABLE, ToyDecoder, d2l, load_toy
from rnnviz.core.decoding.tree import BeamNode, BeamResult, BeamTree, Hypothesis, StepBlock, StepSummary
from rnnviz.core.decoding.tree_layout import (
    LaidOutEdge,
    LaidOutNode,
    StepHeader,
    TreeLayout,
    layout_tree,
    penalty_formula,
)

if TYPE_CHECKING:
    from rnnviz.core.decoding.greedy import Generation, Translation, generate, translate
    from rnnviz.core.decoding.model_beam import (
        BeamGeneration,
        BeamTranslation,
        TextHypothesis,
        generate_beam,
        translate_beam,
    )
    from rnnviz.core.decoding.steps import Advance, RecurrentStep, lm_step, seq2seq_step

#: Names of the modules that import torch, loaded on first use (PEP 562).
_LAZY: dict[str, str] = {
    **dict.fromkeys(("Generation", "Translation", "generate", "translate"), "greedy"),
    **dict.fromkeys(("BeamGeneration", "BeamTranslation", "TextHypothesis", "generate_beam", "translate_beam"),
                    "model_beam"),
    **dict.fromkeys(("Advance", "RecurrentStep", "lm_step", "seq2seq_step"), "steps"),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "Advance", "BLEU_K", "BIDIRECTIONAL_LM_NOTICE", "BUILTIN_TOYS", "BeamGeneration",
    "BeamNode", "BeamOptions", "BeamResult", "BeamTranslation", "BeamTree", "CANDIDATE_RULES", "D2L_TABLE",
    "EXHAUSTIVE_LIMIT", "Generation", "GenerationOutcome", "Hypothesis", "LENGTH_PENALTIES", "LaidOutEdge",
    "LaidOutNode", "Prefix", "PromptReading", "ROOT_TOKEN", "RecurrentStep", "STATUSES", "STRATEGIES",
    "SearchOutcome", "SourceReading", "Step", "StepBlock", "StepHeader", "StepSummary", "TextHypothesis",
    "ToyDecoder", "Translation", "TranslationOutcome", "TreeLayout", "TreeRequest", "beam_search",
    "continuation_text", "d2l", "exhaustive_search", "generate", "generate_beam",
    "generate_with_distributions", "greedy_search", "layout_tree", "length_penalty", "lm_step", "load_toy",
    "normalised_score", "penalty_formula", "prompt_label", "prompt_tokens", "read_prompt", "read_source",
    "run_search", "search_model", "search_space", "seq2seq_step", "source_ids", "step_distributions", "top_k",
    "translate", "translate_and_score", "translate_beam",
]
