"""The run bar: an opened run's epochs under every tab, with a slider, a spin box, Play and "live".

One row at the bottom of the window (a toolbar: it stays in presentation mode, under whichever
tab is shown), so that the epoch a lecturer scrubs to is in sight in Training, Gates and
Translate alike. The slider moves over the run's complete epochs only (an epoch that is
missing or was refused is skipped, and the note at the right says which); the spin box takes
any number in the run's range and goes to the nearest complete epoch.

Signals: ``sig_epoch(int)`` whenever the epoch shown changes by the user's hand, Play or a key;
``sig_live(bool)`` when "live" (stay at the newest epoch of a run being written) is turned on or
off; ``sig_close()`` for the Close button.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QSpinBox, QToolButton, QWidget,
)

from rnnviz.core.limits import EPOCH_PLAY_SPEED
from rnnviz.core.runs.reader import epoch_ranges


class ScrubberBar(QWidget):
    """An epoch slider over a run's complete epochs (see the module doc)."""

    sig_epoch = Signal(int)
    sig_live = Signal(bool)
    sig_close = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._epochs: tuple[int, ...] = ()
        self._epoch: int | None = None
        self.title = QLabel("No run")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName("epoch of the run")
        self.slider.setToolTip("The epoch every model tab shows ([ and ] move it; ← and → in the Training tab)")
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.setMinimumWidth(120)
        self.slider.setPageStep(1)
        self.spin = QSpinBox()
        self.spin.setAccessibleName("epoch")
        self.spin.setPrefix("epoch ")
        self.spin.setKeyboardTracking(False)  # typing "12" goes to 12, not to 1 on the way
        self.play_button = QToolButton()
        self.play_button.setText("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Step through the epochs at the speed beside it")
        self.speed = QDoubleSpinBox()
        self.speed.setAccessibleName("Play speed")
        self.speed.setRange(*EPOCH_PLAY_SPEED.spin_range())
        self.speed.setDecimals(2)
        self.speed.setValue(2.0)
        self.speed.setSuffix(" epochs/s")
        self.speed.setToolTip(EPOCH_PLAY_SPEED.tip("How fast Play steps through the epochs."))
        self.live_button = QToolButton()
        self.live_button.setText("● live")
        self.live_button.setCheckable(True)
        self.live_button.setToolTip("The run is being written: stay at its newest epoch as epochs arrive")
        self.notice = QLabel("")
        self.notice.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.notice.setStyleSheet("color: #8a5a00;")
        self.close_button = QToolButton()
        self.close_button.setText("Close run")
        self.close_button.setToolTip("Close the run: the tabs go back to the model trained or opened before")
        for button in (self.play_button, self.live_button, self.close_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the lecture keys stay with the window
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        for widget, stretch in ((self.title, 0), (self.slider, 3), (self.spin, 0), (self.play_button, 0),
                                (self.speed, 0), (self.live_button, 0), (self.notice, 2), (self.close_button, 0)):
            row.addWidget(widget, stretch)
        self._timer = QTimer(self)
        self._timer.setObjectName("rnnviz-run-play")
        self._timer.timeout.connect(self._play_step)
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)
        self.play_button.toggled.connect(self._on_play)
        self.speed.valueChanged.connect(lambda _v: self._timer.setInterval(self._interval_ms()))
        self.live_button.toggled.connect(self._on_live)
        self.close_button.clicked.connect(self.sig_close)
        self.set_epochs(())

    # ---- what is shown ----

    def epochs(self) -> tuple[int, ...]:
        return self._epochs

    def epoch(self) -> int | None:
        """The epoch shown (None: the run has none complete)."""
        return self._epoch

    def set_title(self, text: str) -> None:
        self.title.setText(text)
        self.title.setToolTip(text)

    def set_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setToolTip(text)

    def set_epochs(self, epochs: tuple[int, ...]) -> None:
        """The run's complete epochs, ascending; the epoch shown stays (or goes to the nearest)."""
        self._epochs = tuple(epochs)
        has = bool(self._epochs)
        for widget in (self.slider, self.spin, self.play_button):
            widget.setEnabled(len(self._epochs) > 1 or (widget is self.spin and has))
        with _Blocked(self.slider, self.spin):
            self.slider.setRange(0, max(len(self._epochs) - 1, 0))
            self.spin.setRange(self._epochs[0] if has else 0, self._epochs[-1] if has else 0)
        if not has:
            self._epoch = None
        elif self._epoch is None or self._epoch not in self._epochs:
            self._epoch = self.nearest(self._epoch if self._epoch is not None else self._epochs[-1])
        self._sync()

    def set_live_available(self, on: bool) -> None:
        """The run is being written (the live button shows) or not (it hides, unchecked)."""
        self.live_button.setVisible(on)
        if not on:
            with _Blocked(self.live_button):
                self.live_button.setChecked(False)

    def live(self) -> bool:
        """Stay at the newest epoch as a run being written grows."""
        return self.live_button.isChecked()

    def set_live(self, on: bool) -> None:
        self.live_button.setChecked(on)

    def nearest(self, epoch: int) -> int:
        """The complete epoch nearest ``epoch`` (the later one on a tie)."""
        epochs = self._epochs
        i = bisect.bisect_left(epochs, epoch)
        if i == len(epochs):
            return epochs[-1]
        if i == 0 or epochs[i] == epoch:
            return epochs[i]
        before, after = epochs[i - 1], epochs[i]
        return before if epoch - before < after - epoch else after

    def missing(self) -> tuple[int, ...]:
        """Epochs between the first and the last complete one that are not complete."""
        if not self._epochs:
            return ()
        have = set(self._epochs)
        return tuple(e for e in range(self._epochs[0], self._epochs[-1] + 1) if e not in have)

    # ---- moving ----

    def go_to(self, epoch: int, *, by_user: bool = True) -> None:
        """Show the complete epoch nearest ``epoch``; sig_epoch when it changed."""
        if not self._epochs:
            return
        target = self.nearest(int(epoch))
        if by_user and self.live_button.isChecked() and target != self._epochs[-1]:
            with _Blocked(self.live_button):
                self.live_button.setChecked(False)  # moved away from the newest: live is off
        if target == self._epoch:
            self._sync()
            return
        self._epoch = target
        self._sync()
        self.sig_epoch.emit(target)

    def step(self, direction: int) -> None:
        """The next (+1) or previous (-1) complete epoch."""
        if not self._epochs or self._epoch is None:
            return
        index = self._epochs.index(self._epoch) + direction
        if 0 <= index < len(self._epochs):
            self.go_to(self._epochs[index])

    def stop_playing(self) -> None:
        self.play_button.setChecked(False)

    def _sync(self) -> None:
        with _Blocked(self.slider, self.spin):
            if self._epoch is not None:
                self.slider.setValue(self._epochs.index(self._epoch))
                self.spin.setValue(self._epoch)
        skipped = self.missing()
        if skipped:
            self.spin.setToolTip(f"Epochs {epoch_ranges(skipped)} are not complete in this run: skipped")

    def _on_slider(self, index: int) -> None:
        if 0 <= index < len(self._epochs):
            self.go_to(self._epochs[index])

    def _on_spin(self, value: int) -> None:
        self.go_to(value)

    def _interval_ms(self) -> int:
        return max(int(1000 / self.speed.value()), 1)

    def _on_play(self, on: bool) -> None:
        if on:
            if self._epochs and self._epoch == self._epochs[-1]:
                self.go_to(self._epochs[0])  # from the start again
            self._timer.start(self._interval_ms())
        else:
            self._timer.stop()

    def _play_step(self) -> None:
        if not self._epochs or self._epoch is None or self._epoch == self._epochs[-1]:
            if not self.live_button.isChecked():
                self.stop_playing()  # at the end; a live run waits for its next epoch instead
            return
        self.step(+1)

    def _on_live(self, on: bool) -> None:
        if on and self._epochs:
            self.go_to(self._epochs[-1], by_user=False)
        self.sig_live.emit(on)


class _Blocked:
    """Signals of some widgets blocked for a while (restored as they were)."""

    def __init__(self, *widgets: QWidget) -> None:
        self.widgets = widgets
        self.was: list[bool] = []

    def __enter__(self) -> None:
        self.was = [w.blockSignals(True) for w in self.widgets]

    def __exit__(self, *_exc: object) -> None:
        for widget, was in zip(self.widgets, self.was):
            widget.blockSignals(was)
