"""ChatController against the real Yqcloud provider talking to a local aiohttp server, with a
real SQLite history under tmp_path, on a qasync loop driven by pytest-qt's waits."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from pytestqt.qtbot import QtBot

from desktop_app.chat.coalescer import FRAME_MS
from desktop_app.chat.controller import (
    STATS_INTERVAL_S,
    ChatController,
    ChatOptions,
    options_for,
)
from desktop_app.chat.save_pacing import SAVE_INTERVAL_S
from desktop_app.core.errors import ConfigurationError
from desktop_app.core.events import StreamEvent, TextDelta
from desktop_app.core.history_types import ConversationSettings, TokenUsage
from desktop_app.core.messages import ChatRequest, MessageStatus, Role
from desktop_app.core.ports import ChatProvider
from desktop_app.providers.openai_compat import OpenAICompatible
from desktop_app.providers.yqcloud import ABUSE_REPLY, Yqcloud
from desktop_app.storage.history import SqliteHistory
from tests.support.qt import run
from tests.support.server import ScriptedServer, stream_chunks

T = TypeVar("T")
WAIT_MS = 15_000  # a limit for event waits, generous for a busy machine
Loop = asyncio.AbstractEventLoop
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Make = Callable[..., ChatController]

# -- the local server on the test's qasync loop (`qloop` comes from tests/ui/conftest.py) -------
# The shared `server` fixture is async, so pytest-asyncio would start it on a loop of its own that
# never runs while Qt waits; this one starts the same ScriptedServer on `qloop`.


# -- shared pieces -------------------------------------------------------------------------


class CountingHistory(SqliteHistory):
    """The real SQLite history, also noting when the streaming answer was saved."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.streaming_saves: list[float] = []

    def update_message(
        self, message_id: int, content: str, *, status: MessageStatus | None = None, error: str | None = None
    ) -> None:
        if status is MessageStatus.STREAMING:
            self.streaming_saves.append(time.monotonic())
        super().update_message(message_id, content, status=status, error=error)


class CountingProvider:
    """The real provider, counting the text events it delivers."""

    def __init__(self, inner: ChatProvider) -> None:
        self.inner = inner
        self.text_events = 0

    @property
    def name(self) -> str:
        return self.inner.name

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        async with contextlib.aclosing(self.inner.stream(request)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    self.text_events += 1
                yield event

    async def list_models(self) -> list[str]:
        return await self.inner.list_models()


class BrokenProvider:
    """A provider with a bug: some text, then an exception no provider should raise."""

    name = "Broken"

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        yield TextDelta("half an ")
        raise KeyError("choices")

    async def list_models(self) -> list[str]:
        return []


@pytest.fixture
def history(tmp_path: Path) -> Iterator[CountingHistory]:
    store = CountingHistory(tmp_path / "history.sqlite3")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def provider(server: ScriptedServer) -> Yqcloud:
    return Yqcloud(api_endpoint=server.url("/api/generateStream"))


@pytest.fixture
def make_controller(qtbot: QtBot, qloop: Loop, history: CountingHistory, provider: Yqcloud) -> Iterator[Make]:
    made: list[ChatController] = []

    def make(**kwargs: Any) -> ChatController:
        conversation = kwargs.pop("conversation_id", None) or history.new_conversation("test")
        source = kwargs.pop("provider", provider)
        controller = ChatController(history, source, conversation, **kwargs)
        made.append(controller)
        return controller

    yield make
    for controller in made:
        run(qtbot, qloop, controller.aclose())
    leftovers = [t for t in asyncio.all_tasks(qloop) if "ChatController" in repr(t.get_coro())]
    assert leftovers == []


@dataclass
class Holding:
    """A server answer that sends `before`, then holds the stream open until `release` is set."""

    before: list[bytes]
    after: list[bytes] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    sent_at: float | None = None

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        await response.prepare(request)
        for chunk in self.before:
            await response.write(chunk)
        self.sent_at = time.monotonic()
        await asyncio.wait_for(self.release.wait(), timeout=10)
        for chunk in self.after:
            await response.write(chunk)
        await response.write_eof()
        return response


def respond(*chunks: bytes, delay: float = 0.0) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, list(chunks), delay=delay)

    return handle


def fail_with(status: int, body: bytes = b"internal error") -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, body=body, content_type="text/plain")

    return handle


def prompt_of(server: ScriptedServer, index: int = -1) -> str:
    return str(json.loads(server.requests[index].body)["prompt"])


def row(history: SqliteHistory, message_id: int) -> tuple[str, MessageStatus, str | None]:
    found = history.message(message_id)
    assert found is not None
    return found.content, found.status, found.error


def finish(qtbot: QtBot, controller: ChatController, start: Callable[[], T], timeout: int = WAIT_MS) -> T:
    """Run `start()` (send, retry, ...) and wait until the answer it began has finished."""
    with qtbot.waitSignal(controller.stream_finished, timeout=timeout):
        return start()  # the signal is awaited on leaving the block, before the value is returned


# -- send ------------------------------------------------------------------------------------


def test_send_streams_the_answer_and_saves_it_complete(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    word = "wörld".encode()
    server.handle = respond(b"Hel", b"lo, " + word[:2], word[2:], b"!")
    controller = make_controller(options=ChatOptions(system_prompt="Be brief."))
    added: list[tuple[str, str, int]] = []
    started: list[int] = []
    texts: list[str] = []
    finished: list[tuple[str, int]] = []
    controller.message_added.connect(lambda *args: added.append(args))
    controller.stream_started.connect(started.append)
    controller.stream_text.connect(texts.append)
    controller.stream_finished.connect(lambda *args: finished.append(args))

    answer_id = finish(qtbot, controller, lambda: controller.send("Say hello"))

    assert answer_id is not None
    user_id = added[0][2]
    assert added == [("user", "Say hello", user_id), ("assistant", "", answer_id)]
    assert started == [answer_id]
    assert texts[-1] == "Hello, wörld!"
    assert finished == [("complete", answer_id)]
    assert row(history, answer_id) == ("Hello, wörld!", MessageStatus.COMPLETE, None)
    assert row(history, user_id) == ("Say hello", MessageStatus.COMPLETE, None)
    assert history.message(answer_id).provider == "Yqcloud"  # type: ignore[union-attr]
    assert prompt_of(server) == "System: Be brief.\nUser: Say hello\nAssistant:"
    assert not controller.is_streaming


def test_follow_up_carries_the_history(qtbot: QtBot, server: ScriptedServer, make_controller: Make) -> None:
    controller = make_controller()
    server.handle = respond(b"Paris.")
    finish(qtbot, controller, lambda: controller.send("Capital of France?"))
    server.handle = respond(b"About 2 million.")
    finish(qtbot, controller, lambda: controller.send("Population?"))
    assert prompt_of(server) == ("User: Capital of France?\nAssistant: Paris.\nUser: Population?\nAssistant:")


def test_a_controller_continues_a_saved_conversation(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    conversation = history.new_conversation("old")
    history.append_message(conversation, Role.USER, "Earlier question")
    history.append_message(conversation, Role.ASSISTANT, "Earlier answer")
    controller = make_controller(conversation_id=conversation)
    server.handle = respond(b"ok")
    finish(qtbot, controller, lambda: controller.send("Next"))
    assert prompt_of(server) == "User: Earlier question\nAssistant: Earlier answer\nUser: Next\nAssistant:"


def test_blank_text_is_not_sent(server: ScriptedServer, make_controller: Make) -> None:
    controller = make_controller()
    assert controller.send("  \n ") is None
    assert not controller.is_streaming
    assert server.requests == []


def test_conversation_settings_go_into_the_request_with_reasoning_usage_and_length(
    qtbot: QtBot,
    server: ScriptedServer,
    history: CountingHistory,
    make_controller: Make,
) -> None:
    def sse(payload: object) -> bytes:
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    server.handle = respond(
        sse({"choices": [{"delta": {"reasoning_content": "Think "}}]}),
        sse({"choices": [{"delta": {"reasoning_content": "hard."}}]}),
        sse({"choices": [{"delta": {"content": "Forty"}}]}),
        sse({"choices": [{"delta": {"content": "-two"}, "finish_reason": "length"}]}),
        sse({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 34}}),
        b"data: [DONE]\n\n",
    )
    settings = ConversationSettings(
        system_prompt="Answer with a number.", model="m-1", temperature=0.2, max_tokens=5
    )
    options = options_for(settings, ChatOptions(model="default-model", temperature=1.0))
    provider = OpenAICompatible(server.url("/v1"), api_key="sk-test", name="Local")
    controller = make_controller(provider=provider, options=options)
    reasoning: list[str] = []
    notices: list[str] = []
    controller.reasoning_text.connect(reasoning.append)
    controller.notice.connect(notices.append)

    answer_id = finish(qtbot, controller, lambda: controller.send("The answer?"))

    body = json.loads(server.requests[-1].body)
    assert body["model"] == "m-1"
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 5
    assert body["messages"] == [
        {"role": "system", "content": "Answer with a number."},
        {"role": "user", "content": "The answer?"},
    ]
    assert reasoning[-1] == "Think hard."
    assert notices == ["The answer reached the maximum length set for this conversation."]
    assert answer_id is not None
    saved = history.message(answer_id)
    assert saved is not None
    assert (saved.content, saved.status, saved.model, saved.provider) == (
        "Forty-two",
        MessageStatus.COMPLETE,
        "m-1",
        "Local",
    )
    assert saved.reasoning == "Think hard."
    assert saved.usage == TokenUsage(prompt_tokens=12, completion_tokens=34)


def test_conversation_settings_fall_back_to_the_defaults() -> None:
    defaults = ChatOptions(model="default", system_prompt="Be kind.", temperature=0.7, max_tokens=100)
    assert options_for(ConversationSettings(), defaults) == defaults
    mixed = options_for(ConversationSettings(model="other", max_tokens=10), defaults)
    assert mixed == ChatOptions(model="other", system_prompt="Be kind.", temperature=0.7, max_tokens=10)


# -- stop ------------------------------------------------------------------------------------


def test_stop_closes_the_connection_within_100_ms_and_keeps_the_partial_answer(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    server.handle = Holding([b"The first half"])
    controller = make_controller()
    with qtbot.waitSignal(
        controller.stream_text, check_params_cb=lambda t: t == "The first half", timeout=WAIT_MS
    ):
        answer_id = controller.send("Tell me everything")
    assert answer_id is not None

    with qtbot.waitSignal(controller.stream_finished, timeout=100) as finished:
        stopped_at = time.monotonic()
        controller.stop()
    qtbot.waitUntil(server.disconnected.is_set, timeout=1000)

    assert server.disconnected_at is not None
    assert server.disconnected_at - stopped_at < 0.1
    assert finished.args == ["stopped", answer_id]
    assert row(history, answer_id) == ("The first half", MessageStatus.STOPPED, None)
    assert not controller.is_streaming
    controller.stop()  # nothing running: nothing happens


def test_sending_while_an_answer_streams_stops_that_answer_first(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    server.handle = Holding([b"Long answer so far"])
    controller = make_controller()
    with qtbot.waitSignal(controller.stream_text, timeout=WAIT_MS):
        first = controller.send("First")
    assert first is not None
    server.handle = respond(b"Second answer")
    statuses: list[tuple[str, int]] = []
    controller.stream_finished.connect(lambda *args: statuses.append(args))

    second = controller.send("Second")
    qtbot.waitUntil(lambda: len(statuses) == 2, timeout=WAIT_MS)

    assert second is not None
    assert statuses == [("stopped", first), ("complete", second)]
    assert row(history, first) == ("Long answer so far", MessageStatus.STOPPED, None)
    assert row(history, second) == ("Second answer", MessageStatus.COMPLETE, None)
    qtbot.waitUntil(server.disconnected.is_set, timeout=1000)
    # The stopped partial answer is part of the history the second request carried.
    assert prompt_of(server) == "User: First\nAssistant: Long answer so far\nUser: Second\nAssistant:"


# -- errors and retry ------------------------------------------------------------------------


def test_provider_error_keeps_the_partial_answer_and_reports_one_line(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    held = Holding([b"A partial answer"], after=[ABUSE_REPLY.encode()])
    server.handle = held
    controller = make_controller()
    errors: list[str] = []
    controller.error.connect(errors.append)
    with qtbot.waitSignal(controller.stream_text, timeout=WAIT_MS):
        answer_id = controller.send("Question")

    with qtbot.waitSignal(controller.stream_finished, timeout=WAIT_MS) as finished:
        held.release.set()

    assert finished.args == ["error", answer_id]
    assert len(errors) == 1
    line = errors[0]
    assert line.startswith("Yqcloud: IP address is blocked")
    assert "\n" not in line
    assert answer_id is not None
    assert row(history, answer_id) == ("A partial answer", MessageStatus.ERROR, line)


def test_retry_replaces_the_failed_answer(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    server.handle = fail_with(500)
    controller = make_controller()
    errors: list[str] = []
    removed: list[list[int]] = []
    controller.error.connect(errors.append)
    controller.messages_removed.connect(removed.append)
    failed = finish(qtbot, controller, lambda: controller.send("Question"))
    assert failed is not None
    assert len(errors) == 1
    assert "HTTP 500" in errors[0]
    assert row(history, failed)[1] is MessageStatus.ERROR

    server.handle = respond(b"The answer")
    retried = finish(qtbot, controller, controller.retry)

    assert retried is not None
    assert removed == [[failed]]
    assert row(history, retried) == ("The answer", MessageStatus.COMPLETE, None)
    assert [(m.role, m.content) for m in history.messages(controller.conversation_id)] == [
        (Role.USER, "Question"),
        (Role.ASSISTANT, "The answer"),
    ]
    assert prompt_of(server, 0) == prompt_of(server, 1) == "Question"
    # A complete answer is not "retried" away by a stale Retry button.
    assert controller.retry() is None


def test_unexpected_exception_is_logged_and_shown_as_one_line(
    qtbot: QtBot, history: CountingHistory, make_controller: Make, caplog: pytest.LogCaptureFixture
) -> None:
    controller = make_controller(provider=BrokenProvider())
    errors: list[str] = []
    controller.error.connect(errors.append)
    with caplog.at_level(logging.ERROR, logger="desktop_app.chat.controller"):
        answer_id = finish(qtbot, controller, lambda: controller.send("Question"))

    assert errors == ["Something went wrong: 'choices'"]
    assert answer_id is not None
    assert row(history, answer_id) == ("half an ", MessageStatus.ERROR, errors[0])
    logged = [r for r in caplog.records if r.exc_info]
    assert logged
    assert isinstance(logged[0].exc_info[1], KeyError)  # type: ignore[index]


def test_a_provider_that_cannot_be_built_fails_the_answer_visibly(
    qtbot: QtBot, history: CountingHistory, make_controller: Make
) -> None:
    def no_provider() -> ChatProvider:
        raise ConfigurationError("OpenAI needs an API key: add it in Preferences → Providers")

    controller = make_controller(provider=no_provider)
    errors: list[str] = []
    controller.error.connect(errors.append)
    answer_id = finish(qtbot, controller, lambda: controller.send("Question"))
    assert errors == ["OpenAI needs an API key: add it in Preferences → Providers"]
    assert answer_id is not None
    assert row(history, answer_id) == ("", MessageStatus.ERROR, errors[0])


# -- regenerate and edit ---------------------------------------------------------------------


def test_regenerate_replaces_the_last_answer_for_the_same_history(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    controller = make_controller()
    server.handle = respond(b"Hi.")
    finish(qtbot, controller, lambda: controller.send("Hello"))
    server.handle = respond(b"First take")
    first = finish(qtbot, controller, lambda: controller.send("Write a haiku"))
    server.handle = respond(b"Second take")
    removed: list[list[int]] = []
    controller.messages_removed.connect(removed.append)

    second = finish(qtbot, controller, controller.regenerate)

    assert first is not None
    assert second is not None
    assert removed == [[first]]
    assert row(history, second) == ("Second take", MessageStatus.COMPLETE, None)
    assert [m.content for m in history.messages(controller.conversation_id)] == [
        "Hello",
        "Hi.",
        "Write a haiku",
        "Second take",
    ]
    assert prompt_of(server, 1) == prompt_of(server, 2)


def test_regenerate_with_nothing_to_answer_does_nothing(
    server: ScriptedServer, make_controller: Make
) -> None:
    controller = make_controller()
    assert controller.regenerate() is None
    assert server.requests == []


def test_edit_and_resend_drops_what_followed_and_answers_the_new_text(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    controller = make_controller()
    user_ids: list[int] = []
    controller.message_added.connect(
        lambda role, _text, mid: user_ids.append(mid) if role == "user" else None
    )
    server.handle = respond(b"One")
    first_answer = finish(qtbot, controller, lambda: controller.send("First question"))
    server.handle = respond(b"Two")
    second_answer = finish(qtbot, controller, lambda: controller.send("Second question"))
    removed: list[list[int]] = []
    edited: list[tuple[int, str]] = []
    controller.messages_removed.connect(removed.append)
    controller.message_edited.connect(lambda *args: edited.append(args))
    server.handle = respond(b"Better answer")

    new_answer = finish(qtbot, controller, lambda: controller.edit_and_resend(user_ids[0], "Better question"))

    assert removed == [[first_answer, user_ids[1], second_answer]]
    assert edited == [(user_ids[0], "Better question")]
    assert new_answer is not None
    assert [(m.role, m.content) for m in history.messages(controller.conversation_id)] == [
        (Role.USER, "Better question"),
        (Role.ASSISTANT, "Better answer"),
    ]
    assert prompt_of(server) == "Better question"


def test_only_the_users_own_messages_can_be_edited(
    qtbot: QtBot, server: ScriptedServer, make_controller: Make
) -> None:
    controller = make_controller()
    server.handle = respond(b"Answer")
    answer_id = finish(qtbot, controller, lambda: controller.send("Question"))
    assert answer_id is not None
    with pytest.raises(ValueError, match="not a user message"):
        controller.edit_and_resend(answer_id, "tampered")


# -- saving while streaming ------------------------------------------------------------------


def test_the_growing_answer_is_saved_while_the_stream_is_still_open(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    held = Holding([b"Saved before ", b"the end"], after=[b", and the rest."])
    server.handle = held
    controller = make_controller()
    answer_id = controller.send("Question")
    assert answer_id is not None

    qtbot.waitUntil(lambda: row(history, answer_id)[0] == "Saved before the end", timeout=WAIT_MS)
    seen_at = time.monotonic()

    assert held.sent_at is not None
    assert seen_at - held.sent_at < SAVE_INTERVAL_S + 0.25  # 500 ms throttle, plus scheduling slack
    assert row(history, answer_id)[1] is MessageStatus.STREAMING
    assert not server.disconnected.is_set()  # still held open
    assert controller.is_streaming
    with qtbot.waitSignal(controller.stream_finished, timeout=WAIT_MS):
        held.release.set()
    assert row(history, answer_id) == ("Saved before the end, and the rest.", MessageStatus.COMPLETE, None)


def test_saves_while_streaming_are_throttled_to_one_per_half_second(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    server.handle = respond(*[b"word " for _ in range(60)], delay=0.02)  # about 1.2 s of text
    controller = make_controller()
    started = time.monotonic()
    finish(qtbot, controller, lambda: controller.send("Question"))
    elapsed = time.monotonic() - started

    saves = history.streaming_saves
    assert 1 <= len(saves) <= elapsed / SAVE_INTERVAL_S + 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(saves)]
    assert all(gap >= SAVE_INTERVAL_S * 0.9 for gap in gaps), gaps


# -- emission rate and stats -----------------------------------------------------------------


def test_a_very_fast_stream_reaches_the_view_at_most_once_per_frame(
    qtbot: QtBot, server: ScriptedServer, provider: Yqcloud, make_controller: Make
) -> None:
    chunks = 20_000

    async def flood(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        await response.prepare(request)
        for index in range(chunks):
            await response.write(f"{index % 10}abcd".encode())
            await asyncio.sleep(0)  # let the client read between writes: many small deliveries
        await response.write_eof()
        return response

    server.handle = flood
    counting = CountingProvider(provider)
    controller = make_controller(provider=counting)
    texts: list[str] = []
    controller.stream_text.connect(texts.append)
    started = time.monotonic()
    finish(qtbot, controller, lambda: controller.send("Flood me"), timeout=30_000)
    elapsed = time.monotonic() - started

    expected = "".join(f"{index % 10}abcd" for index in range(chunks))
    assert texts[-1] == expected
    assert counting.text_events >= 1000  # the provider really delivered many small pieces
    assert len(texts) <= counting.text_events / 10
    frames = elapsed / (FRAME_MS * 0.9 / 1000)  # Qt's coarse timers may fire up to 5% early
    assert len(texts) <= frames + 2


def test_stats_report_speed_and_time_a_few_times_a_second(
    qtbot: QtBot, server: ScriptedServer, make_controller: Make
) -> None:
    server.handle = respond(*[b"abcdefgh" for _ in range(40)], delay=0.02)  # 80 tokens in ~0.8 s
    controller = make_controller()
    stats: list[tuple[float, float]] = []
    controller.stats.connect(lambda rate, elapsed: stats.append((rate, elapsed)))
    started = time.monotonic()
    finish(qtbot, controller, lambda: controller.send("Question"))
    elapsed = time.monotonic() - started

    assert 2 <= len(stats) <= elapsed / STATS_INTERVAL_S + 2
    rate, answer_time = stats[-1]
    assert 0 < answer_time <= elapsed
    # 80 estimated tokens over the time from first to last text (a bit under answer_time).
    assert 80 / answer_time <= rate < 80 / (answer_time * 0.5)


# -- context window --------------------------------------------------------------------------


def test_old_messages_that_do_not_fit_the_context_are_left_out_with_a_notice(
    qtbot: QtBot, server: ScriptedServer, history: CountingHistory, make_controller: Make
) -> None:
    conversation = history.new_conversation("long")
    history.append_message(conversation, Role.USER, "old question " + "x" * 400)  # ~104 tokens
    history.append_message(conversation, Role.ASSISTANT, "old answer " + "y" * 400)
    history.append_message(conversation, Role.USER, "recent question")
    history.append_message(conversation, Role.ASSISTANT, "recent answer")
    options = ChatOptions(system_prompt="Be brief.", max_tokens=100, context_tokens=200)
    controller = make_controller(conversation_id=conversation, options=options)
    notices: list[str] = []
    controller.notice.connect(notices.append)
    server.handle = respond(b"ok")

    finish(qtbot, controller, lambda: controller.send("new question"))

    assert notices == ["2 older messages were left out to fit the model's context."]
    assert prompt_of(server) == (
        "System: Be brief.\nUser: recent question\nAssistant: recent answer\nUser: new question\nAssistant:"
    )
    # Nothing is deleted: trimming only shapes the request.
    assert len(history.messages(conversation)) == 6


# -- shutdown --------------------------------------------------------------------------------


def test_shutdown_with_a_running_stream_saves_it_and_leaves_no_tasks(
    qtbot: QtBot,
    qloop: Loop,
    server: ScriptedServer,
    history: CountingHistory,
    make_controller: Make,
) -> None:
    server.handle = Holding([b"Interrupted by shutdown"])
    controller = make_controller()
    with qtbot.waitSignal(controller.stream_text, timeout=WAIT_MS):
        answer_id = controller.send("Question")
    assert answer_id is not None
    finished: list[tuple[str, int]] = []
    controller.stream_finished.connect(lambda *args: finished.append(args))

    run(qtbot, qloop, controller.aclose())

    assert finished == [("stopped", answer_id)]
    assert row(history, answer_id) == ("Interrupted by shutdown", MessageStatus.STOPPED, None)
    assert [t for t in asyncio.all_tasks(qloop) if "ChatController" in repr(t.get_coro())] == []
    qtbot.waitUntil(server.disconnected.is_set, timeout=1000)
    with pytest.raises(RuntimeError, match="closed"):
        controller.send("After shutdown")


# -- settling after the paint (append to tests/ui/test_controller.py) --


class OneShotProvider:
    """A provider whose whole answer and end arrive in one step of the stream."""

    name = "One shot"

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        yield TextDelta("Complete answer")

    async def list_models(self) -> list[str]:
        return []


def test_the_last_frame_comes_before_the_final_save_and_the_end_signal(
    qtbot: QtBot, history: CountingHistory, make_controller: Make
) -> None:
    controller = make_controller(provider=OneShotProvider())
    seen: list[tuple[str, object]] = []
    answer: list[int] = []
    controller.stream_text.connect(lambda text: seen.append(("text", row(history, answer[0])[:2])))
    controller.stream_finished.connect(lambda status, mid: seen.append(("finished", row(history, mid)[:2])))
    with qtbot.waitSignal(controller.stream_finished, timeout=WAIT_MS):
        answer_id = controller.send("Question")
        assert answer_id is not None
        answer.append(answer_id)
    assert seen == [
        ("text", ("Complete answer", MessageStatus.STREAMING)),  # shown; the text already saved
        ("finished", ("Complete answer", MessageStatus.COMPLETE)),  # then the final save
    ]


def test_anything_the_controller_does_next_settles_the_ended_answer_first(
    qtbot: QtBot, history: CountingHistory, make_controller: Make
) -> None:
    controller = make_controller(provider=OneShotProvider())
    events: list[tuple[str, int]] = []
    controller.stream_finished.connect(lambda _status, mid: events.append(("finished", mid)))
    controller.message_added.connect(lambda role, _text, mid: events.append((role, mid)))
    sent: list[int | None] = []

    def send_again(_text: str) -> None:  # a send arriving before the ended answer settled
        if not sent:
            sent.append(controller.send("Second"))

    controller.stream_text.connect(send_again)
    first = controller.send("First")
    qtbot.waitUntil(lambda: len([e for e in events if e[0] == "finished"]) == 2, timeout=WAIT_MS)
    assert first is not None
    assert sent[0] is not None
    assert events.index(("finished", first)) < events.index(("user", first + 1))
    assert row(history, first) == ("Complete answer", MessageStatus.COMPLETE, None)
