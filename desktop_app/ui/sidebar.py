"""The sidebar: conversations by last activity, a New chat button and full-text search.

The sidebar only shows and asks: it emits what the user wants (open, rename, delete after
confirmation, search) and the window answers by calling `set_conversations` / `show_results`.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.history_types import SNIPPET_MARK_END, SNIPPET_MARK_START, ConversationRow, SearchHit
from desktop_app.i18n import format_datetime
from desktop_app.ui.icons import palette_icon

SEARCH_DELAY_MS = 250
_ID_ROLE = Qt.ItemDataRole.UserRole
_MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1
_SNIPPET_ROLE = Qt.ItemDataRole.UserRole + 2
_UPDATED_ROLE = Qt.ItemDataRole.UserRole + 3


def plain_snippet(snippet: str) -> str:
    """The snippet without its match marks, on one line."""
    text = snippet.replace(SNIPPET_MARK_START, "").replace(SNIPPET_MARK_END, "")
    return " ".join(text.split())


class Sidebar(QWidget):
    conversation_selected = Signal(int)
    new_requested = Signal()
    rename_requested = Signal(int, str)
    delete_requested = Signal(int)  # emitted only after the user confirmed
    search_requested = Signal(str)  # "" means the search was cleared
    hit_activated = Signal(int, int, str)  # conversation id, message id, snippet (with match marks)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._titles: dict[int, str] = {}
        self._confirm: QMessageBox | None = None
        self.new_button = QToolButton(self)
        self.new_button.setObjectName("newChatButton")
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_button.setIconSize(QSize(18, 18))
        self.new_button.setMinimumHeight(30)
        self.search = QLineEdit(self)
        self.search.setObjectName("searchField")
        self.search.setClearButtonEnabled(True)
        self.conversations = QListWidget(self)
        self.conversations.setObjectName("conversationList")
        self.conversations.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.conversations.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.conversations.setUniformItemSizes(True)
        self.results = QListWidget(self)
        self.results.setObjectName("searchResults")
        self.results.setWordWrap(True)
        self.no_results = QLabel(self)
        self.no_results.setWordWrap(True)
        self.no_results.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.conversations)
        self.pages.addWidget(self.results)
        self.pages.addWidget(self.no_results)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.new_button)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 2, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.search)
        layout.addWidget(self.pages, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(self._search_text_changed)
        self.search.returnPressed.connect(self._activate_first_hit)
        self.search.installEventFilter(self)
        self.new_button.clicked.connect(self.new_requested)
        self.conversations.currentItemChanged.connect(self._current_changed)
        self.conversations.itemChanged.connect(self._item_renamed)
        self.conversations.customContextMenuRequested.connect(self._context_menu)
        self.conversations.installEventFilter(self)
        self.results.itemActivated.connect(self._hit_activated)
        self.results.itemClicked.connect(self._hit_activated)
        self._update_icons()
        self.retranslate()

    # -- what the window tells the sidebar ---------------------------------------------------

    def set_conversations(self, rows: Sequence[ConversationRow], current: int | None = None) -> None:
        """Show `rows`, most recent activity first, and select `current` without re-emitting."""
        ordered = sorted(rows, key=lambda r: r.updated_at, reverse=True)
        self._titles = {row.id: row.title for row in ordered}
        self.conversations.blockSignals(True)
        try:
            self.conversations.clear()
            for row in ordered:
                item = QListWidgetItem()
                item.setData(_ID_ROLE, row.id)
                item.setData(_UPDATED_ROLE, row.updated_at)
                self._label(item)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                self.conversations.addItem(item)
                if row.id == current:
                    self.conversations.setCurrentItem(item)
            if current is None:
                self.conversations.setCurrentRow(-1)
        finally:
            self.conversations.blockSignals(False)

    def current_conversation(self) -> int | None:
        item = self.conversations.currentItem()
        return int(item.data(_ID_ROLE)) if item is not None else None

    def conversation_ids(self) -> list[int]:
        return [int(self.conversations.item(i).data(_ID_ROLE)) for i in range(self.conversations.count())]

    def show_results(self, query: str, hits: Sequence[SearchHit]) -> None:
        """Search results for `query` (ignored when the field has moved on to another query)."""
        if query != self.search.text().strip():
            return
        self.results.clear()
        for hit in hits:
            title = self._display_title(hit.conversation_title)
            item = QListWidgetItem(f"{title}\n{plain_snippet(hit.snippet)}")
            item.setData(_ID_ROLE, hit.conversation_id)
            item.setData(_MESSAGE_ROLE, hit.message_id)
            item.setData(_SNIPPET_ROLE, hit.snippet)
            self.results.addItem(item)
        if hits:
            self.results.setCurrentRow(0)
            self.pages.setCurrentWidget(self.results)
        else:
            self.no_results.setText(self.tr("Nothing found for “{query}”.").format(query=query))
            self.pages.setCurrentWidget(self.no_results)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def begin_rename(self, conversation_id: int | None = None) -> None:
        item = (
            self._item_for(conversation_id)
            if conversation_id is not None
            else self.conversations.currentItem()
        )
        if item is not None:
            self.conversations.blockSignals(True)  # showing the raw title is not a rename
            item.setText(self._titles.get(int(item.data(_ID_ROLE)), ""))
            self.conversations.blockSignals(False)
            self.conversations.editItem(item)

    def confirm_delete(self, conversation_id: int | None = None) -> QMessageBox | None:
        """Ask before deleting; `delete_requested` follows only a Yes. Returns the open question."""
        target = conversation_id if conversation_id is not None else self.current_conversation()
        if target is None:
            return None
        title = self._display_title(self._titles.get(target, ""))
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Delete conversation"),
            self.tr("Delete “{title}” and all its messages? This cannot be undone.").format(title=title),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._delete_answered(target, result))
        self._confirm = box
        box.open()
        return box

    # -- internals ---------------------------------------------------------------------------

    def _label(self, item: QListWidgetItem) -> None:
        """The item's title ("New chat" while it has none) and when it was last used, in the UI's
        language and locale."""
        item.setText(self._display_title(self._titles.get(int(item.data(_ID_ROLE)), "")))
        when = format_datetime(item.data(_UPDATED_ROLE))
        item.setToolTip(self.tr("Last activity: {when}").format(when=when))

    def _display_title(self, title: str) -> str:
        return title.strip() or self.tr("New chat")

    def _item_for(self, conversation_id: int) -> QListWidgetItem | None:
        for index in range(self.conversations.count()):
            item = self.conversations.item(index)
            if int(item.data(_ID_ROLE)) == conversation_id:
                return item
        return None

    def _delete_answered(self, conversation_id: int, result: int) -> None:
        self._confirm = None
        if result == QMessageBox.StandardButton.Yes.value:
            self.delete_requested.emit(conversation_id)

    def _current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.conversation_selected.emit(int(current.data(_ID_ROLE)))

    def _item_renamed(self, item: QListWidgetItem) -> None:
        conversation_id = int(item.data(_ID_ROLE))
        title = " ".join(item.text().split())
        if title and title != self._titles.get(conversation_id):
            self._titles[conversation_id] = title
            self.rename_requested.emit(conversation_id, title)
        self.conversations.blockSignals(True)
        item.setText(self._display_title(self._titles.get(conversation_id, "")))
        self.conversations.blockSignals(False)

    def _context_menu(self, position: QPoint) -> None:
        item = self.conversations.itemAt(position)
        if item is None:
            return
        conversation_id = int(item.data(_ID_ROLE))
        menu = QMenu(self)
        menu.addAction(self.tr("Rename"), lambda: self.begin_rename(conversation_id))
        menu.addAction(self.tr("Delete…"), lambda: self.confirm_delete(conversation_id))
        menu.popup(self.conversations.viewport().mapToGlobal(position))

    def _search_text_changed(self, text: str) -> None:
        if text.strip():
            self._search_timer.start()
        else:
            self._search_timer.stop()
            self.results.clear()
            self.pages.setCurrentWidget(self.conversations)
            self.search_requested.emit("")

    def _run_search(self) -> None:
        query = self.search.text().strip()
        if query:
            self.search_requested.emit(query)

    def _activate_first_hit(self) -> None:
        if self._search_timer.isActive():  # Enter before the pause: search now
            self._search_timer.stop()
            self._run_search()
            return
        item = self.results.currentItem() or self.results.item(0)
        if item is not None and self.pages.currentWidget() is self.results:
            self._hit_activated(item)

    def _hit_activated(self, item: QListWidgetItem) -> None:
        self.hit_activated.emit(
            int(item.data(_ID_ROLE)), int(item.data(_MESSAGE_ROLE)), str(item.data(_SNIPPET_ROLE))
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.search:
                if key == Qt.Key.Key_Escape and self.search.text():
                    self.search.clear()
                    return True
                if key == Qt.Key.Key_Down and self.pages.currentWidget() is self.results:
                    self.results.setFocus(Qt.FocusReason.TabFocusReason)
                    return True
            elif watched is self.conversations and self.conversations.state() != (
                QAbstractItemView.State.EditingState
            ):
                if key == Qt.Key.Key_Delete:
                    self.confirm_delete()
                    return True
                if key == Qt.Key.Key_F2:
                    self.begin_rename()
                    return True
        return super().eventFilter(watched, event)

    def _update_icons(self) -> None:
        self.new_button.setIcon(palette_icon("new-chat", self.palette()))

    def retranslate(self) -> None:
        self.new_button.setText(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))
        self.search.setPlaceholderText(self.tr("Search (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Search conversations"))
        self.conversations.setAccessibleName(self.tr("Conversations"))
        self.results.setAccessibleName(self.tr("Search results"))
        self.conversations.blockSignals(True)  # relabelling is not renaming
        try:
            for index in range(self.conversations.count()):
                self._label(self.conversations.item(index))
        finally:
            self.conversations.blockSignals(False)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.PaletteChange:
            self._update_icons()
        super().changeEvent(event)
