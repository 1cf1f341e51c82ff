"""Schema updates of a file that holds history: a copy is taken first, and a failed update leaves
the file as it was. Starts from the schema Parley had before attachments (version 1)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desktop_app.core.attachments import DocumentPart
from desktop_app.core.errors import HistoryError
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.storage import migrations
from desktop_app.storage.history import SqliteHistory


def version_of(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def make_version_1(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """A history file as the previous release wrote it: version 1, with a conversation."""
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
        patch.setattr(migrations, "SCHEMA_VERSION", 1)
        with SqliteHistory(path) as old:
            cid = old.new_conversation(system_prompt="Be brief.")
            old.append_message(cid, Role.USER, "What is a quokka?")
            answer = old.append_message(cid, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
            old.update_message(
                answer, "A small marsupial from Rottnest Island.", status=MessageStatus.COMPLETE
            )
    assert version_of(path) == 1
    assert "attachments" not in tables(path)
    return cid, answer


def test_version_1_is_updated_after_a_backup_and_keeps_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    cid, answer = make_version_1(path, monkeypatch)

    with SqliteHistory(path) as history:
        rows = history.messages(cid)
        assert [(m.role, m.content) for m in rows] == [
            (Role.USER, "What is a quokka?"),
            (Role.ASSISTANT, "A small marsupial from Rottnest Island."),
        ]
        assert all(m.attachments == () for m in rows)
        assert [h.message_id for h in history.search("marsupial")] == [answer]
        doc = DocumentPart("notes.txt", "text/plain", "Rottnest quokkas are protected.")
        mid = history.append_message(cid, Role.USER, "And this?", parts=(doc,))
        assert history.attachment_parts(mid) == (doc,)
        assert history.search("protected")[0].message_id == mid
    assert version_of(path) == migrations.SCHEMA_VERSION

    backup = tmp_path / f"history.sqlite3.before-v{migrations.SCHEMA_VERSION}.bak"
    assert backup.is_file()
    assert version_of(backup) == 1
    conn = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:  # the copy is complete: what was still in the -wal file is in it too
        assert conn.execute("SELECT content FROM messages ORDER BY id").fetchall() == [
            ("What is a quokka?",),
            ("A small marsupial from Rottnest Island.",),
        ]
    finally:
        conn.close()
    assert not list(tmp_path.glob("*.partial"))


def test_a_new_file_is_not_backed_up(tmp_path: Path) -> None:
    SqliteHistory(tmp_path / "history.sqlite3").close()
    SqliteHistory(tmp_path / "history.sqlite3").close()
    assert not list(tmp_path.glob("*.bak"))


def test_a_failing_update_keeps_the_old_file_and_says_where_the_copy_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    cid, _ = make_version_1(path, monkeypatch)
    broken = (*migrations.MIGRATIONS[1], "SELECT no_such_function()")
    monkeypatch.setattr(migrations, "MIGRATIONS", (migrations.MIGRATIONS[0], broken))

    with pytest.raises(HistoryError) as caught:
        SqliteHistory(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Could not open history: updating it to schema 2 failed")
    assert "the file is unchanged" in message
    assert "history.sqlite3.before-v2.bak" in message
    assert version_of(path) == 1
    assert "attachments" not in tables(path)
    assert (tmp_path / "history.sqlite3.before-v2.bak").is_file()

    monkeypatch.undo()  # the fixed release opens the same file
    with SqliteHistory(path) as history:
        assert history.messages(cid)[0].content == "What is a quokka?"


def test_no_update_without_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.sqlite3"
    make_version_1(path, monkeypatch)
    (tmp_path / "history.sqlite3.before-v2.bak").mkdir()  # the copy cannot take its name

    with pytest.raises(HistoryError, match=r"could not save a copy before updating it .*nothing was changed"):
        SqliteHistory(path)
    assert version_of(path) == 1
    assert not list(tmp_path.glob("*.partial"))


def test_delete_all_removes_the_copies_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.sqlite3"
    make_version_1(path, monkeypatch)
    with SqliteHistory(path) as history:
        assert list(tmp_path.glob("*.bak"))
        history.delete_all()
    assert not list(tmp_path.glob("*.bak"))
