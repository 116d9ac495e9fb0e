"""The beam-search panel's controls: where the probabilities come from, and how the search runs.

The source (the book's table, a toy file, the current model and its text), the
strategy (greedy, beam, exhaustive), the beam size, the maximum length, the
n-best count, the length penalty and α, and which hypotheses compete.
The panel connects to the widgets and decides when to search.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from rnnviz.gui.panels.model_panel import add_captioned, alpha_spin, int_spin, wrapping_label
from rnnviz.gui.widgets.beam_tree import PRUNED_MODES

SOURCES: tuple[str, ...] = ("d2l", "file", "model")
_SOURCE_LABELS = {"d2l": "Book example (D2L 10.8)", "file": "Toy table file", "model": "Current model"}
_STRATEGY_LABELS = {"greedy": "Greedy", "beam": "Beam search", "exhaustive": "Exhaustive"}
_PRUNED_LABELS = {"all": "all steps", "newest": "newest step", "none": "none"}


class BeamControls(QWidget):
    """Two rows of choices, the model's text (shown for the model source only) and a description."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        source_row = QHBoxLayout()
        layout.addLayout(source_row)
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
        layout.addLayout(options_row)
        self.strategy_combo = QComboBox()
        for name, label in _STRATEGY_LABELS.items():
            self.strategy_combo.addItem(label, name)
        self.strategy_combo.setToolTip("Greedy: the likeliest token at each step (a beam of 1). Beam: the k "
                                       "likeliest prefixes survive each step. Exhaustive: every sequence "
                                       "(only for tiny vocabularies).")
        self.beam_spin = int_spin(1, 64, "The beam size k: how many candidates survive each step.")
        self.max_len_spin = int_spin(1, 60, "At most this many tokens per hypothesis, <eos> included.")
        self.nbest_spin = int_spin(1, 50, "How many hypotheses to list, best score first.")
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
        text_row = QHBoxLayout()  # shown for the model source only
        text_row.addWidget(self.text_label)
        text_row.addWidget(self.text_edit, 1)
        layout.addLayout(text_row)
        layout.addWidget(self.description)
        for combo in (self.source_combo, self.strategy_combo, self.penalty_combo, self.candidates_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # follows the theme's font


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
