"""Tool calls on the wire, against local servers: OpenAI-compatible `delta.tool_calls` streamed in
fragments (split mid-JSON, interleaved, malformed), Ollama's whole `message.tool_calls`, the exact
request bodies with tools, calls and results, and Yqcloud refusing tools before sending."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from desktop_app.core.events import Finish, TextDelta, ToolCallsEvent, Usage
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.core.tools import ToolArgumentsError, ToolCall, ToolResult, ToolsNotSupportedError, ToolSpec
from desktop_app.net.session import HttpClient
from desktop_app.providers.ollama import Ollama
from desktop_app.providers.openai_compat import OpenAICompatible
from desktop_app.providers.yqcloud import Yqcloud
from tests.integration.providers.helpers import ChunkLog, collect, collect_until_error, write_one_by_one
from tests.support.server import Handler, ScriptedServer, stream_chunks

SSE = "text/event-stream"
NDJSON = "application/x-ndjson"

WEATHER = ToolSpec(
    "get_weather",
    "The weather in a city now.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    server="weather-mcp",
)
TIME = ToolSpec("get_time", "The time now.", {"type": "object", "properties": {}})
QUESTION = Message(Role.USER, "Погода в Берлине и время?")
REQUEST = ChatRequest((QUESTION,), "m-1", tools=(WEATHER, TIME))


def event(data: object) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\r\n\r\n".encode()


def chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
    return event({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def fragment(index: int, *, id: str = "", name: str = "", arguments: str = "") -> dict[str, object]:
    piece: dict[str, object] = {"index": index}
    function: dict[str, object] = {"arguments": arguments}
    if id:
        piece |= {"id": id, "type": "function"}
        function["name"] = name
    piece["function"] = function
    return piece


def calls(*fragments: dict[str, object]) -> bytes:
    return chunk({"tool_calls": list(fragments)})


def sse(*chunks: bytes) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, list(chunks), content_type=SSE)

    return handle


FINISHED = chunk({}, finish="tool_calls")
USAGE = event({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}})
DONE = event("[DONE]")


# --- OpenAI-compatible: streamed calls ------------------------------------------------------------


async def test_one_call_in_fragments_split_mid_json(server: ScriptedServer, log: ChunkLog) -> None:
    parts = [
        calls(fragment(0, id="call_abc", name="get_weather")),
        calls(fragment(0, arguments='{"ci')),
        calls(fragment(0, arguments='ty": "Бер')),
        calls(fragment(0, arguments='лин"}')),
        FINISHED,
        USAGE,
        DONE,
    ]
    # One event also reaches the client cut inside a UTF-8 character of its JSON.
    cut = parts[2].index("Бер".encode()) + 1
    sent = [*parts[:2], parts[2][:cut], parts[2][cut:], *parts[3:]]

    async def handle(request: web.Request) -> web.StreamResponse:
        return await write_one_by_one(request, sent, log, content_type=SSE)

    server.handle = handle
    events = await collect(OpenAICompatible(server.url("/v1"), http=log), REQUEST)
    assert log.chunks == sent
    call = ToolCall("call_abc", "get_weather", '{"city": "Берлин"}')
    assert events == [ToolCallsEvent((call,)), Usage(9, 4, 13), Finish("tool_calls")]
    assert call.arguments() == {"city": "Берлин"}


async def test_text_then_two_interleaved_calls(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = sse(
        chunk({"role": "assistant", "content": "Сейчас узнаю."}),
        calls(fragment(0, id="call_1", name="get_weather", arguments="")),
        calls(fragment(1, id="call_2", name="get_time", arguments="{")),
        calls(fragment(0, arguments='{"city":')),
        calls(fragment(1, arguments="}"), fragment(0, arguments=' "Berlin"}')),  # two in one delta
        FINISHED,
        DONE,
    )
    events = await collect(OpenAICompatible(server.url("/v1"), http=http), REQUEST)
    assert events == [
        TextDelta("Сейчас узнаю."),
        ToolCallsEvent(
            (
                ToolCall("call_1", "get_weather", '{"city": "Berlin"}'),
                ToolCall("call_2", "get_time", "{}"),
            )
        ),
        Finish("tool_calls"),
    ]


async def test_malformed_arguments_are_still_a_call(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = sse(
        calls(fragment(0, id="call_bad", name="get_weather", arguments='{"city": "Berl')),
        calls(fragment(1, id="call_list", name="get_time", arguments="[1, 2]")),
        FINISHED,
        DONE,
    )
    events = await collect(OpenAICompatible(server.url("/v1"), http=http), REQUEST)
    assert isinstance(events[0], ToolCallsEvent)
    bad, listed = events[0].calls
    assert bad == ToolCall("call_bad", "get_weather", '{"city": "Berl')
    with pytest.raises(ToolArgumentsError) as caught:
        bad.arguments()
    message = str(caught.value)
    assert "get_weather" in message
    assert "not valid JSON" in message
    assert "\n" not in message
    with pytest.raises(ToolArgumentsError, match="got a JSON list"):
        listed.arguments()
    assert events[-1] == Finish("tool_calls")


async def test_calls_without_finish_reason_or_done_come_at_the_end(
    server: ScriptedServer, http: HttpClient
) -> None:
    server.handle = sse(calls(fragment(0, id="c9", name="get_time", arguments="{}")))
    events = await collect(OpenAICompatible(server.url("/v1"), http=http), REQUEST)
    assert events == [ToolCallsEvent((ToolCall("c9", "get_time", "{}"),)), Finish("stop")]


async def test_calls_with_finish_reason_stop_and_no_ids(server: ScriptedServer, http: HttpClient) -> None:
    """Some servers say "stop" after calls, and some local ones send no id: stable ids by index."""
    server.handle = sse(
        calls({"index": 0, "function": {"name": "get_time", "arguments": "{}"}}),
        chunk({}, finish="stop"),
        DONE,
    )
    events = await collect(OpenAICompatible(server.url("/v1"), http=http), REQUEST)
    assert events == [ToolCallsEvent((ToolCall("call_0", "get_time", "{}"),)), Finish("stop")]


async def test_a_plain_json_answer_with_calls(server: ScriptedServer, http: HttpClient) -> None:
    """A server that ignores `stream: true` answers one JSON document with `message.tool_calls`."""
    answer = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_x",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }

    async def handle(request: web.Request) -> web.StreamResponse:
        return web.json_response(answer)

    server.handle = handle
    events = await collect(OpenAICompatible(server.url("/v1"), http=http), REQUEST)
    assert events == [
        ToolCallsEvent((ToolCall("call_x", "get_weather", '{"city":"Oslo"}'),)),
        Finish("tool_calls"),
    ]


# --- OpenAI-compatible: request bodies -------------------------------------------------------------


def openai_tools() -> list[dict[str, object]]:
    return [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city now.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "The time now.",
                "parameters": {"type": "object", "properties": {}},
            },
        },
    ]


FOLLOW_UP = ChatRequest(
    (
        QUESTION,
        Message.assistant_calls(
            [ToolCall("call_1", "get_weather", '{"city": "Berlin"}'), ToolCall("call_2", "get_time", "{}")]
        ),
        Message.tool_result(ToolResult("call_1", "get_weather", "12 °C, rain")),
        Message.tool_result(ToolResult("call_2", "get_time", "unknown tool", is_error=True)),
        Message.assistant_calls([ToolCall("call_3", "get_time", "{}")], content="Ещё раз."),
        Message.tool_result(ToolResult("call_3", "get_time", "10:00")),
    ),
    "m-1",
    tools=(WEATHER, TIME),
)


async def test_request_body_with_tools_calls_and_results(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = sse(chunk({"content": "ok"}), DONE)
    await collect(OpenAICompatible(server.url("/v1"), http=http), FOLLOW_UP)
    assert json.loads(server.requests[0].body) == {
        "model": "m-1",
        "messages": [
            {"role": "user", "content": "Погода в Берлине и время?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Berlin"}'},
                    },
                    {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "12 °C, rain"},
            {"role": "tool", "tool_call_id": "call_2", "content": "unknown tool"},
            {
                "role": "assistant",
                "content": "Ещё раз.",
                "tool_calls": [
                    {"id": "call_3", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_3", "content": "10:00"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "tools": openai_tools(),
    }


async def test_request_without_tools_is_byte_identical(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = sse(chunk({"content": "ok"}), DONE)
    request = ChatRequest((Message(Role.SYSTEM, "Be brief."), QUESTION), "m-1", temperature=0.5)
    await collect(OpenAICompatible(server.url("/v1"), http=http), request)
    assert (
        server.requests[0].body
        == json.dumps(
            {
                "model": "m-1",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Погода в Берлине и время?"},
                ],
                "stream": True,
                "stream_options": {"include_usage": True},
                "temperature": 0.5,
            }
        ).encode()
    )


# --- Ollama ------------------------------------------------------------------------------------


def line(data: dict[str, object]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode() + b"\n"


def ollama_message(content: str = "", tool_calls: list[object] | None = None, **extra: object) -> bytes:
    message: dict[str, object] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return line({"model": "qwen3", "message": message, "done": False, **extra})


OLLAMA_DONE = line(
    {
        "model": "qwen3",
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 20,
        "eval_count": 5,
    }
)


def ndjson(*chunks: bytes) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, list(chunks), content_type=NDJSON)

    return handle


async def test_ollama_calls_get_json_text_and_stable_ids(server: ScriptedServer, http: HttpClient) -> None:
    weather = {"function": {"name": "get_weather", "arguments": {"city": "Берлин"}}}
    clock = {"function": {"name": "get_time", "arguments": {}}}
    whole = (
        ollama_message("Узнаю.") + ollama_message(tool_calls=[weather]) + ollama_message(tool_calls=[clock])
    )
    cut = whole.index("Берлин".encode()) + 3  # mid-line and mid-character
    server.handle = ndjson(whole[:cut], whole[cut:], OLLAMA_DONE)
    events = await collect(Ollama(server.url(), http=http), REQUEST)
    assert events == [
        TextDelta("Узнаю."),
        ToolCallsEvent(
            (
                ToolCall("call_0", "get_weather", '{"city": "Берлин"}'),
                ToolCall("call_1", "get_time", "{}"),
            )
        ),
        Usage(20, 5, 25),
        Finish("stop"),
    ]


async def test_ollama_calls_without_done_line(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = ndjson(ollama_message(tool_calls=[{"function": {"name": "get_time", "arguments": {}}}]))
    events = await collect(Ollama(server.url(), http=http), REQUEST)
    assert events == [ToolCallsEvent((ToolCall("call_0", "get_time", "{}"),)), Finish("stop")]


async def test_ollama_request_body_with_tools_calls_and_results(
    server: ScriptedServer, http: HttpClient
) -> None:
    server.handle = ndjson(ollama_message("ok"), OLLAMA_DONE)
    request = ChatRequest(
        (
            QUESTION,
            Message.assistant_calls(
                [
                    ToolCall("call_0", "get_weather", '{"city": "Berlin"}'),
                    ToolCall("call_1", "get_time", "{oops"),
                ]
            ),
            Message.tool_result(ToolResult("call_0", "get_weather", "12 °C")),
            Message.tool_result(ToolResult("call_1", "get_time", "bad arguments", is_error=True)),
        ),
        "qwen3",
        tools=(WEATHER, TIME),
    )
    await collect(Ollama(server.url(), http=http), request)
    assert json.loads(server.requests[0].body) == {
        "model": "qwen3",
        "messages": [
            {"role": "user", "content": "Погода в Берлине и время?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"city": "Berlin"}}},
                    {"function": {"name": "get_time", "arguments": {}}},  # never parsed: an empty object
                ],
            },
            {"role": "tool", "content": "12 °C", "tool_name": "get_weather"},
            {"role": "tool", "content": "bad arguments", "tool_name": "get_time"},
        ],
        "stream": True,
        "tools": openai_tools(),
    }


async def test_ollama_request_without_tools_is_byte_identical(
    server: ScriptedServer, http: HttpClient
) -> None:
    server.handle = ndjson(ollama_message("ok"), OLLAMA_DONE)
    await collect(Ollama(server.url(), http=http), ChatRequest((QUESTION,), "qwen3", max_tokens=9))
    assert (
        server.requests[0].body
        == json.dumps(
            {
                "model": "qwen3",
                "messages": [{"role": "user", "content": "Погода в Берлине и время?"}],
                "stream": True,
                "options": {"num_predict": 9},
            }
        ).encode()
    )


# --- Yqcloud ------------------------------------------------------------------------------------


async def test_yqcloud_refuses_tools_before_sending(server: ScriptedServer, http: HttpClient) -> None:
    provider = Yqcloud(api_endpoint=server.url("/api/generateStream"), http=http)
    seen, raised = await collect_until_error(provider, REQUEST, ToolsNotSupportedError)
    assert seen == []
    assert server.requests == []
    message = str(raised)
    assert message.startswith("Yqcloud: this provider cannot call tools")
    assert "\n" not in message
