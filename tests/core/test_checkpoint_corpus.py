"""A checkpoint trained on a corpus given by a relative path opens from any working directory,
and says so when that corpus has moved."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rnnviz.core.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.core.checkpoint_checks import checksum
from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
from rnnviz.core.data.datasets import LmData, build_data
from rnnviz.core.models.factory import ModelBundle, bundle_for
from rnnviz.core.train import run, train

TEXT = "the cat sat on the mat. " * 30


@pytest.fixture
def trained_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, ModelBundle]:
    """A tiny model trained in ``tmp_path/work`` on ``corpus.txt``, named relative to it, saved as ``model.pt``."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "corpus.txt").write_text(TEXT, encoding="utf-8")
    monkeypatch.chdir(work)
    data = build_data(DataConfig(corpus="corpus.txt", num_steps=8, batch_size=8))
    assert isinstance(data, LmData) and data.config.corpus == "corpus.txt"
    bundle = bundle_for(data, ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(8,))), seed=0)
    run(train(bundle.model, data, TrainConfig(epochs=1, lr=0.5)), bundle.history.add)
    return save_checkpoint(bundle, "model.pt").resolve(), bundle


def test_the_corpus_is_found_from_any_working_directory(
        trained_here: tuple[Path, ModelBundle], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, bundle = trained_here
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = load_checkpoint(path)
    corpus = tmp_path / "work" / "corpus.txt"
    assert loaded.data_config.corpus == str(corpus.resolve())
    assert loaded.origin.notes == ()
    assert bundle.data_config.corpus == "corpus.txt"  # saving did not change the model in memory
    # Continuing from here reads the same corpus, with the same vocabulary.
    data = build_data(loaded.data_config)
    assert isinstance(data, LmData) and data.vocab == loaded.vocabs[0]
    assert all(torch.equal(a, b) for a, b in zip(loaded.model.state_dict().values(),
                                                  bundle.model.state_dict().values()))


def test_a_corpus_that_moved_is_named_in_a_note(
        trained_here: tuple[Path, ModelBundle], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = trained_here
    corpus = (tmp_path / "work" / "corpus.txt").resolve()
    corpus.rename(tmp_path / "corpus-moved.txt")
    monkeypatch.chdir(tmp_path)
    loaded = load_checkpoint(path)  # the model still opens: it does not need its corpus
    (note,) = loaded.origin.notes
    assert f"the corpus model.pt was trained on, {corpus}, is no longer there" in note
    assert "moved or deleted" in note and "choose its corpus again" in note
    assert loaded.data_config.corpus == str(corpus)


def test_the_cli_says_the_note_when_it_opens_the_file(
        trained_here: tuple[Path, ModelBundle], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from rnnviz.cli import main

    path, _ = trained_here
    (tmp_path / "work" / "corpus.txt").unlink()
    assert main(["generate", "--checkpoint", str(path), "--prefix", "the ", "--length", "5"]) == 0
    err = capsys.readouterr().err
    assert "rnnviz: note: the corpus model.pt was trained on" in err and "Traceback" not in err


def test_a_relative_corpus_in_an_older_file(
        trained_here: tuple[Path, ModelBundle], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Files saved before paths were resolved hold the corpus as given: it is found if it is
    there from the working directory, else the note says it is relative."""
    path, _ = trained_here
    payload = torch.load(path, weights_only=True)
    payload["data_config"]["corpus"] = "corpus.txt"
    payload["version"] = 1
    del payload["checksum"]
    torch.save(payload, path)

    monkeypatch.chdir(tmp_path / "work")
    loaded = load_checkpoint(path)
    assert loaded.data_config.corpus == str((tmp_path / "work" / "corpus.txt").resolve())
    assert [note for note in loaded.origin.notes if "corpus" in note] == []

    monkeypatch.chdir(tmp_path)
    (note,) = [note for note in load_checkpoint(path).origin.notes if "corpus" in note]
    assert f"corpus.txt (relative to {tmp_path}" in note and "is no longer there" in note


def test_a_registered_corpus_is_saved_by_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A file of the same name in the working directory must not turn the built-in corpus into a path.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "phrasebook-en").write_text(TEXT, encoding="utf-8")
    data = build_data(DataConfig(corpus="phrasebook-en", num_steps=8, batch_size=8, max_examples=None))
    bundle = bundle_for(data, ModelConfig(task="lm", stack=StackSpec(cell="gru", hidden_sizes=(4,))))
    loaded = load_checkpoint(save_checkpoint(bundle, tmp_path / "m.pt"))
    assert loaded.data_config.corpus == "phrasebook-en" and loaded.origin.notes == ()


def test_a_corpus_path_no_system_can_hold_is_a_note_not_an_error(trained_here: tuple[Path, ModelBundle]) -> None:
    path, _ = trained_here
    payload = torch.load(path, weights_only=True)
    payload["data_config"]["corpus"] = "~no-such-user-of-rnnviz/corpus.txt"  # expanding it fails
    payload["checksum"] = checksum(payload)
    torch.save(payload, path)
    (note,) = load_checkpoint(path).origin.notes
    assert "~no-such-user-of-rnnviz/corpus.txt, is no longer there" in note
