"""Ollama's native API against a local server: NDJSON split anywhere, thinking, counts at the end,
errors in band and as statuses, and the model list."""

from __future__ import annotations

import json

from aiohttp import web

from desktop_app.core.errors import ModelNotFoundError, ProtocolError, ServerError
from desktop_app.core.events import Finish, ReasoningDelta, TextDelta, Usage
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.net.session import HttpClient
from desktop_app.providers.ollama import Ollama
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

NDJSON = "application/x-ndjson"
REQUEST = ChatRequest.of([{"role": "user", "content": "Привет"}], "qwen3:0.6b")


def line(data: dict[str, object]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode() + b"\n"


def message(content: str = "", thinking: str | None = None) -> bytes:
    msg: dict[str, object] = {"role": "assistant", "content": content}
    if thinking is not None:
        msg["thinking"] = thinking
    return line({"model": "qwen3:0.6b", "message": msg, "done": False})


def done(reason: str | None = "stop", prompt: int = 12, completion: int = 7) -> bytes:
    data: dict[str, object] = {
        "model": "qwen3:0.6b",
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "prompt_eval_count": prompt,
        "eval_count": completion,
    }
    if reason is not None:
        data["done_reason"] = reason
    return line(data)


def ndjson(*chunks: bytes, status: int = 200) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, list(chunks), content_type=NDJSON, status=status)

    return handle


ANSWER = [message(thinking="Хм, "), message(thinking="думаю."), message("При"), message("вет!"), done()]
ANSWER_EVENTS = [
    ReasoningDelta("Хм, "),
    ReasoningDelta("думаю."),
    TextDelta("При"),
    TextDelta("вет!"),
    Usage(12, 7, 19),
    Finish("stop"),
]


async def test_lines_split_at_every_byte(server: ScriptedServer, log: ChunkLog) -> None:
    data = b"".join(ANSWER)
    provider = Ollama(server.url(), http=log)
    for cut in range(1, len(data)):
        parts = [data[:cut], data[cut:]]

        async def handle(request: web.Request, parts: list[bytes] = parts) -> web.StreamResponse:
            return await write_one_by_one(request, parts, log, content_type=NDJSON)

        server.handle = handle
        log.chunks.clear()
        assert await collect(provider, REQUEST) == ANSWER_EVENTS, cut
        assert log.chunks == parts, cut
    assert len(server.requests) == len(data) - 1


async def test_done_reason_and_counts(server: ScriptedServer, http: HttpClient) -> None:
    provider = Ollama(server.url(), http=http)
    server.handle = ndjson(message("a"), done("length", prompt=3, completion=5))
    assert await collect(provider, REQUEST) == [TextDelta("a"), Usage(3, 5, 8), Finish("length")]

    server.handle = ndjson(message("a"), done(None))
    assert (await collect(provider, REQUEST))[-1] == Finish("stop")


async def test_request_body(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = ndjson(message("ok"), done())
    request = ChatRequest(
        (Message(Role.SYSTEM, "Be brief."), Message(Role.USER, "Hi")),
        "llama3.2",
        temperature=0.5,
        max_tokens=64,
    )
    await collect(Ollama(server.url("/"), http=http), request)
    seen = server.requests[0]
    assert (seen.method, seen.path) == ("POST", "/api/chat")
    assert json.loads(seen.body) == {
        "model": "llama3.2",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "stream": True,
        "options": {"temperature": 0.5, "num_predict": 64},
    }
    assert all(name.lower() != "authorization" for name, _ in seen.raw_headers)

    await collect(Ollama(server.url(), http=http), REQUEST)
    assert "options" not in json.loads(server.requests[1].body)


async def test_in_band_error_line_after_text(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = ndjson(
        message("Нач"), line({"error": "llama runner process has terminated: signal: killed"})
    )
    seen, raised = await collect_until_error(Ollama(server.url(), http=http), REQUEST, ServerError)
    assert text_of(seen) == "Нач"
    assert "llama runner process has terminated" in str(raised)
    assert str(raised).startswith("Ollama: ")
    assert "\n" not in str(raised)


async def test_in_band_model_not_found_names_the_model(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = ndjson(line({"error": 'model "qwen3:0.6b" not found, try pulling it first'}))
    _, raised = await collect_until_error(Ollama(server.url(), http=http), REQUEST, ModelNotFoundError)
    assert isinstance(raised, ModelNotFoundError)
    assert raised.model == "qwen3:0.6b"
    assert "model 'qwen3:0.6b' was not found" in str(raised)
    assert raised.status is None  # it came in band: no HTTP status is claimed


async def test_404_model_not_found_names_the_model(server: ScriptedServer, http: HttpClient) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return json_reply({"error": 'model "qwen3:0.6b" not found, try pulling it first'}, status=404)

    server.handle = handle
    _, raised = await collect_until_error(Ollama(server.url(), http=http), REQUEST, ModelNotFoundError)
    assert isinstance(raised, ModelNotFoundError)
    assert raised.model == "qwen3:0.6b"
    assert "HTTP 404" in str(raised)
    assert "try pulling it first" in str(raised)


async def test_malformed_line_is_a_protocol_error(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = ndjson(message("ok"), b"<html>oops</html>\n")
    seen, raised = await collect_until_error(Ollama(server.url(), http=http), REQUEST, ProtocolError)
    assert text_of(seen) == "ok"
    assert "malformed stream" in str(raised)
    assert "<html>oops</html>" in str(raised)


async def test_body_ending_without_done_still_finishes(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = ndjson(message("a"), message("b"))
    assert await collect(Ollama(server.url(), http=http), REQUEST) == [
        TextDelta("a"),
        TextDelta("b"),
        Finish("stop"),
    ]


async def test_list_models_from_tags(server: ScriptedServer, http: HttpClient) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        models = [{"name": "qwen3:0.6b", "size": 1}, {"name": "llama3.2:latest"}, {"model": "nameless"}]
        return json_reply({"models": models})

    server.handle = handle
    assert await Ollama(server.url(), http=http).list_models() == ["llama3.2:latest", "qwen3:0.6b"]
    assert (server.requests[0].method, server.requests[0].path) == ("GET", "/api/tags")


async def test_cancelling_the_consumer_closes_the_connection(
    server: ScriptedServer, http: HttpClient
) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await send_then_stall(request, message("Hi"), content_type=NDJSON)

    server.handle = handle
    await assert_cancel_disconnects(Ollama(server.url(), http=http), REQUEST, server)
