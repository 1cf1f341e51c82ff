"""Rows the history store hands out. Plain frozen data: controllers and the UI read them through
`HistoryStore` (core/ports.py) without knowing SQLite is underneath.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from desktop_app.core.attachments import Cut
from desktop_app.core.messages import MessageStatus, Role

# `SearchHit.snippet` marks matched words with these control characters (never found in typed
# text), so a view can escape the snippet first and then turn the marks into highlighting.
SNIPPET_MARK_START = "\x02"
SNIPPET_MARK_END = "\x03"


@dataclass(frozen=True, slots=True)
class ConversationSettings:
    """Per-conversation overrides. `None` means "use the application's current default"."""

    system_prompt: str = ""
    provider: str | None = None
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ConversationRow:
    id: int
    title: str
    created_at: datetime  # timezone-aware, UTC
    updated_at: datetime  # last activity: a message added or finished
    settings: ConversationSettings = ConversationSettings()


@dataclass(frozen=True, slots=True)
class TokenUsage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class AttachmentKind(StrEnum):
    IMAGE = "image"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """What a message's attachment is, without its bytes or text: enough for a chip or a
    thumbnail's frame. The full part comes from `HistoryStore.attachment_part(key)` (viewer) or
    `attachment_parts(message_id)` (a request); the thumbnail from `thumbnail(key)`."""

    key: str  # attachment_key(part) (core/attachment_keys.py)
    kind: AttachmentKind
    name: str  # as attached to this message
    mime: str
    size: int  # an image's encoded bytes; a document's characters of extracted text
    width: int | None = None  # images
    height: int | None = None
    pages: int | None = None  # paged documents (PDF)
    tokens: int | None = None  # the estimate shown when it was attached; None if not given
    notes: tuple[str, ...] = ()  # documents: what the user was told ("4 of 12 pages have no text")
    cut: Cut | None = None  # documents cut to fit

    @property
    def is_image(self) -> bool:
        return self.kind is AttachmentKind.IMAGE


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    conversation_id: int
    role: Role
    content: str
    status: MessageStatus
    created_at: datetime
    updated_at: datetime
    error: str | None = None
    provider: str = ""
    model: str = ""
    reasoning: str = ""
    usage: TokenUsage | None = None
    # Cached HTML of the finished message and the key of the renderer that made it (theme,
    # pipeline version); a view uses the cache only when the key matches its own.
    rendered_html: str | None = None
    rendered_key: str = ""
    # Images and documents attached to the message, in the order they were attached.
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchHit:
    conversation_id: int
    message_id: int
    conversation_title: str
    role: Role
    snippet: str  # matched words between SNIPPET_MARK_START and SNIPPET_MARK_END
    # Set when the words were found in a document attached to the message (its name as attached);
    # the snippet is then from the document's text.
    attachment_name: str | None = None
