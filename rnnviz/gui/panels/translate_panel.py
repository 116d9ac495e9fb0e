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
  :class:`~rnnviz.core.decoding.analysis.TranslationOutcome`.
- ``sig_show_tree(object)`` — "Show beam tree" was pressed; carries a
  :class:`~rnnviz.core.decoding.analysis.TreeRequest` for
  :meth:`BeamPanel.show_request <rnnviz.gui.panels.beam_panel.BeamPanel.show_request>`.
- ``sig_failed(str)`` — the model could not translate; carries the message shown in the panel.
- ``set_bundle(bundle)`` — the translation model (None: none); translates the sentence shown.
- ``set_sentence(text)``, ``set_reference(text)``, ``translate_now()``, ``set_options(beam_size=…,
  nbest=…, alpha=…, length_penalty=…)``, ``options()``.
- ``outcome()``, ``message()``, ``is_busy()``.
- ``apply_theme(theme)``, ``state()`` / ``restore_state(state)``.
- ``lengths``: the "BLEU by source length" box (:mod:`rnnviz.gui.panels.translate_lengths`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.decoding import BeamOptions
from rnnviz.core.errors import RnnvizError
from rnnviz.core.limits import BEAM_SIZE, NBEST
from rnnviz.core.decoding import BLEU_K, SearchOutcome, TranslationOutcome, TreeRequest
from rnnviz.core.decoding import translate_and_score as translate_job
from rnnviz.gui.panels.model_panel import (
    ModelPanel,
    add_captioned,
    alpha_spin,
    fill_ranked_table,
    limit_spin,
    ranked_table,
    read_numbers,
    signals_blocked,
    wrapping_label,
)
from rnnviz.gui.panels.translate_lengths import BleuByLengthBox
from rnnviz.gui.style import NORMAL, Theme

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle

TABLE_COLUMNS: tuple[str, ...] = ("#", "translation", "log P", "score", "ends", "BLEU")
UNKNOWN_COLOR = "#D55E00"  # vermillion, as everywhere a problem is shown
_TYPING_DELAY_MS = 400
_DEFAULT_STATE: dict[str, Any] = {"sentence": "The girls are happy.", "reference": "", "beam_size": 4, "nbest": 4,
                                  "alpha": 0.75, "length_penalty": "book"}


class TranslatePanel(ModelPanel):
    #: A translation is shown; carries the TranslationOutcome.
    sig_translated = Signal(object)
    #: "Show beam tree" was pressed; carries a TreeRequest for the beam panel.
    sig_show_tree = Signal(object)
    # sig_failed (ModelPanel): the model could not translate (empty sentence, no known word…).

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, self._show, self.translate_now, _TYPING_DELAY_MS)
        self._outcome: TranslationOutcome | None = None
        self._build()
        self.apply_theme(NORMAL)
        self.restore_state(_DEFAULT_STATE)

    # ------------------------------------------------------------------ public API

    def set_bundle(self, bundle: ModelBundle | None) -> None:
        """The translation model; the sentence shown is translated again (a language model is refused)."""
        self._bundle = bundle
        self._outcome = None
        self.tree_button.setEnabled(False)
        self.lengths.set_bundle(bundle)
        if bundle is None:
            self._show_no_model("No translation model: train one or open a checkpoint.")
            return
        self.translate_now()

    def set_sentence(self, text: str) -> None:
        """Set the sentence and translate it now."""
        with signals_blocked(self.sentence_edit):
            self.sentence_edit.setText(text)
        self.translate_now()

    def sentence(self) -> str:
        return self.sentence_edit.text()

    def set_reference(self, text: str) -> None:
        """Set the reference translation (for BLEU; "" for none) and translate again."""
        with signals_blocked(self.reference_edit):
            self.reference_edit.setText(text)
        self.translate_now()

    def options(self) -> BeamOptions:
        """Beam search's options; max_len is the model's num_steps, as greedy translation uses."""
        max_len = self._bundle.max_len if self._bundle is not None else 10
        return BeamOptions(beam_size=self.beam_spin.value(), max_len=max_len,
                           nbest=min(self.nbest_spin.value(), self.beam_spin.value() * max_len),
                           alpha=round(self.alpha_spin.value(), 4), length_penalty=self.penalty_combo.currentData())

    def set_options(self, beam_size: int | None = None, nbest: int | None = None, alpha: float | None = None,
                    length_penalty: str | None = None) -> None:
        """Change beam search's controls (those given) and translate once."""
        with signals_blocked(self.beam_spin, self.nbest_spin, self.alpha_spin, self.penalty_combo):
            if beam_size is not None:
                self.beam_spin.setValue(int(beam_size))
            if nbest is not None:
                self.nbest_spin.setValue(int(nbest))
            if alpha is not None:
                self.alpha_spin.setValue(float(alpha))
            if length_penalty is not None and self.penalty_combo.findData(length_penalty) >= 0:
                self.penalty_combo.setCurrentIndex(self.penalty_combo.findData(length_penalty))
        self.translate_now()

    def translate_now(self) -> None:
        """Translate the sentence shown (off the GUI thread); an empty one gets the core's message."""
        bundle = self._model_for(
            "mt", "This is a language model; translation needs a translation model (Generate continues text).")
        if bundle is None:
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

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``."""
        font = self._apply_base_theme(theme)
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
        self.lengths.apply_theme(theme, self._base_pt)
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
                with signals_blocked(edit):
                    edit.setText(state[key])
        kwargs = read_numbers(state, (("beam_size", int), ("nbest", int), ("alpha", float)))
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
        self.beam_spin = limit_spin(BEAM_SIZE, "The beam size k (1 = greedy search).")
        self.nbest_spin = limit_spin(NBEST, "How many hypotheses to list, best score first.")
        self.alpha_spin = alpha_spin()
        self.penalty_combo = QComboBox()
        for name, label in (("book", "book: L^α"), ("gnmt", "GNMT: ((5+L)/6)^α"), ("none", "none")):
            self.penalty_combo.addItem(label, name)
        self.penalty_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for text, widget in (("Beam size k", self.beam_spin), ("n-best", self.nbest_spin), ("α", self.alpha_spin),
                             ("Length penalty", self.penalty_combo)):
            add_captioned(controls, text, widget, spacing=8)
        controls.addStretch(1)
        self.tree_button = QPushButton("Show beam tree")
        self.tree_button.setToolTip("Open this search in the Beam search tab: the tree, step by step.")
        self.tree_button.setEnabled(False)
        controls.addWidget(self.tree_button)

        self.source_caption = QLabel("The model reads")
        root.addWidget(self.source_caption)
        self.source_label = wrapping_label(Qt.TextFormat.RichText)
        root.addWidget(self.source_label)
        root.addWidget(self._build_message_label())  # under what the model read: the notices explain it
        self.greedy_caption = QLabel("Greedy translation")
        root.addWidget(self.greedy_caption)
        self.greedy_label = wrapping_label(Qt.TextFormat.PlainText, selectable=True)
        root.addWidget(self.greedy_label)
        self.beam_caption = QLabel("Beam search, best score first")
        root.addWidget(self.beam_caption)
        self.table = ranked_table(TABLE_COLUMNS)
        root.addWidget(self.table, 1)
        self.status_label = QLabel()
        root.addWidget(self.status_label)
        self.lengths = BleuByLengthBox()  # exercise 2 of section 10.7: the validation pairs by source length
        root.addWidget(self.lengths)

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
        rows = [(str(row + 1), h.text or "(empty)", f"{h.log_prob:.3f}", f"{h.score:.3f}",
                 "<eos>" if h.finished else "max length", "" if score is None else f"{score:.3f}")
                for row, (h, score) in enumerate(zip(outcome.beam.hypotheses, outcome.beam_bleu))]
        fill_ranked_table(self.table, rows, self.font())
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

    def _emit_tree(self) -> None:
        outcome, bundle = self._outcome, self._bundle
        if outcome is None or bundle is None:
            return
        beam = outcome.beam
        search = SearchOutcome(beam.result, beam.vocabulary, "<bos>", beam.source_tokens, beam.notices,
                               outcome.sentence)
        self.sig_show_tree.emit(TreeRequest(bundle, search))
