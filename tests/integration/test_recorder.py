"""`parley ask`'s answer recorder: the growing answer reaches history within half a second."""

from __future__ import annotations

import asyncio
from pathlib import Path

from desktop_app.cli import AnswerRecorder
from desktop_app.core.errors import HistoryError
from desktop_app.core.messages import Message, MessageStatus, Role
from desktop_app.storage.history import SqliteHistory


class TimedHistory(SqliteHistory):
    """The real store, also noting when each answer update arrived."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.updates: list[tuple[float, str, MessageStatus | None]] = []
        self.updated = asyncio.Event()

    def update_message(
        self, message_id: int, content: str, *, status: MessageStatus | None = None, error: str | None = None
    ) -> None:
        super().update_message(message_id, content, status=status, error=error)
        self.updates.append((asyncio.get_running_loop().time(), content, status))
        self.updated.set()


async def test_the_recorder_saves_a_stalled_answer_within_half_a_second(tmp_path: Path) -> None:
    with TimedHistory(tmp_path / "h.sqlite3") as history:
        recorder = AnswerRecorder(history, interval=0.5)
        recorder.start(Message(Role.USER, "q"), system="", provider="Test", model="m")
        loop = asyncio.get_running_loop()
        started = loop.time()
        recorder.add("a")
        recorder.add("b")  # several pieces, one save
        await asyncio.wait_for(history.updated.wait(), 2)
        when, content, status = history.updates[0]
        assert (content, status) == ("ab", None)
        assert 0.4 <= when - started < 0.8

        history.updated.clear()
        recorder.add("c")
        await asyncio.wait_for(history.updated.wait(), 2)
        assert history.updates[1][1] == "abc"
        assert 0.4 <= history.updates[1][0] - history.updates[0][0] < 0.8

        recorder.add("d")
        recorder.finish(MessageStatus.STOPPED)  # at once, with everything received
        assert history.updates[-1][1:] == ("abcd", MessageStatus.STOPPED)
        assert len(history.updates) == 3
        conversation = history.list_conversations()[0]
        assert [(m.role, m.content, m.status) for m in history.messages(conversation.id)] == [
            (Role.USER, "q", MessageStatus.COMPLETE),
            (Role.ASSISTANT, "abcd", MessageStatus.STOPPED),
        ]


async def test_the_recorder_keeps_going_when_history_fails(tmp_path: Path) -> None:
    history = SqliteHistory(tmp_path / "h.sqlite3")
    recorder = AnswerRecorder(history, interval=0.5)
    recorder.start(Message(Role.USER, "q"), system="", provider="Test", model="m")
    history.close()  # every later write fails
    recorder.add("text")
    recorder.finish(MessageStatus.COMPLETE)
    assert isinstance(recorder.failure, HistoryError)
