"""The generation panel's showing (a mixin of GeneratePanel): the generated text after the prefix with the
token under the cursor marked, the top-k bars of the distribution that token was chosen from, and
the beam tree handed to the beam panel.

GeneratePanel holds the state (``_outcome``, ``_cursor``, ``_bundle``, ``_theme``) and the widgets
(``text_view``, ``slider``, ``bars``, the labels and buttons) these methods fill.
"""

from __future__ import annotations

import html

import numpy as np

from rnnviz.core.data.display import SHORT_LABEL, display_token
from rnnviz.core.decoding import GenerationOutcome, SearchOutcome, TreeRequest, prompt_label
from rnnviz.gui.style import PALETTE

CURRENT = PALETTE[1]  # the token under the cursor, as the chosen bar
_CURRENT_FILL = "#fbe4d5"


class GenerateShowing:
    """GeneratePanel's showing: an outcome drawn, the cursor's step, a cleared panel, the beam tree sent."""

    def _show(self, outcome: GenerationOutcome) -> None:
        self._outcome = outcome
        self.status_label.setText("")
        self._show_message("\n".join(outcome.notices), error=False)
        count = len(outcome.tokens)
        cursor = min(self._cursor, max(0, count - 1))  # the same step after a change of temperature or seed
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(cursor)
        self.slider.blockSignals(False)
        self._cursor = cursor
        self.tree_button.setEnabled(outcome.beam is not None)
        self._render()
        self.sig_generated.emit(outcome)


    def _joiner(self) -> str:
        bundle = self._bundle
        return "" if bundle is None else bundle.joiner


    def _render(self) -> None:
        outcome = self._outcome
        if outcome is None:
            self.text_view.setHtml("")
            self.cursor_label.setText("")
            self.bars.clear_bars()
            return
        theme, joiner = self._theme, self._joiner()
        parts = [f'<span style="color:{theme.muted};">{html.escape(outcome.prefix)}</span>']
        for i, token in enumerate(outcome.tokens):
            sep = joiner if (i > 0 or joiner) else ""
            if i == self._cursor:
                style = f"color:{CURRENT}; background-color:{_CURRENT_FILL}; font-weight:bold; text-decoration:none;"
                parts.append(f'{sep}<a name="cursor"></a><a href="t{i}" style="{style}">{html.escape(token)}</a>')
            else:
                style = f"color:{theme.foreground}; text-decoration:none;"
                parts.append(f'{sep}<a href="t{i}" style="{style}">{html.escape(token)}</a>')
        self.text_view.setHtml('<div style="white-space: pre-wrap;">' + "".join(parts) + "</div>")
        if outcome.tokens:
            self.text_view.scrollToAnchor("cursor")
        self._render_step()


    def _render_step(self) -> None:
        outcome = self._outcome
        assert outcome is not None
        count = len(outcome.tokens)
        self.previous_button.setEnabled(self._cursor > 0)
        self.next_button.setEnabled(self._cursor < count - 1)
        if not count:
            self.cursor_label.setText("nothing generated")
            self.bars.clear_bars()
            return
        i = self._cursor
        probs = outcome.probs[i]
        chosen = outcome.token_ids[i]
        rank = 1 + int(np.sum(probs > probs[chosen]))
        token = display_token(outcome.tokens[i], SHORT_LABEL)
        self.cursor_label.setText(f"token {i + 1} of {count}: “{token}”   P = {probs[chosen]:.3f}, rank {rank}")
        context = outcome.prefix + self._joiner().join(outcome.tokens[:i]) + (self._joiner() if i else "")
        shown = context if len(context) <= 28 else "…" + context[-27:]
        temperature = f", temperature {outcome.temperature:g}" if outcome.strategy == "sample" else ""
        title = f"P(next token | “{html.escape(shown)}”){temperature}"
        self.bars.set_distribution(outcome.vocabulary, probs, chosen, self.topk_spin.value(), title)


    def _clear(self) -> None:
        self._outcome = None
        self.status_label.setText("")
        self.tree_button.setEnabled(False)
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self._render()


    def _emit_tree(self) -> None:
        outcome, bundle = self._outcome, self._bundle
        if outcome is None or outcome.beam is None or bundle is None:
            return
        beam = outcome.beam
        from rnnviz.core.data.tokenize import tokenize

        prompt = tuple(tokenize(outcome.prefix, bundle.data_config.token_level))
        search = SearchOutcome(beam.result, beam.vocabulary, prompt_label(outcome.prefix, self._joiner()), prompt,
                               beam.notices, self.prefix_edit.text())
        self.sig_show_tree.emit(TreeRequest(bundle, search))
