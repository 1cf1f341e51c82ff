"""Any OpenAI-compatible chat API (OpenAI, OpenRouter, Groq, LM Studio, llama.cpp, vLLM, ...):
a streaming `POST {base_url}/chat/completions` read as server-sent events.

A message with images or documents sends `content` as an array of parts (text, each document as
a text part under its name, each image as a `data:` URL); a message without parts sends its text
as a plain string, as before.

Tools: `request.tools` go out as `tools: [{"type": "function", "function": {name, description,
parameters}}]` (no `tools` key without any, so a plain request is unchanged). An assistant message
with calls carries `tool_calls: [{"id", "type": "function", "function": {"name", "arguments"}}]`
(content null when it has no text); a tool result is `{"role": "tool", "tool_call_id", "content"}`.
Streamed `delta.tool_calls` fragments are put together by their `index` (the first brings id and
name, later ones pieces of the arguments text) and come out as one `ToolCallsEvent` at the
answer's `finish_reason` or the end of the stream.

What a model takes is read from the server's model metadata where it has some (`_fetch_facts`)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from desktop_app.core.attachments import ImagePart
from desktop_app.core.errors import EndpointNotFoundError, ProtocolError, ProviderError
from desktop_app.core.events import Finish, ReasoningDelta, StreamEvent, TextDelta, ToolCallsEvent, Usage
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.core.tools import ToolCall, ToolSpec
from desktop_app.core.vision import ModelFacts
from desktop_app.net.decoding import SseDecoder, loads_json_text
from desktop_app.net.session import HttpClient, NetworkConfig
from desktop_app.providers.base import AsyncGeneratorProvider, checked_base_url, in_band_error

# Enough of a body that is not an event stream to recognise a plain JSON answer or error in it.
_RAW_KEEP = 64 * 1024
_EXCERPT = 80
# How long one fetch of the model list answers questions about models before it is fetched again.
_LISTING_SECONDS = 60.0


class OpenAICompatible(AsyncGeneratorProvider):
    supports_tools = True

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        name: str = "OpenAI-compatible",
        http: HttpClient | None = None,
        network: NetworkConfig | None = None,
        vision_overrides: Mapping[str, bool] | None = None,
    ) -> None:
        super().__init__(http=http, network=network, vision_overrides=vision_overrides)
        self.name = name
        self.base_url = checked_base_url(base_url, what="Base URL", example="http://127.0.0.1:8080/v1")
        # The key lives only in this instance's headers: nothing else ever sees it.
        self._headers = dict(headers or {})
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._listing: tuple[float, object] | None = None  # (loop time, /models document)

    def __repr__(self) -> str:
        return f"OpenAICompatible({self.base_url!r}, name={self.name!r})"

    async def _events(self, request: ChatRequest, http: HttpClient) -> AsyncGenerator[StreamEvent, None]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [wire_message(m) for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.tools:
            body["tools"] = [wire_tool(tool) for tool in request.tools]
        reader = _ChunkReader(self.name, request.model)
        decoder = SseDecoder()
        stream = http.stream(
            "POST",
            f"{self.base_url}/chat/completions",
            provider=self.name,
            json_body=body,
            headers=self._headers,
            model=request.model,
        )
        async with contextlib.aclosing(stream) as chunks:
            async for chunk in chunks:
                reader.keep_raw(chunk)
                for data, kind, _ in decoder.feed_fields(chunk):
                    for event in reader.take(data, kind):
                        yield event
                    if reader.done:
                        return  # [DONE]: leaving the block closes the response
        for data, kind, _ in decoder.flush_fields():
            for event in reader.take(data, kind):
                yield event
            if reader.done:
                return
        for event in reader.end_without_done():
            yield event

    async def list_models(self) -> list[str]:
        async with self._client() as http:
            data = await http.get_json(f"{self.base_url}/models", provider=self.name, headers=self._headers)
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ProtocolError("the model list has no 'data' array", provider=self.name)
        ids = {e["id"] for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)}
        return sorted(ids)

    async def _fetch_facts(self, model: str) -> ModelFacts:
        """From `{base_url}/models` entries when they carry metadata (OpenRouter's
        `architecture.input_modalities`, llama.cpp's `capabilities`, Mistral's `capabilities.vision`,
        `supports_vision` and the like); then, for a plain-http server whose base URL ends in /v1
        (a local one), LM Studio's `/api/v0/models` `type` ("vlm" sees images, "llm" does not)."""
        facts = ModelFacts(model)
        with contextlib.suppress(EndpointNotFoundError):  # a server without a model list
            facts = facts_in_listing(await self._model_listing(), model, "/models")
        if facts.vision is None and self.base_url.startswith("http://") and self.base_url.endswith("/v1"):
            native_url = f"{self.base_url.removesuffix('/v1')}/api/v0/models"
            with contextlib.suppress(ProviderError):  # not LM Studio
                async with self._client() as http:
                    native = await http.get_json(native_url, provider=self.name, headers=self._headers)
                found = facts_in_listing(native, model, "LM Studio /api/v0/models")
                facts = ModelFacts(
                    model,
                    vision=found.vision,
                    context_length=facts.context_length or found.context_length,
                    source=found.source if found.vision is not None else facts.source,
                )
        return facts

    async def _model_listing(self) -> object:
        now = asyncio.get_running_loop().time()
        if self._listing is not None and now - self._listing[0] < _LISTING_SECONDS:
            return self._listing[1]
        async with self._client() as http:
            document = await http.get_json(
                f"{self.base_url}/models", provider=self.name, headers=self._headers
            )
        self._listing = (now, document)
        return document


def data_url(image: ImagePart) -> str:
    return f"data:{image.mime};base64,{base64.b64encode(image.data).decode('ascii')}"


def wire_tool(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)},
    }


def wire_tool_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments_json},
    }


def wire_message(message: Message) -> dict[str, Any]:
    """A message as the chat completions API takes it: plain string content without parts (the
    text-only shape, unchanged), otherwise an array of parts in the message's order. A tool result
    is `{"role": "tool", "tool_call_id", "content"}`; an assistant message with calls carries
    `tool_calls` (and content null when it has no text)."""
    if message.role is Role.TOOL:
        return {
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": message.text_with_documents(),
        }
    if message.tool_calls:
        wire = _content_message(message)
        if not message.parts and not wire["content"]:
            wire["content"] = None
        wire["tool_calls"] = [wire_tool_call(call) for call in message.tool_calls]
        return wire
    return _content_message(message)


def _content_message(message: Message) -> dict[str, Any]:
    if not message.parts:
        return message.as_dict()
    content: list[dict[str, Any]] = []
    if message.content:
        content.append({"type": "text", "text": message.content})
    for part in message.parts:
        if isinstance(part, ImagePart):
            content.append({"type": "image_url", "image_url": {"url": data_url(part)}})
        else:
            content.append({"type": "text", "text": part.as_text()})
    return {"role": message.role.value, "content": content}


# --- model metadata -----------------------------------------------------------------------------

_IMAGE_WORDS = frozenset({"image", "images", "vision", "multimodal", "image_input"})
_CONTEXT_KEYS = ("context_length", "max_context_length", "max_model_len", "context_window")


def facts_in_listing(document: object, model: str, where: str) -> ModelFacts:
    """The facts about `model` in a model list: `{"data": [{"id": ...}]}` (OpenAI shape, also
    LM Studio's native list) and llama.cpp's extra `{"models": [{"model"/"name": ...}]}`."""
    vision: bool | None = None
    context: int | None = None
    source = ""
    for entry in _entries_for(document, model):
        if vision is None:
            vision, key = vision_in_entry(entry)
            source = f"{where} {key}" if vision is not None else ""
        context = context or context_in_entry(entry)
    return ModelFacts(model, vision=vision, context_length=context, source=source)


def _entries_for(document: object, model: str) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    found = []
    for key in ("data", "models"):
        entries = document.get(key)
        if isinstance(entries, list):
            found += [
                e
                for e in entries
                if isinstance(e, dict) and model in (e.get("id"), e.get("model"), e.get("name"))
            ]
    return found


def vision_in_entry(entry: Mapping[str, Any]) -> tuple[bool | None, str]:
    """(does it take images, the key that said so) from one model entry; (None, "") if none."""
    architecture = entry.get("architecture")
    if isinstance(architecture, dict):
        said = _modalities(architecture.get("input_modalities"))
        if said is not None:
            return said, "architecture.input_modalities"
        modality = architecture.get("modality")  # OpenRouter's older "text+image->text"
        if isinstance(modality, str) and "->" in modality:
            return "image" in modality.split("->", 1)[0], "architecture.modality"
    for key in ("input_modalities", "modalities"):
        value = entry.get(key)
        said = _modalities(value.get("input") if isinstance(value, dict) else value)
        if said is not None:
            return said, key
    kind = entry.get("type")  # LM Studio
    if kind == "vlm":
        return True, "type"
    if kind in ("llm", "embeddings", "embedding"):
        return False, "type"
    capabilities = entry.get("capabilities")
    if isinstance(capabilities, dict):  # Mistral: {"vision": true, "completion_chat": true, ...}
        for key in ("vision", "image_input", "images"):
            if isinstance(capabilities.get(key), bool):
                return capabilities[key], f"capabilities.{key}"
    if isinstance(capabilities, list) and capabilities:  # llama.cpp: ["completion", "multimodal"]
        return bool(_IMAGE_WORDS & {str(c).lower() for c in capabilities}), "capabilities"
    for key in ("supports_vision", "supports_image_input", "vision"):
        if isinstance(entry.get(key), bool):
            return entry[key], key
    return None, ""


def _modalities(value: object) -> bool | None:
    if isinstance(value, list) and value:
        return "image" in {str(m).lower() for m in value}
    return None


def context_in_entry(entry: Mapping[str, Any]) -> int | None:
    """The context window (tokens) an entry states, if any."""
    places: list[Any] = [entry.get(key) for key in _CONTEXT_KEYS]
    top = entry.get("top_provider")
    if isinstance(top, dict):
        places.append(top.get("context_length"))
    meta = entry.get("meta")  # llama.cpp
    if isinstance(meta, dict):
        places += [meta.get("n_ctx"), meta.get("n_ctx_train")]
    return next((v for v in places if isinstance(v, int) and not isinstance(v, bool) and v > 0), None)


class _ChunkReader:
    """Turns `chat.completion.chunk` events into Parley's stream events.

    `Finish` is held back until the stream ends, so it is always the last event even though the
    usage-only chunk (`stream_options.include_usage`) comes after the one with `finish_reason`.
    """

    def __init__(self, provider: str, model: str) -> None:
        self._provider = provider
        self._model = model
        self._finish_reason: str | None = None
        self._saw_event = False
        self._raw = bytearray()
        self._calls = _ToolCallAssembler()
        self.done = False

    def keep_raw(self, chunk: bytes) -> None:
        """Keep the start of the body until an event arrives: a server that ignored `stream: true`
        (or answered an error as plain JSON) sends no events, only that body."""
        if not self._saw_event and len(self._raw) < _RAW_KEEP:
            self._raw += chunk[: _RAW_KEEP - len(self._raw)]

    def take(self, data: str, kind: str = "message") -> list[StreamEvent]:
        """The events of one SSE event with this `data` and event type `kind`."""
        self._saw_event = True
        data = data.strip()
        if data == "[DONE]":
            self.done = True
            return [*self._calls.take(), Finish(self._finish_reason or "stop")]
        try:
            chunk = loads_json_text(data)
        except ValueError:
            if kind == "error":
                raise in_band_error(data, provider=self._provider, model=self._model) from None
            raise self._malformed(f"data {_excerpt(data)!r} is not JSON") from None
        if isinstance(chunk, dict):
            # `_is_error`, inlined: this runs once per token.
            if kind == "error" or chunk.get("error") is not None or chunk.get("object") == "error":
                raise in_band_error(_error_of(chunk), provider=self._provider, model=self._model)
            return self._events_of(chunk)
        if kind == "error":
            raise in_band_error(chunk, provider=self._provider, model=self._model)
        raise self._malformed(f"data {_excerpt(data)!r} is not a JSON object")

    def end_without_done(self) -> list[StreamEvent]:
        """The body ended without `[DONE]`: fine after events, otherwise look at the plain body."""
        if self._saw_event:
            return [*self._calls.take(), Finish(self._finish_reason or "stop")]
        if not self._raw.strip():
            raise ProtocolError(
                "the server ended the answer without sending anything", provider=self._provider
            )
        try:
            whole = json.loads(self._raw)
        except ValueError:
            raise self._malformed(
                f"expected server-sent events, got {_excerpt(self._raw.decode('utf-8', 'replace'))!r}"
            ) from None
        if _is_error(whole):
            raise in_band_error(_error_of(whole), provider=self._provider, model=self._model)
        if not isinstance(whole, dict):
            raise self._malformed("expected server-sent events, got a JSON value that is no answer")
        events = self._events_of(whole, key="message")
        return [*events, *self._calls.take(), Finish(self._finish_reason or "stop")]

    def _events_of(self, chunk: dict[str, Any], key: str = "delta") -> list[StreamEvent]:
        # Runs once per token: truth tests first (most values are None or empty), type checks after.
        events: list[StreamEvent] = []
        choices = chunk.get("choices")
        # n=1 is all Parley asks for; other choices (if a server sends them) are ignored.
        choice = choices[0] if choices and isinstance(choices, list) else None
        if isinstance(choice, dict):
            delta = choice.get(key)
            if isinstance(delta, dict):
                reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                if reasoning and isinstance(reasoning, str):
                    events.append(ReasoningDelta(reasoning))
                content = delta.get("content")
                if content and isinstance(content, str):
                    events.append(TextDelta(content))
                tool_calls = delta.get("tool_calls")
                if tool_calls and isinstance(tool_calls, list):
                    self._calls.add(tool_calls)
            reason = choice.get("finish_reason")
            if reason and isinstance(reason, str):
                self._finish_reason = reason
                # The model finished this answer's calls (servers say "tool_calls", some "stop").
                events += self._calls.take()
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            events.append(
                Usage(
                    prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
                    completion_tokens=_int_or_none(usage.get("completion_tokens")),
                    total_tokens=_int_or_none(usage.get("total_tokens")),
                )
            )
        return events

    def _malformed(self, what: str) -> ProtocolError:
        return ProtocolError(f"malformed stream: {what}", provider=self._provider)


class _ToolCallAssembler:
    """Streamed `tool_calls` fragments put together by `index`: the first fragment of a call brings
    its id and name, later ones pieces of its arguments text (cut anywhere, even mid-JSON). Calls
    of one answer may interleave. A fragment without an index (some servers) belongs to the call
    with its id, else to a new call when it brings an id, else to the call at its list position."""

    def __init__(self) -> None:
        self._slots: dict[int, list[Any]] = {}  # index -> [id, name, [argument pieces]]

    def add(self, fragments: list[Any]) -> None:
        for position, fragment in enumerate(fragments):
            if not isinstance(fragment, dict):
                continue
            call_id = fragment.get("id")
            call_id = call_id if isinstance(call_id, str) and call_id else ""
            index = fragment.get("index")
            if not isinstance(index, int) or isinstance(index, bool):
                index = self._index_without(call_id, position)
            slot = self._slots.setdefault(index, ["", "", []])
            if call_id and not slot[0]:
                slot[0] = call_id
            function = fragment.get("function")
            if not isinstance(function, dict):
                continue
            name = function.get("name")
            if name and isinstance(name, str) and name != slot[1]:
                slot[1] += name
            arguments = function.get("arguments")
            if arguments and isinstance(arguments, str):
                slot[2].append(arguments)
            elif isinstance(arguments, dict):  # a server that sends the object itself
                slot[2].append(json.dumps(arguments, ensure_ascii=False))

    def _index_without(self, call_id: str, position: int) -> int:
        if call_id:
            for index, slot in self._slots.items():
                if slot[0] == call_id:
                    return index
            return max(self._slots, default=-1) + 1
        return position

    def take(self) -> list[StreamEvent]:
        """The finished calls as one event (none if there are none), in index order."""
        if not self._slots:
            return []
        calls = tuple(
            ToolCall(slot[0] or f"call_{index}", slot[1], "".join(slot[2]))
            for index, slot in sorted(self._slots.items())
        )
        self._slots = {}
        return [ToolCallsEvent(calls)]


def _is_error(chunk: object) -> bool:
    # `{"error": {...}}` (OpenAI, OpenRouter, llama.cpp) or `{"object": "error", ...}` (vLLM).
    return isinstance(chunk, dict) and (chunk.get("error") is not None or chunk.get("object") == "error")


def _error_of(chunk: object) -> object:
    if isinstance(chunk, dict) and chunk.get("error") is not None:
        return chunk["error"]
    return chunk


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _excerpt(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= _EXCERPT else one_line[: _EXCERPT - 1] + "…"
