"""A lecturer's tour of the app, by keys and clicks, in a real window: every tab, normal and presentation mode.

    xvfb-run -s "-screen 0 1280x720x24" python scripts/tour.py --shots /tmp/tour

Each tab is reached by a click on its tab, then driven with the lecture's keys with the focus
in awkward places (the tab bar, a spin box, a text field); a screenshot of the screen is taken
in each tab and mode. The tour checks what a lecturer would notice (a key that switched tab,
changed a spin box or started a run by surprise; presentation mode that does not give the
window back) and exits 1 with the reasons, 0 when all went as meant. tests/gui/test_tour.py
runs it under Xvfb and fails on any traceback it prints.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTabBar, QWidget

from rnnviz.gui.app import make_app
from rnnviz.gui.main_window import MainWindow

problems: list[str] = []


def check(ok: bool, what: str) -> None:
    if not ok:
        problems.append(what)
        print(f"tour: NOT OK: {what}", flush=True)


def wait(app: QApplication, until: Callable[[], bool], seconds: float, what: str) -> bool:
    deadline = time.monotonic() + seconds
    while not until():
        if time.monotonic() > deadline:
            check(False, f"timed out waiting for {what}")
            return False
        app.processEvents()
        time.sleep(0.01)
    return True


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def key(widget: QWidget, k: Qt.Key) -> None:
    widget.setFocus()
    QTest.keyClick(widget, k)


def shoot(app: QApplication, window: MainWindow, folder: Path | None, name: str) -> None:
    settle(app, 0.4)
    if folder is not None:
        screen = window.screen() or QApplication.primaryScreen()
        screen.grabWindow(0).save(str(folder / f"{name}.png"))


def click_tab(app: QApplication, window: MainWindow, index: int) -> QTabBar:
    bar = window.tabs.findChild(QTabBar)
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    settle(app, 0.1)
    check(window.tabs.currentIndex() == index, f"a click on the tab {window.tabs.tabText(index)!r} showed it")
    return bar


def tour_tabs(app: QApplication, window: MainWindow, folder: Path | None, mode: str) -> None:
    for index in range(window.tabs.count()):
        name = window.tabs.tabText(index)
        bar = click_tab(app, window, index)
        panel = window.tabs.widget(index)
        if panel is window.gates_panel:
            wait(app, lambda: panel.trace() is not None and not panel.is_busy(), 60, "the gates' trace")
            step = panel.step()
            key(bar, Qt.Key.Key_Right)
            key(window.config_panel.epochs, Qt.Key.Key_PageDown)
            check(panel.step() == step + 2, f"{mode}: → and PageDown stepped the Gates tab ({step} → {panel.step()})")
            key(bar, Qt.Key.Key_Left)
        elif panel is window.gradients_panel:
            wait(app, lambda: panel.result() is not None and not panel.is_busy(), 60, "the gradients")
            row = panel.row()
            key(bar, Qt.Key.Key_Left)
            key(window.config_panel.epochs, Qt.Key.Key_PageUp)
            check(panel.row() == row - 2, f"{mode}: ← and PageUp moved the Gradients tab's loss row ({row} → {panel.row()})")
        elif panel is window.beam_panel:
            tree = panel.tree
            wait(app, lambda: tree.shown_steps() >= 1, 30, "the beam tree")
            step = tree.shown_steps()
            key(bar, Qt.Key.Key_PageDown)
            check(tree.shown_steps() == step + 1, f"{mode}: PageDown stepped the beam search ({step} → {tree.shown_steps()})")
        elif panel is window.generate_panel:
            wait(app, lambda: panel.bundle() is not None, 60, "the shipped language model")
            settle(app, 1.0)
        elif panel is window.translate_panel:
            wait(app, lambda: panel.bundle() is not None, 60, "the shipped translation model")
            key(bar, Qt.Key.Key_Right)
            check(window.controller.state == "idle", f"{mode}: → in Translate started nothing")
        elif panel is window.training_view:
            epochs = window.config_panel.epochs
            value = epochs.value()
            key(epochs, Qt.Key.Key_Space)
            wait(app, lambda: window.controller.state in ("running", "idle"), 30, "the run to start")
            check(epochs.value() == value, f"{mode}: Space on the epochs spin box left its value")
            wait(app, lambda: window.controller.state == "idle", 120, "the run to end")
            probe = window.training_view.probe_edit
            before = probe.text()
            probe.setCursorPosition(len(before))
            key(probe, Qt.Key.Key_Space)
            check(probe.text() == before + " " and window.controller.state == "idle",
                  f"{mode}: Space in the probe field typed a space and started nothing")
            probe.setText(before)
        check(window.tabs.currentIndex() == index, f"{mode}: the keys left the {name} tab in view")
        shoot(app, window, folder, f"{mode}-{index}-{name.lower().replace(' ', '-')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=Path, help="folder for the screenshots")
    args = parser.parse_args(argv)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    app = make_app()
    with tempfile.TemporaryDirectory() as home:
        window = MainWindow(QSettings(str(Path(home) / "settings.ini"), QSettings.Format.IniFormat))
        screen = QApplication.primaryScreen().availableGeometry()
        window.setGeometry(screen)
        window.show()
        window.activateWindow()
        wait(app, lambda: not window.data_panel.is_busy(), 60, "the corpus to load")
        window.builder.encoder.set_hidden(16)  # a class-sized run that ends in seconds
        window.config_panel.epochs.setValue(2)
        before = window.geometry()
        check(before.width() <= screen.width() and before.height() <= screen.height(),
              f"the window fits the {screen.width()}×{screen.height()} screen (it is {before.width()}×{before.height()})")
        tour_tabs(app, window, args.shots, "normal")
        key(window.tabs.findChild(QTabBar), Qt.Key.Key_F5)
        check(window.presentation.on, "F5 turned presentation mode on")
        tour_tabs(app, window, args.shots, "presentation")
        key(window.tabs.findChild(QTabBar), Qt.Key.Key_B)
        check(window.presentation.blank.isVisible(), "B blanked the screen")
        shoot(app, window, args.shots, "presentation-blank")
        key(window.tabs.findChild(QTabBar), Qt.Key.Key_Escape)
        check(not window.presentation.blank.isVisible(), "Esc uncovered it")
        key(window.tabs.findChild(QTabBar), Qt.Key.Key_F5)
        deadline = time.monotonic() + 5
        while window.geometry() != before and time.monotonic() < deadline:
            settle(app, 0.05)
        after = window.geometry()
        if after != before:
            print("tour: minimum sizes:", window.minimumSizeHint().toTuple(), "tabs",
                  [(window.tabs.tabText(i), window.tabs.widget(i).minimumSizeHint().toTuple())
                   for i in range(window.tabs.count())], "data", window.data_dock.minimumSizeHint().toTuple(),
                  "config", window.config_dock.minimumSizeHint().toTuple(), flush=True)
        check(after == before, f"leaving presentation mode gave the window back ({before.getRect()} → {after.getRect()})")
        window.close()
        settle(app, 0.2)
    if problems:
        print(f"tour: {len(problems)} problem(s)", flush=True)
        return 1
    print("tour: every tab driven by keys and clicks, in the normal and the presentation mode", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
