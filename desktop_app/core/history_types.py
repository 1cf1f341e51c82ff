"""Rows the history store hands out. Plain frozen data: controllers and the UI read them through
`HistoryStore` (core/ports.py) without knowing SQLite is underneath.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True, slots=True)
class SearchHit:
    conversation_id: int
    message_id: int
    conversation_title: str
    role: Role
    snippet: str  # matched words between SNIPPET_MARK_START and SNIPPET_MARK_END
