"""The one aiohttp session factory: proxies (HTTP, HTTPS, SOCKS4/5/5h), OS trust store, connect and
idle timeouts with an optional overall limit, and transport failures turned into one-line errors.

Providers never touch aiohttp directly; they call `HttpClient.stream()` / `get_json()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import aiohttp_socks
import truststore

from desktop_app.core.errors import (
    ProtocolError,
    ProviderError,
)
from desktop_app.net.proxy import ProxySpec, is_loopback_host, parse_proxy
from desktop_app.net.status import error_for_status, html_instead_of_answer, looks_like_html
from desktop_app.net.transport_errors import translate_transport_error

DEFAULT_TIMEOUT = 120.0
ERROR_BODY_LIMIT = 64 * 1024
# Content types that are streams by design; anything else gets sniffed for an HTML page.
_STREAM_TYPES = ("text/plain", "text/event-stream", "application/x-ndjson", "application/json")


@dataclass(frozen=True)
class NetworkConfig:
    """How to reach servers. `timeout` bounds connecting and every wait for the next bytes;
    `total_timeout` (off by default) bounds a whole answer."""

    proxy: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    total_timeout: float | None = None
    # A saved proxy skips loopback targets (local model servers); an explicit --proxy does not.
    proxy_loopback: bool = False
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)

    def proxy_spec(self) -> ProxySpec | None:
        """The parsed proxy; raises `ConfigurationError` for a bad URL."""
        return parse_proxy(self.proxy) if self.proxy else None


def default_ssl_context() -> ssl.SSLContext:
    """TLS through the OS trust store, so corporate CAs installed on the system work."""
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class HttpClient:
    """Owns up to two aiohttp sessions (direct, and through the proxy), created lazily on the
    running loop and closed by `aclose()`. One instance serves any number of concurrent requests."""

    def __init__(self, config: NetworkConfig | None = None) -> None:
        self.config = config or NetworkConfig()
        self._proxy = self.config.proxy_spec()  # validates the URL up front
        self._ssl = self.config.ssl_context or default_ssl_context()
        self._sessions: dict[bool, aiohttp.ClientSession] = {}

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()

    def _uses_proxy(self, url: str) -> bool:
        if self._proxy is None:
            return False
        return self.config.proxy_loopback or not is_loopback_host(urlsplit(url).hostname)

    def _session(self, proxied: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(proxied)
        if session is None or session.closed:
            timeout = aiohttp.ClientTimeout(
                total=None, sock_connect=self.config.timeout, sock_read=self.config.timeout
            )
            connector: aiohttp.BaseConnector
            spec = self._proxy
            if proxied and spec is not None and spec.is_socks:
                connector = aiohttp_socks.ProxyConnector(
                    host=spec.host,
                    port=spec.port,
                    proxy_type=aiohttp_socks.ProxyType.SOCKS4
                    if spec.scheme == "socks4"
                    else aiohttp_socks.ProxyType.SOCKS5,
                    username=spec.username,
                    password=spec.password,
                    rdns=spec.remote_dns,
                    ssl=self._ssl,
                )
            else:
                connector = aiohttp.TCPConnector(ssl=self._ssl)
            # trust_env=False: the proxy is Parley's setting (compose resolves "system" into it).
            session = aiohttp.ClientSession(timeout=timeout, connector=connector, trust_env=False)
            self._sessions[proxied] = session
        return session

    def _proxy_kwargs(self, proxied: bool) -> dict[str, Any]:
        spec = self._proxy
        if not proxied or spec is None or spec.is_socks:
            return {}
        kwargs: dict[str, Any] = {"proxy": spec.url_without_credentials()}
        if spec.username is not None:
            kwargs["proxy_auth"] = aiohttp.BasicAuth(spec.username, spec.password or "")
        return kwargs

    async def stream(
        self,
        method: str,
        url: str,
        *,
        provider: str,
        json_body: object = None,
        headers: Mapping[str, str] | None = None,
        model: str = "",
    ) -> AsyncGenerator[bytes, None]:
        """Send a request and yield the response body as it arrives.

        Raises the mapped `ProviderError` for a status >= 400, an HTML page, a connection failure
        or an expired timeout. Closing this generator (use `contextlib.aclosing`) or cancelling
        the task reading it closes the connection at once.
        """
        loop = asyncio.get_running_loop()
        total = self.config.total_timeout
        deadline = loop.time() + total if total else None
        proxied = self._uses_proxy(url)
        response: aiohttp.ClientResponse | None = None
        try:
            with _translated_errors(
                provider, self.config, self._proxy if proxied else None, lambda: _past(loop, deadline)
            ):
                async with _deadline(deadline):
                    response = await self._session(proxied).request(
                        method,
                        url,
                        json=json_body,
                        headers=dict(headers) if headers else None,
                        allow_redirects=True,
                        **self._proxy_kwargs(proxied),
                    )
                    first = await self._check_response(response, provider, model)
                if first:
                    yield first
                while True:
                    async with _deadline(deadline):
                        chunk = await response.content.readany()
                    if not chunk:
                        return
                    yield chunk
        finally:
            if response is not None:
                # close(), not release(): an unfinished body must drop the connection so the
                # server sees the disconnect (Stop) instead of the socket going back to the pool.
                response.close()

    async def _check_response(self, response: aiohttp.ClientResponse, provider: str, model: str) -> bytes:
        """Raise for an error status or an HTML page; return the first bytes already read (if any)."""
        content_type = response.headers.get("Content-Type", "")
        if response.status >= 400:
            body = await _read_some(response, ERROR_BODY_LIMIT)
            raise error_for_status(
                response.status,
                body,
                provider=provider,
                content_type=content_type,
                retry_after=response.headers.get("Retry-After"),
                model=model,
                reason=response.reason,
            )
        if "html" in content_type.lower():
            raise html_instead_of_answer(provider, await _read_some(response, ERROR_BODY_LIMIT), content_type)
        if content_type.split(";")[0].strip().lower() in _STREAM_TYPES:
            return b""
        # Unknown or missing type: look at the first bytes for an HTML page (a CDN challenge).
        first = await response.content.readany()
        if looks_like_html(first):
            raise html_instead_of_answer(provider, first, "text/html")
        return first

    async def get_json(self, url: str, *, provider: str, headers: Mapping[str, str] | None = None) -> object:
        """GET a JSON document (model lists and the like) with the same errors as `stream()`."""
        body = bytearray()
        async with contextlib.aclosing(self.stream("GET", url, provider=provider, headers=headers)) as chunks:
            async for chunk in chunks:
                body += chunk
                if len(body) > 16 * 1024 * 1024:
                    raise ProtocolError("the answer is too large", provider=provider)
        try:
            return json.loads(body)
        except ValueError:
            raise ProtocolError("the server did not answer with JSON", provider=provider) from None


async def _read_some(response: aiohttp.ClientResponse, limit: int) -> bytes:
    try:
        return await response.content.read(limit)
    except (TimeoutError, aiohttp.ClientError):
        return b""


def _past(loop: asyncio.AbstractEventLoop, deadline: float | None) -> bool:
    return deadline is not None and loop.time() >= deadline


@contextlib.asynccontextmanager
async def _deadline(deadline: float | None) -> AsyncIterator[None]:
    if deadline is None:
        yield
    else:
        async with asyncio.timeout_at(deadline):
            yield


@contextlib.contextmanager
def _translated_errors(
    provider: str, config: NetworkConfig, proxy: ProxySpec | None, total_expired: Callable[[], bool]
) -> Iterator[None]:
    """aiohttp / aiohttp-socks / OS failures inside the block → one-line `ProviderError`s."""
    try:
        yield
    except ProviderError:
        raise
    except (aiohttp.ClientError, aiohttp_socks.ProxyError, OSError, ValueError) as exc:
        # OSError covers TimeoutError (what asyncio.timeout raises) and refused connections.
        raise translate_transport_error(
            exc, provider=provider, config=config, proxy=proxy, total_expired=total_expired()
        ) from exc
