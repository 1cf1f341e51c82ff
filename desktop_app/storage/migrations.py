"""Opening a history file: connection settings, sqlite3 errors as one-line `HistoryError`s, and
the schema as numbered migration steps.

`PRAGMA user_version` holds how many steps a file has had. Opening applies the missing ones in
order, each step and its version bump in one transaction, so a crash mid-migration leaves the
file at the previous version rather than half-changed. A file from a newer Parley (a higher
version than this code knows) is refused with a clear error and left untouched.

Never edit a released step; append a new one.
"""

from __future__ import annotations

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

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
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


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to `SCHEMA_VERSION`; returns how many steps ran.

    `conn` must be in autocommit mode (isolation_level=None): the steps manage their own
    transactions. Raises `HistoryError` for a newer or foreign file; sqlite3 errors propagate.
    """
    applied = 0
    while True:  # each pass applies one step (the version grows) or returns
        # BEGIN IMMEDIATE takes the write lock first, then re-reads the version, so two Parley
        # processes opening a new file at once cannot both run the same step.
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = check_file(conn)
            if version == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return applied
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
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
            _configure(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection) -> None:
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
    migrate(conn)


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
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised by the sqlite3 module itself, e.g. use after close
        reason = shorten(str(exc), 120)
    else:
        # Extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED …) keep the primary code
        # in their low byte.
        reason = _REASONS.get(code & 0xFF) or shorten(f"{exc} ({exc.sqlite_errorname})", 120)
    return HistoryError(f"Could not {action} history: {reason}")


@contextmanager
def translated(action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise describe(exc, action) from exc
