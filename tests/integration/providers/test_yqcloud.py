"""Yqcloud against a local server: the request exactly as spec/yqcloud.md states it, the seed's
example verbatim, and a server that splits, blocks, stalls and answers HTML."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time

import pytest
from aiohttp import web

from desktop_app.core.errors import (
    ProtocolError,
    ProviderBlockedError,
    ProviderError,
    ProviderTimeoutError,
    ServerError,
)
from desktop_app.core.events import Finish, TextDelta
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.net.session import HttpClient
from desktop_app.providers.base import AsyncResult
from desktop_app.providers.yqcloud import ABUSE_REPLY, USER_ID_RANGE, Yqcloud
from tests.integration.providers.helpers import (
    STOP_WITHIN,
    WAIT,
    ChunkLog,
    assert_cancel_disconnects,
    collect,
    collect_until_error,
    send_then_stall,
    text_of,
    write_one_by_one,
)
from tests.support.server import Handler, ScriptedServer, stream_chunks

SPEC_HEADERS = [
    ("accept", "application/json, text/plain, */*"),
    ("content-type", "application/json"),
    ("origin", "https://chat9.yqcloud.top"),
    ("referer", "https://chat9.yqcloud.top/"),
]
PLAIN = "text/plain; charset=utf-8"


def answer(*chunks: bytes, content_type: str = PLAIN) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, list(chunks), content_type=content_type)

    return handle


def user(text: str) -> ChatRequest:
    return ChatRequest((Message(Role.USER, text),))


def body_of(server: ScriptedServer, index: int = 0) -> dict[str, object]:
    data = json.loads(server.requests[index].body)
    assert isinstance(data, dict)
    return data


# --- the request -------------------------------------------------------------------------------


async def test_headers_are_the_spec_headers_in_spec_order(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = answer(b"ok")
    await collect(Yqcloud(api_endpoint=server.url("/api/generateStream"), http=http), user("hi"))

    seen = server.requests[0]
    assert (seen.method, seen.path) == ("POST", "/api/generateStream")
    spec_names = {name for name, _ in SPEC_HEADERS}
    as_received = [(k, v) for k, v in seen.raw_headers if k.lower() in spec_names]
    assert as_received == SPEC_HEADERS  # names, values and order; each exactly once


async def test_body_is_exactly_the_spec_payload(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = answer(b"ok")
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Привет"},
        {"role": "assistant", "content": "Здравствуйте!"},
        {"role": "user", "content": "Как дела?"},
    ]
    result = Yqcloud(api_endpoint=server.url("/gen"), http=http).create_async_generator(
        model="gpt-3.5-turbo", messages=messages
    )
    async with contextlib.aclosing(result) as chunks:
        assert [c async for c in chunks] == ["ok"]

    raw = server.requests[0].body
    data = json.loads(raw)
    user_id = re.fullmatch(r"#/chat/(\d+)", data["userId"])
    assert user_id is not None
    assert USER_ID_RANGE[0] <= int(user_id.group(1)) <= USER_ID_RANGE[1]
    expected = {
        "prompt": "System: Be brief.\nUser: Привет\nAssistant: Здравствуйте!\nUser: Как дела?\nAssistant:",
        "network": True,
        "system": "",
        "withoutContext": False,
        "stream": True,
        "userId": data["userId"],
    }
    assert list(data) == list(expected)
    assert data == expected
    assert raw == json.dumps(expected).encode()


async def test_system_message_user_id_and_endpoint_pass_through(
    server: ScriptedServer, http: HttpClient
) -> None:
    server.handle = answer(b"ok")
    provider = Yqcloud(api_endpoint=server.url("/configured"), http=http)
    result = provider.create_async_generator(
        "gpt-3.5-turbo",
        [Message(Role.USER, "hi")],
        system_message="Answer in Russian.",
        user_id=1700000000000,
        api_endpoint=server.url("/mirror/generateStream"),
    )
    async with contextlib.aclosing(result) as chunks:
        assert [c async for c in chunks] == ["ok"]

    assert server.requests[0].path == "/mirror/generateStream"
    data = body_of(server)
    assert data["prompt"] == "hi"
    assert data["system"] == "Answer in Russian."
    assert data["userId"] == "#/chat/1700000000000"


# --- the seed's example, verbatim --------------------------------------------------------------


@pytest.fixture
def endpoint_on_local_server(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> ScriptedServer:
    """The seed's code names no endpoint, so point the class default at the local server."""
    monkeypatch.setattr(Yqcloud, "api_endpoint", server.url("/api/generateStream"))
    server.handle = answer("Всё хорошо, ".encode(), "спасибо!".encode())
    return server


async def test_seed_example_on_an_instance(
    endpoint_on_local_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Создание экземпляра класса Yqcloud
    yqcloud = Yqcloud()

    # Определение сообщений для модели
    messages = [{"role": "user", "content": "Привет, как дела?"}]

    # Запуск асинхронного генератора для получения ответа от модели
    async_generator = await yqcloud.create_async_generator(model="gpt-3.5-turbo", messages=messages)

    # Получение и обработка ответа от модели
    async for chunk in async_generator:
        print(chunk)

    out = capsys.readouterr().out
    assert out.endswith("\n")
    assert "".join(out.splitlines()) == "Всё хорошо, спасибо!"
    assert isinstance(async_generator, AsyncResult)
    assert body_of(endpoint_on_local_server)["prompt"] == "Привет, как дела?"


async def test_seed_example_on_the_class(
    endpoint_on_local_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = [{"role": "user", "content": "Привет, как дела?"}]

    async_generator = await Yqcloud.create_async_generator(model="gpt-3.5-turbo", messages=messages)

    async for chunk in async_generator:
        print(chunk)

    out = capsys.readouterr().out
    assert "".join(out.splitlines()) == "Всё хорошо, спасибо!"
    assert endpoint_on_local_server.requests[0].path == "/api/generateStream"


# --- the answer stream -------------------------------------------------------------------------


async def test_russian_text_split_at_every_byte(server: ScriptedServer, log: ChunkLog) -> None:
    text = "Привет, мир! Ёжик — ок."
    data = text.encode()
    provider = Yqcloud(api_endpoint=server.url("/gen"), http=log)
    for cut in range(1, len(data)):
        parts = [data[:cut], data[cut:]]

        async def handle(request: web.Request, parts: list[bytes] = parts) -> web.StreamResponse:
            return await write_one_by_one(request, parts, log, content_type=PLAIN)

        server.handle = handle
        log.chunks.clear()
        events = await collect(provider, user("hi"))
        assert log.chunks == parts, cut  # the split really reached the provider
        assert text_of(events) == text, cut
        assert events[-1] == Finish("stop")
    assert len(server.requests) == len(data) - 1


async def test_abuse_reply_whole_raises_and_yields_nothing(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = answer(ABUSE_REPLY.encode())
    seen, error = await collect_until_error(
        Yqcloud(api_endpoint=server.url("/gen"), http=http), user("hi"), ProviderBlockedError
    )
    assert seen == []
    assert isinstance(error, RuntimeError)
    assert isinstance(error, ProviderError)
    assert "IP address is blocked by abuse detection." in str(error)


async def test_abuse_reply_split_anywhere_is_never_shown(server: ScriptedServer, log: ChunkLog) -> None:
    before = "Ответ: "
    data = (before + ABUSE_REPLY).encode()
    provider = Yqcloud(api_endpoint=server.url("/gen"), http=log)
    for cut in range(1, len(data)):
        parts = [data[:cut], data[cut:]]

        async def handle(request: web.Request, parts: list[bytes] = parts) -> web.StreamResponse:
            return await write_one_by_one(request, parts, log, content_type=PLAIN)

        server.handle = handle
        log.chunks.clear()
        seen, error = await collect_until_error(provider, user("hi"), ProviderBlockedError)
        # The text before the reply shows in full, even when it shares a chunk with the reply;
        # no part of the reply ever does.
        assert text_of(seen) == before, cut
        assert "IP address is blocked by abuse detection." in str(error)


async def test_html_page_with_200_is_a_protocol_error(server: ScriptedServer, http: HttpClient) -> None:
    page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge</body></html>"
    provider = Yqcloud(api_endpoint=server.url("/gen"), http=http)
    for content_type in ("text/html; charset=utf-8", "application/octet-stream"):
        server.handle = answer(page, content_type=content_type)
        seen, error = await collect_until_error(provider, user("hi"), ProtocolError)
        assert seen == [], content_type
        assert "HTML page" in str(error)
        assert "Just a moment..." in str(error)


async def test_500_with_html_is_a_server_error_naming_the_status(
    server: ScriptedServer, http: HttpClient
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
        return web.Response(status=500, text=page, content_type="text/html")

    server.handle = handle
    _, error = await collect_until_error(
        Yqcloud(api_endpoint=server.url("/gen"), http=http), user("hi"), ServerError
    )
    assert isinstance(error, ServerError)
    assert error.status == 500
    assert "HTTP 500 Internal Server Error" in str(error)
    assert "HTML page" in str(error)
    assert "\n" not in str(error)


async def test_error_status_message_has_a_short_excerpt_of_the_body(
    server: ScriptedServer, http: HttpClient
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(status=502, text="upstream exploded\n" + "x" * 5000)

    server.handle = handle
    _, error = await collect_until_error(
        Yqcloud(api_endpoint=server.url("/gen"), http=http), user("hi"), ServerError
    )
    message = str(error)
    assert "HTTP 502" in message
    assert "upstream exploded" in message
    assert "\n" not in message
    assert len(message) < 500


async def test_breaking_out_inside_aclosing_closes_the_connection(server: ScriptedServer) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await send_then_stall(request, "Привет".encode())

    server.handle = handle
    provider = Yqcloud(api_endpoint=server.url("/gen"))
    result = provider.create_async_generator("gpt-3.5-turbo", [{"role": "user", "content": "hi"}])
    async with contextlib.aclosing(result) as chunks:
        async for chunk in chunks:
            assert chunk == "Привет"
            break
        left_at = time.monotonic()
    await asyncio.wait_for(server.disconnected.wait(), WAIT)
    assert server.disconnected_at is not None
    assert server.disconnected_at - left_at < STOP_WITHIN


async def test_cancelling_the_consumer_closes_the_connection(
    server: ScriptedServer, http: HttpClient
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await send_then_stall(request, "Привет".encode())

    server.handle = handle
    await assert_cancel_disconnects(Yqcloud(api_endpoint=server.url("/gen"), http=http), user("hi"), server)


@pytest.mark.parametrize("on_class", [False, True], ids=["instance", "class"])
async def test_idle_timeout_fires_while_streaming(server: ScriptedServer, on_class: bool) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await send_then_stall(request, "Начало".encode())

    server.handle = handle
    target = Yqcloud if on_class else Yqcloud(api_endpoint=server.url("/unused"))
    result = target.create_async_generator(
        "gpt-3.5-turbo", [{"role": "user", "content": "hi"}], timeout=0.3, api_endpoint=server.url("/gen")
    )
    received: list[str] = []

    async def drain() -> None:
        async with contextlib.aclosing(result) as chunks:
            async for chunk in chunks:
                received.append(chunk)

    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError) as caught:
        await drain()
    elapsed = time.monotonic() - started
    assert received == ["Начало"]
    assert 0.3 <= elapsed < 0.3 + 1.0
    assert caught.value.limit == "idle"
    assert caught.value.seconds == pytest.approx(0.3)
    assert "timed out" in str(caught.value)
    assert "0.3 s" in str(caught.value)
    assert str(caught.value).startswith("Yqcloud: ")
    assert server.requests[0].path == "/gen"


async def test_stream_events_are_text_then_finish(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = answer(b"Hello, ", b"world")
    events = await collect(Yqcloud(api_endpoint=server.url("/gen"), http=http), user("hi"))
    assert all(isinstance(e, TextDelta) for e in events[:-1])
    assert text_of(events) == "Hello, world"
    assert events[-1] == Finish("stop")
