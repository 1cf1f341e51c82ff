"""One conversation as Markdown, JSON or a standalone HTML page, and JSON back into history.

The JSON format ("parley.conversation", version 1) — UTF-8, one object:

    {
      "format": "parley.conversation",
      "version": 1,
      "exported_at": "2025-01-31T12:00:00.000+00:00",
      "conversation": {
        "title": "…", "created_at": "<ISO 8601>", "updated_at": "<ISO 8601, last activity>",
        "settings": {"system_prompt": "…", "provider": "…"|null, "model": "…"|null,
                     "temperature": 0.7|null, "max_tokens": 1024|null}
      },
      "messages": [
        {"role": "system"|"user"|"assistant", "content": "…",
         "status": "complete"|"stopped"|"error"|"interrupted", "error": "…"|null,
         "provider": "…", "model": "…", "created_at": "<ISO 8601>", "updated_at": "<ISO 8601>",
         "reasoning": "…", "usage": {"prompt_tokens": 12|null, "completion_tokens": 34|null}|null}
      ]
    }

Timestamps are UTC with milliseconds. On import only `format`, `version`, `conversation.title`
and each message's `role` and `content` are required; missing fields take their defaults and
unknown fields are ignored, so later versions can add fields. A newer `version` is refused.
History holds no secrets (API keys live in the keychain), so neither do exports.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from desktop_app.core.errors import HistoryError, shorten
from desktop_app.core.history_types import ConversationRow, ConversationSettings, MessageRow, TokenUsage
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.ports import HistoryStore

FORMAT = "parley.conversation"
FORMAT_VERSION = 1


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _shown(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _status_note(message: MessageRow) -> str:
    if message.status is MessageStatus.COMPLETE:
        return ""
    if message.status is MessageStatus.ERROR and message.error:
        return f"error: {shorten(message.error)}"
    return message.status.value


# -- Markdown ------------------------------------------------------------------------------------


def to_markdown(conversation: ConversationRow, messages: Sequence[MessageRow]) -> str:
    settings = conversation.settings
    lines = [f"# {_one_line(conversation.title) or 'Conversation'}", ""]
    lines.append(f"- Started: {_shown(conversation.created_at)}")
    model = " / ".join(x for x in (settings.provider, settings.model) if x)
    if model:
        lines.append(f"- Model: {model}")
    if settings.system_prompt:
        lines += ["- System prompt:", "", *_quoted(settings.system_prompt)]
    for message in messages:
        head = [message.role.value.capitalize(), _shown(message.created_at)]
        head += [x for x in (message.model, _status_note(message)) if x]
        lines += ["", "---", "", f"### {' · '.join(head)}", ""]
        if message.reasoning:
            lines += ["> **Reasoning**", ">", *_quoted(message.reasoning), ""]
        lines.append(message.content)
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _quoted(text: str) -> list[str]:
    return [f"> {line}".rstrip() for line in text.splitlines()]


# -- JSON ----------------------------------------------------------------------------------------


def to_json(conversation: ConversationRow, messages: Sequence[MessageRow]) -> str:
    settings = conversation.settings
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": _iso(datetime.now(UTC)),
        "conversation": {
            "title": conversation.title,
            "created_at": _iso(conversation.created_at),
            "updated_at": _iso(conversation.updated_at),
            "settings": {
                "system_prompt": settings.system_prompt,
                "provider": settings.provider,
                "model": settings.model,
                "temperature": settings.temperature,
                "max_tokens": settings.max_tokens,
            },
        },
        "messages": [_message_json(m) for m in messages],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _message_json(message: MessageRow) -> dict[str, object]:
    usage = message.usage
    return {
        "role": message.role.value,
        "content": message.content,
        "status": message.status.value,
        "error": message.error,
        "provider": message.provider,
        "model": message.model,
        "created_at": _iso(message.created_at),
        "updated_at": _iso(message.updated_at),
        "reasoning": message.reasoning,
        "usage": None
        if usage is None
        else {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens},
    }


class _InvalidExportError(ValueError):
    """A problem in an imported file, as "where: what"."""


def _get(
    obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = ...
) -> Any:
    if key not in obj or (obj[key] is None and default is not ...):
        if default is ...:
            raise _InvalidExportError(f"{where}.{key} is missing")
        return default
    value = obj[key]
    # bool is an int in Python, but `true` is never a valid count or temperature.
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise _InvalidExportError(f"{where}.{key} has the wrong type")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _time(obj: Mapping[str, Any], key: str, where: str, default: datetime) -> datetime:
    text = _get(obj, key, str, where, None)
    if text is None:
        return default
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _InvalidExportError(f"{where}.{key} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _enum(value: str, kind: type[Role] | type[MessageStatus], where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise _InvalidExportError(f"{where} {value!r} is unknown") from None


def from_json(text: str | bytes) -> tuple[ConversationRow, list[MessageRow]]:
    """Parses and checks an export; ids in the rows are 0. Raises `HistoryError` with one line."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HistoryError(
            f"Could not import conversation: the file is not JSON ({shorten(str(exc), 80)})"
        ) from None
    try:
        return _parse(document)
    except _InvalidExportError as exc:
        raise HistoryError(f"Could not import conversation: {exc}") from None


def _parse(document: Any) -> tuple[ConversationRow, list[MessageRow]]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _InvalidExportError("the file is not a Parley conversation export")
    version = _get(document, "version", int, "file")
    if not 1 <= version <= FORMAT_VERSION:
        raise _InvalidExportError(
            f"format version {version} is not supported (this Parley reads up to {FORMAT_VERSION})"
        )
    now = datetime.now(UTC).replace(microsecond=0)
    conv = _get(document, "conversation", dict, "file")
    raw_settings = _get(conv, "settings", dict, "conversation", {})
    where = "conversation.settings"
    settings = ConversationSettings(
        system_prompt=_get(raw_settings, "system_prompt", str, where, ""),
        provider=_get(raw_settings, "provider", str, where, None),
        model=_get(raw_settings, "model", str, where, None),
        temperature=_float_or_none(_get(raw_settings, "temperature", (int, float), where, None)),
        max_tokens=_get(raw_settings, "max_tokens", int, where, None),
    )
    created = _time(conv, "created_at", "conversation", now)
    conversation = ConversationRow(
        id=0,
        title=_get(conv, "title", str, "conversation"),
        created_at=created,
        updated_at=_time(conv, "updated_at", "conversation", created),
        settings=settings,
    )
    raw_messages = _get(document, "messages", list, "file")
    return conversation, [_parse_message(m, f"messages[{i}]", now) for i, m in enumerate(raw_messages)]


def _float_or_none(value: int | float | None) -> float | None:
    return None if value is None else float(value)


def _parse_message(raw: Any, where: str, now: datetime) -> MessageRow:
    if not isinstance(raw, dict):
        raise _InvalidExportError(f"{where} is not an object")
    created = _time(raw, "created_at", where, now)
    raw_usage = _get(raw, "usage", dict, where, None)
    usage = None
    if raw_usage is not None:
        usage = TokenUsage(
            _get(raw_usage, "prompt_tokens", int, f"{where}.usage", None),
            _get(raw_usage, "completion_tokens", int, f"{where}.usage", None),
        )
    return MessageRow(
        id=0,
        conversation_id=0,
        role=_enum(_get(raw, "role", str, where), Role, f"{where}.role"),
        content=_get(raw, "content", str, where),
        status=_enum(_get(raw, "status", str, where, "complete"), MessageStatus, f"{where}.status"),
        created_at=created,
        updated_at=_time(raw, "updated_at", where, created),
        error=_get(raw, "error", str, where, None),
        provider=_get(raw, "provider", str, where, ""),
        model=_get(raw, "model", str, where, ""),
        reasoning=_get(raw, "reasoning", str, where, ""),
        usage=usage,
    )


def import_json(history: HistoryStore, text: str | bytes) -> int:
    """Adds the exported conversation to `history` as a new conversation; returns its id."""
    conversation, messages = from_json(text)
    return history.import_conversation(conversation, messages)


# -- HTML ----------------------------------------------------------------------------------------


def escape_as_pre(text: str) -> str:
    """The default renderer: the text exactly as written, escaped, in a <pre>."""
    return f"<pre>{html.escape(text)}</pre>"


# The page loads nothing: no scripts run and no remote resource is fetched even if a renderer
# let something through (defence in depth; renderers must escape HTML in model output anyway).
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; color: #1d1d1f;
       max-width: 50rem; margin: 2rem auto; padding: 0 1rem; }
header.page p, .message header { color: #6e6e73; font-size: 0.85em; }
.message { border-top: 1px solid #d2d2d7; padding: 0.75rem 0; }
.message.user { background: #f5f5f7; padding: 0.75rem; border-radius: 6px; }
.role { font-weight: 600; color: #1d1d1f; }
.status { color: #b3261e; }
pre { white-space: pre-wrap; word-wrap: break-word; font: inherit; margin: 0; }
pre code, code { font-family: ui-monospace, monospace; font-size: 0.9em; }
details.reasoning { color: #6e6e73; margin-bottom: 0.5rem; }
"""


def to_html(
    conversation: ConversationRow,
    messages: Sequence[MessageRow],
    render: Callable[[str], str] = escape_as_pre,
) -> str:
    """A standalone page. `render` turns message markdown into HTML and must escape any HTML in
    it; every other text (title, names, times, errors, the system prompt) is escaped here."""
    esc = html.escape
    title = esc(_one_line(conversation.title) or "Conversation")
    settings = conversation.settings
    meta = [f"Started {esc(_shown(conversation.created_at))}"]
    model = " / ".join(x for x in (settings.provider, settings.model) if x)
    if model:
        meta.append(esc(model))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title><style>{_STYLE}</style></head><body>",
        f'<header class="page"><h1>{title}</h1><p>{" · ".join(meta)}</p></header>',
    ]
    if settings.system_prompt:
        parts.append(
            '<section class="message system"><header><span class="role">System prompt</span></header>'
            f"{escape_as_pre(settings.system_prompt)}</section>"
        )
    for message in messages:
        parts.append(_message_html(message, render))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _message_html(message: MessageRow, render: Callable[[str], str]) -> str:
    esc = html.escape
    head = [
        f'<span class="role">{esc(message.role.value.capitalize())}</span>',
        f'<time datetime="{esc(_iso(message.created_at))}">{esc(_shown(message.created_at))}</time>',
    ]
    if message.model:
        head.append(f'<span class="model">{esc(message.model)}</span>')
    note = _status_note(message)
    if note:
        head.append(f'<span class="status">{esc(note)}</span>')
    body = [f'<article class="message {esc(message.role.value)}"><header>{" · ".join(head)}</header>']
    if message.reasoning:
        body.append(
            f'<details class="reasoning"><summary>Reasoning</summary>{render(message.reasoning)}</details>'
        )
    body.append(f'<div class="content">{render(message.content)}</div></article>')
    return "".join(body)
