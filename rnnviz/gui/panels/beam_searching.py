"""The beam-search panel's searching (a mixin of BeamPanel): run the search the controls describe and
show what it found.

A toy table (the book's, or a JSON file) is searched on the GUI thread (a millisecond or so); a model
on the thread pool, one job at a time (``ModelPanel``'s job), and a result that no longer matches the
controls is dropped: ``_run_key`` says what a search depends on, and an unchanged key searches nothing.
BeamPanel holds the state (``_source``, ``_toy_file``, ``_d2l``, ``_bundle``, ``_result``) and the
widgets (the tree, the table, the controls) these methods read and fill.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnnviz.core.decoding import BeamOptions, BeamResult, SearchOutcome, run_search, search_model
from rnnviz.core.decoding.toy import D2L_TABLE, ToyDecoder
from rnnviz.core.errors import RnnvizError
from rnnviz.gui.panels.beam_table import hypothesis_rows
from rnnviz.gui.panels.model_panel import fill_ranked_table, signals_blocked


class BeamSearching:
    """BeamPanel's search: request, run (toy) or submit (model), show, clear."""

    def _run_key(self) -> tuple[Any, ...]:
        controls = (self.strategy(), self.beam_spin.value(), self.max_len_spin.value(), self.nbest_spin.value(),
                    round(self.alpha_spin.value(), 4), self.penalty_combo.currentData(),
                    self.candidates_combo.currentData())
        if self._source == "model":
            return ("model", id(self._bundle), self.text_edit.text(), *controls)
        return (self._source, id(self._toy_file), *controls)


    def _request_run(self) -> None:
        self.fold_button.refresh()
        key = self._run_key()
        if key == self._last_key:
            return  # nothing changed since the search in flight or shown
        self._last_key = key
        self._job.cancel()
        try:
            options = self.options()
        except RnnvizError as error:
            self._fail(str(error))
            return
        strategy = self.strategy()
        if self._source == "model":
            self._search_model(strategy, options)
            return
        toy = self._d2l if self._source == "d2l" else self._toy_file
        if toy is None:
            self._clear("Open a toy table (a JSON file) with the button above.")
            return
        try:
            result = run_search(strategy, toy.step, toy.vocab_size, toy.eos, options)
        except RnnvizError as error:
            self._fail(str(error))
            return
        except Exception as error:  # a bug: a message, never a traceback in the user's face
            self._fail(f"Unexpected error: {type(error).__name__}: {error}")
            return
        self.description.setText(self._toy_description(toy))
        self._joiner = " "
        self._show(result, toy.vocab, "<bos>", "")


    def _search_model(self, strategy: str, options: BeamOptions) -> None:
        bundle = self._bundle
        if bundle is None:
            self._clear("No model yet: train one, open a checkpoint, or pick the book's example.")
            return
        text = self.text_edit.text()
        if not text.strip():
            noun = "prefix" if bundle.task == "lm" else "sentence"
            self._clear(f"Type a {noun} for the model to start from.")
            return
        self.step_label.setText("Searching…")
        self._job.submit(lambda: search_model(bundle, text, strategy, options))


    def _show_outcome(self, outcome: SearchOutcome) -> None:
        bundle = self._bundle
        kind = "Language model" if bundle is not None and bundle.task == "lm" else "Translation model"
        self.description.setText(f"{kind}; it read: {' '.join(outcome.source_tokens)}"
                                 if bundle is None or bundle.task == "mt" else
                                 f"{kind}; continuing: {outcome.root_label}")
        self._joiner = bundle.joiner if bundle is not None else " "
        self._show(outcome.result, outcome.vocabulary, outcome.root_label, "\n".join(outcome.notices))


    def _show(self, result: BeamResult, vocabulary: tuple[str, ...], root_label: str, notices: str) -> None:
        self._result = result
        self._vocabulary = tuple(vocabulary)
        self.fold_button.refresh()
        self._show_message(notices, error=False)
        opening, self._open_at = self._open_at, None
        self.tree.set_result(result, self._vocabulary, root_label, keep_step=opening is None)
        if opening is not None:
            self.tree.set_shown_steps(opening)
        self._fill_table()
        self._on_step_changed(self.tree.shown_steps())
        self.sig_result_shown.emit(result)


    def _clear(self, hint: str = "No search: see the message above.") -> None:
        self._result = None
        self._vocabulary = ()
        self.table.setRowCount(0)
        self.tree.set_placeholder(hint)
        self.tree.set_result(None)
        self._show_message("", error=False)
        self.step_label.setText("")
        if self._source != "model":
            self.description.setText("")


    def _toy_description(self, toy: ToyDecoder) -> str:
        if self._source == "d2l":
            return D2L_TABLE["description"]
        name = Path(self._toy_path).name
        return f"{name}: {toy.description}" if toy.description else \
            f"{name}: {toy.vocab_size} tokens ({', '.join(toy.vocab)})"


    def _fill_table(self) -> None:
        result = self._result
        with signals_blocked(self.table):
            self.table.setRowCount(0)
            if result is None:
                return
            fill_ranked_table(self.table, hypothesis_rows(result, self.hypothesis_text), self.font())
        if not result.hypotheses:
            self._show_message("No hypothesis survived: every candidate had probability 0.", error=False)
