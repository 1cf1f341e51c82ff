"""OpenAI-compatible provider against a local server that streams messy but valid SSE, reports
errors in band, and answers with every error status a real API uses."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from desktop_app.core.errors import (
    AuthError,
    BadRequestError,
    ConfigurationError,
    EndpointNotFoundError,
    ModelNotFoundError,
    ProtocolError,
    ProviderError,
    RateLimitError,
    ServerError,
)
from desktop_app.core.events import Finish, ReasoningDelta, TextDelta, Usage
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.net.session import HttpClient
from desktop_app.providers.openai_compat import OpenAICompatible
from tests.integration.providers.helpers import (
    ChunkLog,
    assert_cancel_disconnects,
    collect,
    collect_until_error,
    json_reply,
    send_then_stall,
    text_of,
    write_one_by_one,
)
from tests.support.server import Handler, ScriptedServer, stream_chunks

SSE = "text/event-stream"
REQUEST = ChatRequest.of([{"role": "user", "content": "Привет"}], "test-model")


def event(data: object) -> bytes:
    """One SSE event with CRLF line ends, as some servers (and proxies) send them."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\r\n\r\n".encode()


def delta(**fields: object) -> bytes:
    return event({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": fields}]})


def sse(*chunks: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, list(chunks), content_type=SSE, status=status, headers=headers)

    return handle


PING = b": ping\r\n\r\n"
MESSY = [
    PING,
    delta(role="assistant", content=None),  # the first delta carries only the role
    delta(reasoning_content="Думаю"),
    delta(reasoning=" ещё"),  # OpenRouter / newer servers call it `reasoning`
    PING,
    delta(content="При") + delta(content="вет"),  # several events in one chunk
    event({"choices": [{"index": 0, "delta": {"content": "!"}, "finish_reason": "stop"}]}),
    event({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}),
    event("[DONE]"),
]
MESSY_EVENTS = [
    ReasoningDelta("Думаю"),
    ReasoningDelta(" ещё"),
    TextDelta("При"),
    TextDelta("вет"),
    TextDelta("!"),
    Usage(5, 3, 8),
    Finish("stop"),
]


async def test_messy_stream_in_chunks_as_sent(server: ScriptedServer, log: ChunkLog) -> None:
    reasoning = MESSY[2]
    mid_json = reasoning.index(b"reasoning_content") + 5  # a data line cut inside its JSON
    parts = [*MESSY[:2], reasoning[:mid_json], reasoning[mid_json:], *MESSY[3:]]

    async def handle(request: web.Request) -> web.StreamResponse:
        return await write_one_by_one(request, parts, log, content_type=SSE)

    server.handle = handle
    events = await collect(OpenAICompatible(server.url("/v1"), http=log), REQUEST)
    assert log.chunks == parts
    assert events == MESSY_EVENTS


async def test_messy_stream_split_at_every_byte(server: ScriptedServer, log: ChunkLog) -> None:
    data = b"".join(MESSY)
    provider = OpenAICompatible(server.url("/v1"), http=log)
    for cut in range(1, len(data)):
        parts = [data[:cut], data[cut:]]

        async def handle(request: web.Request, parts: list[bytes] = parts) -> web.StreamResponse:
            return await write_one_by_one(request, parts, log, content_type=SSE)

        server.handle = handle
        log.chunks.clear()
        assert await collect(provider, REQUEST) == MESSY_EVENTS, cut


async def test_stream_without_done_ends_cleanly(server: ScriptedServer, http: HttpClient) -> None:
    provider = OpenAICompatible(server.url("/v1"), http=http)
    finished = event({"choices": [{"index": 0, "delta": {"content": "b"}, "finish_reason": "length"}]})
    server.handle = sse(delta(content="a"), finished)
    assert await collect(provider, REQUEST) == [TextDelta("a"), TextDelta("b"), Finish("length")]

    # No finish_reason, no [DONE], no final blank line: the last event still counts.
    server.handle = sse(delta(content="a"), b'data: {"choices":[{"delta":{"content":"z"}}]}')
    assert await collect(provider, REQUEST) == [TextDelta("a"), TextDelta("z"), Finish("stop")]


@pytest.mark.parametrize(
    ("error", "expected", "status"),
    [
        ({"message": "Rate limit reached for requests", "code": 429}, RateLimitError, 429),
        (
            {
                "message": "The model `test-model` does not exist",
                "type": "invalid_request_error",
                "code": "model_not_found",
            },
            ModelNotFoundError,
            None,
        ),
        ({"message": "Incorrect API key provided", "code": "invalid_api_key"}, AuthError, None),
        ({"message": "Upstream provider disconnected"}, ServerError, None),
        ({"message": "Overloaded", "type": "server_error", "code": "502"}, ServerError, 502),
    ],
    ids=["rate-limit", "model", "key", "no-code", "code-as-text"],
)
async def test_in_band_error_after_text(
    server: ScriptedServer,
    http: HttpClient,
    error: dict[str, object],
    expected: type[ProviderError],
    status: int | None,
) -> None:
    server.handle = sse(delta(content="Част"), event({"error": error}))
    seen, raised = await collect_until_error(
        OpenAICompatible(server.url("/v1"), http=http, name="Router"), REQUEST, expected
    )
    assert text_of(seen) == "Част"
    assert isinstance(raised, ProviderError)
    assert raised.status == status
    message = str(raised)
    assert message.startswith("Router: ")
    assert str(error["message"]) in message
    assert "\n" not in message
    if expected is ModelNotFoundError:
        assert isinstance(raised, ModelNotFoundError)
        assert raised.model == "test-model"
        assert "'test-model'" in message


async def test_vllm_style_error_object_and_error_event(server: ScriptedServer, http: HttpClient) -> None:
    provider = OpenAICompatible(server.url("/v1"), http=http)
    vllm = {"object": "error", "message": "maximum context length is 4096 tokens", "code": 400}
    server.handle = sse(event(vllm))
    _, raised = await collect_until_error(provider, REQUEST, BadRequestError)
    assert "maximum context length is 4096 tokens" in str(raised)

    server.handle = sse(delta(content="a"), b"event: error\r\ndata: engine overloaded\r\n\r\n")
    seen, raised = await collect_until_error(provider, REQUEST, ServerError)
    assert text_of(seen) == "a"
    assert "engine overloaded" in str(raised)


async def test_malformed_json_line_is_a_protocol_error(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = sse(delta(content="ok"), b'data: {"choices": [{"delta": {"content": "br\r\n\r\n')
    seen, raised = await collect_until_error(
        OpenAICompatible(server.url("/v1"), http=http), REQUEST, ProtocolError
    )
    assert text_of(seen) == "ok"
    assert "malformed stream" in str(raised)
    assert '{"choices": [{"delta": {"content": "br' in str(raised)


async def test_401_is_an_auth_error(server: ScriptedServer, http: HttpClient) -> None:
    body = {"error": {"message": "Incorrect API key provided: sk-wr***ng", "type": "invalid_request_error"}}

    async def handle(request: web.Request) -> web.StreamResponse:
        return json_reply(body, status=401)

    server.handle = handle
    _, raised = await collect_until_error(
        OpenAICompatible(server.url("/v1"), "sk-wrong", http=http), REQUEST, AuthError
    )
    assert "HTTP 401 Unauthorized" in str(raised)
    assert "Incorrect API key provided" in str(raised)


async def test_404_unknown_model_names_the_model(server: ScriptedServer, http: HttpClient) -> None:
    body = {"error": {"message": "The model `test-model` does not exist", "code": "model_not_found"}}

    async def handle(request: web.Request) -> web.StreamResponse:
        return json_reply(body, status=404)

    server.handle = handle
    _, raised = await collect_until_error(
        OpenAICompatible(server.url("/v1"), http=http), REQUEST, ModelNotFoundError
    )
    assert isinstance(raised, ModelNotFoundError)
    assert raised.model == "test-model"
    assert "model 'test-model' was not found" in str(raised)


async def test_404_without_a_model_message_is_the_wrong_base_url(
    server: ScriptedServer, http: HttpClient
) -> None:
    server.handle = None  # the scripted server answers 404 Not Found
    _, raised = await collect_until_error(
        OpenAICompatible(server.url("/"), http=http), REQUEST, EndpointNotFoundError
    )
    assert "/v1" in str(raised)
    assert server.requests[0].path == "/chat/completions"


async def test_429_carries_retry_after(server: ScriptedServer, http: HttpClient) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return json_reply({"error": {"message": "Slow down"}}, status=429, headers={"Retry-After": "7"})

    server.handle = handle
    _, raised = await collect_until_error(
        OpenAICompatible(server.url("/v1"), http=http), REQUEST, RateLimitError
    )
    assert isinstance(raised, RateLimitError)
    assert raised.retry_after == 7.0
    assert "Try again in 7 s" in str(raised)
    assert "Slow down" in str(raised)


async def test_request_body_and_headers(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = sse(delta(content="ok"), event("[DONE]"))
    provider = OpenAICompatible(
        server.url("/v1/"), "sk-test", {"X-Title": "Parley"}, name="Router", http=http
    )
    request = ChatRequest(
        (Message(Role.SYSTEM, "Be brief."), Message(Role.USER, "Hi")), "m-1", temperature=0.2, max_tokens=50
    )
    assert text_of(await collect(provider, request)) == "ok"

    seen = server.requests[0]
    assert (seen.method, seen.path) == ("POST", "/v1/chat/completions")
    headers = dict(seen.raw_headers)
    assert headers["Authorization"] == "Bearer sk-test"
    assert headers["X-Title"] == "Parley"
    assert json.loads(seen.body) == {
        "model": "m-1",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
        "max_tokens": 50,
    }


async def test_no_authorization_header_without_a_key(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = sse(delta(content="ok"), event("[DONE]"))
    await collect(OpenAICompatible(server.url("/v1"), http=http), REQUEST)
    seen = server.requests[0]
    assert all(name.lower() != "authorization" for name, _ in seen.raw_headers)
    body = json.loads(seen.body)
    assert "temperature" not in body
    assert "max_tokens" not in body


async def test_list_models_sorted_with_the_key(server: ScriptedServer, http: HttpClient) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        models = [{"id": "zeta", "object": "model"}, {"id": "alpha"}, {"id": "mid"}, {"object": "junk"}]
        return json_reply({"object": "list", "data": models})

    server.handle = handle
    provider = OpenAICompatible(server.url("/v1/"), "sk-list", http=http)
    assert await provider.list_models() == ["alpha", "mid", "zeta"]
    seen = server.requests[0]
    assert (seen.method, seen.path) == ("GET", "/v1/models")
    assert dict(seen.raw_headers)["Authorization"] == "Bearer sk-list"


async def test_list_models_errors(server: ScriptedServer, http: HttpClient) -> None:
    provider = OpenAICompatible(server.url("/v1"), http=http)

    async def unauthorized(request: web.Request) -> web.StreamResponse:
        return json_reply({"error": {"message": "No key"}}, status=401)

    server.handle = unauthorized
    with pytest.raises(AuthError):
        await provider.list_models()

    async def wrong_shape(request: web.Request) -> web.StreamResponse:
        return json_reply({"models": []})

    server.handle = wrong_shape
    with pytest.raises(ProtocolError, match="model list"):
        await provider.list_models()


async def test_plain_json_answer_from_a_server_that_ignores_stream(
    server: ScriptedServer, http: HttpClient
) -> None:
    completion = {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Whole"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }

    async def handle(request: web.Request) -> web.StreamResponse:
        return json_reply(completion)

    server.handle = handle
    events = await collect(OpenAICompatible(server.url("/v1"), http=http), REQUEST)
    assert events == [TextDelta("Whole"), Usage(1, 1, 2), Finish("stop")]


async def test_empty_or_non_sse_body_is_a_protocol_error(server: ScriptedServer, http: HttpClient) -> None:
    provider = OpenAICompatible(server.url("/v1"), http=http)
    server.handle = sse()
    _, raised = await collect_until_error(provider, REQUEST, ProtocolError)
    assert "without sending anything" in str(raised)

    server.handle = sse(b"hello there, this is not an event stream\n")
    _, raised = await collect_until_error(provider, REQUEST, ProtocolError)
    assert "malformed stream" in str(raised)
    assert "hello there" in str(raised)


async def test_cancelling_the_consumer_closes_the_connection(
    server: ScriptedServer, http: HttpClient
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await send_then_stall(request, delta(content="Hi"), content_type=SSE)

    server.handle = handle
    await assert_cancel_disconnects(OpenAICompatible(server.url("/v1"), http=http), REQUEST, server)


def test_base_url_needs_a_scheme() -> None:
    with pytest.raises(ConfigurationError, match="http://"):
        OpenAICompatible("127.0.0.1:8080/v1")


def test_repr_never_shows_the_key() -> None:
    provider = OpenAICompatible("http://127.0.0.1:9/v1", "sk-secret")
    assert "sk-secret" not in repr(provider)
