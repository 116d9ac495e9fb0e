"""The beam-search panel: search a toy table or a model, step through the tree, rank the hypotheses.

Sources of a ``step`` function (D2L section 10.8):

- the book's toy table (:func:`rnnviz.core.decoding.toy.d2l`, built in, the default):
  greedy search reads A B C <eos> (0.048), a beam of 2 finds A C B <eos> (0.054);
- a toy JSON file (Open…; the format is in :mod:`rnnviz.core.decoding.toy`); a bad file's
  problem is shown in the panel and the previous source stays;
- the current model (:meth:`BeamPanel.set_bundle`): a translation model and a
  source sentence, or a language model and a prefix.

Every control re-runs the search at once. Toy tables are searched on the GUI
thread (a millisecond or so); a model is searched on the thread pool, one job
at a time, and a result that no longer matches the controls is dropped
(``beam_searching``).

Public API (the main window is written against it):

- ``sig_result_shown(object)`` — a search was drawn; carries the
  :class:`~rnnviz.core.decoding.BeamResult`.
- ``sig_failed(str)`` — a search or a toy file failed; carries the message the
  panel shows (for the status bar).
- ``set_bundle(bundle)`` — the model searched when the source is "model" (None: no model).
- ``show_request(request)`` — show a :class:`~rnnviz.core.decoding.TreeRequest`
  (what the translate and generate panels' ``sig_show_tree`` carry): the
  source becomes that model and text, the controls take its options.
- ``set_source(name)`` ("d2l" | "file" | "model"), ``load_toy_file(path)``,
  ``set_model_text(text)``, ``set_strategy(name)``, ``set_options(options)``, ``run()``.
- ``result()``, ``options()``, ``message()``, ``is_busy()``; widgets ``tree``
  (:class:`~rnnviz.gui.widgets.beam_tree.BeamTreeView`) and ``table``.
- ``apply_theme(theme)``, ``state()`` / ``restore_state(state)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.decoding import BeamOptions, BeamResult, Hypothesis
from rnnviz.core.errors import RnnvizError
from rnnviz.core.decoding.toy import D2L_BEAM_SIZE, D2L_MAX_LEN, D2L_START_STEP, ToyDecoder, d2l, load_toy
from rnnviz.core.decoding import TreeRequest
from rnnviz.gui.panels.model_panel import (
    ModelPanel,
    ranked_table,
    wrapping_label,
)
from rnnviz.gui.panels.beam_controls import SOURCES, BeamControls, StepControls
from rnnviz.gui.panels.beam_searching import BeamSearching
from rnnviz.gui.panels.beam_table import TABLE_COLUMNS, legend_html
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.beam_tree import PRUNED_MODES, BeamTreeView
from rnnviz.gui.widgets.fold import FoldButton

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle

_TYPING_DELAY_MS = 350  # a model re-searches this long after the last keystroke
# The book's example as the CLI searches it (rnnviz.core.decoding.toy: one source for both).
_DEFAULT_STATE: dict[str, Any] = {
    "source": "d2l", "toy_path": "", "text": "The girls are happy.", "strategy": "beam", "beam_size": D2L_BEAM_SIZE,
    "max_len": D2L_MAX_LEN,
    "alpha": 0.75, "length_penalty": "book", "candidates": "eos", "nbest": 3, "pruned": "all"}


class BeamPanel(BeamSearching, ModelPanel):
    #: A search was drawn; carries its BeamResult.
    sig_result_shown = Signal(object)
    # sig_failed (ModelPanel): a search or a toy file failed.

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, self._show_outcome, self._request_run, _TYPING_DELAY_MS)  # model searches only
        self._toy_file: ToyDecoder | None = None
        self._toy_path = ""
        self._d2l = d2l()
        self._source = "d2l"
        self._result: BeamResult | None = None
        self._vocabulary: tuple[str, ...] = ()
        self._joiner = " "
        self._last_key: tuple[Any, ...] | None = None
        self._open_at: int | None = None  # a toy search (re)opened: show this step, not the last
        self._build()
        self.apply_theme(NORMAL)
        self.restore_state(_DEFAULT_STATE)

    # ------------------------------------------------------------------ public API

    def set_bundle(self, bundle: ModelBundle | None) -> None:
        """The model searched when the source is "model": translation (sentence) or language model (prefix)."""
        self._bundle = bundle
        self._sync_model_row()
        if self._source == "model":
            self._last_key = None
            self._request_run()

    def source(self) -> str:
        return self._source

    def set_source(self, name: str) -> None:
        """Search the book's table ("d2l"), the opened toy file ("file") or the model ("model")."""
        if name not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {name!r}")
        self.source_combo.setCurrentIndex(SOURCES.index(name))  # _on_source_changed runs the search

    def load_toy_file(self, path: str | Path) -> bool:
        """Open a toy JSON table and search it; a bad file's message is shown and the source is kept."""
        try:
            toy = load_toy(Path(path))  # a Path: never mistaken for a built-in table's name
        except RnnvizError as error:
            self._fail(f"Could not use the toy table: {error}", clear=False)
            return False
        self._toy_file, self._toy_path = toy, str(path)
        if self._source == "file":
            self._on_source_changed()
        else:
            self.set_source("file")
        return True

    def set_model_text(self, text: str) -> None:
        """The sentence (translation) or prefix (language model) the model source searches from."""
        self.text_edit.setText(text)
        self._typing.stop()
        self._request_run()

    def strategy(self) -> str:
        return self.controls.strategy()

    def set_strategy(self, name: str) -> None:
        index = self.strategy_combo.findData(name)
        if index < 0:
            raise ValueError(f"unknown strategy {name!r}")
        self.strategy_combo.setCurrentIndex(index)

    def options(self) -> BeamOptions:
        """The options the controls describe; raises ConfigError when they do not fit together."""
        return self.controls.options()

    def set_options(self, options: BeamOptions) -> None:
        """Set every control from ``options`` and search once."""
        self.controls.set_options(options)
        self._request_run()

    def run(self) -> None:
        """Search again now with the current source and controls."""
        self._last_key = None
        self._request_run()

    def show_request(self, request: TreeRequest) -> None:
        """Show a search run elsewhere (translate / generate panel) and make its model the source."""
        outcome = request.outcome
        self._bundle = request.bundle
        self._typing.stop()

        def apply() -> None:
            self.source_combo.setCurrentIndex(SOURCES.index("model"))
            self.text_edit.setText(outcome.text)
            self.strategy_combo.setCurrentIndex(max(0, self.strategy_combo.findData(outcome.result.strategy)))

        self._with_signals_blocked(apply)
        self.controls.set_options(outcome.result.options)
        self._source = "model"
        self._sync_model_row()
        self._sync_enabled()
        self._job.cancel()  # a search in flight is now stale
        self._last_key = self._run_key()
        self._show_outcome(outcome)

    def result(self) -> BeamResult | None:
        return self._result

    def vocabulary(self) -> tuple[str, ...]:
        return self._vocabulary

    def hypothesis_text(self, hypothesis: Hypothesis) -> str:
        return self._joiner.join(self._vocabulary[i] for i in hypothesis.tokens)

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``; the tree's lines follow the theme."""
        font = self._apply_base_theme(theme)
        big = QFont(font)
        big.setPointSizeF(self._base_pt * theme.font_scale * 1.15)
        big.setBold(True)
        self.step_label.setFont(big)
        self.tree.apply_theme(theme)
        self.legend.setText(legend_html(self._theme))
        presenting = theme.font_scale >= 1.2
        self.legend.setVisible(not presenting)  # on a projector the tree needs the height; a tip keeps it
        self.fold_button.set_folded(presenting)  # and the settings fold away, summed up on the button
        self.tree.setToolTip("" if self.legend.isVisibleTo(self) else self.legend.text())
        self.table.verticalHeader().setDefaultSectionSize(int(self.fontMetrics().height() * 1.5))
        if self._result is not None:
            self._fill_table()

    def state(self) -> dict[str, Any]:
        return {"source": self._source, "toy_path": self._toy_path, **self.controls.state(),
                "pruned": self.tree.pruned_mode()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Apply settings from :meth:`state` and search once; unknown keys and bad values are ignored."""
        self.controls.restore(state)
        if state.get("pruned") in PRUNED_MODES:
            self._with_signals_blocked(
                lambda: self.pruned_combo.setCurrentIndex(PRUNED_MODES.index(state["pruned"])))
        self.tree.set_pruned_mode(str(self.pruned_combo.currentData()))
        path = state.get("toy_path")
        source = state.get("source") if state.get("source") in SOURCES else self._source
        if isinstance(path, str) and path and (self._toy_file is None or path != self._toy_path):
            try:
                self._toy_file, self._toy_path = load_toy(Path(path)), path
            except RnnvizError as error:  # the file moved or changed since: say so, fall back to the book's
                if source == "file":
                    source = "d2l"
                self._with_signals_blocked(lambda: self.source_combo.setCurrentIndex(SOURCES.index(source)))
                self._source = source
                self._sync_model_row()
                self._sync_enabled()
                self._open_toy_at_start()
                self.run()
                self._fail(f"Could not reopen the toy table: {error}", clear=False)
                return
        self._with_signals_blocked(lambda: self.source_combo.setCurrentIndex(SOURCES.index(source)))
        self._source = source
        self._sync_model_row()
        self._sync_enabled()
        self._open_toy_at_start()
        self.run()

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        root = QVBoxLayout(self)
        self.controls = BeamControls()
        root.addWidget(self.controls)
        # The widgets tests and the main window reach for, under their names of old.
        c = self.controls
        self.source_combo, self.open_button, self.text_label, self.text_edit = c.source_combo, c.open_button, \
            c.text_label, c.text_edit
        self.strategy_combo, self.beam_spin, self.max_len_spin, self.nbest_spin = c.strategy_combo, c.beam_spin, \
            c.max_len_spin, c.nbest_spin
        self.alpha_spin, self.penalty_combo, self.candidates_combo = c.alpha_spin, c.penalty_combo, \
            c.candidates_combo
        self.description = c.description

        root.addWidget(self._build_message_label())

        self.steps = StepControls()
        root.addWidget(self.steps)
        self.start_button, self.previous_button, self.next_button = self.steps.start_button, \
            self.steps.previous_button, self.steps.next_button
        self.all_button, self.fit_button, self.pruned_combo = self.steps.all_button, self.steps.fit_button, \
            self.steps.pruned_combo
        self.fold_button = FoldButton(self.controls.settings_box, self.controls.summary)
        self.steps.row.addWidget(self.fold_button)
        self.step_label = wrapping_label()  # a row of its own: at presentation size it takes two lines
        root.addWidget(self.step_label)

        splitter = QSplitter(Qt.Orientation.Vertical)
        root.addWidget(splitter, 1)
        tree_box = QWidget()
        tree_layout = QVBoxLayout(tree_box)
        tree_layout.setContentsMargins(0, 0, 0, 0)
        self.tree = BeamTreeView()
        self.tree.set_placeholder("Choose a source to search.")
        tree_layout.addWidget(self.tree, 1)
        self.legend = wrapping_label(Qt.TextFormat.RichText)
        tree_layout.addWidget(self.legend)
        splitter.addWidget(tree_box)
        self.table = ranked_table(TABLE_COLUMNS)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setToolTip("The final candidates ranked by score; select one to highlight its path in the tree.")
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.open_button.clicked.connect(self._ask_toy_file)
        self.text_edit.textChanged.connect(lambda _: self._typing.start())
        self.text_edit.returnPressed.connect(self._on_text_entered)
        self.strategy_combo.currentIndexChanged.connect(self._on_strategy_changed)
        for spin in (self.beam_spin, self.max_len_spin, self.nbest_spin, self.alpha_spin):
            spin.valueChanged.connect(self._request_run)
        for combo in (self.penalty_combo, self.candidates_combo):
            combo.currentIndexChanged.connect(self._request_run)
        self.start_button.clicked.connect(self.tree.show_start)
        self.previous_button.clicked.connect(self.tree.previous_step)
        self.next_button.clicked.connect(self.tree.next_step)
        self.all_button.clicked.connect(self.tree.show_all)
        self.fit_button.clicked.connect(self.tree.fit)
        for button in (self.start_button, self.previous_button, self.next_button, self.all_button, self.fit_button):
            # then ←/→ and a clicker's Page keys step on
            button.clicked.connect(lambda _=False: self.tree.setFocus())
        self.pruned_combo.currentIndexChanged.connect(
            lambda _: self.tree.set_pruned_mode(str(self.pruned_combo.currentData())))
        self.tree.sig_step_changed.connect(self._on_step_changed)
        self.table.itemSelectionChanged.connect(self._on_row_selected)
        self._sync_model_row()

    # ------------------------------------------------------------------ reactions

    def _with_signals_blocked(self, fn: Callable[[], object]) -> None:
        with self.controls.quiet(self.pruned_combo):
            fn()

    def _on_source_changed(self) -> None:
        self._source = str(self.source_combo.currentData())
        if self._source == "d2l":  # the book's example as the book draws it, whatever a model search left
            self._with_signals_blocked(lambda: (self.beam_spin.setValue(D2L_BEAM_SIZE),
                                                self.max_len_spin.setValue(D2L_MAX_LEN)))
        self._sync_model_row()
        self._sync_enabled()
        self._open_toy_at_start()
        self.run()

    def _open_toy_at_start(self) -> None:
        """A toy table opens at step 1 (D2L_START_STEP): the lecture walks the search from its first choice."""
        self._open_at = D2L_START_STEP if self._source != "model" else None

    def _on_strategy_changed(self) -> None:
        self._sync_enabled()
        self._request_run()

    def _on_text_entered(self) -> None:
        self._typing.stop()
        self._request_run()

    def _ask_toy_file(self) -> None:
        start = str(Path(self._toy_path).parent) if self._toy_path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a toy table", start, "Toy tables (*.json);;All files (*)")
        if path:
            self.load_toy_file(path)

    def _sync_model_row(self) -> None:
        model = self._source == "model"
        self.text_label.setVisible(model)
        self.text_edit.setVisible(model)
        self.open_button.setVisible(self._source == "file")
        lm = self._bundle is not None and self._bundle.task == "lm"
        self.text_label.setText("Prefix" if lm else "Sentence")
        self.text_edit.setPlaceholderText("e.g. the " if lm else "e.g. The girls are happy.")

    def _sync_enabled(self) -> None:
        self.beam_spin.setEnabled(self.strategy() == "beam")

    def _on_step_changed(self, shown: int) -> None:
        total = self.tree.num_steps()
        self.step_label.setText(self.tree.step_text() if self._result is not None else "")
        self.start_button.setEnabled(shown > 0)
        self.previous_button.setEnabled(shown > 0)
        self.next_button.setEnabled(shown < total)
        self.all_button.setEnabled(shown < total)

    def _on_row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if self._result is None or not rows or rows[0].row() >= len(self._result.hypotheses):
            self.tree.set_highlight(None)
            return
        self.tree.set_highlight(self._result.hypotheses[rows[0].row()].node)
