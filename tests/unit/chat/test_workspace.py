"""`ChatWorkspace` without any widget: real history (SQLite in tmp_path), a real local
OpenAI-compatible server, the real provider. Several conversations stream at once, the window's
conversation changes while one streams, and every answer ends with exactly one `answer_finished`
carrying its conversation, status and text."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiohttp import web
from pytestqt.qtbot import QtBot

from desktop_app.chat.active_provider import ActiveProvider
from desktop_app.chat.workspace import AnswerFinished, ChatWorkspace, MessageAdded
from desktop_app.compose import Services
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.gui_services import GuiServices
from tests.support.desktop import ChatAPI
from tests.support.qt import WAIT_MS, run

ANSWER = "Quick answer!"


class Recorder:
    """Every event of the workspace, as it came."""

    def __init__(self, workspace: ChatWorkspace) -> None:
        self.added: list[MessageAdded] = []
        self.finished: list[AnswerFinished] = []
        self.texts: dict[int, str] = {}
        self.current_changes = 0
        workspace.message_added.connect(self.added.append)
        workspace.answer_finished.connect(self.finished.append)
        workspace.answer_text.connect(self.texts.__setitem__)
        workspace.current_changed.connect(self._current_changed)

    def _current_changed(self) -> None:
        self.current_changes += 1


@pytest.fixture
def workspace(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, services: Services, api: ChatAPI
) -> Iterator[ChatWorkspace]:
    assert services.history is not None
    gui = GuiServices(services)
    made = ChatWorkspace(services.history, ActiveProvider(gui.provider_for, gui.network_changed))
    made.provider.reload(api.profile())
    made.model = lambda: "small-model"
    try:
        yield made
    finally:
        run(qtbot, qloop, made.aclose())
        run(qtbot, qloop, gui.aclose())
        made.deleteLater()


async def api_unauthorized(_request: web.Request) -> web.StreamResponse:
    return web.json_response({"error": {"message": "bad key"}}, status=401)


def saved(services: Services, conversation_id: int) -> list[tuple[Role, str, MessageStatus]]:
    assert services.history is not None
    return [(m.role, m.content, m.status) for m in services.history.messages(conversation_id)]


def test_several_conversations_stream_at_once_and_each_ends_once(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, workspace: ChatWorkspace, api: ChatAPI, services: Services
) -> None:
    events = Recorder(workspace)
    api.hold_after = 1  # each answer stops after its first piece until released
    first = workspace.create_conversation()
    second = workspace.create_conversation()
    assert first is not None
    assert second is not None
    run(qtbot, qloop, workspace.send_to(first, "one"))
    run(qtbot, qloop, workspace.send_to(second, "two"))
    qtbot.waitUntil(lambda: events.texts.get(first) == "Quick " and events.texts.get(second) == "Quick ")
    assert workspace.is_streaming(first)
    assert workspace.is_streaming(second)
    assert events.finished == []

    api.release.set()
    qtbot.waitUntil(lambda: len(events.finished) == 2, timeout=WAIT_MS)
    ended = {f.conversation_id: f for f in events.finished}
    assert set(ended) == {first, second}
    for conversation, question in ((first, "one"), (second, "two")):
        assert ended[conversation].status is MessageStatus.COMPLETE
        assert ended[conversation].text == ANSWER
        assert saved(services, conversation) == [
            (Role.USER, question, MessageStatus.COMPLETE),
            (Role.ASSISTANT, ANSWER, MessageStatus.COMPLETE),
        ]
    users = [(a.conversation_id, a.text) for a in events.added if a.role is Role.USER]
    assert users == [(first, "one"), (second, "two")]


def test_the_window_may_switch_conversations_while_one_streams(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, workspace: ChatWorkspace, api: ChatAPI, services: Services
) -> None:
    events = Recorder(workspace)
    api.hold_after = 1
    assert run(qtbot, qloop, workspace.send("streams in the background")) is not None
    streaming = workspace.current
    assert streaming is not None
    assert events.current_changes == 1  # the new chat became a conversation before it was shown
    qtbot.waitUntil(lambda: events.texts.get(streaming) == "Quick ", timeout=WAIT_MS)

    workspace.new_chat()
    assert workspace.current is None
    assert workspace.is_streaming(streaming)
    other = workspace.create_conversation()
    assert other is not None
    opened_other = workspace.open(other)
    assert opened_other is not None
    assert opened_other.messages == []
    assert opened_other.streaming_id is None

    # Back to the streaming one: its answer so far, not yet among the finished messages.
    opened = workspace.open(streaming)
    assert opened is not None
    assert [m.content for m in opened.messages] == ["streams in the background"]
    assert opened.streaming_id is not None
    assert opened.partial == "Quick "

    api.release.set()
    qtbot.waitUntil(lambda: len(events.finished) == 1, timeout=WAIT_MS)
    [ended] = events.finished
    assert (ended.conversation_id, ended.message_id, ended.status) == (
        streaming,
        opened.streaming_id,
        MessageStatus.COMPLETE,
    )
    assert saved(services, other) == []


def test_stop_ends_the_answer_once_as_stopped_with_its_partial_text(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, workspace: ChatWorkspace, api: ChatAPI, services: Services
) -> None:
    events = Recorder(workspace)
    api.hold_after = 1
    conversation = run(qtbot, qloop, workspace.send("stop me"))
    assert conversation is not None
    qtbot.waitUntil(lambda: events.texts.get(conversation) == "Quick ", timeout=WAIT_MS)
    workspace.stop(conversation)
    assert [(f.status, f.text) for f in events.finished] == [(MessageStatus.STOPPED, "Quick ")]
    assert not workspace.is_streaming(conversation)
    assert saved(services, conversation)[-1] == (Role.ASSISTANT, "Quick ", MessageStatus.STOPPED)
    api.release.set()


def test_a_failed_answer_carries_its_error_line(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, workspace: ChatWorkspace, api: ChatAPI
) -> None:
    events = Recorder(workspace)
    api.server.handle = api_unauthorized
    conversation = run(qtbot, qloop, workspace.send("hello"))
    qtbot.waitUntil(lambda: len(events.finished) == 1, timeout=WAIT_MS)
    [ended] = events.finished
    assert ended.conversation_id == conversation
    assert ended.status is MessageStatus.ERROR
    assert "401" in ended.error


def test_release_when_done_closes_a_conversation_after_its_answer(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, workspace: ChatWorkspace, api: ChatAPI
) -> None:
    events = Recorder(workspace)
    api.hold_after = 1
    conversation = workspace.create_conversation()
    assert conversation is not None
    run(qtbot, qloop, workspace.send_to(conversation, "quick one"))
    qtbot.waitUntil(lambda: events.texts.get(conversation) == "Quick ", timeout=WAIT_MS)
    workspace.release_when_done(conversation)
    assert workspace.is_streaming(conversation)  # released only once its answer has ended
    api.release.set()
    qtbot.waitUntil(lambda: len(events.finished) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: conversation not in workspace._controllers, timeout=WAIT_MS)
    assert events.finished[0].status is MessageStatus.COMPLETE
