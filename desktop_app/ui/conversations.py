"""Conversations in the window: which one is shown, one `ChatController` per conversation that has
answered since start-up, and the routing of each controller's signals to the chat view, composer
and status bar — only the shown conversation's signals reach them; the others keep streaming
into the history in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QTextDocument

from desktop_app.chat.controller import ChatController, ChatOptions
from desktop_app.core.errors import HistoryError, ParleyError
from desktop_app.core.history_types import (
    SNIPPET_MARK_END,
    SNIPPET_MARK_START,
    ConversationRow,
    ConversationSettings,
    MessageRow,
)
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.ports import ChatProvider, HistoryStore
from desktop_app.ui.chat_view import ChatEntry, ChatView
from desktop_app.ui.composer import Composer
from desktop_app.ui.markdown import RENDERER_VERSION
from desktop_app.ui.sidebar import Sidebar
from desktop_app.ui.status import AnswerStatus

log = logging.getLogger(__name__)

# Identifies the pipeline that made a cached HTML; bump when rendering changes.
_FAILED = (MessageStatus.ERROR, MessageStatus.INTERRUPTED)


def entry_for(row: MessageRow) -> ChatEntry:
    cached = row.rendered_html if row.rendered_key == RENDERER_VERSION else None
    return ChatEntry(row.role, row.content, cached, row.status, row.reasoning, message_id=row.id)


def first_marked_word(snippet: str) -> str:
    start = snippet.find(SNIPPET_MARK_START)
    end = snippet.find(SNIPPET_MARK_END, start + 1)
    return snippet[start + 1 : end] if 0 <= start < end else ""


class Conversations(QObject):
    """The shown conversation and its answers. `changed` follows anything that may change what
    the window shows around the chat (welcome page, actions)."""

    changed = Signal()

    def __init__(
        self,
        history: HistoryStore,
        view: ChatView,
        composer: Composer,
        status: AnswerStatus,
        sidebar: Sidebar,
        *,
        provider: Callable[[], ChatProvider],
        provider_ready: Callable[[], Awaitable[None]],
        model: Callable[[], str],
        show_message: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._history = history
        self._view = view
        self._composer = composer
        self._status = status
        self._sidebar = sidebar
        self._provider = provider
        self._provider_ready = provider_ready
        self._model = model
        self._show_message = show_message
        self._controllers: dict[int, ChatController] = {}
        self._current: int | None = None
        self._pending_settings = ConversationSettings()  # for a new chat not saved yet
        self._editing: int | None = None  # the user message being edited
        self._last_user: dict[int, tuple[int, str]] = {}  # conversation -> (message id, text)
        self._streaming: dict[int, int] = {}  # conversation -> id of the answer it streams
        view.retry_requested.connect(self.retry)
        view.regenerate_requested.connect(self.regenerate)
        view.edit_requested.connect(self.begin_edit)
        view.answer_finished.connect(self._cache_html)

    # -- what is shown ---------------------------------------------------------------------------

    @property
    def current(self) -> int | None:
        return self._current

    def is_empty(self) -> bool:
        return self._current is None

    def is_streaming(self) -> bool:
        controller = self._controllers.get(self._current) if self._current is not None else None
        return controller is not None and controller.is_streaming

    def settings(self) -> ConversationSettings:
        if self._current is None:
            return self._pending_settings
        row = self._history.get_conversation(self._current)
        return row.settings if row is not None else ConversationSettings()

    def set_settings(self, settings: ConversationSettings) -> None:
        if self._current is None:
            self._pending_settings = settings
            return
        try:
            self._history.update_conversation_settings(self._current, settings)
        except HistoryError as exc:
            self._show_message(str(exc))

    def new_chat(self) -> None:
        self._current = None
        self._pending_settings = ConversationSettings()
        self._cancel_edit()
        self._view.set_messages([])
        self._sidebar.set_conversations(self._list(), None)
        self._sync_streaming_state()
        self._composer.setFocus(Qt.FocusReason.OtherFocusReason)
        self.changed.emit()

    def open(self, conversation_id: int, find: str = "") -> None:
        """Show a conversation from the history; `find` scrolls to that word's first place."""
        try:
            rows = self._history.messages(conversation_id)
        except HistoryError as exc:
            self._show_message(str(exc))
            return
        self._current = conversation_id
        self._cancel_edit()
        streaming_id = self._streaming.get(conversation_id)
        shown = [r for r in rows if r.role is not Role.SYSTEM and r.id != streaming_id]
        self._view.set_messages([entry_for(r) for r in shown])
        self._remember_last_user(conversation_id, rows)
        last = shown[-1] if shown else None
        if streaming_id is not None:
            partial = next((r.content for r in rows if r.id == streaming_id), "")
            self._view.begin_assistant_message(streaming_id)
            self._view.update_streaming(partial)
        elif last is not None and last.role is Role.ASSISTANT and last.status in _FAILED and last.error:
            self._view.show_error(last.error, self.retry)
        if find:
            self._scroll_to(find)
        if self._sidebar.current_conversation() != conversation_id:
            self._sidebar.set_conversations(self._list(), conversation_id)
        self._sync_streaming_state()
        self.changed.emit()

    def open_hit(self, conversation_id: int, _message_id: int, snippet: str = "") -> None:
        self.open(conversation_id, first_marked_word(snippet))

    def refresh_sidebar(self) -> None:
        self._sidebar.set_conversations(self._list(), self._current)

    def _list(self) -> list[ConversationRow]:
        try:
            return self._history.list_conversations()
        except HistoryError as exc:
            self._show_message(str(exc))
            return []

    def _scroll_to(self, word: str) -> None:
        """Select the first place of `word` (loading earlier messages until it shows up)."""
        browser = self._view.browser
        for _ in range(1000):  # bounded: each round inserts a batch of earlier messages
            cursor = browser.document().find(word, 0, QTextDocument.FindFlag(0))
            if not cursor.isNull():
                browser.setTextCursor(cursor)
                browser.ensureCursorVisible()
                return
            if not self._view.hidden_message_count():
                return
            self._view.load_earlier()

    # -- conversations in the sidebar -----------------------------------------------------------

    def rename(self, conversation_id: int, title: str) -> None:
        try:
            self._history.rename_conversation(conversation_id, title)
        except HistoryError as exc:
            self._show_message(str(exc))
        self.refresh_sidebar()

    async def delete(self, conversation_id: int) -> None:
        controller = self._controllers.pop(conversation_id, None)
        if controller is not None:
            await controller.aclose()
        try:
            self._history.delete_conversation(conversation_id)
        except HistoryError as exc:
            self._show_message(str(exc))
        if conversation_id == self._current:
            self.new_chat()
        else:
            self.refresh_sidebar()

    def search(self, query: str) -> None:
        if not query:
            return
        try:
            hits = self._history.search(query)
        except HistoryError as exc:
            self._show_message(str(exc))
            hits = []
        self._sidebar.show_results(query, hits)

    # -- answers ---------------------------------------------------------------------------------

    async def send(self, text: str) -> None:
        """Send `text` (or, while editing, replace the edited message with it)."""
        await self._provider_ready()
        try:
            if self._current is None:
                self._start_conversation()
                self.changed.emit()
            controller = self._controller()
        except HistoryError as exc:
            self._composer.set_text(text)
            self._show_message(str(exc))
            return
        assert controller is not None
        controller.options = self._options()
        editing, self._editing = self._editing, None
        if editing is not None:
            controller.edit_and_resend(editing, text)
        else:
            controller.send(text)
        self.refresh_sidebar()

    def stop(self) -> None:
        controller = self._controller()
        if controller is not None:
            controller.stop()

    def regenerate(self) -> None:
        controller = self._controller()
        if controller is not None:
            controller.options = self._options()
            if controller.regenerate() is None:
                self._show_message(self.tr("There is no answer to regenerate yet."))

    def retry(self) -> None:
        controller = self._controller()
        if controller is not None:
            controller.options = self._options()
            controller.retry()

    def begin_edit(self, message_id: int, text: str) -> bool:
        """Put a sent message back into the composer; sending replaces it and what follows."""
        if self._current is None or message_id < 0:
            return False
        self._editing = message_id
        self._composer.begin_edit(text)
        return True

    def begin_edit_last(self) -> bool:
        """Edit the last message the user sent (Up in an empty composer)."""
        last = self._last_user.get(self._current) if self._current is not None else None
        return last is not None and self.begin_edit(*last)

    def cancel_edit(self) -> None:
        self._editing = None

    def _cancel_edit(self) -> None:
        if self._editing is not None:
            self._editing = None
            self._composer.cancel_edit()

    def _options(self) -> ChatOptions:
        settings = self.settings()
        return ChatOptions(
            model=self._model(),
            system_prompt=settings.system_prompt,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
        )

    async def aclose(self) -> None:
        """Stop every answer (each saved as stopped) and wait for their tasks to end."""
        controllers, self._controllers = list(self._controllers.values()), {}
        await asyncio.gather(*(c.aclose() for c in controllers))

    # -- controllers -----------------------------------------------------------------------------

    def _start_conversation(self) -> None:
        """Save the new chat (with the settings chosen before its first message)."""
        settings = self._pending_settings
        self._current = self._history.new_conversation(system_prompt=settings.system_prompt)
        if settings != ConversationSettings(system_prompt=settings.system_prompt):
            self._history.update_conversation_settings(self._current, settings)
        self._pending_settings = ConversationSettings()

    def _controller(self) -> ChatController | None:
        """The shown conversation's controller, made on first use (None for an unsaved new chat)."""
        if self._current is None:
            return None
        controller = self._controllers.get(self._current)
        if controller is None:
            controller = ChatController(self._history, self._provider, self._current, parent=self)
            self._connect(controller)
            self._controllers[self._current] = controller
        return controller

    def _connect(self, controller: ChatController) -> None:
        cid = controller.conversation_id

        def shown() -> bool:
            return self._current == cid

        def added(role: str, text: str, message_id: int) -> None:
            if role == Role.USER.value:
                self._last_user[cid] = (message_id, text)
            if not shown():
                return
            if role == Role.USER.value:
                self._view.append_user_message(text, message_id)
            elif role == Role.ASSISTANT.value:
                self._view.begin_assistant_message(message_id)

        def started(message_id: int) -> None:
            self._streaming[cid] = message_id
            if shown():
                self._status.answer_started()
                self._sync_streaming_state()

        def text(value: str) -> None:
            if shown():
                if self._status.is_waiting:
                    self._status.first_text()
                self._view.update_streaming(value)

        def finished(status: str, message_id: int) -> None:
            self._streaming.pop(cid, None)
            if shown():
                self._view.finish_streaming(MessageStatus(status))
                self._status.answer_finished()
                self._sync_streaming_state()
            self.refresh_sidebar()

        def reload(*_args: object) -> None:
            if shown():
                self.open(cid)

        def reasoning(value: str) -> None:
            if shown():
                self._view.update_reasoning(value)

        def error(line: str) -> None:
            if shown():
                self._view.show_error(line, self.retry)

        def notice(line: str) -> None:
            if shown():
                self._view.show_notice(line)

        def stats(rate: float, elapsed: float) -> None:
            if shown():
                self._status.set_stats(rate, elapsed)

        controller.message_added.connect(added)
        controller.stream_started.connect(started)
        controller.stream_text.connect(text)
        controller.reasoning_text.connect(reasoning)
        controller.stream_finished.connect(finished)
        controller.error.connect(error)
        controller.notice.connect(notice)
        controller.stats.connect(stats)
        controller.messages_removed.connect(reload)
        controller.message_edited.connect(reload)

    def _cache_html(self, message_id: int, html: str) -> None:
        """The view rendered a finished answer: keep its HTML, so reopening never re-parses it."""
        if message_id < 0 or not html:
            return
        try:
            self._history.set_rendered_html(message_id, html, renderer_key=RENDERER_VERSION)
        except ParleyError as exc:
            log.info("Could not cache the rendered answer: %s", exc)

    def _remember_last_user(self, conversation_id: int, rows: list[MessageRow]) -> None:
        last = next((r for r in reversed(rows) if r.role is Role.USER), None)
        if last is None:
            self._last_user.pop(conversation_id, None)
        else:
            self._last_user[conversation_id] = (last.id, last.content)

    def _sync_streaming_state(self) -> None:
        streaming = self.is_streaming()
        self._composer.set_streaming(streaming)
        if not streaming:
            self._status.answer_finished()
