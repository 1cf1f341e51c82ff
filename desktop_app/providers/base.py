"""The provider base: typed `stream()`, the seed's `create_async_generator` shape, and `AsyncResult`."""

from __future__ import annotations

import contextlib
import functools
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, TypeVar

from desktop_app.core.errors import ConfigurationError, ModelNotFoundError, ProviderError
from desktop_app.core.events import StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest, Messages
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


class AsyncGeneratorProvider(ABC):
    """Base of every provider. Subclasses implement `_events()` with the HTTP client they are given.

    The client comes from `compose.py` (shared, proxy and timeouts from the settings). A provider
    built without one makes a private client per call and closes it when the answer ends.
    """

    # A class default; configurable providers (OpenAI-compatible, Ollama) set it per instance.
    name: str = "Provider"
    working: ClassVar[bool] = True

    def __init__(self, *, http: HttpClient | None = None, network: NetworkConfig | None = None) -> None:
        self._http = http
        self._network = network if network is not None else (http.config if http else NetworkConfig())

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
        async with self._client(network) as http, contextlib.aclosing(self._events(request, http)) as events:
            try:
                async for event in events:
                    yield event
            except ProviderError as exc:
                exc.with_provider(self.name)
                raise

    async def list_models(self) -> list[str]:
        return []

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


__all__ = ["DEFAULT_TIMEOUT", "AsyncGeneratorProvider", "AsyncResult", "hybridmethod", "in_band_error"]


def checked_base_url(url: str, *, what: str, example: str) -> str:
    """`url` without its trailing slash, or a `ConfigurationError` unless it is http(s)."""
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{what} {url!r} must start with http:// or https://, e.g. {example}.")
    return url.rstrip("/")
