"""The one aiohttp session factory: proxies (HTTP, HTTPS, SOCKS4/5/5h), OS trust store, connect and
idle timeouts with an optional overall limit, and transport failures turned into one-line errors.

Providers never touch aiohttp directly; they call `HttpClient.stream()` / `get_json()`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import truststore

from desktop_app.core.errors import (
    ProtocolError,
    ProviderError,
)
from desktop_app.net.proxy import ProxySpec, is_loopback_host, parse_proxy
from desktop_app.net.redirects import MAX_REDIRECTS, REDIRECT_STATUSES, Hop, next_hop
from desktop_app.net.status import error_for_status, html_instead_of_answer, looks_like_html
from desktop_app.net.transport_errors import proxy_status_error, socks_errors, translate_transport_error

DEFAULT_TIMEOUT = 120.0
ERROR_BODY_LIMIT = 64 * 1024
# An error page is read for its message, but a server that stalls mid-page must not hold the
# error back for the whole idle timeout.
ERROR_BODY_SECONDS = 5.0
# Enough leading bytes to recognise "<!doctype html" when the content type does not say.
_SNIFF_BYTES = 16
# Content types that are streams by design; anything else gets sniffed for an HTML page.
_STREAM_TYPES = ("text/plain", "text/event-stream", "application/x-ndjson", "application/json")
# Failures below HTTP that become one-line errors (with `socks_errors()` once SOCKS is in use).
_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (aiohttp.ClientError, OSError, ValueError)


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
                # Imported only here: most setups never use SOCKS, and start-up need not load it.
                import aiohttp_socks

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

    async def _send(self, hop: Hop, json_body: object, proxied: bool) -> aiohttp.ClientResponse:
        """One request, no redirects followed. An HTTP proxy's credentials go in the CONNECT
        request for an https target (never inside the tunnel, where the target would see them),
        and in the request itself for a plain-http target, which the proxy reads."""
        headers = dict(hop.headers)
        kwargs: dict[str, Any] = {}
        spec = self._proxy
        if proxied and spec is not None and not spec.is_socks:
            kwargs["proxy"] = spec.url_without_credentials()
            if spec.username is not None:
                credential = _basic_auth(spec.username, spec.password or "")
                if urlsplit(hop.url).scheme == "https":
                    kwargs["proxy_headers"] = {"Proxy-Authorization": credential}
                else:
                    headers["Proxy-Authorization"] = credential
        return await self._session(proxied).request(
            hop.method,
            hop.url,
            json=json_body if hop.sends_body else None,
            headers=headers or None,
            allow_redirects=False,
            **kwargs,
        )

    async def _follow(self, hop: Hop, json_body: object, route: _Route) -> aiohttp.ClientResponse:
        """Send, following up to MAX_REDIRECTS redirects; each hop picks its own route."""
        for redirects in range(MAX_REDIRECTS + 1):
            route.proxied = self._uses_proxy(hop.url)
            response = await self._send(hop, json_body, route.proxied)
            location = response.headers.get("Location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            response.close()
            if redirects < MAX_REDIRECTS:
                hop = next_hop(hop, response.status, location)
        raise ProtocolError(
            f"too many redirects (more than {MAX_REDIRECTS}); check the base URL", provider=route.provider
        )

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
        route = _Route(provider, self._proxy)
        response: aiohttp.ClientResponse | None = None
        try:
            with _translated_errors(route, self.config, lambda: _past(loop, deadline)):
                async with _deadline(deadline):
                    hop = Hop(method.upper(), url, dict(headers or {}))
                    response = await self._follow(hop, json_body, route)
                    first = await self._check_response(response, provider, model, route.proxied)
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

    async def _check_response(
        self, response: aiohttp.ClientResponse, provider: str, model: str, proxied: bool
    ) -> bytes:
        """Raise for an error status or an HTML page; return the first bytes already read (if any)."""
        content_type = response.headers.get("Content-Type", "")
        if response.status == 407 and proxied and self._proxy is not None and not self._proxy.is_socks:
            # A plain-HTTP request through an HTTP proxy gets the proxy's 407 as its own answer.
            raise proxy_status_error(407, provider, self._proxy)
        if response.status >= 400:
            body = await _read_some(response, ERROR_BODY_LIMIT, min(self.config.timeout, ERROR_BODY_SECONDS))
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
            body = await _read_some(response, ERROR_BODY_LIMIT, min(self.config.timeout, ERROR_BODY_SECONDS))
            raise html_instead_of_answer(
                provider, body, content_type, status=response.status, reason=response.reason
            )
        if content_type.split(";")[0].strip().lower() in _STREAM_TYPES:
            return b""
        # Unknown or missing type: look at the first bytes for an HTML page (a CDN challenge).
        # Only a body that starts with "<" is held back until there is enough of it to tell.
        first = b""
        while len(lead := first.lstrip()) < _SNIFF_BYTES and lead[:1] in (b"", b"<"):
            chunk = await response.content.readany()
            if not chunk:
                break
            first += chunk
        if looks_like_html(first):
            raise html_instead_of_answer(
                provider, first, "text/html", status=response.status, reason=response.reason
            )
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


async def _read_some(response: aiohttp.ClientResponse, limit: int, seconds: float) -> bytes:
    """Up to `limit` bytes of the body, whatever arrived within `seconds` if it never ends."""
    body = bytearray()
    with contextlib.suppress(TimeoutError, aiohttp.ClientError):
        async with asyncio.timeout(seconds):
            while len(body) < limit:
                chunk = await response.content.read(limit - len(body))
                if not chunk:
                    break
                body += chunk
    return bytes(body)


def _past(loop: asyncio.AbstractEventLoop, deadline: float | None) -> bool:
    return deadline is not None and loop.time() >= deadline


@contextlib.asynccontextmanager
async def _deadline(deadline: float | None) -> AsyncIterator[None]:
    if deadline is None:
        yield
    else:
        async with asyncio.timeout_at(deadline):
            yield


@dataclass
class _Route:
    """Which way the current hop of a request went, for naming the proxy in an error."""

    provider: str
    proxy: ProxySpec | None
    proxied: bool = False

    @property
    def via(self) -> ProxySpec | None:
        return self.proxy if self.proxied else None


def _basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


@contextlib.contextmanager
def _translated_errors(
    route: _Route, config: NetworkConfig, total_expired: Callable[[], bool]
) -> Iterator[None]:
    """aiohttp / aiohttp-socks / OS failures inside the block → one-line `ProviderError`s."""
    try:
        yield
    except ProviderError:
        raise
    except Exception as exc:
        # OSError covers TimeoutError (what asyncio.timeout raises) and refused connections.
        if not isinstance(exc, _TRANSPORT_ERRORS + socks_errors()):
            raise
        raise translate_transport_error(
            exc, provider=route.provider, config=config, proxy=route.via, total_expired=total_expired()
        ) from exc
