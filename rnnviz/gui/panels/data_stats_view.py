"""The Data panel's statistics: what a corpus is, its figures, and two plots.

:class:`CorpusStatsView` shows a corpus's title, provenance and size, a status
line (loading, not downloaded, why not), the figures (vocabulary, tokens, …)
and two plots: Zipf's law (D2L section 9.2) and tokens per sentence (D2L
section 10.5). :func:`fact_rows` says which figures a corpus has (Qt-free).
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from rnnviz.core.data.corpora import CorpusInfo
from rnnviz.core.data.stats import LmStats, MtStats
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.corpus_plots import LengthHistogram, ZipfPlot
from rnnviz.gui.widgets.download_dialog import format_bytes
from rnnviz.gui.widgets.wheel_guard import PlotFrame

_CLEANING = {"letters": "letters only, lowercase (the book's rule)",
             "lower": "lowercase, whitespace collapsed"}
_LM_LENGTH_NOTE = ("A language model reads the text as one stream, cut into windows of num_steps "
                   "tokens; line lengths only show how the file is laid out.")
#: One figure: (name, value, a note under the value or "", tooltip).
Fact = tuple[str, str, str, str]


def fact_rows(stats: LmStats | MtStats) -> list[Fact]:
    """The figures shown beside the plots for a language-model or a translation corpus."""
    if isinstance(stats, LmStats):
        top = ", ".join(word for word, _ in stats.unigrams.top(6))
        return [
            ("Vocabulary", f"{stats.char_vocab_size:,} characters · {stats.word_vocab_size:,} words",
             "distinct tokens, plus <unk>",
             "The vocabularies of the book's character and word language models (section 9.2)."),
            ("Tokens", f"{stats.n_chars:,} characters · {stats.n_words:,} words",
             f"after cleaning: {_CLEANING.get(stats.cleaning, stats.cleaning)}",
             "How the raw text is cleaned before it is split into tokens."),
            ("Most frequent", top or "—", "",
             "\n".join(f"{word}: {count:,}" for word, count in stats.unigrams.top(10))
             + "\n\nThe commonest words are mostly 'stop words' (section 9.2)."),
        ]
    reserved = "<pad> <bos> <eos> <unk>"
    return [
        ("Sentence pairs", f"{stats.n_pairs:,}", "", "Source–target pairs in the corpus."),
        ("Vocabulary", f"{stats.src_vocab_size:,} source · {stats.tgt_vocab_size:,} target",
         f"tokens seen ≥ {stats.min_freq} times, plus {reserved}",
         f"As the book's MTFraEng (section 10.5): tokens seen at least {stats.min_freq} times, "
         f"plus the reserved {reserved}; rarer tokens become <unk>."),
        ("Tokens", f"{stats.src_tokens:,} source · {stats.tgt_tokens:,} target", "",
         "Lowercased, with a space before , . ! ? (the book's preprocessing)."),
    ]


def wrappable(text: str) -> str:
    """``text`` with places to break a line after / _ . (a zero-width space): a long file name or path
    wraps at a narrow dock's width instead of being cut off."""
    for mark in "/\\_.":
        text = text.replace(mark, mark + "\u200b")
    return text


def length_edges(lengths: np.ndarray) -> np.ndarray:
    """One bin per length up to 100, else 50 equal bins."""
    top = int(lengths.max())
    return np.arange(1, top + 2) - 0.5 if top <= 100 else np.histogram_bin_edges(lengths, 50)


class CorpusStatsView(QWidget):
    """Title, provenance, size, status, figures and the two plots of one corpus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base_font = QFont(self.font())
        self._base_pt = self._base_font.pointSizeF() if self._base_font.pointSizeF() > 0 else 10.0
        self._theme = NORMAL
        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.provenance_label = QLabel()
        self.provenance_label.setWordWrap(True)
        self.size_label = QLabel()
        self.size_label.setWordWrap(True)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.hide()
        self.facts_box = QWidget()
        self._facts_form = QFormLayout(self.facts_box)
        self._fact_values: dict[str, str] = {}
        self._facts_form.setContentsMargins(0, 0, 0, 0)
        self._facts_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._facts_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow dock: value under name

        # The dock scrolls: each plot takes the wheel only after a click, and has a Reset view button.
        self.zipf_plot = ZipfPlot()
        self.length_plot = LengthHistogram()
        self.zipf_frame = PlotFrame(self.zipf_plot, self.zipf_plot.reset_view)
        self.length_frame = PlotFrame(self.length_plot, self.length_plot.reset_view)
        for frame in (self.zipf_frame, self.length_frame):
            frame.set_title(frame.plot.title())
            frame.plot.sig_title_changed.connect(frame.set_title)
        self.length_note = QLabel(_LM_LENGTH_NOTE)
        self.length_note.setWordWrap(True)
        self.length_note.hide()
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.length_frame, 1)
        lower_layout.addWidget(self.length_note)
        self.plots = QSplitter(Qt.Orientation.Vertical)
        self.plots.addWidget(self.zipf_frame)
        self.plots.addWidget(lower)
        self.plots.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.title_label, self.provenance_label, self.size_label, self.status_label, self.facts_box):
            layout.addWidget(widget)
        layout.addWidget(self.plots, 1)

    def facts(self) -> dict[str, str]:
        """The figures shown, by row name (e.g. "Vocabulary"), as plain text."""
        return dict(self._fact_values)

    def set_busy(self, text: str | None) -> None:
        """A status line while something loads (None: done); the figures and plots dimmed meanwhile."""
        busy = text is not None
        self.status_label.setText(text or "")
        self.status_label.setVisible(busy)
        self.facts_box.setEnabled(not busy)
        for plot in (self.zipf_plot, self.length_plot):
            plot.set_dimmed(busy)

    def say(self, text: str) -> None:
        """A lasting status line (not downloaded, download failed or cancelled)."""
        self.status_label.setText(text)
        self.status_label.show()

    def show_info(self, info: CorpusInfo, where: str) -> None:
        # Titles and paths wrap (at / _ . too), never cut off at the dock's width; the tooltip has them whole.
        self.title_label.setText(wrappable(info.title))
        self.title_label.setToolTip(info.title)
        self.provenance_label.setText(wrappable(info.provenance))
        self.provenance_label.setToolTip(info.provenance)
        self.size_label.setText(f"{format_bytes(info.size_bytes)} · {info.task_name} · {where}")

    def set_facts(self, rows: list[tuple[str, str, str, str]]) -> None:
        """Rows of (name, value, note under the value or "", tooltip)."""
        form = self._facts_form
        while form.rowCount():
            form.removeRow(0)
        self._fact_values = {}
        for name, value, note, tip in rows:
            self._fact_values[name] = value
            label, field = QLabel(name), QLabel()
            field.setTextFormat(Qt.TextFormat.RichText)
            field.setText(f"<b>{html.escape(value)}</b>"
                          + (f"<br><small>{html.escape(note)}</small>" if note else ""))
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setWordWrap(True)
            for widget in (label, field):
                widget.setToolTip(tip)
            form.addRow(label, field)
            label.show()  # now, not at the next event-loop turn: a grab or a test sees them at once
            field.show()
        self._style_facts()

    def show_stats(self, stats: LmStats | MtStats, line_lengths: np.ndarray | None) -> None:
        """Figures and plots of a loaded corpus; ``line_lengths``: a language model's words per line."""
        self.set_facts(fact_rows(stats))
        if isinstance(stats, LmStats):
            self.zipf_plot.setToolTip("")
            self.zipf_plot.set_series([("unigram", stats.unigrams), ("bigram", stats.bigrams),
                                       ("trigram", stats.trigrams)])
            lengths = line_lengths if line_lengths is not None else np.zeros(0, np.int64)
            if len(lengths):
                edges = length_edges(lengths)
                self.length_plot.set_histogram(edges, [("lines", np.histogram(lengths, edges)[0])],
                                               title="Words per line", x_label="words per line",
                                               y_label="number of lines")
            else:
                self.length_plot.clear_series("no words")
            self.length_note.show()
        else:
            self.zipf_plot.set_series([("source", stats.src_freqs), ("target", stats.tgt_freqs)])
            top = int(max(stats.src_lengths.max(), stats.tgt_lengths.max()))
            edges, src, tgt = stats.length_histogram(None if top <= 100 else 50)
            self.length_plot.set_histogram(edges, [("source", src), ("target", tgt)],
                                           title="Tokens per sentence", x_label="tokens per sentence",
                                           y_label="number of sentences")
            self.length_note.hide()

    def clear_stats(self, why: str) -> None:
        """No figures, empty plots that say ``why``."""
        self.set_facts([])
        self.zipf_plot.clear_series(why)
        self.length_plot.clear_series(why)
        self.length_note.hide()

    def font_for(self, factor: float = 1.0, bold: bool = False) -> QFont:
        """The base font × the theme's scale × ``factor``."""
        font = QFont(self._base_font)
        font.setPointSizeF(self._base_pt * self._theme.font_scale * factor)
        font.setBold(bold)
        return font

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.title_label.setFont(self.font_for(1.35, bold=True))
        for label in (self.provenance_label, self.size_label, self.length_note):
            label.setFont(self.font_for(0.9))
        self.status_label.setFont(self.font_for(1.0, bold=True))
        self._style_facts()
        for plot in (self.zipf_plot, self.length_plot):
            plot.apply_theme(theme, self._base_pt)
        for frame in (self.zipf_frame, self.length_frame):
            frame.apply_theme(self.font_for(1.15, bold=True), self.font_for(0.9))

    def _style_facts(self) -> None:
        form = self._facts_form
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            value = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label:
                label.widget().setFont(self.font_for())
            if value:
                value.widget().setFont(self.font_for(1.1))
