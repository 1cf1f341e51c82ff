"""Opening history files: migrations, and every file that cannot be used gives one clear line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from desktop_app.core.errors import HistoryError
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.storage import migrations
from desktop_app.storage.history import SqliteHistory


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def history(path: Path) -> Iterator[SqliteHistory]:
    store = SqliteHistory(path)
    yield store
    store.close()


def raw(path: Path) -> sqlite3.Connection:
    """A second, independent connection to look at the file itself."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def schema(path: Path) -> list[tuple[str, str]]:
    conn = raw(path)
    try:
        return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        conn.close()


def pragma(path: Path, name: str) -> int:
    conn = raw(path)
    try:
        return int(conn.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        conn.close()


def test_new_file_gets_the_schema_and_reopening_changes_nothing(path: Path) -> None:
    with SqliteHistory(path) as first:
        conversation = first.new_conversation("kept")
        assert first.interrupted_on_open == 0
    assert pragma(path, "user_version") == migrations.SCHEMA_VERSION
    assert pragma(path, "application_id") == migrations.APPLICATION_ID
    before = schema(path)
    assert {"conversations", "messages", "messages_fts"} <= {name for name, _ in before}

    with SqliteHistory(path) as second:
        assert [c.title for c in second.list_conversations()] == ["kept"]
        assert second.get_conversation(conversation) is not None
        conn = second._conn
        assert conn is not None
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    assert schema(path) == before


def test_a_new_step_is_applied_once_on_an_old_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    SqliteHistory(path).close()
    step = ("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY)",)
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, step))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", migrations.SCHEMA_VERSION + 1)
    SqliteHistory(path).close()
    SqliteHistory(path).close()  # a second run must not try to create the table again
    assert pragma(path, "user_version") == migrations.SCHEMA_VERSION
    assert "bookmarks" in {name for name, _ in schema(path)}


def test_a_failing_step_leaves_the_file_at_the_previous_version(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SqliteHistory(path) as history:
        history.new_conversation("before the upgrade")
    broken = ("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY)", "THIS IS NOT SQL")
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, broken))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", migrations.SCHEMA_VERSION + 1)
    with pytest.raises(HistoryError, match=r"^Could not open history: ") as caught:
        SqliteHistory(path)
    assert "\n" not in str(caught.value)
    assert pragma(path, "user_version") == migrations.SCHEMA_VERSION - 1
    assert "bookmarks" not in {name for name, _ in schema(path)}


def test_a_file_from_a_newer_parley_is_refused_and_left_alone(path: Path) -> None:
    SqliteHistory(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="newer Parley"):
        SqliteHistory(path)
    assert path.read_bytes() == before


def test_another_programs_database_is_refused_and_left_alone(path: Path) -> None:
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="another program's SQLite database"):
        SqliteHistory(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_a_clear_error(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(HistoryError) as caught:
        SqliteHistory(path)
    assert str(caught.value) == "Could not open history: the file is not a SQLite database"


def test_a_folder_in_place_of_the_file_is_a_clear_error(path: Path) -> None:
    path.mkdir(parents=True)
    with pytest.raises(HistoryError, match="is a folder"):
        SqliteHistory(path)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` unwritable for this process. Root ignores permission bits, so as root use the
    immutable attribute, which binds root too."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("running as root where chattr +i is unavailable: cannot make a file read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_file_is_a_clear_error(path: Path) -> None:
    with SqliteHistory(path) as history:
        history.new_conversation("hello")
    with read_only(path), pytest.raises(HistoryError) as caught:
        SqliteHistory(path)
    assert str(caught.value) == "Could not open history: the history file is read-only"


def test_a_damaged_file_is_a_clear_error(path: Path) -> None:
    with SqliteHistory(path) as history:
        conversation = history.new_conversation()
        for i in range(50):
            history.append_message(conversation, Role.USER, f"message {i} " * 200)
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'messages'").fetchone()
    conn.close()
    with path.open("r+b") as file:  # overwrite the messages table's root page with garbage
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)
    damaged = r"^Could not (open|read) history: the history file is damaged"
    with pytest.raises(HistoryError, match=damaged), SqliteHistory(path) as store:
        store.messages(conversation)


def test_a_full_disk_is_a_clear_error_and_nothing_half_saved(history: SqliteHistory) -> None:
    # SQLite's own page limit makes the pager answer SQLITE_FULL exactly as for a full disk.
    conversation = history.new_conversation()
    kept = history.append_message(conversation, Role.USER, "saved before the disk filled")
    answer = history.append_message(conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    conn = history._conn
    assert conn is not None
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")

    with pytest.raises(HistoryError) as caught:
        history.update_message(answer, "x" * 200_000)
    assert str(caught.value) == "Could not save history: disk full (no space left on the device)"
    with pytest.raises(HistoryError, match="disk full"):
        history.append_message(conversation, Role.USER, "y" * 200_000)

    conn.execute("PRAGMA max_page_count = 1073741823")  # space freed
    assert [(m.id, m.content) for m in history.messages(conversation)] == [
        (kept, "saved before the disk filled"),
        (answer, ""),
    ]
    history.update_message(answer, "x" * 200_000, status=MessageStatus.COMPLETE)
    row = history.message(answer)
    assert row is not None
    assert len(row.content) == 200_000


def test_a_closed_store_says_so(path: Path) -> None:
    history = SqliteHistory(path)
    history.close()
    history.close()  # closing twice is harmless
    with pytest.raises(HistoryError, match="already closed"):
        history.list_conversations()
