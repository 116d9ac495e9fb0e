"""The padding mask of the seq2seq loss as an option (the book's exercise 3 of section 10.7)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnviz.core.checkpoint import describe, load_checkpoint, save_checkpoint
from rnnviz.core.checkpoint_checks import checksum
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec
from rnnviz.core.data.datasets import MtData, build_data
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.models.factory import bundle_for
from rnnviz.core.models.labels import display_name, model_label
from rnnviz.core.models.seq2seq import Seq2Seq
from rnnviz.core.session_schema import check_section

MT = ModelConfig("mt", StackSpec("gru", (6,)), StackSpec("gru", (6,)), embed_size=4)
PAD = 0
PAIRS = ["go .\tva !", "i lost .\tj'ai perdu .", "he's calm .\til est calme .", "i'm home .\tje suis chez moi .",
         "we ran .\tnous avons couru .", "i won !\tj'ai gagné !"]


def by_hand(logits: torch.Tensor, targets: torch.Tensor) -> tuple[float, float, int, int]:
    """(sum of -log p(target) over real tokens, the same over pad positions, #real, #pad), one position at a time."""
    real = pad = 0.0
    n_real = n_pad = 0
    for b in range(targets.shape[0]):
        for t in range(targets.shape[1]):
            row = logits[b, t].double()
            nll = float(-(row[targets[b, t]] - torch.logsumexp(row, 0)))
            if int(targets[b, t]) == PAD:
                pad, n_pad = pad + nll, n_pad + 1
            else:
                real, n_real = real + nll, n_real + 1
    return real, pad, n_real, n_pad


def test_the_unmasked_loss_differs_from_the_masked_by_exactly_the_pad_positions() -> None:
    torch.manual_seed(0)
    model = Seq2Seq(MT, 9, 7, PAD)
    logits = torch.randn(2, 5, 7)  # (B, T, V)
    targets = torch.tensor([[3, 4, 2, PAD, PAD], [5, 6, 3, 4, 2]])  # row 0: two pads after <eos>
    real, pad, n_real, n_pad = by_hand(logits, targets)
    assert (n_real, n_pad) == (8, 2)
    masked = float(model.loss(logits, targets))
    unmasked = float(model.loss(logits, targets, mask_padding=False))
    assert masked == pytest.approx(real / n_real, rel=1e-5)
    assert unmasked == pytest.approx((real + pad) / (n_real + n_pad), rel=1e-5)
    # What the unmasked loss adds is the pad positions' share and nothing else.
    assert unmasked * (n_real + n_pad) - masked * n_real == pytest.approx(pad, rel=1e-4)
    assert not math.isclose(masked, unmasked)


def test_the_model_uses_its_configs_setting_and_counts_the_tokens_it_averages_over() -> None:
    targets = np.array([[3, 2, PAD], [4, 5, 2]])
    batch = (None, None, None, targets)
    masked, unmasked = Seq2Seq(MT, 9, 7, PAD), Seq2Seq(replace(MT, mask_padding=False), 9, 7, PAD)
    assert masked.count_tokens(batch) == 5  # type: ignore[arg-type]
    assert unmasked.count_tokens(batch) == 6  # type: ignore[arg-type]
    logits = torch.randn(2, 3, 7)
    assert float(unmasked.loss(logits, torch.tensor(targets))) == pytest.approx(
        float(masked.loss(logits, torch.tensor(targets), mask_padding=False)))


def test_the_option_belongs_to_translation_and_is_named_in_labels() -> None:
    with pytest.raises(ConfigError, match="mask_padding=False belongs to task 'mt'"):
        ModelConfig("lm", StackSpec(), mask_padding=False)
    with pytest.raises(ConfigError, match="true or false"):
        replace(MT, mask_padding="no")  # type: ignore[arg-type]
    unmasked = replace(MT, mask_padding=False)
    assert "unmasked loss" in model_label(unmasked) and "unmasked loss" in display_name(unmasked)
    assert "unmasked" not in model_label(MT) and "unmasked" not in display_name(MT)
    assert not MT.same_model(unmasked)  # another loss: a continued model would change its training
    assert "mask_padding" not in ModelConfig().to_dict()  # the language model's dict as it was


@pytest.fixture(scope="module")
def mt_data(tmp_path_factory: pytest.TempPathFactory) -> MtData:
    path = tmp_path_factory.mktemp("mt") / "pairs.tsv"
    path.write_text("\n".join(PAIRS) + "\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=5, batch_size=3, min_freq=1,
                                 val_fraction=0.0, test_fraction=0.0))
    assert isinstance(data, MtData)
    return data


def test_the_option_round_trips_through_a_checkpoint(mt_data: MtData, tmp_path: Path) -> None:
    bundle = bundle_for(mt_data, replace(MT, mask_padding=False), seed=1)
    assert "loss unmasked" in describe(bundle)
    loaded = load_checkpoint(save_checkpoint(bundle, tmp_path / "unmasked.pt"))
    assert loaded.model_config.mask_padding is False
    assert loaded.model.mask_padding is False  # type: ignore[union-attr]


def test_an_old_checkpoint_without_the_field_loads_masked(mt_data: MtData, tmp_path: Path) -> None:
    path = save_checkpoint(bundle_for(mt_data, MT, seed=1), tmp_path / "old.pt")
    payload = torch.load(path, weights_only=True)
    del payload["model_config"]["mask_padding"]  # as rnnviz wrote it before the option
    payload["checksum"] = checksum(payload)
    torch.save(payload, path)
    loaded = load_checkpoint(path)
    assert loaded.model_config.mask_padding is True and loaded.model.mask_padding is True  # type: ignore[union-attr]


def test_a_checkpoint_with_a_wrong_value_is_refused_naming_the_field(mt_data: MtData, tmp_path: Path) -> None:
    path = save_checkpoint(bundle_for(mt_data, MT, seed=1), tmp_path / "bad.pt")
    payload = torch.load(path, weights_only=True)
    payload["model_config"]["mask_padding"] = "no"
    payload["checksum"] = checksum(payload)
    torch.save(payload, path)
    with pytest.raises(DataError, match=r"model_config\.mask_padding is a str, not true or false"):
        load_checkpoint(path)


def test_a_session_holds_the_option_and_refuses_a_wrong_value() -> None:
    model = replace(MT, mask_padding=False).to_dict()
    check_section("config", {"mask_padding": False, "builder": {"task": "mt", "model": model}})
    assert ModelConfig.from_dict(model).mask_padding is False
    old = {k: v for k, v in model.items() if k != "mask_padding"}
    assert ModelConfig.from_dict(old).mask_padding is True
    with pytest.raises(DataError, match=r"config\.mask_padding is 'yes'; allowed: true or false"):
        check_section("config", {"mask_padding": "yes"})
    with pytest.raises(DataError, match=r"config\.builder\.model\.mask_padding is 1; allowed: true or false"):
        check_section("config", {"builder": {"model": {**model, "mask_padding": 1}}})


def test_a_run_folder_says_unmasked_and_an_old_one_reads_masked(mt_data: MtData, tmp_path: Path) -> None:
    import json

    from rnnviz.core.runs.manifest import manifest_dict, read_manifest, write_manifest

    bundle = bundle_for(mt_data, replace(MT, mask_padding=False), seed=1)
    data = manifest_dict(bundle, label=bundle.display_name)
    assert "unmasked loss" in data["label"] and "loss unmasked" in data["description"]
    write_manifest(tmp_path, data)
    path = next(tmp_path.glob("*.json"))
    manifest = read_manifest(path)
    assert manifest.model_config.mask_padding is False and "unmasked loss" in manifest.model_words
    old = json.loads(path.read_text(encoding="utf-8"))
    del old["model_config"]["mask_padding"]  # recorded before the option
    path.write_text(json.dumps(old), encoding="utf-8")
    assert read_manifest(path).model_config.mask_padding is True
