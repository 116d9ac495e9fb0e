"""The Training tab's controls on a narrow screen: at 1280×720 with a dock open (≈ 944 px for the tab),
normal and presentation type, nothing is cut off, the tab does not scroll sideways, and the Show list
shows "Val accuracy (%)" whole; on a wide screen they stay in one row."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QFileDialog, QStyle, QStyleOptionComboBox, QWidget

from rnnviz.gui.panels.training_controls import TrainingControls
from rnnviz.gui.panels.training_view import TrainingView
from rnnviz.gui.style import NORMAL, PRESENTATION, Theme
from rnnviz.gui.widgets.panel_tabs import PanelTabs
from tests.gui.panels.test_training_view import epoch_end, make_steps

TAB_WIDTH_AT_1280 = 944  # the Training tab's width on a 1280-wide screen beside the 330-px dock column


def text_room(combo: QComboBox) -> int:
    """The width the combo box gives its text (without the arrow and the frame)."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    return combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                        QStyle.SubControl.SC_ComboBoxEditField, combo).width()


def inside(widget: QWidget, outer: QWidget) -> bool:
    """``widget`` lies wholly within ``outer``'s rectangle (no part of it cut off at an edge)."""
    top_left = widget.mapTo(outer, widget.rect().topLeft())
    return outer.rect().contains(top_left) and outer.rect().contains(top_left + widget.rect().bottomRight())


def tab_at(qtbot, theme: Theme, width: int) -> tuple[PanelTabs, TrainingView]:
    """The Training tab as the window holds it (a scrolling page), ``width`` wide, with a recall run's accuracy."""
    tabs = PanelTabs()
    qtbot.addWidget(tabs)
    view = TrainingView()
    tabs.add_panel(view, "Training")
    view.apply_theme(theme)
    view.begin_run("GRU 1×8, adam lr 0.01, recall", "lm")
    view.add_events([*make_steps(4), epoch_end(4)])
    view.controls.offer_metric("accuracy")
    view.metric_combo.setCurrentIndex(view.metric_combo.findData("val_metric"))
    tabs.resize(width, 700)
    tabs.show()
    qtbot.waitExposed(tabs)
    qtbot.wait(50)
    return tabs, view


@pytest.mark.parametrize("theme", [NORMAL, PRESENTATION], ids=lambda t: t.name)
def test_at_1280_beside_a_dock_nothing_is_cut_off_and_the_tab_does_not_scroll_sideways(qtbot, theme: Theme) -> None:
    tabs, view = tab_at(qtbot, theme, TAB_WIDTH_AT_1280)
    page = tabs.currentWidget().parentWidget().parentWidget().parentWidget()  # the scroll area around the panel
    assert view.minimumSizeHint().width() <= page.viewport().width()
    assert page.horizontalScrollBar().maximum() == 0, "the Training tab scrolls sideways"
    c = view.controls
    for widget in (c.metric_combo, c.x_axis_combo, c.log_y_check, c.gradients_check, c.smoothing_slider,
                   c.smoothing_value, c.clear_button, c.export_button):
        assert widget.isVisible() and inside(widget, page.viewport()), widget
    combo = view.metric_combo
    longest = max(combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
    assert combo.currentText() == "Val accuracy (%)" and text_room(combo) >= longest


def test_presentation_type_at_1280_wraps_the_controls_onto_two_rows_without_overlap(qtbot) -> None:
    _, view = tab_at(qtbot, PRESENTATION, TAB_WIDTH_AT_1280)
    c = view.controls
    assert c.rows() == 2
    assert c.smoothing_slider.mapTo(view, c.smoothing_slider.rect().topLeft()).y() > \
        c.metric_combo.mapTo(view, c.metric_combo.rect().bottomLeft()).y()
    readout_top = view.readout.mapTo(view, view.readout.rect().topLeft()).y()
    assert c.mapTo(view, c.rect().bottomLeft()).y() < readout_top, "the second row covers the readout"


def test_on_a_wide_screen_the_controls_stay_in_one_row(qtbot) -> None:
    _, view = tab_at(qtbot, PRESENTATION, 1900)
    c = view.controls
    assert c.rows() == 1
    def middle(widget: QWidget) -> int:
        return widget.mapTo(c, widget.rect().center()).y()

    assert abs(middle(c.export_button) - middle(c.metric_combo)) <= 4


def test_narrowing_and_widening_the_tab_moves_the_controls_between_one_and_two_rows(qtbot) -> None:
    tabs, view = tab_at(qtbot, NORMAL, 1900)
    assert view.controls.rows() == 1
    tabs.resize(view.controls.one_row_width() - 40, 700)
    qtbot.waitUntil(lambda: view.controls.rows() == 2, timeout=2000)
    tabs.resize(1900, 700)
    qtbot.waitUntil(lambda: view.controls.rows() == 1, timeout=2000)


def test_the_export_button_offers_the_csv_and_the_image(qtbot, monkeypatch, tmp_path: Path) -> None:
    _, view = tab_at(qtbot, NORMAL, TAB_WIDTH_AT_1280)
    c = view.controls
    assert [a.text() for a in c.export_menu.actions()] == ["Curves as CSV…", "Image (PNG or SVG)…"]
    for action, name in ((c.csv_action, "curves.csv"), (c.image_action, "plots.png")):
        target = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, t=target: (str(target), ""))
        action.trigger()
        assert target.is_file() and target.stat().st_size > 0, name
    assert (tmp_path / "curves.csv").read_text().startswith("run,kind,step")


def test_the_show_list_is_as_wide_as_an_entry_added_after_it_was_shown(qtbot) -> None:
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.resize(1200, 40)
    controls.show()
    qtbot.waitExposed(controls)
    controls.offer_metric("accuracy")
    qtbot.wait(50)
    combo = controls.metric_combo
    combo.setCurrentIndex(combo.findData("val_metric"))
    assert combo.minimumSizeHint().width() >= combo.sizeHint().width()
    assert text_room(combo) >= combo.fontMetrics().horizontalAdvance("Val accuracy (%)")


def test_presentation_mode_on_and_off_at_1280_wraps_and_unwraps_the_controls(qtbot) -> None:
    _, view = tab_at(qtbot, NORMAL, TAB_WIDTH_AT_1280)
    assert view.controls.rows() == 1  # normal type fits one row beside the dock: the plots keep the height
    view.apply_theme(PRESENTATION)
    qtbot.waitUntil(lambda: view.controls.rows() == 2, timeout=2000)
    view.apply_theme(NORMAL)
    qtbot.waitUntil(lambda: view.controls.rows() == 1, timeout=2000)
