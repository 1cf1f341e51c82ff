"""One conversation as Markdown, JSON or a standalone HTML page, and JSON back into history.

The JSON format ("parley.conversation", version 1; version 2 adds attachments) — UTF-8, one object:

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
         "reasoning": "…", "usage": {"prompt_tokens": 12|null, "completion_tokens": 34|null}|null,
         "attachments": [{"key": "<hex>", "name": "…", "tokens": 85|null}]}       (version 2)
      ],
      "attachments": {                                                          (version 2)
        "<hex>": {"kind": "image", "name": "…", "mime": "image/png", "width": 640, "height": 480,
                  "data": "<base64>"},
        "<hex>": {"kind": "document", "name": "…", "mime": "application/pdf", "text": "…",
                  "pages": 12|null, "cut": {"kept": 1000, "total": 5000}|null, "notes": ["…"]}
      }
    }

Each attachment's content is in the file once, however many messages carry it; a message names
it by key (its SHA-256, `attachment_key`). An export is written as version 2 only when it carries
attachments, so a conversation without any still opens in a Parley that reads version 1 — and
one with attachments is refused there as too new instead of losing them silently. On import the
key is computed again from the content (an edited file cannot make two contents share a key).

Timestamps are UTC with milliseconds. On import only `format`, `version`, `conversation.title`
and each message's `role` and `content` are required; missing fields take their defaults and
unknown fields are ignored, so later versions can add fields. A newer `version` is refused.
History holds no secrets (API keys live in the keychain), so neither do exports.

Attachments in the other formats: HTML embeds each image as a `data:` URL (the page's Content
Security Policy allows images from `data:` only, nothing else) and shows a document as a named
summary that opens to its text. Markdown cannot embed, so `write_markdown` puts the images in a
folder `<name>_files/` beside the `.md` file and links them; documents become a named section
with their text in a `<details>` block. The writers read content through `attachment_part`
(pass `HistoryStore.attachment_part`); without it an attachment is shown by name only.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from desktop_app.core.attachment_keys import attachment_key
from desktop_app.core.attachments import Cut, DocumentPart, ImagePart, Part
from desktop_app.core.errors import HistoryError, shorten
from desktop_app.core.history_types import (
    AttachmentKind,
    AttachmentRef,
    ConversationRow,
    ConversationSettings,
    MessageRow,
    TokenUsage,
)
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.ports import HistoryStore

log = logging.getLogger(__name__)

FORMAT = "parley.conversation"
FORMAT_VERSION = 2  # the newest this code reads and writes
PLAIN_FORMAT_VERSION = 1  # what an export without attachments is written as
# Images a page may show from a data: URL (what preparation produces, and common web formats).
_DATA_URL_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Reads an attachment's content by key: `HistoryStore.attachment_part`.
PartLookup = Callable[[str], Part | None]


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


@dataclass(frozen=True, slots=True)
class MarkdownExport:
    """The Markdown text and the files it links, by path relative to the `.md` file."""

    text: str
    files: dict[str, bytes] = field(default_factory=dict)


def to_markdown(
    conversation: ConversationRow,
    messages: Sequence[MessageRow],
    *,
    attachment_part: PartLookup | None = None,
) -> str:
    """The conversation as Markdown text; images are named, not linked (see `write_markdown`)."""
    return markdown_export(conversation, messages, attachment_part=attachment_part, folder=None).text


def write_markdown(
    path: Path,
    conversation: ConversationRow,
    messages: Sequence[MessageRow],
    *,
    attachment_part: PartLookup | None = None,
) -> None:
    """Writes `path` and, when the conversation has images, `<stem>_files/` beside it. Raises
    OSError."""
    export = markdown_export(
        conversation, messages, attachment_part=attachment_part, folder=f"{path.stem}_files"
    )
    for relative, data in export.files.items():
        target = path.parent / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    path.write_text(export.text, encoding="utf-8")


def markdown_export(
    conversation: ConversationRow,
    messages: Sequence[MessageRow],
    *,
    attachment_part: PartLookup | None = None,
    folder: str | None = "attachments",
) -> MarkdownExport:
    """The Markdown and, with a `folder`, each image once as a file in it (linked from the text)."""
    settings = conversation.settings
    lines = [f"# {_one_line(conversation.title) or 'Conversation'}", ""]
    lines.append(f"- Started: {_shown(conversation.created_at)}")
    model = " / ".join(x for x in (settings.provider, settings.model) if x)
    if model:
        lines.append(f"- Model: {model}")
    if settings.system_prompt:
        lines += ["- System prompt:", "", *_quoted(settings.system_prompt)]
    files = _ImageFiles(folder)
    for message in messages:
        head = [message.role.value.capitalize(), _shown(message.created_at)]
        head += [x for x in (message.model, _status_note(message)) if x]
        lines += ["", "---", "", f"### {' · '.join(head)}", ""]
        if message.reasoning:
            lines += ["> **Reasoning**", ">", *_quoted(message.reasoning), ""]
        lines.append(message.content)
        for ref in message.attachments:
            part = attachment_part(ref.key) if attachment_part is not None else None
            lines += ["", *_markdown_attachment(ref, part, files)]
    return MarkdownExport("\n".join(lines).rstrip() + "\n", files.files)


class _ImageFiles:
    """Each image once in the folder, under its (cleaned) name; same names get a number."""

    def __init__(self, folder: str | None) -> None:
        self.folder = folder
        self.files: dict[str, bytes] = {}
        self._by_key: dict[str, str] = {}

    def link(self, ref: AttachmentRef, image: ImagePart) -> str | None:
        if self.folder is None:
            return None
        if ref.key not in self._by_key:
            stem, dot, suffix = _safe_file_name(ref.name).rpartition(".")
            name = f"{stem}{dot}{suffix}" if dot else suffix
            number = 1
            while str(PurePosixPath(self.folder, name)) in self.files:
                number += 1
                name = f"{stem}-{number}{dot}{suffix}" if dot else f"{suffix}-{number}"
            relative = str(PurePosixPath(self.folder, name))
            self.files[relative] = image.data
            self._by_key[ref.key] = relative
        return self._by_key[ref.key]


def _safe_file_name(name: str) -> str:
    """A file name that is safe on every OS and in a Markdown link: no folders, no specials."""
    cleaned = re.sub(r"[^\w.\- ]+", "_", os.path.basename(name.replace("\\", "/"))).strip(" .")
    return cleaned[:80] or "image"


def _markdown_attachment(ref: AttachmentRef, part: Part | None, files: _ImageFiles) -> list[str]:
    name = _one_line(ref.name).replace("]", "\\]")
    if ref.is_image:
        link = files.link(ref, part) if isinstance(part, ImagePart) else None
        return [f"![{name}](<{link}>)" if link else f"*[image: {name}]*"]
    lines = [f"**📎 {name}**" + "".join(f" · {fact}" for fact in _document_facts(ref))]
    lines += [f"> {_one_line(note)}" for note in ref.notes]
    if isinstance(part, DocumentPart):
        fence = "`" * max(3, _longest_run(part.text, "`") + 1)
        lines += [
            "",
            "<details><summary>Text</summary>",
            "",
            f"{fence}text",
            part.text,
            fence,
            "",
            "</details>",
        ]
    return lines


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(run) for run in runs), default=0)


def _document_facts(ref: AttachmentRef) -> list[str]:
    facts = [f"{ref.pages:,} pages"] if ref.pages else []
    facts.append(f"{ref.size:,} characters")
    if ref.cut is not None:
        facts.append(ref.cut.note())
    return facts


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _quoted(text: str) -> list[str]:
    return [f"> {line}".rstrip() for line in text.splitlines()]


# -- JSON ----------------------------------------------------------------------------------------


def to_json(
    conversation: ConversationRow,
    messages: Sequence[MessageRow],
    *,
    attachment_part: PartLookup | None = None,
) -> str:
    """The export document (module docstring). Attachments' content is read with
    `attachment_part`; one it cannot read (or without it) is a `HistoryError`: an export that
    silently lost an attachment would import as something else."""
    settings = conversation.settings
    attachments: dict[str, dict[str, object]] = {}
    for ref in (ref for m in messages for ref in m.attachments):
        if ref.key in attachments:
            continue
        part = attachment_part(ref.key) if attachment_part is not None else None
        if part is None:
            raise HistoryError(f"Could not export conversation: attachment {ref.name!r} could not be read")
        attachments[ref.key] = _attachment_json(part)
    document: dict[str, object] = {
        "format": FORMAT,
        "version": FORMAT_VERSION if attachments else PLAIN_FORMAT_VERSION,
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
    if attachments:
        document["attachments"] = attachments
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _attachment_json(part: Part) -> dict[str, object]:
    if isinstance(part, ImagePart):
        return {
            "kind": AttachmentKind.IMAGE.value,
            "name": part.name,
            "mime": part.mime,
            "width": part.width,
            "height": part.height,
            "data": base64.b64encode(part.data).decode("ascii"),
        }
    cut = None if part.cut is None else {"kept": part.cut.kept, "total": part.cut.total}
    return {
        "kind": AttachmentKind.DOCUMENT.value,
        "name": part.name,
        "mime": part.mime,
        "text": part.text,
        "pages": part.pages,
        "cut": cut,
        "notes": list(part.notes),
    }


def _message_json(message: MessageRow) -> dict[str, object]:
    usage = message.usage
    result: dict[str, object] = {
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
    if message.attachments:
        result["attachments"] = [
            {"key": ref.key, "name": ref.name, "tokens": ref.tokens} for ref in message.attachments
        ]
    return result


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


class ExportedConversation(NamedTuple):
    """A parsed export: ids in the rows are 0; `parts` holds each attachment's content by key."""

    conversation: ConversationRow
    messages: list[MessageRow]
    parts: dict[str, Part]


def from_json(text: str | bytes) -> tuple[ConversationRow, list[MessageRow]]:
    """Parses and checks an export; ids in the rows are 0. Raises `HistoryError` with one line."""
    parsed = read_export(text)
    return parsed.conversation, parsed.messages


def read_export(text: str | bytes) -> ExportedConversation:
    """Parses and checks an export with its attachments. Raises `HistoryError` with one line."""
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


def _parse(document: Any) -> ExportedConversation:
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
    raw_attachments = _get(document, "attachments", dict, "file", {}) if version >= 2 else {}
    by_file_key = {
        file_key: _parse_attachment(raw, f"attachments[{file_key!r}]")
        for file_key, raw in raw_attachments.items()
    }
    raw_messages = _get(document, "messages", list, "file")
    messages = [_parse_message(m, f"messages[{i}]", now, by_file_key) for i, m in enumerate(raw_messages)]
    parts = {attachment_key(part): part for part in by_file_key.values()}
    return ExportedConversation(conversation, messages, parts)


def _parse_attachment(raw: Any, where: str) -> Part:
    if not isinstance(raw, dict):
        raise _InvalidExportError(f"{where} is not an object")
    kind = _get(raw, "kind", str, where)
    name = _get(raw, "name", str, where)
    mime = _get(raw, "mime", str, where)
    if kind == AttachmentKind.IMAGE:
        try:
            data = base64.b64decode(_get(raw, "data", str, where), validate=True)
        except (binascii.Error, ValueError):
            raise _InvalidExportError(f"{where}.data is not base64") from None
        width, height = _get(raw, "width", int, where), _get(raw, "height", int, where)
        if not mime.startswith("image/") or width <= 0 or height <= 0:
            raise _InvalidExportError(f"{where} is not a valid image")
        return ImagePart(name, mime, data, width, height)
    if kind == AttachmentKind.DOCUMENT:
        raw_cut = _get(raw, "cut", dict, where, None)
        cut = None
        if raw_cut is not None:
            cut = Cut(_get(raw_cut, "kept", int, f"{where}.cut"), _get(raw_cut, "total", int, f"{where}.cut"))
        notes = _get(raw, "notes", list, where, [])
        if not all(isinstance(note, str) for note in notes):
            raise _InvalidExportError(f"{where}.notes has the wrong type")
        text = _get(raw, "text", str, where)
        return DocumentPart(name, mime, text, _get(raw, "pages", int, where, None), cut, tuple(notes))
    raise _InvalidExportError(f"{where}.kind {kind!r} is unknown")


def _float_or_none(value: int | float | None) -> float | None:
    return None if value is None else float(value)


def _parse_message(raw: Any, where: str, now: datetime, attachments: Mapping[str, Part]) -> MessageRow:
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
    refs = []
    for i, raw_ref in enumerate(_get(raw, "attachments", list, where, []) if attachments else []):
        at = f"{where}.attachments[{i}]"
        if not isinstance(raw_ref, dict):
            raise _InvalidExportError(f"{at} is not an object")
        part = attachments.get(_get(raw_ref, "key", str, at))
        if part is None:
            raise _InvalidExportError(f"{at} names an attachment the file does not carry")
        refs.append(
            _ref(part, _get(raw_ref, "name", str, at, part.name), _get(raw_ref, "tokens", int, at, None))
        )
    if not attachments and _get(raw, "attachments", list, where, []):
        raise _InvalidExportError(f"{where}.attachments names attachments the file does not carry")
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
        attachments=tuple(refs),
    )


def _ref(part: Part, name: str, tokens: int | None) -> AttachmentRef:
    """The ref a stored copy of `part` would have (the key computed from the content)."""
    key = attachment_key(part)
    if isinstance(part, ImagePart):
        return AttachmentRef(
            key, AttachmentKind.IMAGE, name, part.mime, len(part.data), part.width, part.height, tokens=tokens
        )
    return AttachmentRef(
        key,
        AttachmentKind.DOCUMENT,
        name,
        part.mime,
        len(part.text),
        pages=part.pages,
        tokens=tokens,
        notes=part.notes,
        cut=part.cut,
    )


def import_json(
    history: HistoryStore, text: str | bytes, *, make_thumbnail: Callable[[ImagePart], bytes] | None = None
) -> int:
    """Adds the exported conversation to `history` as a new conversation; returns its id.
    `make_thumbnail` (attachments.images.make_thumbnail) previews the imported images; it runs
    here, so call this off the event loop when the file has many."""
    parsed = read_export(text)
    thumbnails: dict[str, bytes] = {}
    for key, part in parsed.parts.items():
        if make_thumbnail is not None and isinstance(part, ImagePart):
            try:
                thumbnails[key] = make_thumbnail(part)
            except Exception as exc:  # bytes Pillow cannot read: imported without a preview
                log.warning("No preview for imported image %r: %s", part.name, exc)
    return history.import_conversation(parsed.conversation, parsed.messages, parsed.parts, thumbnails)


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
.attachments { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 0.5rem; }
figure.attachment { margin: 0; }
figure.attachment img { max-width: 100%; height: auto; border-radius: 4px; }
figure.attachment figcaption, .attachment .facts { color: #6e6e73; font-size: 0.85em; }
details.attachment { border: 1px solid #d2d2d7; border-radius: 6px; padding: 0.25rem 0.5rem;
                     flex-basis: 100%; }
details.attachment summary { cursor: pointer; }
"""


def to_html(
    conversation: ConversationRow,
    messages: Sequence[MessageRow],
    render: Callable[[str], str] = escape_as_pre,
    *,
    attachment_part: PartLookup | None = None,
) -> str:
    """A standalone page. `render` turns message markdown into HTML and must escape any HTML in
    it; every other text (title, names, times, errors, the system prompt, attachments' names and
    text) is escaped here. Images are embedded as data: URLs (read with `attachment_part`)."""
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
        parts.append(_message_html(message, render, attachment_part))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _message_html(
    message: MessageRow, render: Callable[[str], str], attachment_part: PartLookup | None
) -> str:
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
    body.append(f'<div class="content">{render(message.content)}</div>')
    if message.attachments:
        body.append('<div class="attachments">')
        for ref in message.attachments:
            part = attachment_part(ref.key) if attachment_part is not None else None
            body.append(_attachment_html(ref, part))
        body.append("</div>")
    body.append("</article>")
    return "".join(body)


def _attachment_html(ref: AttachmentRef, part: Part | None) -> str:
    esc = html.escape
    name = esc(ref.name)
    if ref.is_image:
        if isinstance(part, ImagePart) and part.mime in _DATA_URL_IMAGES:
            url = f"data:{part.mime};base64,{base64.b64encode(part.data).decode('ascii')}"
            image = f'<img src="{url}" alt="{name}" width="{part.width}" height="{part.height}">'
        else:
            image = f"<span>[image: {name}]</span>"
        return f'<figure class="attachment image">{image}<figcaption>{name}</figcaption></figure>'
    facts = esc(" · ".join(_document_facts(ref)))
    summary = f'<summary>📎 <b>{name}</b> <span class="facts">{facts}</span></summary>'
    notes = "".join(f'<p class="facts">{esc(note)}</p>' for note in ref.notes)
    text = escape_as_pre(part.text) if isinstance(part, DocumentPart) else ""
    return f'<details class="attachment document">{summary}{notes}{text}</details>'
