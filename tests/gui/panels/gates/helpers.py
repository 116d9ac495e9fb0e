"""Models and probes for the Gates panel's tests."""

from __future__ import annotations

import copy

import torch

from rnnviz.core.config import ModelConfig, StackSpec
from rnnviz.core.data.datasets import LmData
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.gui.panels.gates import GatesPanel

PROBE = "the cat ate the mat."
PAIRS = ["go .\tva !", "i lost .\tj'ai perdu .", "he's calm .\til est calme .", "i'm home .\tje suis chez moi .",
         "we ran .\tnous avons couru .", "i won !\tj'ai gagné !", "he ran .\til a couru .", "go away .\tva-t'en ."]


def sharpen(module: torch.nn.Module, factor: float = 3.0) -> None:
    """torch's initialisation keeps every gate near 0.5; larger weights make the units differ visibly."""
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(factor)


def make_lm(data: LmData, cell: str = "gru", hidden: tuple[int, ...] = (6,), bidirectional: bool = False,
            seed: int = 0) -> ModelBundle:
    impl = "scratch" if cell == "gru-book" else "auto"
    bundle = bundle_for(data, ModelConfig(task="lm", stack=StackSpec(cell, hidden, bidirectional,
                                                                       implementation=impl)), seed=seed)
    bundle.model.eval()
    sharpen(bundle.model.stack)
    return bundle


def traced(panel: GatesPanel, bundle: ModelBundle, probe: str = PROBE) -> None:
    panel.set_probe(probe)
    panel.set_bundle(bundle)
    assert not panel.is_busy()  # a tiny model is traced at once, on the GUI thread


def perturbed(bundle: ModelBundle, seed: int) -> ModelBundle:
    other = copy.deepcopy(bundle)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in other.model.stack.parameters():
            p.add_(torch.randn(p.shape, generator=generator))
    return other
