"""The generation panel: a language model continues a prefix; step through its next-token choices.

Strategies: greedy (the book's ``predict``), sampling with a temperature and a
seed (the same seed gives the same text), or beam search (beam size, α). The
generated text is shown after the prefix; a cursor (the slider, ←/→, or a
click on a token) picks one generated token, and the bar chart shows the
top-k of the distribution it was chosen from: ``P(next | prefix + the tokens
before it)``, at the sampling temperature when sampling. The distributions are
computed as the core's ``generate`` computes them (see
:func:`rnnviz.core.decoding.step_distributions`), off the GUI thread; they are drawn by
``generate_showing``.

Public API (the main window is written against it):

- ``sig_generated(object)`` — a generation is shown; carries a
  :class:`~rnnviz.core.decoding.GenerationOutcome`.
- ``sig_show_tree(object)`` — "Show beam tree" was pressed (beam search only);
  carries a :class:`~rnnviz.core.decoding.TreeRequest` for the beam panel.
- ``sig_failed(str)`` — generation failed; carries the message shown in the panel.
- ``sig_cursor_changed(int)`` — the token under the cursor changed (0-based).
- ``set_bundle(bundle)`` — the language model (None: none); generates from the prefix shown.
- ``set_prefix(text)``, ``set_options(length=…, strategy=…, temperature=…, seed=…, beam_size=…, alpha=…,
  top_k=…)``, ``generate_now()``, ``set_cursor(i)`` / ``cursor()``.
- ``outcome()``, ``message()``, ``is_busy()``; widgets ``text_view``, ``slider``, ``bars``.
- ``apply_theme(theme)``, ``state()`` / ``restore_state(state)``.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QFontDatabase, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.decoding import GenerationOutcome
from rnnviz.core.decoding import generate_with_distributions as generate_job
from rnnviz.core.limits import BEAM_SIZE, GENERATION_LENGTH, SEED, TEMPERATURE, TOP_K_BARS
from rnnviz.gui.panels.model_panel import (
    ModelPanel,
    add_captioned,
    alpha_spin,
    limit_spin,
    read_numbers,
    signals_blocked,
)
from rnnviz.gui.panels.generate_showing import CURRENT, GenerateShowing
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.topk_bars import TopKBars

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle

__all__ = ["CURRENT", "STRATEGIES", "GeneratePanel"]

STRATEGIES: tuple[str, ...] = ("greedy", "sample", "beam")
_STRATEGY_LABELS = {"greedy": "Greedy", "sample": "Sampling", "beam": "Beam search"}
_TYPING_DELAY_MS = 400
_DEFAULT_STATE: dict[str, Any] = {"prefix": "the ", "length": 50, "strategy": "greedy", "temperature": 1.0,
                                  "seed": 0, "beam_size": 3, "alpha": 0.75, "top_k": 10}


class GeneratePanel(GenerateShowing, ModelPanel):
    #: A generation is shown; carries the GenerationOutcome.
    sig_generated = Signal(object)
    #: "Show beam tree" was pressed; carries a TreeRequest for the beam panel.
    sig_show_tree = Signal(object)
    # sig_failed (ModelPanel): generation failed (empty prefix, no known token…).
    #: The token under the cursor changed; carries its 0-based index.
    sig_cursor_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, self._show, self.generate_now, _TYPING_DELAY_MS)
        self._outcome: GenerationOutcome | None = None
        self._cursor = 0
        self._build()
        self.apply_theme(NORMAL)
        self.restore_state(_DEFAULT_STATE)

    # ------------------------------------------------------------------ public API

    def set_bundle(self, bundle: ModelBundle | None) -> None:
        """The language model; the prefix shown is continued again (a translation model is refused)."""
        self._bundle = bundle
        if bundle is None:
            self._show_no_model("No language model: train one or open a checkpoint.")
            return
        self.generate_now()

    def set_prefix(self, text: str) -> None:
        """Set the prefix and generate now."""
        with signals_blocked(self.prefix_edit):
            self.prefix_edit.setText(text)
        self.generate_now()

    def prefix(self) -> str:
        return self.prefix_edit.text()

    def strategy(self) -> str:
        return str(self.strategy_combo.currentData())

    def set_options(self, *, length: int | None = None, strategy: str | None = None,
                    temperature: float | None = None, seed: int | None = None, beam_size: int | None = None,
                    alpha: float | None = None, top_k: int | None = None) -> None:
        """Change the controls given and generate once."""
        with signals_blocked(self.length_spin, self.strategy_combo, self.temperature_spin, self.seed_spin,
                             self.beam_spin, self.alpha_spin, self.topk_spin):
            if length is not None:
                self.length_spin.setValue(int(length))
            if strategy is not None:
                if strategy not in STRATEGIES:
                    raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
                self.strategy_combo.setCurrentIndex(STRATEGIES.index(strategy))
            if temperature is not None:
                self.temperature_spin.setValue(float(temperature))
            if seed is not None:
                self.seed_spin.setValue(int(seed))
            if beam_size is not None:
                self.beam_spin.setValue(int(beam_size))
            if alpha is not None:
                self.alpha_spin.setValue(float(alpha))
            if top_k is not None:
                self.topk_spin.setValue(int(top_k))
        self._sync_enabled()
        self.generate_now()

    def generate_now(self) -> None:
        """Generate from the prefix shown (off the GUI thread); an empty prefix gets the core's message."""
        bundle = self._model_for(
            "lm", "This is a translation model; generation needs a language model (Translate uses it).")
        if bundle is None:
            return
        prefix, length, strategy = self.prefix_edit.text(), self.length_spin.value(), self.strategy()
        temperature, seed = self.temperature_spin.value(), self.seed_spin.value()
        beam_size, alpha = self.beam_spin.value(), round(self.alpha_spin.value(), 4)
        self.status_label.setText("Generating…")
        self._job.submit(lambda: generate_job(bundle, prefix, length, strategy, temperature, seed, beam_size, alpha))

    def cursor(self) -> int:
        """The generated token under the cursor (0-based)."""
        return self._cursor

    def set_cursor(self, index: int) -> None:
        """Move the cursor to generated token ``index`` (clamped); the bars follow."""
        count = len(self._outcome.tokens) if self._outcome is not None else 0
        index = max(0, min(int(index), count - 1)) if count else 0
        if self.slider.value() != index:
            self.slider.setValue(index)  # _on_slider does the rest
        else:
            self._move_cursor(index)

    def outcome(self) -> GenerationOutcome | None:
        return self._outcome

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``; the bars follow the theme."""
        self._apply_base_theme(theme)
        text = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        text.setPointSizeF(self._base_pt * theme.font_scale * 1.3)
        self.text_view.setFont(text)
        self.text_view.document().setDefaultFont(text)
        self.prefix_edit.setFont(text)
        self.bars.apply_theme(theme)
        self._render()

    def state(self) -> dict[str, Any]:
        return {"prefix": self.prefix_edit.text(), "length": self.length_spin.value(), "strategy": self.strategy(),
                "temperature": self.temperature_spin.value(), "seed": self.seed_spin.value(),
                "beam_size": self.beam_spin.value(), "alpha": self.alpha_spin.value(),
                "top_k": self.topk_spin.value()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Apply settings from :meth:`state` (unknown keys and bad values ignored); generate if there is a model."""
        if isinstance(state.get("prefix"), str):
            with signals_blocked(self.prefix_edit):
                self.prefix_edit.setText(state["prefix"])
        kwargs = read_numbers(state, (("length", int), ("temperature", float), ("seed", int), ("beam_size", int),
                                      ("alpha", float), ("top_k", int)))
        if state.get("strategy") in STRATEGIES:
            kwargs["strategy"] = state["strategy"]
        self.set_options(**kwargs)

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        root.addLayout(top)
        self.prefix_edit = QLineEdit()
        self.prefix_edit.setPlaceholderText("e.g. the ")
        self.prefix_edit.setToolTip("The text to continue; a final space asks for the next word.")
        self.length_spin = limit_spin(GENERATION_LENGTH, "How many tokens to generate.")
        self.generate_button = QPushButton("Generate")
        label = QLabel("Prefix")
        label.setBuddy(self.prefix_edit)
        top.addWidget(label)
        top.addWidget(self.prefix_edit, 1)
        top.addSpacing(8)
        top.addWidget(QLabel("Length"))
        top.addWidget(self.length_spin)
        top.addWidget(self.generate_button)

        controls = QHBoxLayout()
        root.addLayout(controls)
        self.strategy_combo = QComboBox()
        for name in STRATEGIES:
            self.strategy_combo.addItem(_STRATEGY_LABELS[name], name)
        self.strategy_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setRange(*TEMPERATURE.spin_range())
        self.temperature_spin.setDecimals(2)
        self.temperature_spin.setSingleStep(0.1)
        # 0 samples greedily, as the core and `rnnviz generate --temperature 0` do; never temperature 1.
        self.temperature_spin.setSpecialValueText("0 (greedy)")
        self.temperature_spin.setToolTip(TEMPERATURE.tip(
            "Sampling divides the logits by T: below 1 sharper, above 1 flatter; at 0 it always takes the most "
            "likely token, as greedy decoding does."))
        self.seed_spin = limit_spin(SEED, "The sampling seed: the same seed gives the same text.")
        self.seed_button = QPushButton("New seed")
        self.beam_spin = limit_spin(BEAM_SIZE, "The beam size k.")
        self.alpha_spin = alpha_spin()
        self.topk_spin = limit_spin(TOP_K_BARS, "How many of the most probable next tokens the bars show.")
        self.temperature_spin.setKeyboardTracking(False)
        self._captions: dict[QWidget, QLabel] = {}
        for text, widget in (("Strategy", self.strategy_combo), ("Temperature", self.temperature_spin),
                             ("Seed", self.seed_spin), (None, self.seed_button), ("Beam size k", self.beam_spin),
                             ("α", self.alpha_spin)):
            caption = add_captioned(controls, text, widget, spacing=6)
            if caption is not None:
                self._captions[widget] = caption
        controls.addStretch(1)
        self.tree_button = QPushButton("Show beam tree")
        self.tree_button.setToolTip("Open this beam search in the Beam search tab.")
        self.tree_button.setEnabled(False)
        top.addWidget(self.tree_button)

        root.addWidget(self._build_message_label())

        splitter = QSplitter(Qt.Orientation.Vertical)
        root.addWidget(splitter, 1)
        text_box = QWidget()
        text_layout = QVBoxLayout(text_box)
        text_layout.setContentsMargins(0, 0, 0, 0)
        self.text_view = QTextBrowser()
        self.text_view.setOpenLinks(False)  # a click on a token moves the cursor
        self.text_view.setToolTip("Click a generated token, or use ← / →, to see the distribution it came from.")
        self.text_view.installEventFilter(self)
        text_layout.addWidget(self.text_view, 1)
        cursor_row = QHBoxLayout()
        text_layout.addLayout(cursor_row)
        self.previous_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setPageStep(10)
        for button in (self.previous_button, self.next_button):
            button.setMaximumWidth(self.fontMetrics().height() * 4)
        self.cursor_label = QLabel()
        self.cursor_label.setMinimumWidth(200)
        cursor_row.addWidget(self.previous_button)
        cursor_row.addWidget(self.slider, 1)
        cursor_row.addWidget(self.next_button)
        cursor_row.addWidget(self.cursor_label, 1)
        top_k_label = QLabel("Bars: top")
        top_k_label.setBuddy(self.topk_spin)
        cursor_row.addWidget(top_k_label)
        cursor_row.addWidget(self.topk_spin)
        splitter.addWidget(text_box)
        self.bars = TopKBars()
        self.bars.installEventFilter(self)
        splitter.addWidget(self.bars)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        self.status_label = QLabel()
        root.addWidget(self.status_label)

        self.generate_button.clicked.connect(self.generate_now)
        self.prefix_edit.returnPressed.connect(self.generate_now)
        self.prefix_edit.textEdited.connect(lambda _: self._typing.start())
        self.strategy_combo.currentIndexChanged.connect(self._on_strategy_changed)
        for spin in (self.length_spin, self.temperature_spin, self.seed_spin, self.beam_spin, self.alpha_spin):
            spin.valueChanged.connect(self.generate_now)
        self.topk_spin.valueChanged.connect(lambda _: self._render())
        self.seed_button.clicked.connect(lambda: self.seed_spin.setValue(random.randrange(self.seed_spin.maximum())))
        self.slider.valueChanged.connect(self._move_cursor)
        self.previous_button.clicked.connect(lambda: self.set_cursor(self._cursor - 1))
        self.next_button.clicked.connect(lambda: self.set_cursor(self._cursor + 1))
        self.text_view.anchorClicked.connect(self._on_anchor)
        self.tree_button.clicked.connect(self._emit_tree)

    # ------------------------------------------------------------------ reactions

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        """← / → in the text or the bars move the cursor, as on the slider."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(event.key()))
            if step is not None:
                self.set_cursor(self._cursor + step)
                return True
        return super().eventFilter(watched, event)

    def _on_strategy_changed(self) -> None:
        self._sync_enabled()
        self.generate_now()

    def _sync_enabled(self) -> None:
        strategy = self.strategy()
        for widget, on in ((self.temperature_spin, strategy == "sample"), (self.seed_spin, strategy == "sample"),
                           (self.seed_button, strategy == "sample"), (self.beam_spin, strategy == "beam"),
                           (self.alpha_spin, strategy == "beam")):
            widget.setEnabled(on)
            if widget in self._captions:
                self._captions[widget].setEnabled(on)

    def _on_anchor(self, url: QUrl) -> None:
        name = url.toString()
        if name.startswith("t") and name[1:].isdigit():
            self.set_cursor(int(name[1:]))

    def _move_cursor(self, index: int) -> None:
        self._cursor = int(index)
        self._render()
        self.sig_cursor_changed.emit(self._cursor)
