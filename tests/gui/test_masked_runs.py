"""Exercise 3 of section 10.7 in the window: a masked and an unmasked run overlaid, told apart by name."""

from __future__ import annotations

from pathlib import Path

from tests.gui.test_main_window import make_window, wait_state


def test_an_unmasked_run_is_a_new_model_and_its_legend_says_so(qtbot, tmp_path: Path) -> None:
    window = make_window(qtbot, tmp_path)
    try:
        with qtbot.waitSignal(window.data_panel.sig_stats_ready, timeout=30_000):
            window.data_panel.task_buttons["mt"].click()
        panel = window.config_panel
        panel.epochs.setValue(1)
        panel.max_examples.setValue(300)
        assert panel.mask_padding.isVisible() and panel.mask_padding.isChecked()
        for unmasked in (False, True):
            panel.mask_padding.setChecked(not unmasked)
            with qtbot.waitSignal(window.controller.sig_finished, timeout=60_000):
                window.act_train.trigger()
            wait_state(qtbot, window, "idle")
            assert window.controller.bundle.model_config.mask_padding is (not unmasked)
        masked_run, unmasked_run = window.training_view.runs()[-2:]
        assert "unmasked loss" not in masked_run
        assert "unmasked loss" in unmasked_run and not unmasked_run.endswith("(continued)")  # another loss: a new model
        assert window.training_view.plots.loss.legend.names()[:2] == [masked_run, unmasked_run]  # both overlaid
    finally:
        window.controller.shutdown(3000)
