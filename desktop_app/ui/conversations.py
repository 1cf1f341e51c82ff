"""Conversations in the window: which one is shown (the workspace's `current`), what the chat view,
composer, status bar and sidebar show of it. Answers stream through the workspace; only the shown
conversation's events reach the view (`AnswerBinding`), the others keep streaming into the
history in the background.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal

from desktop_app.chat.workspace import AnswerFinished, AnswerStats, ChatWorkspace
from desktop_app.core.attachments import Part
from desktop_app.core.history_types import (
    SNIPPET_MARK_END,
    SNIPPET_MARK_START,
    ConversationSettings,
)
from desktop_app.ui.answer_binding import AnswerBinding, AnswerHooks, entry_for
from desktop_app.ui.attachment_send import parts_for_send
from desktop_app.ui.chat_view import ChatView
from desktop_app.ui.composer import Composer
from desktop_app.ui.sidebar import Sidebar
from desktop_app.ui.status import AnswerStatus

__all__ = ["Conversations", "entry_for", "first_marked_word"]

log = logging.getLogger(__name__)


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
        workspace: ChatWorkspace,
        view: ChatView,
        composer: Composer,
        status: AnswerStatus,
        sidebar: Sidebar,
        show_message: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._view = view
        self._composer = composer
        self._status = status
        self._sidebar = sidebar
        self._sending = False  # a send is deciding its attachments (a second one waits its turn)
        self.binding = AnswerBinding(
            workspace,
            view,
            AnswerHooks(
                started=self._answer_started,
                text=self._first_text,
                finished=self._answer_finished,
                stats=self._stats,
                reload=self.open,
                edit=self._edit_requested,
                message=show_message,
            ),
            self,
        )
        workspace.conversations_changed.connect(self.refresh_sidebar)
        workspace.current_changed.connect(self._follow_current)
        workspace.problem.connect(show_message)

    # -- what is shown ---------------------------------------------------------------------------

    @property
    def current(self) -> int | None:
        return self.workspace.current

    def is_empty(self) -> bool:
        return self.workspace.current is None

    def is_streaming(self) -> bool:
        return self.workspace.is_streaming(self.workspace.current)

    def settings(self) -> ConversationSettings:
        return self.workspace.settings()

    def set_settings(self, settings: ConversationSettings) -> None:
        self.workspace.set_settings(settings)

    def new_chat(self) -> None:
        self._cancel_edit()
        self.workspace.new_chat()  # the binding follows (current_changed)
        self._view.set_messages([])
        self._sidebar.set_conversations(self.workspace.conversations(), None)
        self._sync_streaming_state()
        self._composer.setFocus(Qt.FocusReason.OtherFocusReason)
        self.changed.emit()

    def open(self, conversation_id: int, find: str = "") -> None:
        """Show a conversation from the history; `find` scrolls to that word's first place."""
        self._cancel_edit()
        opened = self.workspace.open(conversation_id)
        if opened is None:
            return
        self.binding.show_rows(opened.messages)  # the binding follows the workspace's current
        if opened.streaming_id is not None:
            self._view.begin_assistant_message(opened.streaming_id)
            self._view.update_streaming(opened.partial)
        elif opened.failed_error:
            self._view.show_error(opened.failed_error, self.binding.retry)
        if find:
            self._view.find_first(find)
        if self._sidebar.current_conversation() != conversation_id:
            self._sidebar.set_conversations(self.workspace.conversations(), conversation_id)
        self._sync_streaming_state()
        self.changed.emit()

    def open_hit(self, conversation_id: int, _message_id: int, snippet: str = "") -> None:
        self.open(conversation_id, first_marked_word(snippet))

    def refresh_sidebar(self) -> None:
        self._sidebar.set_conversations(self.workspace.conversations(), self.workspace.current)

    # -- conversations in the sidebar -----------------------------------------------------------

    def rename(self, conversation_id: int, title: str) -> None:
        self.workspace.rename(conversation_id, title)

    async def delete(self, conversation_id: int) -> None:
        was_shown = conversation_id == self.workspace.current
        await self.workspace.delete(conversation_id)
        if was_shown:
            self.new_chat()

    def search(self, query: str) -> None:
        if query:
            self._sidebar.show_results(query, self.workspace.search(query))

    # -- answers ---------------------------------------------------------------------------------

    async def send(self, text: str) -> None:
        """Send `text` with the composer's attachments (or, while editing, replace the edited
        message with it). Attachments still being prepared are waited for; a message too big for
        the model's context is cut or not sent, as the user answers."""
        if self._sending:  # the previous send is still asking or waiting: this text stays
            if text:
                self._composer.set_text(text)
            return
        self._sending = True
        try:
            drafts = self._composer.drafts
            parts: tuple[Part, ...] = ()
            if drafts is not None and drafts.drafts and self.workspace.editing is None:
                chosen = await parts_for_send(self.workspace, drafts, text, self._composer.window())
                if chosen is None:
                    self._composer.set_text(text)
                    return
                parts = chosen
            if await self.workspace.send(text, parts) is None:
                self._composer.set_text(text)  # nothing was sent: the text and its chips stay
            elif parts and drafts is not None:
                drafts.clear()
        finally:
            self._sending = False

    def stop(self) -> None:
        self.workspace.stop(self.workspace.current)

    def regenerate(self) -> None:
        self.binding.regenerate()

    def retry(self) -> None:
        self.binding.retry()

    def begin_edit(self, message_id: int, text: str) -> bool:
        """Put a sent message back into the composer; sending replaces it and what follows."""
        if self.workspace.current is None or message_id < 0:
            return False
        self.workspace.editing = message_id
        self._composer.begin_edit(text)
        return True

    def _edit_requested(self, message_id: int, text: str) -> None:
        self.begin_edit(message_id, text)

    def begin_edit_last(self) -> bool:
        """Edit the last message the user sent (Up in an empty composer)."""
        last = self.workspace.last_user_message()
        return last is not None and self.begin_edit(*last)

    def cancel_edit(self) -> None:
        self.workspace.editing = None

    def _cancel_edit(self) -> None:
        if self.workspace.editing is not None:
            self.workspace.editing = None
            self._composer.cancel_edit()

    def _follow_current(self) -> None:
        """The workspace's current conversation is the one the binding shows (a new chat becomes
        a saved conversation at its first message, before any of it is shown)."""
        if self.binding.conversation_id != self.workspace.current:
            self.binding.conversation_id = self.workspace.current
            self.changed.emit()

    # -- hooks of the binding -------------------------------------------------------------------

    def _answer_started(self) -> None:
        self._status.answer_started()
        self._sync_streaming_state()

    def _first_text(self, _text: str) -> None:
        if self._status.is_waiting:
            self._status.first_text()

    def _answer_finished(self, _finished: AnswerFinished) -> None:
        self._status.answer_finished()
        self._sync_streaming_state()

    def _stats(self, stats: AnswerStats) -> None:
        self._status.set_stats(stats.tokens_per_second, stats.elapsed_s)

    def _sync_streaming_state(self) -> None:
        streaming = self.is_streaming()
        self._composer.set_streaming(streaming)
        if not streaming:
            self._status.answer_finished()
