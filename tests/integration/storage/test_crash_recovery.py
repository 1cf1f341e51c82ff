"""kill -9 in the middle of a streaming answer: what was saved is still there, marked interrupted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from desktop_app.core.messages import MessageStatus
from desktop_app.storage.history import SqliteHistory

# The app's save path: one streaming answer, saved with update_message as it grows (every 50 ms
# here, ten times as often as the app must). Bounded, and killed long before it ends.
WRITER = """
import sys, time
from pathlib import Path
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.storage.history import SqliteHistory

history = SqliteHistory(Path(sys.argv[1]))
conversation = history.new_conversation("crash test")
history.append_message(conversation, Role.USER, "tell me a long story")
answer = history.append_message(conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
text = ""
for i in range(2000):
    text += f"chunk {i} "
    history.update_message(answer, text)
    time.sleep(0.05)
"""

WANTED_CHUNKS = 10
POLL_LIMIT_S = 30.0


def saved_answer(path: Path) -> str | None:
    """The streaming answer's text as another process sees it in the file, or None yet."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT content FROM messages WHERE status = 'streaming'").fetchone()
    except sqlite3.Error:  # the writer has not created the schema yet
        return None
    finally:
        conn.close()
    return None if row is None else str(row[0])


def wait_until_saved(path: Path, writer: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + POLL_LIMIT_S
    for _ in range(5000):
        text = saved_answer(path)
        if text is not None and f"chunk {WANTED_CHUNKS - 1} " in text:
            return text
        if time.monotonic() > deadline:
            break
        try:  # the pause between polls doubles as a check that the writer is still alive
            writer.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            continue
        stderr = writer.stderr.read().decode() if writer.stderr else ""
        raise AssertionError(f"the writer exited early ({writer.returncode}): {stderr}")
    raise AssertionError(f"no {WANTED_CHUNKS} chunks saved within {POLL_LIMIT_S} s")


def test_kill_9_mid_answer_keeps_the_saved_text_as_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        seen = wait_until_saved(path, writer)
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait(timeout=10)
        if writer.stderr:
            writer.stderr.close()
    assert writer.returncode == -signal.SIGKILL

    with SqliteHistory(path) as history:
        assert history.interrupted_on_open == 1
        (conversation,) = history.list_conversations()
        question, answer = history.messages(conversation.id)
        assert question.content == "tell me a long story"
        assert answer.status is MessageStatus.INTERRUPTED
        # Everything another process saw committed survived, and maybe a save or two more.
        assert answer.content.startswith(seen)
        assert answer.content.endswith(" ")  # whole saves only, never a torn write
        assert [h.message_id for h in history.search("chunk")] == [answer.id]
    with SqliteHistory(path) as history:
        assert history.interrupted_on_open == 0
