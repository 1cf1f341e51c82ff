"""Transport failures (no HTTP status) → Parley errors: refused, DNS, TLS, proxy, reset, timeout."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

import aiohttp
import aiohttp_socks

from desktop_app.core.errors import ConnectionError_, ProtocolError, ProviderError, ProviderTimeoutError

if TYPE_CHECKING:
    from desktop_app.net.proxy import ProxySpec
    from desktop_app.net.session import NetworkConfig


class TlsError(ConnectionError_):
    hint = (
        "The server's certificate could not be verified. If your network inspects HTTPS, "
        "install its certificate in the system's trust store."
    )


class ProxyConnectError(ConnectionError_):
    hint = "Check the proxy address, port and credentials in Preferences → Network."


def translate_transport_error(
    exc: BaseException,
    *,
    provider: str,
    config: NetworkConfig,
    proxy: ProxySpec | None,
    total_expired: bool = False,
) -> ProviderError:
    via = f" through the proxy {proxy}" if proxy else ""
    if total_expired:
        seconds = config.total_timeout or 0.0
        return ProviderTimeoutError(
            f"timed out: the answer took longer than the overall limit of {seconds:g} s",
            provider=provider,
            limit="total",
            seconds=seconds,
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ProviderTimeoutError(
            f"timed out connecting{via} after {config.timeout:g} s",
            provider=provider,
            limit="connect",
            seconds=config.timeout,
        )
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError | aiohttp_socks.ProxyTimeoutError):
        return ProviderTimeoutError(
            f"timed out: no data for {config.timeout:g} s",
            provider=provider,
            limit="idle",
            seconds=config.timeout,
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        if exc.status == 407:
            return ProxyConnectError(
                f"the proxy {proxy} rejected the credentials (HTTP 407)", provider=provider
            )
        return ProxyConnectError(
            f"the proxy {proxy} refused the connection (HTTP {exc.status})", provider=provider
        )
    if isinstance(exc, aiohttp_socks.ProxyConnectionError | aiohttp.ClientProxyConnectionError):
        return ProxyConnectError(f"could not connect to the proxy {proxy}", provider=provider)
    if isinstance(exc, aiohttp_socks.ProxyError):
        return ProxyConnectError(
            f"the proxy {proxy} refused the request ({_first_line(exc)})", provider=provider
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        host = _host_of(exc)
        return TlsError(f"secure connection to {host or 'the server'} failed", provider=provider)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ConnectionError_(
            f"could not find the server {_host_of(exc) or ''}{via} (DNS lookup failed)".replace("  ", " "),
            provider=provider,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        target = _host_of(exc)
        if isinstance(exc.os_error, ConnectionRefusedError):
            return ConnectionError_(
                f"connection refused by {target}{via}: is the server running?", provider=provider
            )
        return ConnectionError_(
            f"could not connect to {target}{via} ({_first_line(exc.os_error)})", provider=provider
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | ConnectionResetError):
        return ConnectionError_("the connection was closed before the answer was complete", provider=provider)
    if isinstance(exc, aiohttp.InvalidURL | ValueError) and not isinstance(exc, aiohttp.ClientError):
        return ProtocolError(f"invalid request: {_first_line(exc)}", provider=provider)
    if isinstance(exc, aiohttp.InvalidURL):
        return ConnectionError_(f"the address {exc.url} is not a valid URL", provider=provider)
    return ConnectionError_(f"network error: {_first_line(exc)}", provider=provider)


def _host_of(exc: BaseException) -> str:
    key = getattr(exc, "_conn_key", None) or getattr(exc, "conn_key", None)
    if key is not None and getattr(key, "host", None):
        return f"{key.host}:{key.port}"
    return ""


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else type(exc).__name__
