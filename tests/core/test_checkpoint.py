"""Checkpoints: plain data, atomic saves, and clear errors for every file that is not one."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.checkpoint import FORMAT, VERSION, describe, load_checkpoint, save_checkpoint
from rnnviz.core.checkpoint_checks import checksum
from rnnviz.core.data.datasets import LmData, MtData, build_data
from rnnviz.core.errors import DataError
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.train import History, run, train

PAIRS = ["go .\tva !", "i lost .\tj'ai perdu .", "he's calm .\til est calme .", "i'm home .\tje suis chez moi .",
         "we ran .\tnous avons couru .", "i won !\tj'ai gagné !", "he ran .\til a couru .", "go away .\tva-t'en ."]


@pytest.fixture(scope="module")
def lm_bundle(tmp_path_factory: pytest.TempPathFactory) -> ModelBundle:
    path = tmp_path_factory.mktemp("lm") / "tiny.txt"
    path.write_text("the cat sat on the mat. " * 30, encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=8, batch_size=8))
    assert isinstance(data, LmData)
    config = ModelConfig(task="lm", stack=StackSpec(cell="lstm", hidden_sizes=(8, 8), bidirectional=True))
    bundle = bundle_for(data, config, seed=1)
    bundle.train_config = TrainConfig(epochs=1, lr=0.5, seed=1)
    run(train(bundle.model, data, bundle.train_config), bundle.history.add)
    bundle.model.eval()
    return bundle


@pytest.fixture(scope="module")
def mt_bundle(tmp_path_factory: pytest.TempPathFactory) -> ModelBundle:
    path = tmp_path_factory.mktemp("mt") / "pairs.tsv"
    path.write_text("\n".join(PAIRS) + "\n", encoding="utf-8")
    data = build_data(DataConfig(corpus=str(path), num_steps=5, batch_size=4, min_freq=1,
                                 val_fraction=0.0, test_fraction=0.0))
    assert isinstance(data, MtData)
    config = ModelConfig(task="mt", stack=StackSpec(cell="gru", hidden_sizes=(8,), bidirectional=True),
                         decoder=StackSpec(cell="gru-book", hidden_sizes=(6,)), embed_size=4)
    bundle = bundle_for(data, config, seed=2)
    bundle.history = History.from_dict({"step": [1, 2], "loss": [3.0, 2.5], "grad_norm": [1.0, 0.5]})
    bundle.model.eval()
    return bundle


@pytest.fixture
def lm_file(lm_bundle: ModelBundle, tmp_path: Path) -> Path:
    return save_checkpoint(lm_bundle, tmp_path / "lm.pt")


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---- round trips ------------------------------------------------------------------------------


def test_language_model_round_trip(lm_bundle, lm_file):
    loaded = load_checkpoint(lm_file)
    assert loaded.task == "lm"
    assert loaded.model_config == lm_bundle.model_config
    assert loaded.data_config == lm_bundle.data_config
    assert loaded.train_config == lm_bundle.train_config
    assert loaded.vocabs == lm_bundle.vocabs
    assert loaded.history == lm_bundle.history and len(loaded.history.step) > 0
    assert not loaded.model.training
    ids = torch.tensor([lm_bundle.vocabs[0].indices(list("the cat"))])
    with torch.no_grad():
        assert torch.equal(loaded.model(ids)[0], lm_bundle.model(ids)[0])


def test_translation_model_round_trip(mt_bundle, tmp_path):
    path = save_checkpoint(mt_bundle, tmp_path / "sub" / "dir" / "mt.pt")  # folders are made
    assert path.is_file()
    loaded = load_checkpoint(path, task="mt")
    assert loaded.model_config == mt_bundle.model_config
    assert loaded.data_config == mt_bundle.data_config
    assert loaded.train_config is None
    assert loaded.vocabs == mt_bundle.vocabs and len(loaded.vocabs) == 2
    assert loaded.history == mt_bundle.history
    src_vocab, tgt_vocab = mt_bundle.vocabs
    src = torch.tensor([src_vocab.indices(["i", "ran", ".", "<eos>", "<pad>"])])
    tgt = torch.tensor([tgt_vocab.indices(["<bos>", "j'ai", "couru"])])
    with torch.no_grad():
        assert torch.equal(loaded.model(src, tgt), mt_bundle.model(src, tgt))


def test_the_file_is_plain_data_with_torch_names(lm_bundle, lm_file, mt_bundle, tmp_path):
    payload = torch.load(lm_file, map_location="cpu", weights_only=True)
    assert payload["format"] == FORMAT and payload["version"] == VERSION == 2 and payload["task"] == "lm"
    assert payload["checksum"] == checksum(payload) and payload["checksum"].startswith("sha256:")
    assert payload["vocabs"]["tokens"] == lm_bundle.vocabs[0].to_list()
    assert payload["model_config"] == lm_bundle.model_config.to_dict()
    keys = set(payload["state_dict"])
    assert keys == set(lm_bundle.model.state_dict())
    assert {"stack.rnn.weight_ih_l0", "stack.rnn.weight_hh_l1", "stack.rnn.bias_ih_l0_reverse",
            "stack.rnn.weight_hh_l1_reverse", "output.weight"} <= keys
    assert all(t.device.type == "cpu" for t in payload["state_dict"].values())

    mt_payload = torch.load(save_checkpoint(mt_bundle, tmp_path / "mt.pt"), weights_only=True)
    assert set(mt_payload["vocabs"]) == {"source", "target"}
    mt_keys = set(mt_payload["state_dict"])
    assert {"encoder.stack.rnn.weight_ih_l0", "encoder.stack.rnn.weight_ih_l0_reverse",
            "decoder.stack.rnn.weight_hh_l0", "bridge.hidden.0.weight"} <= mt_keys


def test_describe_says_what_the_checkpoint_holds(lm_bundle):
    text = describe(lm_bundle)
    assert text.startswith("a language model: ")
    for part in ("2 layer(s)", "LSTM", "hidden 8/8", "bidirectional", f"{lm_bundle.parameter_count():,} parameters"):
        assert part in text


# ---- atomic saves -----------------------------------------------------------------------------


def test_a_failed_save_leaves_the_previous_file_unchanged(lm_bundle, lm_file, monkeypatch):
    before = lm_file.read_bytes()

    def half_written(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", half_written)
    with pytest.raises(DataError) as info:
        save_checkpoint(lm_bundle, lm_file)
    message = str(info.value)
    assert str(lm_file) in message and "No space left on device" in message and "unchanged" in message
    assert lm_file.read_bytes() == before
    assert files_in(lm_file.parent) == ["lm.pt"]  # no temporary file left behind
    monkeypatch.undo()
    load_checkpoint(lm_file)  # still a good checkpoint


def test_saving_onto_a_folder_fails_cleanly(lm_bundle, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside.txt").write_text("keep me")
    with pytest.raises(DataError, match="could not save the checkpoint"):
        save_checkpoint(lm_bundle, target)
    assert target.is_dir() and (target / "inside.txt").read_text() == "keep me"
    assert files_in(tmp_path) == ["taken"]


def test_saving_under_a_file_fails_with_a_clear_message(lm_bundle, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(DataError, match="cannot write the checkpoint in .*choose another folder"):
        save_checkpoint(lm_bundle, blocker / "model.pt")
    assert blocker.read_text() == "x"


# ---- files that are not checkpoints -----------------------------------------------------------


class Payload:
    """Unpickling this calls open(path, 'w'): a visible side effect if the file were executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "nowhere.pt")
    with pytest.raises(DataError, match="is not a file"):
        load_checkpoint(tmp_path)


def test_truncated_checkpoint(lm_file):
    data = lm_file.read_bytes()
    lm_file.write_bytes(data[:len(data) // 2])
    with pytest.raises(DataError) as info:
        load_checkpoint(lm_file)
    assert str(lm_file) in str(info.value) and "truncated or damaged" in str(info.value)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="empty.pt"):
        load_checkpoint(path)


def test_foreign_torch_file(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.zeros(3), "epoch": 4}, path)
    with pytest.raises(DataError, match="is a torch file but not an rnnviz checkpoint"):
        load_checkpoint(path)
    torch.save([1, 2, 3], path)
    with pytest.raises(DataError, match="not an rnnviz checkpoint"):
        load_checkpoint(path)


def test_pickled_objects_are_refused_not_run(tmp_path):
    marker = tmp_path / "was-executed"
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "version": 1, "payload": Payload(marker)}, path)
    with pytest.raises(DataError, match="holds Python objects that rnnviz does not load"):
        load_checkpoint(path)
    assert not marker.exists()
    # A plain pickle (not torch's zip format) too.
    with (tmp_path / "evil.pkl").open("wb") as f:
        pickle.dump(Payload(marker), f)
    with pytest.raises(DataError, match="evil.pkl"):
        load_checkpoint(tmp_path / "evil.pkl")
    assert not marker.exists()


@pytest.mark.parametrize("text", ["hello world\n", "a,b,c\n1,2,3\n", "Lorem ipsum dolor sit amet\n", "{}"])
def test_text_file(tmp_path, text):
    path = tmp_path / "notes.pt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message and "not an rnnviz checkpoint" in message


def _edited(path: Path, edit) -> Path:
    """The file edited as a crafted one would be: its checksum made to match, so that the checks
    behind the checksum are what refuses it."""
    payload = torch.load(path, weights_only=True)
    edit(payload)
    payload["checksum"] = checksum(payload)
    torch.save(payload, path)
    return path


def test_weights_that_do_not_fit_the_settings(lm_file):
    def bigger(payload):
        payload["model_config"]["stack"]["hidden_sizes"] = [16, 16]

    with pytest.raises(DataError) as info:
        load_checkpoint(_edited(lm_file, bigger))
    message = str(info.value)
    assert str(lm_file) in message and "the weights do not fit the model its settings describe" in message
    assert "stack.rnn.weight_hh_l0 is 32×8 in the file, the settings need 64×16" in message


def test_weights_missing_from_the_file(lm_file):
    with pytest.raises(DataError, match="do not fit"):
        load_checkpoint(_edited(lm_file, lambda p: p["state_dict"].pop("output.bias")))


def test_settings_that_cannot_be_read(lm_file):
    def broken(payload):
        payload["model_config"]["stack"]["hidden_sizes"] = [0]

    with pytest.raises(DataError, match=r"model_config\.stack\.hidden_sizes is not a list of whole numbers"):
        load_checkpoint(_edited(lm_file, broken))

    def backward_without_bidirectional(payload):
        payload["model_config"]["stack"].update(hidden_sizes=[8, 8], bidirectional=False, backward_sizes=[4, 4])

    with pytest.raises(DataError, match="its model_config cannot be read .*backward_sizes is set but the stack is not "
                                        "bidirectional"):
        load_checkpoint(_edited(lm_file, backward_without_bidirectional))


def test_newer_version_asks_for_an_update(lm_file):
    def newer(payload):
        payload["version"] = 99
        payload["rnnviz"] = "9.0"

    with pytest.raises(DataError, match=r"saved by a newer rnnviz \(9.0\); update rnnviz"):
        load_checkpoint(_edited(lm_file, newer))


def test_checkpoint_of_the_other_task(lm_file, mt_bundle, tmp_path):
    with pytest.raises(DataError, match="holds a language model, but a translation model is needed"):
        load_checkpoint(lm_file, task="mt")
    mt_file = save_checkpoint(mt_bundle, tmp_path / "mt.pt")
    with pytest.raises(DataError, match="holds a translation model, but a language model is needed"):
        load_checkpoint(mt_file, task="lm")
    assert load_checkpoint(lm_file, task="lm").task == "lm"
