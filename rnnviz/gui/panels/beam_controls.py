"""The beam-search panel's controls: where the probabilities come from, and how the search runs.

The source (the book's table, a toy file, the current model and its text), the
strategy (greedy, beam, exhaustive), the beam size, the maximum length, the
n-best count, the length penalty and α, and which hypotheses compete.
The panel connects to the widgets and decides when to search.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from rnnviz.core.decoding import BeamOptions
from rnnviz.core.limits import BEAM_SIZE, NBEST, TREE_MAX_LEN
from rnnviz.gui.panels.model_panel import add_captioned, alpha_spin, limit_spin, read_numbers, signals_blocked, \
    wrapping_label
from rnnviz.gui.widgets.beam_tree import PRUNED_MODES

SOURCES: tuple[str, ...] = ("d2l", "file", "model")
_SOURCE_LABELS = {"d2l": "Book example (D2L 10.8)", "file": "Toy table file", "model": "Current model"}
_STRATEGY_LABELS = {"greedy": "Greedy", "beam": "Beam search", "exhaustive": "Exhaustive"}
_PRUNED_LABELS = {"all": "all steps", "newest": "newest step", "none": "none"}


class BeamControls(QWidget):
    """Two rows of choices and a description (``settings_box``, which presentation mode folds away),
    and the model's text (shown for the model source only, never folded: the lecturer types there)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.settings_box = QWidget()
        settings = QVBoxLayout(self.settings_box)
        settings.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.settings_box)
        source_row = QHBoxLayout()
        settings.addLayout(source_row)
        self.source_combo = QComboBox()
        for name in SOURCES:
            self.source_combo.addItem(_SOURCE_LABELS[name], name)
        self.source_combo.setToolTip("Where the next-token probabilities come from.")
        self.open_button = QPushButton("Open toy table…")
        self.open_button.setToolTip("A JSON file: {\"vocab\": [...], \"eos\": \"<eos>\", \"table\": {prefix: "
                                    "probabilities}, \"default\": [...]} (see rnnviz.core.decoding.toy).")
        self.text_label = QLabel("Sentence")
        self.text_edit = QLineEdit()
        self.text_edit.setClearButtonEnabled(True)
        self.text_label.setBuddy(self.text_edit)
        source_row.addWidget(QLabel("Source"))
        source_row.addWidget(self.source_combo)
        source_row.addWidget(self.open_button)

        self.description = wrapping_label(Qt.TextFormat.PlainText)

        options_row = QHBoxLayout()  # two rows, so presentation-size fonts still fit 1400 pixels
        settings.addLayout(options_row)
        self.strategy_combo = QComboBox()
        for name, label in _STRATEGY_LABELS.items():
            self.strategy_combo.addItem(label, name)
        self.strategy_combo.setToolTip("Greedy: the likeliest token at each step (a beam of 1). Beam: the k "
                                       "likeliest prefixes survive each step. Exhaustive: every sequence "
                                       "(only for tiny vocabularies).")
        self.beam_spin = limit_spin(BEAM_SIZE, "The beam size k: how many candidates survive each step.")
        self.max_len_spin = limit_spin(TREE_MAX_LEN, "At most this many tokens per hypothesis, <eos> included.")
        self.nbest_spin = limit_spin(NBEST, "How many hypotheses to list, best score first.")
        self.alpha_spin = alpha_spin()
        self.penalty_combo = QComboBox()
        for name, label, tip in (("book", "book: L^α", "The book's score: log P / L^α."),
                                 ("gnmt", "GNMT: ((5+L)/6)^α", "Wu et al. 2016: log P / ((5+L)/6)^α."),
                                 ("none", "none", "The score is log P itself: short hypotheses win.")):
            self.penalty_combo.addItem(label, name)
            self.penalty_combo.setItemData(self.penalty_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.penalty_combo.setToolTip("How the final score normalises log P for the length L.")
        self.candidates_combo = QComboBox()
        self.candidates_combo.addItem("finished (<eos>)", "eos")
        self.candidates_combo.addItem("book: every survivor", "book")
        self.candidates_combo.setToolTip("Which hypotheses compete for the output: those that ended in <eos> "
                                         "(and any still open at the maximum length), or, as the book words it, "
                                         "every step's survivors (a short prefix often wins).")
        for row, label, widget in ((source_row, "Strategy", self.strategy_combo),
                                   (source_row, "Beam size k", self.beam_spin),
                                   (source_row, "Max length", self.max_len_spin),
                                   (source_row, "n-best", self.nbest_spin),
                                   (options_row, "Length penalty", self.penalty_combo),
                                   (options_row, "α", self.alpha_spin),
                                   (options_row, "Candidates", self.candidates_combo)):
            add_captioned(row, label, widget, spacing=6)
        options_row.addStretch(1)
        source_row.addStretch(1)
        settings.addWidget(self.description)
        text_row = QHBoxLayout()  # shown for the model source only
        text_row.addWidget(self.text_label)
        text_row.addWidget(self.text_edit, 1)
        layout.addLayout(text_row)
        for combo in (self.source_combo, self.strategy_combo, self.penalty_combo, self.candidates_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # follows the theme's font

    @contextmanager
    def quiet(self, *others: QWidget) -> Iterator[None]:
        """Set controls without their signals (which would search once per control)."""
        with signals_blocked(self.source_combo, self.text_edit, self.strategy_combo, self.beam_spin,
                             self.max_len_spin, self.nbest_spin, self.alpha_spin, self.penalty_combo,
                             self.candidates_combo, *others):
            yield

    def strategy(self) -> str:
        return str(self.strategy_combo.currentData())

    def options(self) -> BeamOptions:
        """The options the controls describe; raises ConfigError when they do not fit together."""
        return BeamOptions(beam_size=self.beam_spin.value(), max_len=self.max_len_spin.value(),
                           nbest=self.nbest_spin.value(), alpha=round(self.alpha_spin.value(), 4),
                           length_penalty=self.penalty_combo.currentData(),
                           candidates=self.candidates_combo.currentData())

    def set_options(self, options: BeamOptions) -> None:
        """Every control from ``options``, quietly."""
        with self.quiet():
            self.beam_spin.setValue(options.beam_size)
            self.max_len_spin.setValue(options.max_len)
            self.nbest_spin.setValue(options.nbest)
            self.alpha_spin.setValue(float(options.alpha))
            self.penalty_combo.setCurrentIndex(max(0, self.penalty_combo.findData(options.length_penalty)))
            self.candidates_combo.setCurrentIndex(max(0, self.candidates_combo.findData(options.candidates)))

    def summary(self) -> str:
        """What the class should know of the settings when they are folded away."""
        strategy = self.strategy()
        how = f"beam k = {self.beam_spin.value()}" if strategy == "beam" else _STRATEGY_LABELS[strategy].lower()
        return f"{how}, max length {self.max_len_spin.value()}"

    def state(self) -> dict[str, Any]:
        """The choices as plain values (the source and the tree's options are the panel's)."""
        return {"text": self.text_edit.text(), "strategy": self.strategy(), "beam_size": self.beam_spin.value(),
                "max_len": self.max_len_spin.value(), "alpha": self.alpha_spin.value(),
                "length_penalty": self.penalty_combo.currentData(), "candidates": self.candidates_combo.currentData(),
                "nbest": self.nbest_spin.value()}

    def restore(self, state: dict[str, Any]) -> None:
        """The choices of :meth:`state`, quietly; unknown keys and bad values are ignored."""
        numbers = read_numbers(state, (("beam_size", int), ("max_len", int), ("nbest", int), ("alpha", float)))
        with self.quiet():
            for key, spin in (("beam_size", self.beam_spin), ("max_len", self.max_len_spin),
                              ("nbest", self.nbest_spin), ("alpha", self.alpha_spin)):
                if key in numbers:
                    spin.setValue(numbers[key])
            for key, combo in (("strategy", self.strategy_combo), ("length_penalty", self.penalty_combo),
                               ("candidates", self.candidates_combo)):
                if (index := combo.findData(state.get(key))) >= 0:
                    combo.setCurrentIndex(index)
            if isinstance(state.get("text"), str):
                self.text_edit.setText(state["text"])


class StepControls(QWidget):
    """Start / Previous / Next / All / Fit for the tree, and which pruned candidates it draws."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        step_row = QHBoxLayout()
        layout.addLayout(step_row)
        self.start_button = QPushButton("◀◀ Start")
        self.previous_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        self.all_button = QPushButton("All ▶▶")
        self.fit_button = QPushButton("Fit")
        for button, tip in ((self.start_button, "Only the root (Home)."),
                            (self.previous_button, "One step less (← or Page Up in the tree)."),
                            (self.next_button, "One step more: its candidates and which survive "
                                               "(→ or Page Down in the tree)."),
                            (self.all_button, "The whole search (End)."),
                            (self.fit_button, "Fit the tree to the view (F); wheel zooms, drag pans.")):
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click leaves the keys (a clicker's too) to the tree
            step_row.addWidget(button)
        step_row.addSpacing(8)
        self.pruned_combo = QComboBox()
        for mode in PRUNED_MODES:
            self.pruned_combo.addItem(_PRUNED_LABELS[mode], mode)
        self.pruned_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.pruned_combo.setToolTip("Which pruned candidates to draw; \"newest step\" keeps a long search compact.")
        step_row.addWidget(QLabel("Pruned shown"))
        step_row.addWidget(self.pruned_combo)
        step_row.addStretch(1)
        self.row = step_row  # the panel adds its settings' fold button at the end
