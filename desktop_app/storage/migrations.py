"""Opening a history file: connection settings, sqlite3 errors as one-line `HistoryError`s, and
the schema as numbered migration steps.

`PRAGMA user_version` holds how many steps a file has had. Opening applies the missing ones in
order, each step and its version bump in one transaction, so a crash mid-migration leaves the
file at the previous version rather than half-changed. A file from a newer Parley (a higher
version than this code knows) is refused with a clear error and left untouched.

Before a file that already holds history is migrated, it is copied whole to
`<file>.before-v<N>.bak` beside it (N: the version it is brought to) with SQLite's online backup
API: a consistent snapshot that includes what is still in the -wal file, taken while this
connection holds the write lock, so nothing changes between the copy and the migration. If the
copy cannot be made (disk full), nothing is migrated. If a step then fails, its transaction rolls
back and the file stays as it was; the error says so and names the copy. The copy is kept (the
user's way back if the new version misbehaves) until "Delete all data" removes it with the rest.
A brand-new file (version 0) has nothing to lose and is not copied.

Never edit a released step; append a new one.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from desktop_app.core.errors import HistoryError, shorten

# Another Parley process (a second window, `parley ask`) may hold the write lock for a moment;
# wait this long for it rather than failing at once. Transactions here last milliseconds.
BUSY_TIMEOUT_MS = 3000
# After a checkpoint, cut the -wal file back to this size instead of leaving it at its peak.
WAL_SIZE_LIMIT = 4 * 1024 * 1024

# Identifies a Parley history file (ASCII "PRLY") in the SQLite header, so opening some other
# SQLite database by mistake is refused instead of being "migrated".
APPLICATION_ID = 0x50524C59

# Full-text search: an *external content* FTS5 table over `messages.content`. The text is stored
# once (answers reach hundreds of KB), and snippet() still works because FTS5 reads the text
# back from `messages` by rowid — which a contentless table cannot do. The price is that the
# index must be told the exact old text when an entry goes away; the triggers below do that
# from `old.*`, so every path (updates, deletes, ON DELETE CASCADE) keeps the index exact.
#
# A message is in the index exactly when `status <> 'streaming' AND content <> ''`. A streaming
# answer is saved every 500 ms; indexing each partial save would churn the index, so it enters
# once, when it completes, is stopped, fails or is found interrupted — and only if it has text.
# AUTOINCREMENT: an id is never reused after a delete (regenerate deletes the newest answer; the
# view must not confuse its replacement with it).
_V1 = (
    """CREATE TABLE conversations (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        title         TEXT NOT NULL DEFAULT '',
        created_at    INTEGER NOT NULL,          -- milliseconds since the epoch, UTC
        updated_at    INTEGER NOT NULL,          -- last activity
        system_prompt TEXT NOT NULL DEFAULT '',
        provider      TEXT,                      -- NULL: the application's default
        model         TEXT,
        temperature   REAL,
        max_tokens    INTEGER
    )""",
    "CREATE INDEX conversations_by_activity ON conversations (updated_at DESC, id DESC)",
    """CREATE TABLE messages (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id   INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role              TEXT NOT NULL,
        content           TEXT NOT NULL DEFAULT '',
        status            TEXT NOT NULL,
        error             TEXT,
        provider          TEXT,
        model             TEXT,
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL,
        reasoning         TEXT NOT NULL DEFAULT '',
        rendered_html     TEXT,                  -- cache; NULL when missing or stale
        rendered_key      TEXT NOT NULL DEFAULT '',
        prompt_tokens     INTEGER,
        completion_tokens INTEGER
    )""",
    "CREATE INDEX messages_by_conversation ON messages (conversation_id, id)",
    # Start-up recovery looks for rows still 'streaming'; this keeps that lookup tiny.
    "CREATE INDEX messages_streaming ON messages (id) WHERE status = 'streaming'",
    """CREATE VIRTUAL TABLE messages_fts USING fts5 (
        content, content = 'messages', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
        WHEN new.status <> 'streaming' AND new.content <> ''
        BEGIN INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content); END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.status <> 'streaming' AND old.content <> ''
        BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
        END""",
    # One trigger, statements in this order: the old entry must leave the index before the new
    # one enters (two triggers on one event fire in an unspecified order, and FTS5 corrupts its
    # index when an entry is added for a rowid it still holds).
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages
        WHEN (old.status <> 'streaming' AND old.content <> '')
          OR (new.status <> 'streaming' AND new.content <> '')
        BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
                SELECT 'delete', old.id, old.content WHERE old.status <> 'streaming' AND old.content <> '';
            INSERT INTO messages_fts (rowid, content)
                SELECT new.id, new.content WHERE new.status <> 'streaming' AND new.content <> '';
        END""",
)

# Attachments (images and documents' extracted text), stored once by content and referenced by
# messages. They live in the database itself, not in files beside it: one file is one atomic
# unit for the pre-migration backup, "Delete all data", copying to another computer and a later
# sync, and a message with its attachments is saved in one transaction (no orphan files after a
# crash, no message pointing at a file that was never written). What is stored is small: images
# were downscaled to at most 2,048 px and re-encoded when they were attached (a few hundred KB),
# documents are text.
#
# `attachments`: one row per distinct content, `key` = attachment_key(part) (SHA-256, see
# core/attachment_keys.py). The integer id is the FTS rowid and what links point at (8 bytes, not
# a 64-character key, per link). The heavy columns come last: SQLite keeps the start of a big row
# in the table's page and the rest in overflow pages, so reading the metadata columns for a chip
# (`HistoryStore.messages`) never walks through an image's bytes.
#
# `message_attachments`: a message's attachments in order, with the name as attached (one image
# content can be attached under two names). `conversation_id` is copied from the message (a
# message never moves) so opening a conversation finds all its attachments with one probe of
# one index — a conversation without any costs one empty index lookup, not one per message.
#
# Removal: deleting a message cascades to its links (a conversation's delete cascades to its
# messages first), and the trigger below removes an attachment when its last link goes, so every
# path (delete_messages, delete_messages_after, delete_conversation, delete_all) frees it.
#
# Search: documents' text is indexed the same way messages are (external content FTS5, same
# tokenizer); `SqliteHistory.search` maps a hit to every message the document is attached to.
_V2 = (
    """CREATE TABLE attachments (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        key        TEXT NOT NULL UNIQUE,          -- SHA-256 of the content, hex
        kind       TEXT NOT NULL CHECK (kind IN ('image', 'document')),
        mime       TEXT NOT NULL,
        name       TEXT NOT NULL,                 -- the name it was first attached under
        size       INTEGER NOT NULL,              -- image bytes; document characters
        width      INTEGER,                       -- images
        height     INTEGER,
        pages      INTEGER,                       -- paged documents
        cut_kept   INTEGER,                       -- documents cut to fit: kept of total characters
        cut_total  INTEGER,
        notes      TEXT NOT NULL DEFAULT '[]',    -- documents: JSON array of the notes shown
        tokens     INTEGER,                       -- the estimate shown when attached
        created_at INTEGER NOT NULL,
        thumbnail  BLOB,                          -- images: small JPEG/PNG; NULL until given
        text       TEXT,                          -- documents: the extracted text
        data       BLOB                           -- images: the prepared image
    )""",
    """CREATE TABLE message_attachments (
        message_id      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        position        INTEGER NOT NULL,
        attachment_id   INTEGER NOT NULL REFERENCES attachments (id),
        conversation_id INTEGER NOT NULL,
        name            TEXT NOT NULL,            -- as attached to this message
        PRIMARY KEY (message_id, position)
    ) WITHOUT ROWID""",
    "CREATE INDEX message_attachments_by_conversation"
    " ON message_attachments (conversation_id, message_id, position)",
    "CREATE INDEX message_attachments_by_attachment ON message_attachments (attachment_id)",
    """CREATE TRIGGER attachments_unreferenced AFTER DELETE ON message_attachments
        WHEN NOT EXISTS (SELECT 1 FROM message_attachments WHERE attachment_id = old.attachment_id)
        BEGIN DELETE FROM attachments WHERE id = old.attachment_id; END""",
    """CREATE VIRTUAL TABLE attachments_fts USING fts5 (
        text, content = 'attachments', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER attachments_fts_insert AFTER INSERT ON attachments
        WHEN new.text IS NOT NULL AND new.text <> ''
        BEGIN INSERT INTO attachments_fts (rowid, text) VALUES (new.id, new.text); END""",
    """CREATE TRIGGER attachments_fts_delete AFTER DELETE ON attachments
        WHEN old.text IS NOT NULL AND old.text <> ''
        BEGIN
            INSERT INTO attachments_fts (attachments_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END""",
    # The text of a key never changes (the key is its hash); this keeps the index exact anyway.
    """CREATE TRIGGER attachments_fts_update AFTER UPDATE OF text ON attachments
        BEGIN
            INSERT INTO attachments_fts (attachments_fts, rowid, text)
                SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL AND old.text <> '';
            INSERT INTO attachments_fts (rowid, text)
                SELECT new.id, new.text WHERE new.text IS NOT NULL AND new.text <> '';
        END""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


def _pragma_int(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute(f"PRAGMA {name}").fetchone()
    return int(row[0])


def check_file(conn: sqlite3.Connection) -> int:
    """Read-only check that `conn` is a Parley history this code can open; returns its version.

    Runs before anything writes (even the switch to WAL), so a newer or foreign file is left
    exactly as it was. Raises `HistoryError`; a file that is not SQLite raises sqlite3's
    DatabaseError (SQLITE_NOTADB) here, on the first read.
    """
    version = _pragma_int(conn, "user_version")
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"Could not open history: it was saved by a newer Parley (schema {version}, "
            f"this version knows {SCHEMA_VERSION}); update Parley"
        )
    app_id = _pragma_int(conn, "application_id")
    if app_id == APPLICATION_ID:
        return version
    has_tables = conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
    if app_id != 0 or version != 0 or has_tables:
        raise HistoryError("Could not open history: the file is another program's SQLite database")
    return version


def backup_path(path: Path, version: int) -> Path:
    """Where the copy taken before migrating `path` to `version` goes."""
    return path.with_name(f"{path.name}.before-v{version}.bak")


def backup_paths(path: Path) -> list[Path]:
    """Every pre-migration copy of `path` that exists."""
    return sorted(path.parent.glob(f"{_glob_escape(path.name)}.before-v*.bak"))


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _back_up(path: Path, target: Path) -> None:
    """Copies the database at `path` to `target` (written beside it, then renamed into place, so
    a half-written copy never carries the final name).

    Called while the migrating connection holds the write lock: the copy is read through a
    second connection (WAL lets it read beside that lock; the locking connection's own backup
    would wait for its own lock), and no one can commit between the copy and the migration."""
    partial = target.with_name(target.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        source = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            copy = sqlite3.connect(partial, isolation_level=None)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        with suppress(OSError):
            partial.unlink(missing_ok=True)
        reason = _reason(exc) if isinstance(exc, sqlite3.Error) else shorten(exc.strerror or str(exc), 120)
        raise HistoryError(
            f"Could not open history: could not save a copy before updating it ({reason});"
            " nothing was changed"
        ) from exc


def migrate(conn: sqlite3.Connection, path: Path | None = None) -> int:
    """Bring the schema up to `SCHEMA_VERSION`; returns how many steps ran.

    `conn` must be in autocommit mode (isolation_level=None): the steps manage their own
    transactions. With `path` (the file behind `conn`), a file that already has a schema is
    backed up before the first step (module docstring). Raises `HistoryError` for a newer or
    foreign file, a failed backup or a failed step; other sqlite3 errors propagate.
    """
    applied = 0
    backup: Path | None = None
    started_at: int | None = None  # the version the file had: 0 is a new file, nothing to copy
    while True:  # each pass applies one step (the version grows) or returns
        # BEGIN IMMEDIATE takes the write lock first, then re-reads the version, so two Parley
        # processes opening a new file at once cannot both run the same step.
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = check_file(conn)
            if version == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return applied
            if started_at is None:
                started_at = version
            if started_at > 0 and path is not None and backup is None:
                backup = backup_path(path, SCHEMA_VERSION)
                _back_up(path, backup)  # under the write lock: the copy is what gets migrated
            try:
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
            except sqlite3.Error as exc:
                kept = f"; a copy is in {backup.name}" if backup is not None else ""
                raise HistoryError(
                    f"Could not open history: updating it to schema {version + 1} failed"
                    f" ({_reason(exc)}); the file is unchanged{kept}"
                ) from exc
            if version == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            # PRAGMA takes no bound parameters; the value is our own integer.
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
            applied += 1
        except BaseException:
            if conn.in_transaction:
                with suppress(sqlite3.Error):  # the original error is the one to report
                    conn.execute("ROLLBACK")
            raise


def open_database(path: Path) -> sqlite3.Connection:
    """A connection to the history file at `path`, configured and migrated, in autocommit mode
    (callers run their own transactions). Every failure is a `HistoryError`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryError(f"Could not open history: cannot create the folder {path.parent}") from exc
    if path.is_dir():
        raise HistoryError(f"Could not open history: {path} is a folder")
    with translated("open"):
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        with translated("open"):
            _configure(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    check_file(conn)  # before anything writes: a foreign or newer file stays untouched
    # WAL: readers never block the writer, and a commit appends to the -wal file instead of
    # rewriting pages in place. synchronous=NORMAL fsyncs only at checkpoints, not at every
    # commit: a committed transaction survives the app crashing or being killed (kill -9),
    # because its data is already in the OS page cache; only an OS crash or power loss can take
    # the last few commits, and the database stays consistent even then. FULL would add an
    # fsync to every streaming save (each 500 ms) for little gain on a desktop.
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    migrate(conn, path)


_REASONS = {
    sqlite3.SQLITE_FULL: "disk full (no space left on the device)",
    sqlite3.SQLITE_READONLY: "the history file is read-only",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_CORRUPT: "the history file is damaged (corrupt database)",
    sqlite3.SQLITE_NOTADB: "the file is not a SQLite database",
    sqlite3.SQLITE_CANTOPEN: "the file cannot be opened",
    sqlite3.SQLITE_BUSY: "another program keeps the history locked",
    sqlite3.SQLITE_LOCKED: "another program keeps the history locked",
    sqlite3.SQLITE_IOERR: "disk input/output error",
}


def describe(exc: sqlite3.Error, action: str) -> HistoryError:
    """One line for the user from a sqlite3 error: "Could not save history: disk full (…)"."""
    return HistoryError(f"Could not {action} history: {_reason(exc)}")


def _reason(exc: sqlite3.Error) -> str:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised by the sqlite3 module itself, e.g. use after close
        return shorten(str(exc), 120)
    # Extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED …) keep the primary code in
    # their low byte.
    return _REASONS.get(code & 0xFF) or shorten(f"{exc} ({exc.sqlite_errorname})", 120)


@contextmanager
def translated(action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise describe(exc, action) from exc
