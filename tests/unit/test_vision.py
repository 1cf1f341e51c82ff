"""core/vision.py without a network: the name patterns, the precedence, a server's words for "no
images here", and the fallback wrapper's rules (retry only before anything was shown)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

import pytest

from desktop_app.core.attachments import ImagePart
from desktop_app.core.events import Finish, ReasoningDelta, StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.core.vision import (
    ImagesNotSupportedError,
    ModelFacts,
    Vision,
    VisionSource,
    rejects_images,
    stream_with_image_fallback,
    vision_from_name,
    vision_support,
)

SEES = [
    "gpt-4o",
    "gpt-4o-mini",
    "chatgpt-4o-latest",
    "openai/gpt-4.1-mini",
    "gpt-4-turbo",
    "gpt-4-turbo-2024-04-09",
    "gpt-5-mini",
    "o1",
    "o3",
    "o4-mini",
    "claude-3-5-sonnet-20241022",
    "anthropic/claude-3.5-sonnet",
    "claude-sonnet-4-5",
    "claude-opus-4-1",
    "gemini-2.5-flash",
    "google/gemini-pro-1.5",
    "llava:13b",
    "bakllava",
    "llava-llama3:8b",
    "llama3.2-vision:11b",
    "meta-llama/llama-3.2-11b-vision-instruct",
    "llama4:scout",
    "meta-llama/llama-4-maverick",
    "qwen2-vl-7b-instruct",
    "qwen2.5vl:7b",
    "Qwen/Qwen2.5-VL-72B-Instruct",
    "qwen-vl-max",
    "qwen3-vl:8b",
    "minicpm-v:8b",
    "moondream",
    "pixtral-12b-2409",
    "gemma3:4b",
    "google/gemma-3-27b-it",
    "mistral-small3.1:24b",
    "mistral-small-latest",
    "granite3.2-vision",
    "OpenGVLab/InternVL2-8B",
    "phi-3.5-vision-instruct",
    "microsoft/phi-4-multimodal-instruct",
    "hf.co/bartowski/Qwen2-VL-7B-Instruct-GGUF:Q4_K_M",
]
TEXT_ONLY = [
    "gpt-3.5-turbo",
    "gpt-4",
    "gpt-4-0613",
    "gpt-4-turbo-preview",
    "o1-mini",
    "o3-mini",
    "gpt-oss:20b",
    "claude-2.1",
    "deepseek-chat",
    "deepseek-r1:7b",
    "llama3",
    "llama3.1:8b",
    "meta-llama-3.1-8b-instruct",
    "llama-3.3-70b-versatile",
    "qwen3:0.6b",
    "qwen2.5-coder:7b",
    "mixtral-8x7b",
    "phi3:mini",
    "phi4:14b",
    "gemma3:1b",
    "gemma-3-1b-it",
    "gemma2:9b",
    "nomic-embed-text",
]


@pytest.mark.parametrize("model", SEES)
def test_vision_families(model: str) -> None:
    support = vision_from_name(model)
    assert (support.answer, support.source) == (Vision.YES, VisionSource.NAME), support


@pytest.mark.parametrize("model", TEXT_ONLY)
def test_text_only_models(model: str) -> None:
    support = vision_from_name(model)
    assert (support.answer, support.source) == (Vision.NO, VisionSource.NAME), support
    assert not support.sends_images


@pytest.mark.parametrize("model", ["my-house-model", "", "sonar-pro"])
def test_unknown_names(model: str) -> None:
    support = vision_from_name(model)
    assert (support.answer, support.source, support.sends_images) == (Vision.UNKNOWN, VisionSource.NONE, True)


def test_precedence_server_then_override_then_name() -> None:
    says_no = ModelFacts("llava", vision=False, source="Ollama /api/show capabilities")
    silent = ModelFacts("llava")
    overrides = {"LLaVA": False, "gpt-3.5-turbo": True}
    decided = vision_support("llava", server=says_no, overrides={"llava": True})
    assert (decided.answer, decided.source, decided.detail) == (
        Vision.NO,
        VisionSource.SERVER,
        "Ollama /api/show capabilities",
    )
    assert vision_support("llava", server=silent, overrides=overrides).source is VisionSource.OVERRIDE
    assert vision_support("llava", server=silent, overrides=overrides).answer is Vision.NO  # case folded
    assert vision_support("gpt-3.5-turbo", overrides=overrides).answer is Vision.YES
    assert vision_support("llava", server=silent).source is VisionSource.NAME


@pytest.mark.parametrize(
    "said",
    [
        "Invalid content type. image_url is only supported by certain models.",
        "Failed to deserialize the JSON body into the target type: messages[0]: unknown variant "
        "`image_url`, expected `text` at line 1 column 90",
        "this model is missing data required for image input",
        "vision model not found",
        "this model does not support image input",
        "Model does not support images. Please use a model that does.",
        "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj",
        "Qwen/Qwen2.5-7B-Instruct is not a multimodal model",
        "No endpoints found that support image input",
        "'messages.1' : for 'role:user' the following must be satisfied[('messages.1.content' : value "
        "must be a string)]",
        "This model only supports text input.",
    ],
)
def test_server_words_for_no_images(said: str) -> None:
    assert rejects_images(said)


@pytest.mark.parametrize(
    "said",
    [
        None,
        "",
        "Image too large: the longest side may be 8000 px.",
        "illegal base64 data at input byte 5",
        "vision model only supports a single image per message",
        "You uploaded an unsupported image. Please make sure your image is valid.",
        "model 'x' not found, try pulling it first",
        "context length exceeded",
    ],
)
def test_other_errors_are_not_about_vision(said: str | None) -> None:
    assert not rejects_images(said)


# --- the fallback wrapper ------------------------------------------------------------------------

CAT = ImagePart("cat.png", "image/png", b"png", 1, 1)
REQUEST = ChatRequest((Message(Role.USER, "Что это?", (CAT,)),), "m")


class Scripted:
    """A provider whose answers are scripted per attempt: a list of events, ending in an error
    to raise (or not)."""

    name = "Scripted"

    def __init__(self, *attempts: list[StreamEvent | Exception]) -> None:
        self.attempts = list(attempts)
        self.requests: list[ChatRequest] = []

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        self.requests.append(request)
        for item in self.attempts.pop(0):
            if isinstance(item, Exception):
                raise item
            yield item

    async def list_models(self) -> list[str]:
        return []


async def drain(provider: Scripted, request: ChatRequest, dropped: list[object]) -> list[StreamEvent]:
    stream = stream_with_image_fallback(provider, request, on_images_dropped=dropped.append)
    async with contextlib.aclosing(stream) as events:
        return [event async for event in events]


async def test_retries_without_images_before_anything_was_shown() -> None:
    refused = ImagesNotSupportedError("m", sent=True)
    provider = Scripted([refused], [TextDelta("ok"), Finish()])
    dropped: list[object] = []
    assert await drain(provider, REQUEST, dropped) == [TextDelta("ok"), Finish()]
    assert dropped == [refused]
    assert [r.has_images() for r in provider.requests] == [True, False]
    assert provider.requests[1].messages[0].content == "Что это?\n\n[image: cat.png]"


@pytest.mark.parametrize("shown", [TextDelta("Пол"), ReasoningDelta("Хм")])
async def test_no_retry_after_the_answer_began(shown: StreamEvent) -> None:
    provider = Scripted([shown, ImagesNotSupportedError("m")])
    dropped: list[object] = []
    with pytest.raises(ImagesNotSupportedError):
        await drain(provider, REQUEST, dropped)
    assert dropped == []
    assert len(provider.requests) == 1


async def test_second_refusal_and_text_only_requests_pass_through() -> None:
    provider = Scripted([ImagesNotSupportedError("m")], [ImagesNotSupportedError("m")])
    with pytest.raises(ImagesNotSupportedError):
        await drain(provider, REQUEST, [])
    assert len(provider.requests) == 2

    plain = ChatRequest((Message(Role.USER, "hi"),), "m")
    provider = Scripted([ImagesNotSupportedError("m")])
    with pytest.raises(ImagesNotSupportedError):
        await drain(provider, plain, [])
    assert len(provider.requests) == 1


def test_error_message_is_one_line_naming_the_model() -> None:
    support = vision_from_name("gpt-3.5-turbo")
    error = ImagesNotSupportedError("gpt-3.5-turbo", support=support, provider="OpenAI")
    assert "\n" not in str(error)
    assert str(error) == (
        "OpenAI: model 'gpt-3.5-turbo' does not take images (OpenAI text model) — Pick a vision model "
        "(in the toolbar or with --model), or send without the images."
    )
