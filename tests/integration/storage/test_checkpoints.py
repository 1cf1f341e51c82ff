"""WAL checkpoints run on the checkpointer's own thread, never in a commit on the caller's thread
(the event loop in the app): real SQLite files in tmp_path."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

from desktop_app.core.messages import MessageStatus, Role
from desktop_app.storage.history import SqliteHistory

WAIT_S = 30.0


def grow(history: SqliteHistory, rounds: int, size: int = 20_000) -> None:
    conversation = history.new_conversation()
    message = history.append_message(conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    for number in range(rounds):  # a streaming answer, saved as it grows
        # Text that differs every time: SQLite does not rewrite overflow pages that stay the same.
        history.update_message(
            message, f"{number} " + secrets.token_hex(size // 2), status=MessageStatus.STREAMING
        )


def test_the_store_never_checkpoints_in_a_commit(tmp_path: Path) -> None:
    with SqliteHistory(tmp_path / "h.sqlite3", checkpoint_threshold=1 << 40) as history:
        assert history._live().execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        grow(history, 400)  # ~8 MB of pages: twice SQLite's automatic checkpoint point
        wal = tmp_path / "h.sqlite3-wal"
        assert wal.stat().st_size > 4 * 1024 * 1024  # nothing was copied back on this thread
        assert history.checkpointer.checkpoints == 0


def test_a_grown_wal_is_checkpointed_on_the_checkpointer_thread(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with SqliteHistory(path, checkpoint_threshold=64 * 1024) as history:
        grow(history, 20)
        assert history.checkpointer.ran.wait(WAIT_S)
        assert history.checkpointer.thread_id not in (None, threading.get_ident())
        assert history.checkpointer.checkpoints >= 1
    # Closed: the last connection checkpointed the rest; everything is in the database file.
    with SqliteHistory(path) as reopened:
        [conversation] = reopened.list_conversations()
        [message] = reopened.messages(conversation.id)
        assert message.content.startswith("19 ")
        assert message.status is MessageStatus.INTERRUPTED  # it was still streaming when closed


def test_closing_the_store_ends_its_checkpointer(tmp_path: Path) -> None:
    history = SqliteHistory(tmp_path / "h.sqlite3")
    thread = history.checkpointer._thread
    assert thread.is_alive()
    history.close()
    assert not thread.is_alive()
    assert not (tmp_path / "h.sqlite3-wal").exists() or (tmp_path / "h.sqlite3-wal").stat().st_size == 0
