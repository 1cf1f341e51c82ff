"""The provider base: typed `stream()`, the seed's `create_async_generator` shape, and `AsyncResult`."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator
from typing import Any, ClassVar, Generic, TypeVar, overload

from desktop_app.core.errors import ProviderError
from desktop_app.core.events import StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest, Messages
from desktop_app.net.session import DEFAULT_TIMEOUT, HttpClient, NetworkConfig


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


_P = TypeVar("_P", bound="AsyncGeneratorProvider")
_R = TypeVar("_R")


class hybridmethod(Generic[_P, _R]):  # noqa: N801 - reads like @classmethod
    """A method callable on an instance, or on the class (which then uses a default instance).

    The seed calls `Yqcloud.create_async_generator(...)` on the class; Parley calls it on
    configured instances. No class-level state is kept: the default instance is made per call.
    """

    def __init__(self, func: Callable[..., _R]) -> None:
        self._func = func
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, obj: None, owner: type[_P]) -> Callable[..., _R]: ...
    @overload
    def __get__(self, obj: _P, owner: type[_P]) -> Callable[..., _R]: ...
    def __get__(self, obj: _P | None, owner: type[_P]) -> Callable[..., _R]:
        func = self._func

        def bound(*args: Any, **kwargs: Any) -> _R:
            return func(obj if obj is not None else owner(), *args, **kwargs)

        bound.__doc__ = func.__doc__
        bound.__name__ = func.__name__
        return bound


class AsyncGeneratorProvider(ABC):
    """Base of every provider. Subclasses implement `_events()` with the HTTP client they are given.

    The client comes from `compose.py` (shared, proxy and timeouts from the settings). A provider
    built without one makes a private client per call and closes it when the answer ends.
    """

    name: ClassVar[str] = "Provider"
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


__all__ = ["DEFAULT_TIMEOUT", "AsyncGeneratorProvider", "AsyncResult", "hybridmethod"]
