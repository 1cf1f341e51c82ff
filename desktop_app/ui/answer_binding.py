"""One conversation's answers shown in a `ChatView`: the workspace's events for the conversation
the binding shows, and the view's requests (Retry, Regenerate, the rendered HTML to cache) sent
back. The main window and the quick prompt each have one; what differs between them (the status
bar's figures, the composer's state, the Copy button) are the hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject

from desktop_app.chat.workspace import AnswerFinished, AnswerStats, ChatWorkspace, MessageAdded
from desktop_app.core.history_types import MessageRow
from desktop_app.core.messages import Role
from desktop_app.ui.attachment_items import HistoryAttachments, shown_parts
from desktop_app.ui.chat_view import ChatEntry, ChatView
from desktop_app.ui.markdown import renderer_key


def entry_for(row: MessageRow, attachments: HistoryAttachments | None = None) -> ChatEntry:
    cached = row.rendered_html if row.rendered_key == renderer_key() else None
    shown = attachments.shown(row.attachments) if attachments is not None and row.attachments else ()
    return ChatEntry(
        row.role, row.content, cached, row.status, row.reasoning, message_id=row.id, attachments=shown
    )


def _nothing(*_args: object) -> None:
    return None


@dataclass(frozen=True)
class AnswerHooks:
    """What a view does beside the chat view when the shown conversation's answer moves on."""

    started: Callable[[], None] = _nothing  # an answer began streaming
    answer_begun: Callable[[], None] = _nothing  # its (empty) message was added to the view
    text: Callable[[str], None] = _nothing  # the answer so far (at most once per frame)
    finished: Callable[[AnswerFinished], None] = _nothing
    stats: Callable[[AnswerStats], None] = _nothing
    reload: Callable[[int], None] = _nothing  # messages were removed or edited: show them anew
    edit: Callable[[int, str], None] = _nothing  # the user asked to edit a sent message
    message: Callable[[str], None] = _nothing  # a one-line remark for the user


class AnswerBinding(QObject):
    """Shows the answers of `conversation_id` (None: none) in `view`; see the module docstring."""

    def __init__(
        self, workspace: ChatWorkspace, view: ChatView, hooks: AnswerHooks, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._view = view
        self._hooks = hooks
        self._attachments = HistoryAttachments(workspace)
        self.conversation_id: int | None = None
        view.use_frame_clock(workspace.frames)
        workspace.message_added.connect(self._added)
        workspace.answer_started.connect(self._started)
        workspace.answer_text.connect(self._text)
        workspace.reasoning_text.connect(self._reasoning)
        workspace.answer_error.connect(self._error)
        workspace.answer_finished.connect(self._finished)
        workspace.notice.connect(self._notice)
        workspace.stats.connect(self._stats)
        workspace.messages_changed.connect(self._changed)
        view.retry_requested.connect(self.retry)
        view.regenerate_requested.connect(self.regenerate)
        view.edit_requested.connect(lambda message_id, text: self._hooks.edit(message_id, text))
        view.answer_finished.connect(workspace.cache_html)

    def shows(self, conversation_id: int) -> bool:
        return conversation_id == self.conversation_id

    def show_rows(self, rows: list[MessageRow]) -> None:
        self._view.set_messages([entry_for(r, self._attachments) for r in rows if r.role is not Role.SYSTEM])

    def retry(self) -> None:
        self._workspace.retry(self.conversation_id)

    def regenerate(self) -> None:
        if not self._workspace.regenerate(self.conversation_id):
            self._hooks.message(
                QCoreApplication.translate("Conversations", "There is no answer to regenerate yet.")
            )

    # -- the workspace's events, for the shown conversation only ----------------------------------

    def _added(self, added: MessageAdded) -> None:
        if not self.shows(added.conversation_id):
            return
        if added.role is Role.USER:
            self._view.append_user_message(added.text, added.message_id, shown_parts(added.parts))
        elif added.role is Role.ASSISTANT:
            self._view.begin_assistant_message(added.message_id)
            self._hooks.answer_begun()

    def _started(self, conversation_id: int, _message_id: int) -> None:
        if self.shows(conversation_id):
            self._hooks.started()

    def _text(self, conversation_id: int, text: str) -> None:
        if self.shows(conversation_id):
            self._hooks.text(text)
            self._view.update_streaming(text)

    def _reasoning(self, conversation_id: int, text: str) -> None:
        if self.shows(conversation_id):
            self._view.update_reasoning(text)

    def _error(self, conversation_id: int, line: str) -> None:
        if self.shows(conversation_id):
            self._view.show_error(line, self.retry)

    def _finished(self, finished: AnswerFinished) -> None:
        if self.shows(finished.conversation_id):
            self._view.finish_streaming(finished.status)
            self._hooks.finished(finished)

    def _notice(self, conversation_id: int, line: str) -> None:
        if self.shows(conversation_id):
            self._view.show_notice(line)

    def _stats(self, stats: AnswerStats) -> None:
        if self.shows(stats.conversation_id):
            self._hooks.stats(stats)

    def _changed(self, conversation_id: int) -> None:
        if self.shows(conversation_id):
            self._hooks.reload(conversation_id)
