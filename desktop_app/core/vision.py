"""Which models see images, and what happens when one does not. Pure: no I/O.

A model's answer to "does it take images?" comes from, in this order:
1. the server, where it says so (`ModelFacts`, fetched by the provider: Ollama's `/api/show`
   capabilities, LM Studio's model type, OpenRouter's input modalities, other model metadata),
   or a server that already rejected an image for this model;
2. the user's per-model override (a mapping of model id → bool that Preferences will own);
3. the well-known name patterns below (`NAME_RULES`, maintained by hand);
4. otherwise unknown, and the caller sends the images: a server that rejects them raises
   `ImagesNotSupportedError`, and `stream_with_image_fallback` sends the request again without them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from desktop_app.core.errors import BadRequestError, ProviderError
from desktop_app.core.events import ReasoningDelta, StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest
from desktop_app.core.ports import ChatProvider


class Vision(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class VisionSource(StrEnum):
    """Where a `VisionSupport` answer came from (highest precedence first)."""

    SERVER = "server"  # the server's model metadata, or its rejection of an image
    OVERRIDE = "override"  # the user's per-model setting
    NAME = "name"  # a well-known name pattern
    NONE = "none"  # nothing is known


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What a server says about one model. `vision` is None when it does not say;
    `context_length` (tokens) likewise. `source` names where the facts came from, for logs and
    tooltips ("Ollama /api/show capabilities")."""

    model: str
    vision: bool | None = None
    context_length: int | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class VisionSupport:
    """The answer for one model, and where it came from (`detail` says which fact or pattern)."""

    model: str
    answer: Vision
    source: VisionSource
    detail: str = ""

    @property
    def sends_images(self) -> bool:
        """Send images to this model: yes, or unknown (a rejection is recovered from)."""
        return self.answer is not Vision.NO


@dataclass(frozen=True, slots=True)
class NameRule:
    pattern: re.Pattern[str]
    sees_images: bool
    label: str


def _rule(pattern: str, sees_images: bool, label: str) -> NameRule:
    return NameRule(re.compile(pattern), sees_images, label)


# Matched against the model id in lower case after its last "/" (so "openai/gpt-4o" and
# "hf.co/org/Qwen2-VL-7B-GGUF:Q4_K_M" read as "gpt-4o" and "qwen2-vl-7b-gguf:q4_k_m").
# The first rule that matches decides: narrow exceptions come before the families they cut from.
_B = r"(?<![a-z0-9])"  # the name starts here (start of id, or after "-", "_", ".", ":")
NAME_RULES: tuple[NameRule, ...] = (
    # Exceptions inside vision families: text-only members.
    _rule(r"^o1-(mini|preview)|^o3-mini", False, "OpenAI o1-mini, o1-preview, o3-mini (text only)"),
    _rule(rf"{_B}gemma-?3[:\-_]?(1b|270m)", False, "Gemma 3 1B / 270M (text only)"),
    _rule(r"^gpt-4-(turbo-preview|\d{4}-preview)", False, "GPT-4 Turbo preview (text only)"),
    _rule(rf"{_B}phi-?4(?!-?multimodal)", False, "Phi-4 (text only; Phi-4-multimodal sees images)"),
    # Vision families.
    _rule(r"^(chat)?gpt-4o", True, "GPT-4o"),
    _rule(r"^gpt-4\.[15]", True, "GPT-4.1 / GPT-4.5"),
    _rule(r"^gpt-4-turbo(-\d{4}-\d\d-\d\d)?$|^gpt-4-vision|^gpt-4-\d{4}-vision", True, "GPT-4 Turbo"),
    _rule(r"^gpt-5", True, "GPT-5"),
    _rule(r"^o1(-\d{4}-\d\d-\d\d)?$|^o1-pro|^o3(?!-mini)|^o4", True, "OpenAI o1 / o3 / o4"),
    _rule(r"^claude-(3|[a-z]+-[3-9]|[4-9])", True, "Claude 3 and later"),
    _rule(rf"{_B}gemini", True, "Gemini"),
    _rule(rf"{_B}(bak)?llava", True, "LLaVA"),
    _rule(rf"{_B}llama-?3\.2[\w.:-]*vision", True, "Llama 3.2 Vision"),
    _rule(rf"{_B}llama-?4", True, "Llama 4"),
    _rule(rf"{_B}(qwen[\d.]*-?vl|qvq|qwen-?3\.[5-9])", True, "Qwen-VL, Qwen 3.5"),
    _rule(rf"{_B}minicpm-?[\w.]*v", True, "MiniCPM-V"),
    _rule(rf"{_B}moondream", True, "Moondream"),
    _rule(rf"{_B}pixtral", True, "Pixtral"),
    _rule(rf"{_B}gemma-?[34](?!n)", True, "Gemma 3 / 4 (not 1B)"),
    _rule(rf"{_B}mistral-small-?(3\.[1-9]|2503|2506|latest)", True, "Mistral Small 3.1 and later"),
    _rule(rf"{_B}mistral-medium-?(3|2505|latest)", True, "Mistral Medium 3"),
    _rule(rf"{_B}granite[\w.-]*vision", True, "Granite Vision"),
    _rule(rf"{_B}internvl", True, "InternVL"),
    _rule(rf"{_B}phi-?3(\.5)?-vision|{_B}phi-?4-?multimodal", True, "Phi-3 Vision / Phi-4-multimodal"),
    _rule(rf"{_B}grok-(2-vision|4)", True, "Grok Vision / Grok 4"),
    _rule(rf"{_B}(glm-?4(\.\d)?v|kimi-vl|deepseek-vl|cogvlm|idefics|smolvlm|molmo)", True, "open VLM"),
    # Well-known text-only models.
    _rule(r"^gpt-3\.5|^gpt-4(-\d{4})?(-32k)?(-\d{4})?$|^gpt-oss|^text-", False, "OpenAI text model"),
    _rule(r"^claude-(2|instant)", False, "Claude 2 (text only)"),
    _rule(rf"{_B}deepseek-(chat|reasoner|coder|r1|v[23])|{_B}deepseek-?r1", False, "DeepSeek (text only)"),
    _rule(rf"{_B}(code)?llama-?[23]", False, "Llama 2 / 3 (text only)"),
    _rule(rf"{_B}(qwen[\d.]*|qwq)(?!-?vl)", False, "Qwen (text only)"),
    _rule(rf"{_B}(mixtral|mistral-?7b|mistral-(nemo|large|tiny)|codestral|ministral)", False, "Mistral text"),
    _rule(rf"{_B}(phi-?[23]|gemma-?2?[:\-]|gemma$|tinyllama|command-r|yi-|falcon|starcoder)", False, "text"),
    _rule(rf"{_B}(embed|[\w-]*-embed|whisper|tts-)", False, "not a chat model"),
)


def vision_from_name(model: str) -> VisionSupport:
    """What the name patterns say about `model` (`Vision.UNKNOWN` when none matches)."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    for rule in NAME_RULES:
        if rule.pattern.search(name):
            answer = Vision.YES if rule.sees_images else Vision.NO
            return VisionSupport(model, answer, VisionSource.NAME, rule.label)
    return VisionSupport(model, Vision.UNKNOWN, VisionSource.NONE)


def vision_support(
    model: str,
    *,
    server: ModelFacts | None = None,
    overrides: Mapping[str, bool] | None = None,
) -> VisionSupport:
    """Decide for `model`: the server says > per-model override > name patterns > unknown.
    An override is looked up by the exact model id, then case-insensitively."""
    if server is not None and server.vision is not None:
        return VisionSupport(model, _answer(server.vision), VisionSource.SERVER, server.source)
    override = _override(model, overrides or {})
    if override is not None:
        return VisionSupport(model, _answer(override), VisionSource.OVERRIDE, "per-model setting")
    return vision_from_name(model)


def _answer(sees_images: bool) -> Vision:
    return Vision.YES if sees_images else Vision.NO


def _override(model: str, overrides: Mapping[str, bool]) -> bool | None:
    if model in overrides:
        return overrides[model]
    folded = model.casefold()
    return next((value for key, value in overrides.items() if key.casefold() == folded), None)


# --- a model that does not take images ---------------------------------------------------------


class ImagesNotSupportedError(BadRequestError):
    """The model does not take images. Raised by a provider either before anything was sent (the
    model is known to be text-only: `sent` is False, `support` says why) or for a server's
    rejection of the images (`sent` is True; status and server message are the server's).

    The chat layer's answer: mark `model` text-only and send `request.without_images()` (see
    `stream_with_image_fallback`); the CLI's: print the error (one line) and exit 1.
    """

    hint = "Pick a vision model (in the toolbar or with --model), or send without the images."

    def __init__(
        self,
        model: str,
        *,
        support: VisionSupport | None = None,
        sent: bool = False,
        **kw: object,
    ) -> None:
        self.model = model
        self.support = support
        self.sent = sent
        name = f"model {model!r}" if model else "the model"
        why = f" ({support.detail})" if support is not None and support.detail else ""
        super().__init__(f"{name} does not take images{why}", **kw)  # type: ignore[arg-type]

    @classmethod
    def from_rejection(cls, error: ProviderError, model: str) -> ImagesNotSupportedError:
        """The server's error about images, retold: its status, reason and message are kept."""
        rejected = cls(
            model,
            sent=True,
            provider=error.provider,
            status=error.status,
            reason=error.reason,
            server_message=error.server_message,
        )
        rejected.__cause__ = error
        return rejected


# A server's words for "this model does not take images", as real servers put them:
#   OpenAI          "Invalid content type. image_url is only supported by certain models."
#   DeepSeek        "unknown variant `image_url`, expected `text`"
#   Groq            "'messages.0.content' : value must be a string" (a text-only model)
#   Ollama          "this model is missing data required for image input", "vision model not
#                   found", "this model does not support image input"
#   LM Studio       "Model does not support images. Please use a model that does."
#   llama.cpp       "image input is not supported - hint: ... you may need to provide the mmproj"
#   vLLM            "... is not a multimodal model"
#   OpenRouter      "No endpoints found that support image input"
# An error about one image (too large, bad base64, too many per message) is not one of these.
_MEDIA = r"(image|images|vision|multimodal|multi-modal|picture|visual)"
_IMAGE_REJECTION = re.compile(
    "|".join(
        (
            r"image_url[`'\"]? (is )?(only|not) supported",
            r"variant [`'\"]?image_url",
            r"content[`'\"]?\s*:?\s*(value )?must be a string",
            r"mmproj",
            r"missing data required for image",
            r"vision model not found",
            rf"(does ?n[o']t|do ?n[o']t|cannot|can ?n[o']t|unable to|not able to) (support|accept|handle"
            rf"|process|read|take|see|understand)s? {_MEDIA}",
            rf"(does ?n[o']t|do ?n[o']t) (support|accept) [\w\s-]{{0,20}}{_MEDIA}",
            rf"{_MEDIA}[\w\s-]{{0,30}}(is|are) (not|un)\s?(supported|enabled|available|allowed)",
            rf"{_MEDIA} (input|content|inputs)s? (not|un)\s?(supported|enabled|available|allowed)",
            rf"not (a |an )?{_MEDIA}",
            rf"(no|without) {_MEDIA} (support|capabilit)",
            rf"support {_MEDIA} (input|content)",
            r"(only|just) (supports?|accepts?|takes?) text",
            r"text[- ]only",
        )
    ),
    re.IGNORECASE,
)


def rejects_images(server_message: str | None) -> bool:
    """Does this error message say the model does not take images?"""
    return bool(server_message) and _IMAGE_REJECTION.search(server_message or "") is not None


# --- what the chat layer uses -------------------------------------------------------------------


@runtime_checkable
class KnowsModels(Protocol):
    """A provider that can say what a model takes (every provider in providers/ does)."""

    async def model_facts(self, model: str) -> ModelFacts:
        """What the server says about `model`; raises `ProviderError` when it cannot be asked."""
        ...

    async def vision_support(self, model: str) -> VisionSupport:
        """The decision for `model` (server > override > name > unknown); never raises."""
        ...


async def stream_with_image_fallback(
    provider: ChatProvider,
    request: ChatRequest,
    *,
    on_images_dropped: Callable[[ImagesNotSupportedError], object] | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """`provider.stream(request)`; if the model turns out not to take images before any answer
    text or reasoning arrived, `on_images_dropped(error)` is called and the request is sent again
    as `request.without_images()` (each image a line naming its file), so the conversation goes on.
    An `ImagesNotSupportedError` after answer text, or from the second attempt, is raised as is.
    """
    if not request.has_images():
        async with contextlib.aclosing(provider.stream(request)) as events:
            async for event in events:
                yield event
        return
    shown = False
    try:
        async with contextlib.aclosing(provider.stream(request)) as events:
            async for event in events:
                if isinstance(event, TextDelta | ReasoningDelta) and event.text:
                    shown = True
                yield event
        return
    except ImagesNotSupportedError as error:
        if shown:
            raise
        if on_images_dropped is not None:
            on_images_dropped(error)
    async with contextlib.aclosing(provider.stream(request.without_images())) as events:
        async for event in events:
            yield event
