"""Before a long run starts: say how long it will take, and offer the book's size.

A lecturer who presses Train on the book's full data set would otherwise find
out from the ETA, with the class watching. The estimate is this machine's CPU
(``rnnviz.core.estimate``), so a run on a GPU is not questioned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QMessageBox, QWidget

if TYPE_CHECKING:
    from rnnviz.gui.panels.config_panel import ConfigPanel


def on_gpu(device_box: QComboBox) -> bool:
    """The run will use a GPU: one is chosen, or "auto" and the machine has one."""
    chosen = device_box.currentText()
    names = [chosen] if chosen != "auto" else [device_box.itemText(i) for i in range(device_box.count())]
    return any(name.startswith(("cuda", "mps")) for name in names)


def confirm_long_run(parent: QWidget, config: ConfigPanel, corpus: str, device_box: QComboBox) -> bool:
    """True to go on (perhaps at the smaller size the user took); False when the user cancelled."""
    if on_gpu(device_box):
        return True
    warning = config.long_run_warning(corpus)
    if warning is None:
        return True
    box = QMessageBox(QMessageBox.Icon.Warning, "A long run", warning, QMessageBox.StandardButton.NoButton, parent)
    suggestion = config.suggestion()
    smaller = box.addButton(suggestion.label, QMessageBox.ButtonRole.AcceptRole) if suggestion else None
    anyway = box.addButton("Train anyway", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(smaller or anyway)
    box.exec()
    clicked = box.clickedButton()
    if smaller is not None and clicked is smaller:
        return config.apply_suggestion()
    return clicked is anyway
