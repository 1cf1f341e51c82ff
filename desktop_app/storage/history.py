"""Conversation history in one SQLite file: history that is never lost.

Every call is one short transaction on one connection, used from the thread that opened it.
A streaming answer is saved through `update_message` as it grows; a row still `streaming` when
the file is next opened was cut by a crash and becomes `interrupted` (`interrupted_on_open`).
Anything SQLite or the disk refuses becomes a `HistoryError` with one line for the user.

Attachments (images, documents' extracted text) live in the same file, stored once by content
(`attachment_key`, SHA-256) and linked to messages in order; the schema and why are in
migrations.py (`_V2`). `append_message(..., parts=...)` stores and links them in the message's
own transaction; deleting the last message that carries one removes it (a trigger). Reading a
conversation gives each message light `AttachmentRef`s (one extra indexed query per
conversation, nothing per message); the heavy content comes on request: `attachment_parts`
(a message's full parts, to build a request), `attachment_part` (one part, for the viewer) and
`thumbnail` (an image's small preview).

Thumbnails are made by the caller, not here: storage sits beside `desktop_app.attachments` (which
has Pillow) in the layers, so it cannot call it, and making one costs tens of milliseconds that
belong on the worker thread that prepared the file, not in a save on the event loop. Pass them
to `append_message`/`import_conversation` keyed by `attachment_key(part)`, or later with
`set_thumbnail`; an image stored without one has `thumbnail(key) is None`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from desktop_app.core.attachment_keys import attachment_key
from desktop_app.core.attachments import Cut, DocumentPart, ImagePart, Part
from desktop_app.core.errors import HistoryError
from desktop_app.core.history_types import (
    SNIPPET_MARK_END,
    SNIPPET_MARK_START,
    AttachmentKind,
    AttachmentRef,
    ConversationRow,
    ConversationSettings,
    MessageRow,
    SearchHit,
    TokenUsage,
)
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.storage.checkpoints import CHECKPOINT_THRESHOLD, BackgroundCheckpointer
from desktop_app.storage.migrations import backup_paths, open_database
from desktop_app.storage.migrations import translated as _translated

TITLE_LENGTH = 60
SNIPPET_TOKENS = 12
# Search ranks at most this many of the newest matches: ranking every one of the 25,000 messages
# in 100,000 that contain a common word ("server") took ~40 ms, the newest 2,000 take ~5 ms.
SEARCH_CANDIDATES = 2_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_CONVERSATION_COLUMNS = (
    "id, title, created_at, updated_at, system_prompt, provider, model, temperature, max_tokens"
)
_MESSAGE_COLUMNS = (
    "id, conversation_id, role, content, status, error, provider, model, created_at, updated_at,"
    " reasoning, rendered_html, rendered_key, prompt_tokens, completion_tokens"
)

# An attachment's light columns (no blobs, no text), for `AttachmentRef`; `ma` is the link.
_REF_COLUMNS = (
    "ma.message_id, a.key, a.kind, ma.name, a.mime, a.size, a.width, a.height, a.pages, a.tokens,"
    " a.notes, a.cut_kept, a.cut_total"
)
# Everything a `Part` needs, the content last (the name comes first, from the link or the row).
_PART_COLUMNS = "a.kind, a.mime, a.width, a.height, a.pages, a.cut_kept, a.cut_total, a.notes, a.text, a.data"
_NO_NOTES = "[]"

# Built from the constants above only, never from input.
_SELECT_CONVERSATIONS = f"SELECT {_CONVERSATION_COLUMNS} FROM conversations"  # noqa: S608
_SELECT_MESSAGES = f"SELECT {_MESSAGE_COLUMNS} FROM messages"  # noqa: S608
_INSERT_CONVERSATION = (
    f"INSERT INTO conversations ({_CONVERSATION_COLUMNS.removeprefix('id, ')})"  # noqa: S608
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_MESSAGE = (
    f"INSERT INTO messages ({_MESSAGE_COLUMNS.removeprefix('id, ')})"  # noqa: S608
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_REFS = (
    f"SELECT {_REF_COLUMNS} FROM message_attachments AS ma"  # noqa: S608
    " JOIN attachments AS a ON a.id = ma.attachment_id"
)
_SELECT_MESSAGE_PARTS = (
    f"SELECT ma.name, {_PART_COLUMNS} FROM message_attachments AS ma"  # noqa: S608
    " JOIN attachments AS a ON a.id = ma.attachment_id WHERE ma.message_id = ? ORDER BY ma.position"
)
_SELECT_PART = f"SELECT a.name, {_PART_COLUMNS} FROM attachments AS a WHERE a.key = ?"  # noqa: S608
_INSERT_ATTACHMENT = (
    "INSERT INTO attachments (key, kind, mime, name, size, width, height, pages, cut_kept, cut_total,"
    " notes, tokens, created_at, thumbnail, text, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def title_from(text: str, limit: int = TITLE_LENGTH) -> str:
    """A conversation title from the first user message: its first line of prose, one line,
    cut at a word boundary near `limit` characters."""
    lines = (line.strip() for line in text.splitlines())
    first = next((line for line in lines if line and not line.startswith("```")), "")
    first = " ".join(first.lstrip("#> ").split())
    if len(first) <= limit:
        return first
    cut = first[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def fts_query(text: str) -> str | None:
    """The user's words as an FTS5 query that cannot be a syntax error: each word becomes a quoted
    phrase (so `"`, `-`, `AND`, `(`, `:` are just text) and all must match. A trailing `*` keeps
    its meaning, prefix search. None when nothing searchable is left."""
    phrases: list[str] = []
    for word in text.split():
        core = word.rstrip("*")
        if not any(ch.isalnum() for ch in core):
            continue
        phrase = '"' + core.replace('"', '""') + '"'
        phrases.append(phrase + " *" if core != word else phrase)
    return " ".join(phrases) or None


def _conversation(row: Sequence[Any]) -> ConversationRow:
    return ConversationRow(
        id=row[0],
        title=row[1],
        created_at=_datetime(row[2]),
        updated_at=_datetime(row[3]),
        settings=ConversationSettings(
            system_prompt=row[4], provider=row[5], model=row[6], temperature=row[7], max_tokens=row[8]
        ),
    )


def _message(row: Sequence[Any], attachments: tuple[AttachmentRef, ...] = ()) -> MessageRow:
    usage = None if row[13] is None and row[14] is None else TokenUsage(row[13], row[14])
    return MessageRow(
        id=row[0],
        conversation_id=row[1],
        role=Role(row[2]),
        content=row[3],
        status=MessageStatus(row[4]),
        error=row[5],
        provider=row[6] or "",
        model=row[7] or "",
        created_at=_datetime(row[8]),
        updated_at=_datetime(row[9]),
        reasoning=row[10],
        rendered_html=row[11],
        rendered_key=row[12],
        usage=usage,
        attachments=attachments,
    )


def _notes(raw: str) -> tuple[str, ...]:
    if raw == _NO_NOTES:
        return ()
    notes = json.loads(raw)
    return tuple(str(note) for note in notes)


def _cut(kept: int | None, total: int | None) -> Cut | None:
    return None if kept is None or total is None else Cut(kept, total)


def _ref(row: Sequence[Any]) -> AttachmentRef:
    return AttachmentRef(
        key=row[1],
        kind=AttachmentKind(row[2]),
        name=row[3],
        mime=row[4],
        size=row[5],
        width=row[6],
        height=row[7],
        pages=row[8],
        tokens=row[9],
        notes=_notes(row[10]),
        cut=_cut(row[11], row[12]),
    )


def _part(row: Sequence[Any]) -> Part:
    """(name, *_PART_COLUMNS) → the part."""
    name, kind, mime, width, height, pages, kept, total, notes, text, data = row
    if kind == AttachmentKind.IMAGE:
        return ImagePart(name, mime, bytes(data), width, height)
    return DocumentPart(name, mime, text, pages, _cut(kept, total), _notes(notes))


class SqliteHistory:
    """`HistoryStore` over one SQLite file. Open it once per process; close it at shutdown."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        checkpoint_threshold: int = CHECKPOINT_THRESHOLD,
    ) -> None:
        self._path = Path(path)
        self._clock = clock
        conn = open_database(self._path)
        try:
            # Checkpoints run on a thread of their own (storage/checkpoints.py), not in a commit
            # on the caller's thread (the event loop).
            with _translated("open"):
                conn.execute("PRAGMA wal_autocheckpoint = 0")
            # Any answer still 'streaming' was being written when the last run died.
            with _translated("open"):
                conn.execute("BEGIN IMMEDIATE")
                # Literal values, so the partial index on streaming rows applies.
                cursor = conn.execute("UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'")
                conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        self._interrupted = cursor.rowcount
        self._conn: sqlite3.Connection | None = conn
        self.checkpointer = BackgroundCheckpointer(self._path, threshold=checkpoint_threshold)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def interrupted_on_open(self) -> int:
        """How many answers a crash had cut off; they are now `interrupted`."""
        return self._interrupted

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            self.checkpointer.close()  # first: the store's connection is then the last one,
            with _translated("close"):  # and closing it checkpoints what is left
                conn.close()

    def __enter__(self) -> SqliteHistory:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise HistoryError("Could not use history: it is already closed")
        return self._conn

    @contextmanager
    def _write(self, action: str = "save") -> Iterator[sqlite3.Connection]:
        """One transaction. BEGIN IMMEDIATE takes the write lock up front, so a busy database
        waits `busy_timeout` instead of failing on a read-to-write lock upgrade."""
        conn = self._live()
        with _translated(action):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
                self.checkpointer.poke()
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):  # the original error is the one to report
                        conn.execute("ROLLBACK")
                raise

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with _translated("read"):
            return self._live().execute(sql, params).fetchall()

    def _now(self) -> int:
        return round(self._clock() * 1000)

    # -- conversations -----------------------------------------------------------------------

    def new_conversation(self, title: str = "", *, system_prompt: str = "") -> int:
        now = self._now()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations (title, created_at, updated_at, system_prompt)"
                " VALUES (?, ?, ?, ?)",
                (title, now, now, system_prompt),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        with self._write() as conn:
            cursor = conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))
            _require(cursor.rowcount, "conversation", conversation_id)

    def update_conversation_settings(self, conversation_id: int, settings: ConversationSettings) -> None:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE conversations SET system_prompt = ?, provider = ?, model = ?, temperature = ?,"
                " max_tokens = ? WHERE id = ?",
                (*_settings_values(settings), conversation_id),
            )
            _require(cursor.rowcount, "conversation", conversation_id)

    def delete_conversation(self, conversation_id: int) -> None:
        """Deletes the conversation and its messages (and their search entries); no-op if gone."""
        with self._write("delete") as conn:
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def delete_all(self) -> None:
        """ "Delete all data": every conversation (and so every attachment), then compact the file
        and empty the -wal file, so the deleted text does not linger in free pages or old WAL
        frames; the copies taken before schema updates are removed too."""
        with self._write("delete") as conn:
            conn.execute("DELETE FROM conversations")
        with _translated("delete"):
            conn = self._live()
            conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
            conn.execute("INSERT INTO attachments_fts (attachments_fts) VALUES ('optimize')")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # The copies taken before schema updates hold the same history: they go too.
        for backup in backup_paths(self._path):
            try:
                backup.unlink(missing_ok=True)
            except OSError as exc:
                raise HistoryError(f"Could not delete history: cannot remove {backup.name}") from exc

    def list_conversations(self, limit: int | None = None) -> list[ConversationRow]:
        """Most recent activity first."""
        rows = self._read(
            _SELECT_CONVERSATIONS + " ORDER BY updated_at DESC, id DESC LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [_conversation(row) for row in rows]

    def get_conversation(self, conversation_id: int) -> ConversationRow | None:
        rows = self._read(_SELECT_CONVERSATIONS + " WHERE id = ?", (conversation_id,))
        return _conversation(rows[0]) if rows else None

    # -- messages ----------------------------------------------------------------------------

    def messages(self, conversation_id: int) -> list[MessageRow]:
        """The conversation's messages in the order they were added."""
        rows = self._read(
            _SELECT_MESSAGES + " WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        # One probe of message_attachments_by_conversation; empty for most conversations.
        refs = self._read(
            _SELECT_REFS + " WHERE ma.conversation_id = ? ORDER BY ma.message_id, ma.position",
            (conversation_id,),
        )
        return _messages(rows, refs)

    def message(self, message_id: int) -> MessageRow | None:
        rows = self._read(_SELECT_MESSAGES + " WHERE id = ?", (message_id,))
        if not rows:
            return None
        refs = self._read(_SELECT_REFS + " WHERE ma.message_id = ? ORDER BY ma.position", (message_id,))
        return _messages(rows, refs)[0]

    # -- attachments -------------------------------------------------------------------------

    def attachment_parts(self, message_id: int) -> tuple[Part, ...]:
        """The message's attachments with their content (image bytes, document text), in order,
        each under the name it was attached with: what a request carries. () if none or gone."""
        rows = self._read(_SELECT_MESSAGE_PARTS, (message_id,))
        return tuple(_part(row) for row in rows)

    def attachment_part(self, key: str) -> Part | None:
        """One stored attachment with its content (the viewer: the full image, the extracted
        text), under the name it was first attached with; None if no message keeps it."""
        rows = self._read(_SELECT_PART, (key,))
        return _part(rows[0]) if rows else None

    def thumbnail(self, key: str) -> bytes | None:
        """An image's small preview (JPEG, or PNG when it has transparency) as given when it was
        saved; None for a document, an image saved without one, or a key no message keeps."""
        rows = self._read("SELECT thumbnail FROM attachments WHERE key = ?", (key,))
        return None if not rows or rows[0][0] is None else bytes(rows[0][0])

    def set_thumbnail(self, key: str, thumbnail: bytes) -> bool:
        """Stores (or replaces) an image's preview; False when no message keeps that key any more
        (deleted meanwhile) or it is a document."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE attachments SET thumbnail = ? WHERE key = ? AND kind = 'image'", (thumbnail, key)
            )
        return cursor.rowcount > 0

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
        """Adds a message; the first user message names an untitled conversation.

        `parts` are stored (once per content) and linked to the message in the same
        transaction. `thumbnails` and `tokens` (an image's preview, a part's token estimate)
        are keyed by `attachment_key(part)`; a missing one is stored as NULL."""
        now = self._now()
        with self._write() as conn:
            found = conn.execute(
                "SELECT title FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            _require(0 if found is None else 1, "conversation", conversation_id)
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, role, content, status, provider, model,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    role.value,
                    content,
                    status.value,
                    provider or None,
                    model or None,
                    now,
                    now,
                ),
            )
            if parts:
                assert cursor.lastrowid is not None
                links = [(attachment_key(p), p.name, p) for p in parts]
                _link(conn, conversation_id, cursor.lastrowid, links, thumbnails or {}, tokens or {}, now)
            title = found[0]
            if not title and role is Role.USER:
                title = title_from(content)
            conn.execute(
                "UPDATE conversations SET updated_at = ?, title = ? WHERE id = ?",
                (now, title, conversation_id),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update_message(
        self, message_id: int, content: str, *, status: MessageStatus | None = None, error: str | None = None
    ) -> None:
        """Saves a message's text (the growing answer: at least every 500 ms), and optionally its
        status and error. A finishing status indexes it for search and counts as activity."""
        now = self._now()
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE messages SET"
                " rendered_html = CASE WHEN content = ?1 THEN rendered_html END,"
                " content = ?1, status = COALESCE(?2, status), error = COALESCE(?3, error),"
                " updated_at = ?4 WHERE id = ?5",
                (content, None if status is None else status.value, error, now, message_id),
            )
            _require(cursor.rowcount, "message", message_id)
            if status is not None and status is not MessageStatus.STREAMING:
                conn.execute(
                    "UPDATE conversations SET updated_at = ?"
                    " WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)",
                    (now, message_id),
                )

    def set_reasoning(self, message_id: int, reasoning: str) -> None:
        self._set(message_id, "UPDATE messages SET reasoning = ? WHERE id = ?", (reasoning,))

    def set_usage(self, message_id: int, usage: TokenUsage) -> None:
        self._set(
            message_id,
            "UPDATE messages SET prompt_tokens = ?, completion_tokens = ? WHERE id = ?",
            (usage.prompt_tokens, usage.completion_tokens),
        )

    def set_rendered_html(self, message_id: int, html: str, *, renderer_key: str = "") -> None:
        """Caches the HTML of a finished message; `update_message` with new text drops it."""
        self._set(
            message_id,
            "UPDATE messages SET rendered_html = ?, rendered_key = ? WHERE id = ?",
            (html, renderer_key),
        )

    def _set(self, message_id: int, sql: str, values: tuple[object, ...]) -> None:
        with self._write() as conn:
            cursor = conn.execute(sql, (*values, message_id))
            _require(cursor.rowcount, "message", message_id)

    def delete_messages(self, message_ids: Sequence[int]) -> None:
        """Deletes these messages (ids that are already gone are ignored)."""
        with self._write("delete") as conn:
            conn.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in message_ids])

    def delete_messages_after(self, message_id: int) -> int:
        """Deletes the messages that follow `message_id` in its conversation (edit-and-resend,
        regenerate); returns how many."""
        with self._write("delete") as conn:
            cursor = conn.execute(
                "DELETE FROM messages WHERE id > ?1"
                " AND conversation_id = (SELECT conversation_id FROM messages WHERE id = ?1)",
                (message_id,),
            )
        return cursor.rowcount

    # -- search ------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Finished messages containing every word of `query`, best matches first (for a word
        found in thousands of messages: the best of its `SEARCH_CANDIDATES` newest matches).

        A document whose text has every word is a hit on each message it is attached to (with
        `attachment_name` set, the snippet from the document); a message found both ways is
        listed once, where it ranks best."""
        match = fts_query(query)
        if match is None or limit <= 0:
            return []
        # The id of the oldest candidate: FTS5 walks its matches newest first without ranking.
        oldest = self._read(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            (match, max(limit, SEARCH_CANDIDATES) - 1),
        )
        first_id = oldest[0][0] if oldest else 0
        rows = self._read(
            "SELECT m.conversation_id, m.id, c.title, m.role,"
            " snippet(messages_fts, 0, ?, ?, '…', ?), NULL, rank"
            " FROM messages_fts JOIN messages AS m ON m.id = messages_fts.rowid"
            " JOIN conversations AS c ON c.id = m.conversation_id"
            " WHERE messages_fts MATCH ? AND messages_fts.rowid >= ? ORDER BY rank, m.id DESC LIMIT ?",
            (SNIPPET_MARK_START, SNIPPET_MARK_END, SNIPPET_TOKENS, match, first_id, limit),
        )
        # Documents are few next to messages; bm25 ranks from both indexes are comparable
        # enough to interleave (same tokenizer, same scoring).
        in_documents = self._read(
            "SELECT m.conversation_id, m.id, c.title, m.role,"
            " snippet(attachments_fts, 0, ?, ?, '…', ?), ma.name, rank"
            " FROM attachments_fts JOIN message_attachments AS ma ON ma.attachment_id = attachments_fts.rowid"
            " JOIN messages AS m ON m.id = ma.message_id JOIN conversations AS c ON c.id = m.conversation_id"
            " WHERE attachments_fts MATCH ? ORDER BY rank, m.id DESC LIMIT ?",
            (SNIPPET_MARK_START, SNIPPET_MARK_END, SNIPPET_TOKENS, match, limit),
        )
        if in_documents:
            rows = sorted(rows + in_documents, key=lambda row: (row[6], -row[1]))
        hits: list[SearchHit] = []
        seen: set[int] = set()
        for row in rows:
            if row[1] in seen:
                continue
            seen.add(row[1])
            hits.append(SearchHit(row[0], row[1], row[2], Role(row[3]), row[4], row[5]))
            if len(hits) == limit:
                break
        return hits

    # -- import ------------------------------------------------------------------------------

    def import_conversation(
        self,
        conversation: ConversationRow,
        messages: Sequence[MessageRow],
        parts: Mapping[str, Part] | None = None,
        thumbnails: Mapping[str, bytes] | None = None,
    ) -> int:
        """Adds a conversation with its messages as given (timestamps, statuses), all or nothing.
        The rows' ids are ignored; a message still `streaming` is stored as `interrupted`.

        Each message's `attachments` are linked by key, under the ref's name and with its token
        estimate; the content comes from `parts` (keyed by `attachment_key`), or from this
        store when it already keeps that key. A ref found in neither is a `HistoryError` and
        nothing is added."""
        created, updated = _ms(conversation.created_at), _ms(conversation.updated_at)
        now = self._now()
        with self._write() as conn:
            values = (conversation.title, created, updated, *_settings_values(conversation.settings))
            new_id = conn.execute(_INSERT_CONVERSATION, values).lastrowid
            assert new_id is not None
            if not any(m.attachments for m in messages):
                conn.executemany(_INSERT_MESSAGE, [_message_values(new_id, m) for m in messages])
                return new_id
            given = parts or {}
            for m in messages:
                message_id = conn.execute(_INSERT_MESSAGE, _message_values(new_id, m)).lastrowid
                if not m.attachments:
                    continue
                assert message_id is not None
                links = [(ref.key, ref.name, given.get(ref.key)) for ref in m.attachments]
                tokens = {ref.key: ref.tokens for ref in m.attachments if ref.tokens is not None}
                _link(conn, new_id, message_id, links, thumbnails or {}, tokens, now)
        return new_id


def _link(
    conn: sqlite3.Connection,
    conversation_id: int,
    message_id: int,
    links: Sequence[tuple[str, str, Part | None]],
    thumbnails: Mapping[str, bytes],
    tokens: Mapping[str, int],
    now: int,
) -> None:
    """Links (key, name as attached, part) to the message in order, storing each content the
    store does not keep yet (`part` may be None only for a key it keeps). Inside a transaction."""
    for position, (key, name, part) in enumerate(links):
        found = conn.execute("SELECT id FROM attachments WHERE key = ?", (key,)).fetchone()
        if found is not None:
            attachment_id = found[0]
            # Kept content stays as it is; a preview or estimate it lacked is filled in.
            if key in thumbnails or key in tokens:
                conn.execute(
                    "UPDATE attachments SET thumbnail = COALESCE(thumbnail, ?), tokens = COALESCE(tokens, ?)"
                    " WHERE id = ?",
                    (thumbnails.get(key), tokens.get(key), attachment_id),
                )
        elif part is None:
            raise HistoryError(f"Could not save history: the content of attachment {name!r} is missing")
        else:
            attachment_id = conn.execute(
                _INSERT_ATTACHMENT, _attachment_values(key, part, thumbnails.get(key), tokens.get(key), now)
            ).lastrowid
        conn.execute(
            "INSERT INTO message_attachments (message_id, position, attachment_id, conversation_id, name)"
            " VALUES (?, ?, ?, ?, ?)",
            (message_id, position, attachment_id, conversation_id, name),
        )


def _attachment_values(
    key: str, part: Part, thumbnail: bytes | None, tokens: int | None, now: int
) -> tuple[object, ...]:
    if isinstance(part, ImagePart):
        size = (part.width, part.height)
        image = (key, AttachmentKind.IMAGE.value, part.mime, part.name, len(part.data), *size)
        return (*image, None, None, None, _NO_NOTES, tokens, now, thumbnail, None, part.data)
    cut = part.cut
    kept, total = (None, None) if cut is None else (cut.kept, cut.total)
    notes = json.dumps(list(part.notes), ensure_ascii=False) if part.notes else _NO_NOTES
    document = (key, AttachmentKind.DOCUMENT.value, part.mime, part.name, len(part.text), None, None)
    return (*document, part.pages, kept, total, notes, tokens, now, None, part.text, None)


def _settings_values(s: ConversationSettings) -> tuple[object, ...]:
    return (s.system_prompt, s.provider, s.model, s.temperature, s.max_tokens)


def _message_values(conversation_id: int | None, m: MessageRow) -> tuple[object, ...]:
    status = MessageStatus.INTERRUPTED if m.status is MessageStatus.STREAMING else m.status
    usage = m.usage or TokenUsage()
    when = (_ms(m.created_at), _ms(m.updated_at))
    provider, model = m.provider or None, m.model or None
    # rendered_html and its key stay empty: the importing app renders with its own pipeline.
    head = (conversation_id, m.role.value, m.content, status.value, m.error, provider, model)
    return (*head, *when, m.reasoning, None, "", usage.prompt_tokens, usage.completion_tokens)


def _require(rowcount: int, what: str, row_id: int) -> None:
    if rowcount == 0:
        raise HistoryError(f"Could not save history: {what} {row_id} no longer exists")


def _messages(rows: list[Any], refs: Sequence[Any] = ()) -> list[MessageRow]:
    try:
        if not refs:
            return [_message(row) for row in rows]
        by_message: dict[int, list[AttachmentRef]] = {}
        for ref in refs:
            by_message.setdefault(ref[0], []).append(_ref(ref))
        return [_message(row, tuple(by_message.get(row[0], ()))) for row in rows]
    except ValueError as exc:  # a role, status or kind this version does not know
        raise HistoryError(f"Could not read history: unexpected value in the file ({exc})") from exc
