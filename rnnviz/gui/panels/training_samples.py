"""The training panel's live sample box: the probe (a prefix, or a sentence to translate) and the samples.

The main window sends a sample of the model after each epoch; the box keeps
the newest ``SAMPLE_HISTORY``, newest first, the earlier ones greyed.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QFontMetricsF
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QLineEdit, QTextEdit, QVBoxLayout, QWidget

from rnnviz.gui.style import NORMAL, Theme

#: How many samples the history keeps (newest first).
SAMPLE_HISTORY = 12
_SAMPLES_PLACEHOLDER = "Samples appear here after each epoch: watch the text improve."
_TASK_PROBE_LABELS = {"lm": ("Prefix to continue", "e.g. time traveller "),
                      "mt": ("Sentence to translate", "e.g. go .")}


class SampleBox(QGroupBox):
    """"Live sample": the probe's line and the latest samples."""

    #: The user finished editing the probe text (LM prefix or MT sentence); carries the new text.
    sig_probe_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Live sample", parent)
        self._samples: list[tuple[int, str]] = []
        self._last_probe = ""
        self._theme = NORMAL
        layout = QVBoxLayout(self)
        probe_row = QHBoxLayout()
        layout.addLayout(probe_row)
        self.probe_label = QLabel(_TASK_PROBE_LABELS["lm"][0])
        self.probe_edit = QLineEdit()
        self.probe_edit.setPlaceholderText(_TASK_PROBE_LABELS["lm"][1])
        self.probe_edit.setClearButtonEnabled(True)
        self.probe_label.setBuddy(self.probe_edit)
        self.samples_view = QTextEdit()
        self.samples_view.setReadOnly(True)
        self.samples_view.setPlaceholderText(_SAMPLES_PLACEHOLDER)
        probe_row.addWidget(self.probe_label)
        probe_row.addWidget(self.probe_edit, 1)
        layout.addWidget(self.samples_view)
        self.probe_edit.editingFinished.connect(self._on_probe_edited)

    def set_task(self, task: str) -> None:
        """"lm" (a prefix to continue), "mt" (a sentence to translate), or a task that needs memory (no
        live sample: the box says where to look instead); ValueError otherwise."""
        memory = task in ("recall", "adding", "copy")
        self.probe_edit.setEnabled(not memory)
        if memory:
            self.probe_label.setText("No live sample")
            self.probe_edit.setPlaceholderText("a task that needs memory has no text to continue")
            self.samples_view.setPlaceholderText("No samples here: see the validation metric (Show) and the "
                                                 "Gates tab.")
            return
        if task not in _TASK_PROBE_LABELS:
            raise ValueError(f"task must be 'lm', 'mt', 'recall', 'adding' or 'copy', got {task!r}")
        self.samples_view.setPlaceholderText(_SAMPLES_PLACEHOLDER)
        text, placeholder = _TASK_PROBE_LABELS[task]
        self.probe_label.setText(text)
        self.probe_edit.setPlaceholderText(placeholder)

    def show_sample(self, epoch: int, text: str) -> None:
        """Show the latest sample as "epoch N: text" above the earlier ones (the newest ``SAMPLE_HISTORY``)."""
        self._samples.insert(0, (int(epoch), str(text)))
        del self._samples[SAMPLE_HISTORY:]
        self._render()

    def clear_samples(self) -> None:
        self._samples.clear()
        self._render()

    def set_probe(self, text: str) -> None:
        """Set the probe text without emitting ``sig_probe_changed``."""
        self._last_probe = text
        self.probe_edit.setText(text)

    def probe(self) -> str:
        return self.probe_edit.text()

    def apply_theme(self, theme: Theme, base_pt: float) -> None:
        """A fixed-width font for the samples and the probe; earlier samples in the theme's muted colour."""
        self._theme = theme
        sample = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        sample.setPointSizeF(base_pt * theme.font_scale * 1.15)
        self.samples_view.setFont(sample)
        self.probe_edit.setFont(sample)
        # The newest sample's first lines at least (it is on top); the rest of the height goes to the curves.
        lines = QFontMetricsF(sample).lineSpacing() * (1.4 if theme.font_scale > 1.2 else 2.0)
        self.samples_view.setMinimumHeight(int(lines + 2 * self.samples_view.frameWidth() + 8))
        self._render()

    def _on_probe_edited(self) -> None:
        text = self.probe_edit.text()
        if text != self._last_probe:
            self._last_probe = text
            self.sig_probe_changed.emit(text)

    def _render(self) -> None:
        muted = self._theme.muted
        blocks = []
        for i, (epoch, text) in enumerate(self._samples):
            body = html.escape(text).replace("\n", "<br>")
            style = "" if i == 0 else f' style="color: {muted};"'
            blocks.append(f"<p{style}><b>epoch {epoch}:</b> {body}</p>")
        self.samples_view.setHtml("".join(blocks))
