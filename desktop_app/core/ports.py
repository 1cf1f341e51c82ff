"""Protocols between layers. Controllers and the CLI see providers, history, settings and secrets
only through these, so tests can hand in fakes that keep the same contract.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Protocol, runtime_checkable

from desktop_app.core.attachments import Part
from desktop_app.core.events import StreamEvent
from desktop_app.core.history_types import (
    ConversationRow,
    ConversationSettings,
    MessageRow,
    SearchHit,
    TokenUsage,
)
from desktop_app.core.messages import ChatRequest, MessageStatus, Role
from desktop_app.core.preferences import Preferences


@runtime_checkable
class ChatProvider(Protocol):
    """A configured provider instance."""

    @property
    def name(self) -> str:
        """A short name for messages and the status bar ("Yqcloud", "OpenAI", "Ollama")."""
        ...

    def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        """Stream one answer. Closing or cancelling the iterator closes the connection at once."""
        ...

    async def list_models(self) -> list[str]:
        """Model ids the server offers ([] when it cannot list them)."""
        ...


class SecretStore(Protocol):
    """The OS keychain. Every method raises `SecretStoreError` when it is unavailable."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...

    async def delete(self, key: str) -> None: ...


class HistoryStore(Protocol):
    """Conversations and messages that are never lost (SQLite in `storage/history.py`).

    Synchronous on purpose: each call is one short local transaction (WAL), cheaper than a hop
    to a thread. The growing answer is saved with `update_message` at least every 500 ms.
    """

    def new_conversation(self, title: str = "", *, system_prompt: str = "") -> int: ...

    def append_message(
        self,
        conversation_id: int,
        role: Role,
        content: str,
        *,
        status: MessageStatus = MessageStatus.COMPLETE,
        provider: str = "",
        model: str = "",
        parts: Sequence[Part] = (),
        thumbnails: Mapping[str, bytes] | None = None,
        tokens: Mapping[str, int] | None = None,
    ) -> int:
        """Adds a message with its attachments (`parts`, stored once per content and linked in
        the same transaction). `thumbnails` (an image's preview: `make_thumbnail`, made off the
        event loop) and `tokens` (the estimate shown) are keyed by `attachment_key(part)`."""
        ...

    def update_message(
        self, message_id: int, content: str, *, status: MessageStatus | None = None, error: str | None = None
    ) -> None: ...

    def close(self) -> None: ...

    # Every method below raises `HistoryError` (one line) when the file cannot be read or saved;
    # a write naming a conversation or message that no longer exists raises it too.

    @property
    def interrupted_on_open(self) -> int:
        """How many answers were still `streaming` when the file was opened (a crash cut them);
        they are now `interrupted`."""
        ...

    def rename_conversation(self, conversation_id: int, title: str) -> None: ...

    def update_conversation_settings(self, conversation_id: int, settings: ConversationSettings) -> None: ...

    def delete_conversation(self, conversation_id: int) -> None: ...

    def delete_all(self) -> None:
        """Every conversation and message, erased from the file ("Delete all data")."""
        ...

    def list_conversations(self, limit: int | None = None) -> list[ConversationRow]:
        """Most recent activity (a message added or finished) first."""
        ...

    def get_conversation(self, conversation_id: int) -> ConversationRow | None: ...

    def messages(self, conversation_id: int) -> list[MessageRow]:
        """In the order they were added."""
        ...

    def message(self, message_id: int) -> MessageRow | None: ...

    def set_reasoning(self, message_id: int, reasoning: str) -> None: ...

    def set_usage(self, message_id: int, usage: TokenUsage) -> None: ...

    def set_rendered_html(self, message_id: int, html: str, *, renderer_key: str = "") -> None:
        """Cache a finished message's HTML; new text from `update_message` drops it."""
        ...

    def delete_messages(self, message_ids: Sequence[int]) -> None: ...

    def delete_messages_after(self, message_id: int) -> int:
        """Drop what follows a message in its conversation (edit-and-resend, regenerate)."""
        ...

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Finished messages containing every word of `query` (plain words, never a syntax error)."""
        ...

    def import_conversation(
        self,
        conversation: ConversationRow,
        messages: Sequence[MessageRow],
        parts: Mapping[str, Part] | None = None,
        thumbnails: Mapping[str, bytes] | None = None,
    ) -> int:
        """Add a whole conversation at once (ids ignored); returns its new id. Each message's
        `attachments` are linked by key; their content comes from `parts` (by key) or from
        what the store already keeps."""
        ...

    # Attachments. `MessageRow.attachments` describes them; their content comes from here.

    def attachment_parts(self, message_id: int) -> tuple[Part, ...]:
        """A message's attachments with their content, in order (to build a request)."""
        ...

    def attachment_part(self, key: str) -> Part | None:
        """One attachment with its content (the viewer: full image, extracted text)."""
        ...

    def thumbnail(self, key: str) -> bytes | None:
        """An image's stored preview (JPEG or PNG); None when there is none."""
        ...

    def set_thumbnail(self, key: str, thumbnail: bytes) -> bool:
        """Store an image's preview later; False when the attachment is gone."""
        ...


class SettingsStore(Protocol):
    """Typed, validated preferences (QSettings INI in `storage/settings.py`)."""

    def load(self) -> Preferences: ...

    def save(self, preferences: Preferences) -> None: ...

    def window_state(self) -> tuple[bytes, bytes]:
        """(geometry, splitter state) saved at the last close; empty bytes when none."""
        ...

    def save_window_state(self, geometry: bytes, splitter: bytes) -> None: ...
