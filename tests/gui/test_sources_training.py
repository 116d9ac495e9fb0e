"""The app trains one language model on several texts opened together, and says each one's perplexity."""

from __future__ import annotations

from pathlib import Path

from tests.gui.test_main_window import make_window, train_one_epoch


def test_a_run_on_two_texts_shows_each_one_s_perplexity(qtbot, tmp_path: Path) -> None:
    a, b = tmp_path / "wells.txt", tmp_path / "austen.txt"
    a.write_text("the time traveller smiled at us and went on. " * 40, encoding="utf-8")
    b.write_text("it is a truth universally acknowledged, said she. " * 30, encoding="utf-8")
    window = make_window(qtbot, tmp_path)
    try:
        window.config_panel.num_steps.setValue(8)
        window.config_panel.batch_size.setValue(16)
        with qtbot.waitSignal(window.data_panel.sig_selection_changed, timeout=10_000):
            window.data_panel.open_files([str(a), str(b)])
        train_one_epoch(qtbot, window)
        assert window.controller.bundle.data_config.sources == (str(b),)
        readout = window.training_view.readout
        qtbot.waitUntil(lambda: "validation perplexity by source" in readout.text(), timeout=30_000)
        said = readout.text().split("validation perplexity by source: ")[1]
        assert [part.split()[0] for part in said.split(" · ")] == ["wells.txt", "austen.txt"]
        assert all(float(part.split()[1]) > 1 for part in said.split(" · "))
    finally:
        window.controller.shutdown(3000)
