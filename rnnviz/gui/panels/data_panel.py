"""The Data dock: choose a corpus and see what the model will learn from.

A task (language model or translation), a corpus of that task (built-in, the
book's, or a file the user opened), its provenance and size, its vocabulary
and token counts, and two plots: Zipf's law (D2L section 9.2) and tokens per
sentence (D2L section 10.5).

Loading and statistics run off the GUI thread (fra-eng takes seconds); each
request carries a serial number and only the newest one's result is shown.
A failure (a bad file, a corpus not downloaded) shows the core's message and
leaves the previous selection exactly as it was.

This module must not import torch (directly or through core.train, models,
checkpoint, decoding): the first window paints before torch loads.
"""

from __future__ import annotations

import html
import logging
import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.data.corpora import (
    CorpusInfo,
    LmCorpus,
    availability,
    default_corpus,
    get_info,
    list_corpora,
    load_corpus,
)
from rnnviz.core.data.stats import LmStats, MtStats, corpus_stats
from rnnviz.core.data.tokenize import clean_lm_text, tokenize
from rnnviz.core.errors import RnnvizError
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.corpus_plots import LengthHistogram, ZipfPlot
from rnnviz.gui.widgets.download_dialog import DownloadDialog, format_bytes

log = logging.getLogger(__name__)

TASKS: tuple[str, ...] = ("lm", "mt")
_TASK_LABELS = {"lm": "&Language model", "mt": "&Translation"}
_FILE_FILTER = "Text corpora (*.txt *.tsv *.tab *.text);;All files (*)"
_CLEANING = {"letters": "letters only, lowercase (the book's rule)",
             "lower": "lowercase, whitespace collapsed"}
_LM_LENGTH_NOTE = ("A language model reads the text as one stream, cut into windows of num_steps "
                   "tokens; line lengths only show how the file is laid out.")


@dataclass(frozen=True)
class _Request:
    serial: int
    corpus: str  # registered name or file path
    task: str | None  # None: a file whose task is guessed from its name and first line


@dataclass(frozen=True)
class _Loaded:
    """One finished load: what the panel shows."""

    corpus: str
    task: str
    stats: LmStats | MtStats
    line_lengths: np.ndarray | None  # LM: words per non-empty line
    is_file: bool


class _Serial:
    """The newest request's number; workers read it to skip superseded work."""

    def __init__(self) -> None:
        self.value = 0


class _LoadBridge(QObject):
    """Carries workers' results to the GUI thread (queued connections)."""

    loaded = Signal(int, object)  # serial, _Loaded
    failed = Signal(int, str)  # serial, message for the user
    skipped = Signal(int)  # serial of a request superseded before it finished


def _words_per_line(corpus: LmCorpus) -> np.ndarray:
    rule = corpus.info.lm_cleaning
    lengths = (len(tokenize(clean_lm_text(line, rule), "word")) for line in corpus.text.splitlines())
    return np.array([n for n in lengths if n > 0], dtype=np.int64)


def _load(request: _Request, latest: _Serial, bridge: _LoadBridge, registered: frozenset[str]) -> None:
    """Runs on a pool thread: load, compute statistics, report (never raises)."""

    def report(signal, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the panel is gone
            pass

    if request.serial != latest.value:
        report(bridge.skipped, request.serial)
        return
    try:
        corpus = load_corpus(request.corpus, request.task, download=False)  # type: ignore[arg-type]
        if request.serial != latest.value:
            report(bridge.skipped, request.serial)
            return
        stats = corpus_stats(corpus)
        lengths = _words_per_line(corpus) if isinstance(corpus, LmCorpus) else None
    except RnnvizError as exc:
        report(bridge.failed, request.serial, str(exc))
    except Exception as exc:  # a bug must not kill the window: tell, log, stay usable
        log.exception("loading %s failed", request.corpus)
        report(bridge.failed, request.serial, f"{request.corpus} could not be loaded: {exc}")
    else:
        loaded = _Loaded(request.corpus, corpus.info.task, stats, lengths, request.corpus not in registered)
        report(bridge.loaded, request.serial, loaded)


def _length_edges(lengths: np.ndarray) -> np.ndarray:
    """One bin per length up to 100, else 50 equal bins."""
    top = int(lengths.max())
    return np.arange(1, top + 2) - 0.5 if top <= 100 else np.histogram_bin_edges(lengths, 50)


class DataPanel(QWidget):
    """Corpus choice, its statistics and plots: the Data dock of the main window.

    :meth:`selection` is the corpus whose statistics are shown, the one the rest
    of the app should use. The combo may meanwhile show a corpus being loaded,
    or a book corpus waiting for Download (the panel says so).
    """

    #: (corpus name or file path, task "lm" | "mt"), after a successful load.
    sig_selection_changed = Signal(str, str)
    #: The LmStats / MtStats now shown.
    sig_stats_ready = Signal(object)

    def __init__(self, parent: QWidget | None = None, theme: Theme = NORMAL) -> None:
        super().__init__(parent)
        # The pool before the bridge: children are deleted in creation order, so the
        # pool waits for running loads while the bridge still exists.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._latest = _Serial()
        self._bridge = _LoadBridge(self)
        self._bridge.loaded.connect(self._on_loaded)
        self._bridge.failed.connect(self._on_failed)
        self._bridge.skipped.connect(self._on_skipped)
        self._outstanding: set[int] = set()
        self._shown: tuple[str, str] = (default_corpus("lm"), "lm")
        self._loaded: _Loaded | None = None
        self._user_files: list[tuple[str, str]] = []  # (path, task), in opening order
        self._last: dict[str, str] = {}  # task -> the corpus last shown for it
        self._last_dir = ""
        self._download: DownloadDialog | None = None
        self._downloading = ""
        self._theme = theme
        self._base_font = QFont(self.font())
        self._base_pt = self._base_font.pointSizeF() if self._base_font.pointSizeF() > 0 else 10.0
        self._combo_task = "lm"
        self._build_ui()
        self.setAcceptDrops(True)
        self.apply_theme(theme)
        self._populate("lm", self._shown[0])
        self._show_info(get_info(self._shown[0]))
        self._request(*self._shown)

    # -- public API ---------------------------------------------------------------

    def selection(self) -> tuple[str, str]:
        """(corpus, task) whose statistics are shown (the one being loaded first, at start-up)."""
        return self._shown

    def set_selection(self, corpus: str, task: str) -> None:
        """Load ``corpus`` (a registered name or a file path) for ``task``.

        Asynchronous: success emits :attr:`sig_selection_changed`; failure warns
        and keeps the previous selection. A book corpus that is not downloaded
        fails with the core's message (it names the Download button).
        """
        if task not in TASKS:
            QMessageBox.warning(self, "Cannot use this corpus",
                                f"unknown task {task!r}; use 'lm' (language model) or 'mt' (translation).")
            return
        registered = {info.name for info in list_corpora()}
        self._request(corpus if corpus in registered else os.path.abspath(os.path.expanduser(corpus)), task)

    def open_file(self, path: str, task: str | None = None) -> None:
        """Load a user's text file; its task is guessed unless given (as Open file… does)."""
        path = os.path.abspath(os.path.expanduser(path))
        self._last_dir = str(Path(path).parent)
        self._request(path, task)

    def stats(self) -> LmStats | MtStats | None:
        """The statistics now shown (None before the first load)."""
        return self._loaded.stats if self._loaded else None

    def facts(self) -> dict[str, str]:
        """The figures shown beside the plots, by row name (e.g. "Vocabulary"), as plain text."""
        return dict(self._fact_values)

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``; plot pens, colours and text from the theme."""
        self._theme = theme
        self.setFont(self._font())
        self.title_label.setFont(self._font(1.35, bold=True))
        for label in (self.provenance_label, self.size_label, self.length_note):
            label.setFont(self._font(0.9))
        self.status_label.setFont(self._font(1.0, bold=True))
        self._style_facts()
        for plot in (self.zipf_plot, self.length_plot):
            plot.apply_theme(theme, self._base_pt)

    def theme(self) -> Theme:
        return self._theme

    def state(self) -> dict:
        """Plain data for a saved session."""
        return {"corpus": self._shown[0], "task": self._shown[1],
                "user_files": [[path, task] for path, task in self._user_files],
                "last": dict(self._last), "last_dir": self._last_dir}

    def restore_state(self, state: dict) -> None:
        """Restore :meth:`state`'s output; missing user files are dropped, bad values ignored."""
        if not isinstance(state, dict):
            return
        files = state.get("user_files") or []
        if isinstance(files, list):
            for entry in files:
                if (isinstance(entry, (list, tuple)) and len(entry) == 2 and entry[1] in TASKS
                        and isinstance(entry[0], str) and Path(entry[0]).is_file()):
                    self._remember_file(entry[0], entry[1])
        last = state.get("last")
        if isinstance(last, dict):
            self._last.update({t: c for t, c in last.items() if t in TASKS and isinstance(c, str)})
        if isinstance(state.get("last_dir"), str):
            self._last_dir = state["last_dir"]
        self._populate(self._combo_task, self.combo.currentData() or self._shown[0])
        corpus, task = state.get("corpus"), state.get("task")
        if isinstance(corpus, str) and task in TASKS:
            self.set_selection(corpus, task)

    def is_busy(self) -> bool:
        """A load or a download is running."""
        return bool(self._outstanding) or (self._download is not None and self._download.is_running())

    def wait_idle(self, timeout_ms: int = 10000) -> bool:
        """Process events until no load or download runs; False on timeout."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.is_busy():
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if self.is_busy():
                time.sleep(0.003)
        return True

    # -- building -------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.task_buttons: dict[str, QRadioButton] = {t: QRadioButton(_TASK_LABELS[t]) for t in TASKS}
        self.task_group = QButtonGroup(self)
        task_row = QHBoxLayout()
        for index, task in enumerate(TASKS):
            self.task_group.addButton(self.task_buttons[task], index)
            task_row.addWidget(self.task_buttons[task])
        task_row.addStretch(1)
        self.task_buttons["lm"].setChecked(True)
        self.task_group.idClicked.connect(lambda index: self._on_task_clicked(TASKS[index]))

        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(24)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.activated.connect(self._on_combo_activated)
        self.download_button = QPushButton("&Download")
        self.download_button.clicked.connect(self._on_download_clicked)
        self.open_button = QPushButton("&Open file…")
        self.open_button.setToolTip("Open a UTF-8 text file: a .tsv file, or one whose first line has a TAB, "
                                    "is a translation corpus; any other text is for a language model.")
        self.open_button.clicked.connect(self._on_open_clicked)

        choice = QGridLayout()
        task_label, corpus_label = QLabel("Task"), QLabel("&Corpus")
        corpus_label.setBuddy(self.combo)
        choice.addWidget(task_label, 0, 0)
        choice.addLayout(task_row, 0, 1)
        choice.addWidget(corpus_label, 1, 0)
        choice.addWidget(self.combo, 1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        choice.addLayout(buttons, 2, 1)
        choice.setColumnStretch(1, 1)

        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.provenance_label = QLabel()
        self.provenance_label.setWordWrap(True)
        self.size_label = QLabel()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.hide()
        self._facts_box = QWidget()
        self._facts_form = QFormLayout(self._facts_box)
        self._fact_values: dict[str, str] = {}
        self._facts_form.setContentsMargins(0, 0, 0, 0)
        self._facts_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.zipf_plot = ZipfPlot()
        self.length_plot = LengthHistogram()
        self.length_note = QLabel(_LM_LENGTH_NOTE)
        self.length_note.setWordWrap(True)
        self.length_note.hide()
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.length_plot, 1)
        lower_layout.addWidget(self.length_note)
        self.plots = QSplitter(Qt.Orientation.Vertical)
        self.plots.addWidget(self.zipf_plot)
        self.plots.addWidget(lower)
        self.plots.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(choice)
        layout.addSpacing(6)
        layout.addWidget(self.title_label)
        layout.addWidget(self.provenance_label)
        layout.addWidget(self.size_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self._facts_box)
        layout.addWidget(self.plots, 1)

    def _font(self, factor: float = 1.0, bold: bool = False) -> QFont:
        font = QFont(self._base_font)
        font.setPointSizeF(self._base_pt * self._theme.font_scale * factor)
        font.setBold(bold)
        return font

    def _style_facts(self) -> None:
        form = self._facts_form
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            value = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label:
                label.widget().setFont(self._font())
            if value:
                value.widget().setFont(self._font(1.1))

    # -- the combo ----------------------------------------------------------------------

    def _populate(self, task: str, current: str) -> None:
        """Fill the combo with ``task``'s corpora and user files, selecting ``current``."""
        self._combo_task = task
        self.task_buttons[task].setChecked(True)
        self.combo.blockSignals(True)
        self.combo.clear()
        for info in list_corpora():
            if info.task == task:
                self.combo.addItem(f"{info.name} — {info.title} ({self._status(info)})", info.name)
                self.combo.setItemData(self.combo.count() - 1, info.provenance, Qt.ItemDataRole.ToolTipRole)
        for path, file_task in self._user_files:
            if file_task == task:
                self.combo.addItem(f"{Path(path).name} — user file", path)
                self.combo.setItemData(self.combo.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
        index = self.combo.findData(current)
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)
        self._update_download_button()

    @staticmethod
    def _status(info: CorpusInfo) -> str:
        try:
            return availability(info)
        except OSError as exc:
            return f"unreadable: {exc.strerror or exc}"

    def _registered(self, key: str | None) -> CorpusInfo | None:
        return next((info for info in list_corpora() if info.name == key), None)

    def _update_download_button(self) -> None:
        info = self._registered(self.combo.currentData())
        downloadable = bool(info and info.remote and self._status(info) == "not downloaded")
        running = self._download is not None and self._download.is_running()
        self.download_button.setEnabled(downloadable and not running)
        self.download_button.setToolTip(
            f"Download {info.remote.filename} ({format_bytes(info.size_bytes)}) from the book's data hub"
            if downloadable and info and info.remote else
            "Only a book corpus that is not downloaded yet needs this")

    def _remember_file(self, path: str, task: str) -> None:
        self._user_files = [(p, t) for p, t in self._user_files if p != path]
        self._user_files.append((path, task))

    # -- user actions -------------------------------------------------------------------

    def _on_task_clicked(self, task: str) -> None:
        if task == self._combo_task:
            return
        key = self._last.get(task) or default_corpus(task)  # type: ignore[arg-type]
        self._populate(task, key)
        self._choose(self.combo.currentData(), task)

    @Slot(int)
    def _on_combo_activated(self, index: int) -> None:
        key = self.combo.itemData(index)
        if key is not None:
            self._choose(key, self._combo_task)

    def _choose(self, key: str, task: str) -> None:
        """The combo shows ``key``: load it, or say that it waits for Download."""
        if (key, task) == self._shown and self._loaded is not None:
            self._supersede()  # picked again: nothing to reload, no signal to send
            self._revert()
            return
        info = self._registered(key)
        if info is not None and info.remote is not None and self._status(info) == "not downloaded":
            self._preview(info)
        else:
            self._request(key, task)
        self._update_download_button()

    def _on_open_clicked(self) -> None:
        start = self._last_dir or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open a text corpus", start, _FILE_FILTER)
        if path:
            self.open_file(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.open_file(urls[0].toLocalFile())

    # -- loading --------------------------------------------------------------------------

    def _request(self, corpus: str, task: str | None) -> None:
        self._latest.value += 1
        request = _Request(self._latest.value, corpus, task)
        self._outstanding.add(request.serial)
        name = corpus if self._registered(corpus) else Path(corpus).name
        self._set_busy(f"Loading {name}…")
        registered = frozenset(info.name for info in list_corpora())
        self._pool.start(partial(_load, request, self._latest, self._bridge, registered))

    def _supersede(self) -> None:
        """Drop the result of any running load (its serial is no longer the newest)."""
        self._latest.value += 1

    @Slot(int, object)
    def _on_loaded(self, serial: int, loaded: _Loaded) -> None:
        self._outstanding.discard(serial)
        if serial != self._latest.value:
            return  # superseded: never show stale statistics
        self._loaded = loaded
        self._shown = (loaded.corpus, loaded.task)
        self._last[loaded.task] = loaded.corpus
        if loaded.is_file:
            self._remember_file(loaded.corpus, loaded.task)
        self._populate(loaded.task, loaded.corpus)
        self._set_busy(None)
        self._show_loaded(loaded)
        self.sig_selection_changed.emit(loaded.corpus, loaded.task)
        self.sig_stats_ready.emit(loaded.stats)

    @Slot(int, str)
    def _on_failed(self, serial: int, message: str) -> None:
        self._outstanding.discard(serial)
        if serial != self._latest.value:
            return
        self._user_files = [(p, t) for p, t in self._user_files if Path(p).is_file()]
        self._revert()
        QMessageBox.warning(self, "Cannot use this corpus", message)

    @Slot(int)
    def _on_skipped(self, serial: int) -> None:
        self._outstanding.discard(serial)

    def _revert(self) -> None:
        """Show the current selection again, as it was before the failed attempt."""
        self._set_busy(None)
        self._populate(self._shown[1], self._shown[0])
        if self._loaded is not None:
            self._show_loaded(self._loaded)

    # -- showing ----------------------------------------------------------------------------

    def _set_busy(self, text: str | None) -> None:
        busy = text is not None
        self.status_label.setText(text or "")
        self.status_label.setVisible(busy)
        self._facts_box.setEnabled(not busy)
        for plot in (self.zipf_plot, self.length_plot):
            plot.set_dimmed(busy)

    def _show_info(self, info: CorpusInfo, status: str | None = None) -> None:
        self.title_label.setText(info.title)
        self.provenance_label.setText(info.provenance)
        where = "user file" if info.source == "file" else (status or self._status(info))
        self.size_label.setText(f"{format_bytes(info.size_bytes)} · {info.task_name} · {where}")

    def _set_facts(self, rows: list[tuple[str, str, str, str]]) -> None:
        """Rows of (name, value, note under the value or "", tooltip)."""
        form = self._facts_form
        while form.rowCount():
            form.removeRow(0)
        self._fact_values = {}
        for name, value, note, tip in rows:
            self._fact_values[name] = value
            label, field = QLabel(name), QLabel()
            field.setTextFormat(Qt.TextFormat.RichText)
            field.setText(f"<b>{html.escape(value)}</b>"
                          + (f"<br><small>{html.escape(note)}</small>" if note else ""))
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setWordWrap(True)
            for widget in (label, field):
                widget.setToolTip(tip)
            form.addRow(label, field)
            label.show()  # now, not at the next event-loop turn: a grab or a test sees them at once
            field.show()
        self._style_facts()

    def _show_loaded(self, loaded: _Loaded) -> None:
        stats = loaded.stats
        self._show_info(stats.info)
        if isinstance(stats, LmStats):
            top = ", ".join(word for word, _ in stats.unigrams.top(6))
            self._set_facts([
                ("Vocabulary", f"{stats.char_vocab_size:,} characters · {stats.word_vocab_size:,} words",
                 "distinct tokens, plus <unk>",
                 "The vocabularies of the book's character and word language models (section 9.2)."),
                ("Tokens", f"{stats.n_chars:,} characters · {stats.n_words:,} words",
                 f"after cleaning: {_CLEANING.get(stats.cleaning, stats.cleaning)}",
                 "How the raw text is cleaned before it is split into tokens."),
                ("Most frequent", top or "—", "",
                 "\n".join(f"{word}: {count:,}" for word, count in stats.unigrams.top(10))
                 + "\n\nThe commonest words are mostly 'stop words' (section 9.2)."),
            ])
            self.zipf_plot.setToolTip("")
            self.zipf_plot.set_series([("unigram", stats.unigrams), ("bigram", stats.bigrams),
                                       ("trigram", stats.trigrams)])
            lengths = loaded.line_lengths if loaded.line_lengths is not None else np.zeros(0, np.int64)
            if len(lengths):
                edges = _length_edges(lengths)
                self.length_plot.set_histogram(edges, [("lines", np.histogram(lengths, edges)[0])],
                                               title="Words per line", x_label="words per line",
                                               y_label="number of lines")
            else:
                self.length_plot.clear_series("no words")
            self.length_note.show()
        else:
            reserved = "<pad> <bos> <eos> <unk>"
            self._set_facts([
                ("Sentence pairs", f"{stats.n_pairs:,}", "", "Source–target pairs in the corpus."),
                ("Vocabulary", f"{stats.src_vocab_size:,} source · {stats.tgt_vocab_size:,} target",
                 f"tokens seen ≥ {stats.min_freq} times, plus {reserved}",
                 f"As the book's MTFraEng (section 10.5): tokens seen at least {stats.min_freq} times, "
                 f"plus the reserved {reserved}; rarer tokens become <unk>."),
                ("Tokens", f"{stats.src_tokens:,} source · {stats.tgt_tokens:,} target", "",
                 "Lowercased, with a space before , . ! ? (the book's preprocessing)."),
            ])
            self.zipf_plot.set_series([("source", stats.src_freqs), ("target", stats.tgt_freqs)])
            top = int(max(stats.src_lengths.max(), stats.tgt_lengths.max()))
            edges, src, tgt = stats.length_histogram(None if top <= 100 else 50)
            self.length_plot.set_histogram(edges, [("source", src), ("target", tgt)],
                                           title="Tokens per sentence", x_label="tokens per sentence",
                                           y_label="number of sentences")
            self.length_note.hide()

    def _preview(self, info: CorpusInfo) -> None:
        """A book corpus that is not downloaded: describe it, point at Download."""
        self._supersede()
        self._set_busy(None)
        self._show_info(info, "not downloaded")
        self._set_facts([])
        self.zipf_plot.clear_series("not downloaded")
        self.length_plot.clear_series("not downloaded")
        self.length_note.hide()
        self.status_label.setText(
            f"Not downloaded yet. Press Download to fetch {format_bytes(info.size_bytes)} from the "
            f"book's data hub. Until then the app keeps using {Path(self._shown[0]).name}.")
        self.status_label.show()

    # -- download ----------------------------------------------------------------------------

    def _on_download_clicked(self) -> None:
        info = self._registered(self.combo.currentData())
        if info is None or info.remote is None or (self._download and self._download.is_running()):
            return
        dialog = DownloadDialog(info.remote, info.title, self)
        dialog.sig_downloaded.connect(self._on_downloaded)
        dialog.sig_failed.connect(self._on_download_failed)
        dialog.sig_cancelled.connect(self._on_download_cancelled)
        self._download, self._downloading = dialog, info.name
        self.download_button.setEnabled(False)
        dialog.start()

    def download_dialog(self) -> DownloadDialog | None:
        """The dialog of the download running (or last run)."""
        return self._download

    def _download_ended(self) -> str:
        name = self._downloading
        if self._download is not None:
            self._download.deleteLater()
        self._populate(self._combo_task, self.combo.currentData())  # the statuses changed
        return name

    @Slot(object)
    def _on_downloaded(self, _path: object) -> None:
        name = self._download_ended()
        info = get_info(name)
        self._populate(info.task, name)
        self._request(name, info.task)
        self._download = None

    @Slot(str)
    def _on_download_failed(self, _message: str) -> None:
        self._download_ended()
        self._download = None
        self._update_download_button()
        self.status_label.setText("The download failed (see the message); nothing was kept. "
                                  f"The app keeps using {Path(self._shown[0]).name}.")
        self.status_label.show()

    @Slot()
    def _on_download_cancelled(self) -> None:
        self._download_ended()
        self._download = None
        self._update_download_button()
        self.status_label.setText("Download cancelled; nothing was kept. "
                                  f"The app keeps using {Path(self._shown[0]).name}.")
        self.status_label.show()
