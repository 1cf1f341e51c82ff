"""Ollama's native API: a streaming `POST {base}/api/chat` read as newline-delimited JSON.

Images go in the message's `images` (base64, no data: prefix), documents after its text under
their names. Whether a model sees images comes from `POST {base}/api/show` (`capabilities`).

Tools: `request.tools` go out as `tools` in the OpenAI function shape (absent without any). Calls
arrive whole in `message.tool_calls` with `arguments` as a JSON object: they are kept as JSON text
(`ToolCall.arguments_json`) and, since Ollama gives no ids, named call_0, call_1, ... in the order
of the answer (an id the server does send is kept). They come out as one `ToolCallsEvent` before
`Usage`/`Finish` (or at the end of a stream without `done`). Going back, an assistant message's
calls are `{"function": {"name", "arguments": {...}}}` (arguments that never parsed go back as
`{}`), and a result is `{"role": "tool", "content", "tool_name"}`."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import AsyncGenerator, Iterator, Mapping
from typing import Any

from desktop_app.core.errors import ProtocolError
from desktop_app.core.events import Finish, ReasoningDelta, StreamEvent, TextDelta, ToolCallsEvent, Usage
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.core.tools import ToolArgumentsError, ToolCall
from desktop_app.core.vision import ModelFacts
from desktop_app.net.decoding import LineSplitter, loads_json_line
from desktop_app.net.session import HttpClient, NetworkConfig
from desktop_app.providers.base import AsyncGeneratorProvider, checked_base_url, in_band_error, post_json
from desktop_app.providers.openai_compat import wire_tool

DEFAULT_BASE_URL = ProviderKind.OLLAMA.facts.url.default


class Ollama(AsyncGeneratorProvider):
    supports_tools = True

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        name: str = "Ollama",
        http: HttpClient | None = None,
        network: NetworkConfig | None = None,
        vision_overrides: Mapping[str, bool] | None = None,
    ) -> None:
        super().__init__(http=http, network=network, vision_overrides=vision_overrides)
        self.name = name
        self.base_url = checked_base_url(base_url, what="Ollama address", example=DEFAULT_BASE_URL)

    def __repr__(self) -> str:
        return f"Ollama({self.base_url!r}, name={self.name!r})"

    async def _events(self, request: ChatRequest, http: HttpClient) -> AsyncGenerator[StreamEvent, None]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [wire_message(m) for m in request.messages],
            "stream": True,
        }
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        if options:
            body["options"] = options
        if request.tools:
            body["tools"] = [wire_tool(tool) for tool in request.tools]
        calls: list[ToolCall] = []  # this answer's calls so far
        lines = LineSplitter()
        stream = http.stream(
            "POST",
            f"{self.base_url}/api/chat",
            provider=self.name,
            json_body=body,
            headers={"Accept": "application/x-ndjson"},
            model=request.model,
        )
        async with contextlib.aclosing(stream) as chunks:
            async for chunk in chunks:
                for line in self._parsed(lines.feed(chunk)):
                    for event in self._events_of(line, request.model, calls):
                        yield event
                        if isinstance(event, Finish):
                            return  # leaving the block closes the response
        for line in self._parsed(lines.flush()):
            for event in self._events_of(line, request.model, calls):
                yield event
                if isinstance(event, Finish):
                    return
        # The body ended cleanly without `done: true` (Ollama always sends it; a proxy may not).
        if calls:
            yield ToolCallsEvent(tuple(calls))
        yield Finish("stop")

    def _parsed(self, lines: list[bytes]) -> Iterator[object]:
        """Each complete line as JSON, one at a time: the lines before a malformed one in the same
        chunk still arrive (net's NdjsonDecoder parses a whole chunk before returning any)."""
        for raw in lines:
            if not raw.strip():
                continue
            try:
                yield loads_json_line(raw)
            except ValueError:
                excerpt = raw[:80].decode("utf-8", errors="replace")
                raise ProtocolError(
                    f"malformed stream: {excerpt!r} is not JSON", provider=self.name
                ) from None

    def _events_of(self, line: object, model: str, calls: list[ToolCall]) -> list[StreamEvent]:
        if not isinstance(line, dict):
            raise ProtocolError(f"malformed stream: {line!r:.80} is not a JSON object", provider=self.name)
        if line.get("error") is not None:
            raise in_band_error(line["error"], provider=self.name, model=model)
        # Runs once per token: truth tests first (most values are None or empty), type checks after.
        events: list[StreamEvent] = []
        message = line.get("message")
        if isinstance(message, dict):
            thinking = message.get("thinking")
            if thinking and isinstance(thinking, str):
                events.append(ReasoningDelta(thinking))
            content = message.get("content")
            if content and isinstance(content, str):
                events.append(TextDelta(content))
            tool_calls = message.get("tool_calls")
            if tool_calls and isinstance(tool_calls, list):
                calls += _tool_calls(tool_calls, start=len(calls))
        if line.get("done") is True:
            if calls:
                events.append(ToolCallsEvent(tuple(calls)))
                calls.clear()
            prompt = _count(line.get("prompt_eval_count"))
            completion = _count(line.get("eval_count"))
            total = prompt + completion if prompt is not None and completion is not None else None
            events.append(Usage(prompt, completion, total))
            reason = line.get("done_reason")
            events.append(Finish(reason if isinstance(reason, str) and reason else "stop"))
        return events

    async def list_models(self) -> list[str]:
        async with self._client() as http:
            data = await http.get_json(f"{self.base_url}/api/tags", provider=self.name)
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, list):
            raise ProtocolError("the model list has no 'models' array", provider=self.name)
        return sorted({m["name"] for m in models if isinstance(m, dict) and isinstance(m.get("name"), str)})

    async def _fetch_facts(self, model: str) -> ModelFacts:
        async with self._client() as http:
            shown = await post_json(http, f"{self.base_url}/api/show", {"model": model}, provider=self.name)
        return facts_from_show(shown, model)


def wire_message(message: Message) -> dict[str, Any]:
    """A message as /api/chat takes it: the text with documents under their names, and `images`
    (base64) when it has any. A message without parts is the text-only shape, unchanged. A tool
    result adds `tool_name`; an assistant message with calls adds `tool_calls`."""
    wire: dict[str, Any] = message.as_dict()
    images = message.images
    if images:
        wire["images"] = [base64.b64encode(image.data).decode("ascii") for image in images]
    if message.role is Role.TOOL:
        wire["tool_name"] = message.name
    if message.tool_calls:
        wire["tool_calls"] = [
            {"function": {"name": call.name, "arguments": _arguments_object(call)}}
            for call in message.tool_calls
        ]
    return wire


def _arguments_object(call: ToolCall) -> dict[str, Any]:
    try:
        return call.arguments()
    except ToolArgumentsError:
        return {}  # Ollama takes an object only; the error result told the model what went wrong


def _tool_calls(items: list[Any], *, start: int) -> list[ToolCall]:
    """Calls from one line's `message.tool_calls`; ids call_{n} numbered through the answer."""
    calls: list[ToolCall] = []
    for item in items:
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict):
            continue
        name = function.get("name")
        arguments = function.get("arguments")
        if isinstance(arguments, str):  # a proxy that passes the OpenAI text through
            text = arguments
        else:
            text = json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)
        given = item.get("id")
        call_id = given if isinstance(given, str) and given else f"call_{start + len(calls)}"
        calls.append(ToolCall(call_id, name if isinstance(name, str) else "", text))
    return calls


def facts_from_show(shown: object, model: str) -> ModelFacts:
    """/api/show's answer: `capabilities` (Ollama 0.6+: "completion", "vision", "tools", ...);
    from older servers a vision projector (`projector_info`, a "clip" or "mllama" family)."""
    if not isinstance(shown, dict):
        return ModelFacts(model)
    vision: bool | None = None
    source = ""
    capabilities = shown.get("capabilities")
    details = shown.get("details")
    families = details.get("families") if isinstance(details, dict) else None
    if isinstance(capabilities, list) and capabilities:
        vision, source = "vision" in capabilities, "Ollama /api/show capabilities"
    elif isinstance(shown.get("projector_info"), dict) and shown["projector_info"]:
        vision, source = True, "Ollama /api/show projector_info"
    elif isinstance(families, list) and {"clip", "mllama"} & set(map(str, families)):
        vision, source = True, "Ollama /api/show details.families"
    return ModelFacts(model, vision=vision, context_length=_context_length(shown), source=source)


def _context_length(shown: dict[str, Any]) -> int | None:
    info = shown.get("model_info")
    if not isinstance(info, dict):
        return None
    architecture = info.get("general.architecture")
    value = info.get(f"{architecture}.context_length") if isinstance(architecture, str) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
