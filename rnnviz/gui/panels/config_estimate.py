"""The Config dock's estimate: how long the run will take on this machine, and the smaller run it offers.

A mixin of ``rnnviz.gui.panels.config_panel.ConfigPanel``, which holds the widgets these methods read
(the epochs, the split, the pairs box, the estimate label and its button) and the signal
``sig_estimate_changed``. The estimate follows the corpus (``set_corpus``), the Builder's model
(``set_model_config``) and every setting (:mod:`rnnviz.core.estimate`); above about ten minutes it
warns in orange and offers the book's size, or fewer epochs, with one click (``apply_suggestion``).
"""

from __future__ import annotations

from rnnviz.core.config import DataConfig, ModelConfig, TrainConfig
from rnnviz.core.data.corpora import default_corpus
from rnnviz.core.errors import RnnvizError
from rnnviz.core.estimate import RunEstimate, Suggestion, estimate_run, long_run_warning, suggest_smaller
from rnnviz.gui.panels.config_widgets import recipe_model

_WARNING_STYLE = "color: #b35900; font-weight: bold;"  # orange: a long run is allowed, but said so


class ConfigEstimate:
    """The estimate's methods; ``ConfigPanel`` holds their state (``_corpus``, ``_model``, ``_estimate``,
    ``_suggestion``)."""

    def set_corpus(self, corpus: str) -> None:
        """The corpus the Data dock has selected: the estimate follows it."""
        if corpus != self._corpus:
            self._corpus = corpus
            self._update_estimate()


    def set_model_config(self, config: ModelConfig | None) -> None:
        """The Builder's model (None: the book's recipe for the task): the estimate follows it."""
        if config != self._model:
            self._model = config
            self._update_estimate()


    def estimate(self) -> RunEstimate | None:
        """How long the current settings train on this machine; None when it cannot be told."""
        return self._estimate


    def suggestion(self) -> Suggestion | None:
        """The smaller run the button offers (the book's size, or fewer epochs); None for a short run."""
        return self._suggestion


    def long_run_warning(self, corpus: str | None = None) -> str | None:
        """What to say before a run of more than about ten minutes starts; None for a shorter one."""
        configs = self._configs(corpus)
        return None if configs is None else long_run_warning(*configs)


    def apply_suggestion(self) -> bool:
        """Take the offered smaller run (the button's action); False when none is offered."""
        suggestion = self._suggestion
        if suggestion is None:
            return False
        if suggestion.max_examples is not None:  # the book's split: its first N pairs train
            self.mt_split.setCurrentIndex(self.mt_split.findData("book"))
            self.max_examples.setValue(suggestion.max_examples)
        if suggestion.epochs is not None:
            self.epochs.setValue(suggestion.epochs)
        return True


    def _configs(self, corpus: str | None = None) -> tuple[DataConfig, ModelConfig, TrainConfig] | None:
        model = self._model if self._model is not None and self._model.task == self._task else \
            recipe_model(self._task)
        try:
            data, train = self.build_configs(corpus or self._corpus or default_corpus(self._task))  # type: ignore[arg-type]
        except RnnvizError:
            return None
        return data, model, train


    def _update_estimate(self) -> None:
        configs = self._configs()
        try:
            estimate = None if configs is None else estimate_run(*configs)
            suggestion = None if configs is None else suggest_smaller(*configs)
        except RnnvizError:
            estimate = suggestion = None
        self._estimate, self._suggestion = estimate, suggestion
        if estimate is None:
            self.estimate_label.setText("" if configs is None else "No estimate for this corpus.")
            self.estimate_label.setStyleSheet("")
        elif estimate.is_long:
            self.estimate_label.setText(f"⚠ {estimate.text()[0].upper()}{estimate.text()[1:]}: a long run.")
            self.estimate_label.setStyleSheet(_WARNING_STYLE)
        else:
            self.estimate_label.setText(f"{estimate.text()[0].upper()}{estimate.text()[1:]}.")
            self.estimate_label.setStyleSheet("")
        self.smaller_button.setVisible(suggestion is not None)
        if suggestion is not None:
            self.smaller_button.setText(suggestion.label)
            self.smaller_button.setToolTip(suggestion.why)
        self.sig_estimate_changed.emit(estimate)
