"""The translation panel: a sentence in, the greedy translation and the n-best beam list out.

Type an English sentence: the panel shows what the encoder read (unknown
words coloured as ``<unk>``, with the word typed; trimming said), the greedy
translation (the book's ``predict_step``), and beam search's n best
hypotheses with their log-probability and length-normalised score. An
optional reference translation adds the book's BLEU (k = 2, section 10.7)
for each. The model runs off the GUI thread; typing re-translates after a
short pause, and only the newest answer is shown.

Public API (the main window is written against it):

- ``sig_translated(object)`` — a translation is shown; carries a
  :class:`~rnnviz.gui.panels.decode_jobs.TranslationOutcome`.
- ``sig_show_tree(object)`` — "Show beam tree" was pressed; carries a
  :class:`~rnnviz.gui.panels.decode_jobs.TreeRequest` for
  :meth:`BeamPanel.show_request <rnnviz.gui.panels.beam_panel.BeamPanel.show_request>`.
- ``sig_failed(str)`` — the model could not translate; carries the message shown in the panel.
- ``set_bundle(bundle)`` — the translation model (None: none); translates the sentence shown.
- ``set_sentence(text)``, ``set_reference(text)``, ``translate_now()``, ``set_options(beam_size=…,
  nbest=…, alpha=…, length_penalty=…)``, ``options()``.
- ``outcome()``, ``message()``, ``is_busy()``.
- ``apply_theme(theme)``, ``state()`` / ``restore_state(state)``.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.beam import BeamOptions
from rnnviz.core.errors import RnnvizError
from rnnviz.gui.panels.decode_jobs import BLEU_K, SearchOutcome, TranslationOutcome, TreeRequest, translate_job
from rnnviz.gui.panels.latest_job import LatestJob
from rnnviz.gui.style import NORMAL, Theme

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle

TABLE_COLUMNS: tuple[str, ...] = ("#", "translation", "log P", "score", "ends", "BLEU")
UNKNOWN_COLOR = "#D55E00"  # vermillion, as everywhere a problem is shown
_TYPING_DELAY_MS = 400
_DEFAULT_STATE: dict[str, Any] = {"sentence": "The girls are happy.", "reference": "", "beam_size": 4, "nbest": 4,
                                  "alpha": 0.75, "length_penalty": "book"}


class TranslatePanel(QWidget):
    #: A translation is shown; carries the TranslationOutcome.
    sig_translated = Signal(object)
    #: "Show beam tree" was pressed; carries a TreeRequest for the beam panel.
    sig_show_tree = Signal(object)
    #: The model could not translate (empty sentence, no known word…); carries the message shown.
    sig_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bundle: ModelBundle | None = None
        self._outcome: TranslationOutcome | None = None
        self._message = ""
        self._theme = NORMAL
        base = QApplication.font().pointSizeF()
        self._base_pt = base if base > 0 else 10.0
        self._job = LatestJob(self, self._show, self._fail)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(_TYPING_DELAY_MS)
        self._typing.timeout.connect(self.translate_now)
        self._build()
        self.apply_theme(NORMAL)
        self.restore_state(_DEFAULT_STATE)

    # ------------------------------------------------------------------ public API

    def set_bundle(self, bundle: ModelBundle | None) -> None:
        """The translation model; the sentence shown is translated again (a language model is refused)."""
        self._bundle = bundle
        self._outcome = None
        self.tree_button.setEnabled(False)
        if bundle is None:
            self._job.cancel()
            self._clear()
            self._show_message("No translation model: train one or open a checkpoint.", error=False)
            return
        self.translate_now()

    def bundle(self) -> ModelBundle | None:
        return self._bundle

    def set_sentence(self, text: str) -> None:
        """Set the sentence and translate it now."""
        self.sentence_edit.blockSignals(True)
        self.sentence_edit.setText(text)
        self.sentence_edit.blockSignals(False)
        self.translate_now()

    def sentence(self) -> str:
        return self.sentence_edit.text()

    def set_reference(self, text: str) -> None:
        """Set the reference translation (for BLEU; "" for none) and translate again."""
        self.reference_edit.blockSignals(True)
        self.reference_edit.setText(text)
        self.reference_edit.blockSignals(False)
        self.translate_now()

    def options(self) -> BeamOptions:
        """Beam search's options; max_len is the model's num_steps, as greedy translation uses."""
        max_len = int(self._bundle.data_config.num_steps or 9) if self._bundle is not None else 10
        return BeamOptions(beam_size=self.beam_spin.value(), max_len=max_len,
                           nbest=min(self.nbest_spin.value(), self.beam_spin.value() * max_len),
                           alpha=round(self.alpha_spin.value(), 4), length_penalty=self.penalty_combo.currentData())

    def set_options(self, beam_size: int | None = None, nbest: int | None = None, alpha: float | None = None,
                    length_penalty: str | None = None) -> None:
        """Change beam search's controls (those given) and translate once."""
        widgets = (self.beam_spin, self.nbest_spin, self.alpha_spin, self.penalty_combo)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            if beam_size is not None:
                self.beam_spin.setValue(int(beam_size))
            if nbest is not None:
                self.nbest_spin.setValue(int(nbest))
            if alpha is not None:
                self.alpha_spin.setValue(float(alpha))
            if length_penalty is not None and self.penalty_combo.findData(length_penalty) >= 0:
                self.penalty_combo.setCurrentIndex(self.penalty_combo.findData(length_penalty))
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.translate_now()

    def translate_now(self) -> None:
        """Translate the sentence shown (off the GUI thread); an empty one gets the core's message."""
        self._typing.stop()
        bundle = self._bundle
        if bundle is None:
            return
        if bundle.task != "mt":
            self._job.cancel()
            self._fail("This is a language model; translation needs a translation model (Generate continues text).")
            return
        try:
            options = self.options()
        except RnnvizError as error:
            self._fail(str(error))
            return
        sentence, reference = self.sentence_edit.text(), self.reference_edit.text()
        self.status_label.setText("Translating…")
        self._job.submit(lambda: translate_job(bundle, sentence, reference, options))

    def outcome(self) -> TranslationOutcome | None:
        return self._outcome

    def message(self) -> str:
        """The message or notices now shown ("" when none)."""
        return self._message

    def is_busy(self) -> bool:
        return self._job.busy

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``."""
        self._theme = theme
        font = QFont(self.font())
        font.setPointSizeF(self._base_pt * theme.font_scale)
        self.setFont(font)
        big = QFont(font)
        big.setPointSizeF(self._base_pt * theme.font_scale * 1.5)
        self.greedy_label.setFont(big)
        source = QFont(font)
        source.setPointSizeF(self._base_pt * theme.font_scale * 1.2)
        self.source_label.setFont(source)
        caption = QFont(font)
        caption.setBold(True)
        for label in (self.source_caption, self.greedy_caption, self.beam_caption):
            label.setFont(caption)
        self.table.verticalHeader().setDefaultSectionSize(int(self.fontMetrics().height() * 1.6))
        self._show_message(self._message, self.message_label.property("error") is True)
        if self._outcome is not None:
            self._show(self._outcome, emit=False)

    def state(self) -> dict[str, Any]:
        return {"sentence": self.sentence_edit.text(), "reference": self.reference_edit.text(),
                "beam_size": self.beam_spin.value(), "nbest": self.nbest_spin.value(),
                "alpha": self.alpha_spin.value(), "length_penalty": self.penalty_combo.currentData()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Apply settings from :meth:`state` (unknown keys and bad values ignored); translate if there is a model."""
        for key, edit in (("sentence", self.sentence_edit), ("reference", self.reference_edit)):
            if isinstance(state.get(key), str):
                edit.blockSignals(True)
                edit.setText(state[key])
                edit.blockSignals(False)
        kwargs: dict[str, Any] = {}
        for key, kind in (("beam_size", int), ("nbest", int), ("alpha", float)):
            try:
                value = kind(state[key])
            except (KeyError, TypeError, ValueError):
                continue
            if kind is float and not math.isfinite(value):
                continue
            kwargs[key] = value
        if isinstance(state.get("length_penalty"), str):
            kwargs["length_penalty"] = state["length_penalty"]
        self.set_options(**kwargs)  # translates when there is a model

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        root = QVBoxLayout(self)
        grid = QGridLayout()
        root.addLayout(grid)
        self.sentence_edit = QLineEdit()
        self.sentence_edit.setPlaceholderText("e.g. The girls are happy.")
        self.sentence_edit.setClearButtonEnabled(True)
        self.translate_button = QPushButton("Translate")
        self.reference_edit = QLineEdit()
        self.reference_edit.setPlaceholderText("optional: the correct translation, e.g. les filles sont heureuses .")
        self.reference_edit.setClearButtonEnabled(True)
        self.reference_edit.setToolTip(f"With a reference, each translation gets the book's BLEU (k = {BLEU_K}); "
                                       "it is lowercased and split like the training data.")
        for row, (text, edit) in enumerate((("English", self.sentence_edit), ("Reference", self.reference_edit))):
            label = QLabel(text)
            label.setBuddy(edit)
            grid.addWidget(label, row, 0)
            grid.addWidget(edit, row, 1)
        grid.addWidget(self.translate_button, 0, 2)
        grid.setColumnStretch(1, 1)

        controls = QHBoxLayout()
        root.addLayout(controls)
        self.beam_spin = QSpinBox()
        self.beam_spin.setRange(1, 32)
        self.beam_spin.setToolTip("The beam size k (1 = greedy search).")
        self.nbest_spin = QSpinBox()
        self.nbest_spin.setRange(1, 32)
        self.nbest_spin.setToolTip("How many hypotheses to list, best score first.")
        self.alpha_spin = QDoubleSpinBox()
        self.alpha_spin.setRange(0.0, 3.0)
        self.alpha_spin.setSingleStep(0.05)
        self.alpha_spin.setToolTip("The exponent α of the length penalty; the book uses 0.75.")
        self.penalty_combo = QComboBox()
        for name, label in (("book", "book: L^α"), ("gnmt", "GNMT: ((5+L)/6)^α"), ("none", "none")):
            self.penalty_combo.addItem(label, name)
        self.penalty_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for spin in (self.beam_spin, self.nbest_spin, self.alpha_spin):
            spin.setKeyboardTracking(False)
        for text, widget in (("Beam size k", self.beam_spin), ("n-best", self.nbest_spin), ("α", self.alpha_spin),
                             ("Length penalty", self.penalty_combo)):
            label = QLabel(text)
            label.setBuddy(widget)
            if controls.count():
                controls.addSpacing(8)
            controls.addWidget(label)
            controls.addWidget(widget)
        controls.addStretch(1)
        self.tree_button = QPushButton("Show beam tree")
        self.tree_button.setToolTip("Open this search in the Beam search tab: the tree, step by step.")
        self.tree_button.setEnabled(False)
        controls.addWidget(self.tree_button)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message_label.hide()

        self.source_caption = QLabel("The model reads")
        root.addWidget(self.source_caption)
        self.source_label = QLabel()
        self.source_label.setTextFormat(Qt.TextFormat.RichText)
        self.source_label.setWordWrap(True)
        self.source_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        root.addWidget(self.source_label)
        root.addWidget(self.message_label)  # under what the model read: the notices explain it
        self.greedy_caption = QLabel("Greedy translation")
        root.addWidget(self.greedy_caption)
        self.greedy_label = QLabel()
        self.greedy_label.setTextFormat(Qt.TextFormat.PlainText)
        self.greedy_label.setWordWrap(True)
        self.greedy_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.greedy_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        root.addWidget(self.greedy_label)
        self.beam_caption = QLabel("Beam search, best score first")
        root.addWidget(self.beam_caption)
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(TABLE_COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        root.addWidget(self.table, 1)
        self.status_label = QLabel()
        root.addWidget(self.status_label)

        self.translate_button.clicked.connect(self.translate_now)
        self.sentence_edit.returnPressed.connect(self.translate_now)
        self.reference_edit.returnPressed.connect(self.translate_now)
        self.sentence_edit.textEdited.connect(lambda _: self._typing.start())
        self.reference_edit.textEdited.connect(lambda _: self._typing.start())
        for spin in (self.beam_spin, self.nbest_spin, self.alpha_spin):
            spin.valueChanged.connect(self.translate_now)
        self.penalty_combo.currentIndexChanged.connect(self.translate_now)
        self.tree_button.clicked.connect(self._emit_tree)

    # ------------------------------------------------------------------ showing

    def _show(self, outcome: TranslationOutcome, emit: bool = True) -> None:
        self._outcome = outcome
        self.status_label.setText("")
        self.source_label.setText(self._source_html(outcome))
        greedy = outcome.greedy.text or "(nothing: <eos> came first)"
        if outcome.greedy_bleu is not None:
            greedy += f"      BLEU {outcome.greedy_bleu:.3f}"
        self.greedy_label.setText(greedy)
        self._fill_table(outcome)
        self._show_message("\n".join(outcome.beam.notices), error=False)
        self.tree_button.setEnabled(True)
        if emit:
            self.sig_translated.emit(outcome)

    def _source_html(self, outcome: TranslationOutcome) -> str:
        """The encoder's tokens; an unknown word as a coloured <unk>, the word typed beside it."""
        from rnnviz.core.data.tokenize import tokenize_mt

        words = tokenize_mt(" ".join(outcome.sentence.split()))
        parts = []
        for i, token in enumerate(outcome.beam.source_tokens):
            if token == "<unk>":
                typed = html.escape(words[i]) if i < len(words) else ""
                parts.append(f'<span style="color:{UNKNOWN_COLOR}; font-weight:bold;">&lt;unk&gt;</span>'
                             f'<span style="color:{self._theme.muted};">({typed})</span>')
            else:
                parts.append(html.escape(token))
        text = " ".join(parts)
        if outcome.beam.trimmed:
            text += f' <span style="color:{UNKNOWN_COLOR};">✂ trimmed to the model\'s num_steps</span>'
        return text

    def _fill_table(self, outcome: TranslationOutcome) -> None:
        hypotheses = outcome.beam.hypotheses
        self.table.setRowCount(len(hypotheses))
        bold = QFont(self.font())
        bold.setBold(True)
        for row, (h, score) in enumerate(zip(hypotheses, outcome.beam_bleu)):
            cells = (str(row + 1), h.text or "(empty)", f"{h.log_prob:.3f}", f"{h.score:.3f}",
                     "<eos>" if h.finished else "max length", "" if score is None else f"{score:.3f}")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if row == 0:
                    item.setFont(bold)
                self.table.setItem(row, column, item)
        self.table.setColumnHidden(len(TABLE_COLUMNS) - 1, not outcome.reference_tokens)
        k = outcome.beam.result.options.beam_size
        self.beam_caption.setText(f"Beam search (k = {k}), best score first")

    def _clear(self) -> None:
        self._outcome = None
        self.source_label.setText("")
        self.greedy_label.setText("")
        self.table.setRowCount(0)
        self.status_label.setText("")
        self.tree_button.setEnabled(False)

    def _fail(self, message: str) -> None:
        self._clear()
        self._show_message(message, error=True)
        self.sig_failed.emit(message)

    def _show_message(self, text: str, error: bool) -> None:
        self._message = text
        self.message_label.setText(text)
        self.message_label.setProperty("error", error)
        color = self._theme.colors[1] if error else self._theme.muted
        self.message_label.setStyleSheet(f"color: {color};")  # colour only: a font here would drop the theme's size
        font = QFont(self.font())
        font.setBold(error)
        self.message_label.setFont(font)
        self.message_label.setVisible(bool(text))

    def _emit_tree(self) -> None:
        outcome, bundle = self._outcome, self._bundle
        if outcome is None or bundle is None:
            return
        beam = outcome.beam
        search = SearchOutcome(beam.result, beam.vocabulary, "<bos>", beam.source_tokens, beam.notices,
                               outcome.sentence)
        self.sig_show_tree.emit(TreeRequest(bundle, search))
