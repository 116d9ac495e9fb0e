"""What the translate, generate and beam-search panels share: a panel that runs a model and says how it went.

:class:`ModelPanel` is their base: the model (``set_bundle`` stays each
panel's own), the newest-only model job (:class:`LatestJob`), the typing pause
before a re-run, the theme's font and the one message line under the controls
(notices in the theme's muted colour, an error in bold colour, with
``sig_failed``). The functions below build the controls and the ranked table
the panels build alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from rnnviz.core.limits import ALPHA, Limit
from rnnviz.gui.concurrency import LatestJob
from rnnviz.gui.style import NORMAL, Theme

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle


class ModelPanel(QWidget):
    """A panel that runs a model off the GUI thread, newest request only, and shows one message line.

    ``on_result`` gets a finished job's result (on the GUI thread); a job's
    error goes to :meth:`_fail`. ``on_typed`` runs ``typing_delay_ms`` after
    ``self._typing.start()`` (the panel starts it on each keystroke).
    A subclass builds ``message_label`` with :meth:`_build_message_label` and
    implements ``_clear()`` (forget and blank what is shown).
    """

    #: The model or the panel's input failed; carries the message shown in the panel.
    sig_failed = Signal(str)

    def __init__(self, parent: QWidget | None, on_result: Callable[[Any], None], on_typed: Callable[[], None],
                 typing_delay_ms: int) -> None:
        super().__init__(parent)
        self._bundle: ModelBundle | None = None
        self._message = ""
        self._theme = NORMAL
        base = QApplication.font().pointSizeF()
        self._base_pt = base if base > 0 else 10.0
        self._job = LatestJob(self, on_result, self._fail)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(typing_delay_ms)
        self._typing.timeout.connect(on_typed)

    def bundle(self) -> ModelBundle | None:
        return self._bundle

    def message(self) -> str:
        """The message or notices now shown ("" when none)."""
        return self._message

    def is_busy(self) -> bool:
        """A model job is running or waiting."""
        return self._job.busy

    # ------------------------------------------------------------------ for subclasses

    def _clear(self) -> None:
        raise NotImplementedError

    def _build_message_label(self) -> QLabel:
        """Create ``message_label`` (hidden until there is a message); the caller places it."""
        self.message_label = wrapping_label(Qt.TextFormat.PlainText, selectable=True)
        self.message_label.hide()
        return self.message_label

    def _apply_base_theme(self, theme: Theme) -> QFont:
        """Keep ``theme``, scale the panel's font by its font_scale, recolour the message; returns the new font."""
        self._theme = theme
        font = QFont(self.font())
        font.setPointSizeF(self._base_pt * theme.font_scale)
        self.setFont(font)
        self._show_message(self._message, self.message_label.property("error") is True)
        return font

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

    def _fail(self, message: str, clear: bool = True) -> None:
        """Show ``message`` as an error (after :meth:`_clear` unless ``clear`` is False) and emit sig_failed."""
        if clear:
            self._clear()
        self._show_message(message, error=True)
        self.sig_failed.emit(message)

    def _show_no_model(self, text: str) -> None:
        """There is no model: drop the job's answer, clear what is shown and say ``text`` (not an error)."""
        self._job.cancel()
        self._clear()
        self._show_message(text, error=False)

    def _model_for(self, task: str, refusal: str) -> ModelBundle | None:
        """The model to run now if it is a ``task`` model; a model of the other kind fails with ``refusal``."""
        self._typing.stop()
        bundle = self._bundle
        if bundle is None:
            return None
        if bundle.task != task:
            self._job.cancel()
            self._fail(refusal)
            return None
        return bundle


@contextmanager
def signals_blocked(*objects: QObject) -> Iterator[None]:
    """Change ``objects`` without their signals (each one's earlier blocking comes back afterwards)."""
    before = [obj.blockSignals(True) for obj in objects]
    try:
        yield
    finally:
        for obj, blocked in zip(objects, before):
            obj.blockSignals(blocked)


def read_numbers(state: dict[str, Any], kinds: Iterable[tuple[str, type]]) -> dict[str, Any]:
    """The ``state`` values that convert to their kind (``(key, int)``…); bad and non-finite ones are left out."""
    numbers: dict[str, Any] = {}
    for key, kind in kinds:
        try:
            value = kind(state[key])
        except (KeyError, TypeError, ValueError):
            continue
        if kind is float and not math.isfinite(value):
            continue
        numbers[key] = value
    return numbers


def int_spin(low: int, high: int, tip: str) -> QSpinBox:
    """A spin box from ``low`` to ``high`` that reacts once to a typed number ("12" is not 1 first)."""
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setToolTip(tip)
    spin.setKeyboardTracking(False)
    return spin


def limit_spin(limit: Limit, tip: str) -> QSpinBox:
    """:func:`int_spin` over a whole-number limit's range (rnnviz.core.limits), the range in its tooltip."""
    return int_spin(*limit.spin_range(), limit.tip(tip))  # type: ignore[arg-type]


def alpha_spin() -> QDoubleSpinBox:
    """The length penalty's exponent α over its range (:data:`rnnviz.core.limits.ALPHA`)."""
    spin = QDoubleSpinBox()
    spin.setRange(*ALPHA.spin_range())
    spin.setSingleStep(0.05)
    spin.setToolTip(ALPHA.tip("The exponent α of the length penalty; the book uses 0.75."))
    spin.setKeyboardTracking(False)
    return spin


def add_captioned(row: QHBoxLayout, caption: str | None, widget: QWidget, spacing: int) -> QLabel | None:
    """Add ``widget`` to ``row`` after its caption (its buddy; None: no caption), ``spacing`` after what is there."""
    if row.count():
        row.addSpacing(spacing)
    label = None
    if caption is not None:
        label = QLabel(caption)
        label.setBuddy(widget)
        row.addWidget(label)
    row.addWidget(widget)
    return label


def wrapping_label(text_format: Qt.TextFormat | None = None, selectable: bool = False) -> QLabel:
    """A label that wraps its text to the panel's width instead of widening the panel."""
    label = QLabel()
    label.setWordWrap(True)
    if text_format is not None:
        label.setTextFormat(text_format)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def ranked_table(columns: Sequence[str]) -> QTableWidget:
    """A read-only table of ranked hypotheses: whole rows selected, column 1 (the text) takes the spare width."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    return table


def fill_ranked_table(table: QTableWidget, rows: Sequence[Sequence[str]], font: QFont) -> None:
    """One row per hypothesis, best first (in bold); numbers right-aligned, the text (column 1) left."""
    table.setRowCount(len(rows))
    bold = QFont(font)
    bold.setBold(True)
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column != 1:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if row == 0:
                item.setFont(bold)
            table.setItem(row, column, item)
