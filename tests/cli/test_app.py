"""`rnnviz` / `rnnviz gui`: launching the desktop app, or saying why it cannot start."""

from __future__ import annotations

import sys

import pytest

from rnnviz.cli import main


def test_gui_without_a_screen_is_a_message(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main([]) == 1
    assert "no screen" in capsys.readouterr().err
