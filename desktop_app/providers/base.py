"""The provider base: typed `stream()`, the seed's `create_async_generator` shape, and `AsyncResult`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Mapping
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, TypeVar

from desktop_app.core.errors import (
    AuthError,
    ConfigurationError,
    ConnectionError_,
    ModelNotFoundError,
    ProtocolError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
)
from desktop_app.core.events import StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest, Messages
from desktop_app.core.tools import ToolsNotSupportedError
from desktop_app.core.vision import (
    ImagesNotSupportedError,
    ModelFacts,
    VisionSupport,
    rejects_images,
    vision_support,
)
from desktop_app.net.session import DEFAULT_TIMEOUT, HttpClient, NetworkConfig
from desktop_app.net.status import error_for_status


class AsyncResult:
    """An async iterator of answer text that is also awaitable (awaiting returns itself), so both
    `async for c in provider.create_async_generator(...)` and the seed's
    `gen = await provider.create_async_generator(...)` work. `aclose()` closes the HTTP response."""

    def __init__(self, chunks: AsyncGenerator[str, None]) -> None:
        self._chunks = chunks

    def __aiter__(self) -> AsyncResult:
        return self

    async def __anext__(self) -> str:
        return await self._chunks.__anext__()

    def __await__(self) -> Generator[Any, None, AsyncResult]:
        return _immediately(self).__await__()

    async def aclose(self) -> None:
        await self._chunks.aclose()


async def _immediately(result: AsyncResult) -> AsyncResult:
    return result


_Self = TypeVar("_Self", bound="AsyncGeneratorProvider")
_Params = ParamSpec("_Params")
_R = TypeVar("_R")


class hybridmethod(Generic[_Self, _Params, _R]):  # noqa: N801 - reads like @classmethod
    """A method callable on an instance, or on the class (which then uses a default instance).

    The seed calls `Yqcloud.create_async_generator(...)` on the class; Parley calls it on
    configured instances. No class-level state is kept: the default instance is made per call.
    Typed with a ParamSpec so callers keep the method's real signature under mypy --strict.
    """

    def __init__(self, func: Callable[Concatenate[_Self, _Params], _R]) -> None:
        self._func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj: _Self | None, owner: type[_Self]) -> Callable[_Params, _R]:
        func = self._func

        @functools.wraps(func)
        def bound(*args: _Params.args, **kwargs: _Params.kwargs) -> _R:
            return func(obj if obj is not None else owner(), *args, **kwargs)

        return bound


# How long the check before sending images may wait for the server's model metadata; past it
# the answer is "unknown" and the images are sent (a rejection is recovered from).
FACTS_TIMEOUT = 5.0
# Errors that say nothing about the request's content, so never mean "no images here".
_NOT_ABOUT_CONTENT = (AuthError, RateLimitError, ProviderTimeoutError, ConnectionError_)


class AsyncGeneratorProvider(ABC):
    """Base of every provider. Subclasses implement `_events()` with the HTTP client they are given.

    The client comes from `compose.py` (shared, proxy and timeouts from the settings). A provider
    built without one makes a private client per call and closes it when the answer ends.

    Images: before a request with images is sent, `vision_support(model)` decides (the server's
    metadata > `vision_overrides` > name patterns, see core/vision.py); a model that does not take
    them gets `ImagesNotSupportedError` with nothing sent. A server's error about images, before any
    event, becomes `ImagesNotSupportedError` too, and this instance remembers the model as text-only.

    Tools: a request offering tools to a provider whose API has none (`supports_tools` False, e.g.
    Yqcloud) gets `ToolsNotSupportedError` with nothing sent; silently dropping them would leave
    the model answering without the tools the user turned on.
    """

    # A class default; configurable providers (OpenAI-compatible, Ollama) set it per instance.
    name: str = "Provider"
    working: ClassVar[bool] = True
    supports_tools: ClassVar[bool] = False

    def __init__(
        self,
        *,
        http: HttpClient | None = None,
        network: NetworkConfig | None = None,
        vision_overrides: Mapping[str, bool] | None = None,
    ) -> None:
        self._http = http
        self._network = network if network is not None else (http.config if http else NetworkConfig())
        # Read at each decision, so the owner (Preferences) may change the mapping it passed in.
        self._vision_overrides: Mapping[str, bool] = vision_overrides if vision_overrides is not None else {}
        self._facts: dict[str, ModelFacts] = {}  # what the server said, per model
        self._rejected_images: set[str] = set()  # models whose server refused an image

    @property
    def network(self) -> NetworkConfig:
        return self._network

    @abstractmethod
    def _events(self, request: ChatRequest, http: HttpClient) -> AsyncGenerator[StreamEvent, None]:
        """The provider's own request and decoding."""

    def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        return self._stream(request, None)

    async def _stream(
        self, request: ChatRequest, network: NetworkConfig | None
    ) -> AsyncGenerator[StreamEvent, None]:
        if request.tools and not self.supports_tools:
            raise ToolsNotSupportedError(provider=self.name)
        images = request.has_images()
        if images:
            support = await self.vision_support(request.model)
            if not support.sends_images:
                raise ImagesNotSupportedError(request.model, support=support, provider=self.name)
        yielded = False
        async with self._client(network) as http, contextlib.aclosing(self._events(request, http)) as events:
            try:
                async for event in events:
                    yielded = True
                    yield event
            except ProviderError as exc:
                exc.with_provider(self.name)
                if images and not yielded and _about_images(exc):
                    self._rejected_images.add(request.model)
                    raise ImagesNotSupportedError.from_rejection(exc, request.model) from exc
                raise

    async def list_models(self) -> list[str]:
        return []

    async def model_facts(self, model: str) -> ModelFacts:
        """What the server says about `model` (vision, context length), asked once per instance
        while it says something. Raises the `ProviderError` of a failed request."""
        if model in self._rejected_images:
            return ModelFacts(model, vision=False, source="the server rejected an image for this model")
        known = self._facts.get(model)
        if known is not None:
            return known
        try:
            facts = await self._fetch_facts(model)
        except ProviderError as exc:
            exc.with_provider(self.name)
            raise
        if facts.vision is not None or facts.context_length is not None:
            self._facts[model] = facts
        return facts

    async def vision_support(self, model: str) -> VisionSupport:
        """Does `model` take images: the server's metadata (waited for at most FACTS_TIMEOUT s),
        then this instance's `vision_overrides`, then name patterns. Never raises: a server that
        cannot be asked leaves the decision to the override and the names."""
        facts: ModelFacts | None = None
        with contextlib.suppress(ProviderError, TimeoutError):
            async with asyncio.timeout(FACTS_TIMEOUT):
                facts = await self.model_facts(model)
        return vision_support(model, server=facts, overrides=self._vision_overrides)

    async def _fetch_facts(self, model: str) -> ModelFacts:
        """The server's metadata for `model`; a subclass whose API has some overrides this."""
        return ModelFacts(model)

    @contextlib.asynccontextmanager
    async def _client(self, network: NetworkConfig | None = None) -> AsyncIterator[HttpClient]:
        if network is None and self._http is not None:
            yield self._http
            return
        async with HttpClient(network or self._network) as http:
            yield http

    @hybridmethod
    def create_async_generator(
        self,
        /,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> AsyncResult:
        """The seed's text-only shape. `proxy` and `timeout` default to this instance's settings;
        given explicitly, they apply to this call only (and the proxy to every target)."""
        request = ChatRequest.of(messages, model, **kwargs)
        override: NetworkConfig | None = None
        if proxy is not None or timeout is not None:
            base = self._network
            override = NetworkConfig(
                proxy=proxy if proxy is not None else base.proxy,
                timeout=float(timeout) if timeout is not None else base.timeout,
                total_timeout=base.total_timeout,
                proxy_loopback=True if proxy is not None else base.proxy_loopback,
                ssl_context=base.ssl_context,
            )
        return AsyncResult(self._text(request, override))

    async def _text(self, request: ChatRequest, network: NetworkConfig | None) -> AsyncGenerator[str, None]:
        async with contextlib.aclosing(self._stream(request, network)) as events:
            async for event in events:
                if isinstance(event, TextDelta) and event.text:
                    yield event.text


# Error codes some servers put in an in-band error object, and the HTTP status each one stands for.
_CODE_STATUS = {
    "invalid_api_key": 401,
    "authentication_error": 401,
    "permission_error": 403,
    "permission_denied": 403,
    "rate_limit_exceeded": 429,
    "rate_limit_error": 429,
    "insufficient_quota": 429,
    "model_not_found": 404,
    "not_found_error": 404,
    "invalid_request_error": 400,
    "context_length_exceeded": 400,
    "server_error": 500,
    "api_error": 500,
    "overloaded_error": 503,
}


def in_band_error(error: object, *, provider: str, model: str = "") -> ProviderError:
    """The error for one reported inside a 200 stream (`{"error": {...}}` or `{"error": "..."}`).

    It becomes the error its HTTP status would have raised, via the same mapping as real statuses.
    A numeric code from the server is kept as the status; one inferred from a word ("model_not_found")
    or from the message is not, so the message never claims an HTTP status that was not sent.
    """
    body = json.dumps({"error": error}).encode()
    stated, inferred = _status_in(error)
    if stated is not None:
        return error_for_status(stated, body, provider=provider, model=model)
    if inferred is None:
        # No code: a message that says the model is unknown is the one case worth telling apart.
        probe = error_for_status(404, body, provider=provider, model=model)
        inferred = 404 if isinstance(probe, ModelNotFoundError) else 500
    mapped = error_for_status(inferred, body, provider=provider, model=model)
    mapped.status = None
    mapped.reason = None
    mapped.args = (str(mapped),)
    return mapped


def _status_in(error: object) -> tuple[int | None, int | None]:
    """(status the server stated as a number, status inferred from its code or type words)."""
    if not isinstance(error, dict):
        return None, None
    for key in ("code", "status"):
        value = error.get(key)
        if isinstance(value, int) and 400 <= value <= 599:
            return value, None
        if isinstance(value, str) and value.isdigit() and 400 <= int(value) <= 599:
            return int(value), None
    for key in ("code", "type"):
        value = error.get(key)
        if isinstance(value, str) and value.lower() in _CODE_STATUS:
            return None, _CODE_STATUS[value.lower()]
    return None, None


def _about_images(error: ProviderError) -> bool:
    """Is this error a server saying the model does not take images?"""
    if isinstance(error, _NOT_ABOUT_CONTENT):
        return False
    return rejects_images(error.server_message) or rejects_images(error.detail)


async def post_json(
    http: HttpClient,
    url: str,
    body: object,
    *,
    provider: str,
    headers: Mapping[str, str] | None = None,
    limit: int = 16 * 1024 * 1024,
) -> object:
    """POST a JSON body and read a JSON answer (metadata such as Ollama's /api/show), with the same
    errors as `HttpClient.stream()`."""
    data = bytearray()
    stream = http.stream("POST", url, provider=provider, json_body=body, headers=headers)
    async with contextlib.aclosing(stream) as chunks:
        async for chunk in chunks:
            data += chunk
            if len(data) > limit:
                raise ProtocolError("the answer is too large", provider=provider)
    try:
        return json.loads(data)
    except ValueError:
        raise ProtocolError("the server did not answer with JSON", provider=provider) from None


__all__ = [
    "DEFAULT_TIMEOUT",
    "FACTS_TIMEOUT",
    "AsyncGeneratorProvider",
    "AsyncResult",
    "hybridmethod",
    "in_band_error",
    "post_json",
]


def checked_base_url(url: str, *, what: str, example: str) -> str:
    """`url` without its trailing slash, or a `ConfigurationError` unless it is http(s)."""
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{what} {url!r} must start with http:// or https://, e.g. {example}.")
    return url.rstrip("/")
