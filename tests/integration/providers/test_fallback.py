"""A fallback chain of real providers against local servers: switch only before anything was
shown, keep each key with its provider, one line when everything failed, Stop stops it all."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import pytest
from aiohttp import web

from desktop_app.core.errors import (
    AuthError,
    ConfigurationError,
    ConnectionError_,
    ServerError,
)
from desktop_app.core.events import Finish, ProviderSelected, ReasoningDelta, StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest
from desktop_app.core.ports import ChatProvider
from desktop_app.net.session import HttpClient
from desktop_app.providers.fallback import FallbackProvider
from desktop_app.providers.ollama import Ollama
from desktop_app.providers.openai_compat import OpenAICompatible
from tests.integration.providers.helpers import (
    STOP_WITHIN,
    WAIT,
    assert_cancel_disconnects,
    collect,
    collect_until_error,
    json_reply,
    refused_port,
    send_then_stall,
    text_of,
)
from tests.support.server import Handler, ScriptedServer, stream_chunks

SSE = "text/event-stream"
REQUEST = ChatRequest.of([{"role": "user", "content": "Привет"}], "m")


def delta(**fields: object) -> bytes:
    return f"data: {json.dumps({'choices': [{'index': 0, 'delta': fields}]})}\n\n".encode()


ANSWER = [delta(content="Здравствуйте"), delta(content="!"), b"data: [DONE]\n\n"]


async def answer(request: web.Request) -> web.StreamResponse:
    return await stream_chunks(request, ANSWER, content_type=SSE)


async def fail_500(request: web.Request) -> web.StreamResponse:
    return json_reply({"error": {"message": "backend down"}}, status=500)


def routes(server: ScriptedServer, **by_name: Handler) -> None:
    """Route /<name>/v1/... to a handler, so one server plays several providers."""

    async def handle(request: web.Request) -> web.StreamResponse:
        name = request.path.split("/")[1]
        handler = by_name.get(name)
        if handler is None:
            raise web.HTTPNotFound()
        return await handler(request)

    server.handle = handle


def paths(server: ScriptedServer, name: str) -> list[str]:
    return [r.path for r in server.requests if r.path.startswith(f"/{name}/")]


def openai(server: ScriptedServer, name: str, http: HttpClient, key: str | None = None) -> OpenAICompatible:
    return OpenAICompatible(server.url(f"/{name}/v1"), key, name=name.upper(), http=http)


async def test_refused_connection_falls_through_to_the_next(server: ScriptedServer, http: HttpClient) -> None:
    routes(server, b=answer)
    with refused_port() as port:
        chain = FallbackProvider(
            [Ollama(f"http://127.0.0.1:{port}", name="Local", http=http), openai(server, "b", http)]
        )
        events = await collect(chain, REQUEST)
    assert events == [
        ProviderSelected("Local"),
        ProviderSelected("B"),
        TextDelta("Здравствуйте"),
        TextDelta("!"),
        Finish("stop"),
    ]
    assert paths(server, "b") == ["/b/v1/chat/completions"]


async def test_each_key_goes_only_to_its_own_provider(server: ScriptedServer, http: HttpClient) -> None:
    routes(server, a=fail_500, b=answer)
    chain = FallbackProvider([openai(server, "a", http, "key-A"), openai(server, "b", http, "key-B")])
    assert text_of(await collect(chain, REQUEST)) == "Здравствуйте!"
    auth = {r.path.split("/")[1]: dict(r.raw_headers).get("Authorization") for r in server.requests}
    assert auth == {"a": "Bearer key-A", "b": "Bearer key-B"}
    for seen in server.requests:
        other = "key-B" if seen.path.startswith("/a/") else "key-A"
        assert all(other not in value for _, value in seen.raw_headers)
        assert other.encode() not in seen.body


async def test_failure_after_text_propagates_and_the_next_is_never_asked(
    server: ScriptedServer, http: HttpClient
) -> None:
    async def text_then_error(request: web.Request) -> web.StreamResponse:
        error = b'data: {"error": {"message": "upstream died"}}\n\n'
        return await stream_chunks(request, [delta(content="Частичный"), error], content_type=SSE)

    routes(server, a=text_then_error, b=answer)
    chain = FallbackProvider([openai(server, "a", http), openai(server, "b", http)])
    seen, raised = await collect_until_error(chain, REQUEST, ServerError)
    assert seen == [ProviderSelected("A"), TextDelta("Частичный")]
    assert "upstream died" in str(raised)
    assert paths(server, "b") == []


async def test_reasoning_counts_as_shown_so_no_switch_after_it(
    server: ScriptedServer, http: HttpClient
) -> None:
    async def reasoning_then_error(request: web.Request) -> web.StreamResponse:
        error = b'data: {"error": {"message": "upstream died"}}\n\n'
        return await stream_chunks(request, [delta(reasoning_content="Хм"), error], content_type=SSE)

    routes(server, a=reasoning_then_error, b=answer)
    chain = FallbackProvider([openai(server, "a", http), openai(server, "b", http)])
    seen, _ = await collect_until_error(chain, REQUEST, ServerError)
    assert seen == [ProviderSelected("A"), ReasoningDelta("Хм")]
    assert paths(server, "b") == []


async def test_all_fail_gives_one_line_naming_each(server: ScriptedServer, http: HttpClient) -> None:
    async def unauthorized(request: web.Request) -> web.StreamResponse:
        return json_reply({"error": {"message": "Invalid API key"}}, status=401)

    routes(server, a=fail_500, b=unauthorized)
    with refused_port() as port:
        chain = FallbackProvider(
            [
                Ollama(f"http://127.0.0.1:{port}", name="Local", http=http),
                openai(server, "a", http),
                openai(server, "b", http, "bad-key"),
            ],
            name="Chain",
        )
        seen, raised = await collect_until_error(chain, REQUEST, AuthError)
    assert seen == [ProviderSelected("Local"), ProviderSelected("A"), ProviderSelected("B")]
    message = str(raised)
    assert "\n" not in message
    assert message.startswith("Chain: every provider failed: Local: connection refused")
    assert "; A: HTTP 500 Internal Server Error: the server failed (backend down)" in message
    assert "; B: HTTP 401 Unauthorized: the API key was rejected (Invalid API key)" in message
    assert message.endswith(AuthError.hint)
    assert "bad-key" not in message
    assert isinstance(raised.__cause__, AuthError)  # the last error, untouched
    assert raised.__cause__.status == 401


async def test_a_single_provider_raises_its_own_error(http: HttpClient) -> None:
    with refused_port() as port:
        chain = FallbackProvider([Ollama(f"http://127.0.0.1:{port}", name="Local", http=http)])
        _, raised = await collect_until_error(chain, REQUEST, ConnectionError_)
    assert str(raised).startswith("Local: connection refused")


async def test_cancel_during_the_first_attempt_tries_nothing_else(
    server: ScriptedServer, http: HttpClient
) -> None:
    first_request = asyncio.Event()

    async def stall_before_text(request: web.Request) -> web.StreamResponse:
        first_request.set()
        return await send_then_stall(request, b": still thinking\n\n", content_type=SSE)

    routes(server, a=stall_before_text, b=answer)
    chain = FallbackProvider([openai(server, "a", http), openai(server, "b", http)])
    seen: list[StreamEvent] = []

    async def consume() -> None:
        async with contextlib.aclosing(chain.stream(REQUEST)) as events:
            async for event in events:
                seen.append(event)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_request.wait(), WAIT)
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(server.disconnected.wait(), WAIT)
    assert server.disconnected_at is not None
    assert server.disconnected_at - cancelled_at < STOP_WITHIN
    assert seen == [ProviderSelected("A")]
    assert paths(server, "b") == []


async def test_cancel_after_text_closes_the_connection(server: ScriptedServer, http: HttpClient) -> None:
    async def text_then_stall(request: web.Request) -> web.StreamResponse:
        return await send_then_stall(request, delta(content="Hi"), content_type=SSE)

    routes(server, a=text_then_stall, b=answer)
    chain = FallbackProvider([openai(server, "a", http), openai(server, "b", http)])
    await assert_cancel_disconnects(chain, REQUEST, server)
    assert paths(server, "b") == []


async def test_list_models_merges_and_skips_failures(server: ScriptedServer, http: HttpClient) -> None:
    async def models_a(request: web.Request) -> web.StreamResponse:
        return json_reply({"data": [{"id": "x"}, {"id": "y"}]})

    async def models_b(request: web.Request) -> web.StreamResponse:
        return json_reply({"data": [{"id": "y"}, {"id": "z"}]})

    routes(server, a=models_a, b=models_b, c=fail_500)
    chain = FallbackProvider(
        [openai(server, "a", http), openai(server, "c", http), openai(server, "b", http)]
    )
    assert await chain.list_models() == ["x", "y", "z"]

    failing = FallbackProvider([openai(server, "c", http), openai(server, "c", http)])
    with pytest.raises(ServerError, match="every provider failed"):
        await failing.list_models()


def test_is_a_chat_provider_and_needs_one() -> None:
    chain = FallbackProvider([Ollama()])
    assert isinstance(chain, ChatProvider)
    assert chain.name == "Fallback"
    with pytest.raises(ConfigurationError):
        FallbackProvider([])
