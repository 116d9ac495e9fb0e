"""How a model tab follows the store: which model it shows, said in a line above it.

:class:`ModelFollower` subscribes a tab to :class:`~rnnviz.gui.store.AppStore`.
When the model the tab should show changes, a tab on screen gets it at once;
a hidden tab gets it when it is shown (tracing or translating for a tab nobody
sees would take the GUI's time while a run trains). Above the tab, a
:class:`ModelBanner` names the model ("shipped phrasebook model", "trained
here, run 2, step 650", "opened lm.pt") and offers the way back to the
shipped one; when the model changes under the user, the banner says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

if TYPE_CHECKING:
    from rnnviz.core.models.factory import ModelBundle
    from rnnviz.gui.store import AppStore

#: How long the banner stays highlighted after the model changed under the user.
CHANGED_HIGHLIGHT_MS = 4000


class ModelBanner(QWidget):
    """One line above a model tab: which model it shows, and a button back to the shipped one."""

    #: The user asked for the shipped model instead of the one shown.
    sig_use_shipped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("Model: none yet")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.shipped_button = QPushButton("Use the shipped model")
        self.shipped_button.setToolTip("Show the small model that comes with rnnviz instead; "
                                       "a trained model stays in the Training tab's run list.")
        self.shipped_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the lecture keys stay with the window
        self.shipped_button.clicked.connect(self.sig_use_shipped)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.shipped_button)
        self._highlight = QTimer(self)
        self._highlight.setSingleShot(True)
        self._highlight.setInterval(CHANGED_HIGHLIGHT_MS)
        self._highlight.timeout.connect(lambda: self.label.setStyleSheet(""))
        self._text = ""

    def text(self) -> str:
        """The model's description as shown (without the "Model:" caption)."""
        return self._text

    def show_model(self, description: str, shipped: bool, changed: bool) -> None:
        """Name the model; ``changed``: it replaced another one while the tab was in use."""
        self._text = description
        self.label.setText(f"Model: {description}" + ("  — new" if changed else ""))
        self.label.setToolTip(description)
        self.shipped_button.setVisible(not shipped)
        if changed:
            self.label.setStyleSheet("font-weight: bold;")
            self._highlight.start()
        else:
            self._highlight.stop()
            self.label.setStyleSheet("")

    def stop(self) -> None:
        """End the highlight (the tab is closing)."""
        self._highlight.stop()


class ModelFollower(QObject):
    """Keeps ``panel`` on the model ``pick(store)`` chooses, and its banner on that model's name.

    ``deliver(bundle)`` hands the model to the panel (``None``: no model for it). The banner says
    "— new" in bold for a while when a model replaced another under the user.
    """

    def __init__(self, panel: QWidget, store: AppStore, pick: Callable[[AppStore], ModelBundle | None],
                 deliver: Callable[[ModelBundle | None], None], name: str) -> None:
        super().__init__(panel)
        self.panel, self.store, self._pick, self._deliver, self.name = panel, store, pick, deliver, name
        self._given: ModelBundle | None = None
        self._pending = False
        self.banner = ModelBanner(panel)
        self.banner.setAccessibleName(f"the {name} tab's model")
        self.banner.sig_use_shipped.connect(self._use_shipped)
        layout = panel.layout()
        if isinstance(layout, QBoxLayout):
            layout.insertWidget(0, self.banner)
        store.sig_model_changed.connect(self.refresh)
        store.sig_selection_changed.connect(self.refresh)
        panel.installEventFilter(self)
        self.refresh()

    def given(self) -> ModelBundle | None:
        """The model the panel was last handed."""
        return self._given

    def refresh(self, *_args: object) -> None:
        """The store changed: hand the panel its model now if it is on screen, else when it is shown."""
        if self._pick(self.store) is self._given:
            return
        self._pending = True
        if self.panel.isVisibleTo(self.panel.window()):
            self._flush()

    def tab_shown(self) -> None:
        """The window switched tabs: a model that waited for this tab to show is handed over now."""
        if self._pending and self.panel.isVisibleTo(self.panel.window()):
            self._flush()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        shown = event.type() in (QEvent.Type.Show, QEvent.Type.ShowToParent)
        if obj is self.panel and shown and self._pending and self.panel.isVisibleTo(self.panel.window()):
            self._flush()
        return False

    def _flush(self) -> None:
        self._pending = False
        bundle = self._pick(self.store)
        previous, self._given = self._given, bundle
        if bundle is None:
            self.banner.show_model("none yet (train one, or open a checkpoint)", True, False)
        else:
            origin = bundle.origin
            shipped = origin.kind == "shipped"
            # Another epoch of the same run (scrubbing) is no surprise: only another model is said in bold.
            same_run = previous is not None and previous.origin.epoch is not None and \
                (previous.origin.kind, previous.origin.path) == (origin.kind, origin.path)
            changed = previous is not None and previous.origin != origin and not same_run
            self.banner.show_model(f"{self.store.describe(origin)} — {bundle.display_name}", shipped, changed)
        self._deliver(bundle)

    def _use_shipped(self) -> None:
        bundle = self._given
        if bundle is not None:
            self.store.clear_model(bundle.task)
