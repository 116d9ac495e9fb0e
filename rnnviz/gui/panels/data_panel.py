"""The Data dock: choose a corpus and see what the model will learn from.

A task (language model or translation), a corpus of that task (built-in, the
book's, or a file the user opened), its provenance and size, its vocabulary
and token counts, and two plots: Zipf's law (D2L section 9.2) and tokens per
sentence (D2L section 10.5).

Loading and statistics run off the GUI thread (fra-eng takes seconds; ``data_loading``); each
request carries a serial number and only the newest one's result is shown.
A failure (a bad file, a corpus not downloaded) shows the core's message and
leaves the previous selection exactly as it was.

This module must not import torch (directly or through core.train, models,
checkpoint, decoding): the first window paints before torch loads.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.config import MEMORY_TASKS
from rnnviz.core.data.corpora import (
    CorpusInfo,
    availability,
    default_corpus,
    get_info,
    list_corpora,
)
from rnnviz.core.data.stats import LmStats, MtStats
from rnnviz.core.data.summary import Loaded, Serial
from rnnviz.gui.panels.data_download import DownloadMixin
from rnnviz.gui.panels.data_files import FilesMixin
from rnnviz.gui.panels.data_loading import LoadingMixin
from rnnviz.gui.panels.data_memory import MemoryTaskBox
from rnnviz.gui.panels.data_stats_view import CorpusStatsView
from rnnviz.gui.style import NORMAL, Theme
from rnnviz.gui.widgets.download_dialog import DownloadDialog, format_bytes
from rnnviz.gui.widgets.eliding_combo import ElidingComboBox
from rnnviz.gui.widgets.wheel_guard import wheel_needs_focus

#: The tasks the app loads data for: text corpora, and the tasks that need memory (generated).
TASKS: tuple[str, ...] = ("lm", "mt", *MEMORY_TASKS)
#: The task buttons: a language model, translation, and the tasks that need memory as one choice.
CHOICES: tuple[str, ...] = ("lm", "mt", "memory")
_TASK_LABELS = {"lm": "&Language model", "mt": "&Translation", "memory": "&Memory tasks"}
#: The room for a row of controls in the Data dock at its default width (400 px, less its scroll bar and margins).
DOCK_ROOM = 340


def _choice(task: str) -> str:
    return "memory" if task in MEMORY_TASKS else task


class DataPanel(DownloadMixin, FilesMixin, LoadingMixin, QWidget):
    """Corpus choice, its statistics and plots: the Data dock of the main window.

    :meth:`selection` is the corpus whose statistics are shown, the one the rest
    of the app should use. The combo may meanwhile show a corpus being loaded,
    or a book corpus waiting for Download (the panel says so).
    """

    #: (corpus name or file path, task "lm" | "mt"), after a successful load; for a task that needs memory
    #: (task, task): it is its own corpus, chosen at once (nothing to load).
    sig_selection_changed = Signal(str, str)
    #: dict: the settings of the task that needs memory shown (DataConfig's names), whenever they change.
    sig_memory_changed = Signal(dict)
    #: The LmStats / MtStats now shown.
    sig_stats_ready = Signal(object)

    def __init__(self, parent: QWidget | None = None, theme: Theme = NORMAL) -> None:
        super().__init__(parent)
        # The pool before the bridge: children are deleted in creation order, so the
        # pool waits for running loads while the bridge still exists.
        self._latest = Serial()
        self._outstanding: set[int] = set()
        self._shown: tuple[str, str] = (default_corpus("lm"), "lm")
        self._loaded: Loaded | None = None
        self._user_files: list[tuple[str, str]] = []  # (path, task), in opening order
        self._sources: tuple[str, ...] = ()  # further texts of the language model shown (data_files.open_files)
        self._pending_sources: dict[int, tuple[tuple[str, ...], list]] = {}
        self._last: dict[str, str] = {}  # task -> the corpus last shown for it
        self._last_dir = ""
        self._download: DownloadDialog | None = None
        self._downloading = ""
        self._theme = theme
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
                                f"unknown task {task!r}; use 'lm' (language model), 'mt' (translation), or a task "
                                f"that needs memory ({', '.join(MEMORY_TASKS)}).")
            return
        if task in MEMORY_TASKS:
            self.use_memory_task(task)
            return
        registered = {info.name for info in list_corpora()}
        self._request(corpus if corpus in registered else os.path.abspath(os.path.expanduser(corpus)), task)

    def use_memory_task(self, task: str, settings: dict | None = None) -> None:
        """Choose a task that needs memory (recall, adding, copy), with ``settings`` (DataConfig's names:
        lag, num_steps, symbols, copy_length, num_train, num_val, seed) or its defaults. Synchronous: it is
        generated when a run starts, so nothing is loaded; emits sig_selection_changed(task, task)."""
        self._supersede()  # a text corpus still loading is no longer wanted
        self._set_busy(None)
        self._take_sources(-1)
        self._shown = (task, task)
        self._last["memory"] = task
        self._populate(task, task)
        self.memory_box.set_task(task, settings)
        self._show_memory(True)
        self.sig_selection_changed.emit(task, task)

    def memory_settings(self) -> dict[str, int]:
        """The settings of the task that needs memory shown (DataConfig's names), {} for a text corpus."""
        return self.memory_box.settings() if self._shown[1] in MEMORY_TASKS else {}

    def stats(self) -> LmStats | MtStats | None:
        """The statistics now shown (None before the first load)."""
        return self._loaded.stats if self._loaded else None

    def facts(self) -> dict[str, str]:
        """The figures shown beside the plots, by row name (e.g. "Vocabulary"), as plain text."""
        return self.stats_view.facts()

    def apply_theme(self, theme: Theme) -> None:
        """Fonts × ``theme.font_scale``; plot pens, colours and text from the theme."""
        self._theme = theme
        self.stats_view.apply_theme(theme)
        self.setFont(self.stats_view.font_for())
        # Buttons side by side while they fit a default-width dock (400 px), else one above the other.
        labels = max(label.sizeHint().width() for label in self._choice_labels)
        for row, room in ((self._task_row, DOCK_ROOM - labels), (self._button_row, DOCK_ROOM)):
            widgets = [row.itemAt(i).widget() for i in range(row.count()) if row.itemAt(i).widget()]
            needed = sum(w.sizeHint().width() for w in widgets) + row.spacing() * len(widgets)
            row.setDirection(QHBoxLayout.Direction.LeftToRight if needed <= room else QHBoxLayout.Direction.TopToBottom)

    def theme(self) -> Theme:
        return self._theme

    # -- building -------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.task_buttons: dict[str, QRadioButton] = {t: QRadioButton(_TASK_LABELS[t]) for t in CHOICES}
        self.task_buttons["memory"].setToolTip("Recall, the adding problem, copy: generated sequences that only a "
                                               "network with memory can learn (RNN vs GRU vs LSTM).")
        self.task_group = QButtonGroup(self)
        task_row = QHBoxLayout()
        for index, choice in enumerate(CHOICES):
            self.task_group.addButton(self.task_buttons[choice], index)
            task_row.addWidget(self.task_buttons[choice])
        task_row.addStretch(1)
        self.task_buttons["lm"].setChecked(True)
        self.task_group.idClicked.connect(lambda index: self._on_task_clicked(CHOICES[index]))

        # Closed, the combo shows "name · status", elided (tooltip whole) when even that does not fit;
        # a wheel over it scrolls the dock unless it was clicked: it never loads a corpus by surprise.
        self.combo = ElidingComboBox(min_chars=6)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        wheel_needs_focus(self.combo)
        self.combo.activated.connect(self._on_combo_activated)
        self.download_button = QPushButton("&Download")
        self.download_button.clicked.connect(self._on_download_clicked)
        self.open_button = QPushButton("&Open file…")
        self.open_button.setToolTip("Open a UTF-8 text file: a .tsv file, or one whose first line has a TAB, "
                                    "is a translation corpus; any other text is for a language model. Several "
                                    "texts at once make one language model of them all.")
        self.open_button.clicked.connect(self._on_open_clicked)

        choice = QGridLayout()
        task_label, corpus_label = QLabel("Task"), QLabel("&Corpus")
        corpus_label.setBuddy(self.combo)
        choice.addWidget(task_label, 0, 0, Qt.AlignmentFlag.AlignTop)
        choice.addLayout(task_row, 0, 1)
        choice.addWidget(corpus_label, 1, 0)
        choice.addWidget(self.combo, 1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        choice.addLayout(buttons, 2, 0, 1, 2)
        self._task_row, self._button_row, self._choice_labels = task_row, buttons, (task_label, corpus_label)
        choice.setColumnStretch(1, 1)

        self.stats_view = CorpusStatsView()
        # The widgets tests and scripts reach for, under their names of old.
        view = self.stats_view
        self.title_label, self.provenance_label, self.size_label = view.title_label, view.provenance_label, \
            view.size_label
        self.status_label, self.length_note, self.plots = view.status_label, view.length_note, view.plots
        self.zipf_plot, self.length_plot = view.zipf_plot, view.length_plot
        self.sources_label = QLabel()  # several texts opened together: their shares
        self.sources_label.setWordWrap(True)
        self.sources_label.setVisible(False)
        self.memory_box = MemoryTaskBox()
        self.memory_box.setVisible(False)
        self.memory_box.sig_changed.connect(self.sig_memory_changed)

        layout = QVBoxLayout(self)
        layout.addLayout(choice)
        layout.addWidget(self.sources_label)
        layout.addSpacing(6)
        layout.addWidget(view, 1)
        layout.addWidget(self.memory_box)
        self._memory_stretch = QWidget()  # keeps the task's box at the top while it is shown
        layout.addWidget(self._memory_stretch, 1)
        self._memory_stretch.setVisible(False)

    # -- the combo ----------------------------------------------------------------------

    def _populate(self, task: str, current: str) -> None:
        """Fill the combo with ``task``'s corpora and user files, selecting ``current``."""
        self._combo_task = task
        self.task_buttons[_choice(task)].setChecked(True)
        self.combo.blockSignals(True)
        self.combo.clear()
        for info in list_corpora():
            if _choice(info.task) == _choice(task):
                status = self._status(info)
                self.combo.add_item(f"{info.name} — {info.title} ({status})", info.name,
                                    f"{info.name} · {status}", info.provenance)
        for path, file_task in self._user_files:
            if file_task == task:
                self.combo.add_item(f"{Path(path).name} — user file", path, Path(path).name, path)
        index = self.combo.findData(current)
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)
        self.combo.refresh_tooltip()
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

    # -- user actions -------------------------------------------------------------------

    def _on_task_clicked(self, choice: str) -> None:
        if choice == _choice(self._combo_task):
            return
        if choice == "memory":
            task = self._last.get("memory") or MEMORY_TASKS[0]
            self._choose(task, task)
            return
        key = self._last.get(choice) or default_corpus(choice)  # type: ignore[arg-type]
        self._populate(choice, key)
        self._choose(self.combo.currentData(), choice)

    @Slot(int)
    def _on_combo_activated(self, index: int) -> None:
        key = self.combo.itemData(index)
        if key is not None:
            self._choose(key, key if key in MEMORY_TASKS else self._combo_task)

    def _choose(self, key: str, task: str) -> None:
        """The combo shows ``key``: load it, or say that it waits for Download."""
        if task in MEMORY_TASKS:
            if (key, task) != self._shown:
                self.use_memory_task(task)
            return
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

    # -- showing ----------------------------------------------------------------------------

    def _set_busy(self, text: str | None) -> None:
        if text is not None:
            self._show_memory(False)
        self.stats_view.set_busy(text)

    def _show_memory(self, on: bool) -> None:
        """The task's settings in place of a corpus's statistics (and no Download or Open file)."""
        self.stats_view.setVisible(not on)
        self.memory_box.setVisible(on)
        self._memory_stretch.setVisible(on)
        self.download_button.setVisible(not on)
        self.open_button.setVisible(not on)

    def _show_info(self, info: CorpusInfo, status: str | None = None) -> None:
        self.stats_view.show_info(info, "user file" if info.source == "file" else (status or self._status(info)))

    def _show_loaded(self, loaded: Loaded) -> None:
        self._show_memory(False)
        self._show_info(loaded.stats.info)
        self.stats_view.show_stats(loaded.stats, loaded.line_lengths)

    def _preview(self, info: CorpusInfo) -> None:
        """A book corpus that is not downloaded: describe it, point at Download."""
        self._supersede()
        self._show_memory(False)
        self._set_busy(None)
        self._show_info(info, "not downloaded")
        self.stats_view.clear_stats("not downloaded")
        self.stats_view.say(
            f"Not downloaded yet. Press Download to fetch {format_bytes(info.size_bytes)} from the "
            f"book's data hub. Until then the app keeps using {Path(self._shown[0]).name}.")
