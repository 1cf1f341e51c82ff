"""Images and documents on the wire, and which models see images, against real local servers:
an OpenAI-compatible one (OpenAI, OpenRouter, LM Studio, llama.cpp, Mistral metadata shapes), an
Ollama-shaped one, and Yqcloud, which refuses images before anything is sent. A server that
rejects images raises `ImagesNotSupportedError`; the fallback resends with placeholders."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from desktop_app.core.attachments import DocumentPart, ImagePart
from desktop_app.core.errors import BadRequestError, ModelNotFoundError
from desktop_app.core.events import Finish, StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.core.vision import (
    ImagesNotSupportedError,
    ModelFacts,
    Vision,
    VisionSource,
    stream_with_image_fallback,
)
from desktop_app.net.session import HttpClient
from desktop_app.providers import base
from desktop_app.providers.ollama import Ollama
from desktop_app.providers.openai_compat import OpenAICompatible
from desktop_app.providers.yqcloud import Yqcloud
from tests.integration.providers.helpers import collect, json_reply, send_then_stall, text_of
from tests.support.server import ScriptedServer, sse, stream_chunks

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR-not-really-a-png"
PNG_B64 = base64.b64encode(PNG).decode()
CAT = ImagePart("cat.png", "image/png", PNG, 2, 2)
NOTES = DocumentPart("notes.txt", "text/plain", "Купить молоко.")


def with_parts(model: str, *parts: ImagePart | DocumentPart, text: str = "Что здесь?") -> ChatRequest:
    return ChatRequest(
        (
            Message(Role.SYSTEM, "Be brief."),
            Message(Role.USER, text, parts),
        ),
        model,
    )


Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def routes(server: ScriptedServer, table: dict[tuple[str, str], Route]) -> None:
    """Answer by (method, path); anything else is a 404 page."""

    async def handle(request: web.Request) -> web.StreamResponse:
        route = table.get((request.method, request.path))
        if route is None:
            return web.Response(status=404, text="404 page not found")
        return await route(request)

    server.handle = handle


def reply(data: object, status: int = 200) -> Route:
    async def handle(request: web.Request) -> web.StreamResponse:
        return json_reply(data, status)

    return handle


def openai_answer(*texts: str) -> Route:
    async def handle(request: web.Request) -> web.StreamResponse:
        pieces = sse(*({"content": t} for t in texts))
        return await stream_chunks(request, pieces, content_type="text/event-stream")

    return handle


def ollama_answer(text: str) -> Route:
    async def handle(request: web.Request) -> web.StreamResponse:
        lines = [
            {"message": {"role": "assistant", "content": text}, "done": False},
            {"message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"},
        ]
        body = [json.dumps(line).encode() + b"\n" for line in lines]
        return await stream_chunks(request, body, content_type="application/x-ndjson")

    return handle


def posts(server: ScriptedServer, path: str) -> list[dict[str, object]]:
    return [json.loads(r.body) for r in server.requests if r.method == "POST" and r.path == path]


def openai(server: ScriptedServer, http: HttpClient, **kw: object) -> OpenAICompatible:
    return OpenAICompatible(server.url("/v1"), http=http, **kw)  # type: ignore[arg-type]


# --- what goes on the wire ----------------------------------------------------------------------


async def test_openai_sends_text_documents_and_images_as_parts(
    server: ScriptedServer, http: HttpClient
) -> None:
    routes(
        server,
        {
            ("GET", "/v1/models"): reply({"object": "list", "data": [{"id": "gpt-4o"}]}),
            ("POST", "/v1/chat/completions"): openai_answer("Кот."),
        },
    )
    events = await collect(openai(server, http), with_parts("gpt-4o", NOTES, CAT))
    assert text_of(events) == "Кот."
    [body] = posts(server, "/v1/chat/completions")
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},  # no parts: a plain string, as before
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Что здесь?"},
                {"type": "text", "text": "[file: notes.txt]\nКупить молоко."},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
            ],
        },
    ]


async def test_openai_image_only_message_has_no_empty_text_part(
    server: ScriptedServer, http: HttpClient
) -> None:
    routes(server, {("POST", "/v1/chat/completions"): openai_answer("ok")})
    await collect(openai(server, http), with_parts("gpt-4o", CAT, text=""))
    [body] = posts(server, "/v1/chat/completions")
    messages = body["messages"]
    assert isinstance(messages, list)
    assert messages[1]["content"] == [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}
    ]


async def test_openai_text_only_request_is_byte_identical_and_asks_nothing_else(
    server: ScriptedServer, http: HttpClient
) -> None:
    routes(server, {("POST", "/v1/chat/completions"): openai_answer("ok")})
    request = ChatRequest.of([{"role": "user", "content": "Привет"}], "gpt-3.5-turbo", temperature=0.2)
    await collect(openai(server, http), request)
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/v1/chat/completions")]
    expected = {
        "model": "gpt-3.5-turbo",
        "messages": [{"role": "user", "content": "Привет"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
    }
    assert server.requests[0].body == json.dumps(expected).encode()


async def test_openai_documents_without_images_need_no_vision(
    server: ScriptedServer, http: HttpClient
) -> None:
    routes(server, {("POST", "/v1/chat/completions"): openai_answer("ok")})
    await collect(openai(server, http), with_parts("gpt-3.5-turbo", NOTES))
    assert [r.method for r in server.requests] == ["POST"]
    [body] = posts(server, "/v1/chat/completions")
    messages = body["messages"]
    assert isinstance(messages, list)
    assert messages[1]["content"] == [
        {"type": "text", "text": "Что здесь?"},
        {"type": "text", "text": "[file: notes.txt]\nКупить молоко."},
    ]


async def test_ollama_sends_images_base64_and_documents_as_text(
    server: ScriptedServer, http: HttpClient
) -> None:
    routes(
        server,
        {
            ("POST", "/api/show"): reply({"capabilities": ["completion", "vision"]}),
            ("POST", "/api/chat"): ollama_answer("Кот."),
        },
    )
    events = await collect(Ollama(server.url(), http=http), with_parts("llava:7b", CAT, NOTES))
    assert text_of(events) == "Кот."
    assert posts(server, "/api/show") == [{"model": "llava:7b"}]
    [body] = posts(server, "/api/chat")
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": "Что здесь?\n\n[file: notes.txt]\nКупить молоко.",
            "images": [PNG_B64],
        },
    ]


async def test_ollama_text_only_request_is_byte_identical(server: ScriptedServer, http: HttpClient) -> None:
    routes(server, {("POST", "/api/chat"): ollama_answer("ok")})
    await collect(
        Ollama(server.url(), http=http), ChatRequest.of([{"role": "user", "content": "Hi"}], "llama3")
    )
    assert [r.path for r in server.requests] == ["/api/chat"]
    expected = {"model": "llama3", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    assert server.requests[0].body == json.dumps(expected).encode()


# --- refused before anything is sent ------------------------------------------------------------


async def test_yqcloud_refuses_images_with_nothing_sent(server: ScriptedServer, http: HttpClient) -> None:
    server.handle = openai_answer("never")
    provider = Yqcloud(api_endpoint=server.url("/gen"), http=http)
    with pytest.raises(ImagesNotSupportedError) as caught:
        await collect(provider, with_parts("gpt-3.5-turbo", CAT))
    assert str(caught.value) == (
        "Yqcloud: model 'gpt-3.5-turbo' does not take images (Yqcloud takes text only) — Pick a vision "
        "model (in the toolbar or with --model), or send without the images."
    )
    assert caught.value.sent is False
    assert isinstance(caught.value, BadRequestError)

    # The seed's shape, on the class, with Parley's messages: refused just the same.
    messages = [Message(Role.USER, "Что здесь?", (CAT,))]
    result = Yqcloud.create_async_generator(
        model="gpt-3.5-turbo", messages=messages, api_endpoint=server.url()
    )
    with pytest.raises(ImagesNotSupportedError):
        async with contextlib.aclosing(result) as chunks:
            [c async for c in chunks]
    assert server.requests == []


async def test_yqcloud_still_sends_documents_in_the_prompt(server: ScriptedServer, http: HttpClient) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, [b"ok"])

    server.handle = handle
    await collect(Yqcloud(api_endpoint=server.url("/gen"), http=http), with_parts("gpt-3.5-turbo", NOTES))
    prompt = json.loads(server.requests[0].body)["prompt"]
    assert prompt == "System: Be brief.\nUser: Что здесь?\n\n[file: notes.txt]\nКупить молоко.\nAssistant:"


async def test_known_text_only_model_is_refused_before_the_chat_request(
    server: ScriptedServer, http: HttpClient
) -> None:
    routes(server, {("GET", "/v1/models"): reply({"data": [{"id": "gpt-3.5-turbo"}]})})
    with pytest.raises(ImagesNotSupportedError) as caught:
        await collect(openai(server, http, name="OpenAI"), with_parts("gpt-3.5-turbo", CAT))
    assert str(caught.value).startswith(
        "OpenAI: model 'gpt-3.5-turbo' does not take images (OpenAI text model)"
    )
    assert caught.value.support is not None
    assert caught.value.support.source is VisionSource.NAME
    assert posts(server, "/v1/chat/completions") == []


async def test_ollama_server_saying_no_vision_refuses_before_chat(
    server: ScriptedServer, http: HttpClient
) -> None:
    routes(server, {("POST", "/api/show"): reply({"capabilities": ["completion", "tools"]})})
    # The server's word beats an override and the name (llava would be a vision model).
    provider = Ollama(server.url(), http=http, vision_overrides={"llava-custom": True})
    with pytest.raises(ImagesNotSupportedError) as caught:
        await collect(provider, with_parts("llava-custom", CAT))
    assert "Ollama /api/show capabilities" in str(caught.value)
    assert posts(server, "/api/chat") == []


# --- which models see images: each server's way of saying it -------------------------------------


@pytest.mark.parametrize(
    ("show", "vision", "source"),
    [
        ({"capabilities": ["completion", "vision"]}, True, "Ollama /api/show capabilities"),
        ({"capabilities": ["completion"]}, False, "Ollama /api/show capabilities"),
        ({"projector_info": {"clip.has_vision_encoder": True}}, True, "Ollama /api/show projector_info"),
        ({"details": {"families": ["llama", "clip"]}}, True, "Ollama /api/show details.families"),
        ({"details": {"families": ["llama"]}}, None, ""),
    ],
)
async def test_ollama_show_shapes(
    server: ScriptedServer, http: HttpClient, show: dict[str, object], vision: bool | None, source: str
) -> None:
    show = {**show, "model_info": {"general.architecture": "gemma3", "gemma3.context_length": 131072}}
    routes(server, {("POST", "/api/show"): reply(show)})
    facts = await Ollama(server.url(), http=http).model_facts("m")
    assert facts == ModelFacts("m", vision=vision, context_length=131072, source=source)


async def test_ollama_unknown_model_is_an_error_for_facts_and_unknown_for_vision(
    server: ScriptedServer, http: HttpClient
) -> None:
    routes(server, {("POST", "/api/show"): reply({"error": "model 'nope' not found"}, 404)})
    provider = Ollama(server.url(), http=http)
    with pytest.raises(ModelNotFoundError):
        await provider.model_facts("nope")
    support = await provider.vision_support("nope")
    assert (support.answer, support.source) == (Vision.UNKNOWN, VisionSource.NONE)


async def test_openrouter_input_modalities(server: ScriptedServer, http: HttpClient) -> None:
    listing = {
        "data": [
            {
                "id": "openai/gpt-4o-mini",
                "context_length": 128000,
                "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]},
            },
            {
                "id": "acme/looks-like-gpt-4o",
                "context_length": 8192,
                "architecture": {"input_modalities": ["text"], "modality": "text->text"},
            },
            {"id": "old/format", "architecture": {"modality": "text+image->text"}},
        ]
    }
    routes(server, {("GET", "/api/v1/models"): reply(listing)})
    provider = OpenAICompatible(server.url("/api/v1"), "sk-or-test", http=http)
    assert await provider.model_facts("openai/gpt-4o-mini") == ModelFacts(
        "openai/gpt-4o-mini", True, 128000, "/models architecture.input_modalities"
    )
    support = await provider.vision_support("acme/looks-like-gpt-4o")
    assert (support.answer, support.source) == (Vision.NO, VisionSource.SERVER)
    assert (await provider.model_facts("old/format")).vision is True
    # One listing answers every question for a while; the key went along (same provider).
    gets = [r for r in server.requests if r.method == "GET"]
    assert len(gets) == 1
    assert ("Authorization", "Bearer sk-or-test") in gets[0].raw_headers


async def test_lm_studio_model_type(server: ScriptedServer, http: HttpClient) -> None:
    native = {
        "object": "list",
        "data": [
            {"id": "qwen2-vl-2b-instruct", "type": "vlm", "max_context_length": 32768},
            {"id": "my-finetune", "type": "llm", "max_context_length": 4096},
        ],
    }
    routes(
        server,
        {
            ("GET", "/v1/models"): reply({"data": [{"id": "qwen2-vl-2b-instruct"}, {"id": "my-finetune"}]}),
            ("GET", "/api/v0/models"): reply(native),
        },
    )
    provider = openai(server, http)
    assert await provider.model_facts("my-finetune") == ModelFacts(
        "my-finetune", False, 4096, "LM Studio /api/v0/models type"
    )
    assert (await provider.vision_support("qwen2-vl-2b-instruct")).source is VisionSource.SERVER


@pytest.mark.parametrize(
    ("entry", "vision", "key"),
    [
        ({"capabilities": ["completion", "multimodal"], "meta": {"n_ctx_train": 8192}}, True, "capabilities"),
        ({"capabilities": ["completion"], "meta": {"n_ctx": 8192}}, False, "capabilities"),
        ({"capabilities": {"completion_chat": True, "vision": True}, "max_context_length": 8192}, True, None),
        ({"supports_vision": False, "context_window": 8192}, False, "supports_vision"),
        ({"max_model_len": 8192, "owned_by": "vllm"}, None, None),
    ],
)
async def test_other_model_list_metadata(
    server: ScriptedServer, http: HttpClient, entry: dict[str, object], vision: bool | None, key: str | None
) -> None:
    routes(server, {("GET", "/v1/models"): reply({"data": [{"id": "m", **entry}]})})
    facts = await openai(server, http).model_facts("m")
    assert (facts.vision, facts.context_length) == (vision, 8192)
    if key:
        assert facts.source == f"/models {key}"


async def test_llama_cpp_models_array(server: ScriptedServer, http: HttpClient) -> None:
    listing = {
        "models": [
            {"name": "gemma.gguf", "model": "gemma.gguf", "capabilities": ["completion", "multimodal"]}
        ],
        "data": [{"id": "gemma.gguf", "meta": {"n_ctx_train": 131072}}],
    }
    routes(server, {("GET", "/v1/models"): reply(listing)})
    assert await openai(server, http).model_facts("gemma.gguf") == ModelFacts(
        "gemma.gguf", True, 131072, "/models capabilities"
    )


async def test_precedence_override_then_name(server: ScriptedServer, http: HttpClient) -> None:
    routes(server, {("GET", "/v1/models"): reply({"data": [{"id": "gpt-3.5-turbo"}, {"id": "gpt-4o"}]})})
    overrides: dict[str, bool] = {}
    provider = openai(server, http, vision_overrides=overrides)
    by_name = await provider.vision_support("gpt-3.5-turbo")
    assert (by_name.answer, by_name.source) == (Vision.NO, VisionSource.NAME)
    overrides["gpt-3.5-turbo"] = True  # the owner changes the mapping later: read at each decision
    overridden = await provider.vision_support("gpt-3.5-turbo")
    assert (overridden.answer, overridden.source) == (Vision.YES, VisionSource.OVERRIDE)
    unknown = await provider.vision_support("house-model")
    assert (unknown.answer, unknown.sends_images) == (Vision.UNKNOWN, True)


async def test_stalled_metadata_does_not_hold_the_images_back(
    server: ScriptedServer, http: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "FACTS_TIMEOUT", 0.2)

    async def stall(request: web.Request) -> web.StreamResponse:
        return await send_then_stall(request, b"", content_type="application/json")

    routes(server, {("POST", "/api/show"): stall, ("POST", "/api/chat"): ollama_answer("ok")})
    events = await collect(Ollama(server.url(), http=http), with_parts("house-model", CAT))
    assert text_of(events) == "ok"
    [body] = posts(server, "/api/chat")
    messages = body["messages"]
    assert isinstance(messages, list)
    assert messages[1]["images"] == [PNG_B64]


# --- the server rejects the images ---------------------------------------------------------------

OPENAI_REJECTION = {
    "error": {
        "message": "Invalid content type. image_url is only supported by certain models.",
        "type": "invalid_request_error",
        "param": "messages.[1].content.[1].type",
        "code": None,
    }
}


async def test_400_about_images_is_images_not_supported(server: ScriptedServer, http: HttpClient) -> None:
    routes(
        server,
        {
            ("GET", "/v1/models"): reply({"data": [{"id": "house-model"}]}),
            ("POST", "/v1/chat/completions"): reply(OPENAI_REJECTION, 400),
        },
    )
    provider = openai(server, http, name="Local")
    with pytest.raises(ImagesNotSupportedError) as caught:
        await collect(provider, with_parts("house-model", CAT))
    error = caught.value
    assert (error.model, error.sent, error.status) == ("house-model", True, 400)
    assert str(error) == (
        "Local: HTTP 400 Bad Request: model 'house-model' does not take images — Server said: Invalid "
        "content type. image_url is only supported by certain models. — Pick a vision model (in the "
        "toolbar or with --model), or send without the images."
    )
    assert isinstance(error.__cause__, BadRequestError)

    # This instance now knows: the next request with images is refused without being sent.
    support = await provider.vision_support("house-model")
    assert (support.answer, support.source) == (Vision.NO, VisionSource.SERVER)
    with pytest.raises(ImagesNotSupportedError) as again:
        await collect(provider, with_parts("house-model", CAT))
    assert again.value.sent is False
    assert len(posts(server, "/v1/chat/completions")) == 1


async def test_ollama_error_about_images_in_any_status(server: ScriptedServer, http: HttpClient) -> None:
    routes(
        server,
        {
            ("POST", "/api/chat"): reply(
                {"error": "this model is missing data required for image input"}, 500
            ),
        },
    )
    with pytest.raises(ImagesNotSupportedError) as caught:
        await collect(Ollama(server.url(), http=http), with_parts("house-model", CAT))
    assert caught.value.status == 500


async def test_400_about_something_else_stays_what_it_was(server: ScriptedServer, http: HttpClient) -> None:
    too_big = {"error": {"message": "Image too large: the longest side may be 8000 px.", "code": None}}
    routes(
        server,
        {
            ("GET", "/v1/models"): reply({"data": []}),
            ("POST", "/v1/chat/completions"): reply(too_big, 400),
        },
    )
    with pytest.raises(BadRequestError) as caught:
        await collect(openai(server, http), with_parts("gpt-4o", CAT))
    assert not isinstance(caught.value, ImagesNotSupportedError)

    # The same words about images, for a request that has none, are not about its images.
    routes(server, {("POST", "/v1/chat/completions"): reply(OPENAI_REJECTION, 400)})
    with pytest.raises(BadRequestError) as plain:
        await collect(openai(server, http), ChatRequest.of([{"role": "user", "content": "hi"}], "x"))
    assert not isinstance(plain.value, ImagesNotSupportedError)


async def test_fallback_resends_with_placeholders_and_the_conversation_goes_on(
    server: ScriptedServer, http: HttpClient
) -> None:
    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if isinstance(body["messages"][1]["content"], list) and any(
            part["type"] == "image_url" for part in body["messages"][1]["content"]
        ):
            return json_reply(OPENAI_REJECTION, 400)
        return await openai_answer("Без картинки: ", "молоко.")(request)

    routes(server, {("GET", "/v1/models"): reply({"data": []}), ("POST", "/v1/chat/completions"): chat})
    provider = openai(server, http)
    dropped: list[ImagesNotSupportedError] = []
    request = with_parts("house-model", NOTES, CAT)

    async def answer() -> list[StreamEvent]:
        stream = stream_with_image_fallback(provider, request, on_images_dropped=dropped.append)
        async with contextlib.aclosing(stream) as events:
            return [event async for event in events]

    events = await answer()
    assert text_of(events) == "Без картинки: молоко."
    assert events[-1] == Finish("stop")
    assert [e.model for e in dropped] == ["house-model"]
    _first, second = posts(server, "/v1/chat/completions")
    assert second["messages"] == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Что здесь?\n\n[image: cat.png]"},
                {"type": "text", "text": "[file: notes.txt]\nКупить молоко."},
            ],
        },
    ]

    # The next turn: refused before sending (the provider remembers), resent at once without images.
    events = await answer()
    assert text_of(events) == "Без картинки: молоко."
    assert len(dropped) == 2
    assert dropped[1].sent is False
    assert len(posts(server, "/v1/chat/completions")) == 3
    assert TextDelta("молоко.") in events
